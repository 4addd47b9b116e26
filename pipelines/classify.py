"""What each transaction is, and which plan line it serves (docs/rules.md §3).

Classes, tested in order on payee + memo and the MCC: ``council_payment``,
``contribution``, ``refund`` (other money in), ``cash``, ``repayment``
(money paid back to the council: its payee patterns on money out, council
tax excepted, which is a personal bill), ``statutory`` (HMRC on PA wages,
and workplace-pension contributions: payees matching
``pension_payee_patterns``), ``spend``.

Categorisation, first that applies: the invoice it pays → the line naming
that provider (else the line of the invoice's category); the provider whose
payee pattern it matches → likewise; its MCC's category; HMRC → the
employer-costs line, else the PA line.

Example: "C TAYLOR WAGES" −£150.00 on budget B001 matches provider PA01's
pattern ``C TAYLOR``; B001's line L1 names PA01, so the £150.00 is spending
on L1 (personal_assistant, daily_living). A −£12.50 card purchase with MCC
5814 (fast food) maps to social_activity → line L2.
"""

from __future__ import annotations

import polars as pl

from pipelines.payees import matches_any, payee_providers, search_text
from schemas.policy import Policy

COUNCIL_TAX = r"\bcouncil\s*tax\b"  # a personal bill, not money paid back to the council
NO_EVIDENCE_CLASSES = ("statutory", "repayment")  # money to HMRC or back to the council: no receipt to ask for


def classify_transactions(txns: pl.DataFrame, policy: Policy) -> pl.DataFrame:
    text = txns.select(search_text()).to_series()
    hits = {name: matches_any(text, getattr(policy, f"{name}_payee_patterns"))
            for name in ("council", "contribution", "cash", "statutory")}
    # a workplace-pension contribution is an employer's duty like PAYE, not a purchase
    hits["statutory"] = hits["statutory"] | matches_any(text, policy.pension_payee_patterns)
    mcc = pl.col("mcc").fill_null("")
    trntype = pl.col("trntype").fill_null("").str.to_uppercase()
    inflow = pl.col("amount") > 0
    cls = (
        pl.when(inflow & hits["council"]).then(pl.lit("council_payment"))
        .when(inflow & hits["contribution"]).then(pl.lit("contribution"))
        .when(inflow).then(pl.lit("refund"))
        .when(mcc.is_in(policy.cash_mccs) | (trntype == "ATM") | hits["cash"]).then(pl.lit("cash"))
        .when(hits["council"] & ~matches_any(text, [COUNCIL_TAX])).then(pl.lit("repayment"))
        .when(hits["statutory"]).then(pl.lit("statutory"))
        .when(pl.col("amount") < 0).then(pl.lit("spend"))
        .otherwise(pl.lit("zero"))
    )
    return txns.with_columns(cls.alias("txn_class"))


CATEGORISE_SLICE = 100_000  # transactions categorised at once
# the columns categorise adds (after the transactions' own, in this order)
CATEGORISE_ADDS = ("invoice_id", "pat_providers", "provider_id", "category", "plan_line_id", "needs_evidence")


def mcc_category(policy: Policy) -> pl.DataFrame:
    rows = [(code, cat) for cat, codes in policy.mcc_categories.items() for code in codes]
    return pl.DataFrame(rows, schema={"mcc": pl.String, "mcc_category": pl.String}, orient="row").unique(
        "mcc", keep="first", maintain_order=True)


def categorise(
    txns: pl.DataFrame,
    matches: pl.DataFrame,
    invoices: pl.DataFrame,
    providers: pl.DataFrame,
    plan_lines: pl.DataFrame,
    policy: Policy,
) -> pl.DataFrame:
    """Add provider_id, invoice_id, category, plan_line_id and needs_evidence."""
    # (1) the invoice it pays (the largest share; ties by invoice id)
    paid = (
        matches.join(invoices.select("invoice_id", "provider_id", pl.col("category").alias("inv_category")),
                     on="invoice_id", how="left")
        .sort(["amount", "invoice_id"], descending=[True, False])
        .unique(["account_id", "transaction_id"], keep="first")
        .select("account_id", "transaction_id", "invoice_id", pl.col("provider_id").alias("inv_provider"), "inv_category")
    )
    kept = txns.drop([c for c in CATEGORISE_ADDS if c in txns.columns])
    texts = _text_patterns(kept, providers)
    # Each row's answer rests on its own columns and these tables alone: worked out a slice
    # of the ledger at a time, on the columns read, and put beside the others at the end.
    # Joined whole, every join copied every column of the ledger (some 200 MiB at 5,000
    # accounts), and the working columns of the whole ledger at once were some 250 MiB.
    added = pl.concat([_categorised(kept.slice(start, CATEGORISE_SLICE), paid, texts, providers, plan_lines, policy)
                       for start in range(0, max(kept.height, 1), CATEGORISE_SLICE)])
    return kept.hstack(added.get_columns())


def _text_patterns(txns: pl.DataFrame, providers: pl.DataFrame) -> pl.DataFrame:
    """(2) payee patterns: ``__text`` → ``pat_providers``, once per distinct text of the ledger."""
    texts = txns.select(search_text().alias("__text")).unique()
    return texts.with_columns(payee_providers(texts["__text"], providers).alias("pat_providers"))


def with_patterns(txns: pl.DataFrame, providers: pl.DataFrame) -> pl.DataFrame:
    """``txns`` with ``pat_providers`` (the providers whose payee patterns each names) worked out
    again for every row, as :func:`categorise` works it out, in place of the column it has."""
    found = txns.select(search_text().alias("__text")).join(
        _text_patterns(txns, providers), on="__text", how="left", maintain_order="left")["pat_providers"]
    return txns.with_columns(found)


def _categorised(rows: pl.DataFrame, paid: pl.DataFrame, texts: pl.DataFrame, providers: pl.DataFrame,
                 plan_lines: pl.DataFrame, policy: Policy) -> pl.DataFrame:
    """:data:`CATEGORISE_ADDS` for ``rows``, row for row."""
    out = rows.select("account_id", "transaction_id", "budget_id", "mcc", "amount", "txn_class",
                      search_text().alias("__text"))

    def look(on: list[str], table: pl.DataFrame, nulls_equal: bool = False) -> list[pl.Series]:
        """``table``'s other columns for each row (``table`` holds each key once): only the
        key columns are joined, not every column of ``out``."""
        return out.select(on).join(table, on=on, how="left", maintain_order="left",
                                   nulls_equal=nulls_equal).drop(on).get_columns()

    out = out.hstack(look(["account_id", "transaction_id"], paid)).hstack(look(["__text"], texts))
    # of several providers a text matches, the one the budget's plan names, else the lowest id
    named = plan_lines.filter(pl.col("provider_id").is_not_null()).select(
        "budget_id", pl.col("provider_id").alias("__pid"), pl.lit(True).alias("__named")).unique()
    choice = (out.select("budget_id", "__text", "pat_providers").unique(["budget_id", "__text"])
              .explode("pat_providers").rename({"pat_providers": "__pid"}).drop_nulls("__pid")
              .join(named, on=["budget_id", "__pid"], how="left")
              .sort(["budget_id", "__text", "__named", "__pid"], descending=[False, False, True, False], nulls_last=True)
              .unique(["budget_id", "__text"], keep="first", maintain_order=True)
              .select("budget_id", "__text", pl.col("__pid").alias("pat_provider")))
    out = out.hstack(look(["budget_id", "__text"], choice, nulls_equal=True))
    prov_cat = providers.select(pl.col("provider_id").alias("pat_provider"), pl.col("category").alias("pat_category"))
    out = out.hstack(look(["pat_provider"], prov_cat)).hstack(look(["mcc"], mcc_category(policy)))
    outgoing = pl.col("amount") < 0
    out = out.with_columns(
        pl.when(outgoing).then(pl.coalesce("inv_provider", "pat_provider")).alias("provider_id"),
        pl.when(outgoing).then(
            pl.when(pl.col("inv_provider").is_not_null()).then(pl.col("inv_category"))
            .when(pl.col("pat_provider").is_not_null()).then(pl.col("pat_category"))
            .when(pl.col("mcc_category").is_not_null()).then(pl.col("mcc_category"))
            .when(pl.col("txn_class") == "statutory").then(pl.lit("employer_costs"))
        ).alias("category"),
    )
    # plan line: by named provider, else by category (lowest line_id), statutory → PA line fallback
    by_provider = (plan_lines.filter(pl.col("provider_id").is_not_null()).sort("line_id")
                   .unique(["budget_id", "provider_id"], keep="first")
                   .select("budget_id", "provider_id", pl.col("line_id").alias("line_by_provider"),
                           pl.col("category").alias("line_provider_category")))
    by_category = (plan_lines.sort("line_id").unique(["budget_id", "category"], keep="first")
                   .select("budget_id", "category", pl.col("line_id").alias("line_by_category")))
    pa_line = (plan_lines.filter(pl.col("category") == "personal_assistant").sort("line_id")
               .unique("budget_id", keep="first").select("budget_id", pl.col("line_id").alias("line_pa")))
    out = (out.hstack(look(["budget_id", "provider_id"], by_provider))
           .hstack(look(["budget_id", "category"], by_category))
           .hstack(look(["budget_id"], pa_line)))
    return out.select(
        "invoice_id",
        "pat_providers",
        "provider_id",
        pl.when(pl.col("line_by_provider").is_not_null()).then(pl.col("line_provider_category"))
        .otherwise(pl.col("category")).alias("category"),
        pl.when(outgoing).then(
            pl.coalesce(
                "line_by_provider",
                "line_by_category",
                pl.when(pl.col("txn_class") == "statutory").then(pl.col("line_pa")),
            )
        ).alias("plan_line_id"),
        (outgoing & pl.col("invoice_id").is_null() & ~pl.col("txn_class").is_in(NO_EVIDENCE_CLASSES))
        .alias("needs_evidence"),
    )
