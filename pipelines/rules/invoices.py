"""Rules on invoices: rates above agreed, unpaid, and invoices paid twice.

Example (RATE_ABOVE_AGREED): Sunny Days invoices 4 nights at £110.00; the
plan line naming Sunny Days agreed £100.00 a night, so 4 × £10.00 = £40.00
more than agreed.

Example (INVOICE_UNPAID): invoice PA-7 for £200.00 due 1 May, £50.00 paid;
on 16 May, past the 14 days' grace, £150.00 is unpaid.

Example (DUPLICATE_PAYMENT, one invoice): invoice PA-0001 for £200.00 paid
by reference on 1 May and again on 20 May: £200.00 more than it was for.
"""

from __future__ import annotations

from datetime import timedelta

import polars as pl

from pipelines.periods import assign_period
from pipelines.rules import Books, day, flag, gbp
from pipelines.rules.registry import rule
from pipelines.rules.spending import duplicate_transfers


def _with_period(books: Books, frame: pl.DataFrame, date_col: str) -> pl.DataFrame:
    """Put each invoice in the monitoring period containing ``date_col`` (its own
    billing period columns would otherwise shadow the monitoring period's)."""
    frame = frame.drop([c for c in ("period_start", "period_end") if c in frame.columns])
    p = assign_period(frame, books.periods, date_col)
    return p.filter(pl.col("period_start").is_not_null()).join(
        books.periods.select("budget_id", "period_start", "period_end"), on=["budget_id", "period_start"])


@rule("RATE_ABOVE_AGREED", "medium", persists=True, sums=True,
      next_step="Contact the provider about the rate; ask for a credit note or agree a new rate.")
def rate_above_agreed(books: Books) -> list[dict]:
    plan_rate = (books.plan_lines.filter(pl.col("provider_id").is_not_null()).sort("line_id")
                 .unique(["budget_id", "provider_id"], keep="first")
                 .select("budget_id", "provider_id", pl.col("unit_rate").alias("plan_rate")))
    inv = (books.invoices.filter((pl.col("kind") == "invoice") & pl.col("unit_rate").is_not_null())
           .join(plan_rate, on=["budget_id", "provider_id"], how="left")
           .join(books.providers.select("provider_id", "agreed_rate", pl.col("name").alias("provider_name")),
                 on="provider_id", how="left")
           .with_columns(pl.coalesce("plan_rate", "agreed_rate").alias("agreed"))
           .filter(pl.col("agreed").is_not_null() & (pl.col("unit_rate") > pl.col("agreed"))))
    out = []
    for r in _with_period(books, inv, "issue_date").iter_rows(named=True):
        units = r["units"] if r["units"] is not None else 1
        extra = ((r["unit_rate"] - r["agreed"]) * units).quantize(r["unit_rate"])
        out.append(flag("RATE_ABOVE_AGREED", r["budget_id"], r["period_start"], r["period_end"], extra,
                        f"Invoice {r['invoice_id']} from {r['provider_name'] or r['provider_id']} charges"
                        f" {gbp(r['unit_rate'])} a unit for {units} unit(s); the agreed rate is {gbp(r['agreed'])},"
                        f" so {gbp(extra)} more than agreed.", [r["invoice_id"]], subject=r["invoice_id"],
                        episode=f"{r['provider_id']}|{r['unit_rate']}|{r['agreed']}"))
    return out


@rule("INVOICE_UNPAID", "medium", rests_on="to_run",
      next_step="Remind the family to pay the provider, or check with the provider whether it was paid another way.")
def invoice_unpaid(books: Books) -> list[dict]:
    grace = books.policy.unpaid_grace_days
    inv = books.invoices.filter(pl.col("kind") == "invoice").with_columns(
        (pl.col("amount") - pl.col("credited_amount").fill_null(0) - pl.col("paid_amount").fill_null(0)).alias("left"))
    # a payment naming only the provider pays its oldest bill first, so a payment on a missing
    # statement for an earlier bill would make this one look unpaid: the finding rests on every
    # statement since the provider's first bill to the budget (docs/rules.md §9)
    first_bill = books.invoices.filter(pl.col("kind") == "invoice").group_by("budget_id", "provider_id").agg(
        pl.col("issue_date").min().alias("first_bill"))
    inv = inv.filter((pl.col("left") > 0) & (pl.col("due_date") + timedelta(days=grace) < books.as_of)).join(
        first_bill, on=["budget_id", "provider_id"], how="left", nulls_equal=True)
    out = []
    for r in _with_period(books, inv, "due_date").iter_rows(named=True):
        out.append(dict(flag("INVOICE_UNPAID", r["budget_id"], r["period_start"], r["period_end"], r["left"],
                             f"Invoice {r['invoice_id']} for {gbp(r['amount'])} was due on {day(r['due_date'])};"
                             f" {gbp(r['left'])} of it has not been paid.", [r["invoice_id"]],
                             subject=r["invoice_id"]),
                        rests_from=min(d for d in (r["first_bill"], r["period_start"]) if d is not None)))
    return out


def invoice_paid_twice(books: Books) -> list[dict]:
    """Rule (a) of DUPLICATE_PAYMENT: payments to one invoice beyond its net amount."""
    if books.matches.height == 0:
        return []
    pays = books.matches.join(books.txns.select("account_id", "transaction_id", "date", pl.col("budget_id").alias("paid_from")),
                              on=["account_id", "transaction_id"])
    per = pays.sort("date").group_by("invoice_id").agg(
        pl.col("amount").sum().alias("paid_total"), pl.col("date").max().alias("last_paid"),
        pl.col("paid_from").last().alias("paid_from"), pl.col("transaction_id"))
    # the flag belongs to the budget and period of the payment that went too far
    # (after a renewal that is the new term, though the invoice was the old one's)
    inv = books.invoices.filter(pl.col("kind") == "invoice").join(per, on="invoice_id").with_columns(
        (pl.col("paid_total") - (pl.col("amount") - pl.col("credited_amount").fill_null(0))).alias("over"),
        pl.coalesce("paid_from", "budget_id").alias("budget_id"),
    ).filter(pl.col("over") > 0)
    out = []
    for r in _with_period(books, inv, "last_paid").iter_rows(named=True):
        out.append(flag("DUPLICATE_PAYMENT", r["budget_id"], r["period_start"], r["period_end"], r["over"],
                        f"Invoice {r['invoice_id']} for {gbp(r['amount'])} has been paid {gbp(r['paid_total'])}"
                        f" in {len(r['transaction_id'])} payment(s), the last on {day(r['last_paid'])}:"
                        f" {gbp(r['over'])} more than it was for.",
                        [r["invoice_id"], *r["transaction_id"]], subject=r["invoice_id"]))
    return out


@rule("DUPLICATE_PAYMENT", "high",
      next_step="Ask the provider or payee to refund the second payment, or confirm it paid for something else.")
def duplicate_payment(books: Books) -> list[dict]:
    """Both halves of DUPLICATE_PAYMENT: the same amount to one payee twice, and an invoice paid beyond its amount."""
    return duplicate_transfers(books) + invoice_paid_twice(books)
