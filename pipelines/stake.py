"""Money at stake: the one definition (docs/rules.md §10), so that no pound is counted twice.

Each exception still needing attention (not resolved, dismissed, recovered or
written off) gets an ``at_stake`` share; the report's headline, its by-rule
table, the Prefect artifact and the auditors' queries all add up that column.
How a rule's amount enters is declared with the rule (``money`` in the registry):

* ``own``: its own pounds (payments, invoices, arrears), counted as they are;
  a persisting condition is one exception whose amount is its size now, so a
  running total is counted once, not once per period;
* ``position``: readings of one budget's account against its budget
  (``SURPLUS_BALANCE``, ``OVERSPEND``): the account cannot both hold a surplus
  and be overspent in real money, so of one budget's open position exceptions
  only the largest counts;
* ``evidence``: a period's money waiting for evidence (``EVIDENCE_OVERDUE``):
  counted less what the same budget's other exceptions in that period already
  count (the cash, the unapproved payee and the gambling are among the payments
  waiting for receipts), never below £0.00;
* ``none``: no money of its own. ``UNDERSPEND_LINE``: the plan money not spent
  is either still in the account (and then inside any surplus) or was spent on
  something else (and then in the spending rules). ``STATEMENT_GAP`` of missing
  days: what the gap hides is unknown.

Example (one budget): SURPLUS_BALANCE £1,500.00, OVERSPEND £400.00,
UNDERSPEND_LINE £900.00, CASH_WITHDRAWAL £120.00 and EVIDENCE_OVERDUE £300.00
in the same quarter. Money at stake: 1,500.00 (the larger position) + 120.00 +
(300.00 − 120.00) = £1,800.00, not the £3,220.00 the amounts add up to.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

import polars as pl

from pipelines.rules.registry import RULES, declared

CLOSED = ("resolved", "dismissed", "recovered", "written_off")
ZERO = Decimal("0.00")


def needs_attention(status: str | None) -> bool:
    return status not in CLOSED


def money_at_stake(exceptions: pl.DataFrame) -> pl.DataFrame:
    """``exceptions`` with an ``at_stake`` column (Decimal(18,2)); 0.00 for an
    exception that no longer needs attention or whose money another counts."""
    declared()
    rows = exceptions.select("exception_id", "rule_code", "budget_id", "period_start", "period_end",
                             "amount", "status").to_dicts()
    share: dict[str, Decimal] = {}
    best: dict[str | None, dict] = {}
    for r in rows:
        kind = RULES[r["rule_code"]].money if r["rule_code"] in RULES else "own"
        live = needs_attention(r["status"]) and r["amount"] is not None
        share[r["exception_id"]] = abs(r["amount"]) if live and kind == "own" else ZERO
        if live and kind == "position":
            top = best.get(r["budget_id"])
            if top is None or (abs(r["amount"]), _rev(r["exception_id"])) > (abs(top["amount"]), _rev(top["exception_id"])):
                best[r["budget_id"]] = r
    for r in best.values():
        share[r["exception_id"]] = abs(r["amount"])
    counted: dict[str | None, list[dict]] = defaultdict(list)
    for r in rows:
        if share[r["exception_id"]] > 0:
            counted[r["budget_id"]].append(r)
    for r in rows:
        kind = RULES[r["rule_code"]].money if r["rule_code"] in RULES else "own"
        if kind != "evidence" or not needs_attention(r["status"]) or r["amount"] is None:
            continue
        inside = sum((share[o["exception_id"]] for o in counted[r["budget_id"]]
                      if RULES.get(o["rule_code"]) is not None and RULES[o["rule_code"]].money == "own"
                      and _within(o, r)), ZERO)
        share[r["exception_id"]] = max(abs(r["amount"]) - inside, ZERO)
    return exceptions.with_columns(
        pl.Series("at_stake", [share[i] for i in exceptions["exception_id"].to_list()], dtype=pl.Decimal(18, 2)))


def total_at_stake(exceptions: pl.DataFrame) -> Decimal:
    """The headline: the sum of every exception's share."""
    framed = exceptions if "at_stake" in exceptions.columns else money_at_stake(exceptions)
    return sum((v for v in framed["at_stake"].to_list() if v is not None), ZERO)


def _within(other: dict, evidence: dict) -> bool:
    """Is ``other``'s period inside the evidence exception's period?"""
    if other["period_start"] is None or evidence["period_start"] is None:
        return False
    return evidence["period_start"] <= other["period_start"] and (
        other["period_end"] is None or evidence["period_end"] is None or other["period_end"] <= evidence["period_end"])


def _rev(exception_id: str) -> tuple:
    # ties go to the lowest id: compare ids reversed so that max() prefers it
    return tuple(-ord(c) for c in exception_id)
