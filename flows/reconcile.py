"""Rebuild ``core`` from ``land``: thin I/O around pipelines/ledger.py.

Matching, positions, exception rules and evidence returns are stubs that
write empty tables until the reconciliation issue lands; the views exist.
"""

from __future__ import annotations

from datetime import date

import duckdb
import polars as pl

from flows.warehouse import read, replace_table
from pipelines.ledger import (
    attach_budgets,
    conform,
    current_invoices,
    dedupe_transactions,
    latest_file_rows,
)
from schemas.policy import Policy
from schemas.warehouse import CORE

FILE_ORDER = "SELECT file_id, seq FROM land.ingest_log WHERE status = 'accepted'"


def load_register(con: duckdb.DuckDBPyConnection) -> dict[str, pl.DataFrame]:
    order = read(con, FILE_ORDER)
    return {
        name: latest_file_rows(read(con, f"SELECT * FROM land.{name}"), order)  # noqa: S608
        for name in ("budgets", "plan_lines", "providers")
    }


def rebuild_core(con: duckdb.DuckDBPyConnection, as_of: date, policy: Policy) -> dict[str, int]:
    register = load_register(con)
    lines = read(con, "SELECT * FROM land.statement_lines")
    txns = attach_budgets(dedupe_transactions(lines), register["budgets"])
    replace_table(con, "core", CORE["transactions"], conform(txns, CORE["transactions"]))

    invoices = current_invoices(read(con, "SELECT * FROM land.invoice_lines"))
    invoices = invoices.with_columns(
        pl.lit(0).cast(pl.Decimal(18, 2)).alias("paid_amount"),
        pl.lit("unmatched").alias("payment_status"),
    )
    replace_table(con, "core", CORE["invoices"], conform(invoices, CORE["invoices"]))
    # STUB (reconciliation issue): matches, positions, evidence returns.
    for name in ("matches", "budget_positions", "line_positions", "evidence_returns"):
        replace_table(con, "core", CORE[name], CORE[name].empty())
    return {"transactions": txns.height, "invoices": invoices.height}


def raise_exceptions(con: duckdb.DuckDBPyConnection, as_of: date, policy: Policy) -> int:
    """STUB (reconciliation issue): the thirteen rules. Writes no exceptions yet."""
    replace_table(con, "core", CORE["exceptions"], CORE["exceptions"].empty())
    return 0
