"""LOW_BALANCE: an overdrawn account, or too little left at a period end.

Two tests, one exception per budget and monitoring period:

* **overdrawn**: the account's end-of-day balance is below £0.00 on any day
  of the period (the policy cannot switch this off: bills and wages are at
  risk);
* **low at the period end**: at the end of a closed period, the closing
  balance less the invoices still owed is below ``low_balance_weeks`` of the
  council's weekly payment.

The amount is what it would take to put the account right: the deeper of
the worst overdraft and the shortfall at the period end.

A balance is only judged on a day the statements let dprecon know it: a
statement gap (more than ``statement_gap_days`` uncovered) between the first
statement and that day leaves it unknown (contract §3), so a missing month
of council payments never reads as an overdraft.

Example: the council pays £300.00 a week; policy ``low_balance_weeks`` 1.
On 10 June, with £800.00 in the account, an £862.40 equipment payment leaves
it at −£62.40 until the council's one-off payment the next day: overdrawn by
£62.40. The quarter ends on 30 June with £480.00 in the account and £250.00
owed on an agency invoice: 480.00 − 250.00 = £230.00 is £70.00 short of one
week's £300.00. One exception for the quarter, amount £70.00 (the larger of
62.40 and 70.00). Had the payment been £796.90, £3.10 would have been left:
near the floor of 0.00 (the default policy) but not below it.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import polars as pl

from pipelines.positions import weekly_payment
from pipelines.rules import Books, day, flag, gbp
from pipelines.rules.registry import rule
from schemas.money import money

ZERO = Decimal("0.00")


def overdrawn_days(books: Books) -> pl.DataFrame:
    """Each (budget, period) with its deepest known end-of-day overdraft and the days overdrawn.

    A balance holds from a day with transactions until the next one, so an
    overdraft from 29 June to the council's payment on 2 July is also one on
    30 June and 1 July (and 1 July may open the next period)."""
    schema = {"budget_id": pl.String, "period_start": pl.Date, "worst": pl.Decimal(18, 2),
              "first_day": pl.Date, "last_day": pl.Date, "days": pl.Int64, "ids": pl.List(pl.String)}
    txns = books.txns.select("account_id", "date", "amount", "transaction_id").filter(
        pl.col("account_id").is_in(books.budgets["account_id"].implode()))
    if txns.height == 0:
        return pl.DataFrame(schema=schema)
    daily = (txns.sort("account_id", "date").group_by("account_id", "date", maintain_order=True)
             .agg(pl.col("amount").sum(), pl.col("transaction_id").filter(pl.col("amount") < 0))
             .with_columns(pl.col("amount").cum_sum().over("account_id").alias("cum"),
                           pl.col("date").shift(-1).over("account_id").alias("next_date")))
    open_col = pl.Series([books.opening.get(a, ZERO) for a in daily["account_id"].to_list()], dtype=pl.Decimal(18, 2))
    daily = daily.with_columns((pl.col("cum").cast(pl.Decimal(18, 2)) + open_col).alias("balance"))
    low = daily.filter((pl.col("balance") < 0) & (pl.col("date") < books.as_of))
    if low.height == 0:
        return pl.DataFrame(schema=schema)
    terms: dict[str, list[tuple[str, object, object]]] = {}
    for b, a, s, e in books.budgets.select("budget_id", "account_id", "start_date", "end_date").iter_rows():
        terms.setdefault(a, []).append((b, s, e))
    last_day = books.as_of - timedelta(days=1)
    hits: dict[tuple[str, object], dict] = {}
    for a, d, nxt, bal, ids in low.select("account_id", "date", "next_date", "balance", "transaction_id").iter_rows():
        until = min(nxt - timedelta(days=1), last_day) if nxt is not None else last_day
        for b, s, e in terms.get(a, []):
            for ps, pe in books.period_spans.get(b, []):
                x0, x1 = max(d, ps, s), min(until, pe, e)
                if x0 > x1 or not books.known.balance_known(a, x0):
                    continue
                h = hits.setdefault((b, ps), dict(worst=-bal, first_day=x0, last_day=x1, days=0, ids=[]))
                h["worst"] = max(h["worst"], -bal)
                h["first_day"], h["last_day"] = min(h["first_day"], x0), max(h["last_day"], x1)
                h["days"] += (x1 - x0).days + 1
                if x0 == d:
                    h["ids"].extend(ids)
    rows = [dict(budget_id=b, period_start=ps, **h) for (b, ps), h in hits.items()]
    return pl.DataFrame(rows, schema=schema, orient="row") if rows else pl.DataFrame(schema=schema)


@rule("LOW_BALANCE", "high", money="none",
      next_step="Contact the family at once: check wages and bills can be paid, and whether a payment is late or money went astray.")
def low_balance(books: Books) -> list[dict]:
    weeks = books.policy.low_balance_weeks
    found: dict[tuple[str, object], dict] = {}
    for r in overdrawn_days(books).iter_rows(named=True):
        found[(r["budget_id"], r["period_start"])] = dict(over=r, short=None)
    closed = books.positions.join(books.periods.select("budget_id", "period_start", "closed"),
                                  on=["budget_id", "period_start"]).filter(pl.col("closed")).join(
        books.budgets.select("budget_id", "account_id", "payment_frequency", "payment_amount"), on="budget_id")
    for r in closed.iter_rows(named=True):
        if not books.known.balance_known(r["account_id"], r["period_end"]):
            continue
        floor = money(weeks * weekly_payment(r["payment_frequency"], r["payment_amount"]))
        short = floor - (r["closing_balance"] - r["owed"])
        if short > 0:
            found.setdefault((r["budget_id"], r["period_start"]), dict(over=None))["short"] = (r, floor, short)
    out = []
    for (budget, start), f in sorted(found.items(), key=lambda kv: (kv[0][0], kv[0][1])):
        over, short = f["over"], f.get("short")
        spans = books.period_spans[budget]
        end = next(pe for ps, pe in spans if ps == start)
        words, amounts, ids = [], [], []
        if over is not None:
            amounts.append(over["worst"])
            ids = over["ids"]
            when = f"on {day(over['first_day'])}" if over["days"] == 1 else (
                f"for {over['days']} days between {day(over['first_day'])} and {day(over['last_day'])}")
            words.append(f"The account was overdrawn {when}, by as much as {gbp(over['worst'])} at the end of a day.")
        if short is not None:
            r, floor, gap = short
            amounts.append(gap)
            words.append(f"On {day(r['period_end'])} it held {gbp(r['closing_balance'])} with {gbp(r['owed'])} still owed"
                         f" to providers, leaving {gbp(r['closing_balance'] - r['owed'])}: {gbp(gap)} less than the"
                         f" {gbp(floor)} ({weeks} weeks of the council's payments) it should keep.")
        amount = max(amounts)
        words.append("Wages and bills may go unpaid.")
        out.append(flag("LOW_BALANCE", budget, start, end, amount, " ".join(words), ids))
    return out
