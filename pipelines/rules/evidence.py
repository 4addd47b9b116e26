"""Evidence returns and EVIDENCE_OVERDUE.

A return is due ``evidence_due_days`` after its period ends. It is received
when any manifest row names the budget and period. Items evidenced are the
period's transactions needing evidence that an evidence row references (by
the bank's id or the reference printed on the return).

A received return is *incomplete* once its due date has passed while more
than ``evidence_incomplete_share`` of the period's money needing evidence is
unevidenced (EVIDENCE_INCOMPLETE): referenced by no evidence item, less the
amounts the return states on items that name no transaction (a bank that
prints no ids leaves the family nothing to quote).

Eligibility, as a children's short-break or mental-health budget depends on
it: ``ok`` while no return is overdue or incomplete, ``at_risk`` with one
overdue or a return incomplete past its due date, ``lapsed`` when two
consecutive returns are overdue.

Example: quarter 1 April–30 June, due 28 July. On 1 August nothing has come:
EVIDENCE_OVERDUE for that quarter, status at_risk; if the next quarter's
return is also missed by its due date, lapsed.

Example (EVIDENCE_INCOMPLETE): the quarter's payments needing evidence come
to £2,000.00. The return, received 20 July, has timesheets for £1,300.00 of
wages; £700.00 is unevidenced on 29 July, 35% of £2,000.00, more than the
policy's 25%: EVIDENCE_INCOMPLETE for £700.00 and status at_risk.
"""

from __future__ import annotations

from decimal import Decimal

import polars as pl

from pipelines.rules import Books, day, evidenced, flag, gbp
from pipelines.rules.registry import rule
from schemas.money import MONEY_DTYPE
from schemas.warehouse import evidence_returns as evidence_returns_table

# core.evidence_returns, plus the money the period's outstanding items stand for
RETURN_SCHEMA = evidence_returns_table.polars_schema() | {
    "needs_total": MONEY_DTYPE, "unevidenced_total": MONEY_DTYPE, "unevidenced_ids": pl.List(pl.String)}


def evidence_returns(books: Books) -> pl.DataFrame:
    received = (books.evidence.group_by("budget_id", pl.col("period").alias("period_start"))
                .agg(pl.col("received_on").min().alias("received_at")))
    needs = books.txns.select(  # the columns read here, not a copy of every column (memory at scale)
        "budget_id", "period_start", "transaction_id", "evidence_ref", "amount", "needs_evidence",
    ).filter(pl.col("needs_evidence").fill_null(False) & pl.col("period_start").is_not_null())
    needs = needs.with_columns(evidenced(books, needs))
    counts = needs.group_by("budget_id", "period_start").agg(
        pl.col("evidenced").sum().cast(pl.Int64).alias("items_evidenced"),
        (~pl.col("evidenced")).sum().cast(pl.Int64).alias("items_outstanding"),
        (-pl.col("amount")).sum().cast(MONEY_DTYPE).alias("needs_total"),
        (-pl.col("amount").filter(~pl.col("evidenced"))).sum().cast(MONEY_DTYPE).alias("unevidenced_total"),
        pl.col("transaction_id").filter(~pl.col("evidenced")).alias("unevidenced_ids"))
    # an item naming no transaction (a bank that prints no ids) evidences the money it states
    described = (books.evidence.filter(pl.col("transaction_ref").is_null())
                 .group_by("budget_id", pl.col("period").alias("period_start"))
                 .agg(pl.col("amount").sum().cast(MONEY_DTYPE).alias("described")))
    due = (books.periods.filter(pl.col("closed")).select("budget_id", "period_no", "period_start", "period_end", "due_date")
           .join(received, on=["budget_id", "period_start"], how="left")
           .join(described, on=["budget_id", "period_start"], how="left")
           .join(counts, on=["budget_id", "period_start"], how="left")
           .sort("budget_id", "period_no"))
    rows = []
    streak: dict[str, int] = {}
    for r in due.iter_rows(named=True):
        overdue = r["received_at"] is None and r["due_date"] < books.as_of
        streak[r["budget_id"]] = streak.get(r["budget_id"], 0) + 1 if overdue else 0
        s = streak[r["budget_id"]]
        needs = r["needs_total"] or Decimal("0.00")
        loose = max(Decimal("0.00"), (r["unevidenced_total"] or Decimal("0.00")) - (r["described"] or Decimal("0.00")))
        incomplete = r["received_at"] is not None and r["due_date"] < books.as_of and is_incomplete(books, needs, loose)
        rows.append(dict(
            budget_id=r["budget_id"], period_start=r["period_start"], period_end=r["period_end"],
            due_date=r["due_date"], received_at=r["received_at"], items_evidenced=r["items_evidenced"] or 0,
            items_outstanding=r["items_outstanding"] or 0,
            eligibility_status="lapsed" if s >= 2 else ("at_risk" if s == 1 or incomplete else "ok"),
            needs_total=needs, unevidenced_total=loose, unevidenced_ids=r["unevidenced_ids"] or []))
    return pl.DataFrame(rows, schema=RETURN_SCHEMA, orient="row") if rows else pl.DataFrame(schema=RETURN_SCHEMA)


@rule("EVIDENCE_OVERDUE", "medium", rests_on="period", money="evidence",
      next_step="Remind the family to send the return; after a second missed return consider suspending the payments.", on_intake=True)
def evidence_overdue(books: Books) -> list[dict]:
    late = books.returns.filter(pl.col("received_at").is_null() & (pl.col("due_date") < books.as_of))
    out = []
    for r in late.iter_rows(named=True):
        out.append(flag("EVIDENCE_OVERDUE", r["budget_id"], r["period_start"], r["period_end"], r["needs_total"],
                        f"The evidence return for {day(r['period_start'])} to {day(r['period_end'])} was due on"
                        f" {day(r['due_date'])} and has not arrived. {r['items_outstanding']} payment(s) totalling"
                        f" {gbp(r['needs_total'])} need receipts, timesheets or an explanation."
                        + (" Eligibility has lapsed." if r["eligibility_status"] == "lapsed" else "")))
    return out


def is_incomplete(books: Books, needs: Decimal, loose: Decimal) -> bool:
    """More than the policy's share of the money needing evidence is unevidenced."""
    return needs > 0 and loose > books.policy.evidence_incomplete_share * needs


@rule("EVIDENCE_INCOMPLETE", "medium", money="evidence",
      next_step="Write to the family listing the payments still without receipts or timesheets; recover what stays unexplained.",
      on_intake=True)
def evidence_incomplete(books: Books) -> list[dict]:
    got = books.returns.filter(pl.col("received_at").is_not_null() & (pl.col("due_date") < books.as_of))
    out = []
    share = books.policy.evidence_incomplete_share
    for r in got.iter_rows(named=True):
        if not is_incomplete(books, r["needs_total"], r["unevidenced_total"]):
            continue
        out.append(flag("EVIDENCE_INCOMPLETE", r["budget_id"], r["period_start"], r["period_end"], r["unevidenced_total"],
                        f"The evidence return for {day(r['period_start'])} to {day(r['period_end'])} arrived, but"
                        f" {r['items_outstanding']} payment(s) totalling {gbp(r['unevidenced_total'])} of the"
                        f" {gbp(r['needs_total'])} needing evidence have no receipt, timesheet or explanation: more"
                        f" than the {share:.0%} allowed. Please send evidence for them.", r["unevidenced_ids"]))
    return out
