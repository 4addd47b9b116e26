"""Where each budget stands at the end of each monitoring period (docs/rules.md §4).

Example: a budget paid £1,200.00 every four weeks opens its first quarter at
£0.00, receives £3,600.00 from the council and £325.00 of contributions,
spends £3,100.00 and closes at £825.00; with one £200.00 agency invoice not
yet paid it holds (825.00 − 200.00) / 300.00 = 2.08 weeks of payments.
The statement arithmetic always closes: opening + council + contributions −
spent = closing, because every transaction is in exactly one of those.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import ROUND_HALF_EVEN, Decimal

import polars as pl

from schemas.money import MONEY_DTYPE, PENNY, ZERO, money
from schemas.warehouse import budget_positions as budget_positions_table


def weekly_payment(frequency: str, amount: Decimal) -> Decimal:
    if frequency == "weekly":
        return money(amount)
    if frequency == "four_weekly":
        return money(amount / 4)
    return money(amount * 12 / 52)


def opening_balances(lines: pl.DataFrame) -> dict[str, Decimal]:
    """Account → balance before its first transaction (0.00 unless a statement says otherwise)."""
    if "balance" not in lines.columns or lines.height == 0:
        return {}
    ordered = lines.select("account_id", "date", "seq", "amount", "balance").sort(["account_id", "date", "seq"]).with_columns(
        pl.col("amount").cum_sum().over("account_id").alias("__cum"))
    first = ordered.filter(pl.col("balance").is_not_null()).unique("account_id", keep="first", maintain_order=True)
    return {a: b - c for a, b, c in first.select("account_id", "balance", "__cum").iter_rows()}


def balances_at(txns: pl.DataFrame, queries: pl.DataFrame, opening: dict[str, Decimal]) -> pl.DataFrame:
    """End-of-day balance for each (account_id, date) in ``queries`` → column ``balance_at``."""
    daily = (txns.group_by("account_id", "date").agg(pl.col("amount").sum())
             .sort("account_id", "date")
             .with_columns(pl.col("amount").cum_sum().over("account_id").alias("cum")).drop("amount"))
    q = queries.with_row_index("__q").sort("date")
    j = q.join_asof(daily.sort("date"), on="date", by="account_id", strategy="backward",
                    check_sortedness=False).sort("__q")
    open_col = pl.Series([opening.get(a, ZERO) for a in j["account_id"].to_list()], dtype=MONEY_DTYPE)
    return j.with_columns((pl.col("cum").fill_null(0).cast(MONEY_DTYPE) + open_col).alias("balance_at")).drop("cum", "__q")


def owed_at(invoices: pl.DataFrame, matches: pl.DataFrame, txns: pl.DataFrame, periods: pl.DataFrame) -> pl.DataFrame:
    """Per (budget, period): invoices issued by the period end, net of credits, less payments made by then."""
    if invoices.height == 0:
        return periods.select("budget_id", "period_start", pl.lit(ZERO, MONEY_DTYPE).alias("owed"))
    inv = invoices.filter(pl.col("kind") == "invoice").select(
        "invoice_id", "budget_id", "issue_date", "amount",
        pl.col("credited_amount").fill_null(0) if "credited_amount" in invoices.columns else pl.lit(ZERO).alias("credited_amount"))
    # the dates of the transactions that paid something (a semi join keyed on the matches): the
    # left join of the matches on the whole ledger keyed every transaction, +110 MiB at 5,000 accounts
    keys = ["account_id", "transaction_id"]
    paying = txns.select(*keys, pl.col("date").alias("paid_on")).join(matches.select(keys).unique(), on=keys,
                                                                         how="semi")
    pays = matches.join(paying, on=keys, how="left").select("invoice_id", "paid_on", "amount")
    grid = periods.select("budget_id", "period_start", "period_end").join(inv, on="budget_id").filter(
        pl.col("issue_date") <= pl.col("period_end"))
    paid = (grid.select("invoice_id", "period_start", "period_end")
            .join(pays, on="invoice_id").filter(pl.col("paid_on") <= pl.col("period_end"))
            .group_by("invoice_id", "period_start").agg(pl.col("amount").sum().alias("paid")))
    grid = grid.join(paid, on=["invoice_id", "period_start"], how="left").with_columns(
        (pl.col("amount") - pl.col("credited_amount") - pl.col("paid").fill_null(0)).alias("left"))
    grid = grid.with_columns(pl.when(pl.col("left") > 0).then(pl.col("left")).otherwise(0).alias("left"))
    return grid.group_by("budget_id", "period_start").agg(pl.col("left").sum().cast(MONEY_DTYPE).alias("owed"))


def budget_positions(
    budgets: pl.DataFrame,
    periods: pl.DataFrame,
    txns: pl.DataFrame,
    invoices: pl.DataFrame,
    matches: pl.DataFrame,
    opening: dict[str, Decimal],
) -> pl.DataFrame:
    """``txns`` carry budget_id, txn_class, period_start (see periods.assign_period)."""
    p = periods.join(budgets.select("budget_id", "account_id", "payment_frequency", "payment_amount",
                                    "weekly_contribution"), on="budget_id")
    # only the columns read below, then filtered: not a copy of every column of the ledger
    account_txns = txns.select("account_id", "date", "amount").filter(
        pl.col("account_id").is_in(budgets["account_id"].implode()))
    q_open = p.select("account_id", (pl.col("period_start") - timedelta(days=1)).alias("date"))
    q_close = p.select("account_id", pl.col("period_end").alias("date"))
    p = p.with_columns(
        balances_at(account_txns, q_open, opening)["balance_at"].alias("opening_balance"),
        balances_at(account_txns, q_close, opening)["balance_at"].alias("closing_balance"),
    )
    sums = (txns.select("budget_id", "period_start", "txn_class", "amount")
            .filter(pl.col("budget_id").is_not_null() & pl.col("period_start").is_not_null())
            .group_by("budget_id", "period_start")
            .agg(pl.col("amount").filter(pl.col("txn_class") == "council_payment").sum().alias("council_paid"),
                 pl.col("amount").filter(pl.col("txn_class") == "contribution").sum().alias("contributions_paid"),
                 (-pl.col("amount").filter(~pl.col("txn_class").is_in(["council_payment", "contribution"]))).sum()
                 .alias("spent")))
    p = p.join(sums, on=["budget_id", "period_start"], how="left").join(
        owed_at(invoices, matches, txns, periods), on=["budget_id", "period_start"], how="left")
    rows = []
    for r in p.iter_rows(named=True):
        weekly = weekly_payment(r["payment_frequency"], r["payment_amount"])
        closing, owed = r["closing_balance"], r["owed"] or ZERO
        rows.append(dict(
            budget_id=r["budget_id"], period_start=r["period_start"], period_end=r["period_end"],
            opening_balance=r["opening_balance"], council_paid=r["council_paid"] or ZERO,
            contributions_due=money(r["weekly_contribution"] * r["days"] / 7),
            contributions_paid=r["contributions_paid"] or ZERO, spent=r["spent"] or ZERO,
            closing_balance=closing, owed=owed,
            weeks_held=((closing - owed) / weekly).quantize(PENNY, rounding=ROUND_HALF_EVEN) if weekly else None,
        ))
    return pl.DataFrame(rows, schema=budget_positions_table.polars_schema())


def line_positions(budgets: pl.DataFrame, periods: pl.DataFrame, plan_lines: pl.DataFrame, txns: pl.DataFrame) -> pl.DataFrame:
    """Planned (pro rata over the term) and spent, per plan line and period."""
    term = budgets.select("budget_id", ((pl.col("end_date") - pl.col("start_date")).dt.total_days() + 1).alias("term_days"))
    grid = plan_lines.select("budget_id", "line_id", "outcome_domain", "category", "planned_amount", "weekly_units").join(
        periods.select("budget_id", "period_start", "period_end", "days", "closed"), on="budget_id").join(term, on="budget_id")
    spent = (txns.select("budget_id", "plan_line_id", "period_start", "amount")
             .filter(pl.col("plan_line_id").is_not_null() & pl.col("period_start").is_not_null())
             .group_by("budget_id", pl.col("plan_line_id").alias("line_id"), "period_start")
             .agg((-pl.col("amount")).sum().alias("spent")))
    grid = grid.join(spent, on=["budget_id", "line_id", "period_start"], how="left")
    planned = [money(a * d / t) for a, d, t in grid.select("planned_amount", "days", "term_days").iter_rows()]
    return grid.with_columns(
        pl.Series("planned", planned, dtype=MONEY_DTYPE),
        pl.col("spent").fill_null(0).cast(MONEY_DTYPE),
    ).sort("budget_id", "line_id", "period_start")
