"""Who to audit next: a risk score per budget, a tier, and when its next audit is due.

Councils audit a new direct payment 6 to 12 weeks after it starts, then
yearly, sooner when something looks wrong and lighter for a low-risk account
(statutory guidance asks for proportionate monitoring). The score adds
points, each with its reason in words (docs/rules.md §6):

====================================================  ======================
what                                                  points
====================================================  ======================
open exception, high / medium / low severity          10 / 5 / 2 each
  (evidence rules left out: the returns count below)
money at stake on those exceptions (rules.md §10)     1 per whole £500, ≤ 20
evidence return past due and not received             8 each
evidence return received after its due date           3 each
received return still missing evidence                3 each
closed period holding a surplus (weeks held above     3 each, ≤ 12
  ``surplus_weeks``)
recovery past its due date, not repaid                5 each
first audit's window passed with no audit             10
last audit longer ago than ``audit_interval_months``  5
new budget (its first audit window not yet passed)    5
====================================================  ======================

Tier: ``intensive`` from 30 points, ``standard`` from 10, else ``light touch``.

Next audit: never audited, it falls in the first-audit window
(``start + first_audit_weeks_min`` to ``start + first_audit_weeks_max``):
at the window's end for light touch, its middle for standard, its start for
intensive. After an audit: ``audit_interval_months`` later for light touch,
three quarters of that for standard, a quarter for intensive. A budget whose
term has ended has no next audit.

Worked example: a budget starting 1 April 2026, run on 20 April, nothing
flagged: new budget, 5 points, light touch; first audit window 13 May to
24 June; next audit due 24 June. Had it an open high exception of £1,200.00
(10 + 2 = 12 more points, 17 in all: standard), the audit comes forward to
the middle of the window, 3 June.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

import polars as pl

from pipelines.periods import add_months
from schemas.policy import Policy
from schemas.warehouse import audit_plan as audit_plan_table

SEVERITY_POINTS = {"high": 10, "medium": 5, "low": 2}
MONEY_STEP, MONEY_CAP = Decimal("500"), 20
RETURN_MISSING, RETURN_LATE, RETURN_INCOMPLETE = 8, 3, 3
SURPLUS_POINTS, SURPLUS_CAP = 3, 12
RECOVERY_OVERDUE = 5
FIRST_AUDIT_MISSED, AUDIT_STALE, NEW_BUDGET = 10, 5, 5
TIERS = ((30, "intensive"), (10, "standard"), (0, "light touch"))
EVIDENCE_RULES = ("EVIDENCE_OVERDUE", "EVIDENCE_INCOMPLETE")
SETTLED = ("resolved", "dismissed", "recovered", "written_off")  # an exception needing no more attention


def tier_of(score: int) -> str:
    return next(name for floor, name in TIERS if score >= floor)


def first_window(start: date, policy: Policy) -> tuple[date, date]:
    return (start + timedelta(weeks=policy.first_audit_weeks_min),
            start + timedelta(weeks=policy.first_audit_weeks_max))


def next_audit(start: date, end: date, last: date | None, tier: str, policy: Policy, as_of: date) -> date | None:
    if end < as_of:
        return None
    if last is None:
        lo, hi = first_window(start, policy)
        return {"light touch": hi, "standard": lo + timedelta(days=(hi - lo).days // 2), "intensive": lo}[tier]
    months = {"light touch": policy.audit_interval_months, "standard": policy.audit_interval_months * 3 // 4,
              "intensive": max(1, policy.audit_interval_months // 4)}[tier]
    return add_months(last, months)


def _gbp(v: Decimal) -> str:
    return f"£{v:,.2f}"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def audit_plan(budgets: pl.DataFrame, exceptions: pl.DataFrame, returns: pl.DataFrame, positions: pl.DataFrame,
               audits: pl.DataFrame, recoveries: pl.DataFrame, policy: Policy, as_of: date) -> pl.DataFrame:
    """``core.audit_plan``: one row per budget (see the module docstring for the formula)."""
    points: dict[str, list[tuple[int, str]]] = defaultdict(list)

    live = exceptions.filter(pl.col("budget_id").is_not_null() & ~pl.col("status").is_in(SETTLED)
                             & ~pl.col("rule_code").is_in(EVIDENCE_RULES))
    # money at stake as the report counts it (pipelines/stake.py, stored as ``at_stake``);
    # a frame without that column (a hand-made one) falls back to the amounts
    money = pl.col("at_stake" if "at_stake" in live.columns else "amount")
    severities = ("high", "medium", "low")
    per_budget = live.group_by("budget_id").agg(  # once for every budget, not a filter per budget
        *[(pl.col("severity") == sev).sum().alias(f"__{sev}") for sev in severities],
        money.filter(money > 0).alias("__stake"))
    for r in per_budget.iter_rows(named=True):
        budget_id = r["budget_id"]
        for sev in severities:
            if n := r[f"__{sev}"]:
                points[budget_id].append((n * SEVERITY_POINTS[sev], f"{_plural(n, f'open {sev}-severity exception')}"))
        at_stake = sum(r["__stake"], Decimal("0.00"))
        if at_stake >= MONEY_STEP:
            points[budget_id].append((min(MONEY_CAP, int(at_stake // MONEY_STEP)), f"{_gbp(at_stake)} at stake"))

    due = returns.filter(pl.col("due_date") < as_of)
    for budget_id, received, due_date, outstanding in due.select(
            "budget_id", "received_at", "due_date", "items_outstanding").iter_rows():
        if received is None:
            points[budget_id].append((RETURN_MISSING, f"evidence return due {due_date} not received"))
            continue
        if received > due_date:
            points[budget_id].append((RETURN_LATE, f"evidence return due {due_date} sent late ({received})"))
        if outstanding:
            points[budget_id].append((RETURN_INCOMPLETE, f"evidence return due {due_date} missing "
                                                         f"{_plural(outstanding, 'item')}"))

    surplus = positions.filter((pl.col("period_end") < as_of) & (pl.col("weeks_held") > policy.surplus_weeks))
    for budget_id, n in surplus.group_by("budget_id").len().iter_rows():
        points[budget_id].append((min(SURPLUS_CAP, SURPLUS_POINTS * n), f"surplus held in {_plural(n, 'period')}"))

    late = recoveries.filter(pl.col("status").is_in(["notified", "part_repaid"]) & pl.col("due_on").is_not_null()
                             & (pl.col("due_on") < as_of))
    for budget_id, n in late.group_by("budget_id").len().iter_rows():
        points[budget_id].append((RECOVERY_OVERDUE * n, f"{_plural(n, 'recovery')} overdue"
                                  .replace("recoverys", "recoveries")))

    last_audit = dict(audits.filter(pl.col("audited_on") <= as_of).group_by("budget_id")
                      .agg(pl.col("audited_on").max()).iter_rows())
    rows = []
    for b in budgets.sort("budget_id").iter_rows(named=True):
        bid, start, end = b["budget_id"], b["start_date"], b["end_date"]
        mine = list(points.get(bid, []))
        last = last_audit.get(bid)
        lo, hi = first_window(start, policy)
        if last is None and hi < as_of <= end:
            mine.append((FIRST_AUDIT_MISSED, f"no audit yet: the first was due by {hi}"))
        elif last is not None and add_months(last, policy.audit_interval_months) < as_of <= end:
            mine.append((AUDIT_STALE, f"last audit {last}, over {policy.audit_interval_months} months ago"))
        if last is None and start <= as_of <= hi:
            mine.append((NEW_BUDGET, f"new budget (started {start})"))
        score = sum(p for p, _ in mine)
        tier = tier_of(score)
        review = b.get("review_date") or add_months(start, policy.first_review_months)
        reasons = "; ".join(f"{why} (+{p})" for p, why in sorted(mine, key=lambda x: (-x[0], x[1])))
        rows.append(dict(budget_id=bid, risk_score=score, risk_reasons=reasons or "nothing of note",
                         last_audit=last, next_audit_due=next_audit(start, end, last, tier, policy, as_of),
                         review_due=review, tier=tier,
                         first_audit_from=lo if last is None else None, first_audit_by=hi if last is None else None))
    schema = audit_plan_table.polars_schema()
    return pl.DataFrame(rows, schema=schema, orient="row") if rows else pl.DataFrame(schema=schema)
