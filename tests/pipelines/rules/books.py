"""A minimal :class:`Books` for rule tests, built from the schemas and the real pipeline.

Write the register, the statement lines and the invoices as a council would
send them; :func:`make_books` runs them through the same pure steps the
nightly run does (classify, match, categorise, periods, positions) and hands
back the books the rules read. Every argument has a small default: one
budget B1 on account ACC1, 1 April 2026 – 31 March 2027, £300.00 a week,
quarterly returns, statements covering the whole term up to ``as_of``.

    books = make_books(date(2026, 7, 10),
                       txns=[txn("2026-04-03", "300.00", "DP PAYMENT COUNCIL"),
                             txn("2026-04-10", "-415.00", "M MILLER")])
    flags = unapproved_payee(books)
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from itertools import count

import polars as pl

from pipelines.classify import categorise, classify_transactions
from pipelines.corrections import current_transactions, statement_dates
from pipelines.ledger import attach_budgets
from pipelines.match import match_within_accounts
from pipelines.periods import assign_period, monitoring_periods
from pipelines.positions import budget_positions, line_positions, opening_balances
from pipelines.references import with_evidence_refs
from pipelines.rules import Books
from pipelines.statements import balance_breaks
from schemas import inputs
from schemas.policy import Policy

START, END = date(2026, 4, 1), date(2027, 3, 31)
_ids = count(1)


def _d(value: date | str | None) -> date | None:
    return date.fromisoformat(value) if isinstance(value, str) else value


def _m(value: Decimal | str | int | None) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def budget(budget_id: str = "B1", **over) -> dict:
    row = dict(budget_id=budget_id, person_ref="P" + budget_id, holder_name="Sam Taylor", managed_by="self",
               cohort="adult", account_id="ACC1", start_date=START, end_date=END, estimated_amount=None,
               agreed_amount="15600.00", payment_frequency="weekly", payment_amount="300.00",
               weekly_contribution="0.00", review_date=None, status="active")
    return row | over


def plan_line(line_id: str = "L1", budget_id: str = "B1", **over) -> dict:
    row = dict(budget_id=budget_id, line_id=line_id, need="help at home", outcome_domain="daily_living",
               category="personal_assistant", provider_id=None, weekly_units="10", unit_rate="15.00",
               planned_amount="7800.00")
    return row | over


def provider(provider_id: str = "PA01", **over) -> dict:
    row = dict(provider_id=provider_id, name="C Taylor", payee_patterns=r"\bC TAYLOR\b",
               category="personal_assistant", approved=True, agreed_rate=None)
    return row | over


def txn(on: date | str, amount: str, payee: str | None = None, memo: str | None = None, *,
        mcc: str | None = None, trntype: str | None = None, transaction_id: str | None = None,
        account_id: str = "ACC1", balance: str | None = None) -> dict:
    n = next(_ids)
    return dict(account_id=account_id, transaction_id=transaction_id or f"T{n:05d}", id_source="bank",
                date=_d(on), amount=_m(amount), payee=payee, memo=memo, trntype=trntype, mcc=mcc,
                balance=_m(balance), file_id="F1", source_path="statements/acc1.csv", source_line=n, seq=n)


def invoice(invoice_id: str, amount: str, *, provider_id: str = "PA01", budget_id: str = "B1",
            issue: date | str = "2026-04-10", due: date | str | None = None, units: str | None = None,
            unit_rate: str | None = None, kind: str = "invoice", category: str | None = None, **over) -> dict:
    issue_d = _d(issue)
    row = dict(invoice_id=invoice_id, provider_id=provider_id, budget_id=budget_id, issue_date=issue_d,
               due_date=_d(due) or date.fromordinal(issue_d.toordinal() + 14), period_start=None,
               period_end=None, category=category, units=_m(units), unit_rate=_m(unit_rate),
               amount=_m(amount), kind=kind, billing_reference=None, version=1,
               source_path="invoices/i.csv", source_line=1)
    return row | over


def evidence(period: date | str, transaction_ref: str | None, *, budget_id: str = "B1",
             received_on: date | str = "2026-07-20", evidence_type: str = "receipt", amount: str | None = None) -> dict:
    return dict(budget_id=budget_id, period=_d(period), transaction_ref=transaction_ref, evidence_type=evidence_type,
                file="r.pdf", amount=_m(amount), note=None, received_on=_d(received_on))


def frame(table, rows: list[dict], extra: dict | None = None) -> pl.DataFrame:
    """Rows typed by the table's declared schema (text money/dates/quantities parsed)."""
    schema = table.polars_schema() | (extra or {})
    typed = []
    for r in rows:
        t = {}
        for k, dtype in schema.items():
            v = r.get(k)
            if isinstance(v, str) and dtype == pl.Date:
                v = date.fromisoformat(v)
            elif isinstance(v, str | int) and isinstance(dtype, pl.Decimal):
                v = Decimal(str(v))
            t[k] = v
        typed.append(t)
    return pl.DataFrame(typed, schema=schema, orient="row")


LINEAGE = {"file_id": pl.String, "source_path": pl.String, "source_line": pl.Int64, "seq": pl.Int64}


def make_books(as_of: date | str, *, budgets: list[dict] | None = None, plan_lines: list[dict] | None = None,
               providers: list[dict] | None = None, txns: list[dict] = (), invoices: list[dict] = (),
               evidence_rows: list[dict] = (), coverage: list[tuple] | None = None,
               policy: Policy | None = None, **policy_keys) -> Books:
    """The books as the night would build them from these inputs."""
    as_of = _d(as_of)
    policy = policy or Policy(**policy_keys)
    budgets_f = frame(inputs.budgets, budgets if budgets is not None else [budget()])
    lines_f = frame(inputs.plan_lines, plan_lines if plan_lines is not None else [plan_line(provider_id="PA01")])
    providers_f = frame(inputs.providers, providers if providers is not None else [provider()])
    land = frame(inputs.statement_lines, list(txns), LINEAGE)
    invoices_f = frame(inputs.invoice_lines, list(invoices),
                       {"version": pl.Int64, "source_path": pl.String, "source_line": pl.Int64})
    no_balances = pl.DataFrame(schema={"file_id": pl.String, "account_id": pl.String, "end_date": pl.Date})
    current = current_transactions(land, statement_dates(land, no_balances))
    ledger = classify_transactions(attach_budgets(current, budgets_f), policy)
    ledger = with_evidence_refs(ledger)
    result = match_within_accounts(ledger, invoices_f, providers_f, budgets_f)
    ledger = categorise(ledger, result.matches, result.invoices, providers_f, lines_f, policy)
    periods = monitoring_periods(budgets_f, policy.return_frequency, policy.evidence_due_days, as_of)
    ledger = assign_period(ledger, periods)
    started = periods.filter(pl.col("period_start") <= as_of)
    positions = budget_positions(budgets_f, started, ledger, result.invoices, result.matches, opening_balances(land))
    line_pos = line_positions(budgets_f, started, lines_f, ledger)
    if coverage is None:  # statements cover every account from its first term's start to as_of
        coverage = [(a, s, as_of) for a, s in budgets_f.group_by("account_id").agg(pl.col("start_date").min()).iter_rows()]
    coverage_f = pl.DataFrame([(a, _d(s), _d(e)) for a, s, e in coverage],
                              schema={"account_id": pl.String, "start_date": pl.Date, "end_date": pl.Date}, orient="row")
    evidence_f = frame(inputs.evidence_items, list(evidence_rows), {"received_on": pl.Date})
    return Books(as_of=as_of, policy=policy, budgets=budgets_f, plan_lines=lines_f, providers=providers_f,
                 periods=periods, txns=ledger, invoices=result.invoices, matches=result.matches,
                 positions=positions, lines=line_pos, coverage=coverage_f,
                 balance_breaks=balance_breaks(land), evidence=evidence_f)


def weekly(first: date | str, last: date | str, amount: str, payee: str, memo: str | None = None,
           **kw) -> list[dict]:
    """One transaction every 7 days from ``first`` to ``last`` inclusive."""
    a, b = _d(first), _d(last)
    return [txn(date.fromordinal(o), amount, payee, memo, **kw) for o in range(a.toordinal(), b.toordinal() + 1, 7)]
