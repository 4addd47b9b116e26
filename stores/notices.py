"""The recovery notices issued: an append-only ledger beside the warehouse.

Like ``returns_issued.jsonl`` for evidence returns, ``notices_issued.jsonl``
is input, not derived state: a rebuilt warehouse cannot make the council send
a notice twice. One line is one batch, written in one append (a line torn by
a crash is not a record, so a batch is recorded whole or not at all)::

    {"batch": "20260303-5f1c", "issued_on": "2026-03-03", "folder": "...", "staged": "...",
     "notices": [{"recovery_id": "R1A2B3C4D5E6F", "exception_id": "X...", "budget_id": "DP000011-1",
                  "amount": "120.00"}]}

A notice is issued once per recovery and amount: asking again for a changed
amount (after a reconsideration) is a new notice; the same amount never is.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import polars as pl

from stores.reviews import append_record, read_records

SCHEMA = {"recovery_id": pl.String, "exception_id": pl.String, "budget_id": pl.String, "amount": pl.Decimal(18, 2),
          "issued_on": pl.Date, "batch": pl.String}


def ledger_path(warehouse: Path) -> Path:
    return warehouse.with_name("notices_issued.jsonl")


def batches(warehouse: Path) -> list[dict]:
    """Every batch recorded (a line this store did not write is skipped)."""
    out = []
    for r in read_records(ledger_path(warehouse)):
        if isinstance(r, dict) and isinstance(r.get("notices"), list) and r.get("batch") and r.get("issued_on"):
            out.append(r)
    return out


def load(warehouse: Path) -> pl.DataFrame:
    """One row per notice issued: ``recovery_id, exception_id, budget_id, amount, issued_on, batch``."""
    rows = []
    for b in batches(warehouse):
        for n in b["notices"]:
            try:
                rows.append((n["recovery_id"], n.get("exception_id"), n.get("budget_id"), Decimal(n["amount"]),
                             date.fromisoformat(b["issued_on"]), b["batch"]))
            except (KeyError, TypeError, ValueError, ArithmeticError):
                continue
    return pl.DataFrame(rows, schema=SCHEMA, orient="row") if rows else pl.DataFrame(schema=SCHEMA)


def issued_keys(warehouse: Path) -> set[tuple[str, Decimal]]:
    return set(load(warehouse).select("recovery_id", "amount").iter_rows())


def record_batch(warehouse: Path, batch: dict) -> None:
    """The commit point of issuing: one line, on disk before this returns."""
    append_record(ledger_path(warehouse), batch)
