"""UNEXPECTED_INCOME: money paid into the account that nobody agreed.

A direct-payment account holds only direct-payment money (for personal
health budgets the NHS regulations say so in terms). Money in is expected
when it is the council's payment, the person's contribution, an agreed
funder's (a payer matching ``expected_income_patterns``, such as an NHS
integrated care board jointly funding the plan), or a refund from a payee
the account has paid: its text matches the payee patterns of a provider the
account has paid, or contains, word for word, the normalised name of a
payee the account has paid. Anything else is raised, per payer and period.

Example: on 3 and 17 June "DWP PIP" pays £184.30 into the account, which
has never paid anyone of that name: £368.60 of the person's own benefits
is mixed with the direct payment. "REFUND SUNNY DAYS LTD" £42.00 is not
raised: the account paid Sunny Days Ltd in May. "NHS WEST YORKSHIRE ICB"
is not raised where the policy lists ``\\bICB\\b``.
"""

from __future__ import annotations

import polars as pl

from pipelines.payees import matches_any
from pipelines.payees import search_text as text_expr
from pipelines.rules import Books, flag, gbp, normalise_payee, payee_expr, span
from pipelines.rules.registry import rule


def _contains(text: str, name: str) -> bool:
    return bool(name) and f" {name} " in f" {text} "


def unexpected_credits(books: Books) -> pl.DataFrame:
    """Money in of class ``refund`` that is neither an agreed funder's nor a refund from a payee paid."""
    held = pl.col("account_id").is_not_null()  # filtered once each, not copied whole first: memory at scale
    credits = books.txns.filter(held & (pl.col("amount") > 0) & (pl.col("txn_class") == "refund") & pl.col("budget_id").is_not_null()
                          & pl.col("period_start").is_not_null() & (pl.col("date") <= books.as_of))
    if credits.height == 0:
        return credits.with_columns(pl.lit(None, pl.String).alias("who"))
    agreed = matches_any(credits.select(text_expr()).to_series(), books.policy.expected_income_patterns)
    credits = credits.filter(~agreed).with_columns(payee_expr().alias("who"))
    paid = books.txns.select("account_id", "amount", "pat_providers", "payee", "memo").filter(
        held & (pl.col("amount") < 0) & pl.col("account_id").is_in(credits["account_id"].implode()))
    paid_providers: dict[str, set[str]] = {}
    paid_names: dict[str, set[str]] = {}
    for a, pids, text in paid.select("account_id", "pat_providers", payee_expr()).iter_rows():
        paid_providers.setdefault(a, set()).update(pids or [])
        paid_names.setdefault(a, set()).add(normalise_payee(text))
    keep = []
    for a, pids, who in credits.select("account_id", "pat_providers", "who").iter_rows():
        refund = bool(set(pids or []) & paid_providers.get(a, set())) or any(
            _contains(who, n) for n in paid_names.get(a, set()))
        keep.append(not refund)
    return credits.filter(pl.Series(keep, dtype=pl.Boolean))


@rule("UNEXPECTED_INCOME", "medium", money="none",
      next_step="Ask the family what the money is; if it is not for the support plan, ask them to move it out of the account.")
def unexpected_income(books: Books) -> list[dict]:
    rows = unexpected_credits(books)
    if rows.height == 0:
        return []
    rows = rows.join(books.periods.select("budget_id", "period_start", "period_end"), on=["budget_id", "period_start"])
    out = []
    for (budget, start, who), g in rows.sort("date").group_by("budget_id", "period_start", "who", maintain_order=True):
        total = g["amount"].sum()
        name = who or "an unnamed payer"
        out.append(flag("UNEXPECTED_INCOME", budget, start, g["period_end"][0], total,
                        f"{gbp(total)} was paid into the account by {name} in {g.height} payment(s)"
                        f" {span(g['date'].min(), g['date'].max())}. A direct-payment account should hold only the"
                        f" council's payments, the agreed contribution, money from an agreed funder and refunds;"
                        f" please tell us what this money is.", g["transaction_id"].to_list(), subject=who))
    return out
