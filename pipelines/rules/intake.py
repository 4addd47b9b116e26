"""The evidence intake's update between nightly runs, as a pure function.

A family's return that arrives at 10:00 should not wait for the night: the
evidence returns and the rules declared ``on_intake`` (those that look at
evidence: EVIDENCE_OVERDUE, CASH_WITHDRAWAL) are recomputed from the books the
last night published plus every evidence row received so far. Every other
exception is left exactly as the night settled it.

Example: the quarter 1 April–30 June was due 28 July. The night of 1 August
raised EVIDENCE_OVERDUE for it (£420.00 of payments needing receipts). The
family's return arrives on 2 August at 10:00: the intake marks the return
received, the EVIDENCE_OVERDUE exception is no longer raised and becomes
``resolved``; the night's SURPLUS_BALANCE on the same budget is untouched.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import polars as pl

from pipelines.periods import assign_period, monitoring_periods
from pipelines.rules import Books
from pipelines.rules.registry import declared
from pipelines.rules.run import judge, settle
from schemas.policy import Policy


@dataclass(frozen=True)
class IntakeRefresh:
    history: pl.DataFrame  # every exception, the intake rules' re-settled, the others as they were
    returns: pl.DataFrame  # the evidence returns due, received or not
    raised: pl.DataFrame  # what the intake rules raise now (one row per exception)
    findings: pl.DataFrame  # every period's finding: the intake rules' new ones, the others' as they were

    def summary(self) -> dict[str, int]:
        received = self.returns.filter(pl.col("received_at").is_not_null()).height
        return {"returns": self.returns.height, "received": received, "raised": self.raised.height}


def intake_books(as_of: date, policy: Policy, budgets: pl.DataFrame, txns: pl.DataFrame,
                 evidence: pl.DataFrame) -> Books:
    """The part of the books the intake rules read: budgets, periods, transactions, evidence."""
    periods = monitoring_periods(budgets, policy.return_frequency, policy.evidence_due_days, as_of)
    empty = pl.DataFrame()
    return Books(as_of=as_of, policy=policy, budgets=budgets, plan_lines=empty, providers=empty,
                 periods=periods, txns=assign_period(txns, periods), invoices=empty, matches=empty,
                 positions=empty, lines=empty, coverage=empty, balance_breaks=empty, evidence=evidence)


def refresh_evidence(as_of: date, policy: Policy, budgets: pl.DataFrame, txns: pl.DataFrame,
                     evidence: pl.DataFrame, history: pl.DataFrame, gaps: pl.DataFrame,
                     findings: pl.DataFrame) -> IntakeRefresh:
    """Re-run the ``on_intake`` rules as the night does (withheld over the night's statement
    gaps, merged into episodes) and re-settle only their exceptions in ``history``.

    ``txns``: the published ``core.transactions``; ``evidence``: every evidence item with
    ``received_on``; ``history``: ``land.exception_history``; ``gaps``: ``core.statement_gaps``;
    ``findings``: ``core.exception_periods``.
    """
    books = intake_books(as_of, policy, budgets, txns, evidence)
    intake_rules = [r for r in declared() if r.on_intake]
    found = judge(books, intake_rules, gaps=gaps)
    mine = pl.col("rule_code").is_in([r.code for r in intake_rules])
    settled = settle(found.exceptions, history.filter(mine), pl.DataFrame(), as_of)
    others = history.filter(~mine).select(settled.columns).cast(settled.schema)
    kept = findings.filter(~mine)
    periods = pl.concat([kept, found.findings.select(kept.columns).cast(kept.schema)]) if kept.width else found.findings
    return IntakeRefresh(pl.concat([others, settled]), books.returns, found.exceptions, periods)
