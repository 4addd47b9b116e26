"""Rules on what the money was spent on.

Example (UNAPPROVED_PAYEE): £415.00 paid by transfer to "M MILLER" on
15 June, 15 July and 15 August. No provider's payee pattern matches M MILLER,
so £1,245.00 was paid to someone neither in the support plan nor on the
approved register.

Example (INELIGIBLE_SPEND): £25.00 at a betting merchant (MCC 7995) and
£40.00 to "WILLIAM HILL 0421" in one quarter: £65.00 of ineligible spending.

Example (CASH_WITHDRAWAL): £50.00 and £30.00 taken out in cash; receipts
came for the £30.00 only and the return is past due: £50.00 beyond the £0.00
allowance.

Example (OUTSIDE_TERM): £60.00 and £35.00 spent on 20 and 25 March, before
the budget started on 1 April: £95.00 outside the term.

Example (DUPLICATE_PAYMENT, same payee): £85.00 to ACME GARDENS on 4 May
and again on 6 May, fewer than 3 days apart: £85.00 paid twice.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import polars as pl

from pipelines.payees import matches_any, payee_expr, search_text
from pipelines.rules import Books, day, evidenced, flag, gbp, span
from pipelines.rules.registry import rule
from schemas.money import ZERO

# what the rules below read of a payment out: a copy of these, not of every column (memory at scale);
# the evidence intake's books (core.transactions as published) lack the match-time pat_providers
OUT_COLUMNS = ("account_id", "transaction_id", "budget_id", "period_start", "date", "amount", "payee", "memo", "mcc",
               "txn_class", "invoice_id", "pat_providers", "evidence_ref")


def _out(books: Books) -> pl.DataFrame:
    return books.txns.select(c for c in OUT_COLUMNS if c in books.txns.columns).filter((pl.col("amount") < 0) & (pl.col("date") <= books.as_of))


def _in_periods(books: Books, frame: pl.DataFrame) -> pl.DataFrame:
    return frame.filter(pl.col("budget_id").is_not_null() & pl.col("period_start").is_not_null()).join(
        books.periods.select("budget_id", "period_start", "period_end", "due_date", "closed"),
        on=["budget_id", "period_start"])


def _total(rows: pl.DataFrame) -> Decimal:
    return -rows["amount"].sum()


@rule("INELIGIBLE_SPEND", "high",
      next_step="Ask the family to explain the payments; if they were not for agreed support, recover the money.")
def ineligible_spend(books: Books) -> list[dict]:
    pol = books.policy
    out_txns = _out(books)
    named = matches_any(out_txns.select(search_text()).to_series(), pol.ineligible_payee_patterns)
    hits = _in_periods(books, out_txns.filter(pl.col("mcc").is_in(pol.ineligible_mccs) | named))
    out = []
    for (budget, start), g in hits.group_by("budget_id", "period_start", maintain_order=True):
        payees = ", ".join(sorted({p or "(no name)" for p in g["payee"].to_list()}))
        out.append(flag("INELIGIBLE_SPEND", budget, start, g["period_end"][0], _total(g),
                        f"{gbp(_total(g))} was spent in {g.height} transaction(s) {span(g['date'].min(), g['date'].max())}"
                        f" at {payees}: gambling, alcohol, tobacco or similar spending is not allowed from a direct payment.",
                        g["transaction_id"].to_list()))
    return out


@rule("CASH_WITHDRAWAL", "high",
      next_step="Ask for receipts for the cash; recover what cannot be accounted for.", on_intake=True)
def cash_withdrawal(books: Books) -> list[dict]:
    received = set(books.evidence.select("budget_id", "period").unique().iter_rows())
    cash = _in_periods(books, _out(books).filter(pl.col("txn_class") == "cash"))
    cash = cash.with_columns(evidenced(books, cash))  # once for all: per group it was quadratic
    out = []
    allowance = books.policy.cash_allowance_per_period
    for (budget, start), g in cash.group_by("budget_id", "period_start", maintain_order=True):
        if not (g["due_date"][0] < books.as_of or (budget, start) in received):
            continue  # the family still has time to send receipts
        plain = g.filter(~pl.col("evidenced"))
        excess = (_total(plain) if plain.height else ZERO) - allowance
        if excess > 0:
            out.append(flag("CASH_WITHDRAWAL", budget, start, g["period_end"][0], excess,
                            f"{gbp(_total(plain))} was taken out in cash {span(plain['date'].min(), plain['date'].max())}"
                            f" with no receipts sent; the allowance without evidence is {gbp(allowance)} a period.",
                            plain["transaction_id"].to_list()))
    return out


@rule("UNAPPROVED_PAYEE", "high",
      next_step="Find out who was paid and for what; approve the payee or recover the money.")
def unapproved_payee(books: Books) -> list[dict]:
    rows = unapproved_rows(books)
    out = []
    for (budget, start, who), g in rows.group_by("budget_id", "period_start", "who", maintain_order=True):
        name = who or "an unnamed payee"
        out.append(flag("UNAPPROVED_PAYEE", budget, start, g["period_end"][0], _total(g),
                        f"{gbp(_total(g))} was paid to {name} in {g.height} transfer(s) "
                        f"{span(g['date'].min(), g['date'].max())}; {name} is not in the support plan or on the"
                        f" approved register.", g["transaction_id"].to_list(), subject=who))
    return out


def unapproved_rows(books: Books) -> pl.DataFrame:
    """Payments out (no MCC, not cash, statutory or a repayment, paying no matched invoice) to a payee
    matching no provider that is approved or named by the budget's plan; ``who`` is the
    normalised payee. UNAPPROVED_PAYEE and RELATED_PAYEE both read them."""
    allowed_any = set(books.providers.filter(pl.col("approved"))["provider_id"].to_list())
    named = set(books.plan_lines.filter(pl.col("provider_id").is_not_null()).select("budget_id", "provider_id").iter_rows())
    rows = _out(books).filter(pl.col("mcc").is_null() & ~pl.col("txn_class").is_in(["cash", "statutory", "repayment"])
                              & pl.col("invoice_id").is_null())
    rows = _in_periods(books, rows).with_columns(payee_expr().alias("who"))
    # any provider the text matches will do: names collide across a large register
    keep = [not any(pid in allowed_any or (b, pid) in named for pid in (pids or []))
            for b, pids in rows.select("budget_id", "pat_providers").iter_rows()]
    return rows.filter(pl.Series(keep, dtype=pl.Boolean))


@rule("OUTSIDE_TERM", "high",
      next_step="Check whether the term should be extended; otherwise recover the spending outside it.")
def outside_term(books: Books) -> list[dict]:
    terms = books.budgets.select("budget_id", "account_id", "start_date", "end_date")
    loose = books.txns.filter(pl.col("budget_id").is_null() & (pl.col("amount") < 0) & (pl.col("date") <= books.as_of)
                              & pl.col("account_id").is_in(terms["account_id"].implode()))
    if loose.height == 0:
        return []
    cand = loose.select("transaction_id", "account_id", "date", "amount", "payee").join(terms, on="account_id")
    before = cand.filter(pl.col("end_date") < pl.col("date")).sort("end_date", descending=True).unique(
        ["account_id", "transaction_id"], keep="first").with_columns(pl.lit("after").alias("side"))
    after = cand.filter(pl.col("start_date") > pl.col("date")).join(
        before.select("account_id", "transaction_id"), on=["account_id", "transaction_id"], how="anti"
    ).sort("start_date").unique(["account_id", "transaction_id"], keep="first").with_columns(pl.lit("before").alias("side"))
    chosen = pl.concat([before, after])
    first = books.periods.sort("period_no").group_by("budget_id").agg(
        pl.col("period_start").first().alias("first_start"), pl.col("period_end").first().alias("first_end"),
        pl.col("period_start").last().alias("last_start"), pl.col("period_end").last().alias("last_end"))
    chosen = chosen.join(first, on="budget_id")
    out = []
    for (budget, side), g in chosen.group_by("budget_id", "side", maintain_order=True):
        start = g["last_start"][0] if side == "after" else g["first_start"][0]
        end = g["last_end"][0] if side == "after" else g["first_end"][0]
        edge: date = g["end_date"][0] if side == "after" else g["start_date"][0]
        words = f"after the budget ended on {day(edge)}" if side == "after" else f"before the budget started on {day(edge)}"
        out.append(flag("OUTSIDE_TERM", budget, start, end, _total(g),
                        f"{gbp(_total(g))} was spent in {g.height} transaction(s) {span(g['date'].min(), g['date'].max())},"
                        f" {words}.", g["transaction_id"].to_list(), subject=side))
    return out


def duplicate_transfers(books: Books) -> list[dict]:
    """Rule (b): the same amount to the same payee twice within the window."""
    window = books.policy.duplicate_window_days
    rows = _in_periods(books, _out(books).filter(pl.col("mcc").is_null() & ~pl.col("txn_class").is_in(["cash", "statutory", "repayment"])))
    rows = rows.with_columns(payee_expr().alias("who")).sort("budget_id", "who", "amount", "date", "transaction_id")
    rows = rows.with_columns(
        pl.col("date").shift(1).over("budget_id", "who", "amount").alias("prev_date"),
        pl.col("transaction_id").shift(1).over("budget_id", "who", "amount").alias("prev_id"),
    ).filter(pl.col("prev_date").is_not_null() & ((pl.col("date") - pl.col("prev_date")).dt.total_days() < window))
    # two payments that each settle their own invoice are not one paid twice
    settles: dict[tuple[str, str], set[str]] = {}
    for a, t, i in books.matches.select("account_id", "transaction_id", "invoice_id").iter_rows():
        settles.setdefault((a, t), set()).add(i)
    out = []
    for r in rows.iter_rows(named=True):
        mine, theirs = settles.get((r["account_id"], r["transaction_id"])), settles.get((r["account_id"], r["prev_id"]))
        if mine and theirs and not mine & theirs:
            continue
        who = r["who"] or "an unnamed payee"
        out.append(flag("DUPLICATE_PAYMENT", r["budget_id"], r["period_start"], r["period_end"], -r["amount"],
                        f"{gbp(-r['amount'])} was paid to {who} on {day(r['prev_date'])} and again on {day(r['date'])}:"
                        f" this looks like the same payment made twice.",
                        [r["prev_id"], r["transaction_id"]], subject=f"{who}|{r['date']}"))
    return out
