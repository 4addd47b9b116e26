"""A minimal :class:`Books` for rule tests, built through the same pure steps
flows/reconcile.py runs (classify, match, categorise, periods, positions),
from a few rows typed by the input schemas.

    books = mini_books(as_of=date(2026, 1, 1),
                       budgets=[budget("B1", "A1", "2025-04-01", "2026-03-31")],
                       lines=[line("A1", "T1", "2025-04-01", "300.00", "BRADFORD COUNCIL")])
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import polars as pl

from pipelines.classify import categorise, classify_transactions
from pipelines.ledger import attach_budgets, conform
from pipelines.match import match_within_accounts
from pipelines.periods import assign_period, monitoring_periods
from pipelines.positions import budget_positions, line_positions, opening_balances
from pipelines.rules import Books
from schemas import inputs
from schemas.policy import Policy


def d(text: str | date) -> date:
    return text if isinstance(text, date) else date.fromisoformat(text)


def budget(budget_id: str, account_id: str, start: str, end: str, *, holder: str = "Mrs J Okafor",
           payment: str = "300.00", frequency: str = "weekly", review: str | None = None,
           agreed: str = "15600.00", contribution: str = "0.00") -> dict:
    return dict(budget_id=budget_id, person_ref="P1", holder_name=holder, managed_by="self", cohort="adult",
                account_id=account_id, start_date=d(start), end_date=d(end), estimated_amount=None,
                agreed_amount=Decimal(agreed), payment_frequency=frequency, payment_amount=Decimal(payment),
                weekly_contribution=Decimal(contribution), review_date=d(review) if review else None, status="active")


def provider(provider_id: str, name: str, patterns: str, category: str, approved: bool = False) -> dict:
    return dict(provider_id=provider_id, name=name, payee_patterns=patterns, category=category,
                approved=approved, agreed_rate=None)


def plan_line(budget_id: str, line_id: str, category: str, provider_id: str | None = None,
              weekly_units: str = "10", unit_rate: str = "13.00", planned: str = "6760.00") -> dict:
    return dict(budget_id=budget_id, line_id=line_id, need="help at home", outcome_domain="daily_living",
                category=category, provider_id=provider_id, weekly_units=Decimal(weekly_units),
                unit_rate=Decimal(unit_rate), planned_amount=Decimal(planned))


def line(account_id: str, transaction_id: str, when: str, amount: str, payee: str, memo: str | None = None,
         mcc: str | None = None, balance: str | None = None) -> dict:
    return dict(account_id=account_id, transaction_id=transaction_id, id_source="bank", date=d(when),
                amount=Decimal(amount), payee=payee, memo=memo, trntype=None, mcc=mcc,
                balance=Decimal(balance) if balance else None)


def invoice(invoice_id: str, provider_id: str, budget_id: str, issued: str, due: str, amount: str) -> dict:
    return dict(invoice_id=invoice_id, provider_id=provider_id, budget_id=budget_id, issue_date=d(issued),
                due_date=d(due), period_start=None, period_end=None, category="agency_care", units=None,
                unit_rate=None, amount=Decimal(amount), kind="invoice", billing_reference=None)


def evidence(budget_id: str, period: str, ref: str, received: str, amount: str = "0.00") -> dict:
    return dict(budget_id=budget_id, period=d(period), transaction_ref=ref, evidence_type="receipt", file="r.pdf",
                amount=Decimal(amount), note=None, submitted_on=d(received), file_present=True,
                received_on=d(received))


def _frame(rows: list[dict], table) -> pl.DataFrame:
    schema = table.polars_schema()
    if not rows:
        return pl.DataFrame(schema=schema)
    return conform(pl.DataFrame(rows, infer_schema_length=None), table)


def mini_books(*, as_of: date, budgets: list[dict], lines: list[dict], providers: list[dict] = (),
               plan_lines: list[dict] = (), evidence_rows: list[dict] = (), coverage: list[tuple] | None = None,
               policy: Policy | None = None, invoices: list[dict] = ()) -> Books:
    """``coverage``: (account_id, first day, last day) spans; default each account's first to last line."""
    policy = policy or Policy()
    b = _frame(budgets, inputs.budgets)
    pr = _frame(list(providers), inputs.providers)
    pls = _frame(list(plan_lines), inputs.plan_lines)
    raw = _frame(lines, inputs.statement_lines).with_columns(
        pl.int_range(pl.len()).alias("seq"), pl.lit("f.csv").alias("source_path"),
        (pl.int_range(pl.len()) + 2).alias("source_line"))
    txns = classify_transactions(attach_budgets(raw, b), policy).with_columns(
        pl.col("transaction_id").alias("evidence_ref"))
    result = match_within_accounts(txns, _frame(list(invoices), inputs.invoice_lines), pr, b)
    txns = categorise(txns, result.matches, result.invoices, pr, pls, policy)
    periods = monitoring_periods(b, policy.return_frequency, policy.evidence_due_days, as_of)
    txns = assign_period(txns, periods)
    started = periods.filter(pl.col("period_start") <= as_of)
    opening = opening_balances(raw)
    positions = budget_positions(b, started, txns, result.invoices, result.matches, opening)
    if coverage is None:
        cov = raw.group_by("account_id").agg(pl.col("date").min().alias("start_date"),
                                             pl.col("date").max().alias("end_date"))
    else:
        cov = pl.DataFrame([(a, d(s), d(e)) for a, s, e in coverage],
                           schema={"account_id": pl.String, "start_date": pl.Date, "end_date": pl.Date}, orient="row")
    ev_schema = {**inputs.evidence_items.polars_schema(), "received_on": pl.Date}
    ev = pl.DataFrame(list(evidence_rows), schema=ev_schema, orient="row") if evidence_rows else pl.DataFrame(schema=ev_schema)
    return Books(as_of=as_of, policy=policy, budgets=b, plan_lines=pls, providers=pr, periods=periods, txns=txns,
                 invoices=result.invoices, matches=result.matches, positions=positions,
                 lines=line_positions(b, started, pls, txns), coverage=cov,
                 balance_breaks=pl.DataFrame(), evidence=ev, opening=opening)
