"""From landed rows to the ledger the reconciliation works on.

* The register is whatever the council sent last: the rows of the latest
  accepted file of each kind (``budgets.csv`` is replaced wholesale, not
  merged).
* A transaction is counted once however many statements carry it: the same
  ``(account_id, transaction_id)`` in an overlapping re-download is the same
  money. The first file that brought it keeps the lineage.
* An invoice id resent with different content is a new version; the latest
  version is the one that counts, earlier ones stay in ``land``.
* A transaction belongs to the budget of its account whose term covers its
  date (the later start wins if two do), see docs/rules.md §2.

Example: account 12345678 has budget B1 (2025-04-01 → 2026-03-31) and its
renewal B2 (2026-04-01 → 2027-03-31). A £40.00 payment on 2026-04-02 belongs
to B2; one on 2027-04-10 belongs to no term (``budget_id`` empty; the
``OUTSIDE_TERM`` rule attributes it to B2).
"""

from __future__ import annotations

import polars as pl

from schemas.core import Table


def latest_file_rows(frame: pl.DataFrame, file_order: pl.DataFrame) -> pl.DataFrame:
    """Rows of the most recently loaded file (``file_order``: file_id, seq)."""
    if frame.height == 0:
        return frame
    ranked = frame.join(file_order, on="file_id", how="left")
    last = ranked["seq"].max()
    return ranked.filter(pl.col("seq") == last).drop("seq")


def dedupe_transactions(lines: pl.DataFrame) -> pl.DataFrame:
    """One row per (account_id, transaction_id): the earliest loaded."""
    return lines.sort("seq").unique(["account_id", "transaction_id"], keep="first", maintain_order=True)


def attach_budgets(txns: pl.DataFrame, budgets: pl.DataFrame) -> pl.DataFrame:
    """Add ``budget_id``: the budget of the account whose term covers the date."""
    terms = budgets.select("budget_id", "account_id", "start_date", "end_date")
    if txns.height == 0 or terms.height == 0:
        return txns.with_columns(pl.lit(None, pl.String).alias("budget_id"))
    keyed = txns.with_row_index("__row")
    cand = (
        keyed.select("__row", "account_id", "date")
        .join(terms, on="account_id", how="inner")
        .filter((pl.col("date") >= pl.col("start_date")) & (pl.col("date") <= pl.col("end_date")))
        .sort(["__row", "start_date"], descending=[False, True])
        .unique("__row", keep="first")
        .select("__row", "budget_id")
    )
    return keyed.join(cand, on="__row", how="left").sort("__row").drop("__row")


def current_invoices(lines: pl.DataFrame) -> pl.DataFrame:
    """The latest version of each invoice id."""
    if lines.height == 0:
        return lines
    return lines.sort(["invoice_id", "version"]).unique("invoice_id", keep="last", maintain_order=True)


def conform(frame: pl.DataFrame, table: Table) -> pl.DataFrame:
    """Select and type exactly the declared columns (missing ones as nulls)."""
    missing = [c for c in table.names if c not in frame.columns]
    if missing:
        frame = frame.with_columns([pl.lit(None).alias(c) for c in missing])
    return frame.select(table.names).cast(table.polars_schema())
