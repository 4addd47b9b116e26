"""Evidence returns and EVIDENCE_OVERDUE.

A return is due ``evidence_due_days`` after its period ends. It is received
when any manifest row names the budget and period. Items evidenced are the
period's transactions needing evidence that an evidence row references (by
the bank's id or the reference printed on the return).

Eligibility, as a children's short-break or mental-health budget depends on
it: ``ok`` while no return is overdue, ``at_risk`` with one overdue,
``lapsed`` when two consecutive returns are overdue.

Example: quarter 1 April–30 June, due 28 July. On 1 August nothing has come:
EVIDENCE_OVERDUE for that quarter, status at_risk; if the next quarter's
return is also missed by its due date, lapsed.
"""

from __future__ import annotations

import polars as pl

from pipelines.rules import Books, day, evidenced, flag, gbp
from pipelines.rules.registry import rule
from schemas.money import MONEY_DTYPE, ZERO
from schemas.warehouse import evidence_returns as evidence_returns_table

# core.evidence_returns, plus the money the period's outstanding items stand for
RETURN_SCHEMA = evidence_returns_table.polars_schema() | {"needs_total": MONEY_DTYPE}


def evidence_returns(books: Books) -> pl.DataFrame:
    received = (books.evidence.group_by("budget_id", pl.col("period").alias("period_start"))
                .agg(pl.col("received_on").min().alias("received_at")))
    needs = books.txns.filter(pl.col("needs_evidence").fill_null(False) & pl.col("period_start").is_not_null())
    needs = needs.with_columns(evidenced(books, needs))
    counts = needs.group_by("budget_id", "period_start").agg(
        pl.col("evidenced").sum().cast(pl.Int64).alias("items_evidenced"),
        (~pl.col("evidenced")).sum().cast(pl.Int64).alias("items_outstanding"),
        (-pl.col("amount")).sum().cast(MONEY_DTYPE).alias("needs_total"))
    due = (books.periods.filter(pl.col("closed")).select("budget_id", "period_no", "period_start", "period_end", "due_date")
           .join(received, on=["budget_id", "period_start"], how="left")
           .join(counts, on=["budget_id", "period_start"], how="left")
           .sort("budget_id", "period_no"))
    rows = []
    streak: dict[str, int] = {}
    for r in due.iter_rows(named=True):
        overdue = r["received_at"] is None and r["due_date"] < books.as_of
        streak[r["budget_id"]] = streak.get(r["budget_id"], 0) + 1 if overdue else 0
        s = streak[r["budget_id"]]
        rows.append(dict(
            budget_id=r["budget_id"], period_start=r["period_start"], period_end=r["period_end"],
            due_date=r["due_date"], received_at=r["received_at"], items_evidenced=r["items_evidenced"] or 0,
            items_outstanding=r["items_outstanding"] or 0,
            eligibility_status="ok" if s == 0 else ("at_risk" if s == 1 else "lapsed"),
            needs_total=r["needs_total"] or ZERO))
    return pl.DataFrame(rows, schema=RETURN_SCHEMA, orient="row") if rows else pl.DataFrame(schema=RETURN_SCHEMA)


@rule("EVIDENCE_OVERDUE", "medium",
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
