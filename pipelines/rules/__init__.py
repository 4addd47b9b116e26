"""The exception rules (docs/rules.md §5), as pure functions over frames.

Each rule is declared once in its module with :func:`pipelines.rules.registry.rule`;
:mod:`pipelines.rules.registry` is the one list of codes, severities and next steps.

Each rule takes the :class:`Books` and returns a list of :func:`flag` rows.
An exception's id is derived from its rule, budget, period and subject, so the
same problem keeps the same id from one night to the next.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import cached_property

import polars as pl

from pipelines.payees import normalise_payee, payee_expr
from pipelines.rules.registry import severity_of
from schemas.money import gbp
from schemas.policy import Policy

__all__ = ["EVIDENCE_READ", "TXNS_READ", "Books", "day", "evidenced", "exception_id", "flag", "gbp", "normalise_payee", "payee_expr", "span"]


# what the rules read of a transaction and of an evidence item: the night's books hold
# only these once the core tables are written (not the lines' paths, files, balances)
TXNS_READ = ("account_id", "transaction_id", "date", "amount", "payee", "memo", "mcc", "budget_id", "txn_class",
             "evidence_ref", "invoice_id", "pat_providers", "provider_id", "category", "plan_line_id",
             "needs_evidence", "period_start")
EVIDENCE_READ = ("budget_id", "period", "transaction_ref", "amount", "received_on")


@dataclass(frozen=True)
class Books:
    """Everything the rules look at, already reconciled."""

    as_of: date
    policy: Policy
    budgets: pl.DataFrame
    plan_lines: pl.DataFrame
    providers: pl.DataFrame
    periods: pl.DataFrame  # periods.monitoring_periods
    txns: pl.DataFrame  # classified, categorised, with period_start: at least TXNS_READ
    invoices: pl.DataFrame  # with paid_amount, credited_amount, payment_status
    matches: pl.DataFrame
    positions: pl.DataFrame  # budget_positions
    lines: pl.DataFrame  # line_positions (+ weekly_units, planned_amount, closed, days)
    coverage: pl.DataFrame  # account_id, start_date, end_date
    balance_breaks: pl.DataFrame  # account_id, date, difference, transaction_id, source_path, source_line
    evidence: pl.DataFrame  # evidence_items (typed) + received_on: at least EVIDENCE_READ
    opening: dict[str, Decimal] = field(default_factory=dict)  # account → balance before its first line (positions.opening_balances)
    # the accounts whose books changed since the last run, on that run's day and when every other
    # account's books are as it left them (a night that brought only their statements: the other
    # budgets' findings stand, pipelines/incremental.py); else None
    changed: frozenset[str] | None = None

    @cached_property
    def returns(self) -> pl.DataFrame:
        """The evidence returns due (computed once; EVIDENCE_OVERDUE and the warehouse read them)."""
        from pipelines.rules.evidence import evidence_returns

        return evidence_returns(self)

    @cached_property
    def period_spans(self) -> dict[str, list[tuple[date, date]]]:
        """Budget → its monitoring periods (start, end), in order."""
        out: dict[str, list[tuple[date, date]]] = {}
        for b, ps, pe in self.periods.sort("budget_id", "period_start").select(
                "budget_id", "period_start", "period_end").iter_rows():
            out.setdefault(b, []).append((ps, pe))
        return out

    @cached_property
    def known(self):
        """Which days the statements let a rule judge (see :class:`pipelines.rules.statements.Coverage`)."""
        from pipelines.rules.statements import Coverage

        return Coverage(self.coverage, self.policy.statement_gap_days, self.as_of)


def period_at(books: Books, budget_id: str, when: date) -> tuple[date, date] | None:
    """The budget's monitoring period holding ``when`` (the first one before the
    term, the last one after it); None for a budget with no periods."""
    spans = books.period_spans.get(budget_id)
    if not spans:
        return None
    for ps, pe in spans:
        if ps <= when <= pe:
            return ps, pe
    return spans[0] if when < spans[0][0] else spans[-1]


def evidenced(books: Books, txns: pl.DataFrame) -> pl.Series:
    """Is each transaction referenced by an evidence item *of its own budget*?

    Bank ids repeat across accounts (``202507050001`` is a date and a counter), so
    a reference only counts within the budget whose family sent it.
    """
    refs = books.evidence.filter(pl.col("transaction_ref").is_not_null()).select(
        "budget_id", pl.col("transaction_ref").alias("ref")).unique()
    keyed = txns.select("budget_id", "transaction_id", "evidence_ref").with_row_index("__r")
    hit = pl.concat([
        keyed.join(refs, left_on=["budget_id", "transaction_id"], right_on=["budget_id", "ref"]).select("__r"),
        keyed.join(refs, left_on=["budget_id", "evidence_ref"], right_on=["budget_id", "ref"]).select("__r"),
    ]).unique()
    return keyed.select(pl.col("__r").is_in(hit["__r"].implode())).to_series().alias("evidenced")


def exception_id(rule: str, budget_id: str | None, period_start: date | None, subject: str | None) -> str:
    key = f"{rule}|{budget_id or ''}|{period_start or ''}|{subject or ''}"
    return "X" + hashlib.sha256(key.encode()).hexdigest()[:15].upper()


def flag(rule: str, budget_id: str | None, period_start: date | None, period_end: date | None,
         amount: Decimal | None, explanation: str, evidence: list[str] | None = None,
         subject: str | None = None, episode: str | None = None) -> dict:
    """One rule's finding for one period. ``episode`` (default: the subject) names the
    problem a persistent rule's findings in consecutive periods belong to (a provider
    and its rate, not each invoice)."""
    return dict(
        exception_id=exception_id(rule, budget_id, period_start, subject), rule_code=rule,
        severity=severity_of(rule), budget_id=budget_id, period_start=period_start, period_end=period_end,
        amount=amount, explanation=explanation, evidence=" ".join(sorted(set(evidence or []))) or None,
        subject=subject, episode=episode if episode is not None else subject,
    )


def day(d: date) -> str:
    return f"{d.day} {d:%B %Y}"


def span(first: date, last: date) -> str:
    return f"on {day(first)}" if first == last else f"between {day(first)} and {day(last)}"
