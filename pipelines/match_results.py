"""What matching hands back: the links (``core.matches``) and what each invoice still owes.

With ``owed = amount − credited − paid`` (payments only in ``paid``), an
invoice is ``paid`` when owed is £0.00, ``overpaid`` below it (a second
payment naming an invoice already paid), ``part_paid`` when something was
paid and something is owed, ``unpaid`` when nothing was paid; credit notes
are ``credited``, their ``credited_amount`` how much of the note found
invoices to reduce. Example: AC-1001 £200.00, credited £20.00, paid £180.00:
owed £0.00, ``paid``; paid £360.00 instead: owed −£180.00, ``overpaid``.
"""

from __future__ import annotations

from decimal import Decimal

import polars as pl

from pipelines.match_alloc import Book
from schemas.money import QUANTITY_DTYPE as CONFIDENCE_DTYPE
from schemas.money import from_pence, pence_expr
from schemas.warehouse import matches as matches_table


def matches_frame(book: Book, pays: pl.DataFrame, docs: pl.DataFrame) -> pl.DataFrame:
    schema = matches_table.polars_schema()
    if not book.rows:
        return pl.DataFrame(schema=schema)
    rows = pl.DataFrame(
        {
            "p": [r.p for r in book.rows],
            "i": [r.i for r in book.rows],
            "pence": [r.pence for r in book.rows],
            "method": [r.method for r in book.rows],
            "confidence": [Decimal(r.confidence) for r in book.rows],
        },
        schema={
            "p": pl.UInt32,
            "i": pl.UInt32,
            "pence": pl.Int64,
            "method": pl.String,
            "confidence": CONFIDENCE_DTYPE,
        },
    )
    return (
        rows.join(pays.select("p", "transaction_id", "account_id"), on="p")
        .join(docs.filter(pl.col("i").is_not_null()).select("i", "invoice_id"), on="i")
        .with_columns(from_pence(pl.col("pence")).alias("amount"))
        .select(list(schema))
        .cast(schema)
        .sort("transaction_id", "account_id", "invoice_id")
    )


def invoices_frame(
    book: Book, invoices: pl.DataFrame, docs: pl.DataFrame, credit_used: list[int]
) -> pl.DataFrame:
    invs = (
        docs.filter(pl.col("i").is_not_null())
        .select("__row")
        .with_columns(
            pl.Series("__credited", book.credited, dtype=pl.Int64),
            pl.Series("__paid", book.paid, dtype=pl.Int64),
        )
    )
    notes = (
        docs.filter(pl.col("is_credit"))
        .select("__row")
        .with_columns(
            pl.Series("__credited", credit_used, dtype=pl.Int64),
            pl.lit(0, pl.Int64).alias("__paid"),
        )
    )
    figures = pl.concat([invs, notes])
    owed = pence_expr("amount").fill_null(0) - pl.col("__credited") - pl.col("__paid")
    status = (
        pl.when(pl.col("kind") == "credit_note")
        .then(pl.lit("credited"))
        .when(owed < 0)
        .then(pl.lit("overpaid"))
        .when(owed == 0)
        .then(pl.lit("paid"))
        .when(pl.col("__paid") > 0)
        .then(pl.lit("part_paid"))
        .otherwise(pl.lit("unpaid"))
    )
    return (
        invoices.with_row_index("__row")
        .join(figures, on="__row", how="left", maintain_order="left")
        .with_columns(
            from_pence(pl.col("__credited")).alias("credited_amount"),
            from_pence(pl.col("__paid")).alias("paid_amount"),
            status.alias("payment_status"),
        )
        .drop("__row", "__credited", "__paid")
    )
