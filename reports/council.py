"""The council as the published warehouse has it: the one place letters, portal pages,
officers' reports and recovery notices get its name and contact details from.

The nightly run reads ``register/council.yaml`` and keeps it in ``core.council``
(audit view ``audit.council``); a warehouse published before that table existed,
or by a run whose inbox had no council.yaml, gives the defaults (or ``fallback``).

Example: with ``name: Northshire County Council`` and ``phone: 01234 567890`` in
council.yaml, ``council_of(con).contact_lines`` is ``["Phone: 01234 567890"]``
and every letter's heading reads "Northshire County Council".
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from schemas.council import Council


def council_of(con: duckdb.DuckDBPyConnection, fallback: Council | None = None) -> Council:
    """The council of this warehouse; ``fallback`` (else ``Council()``) when it has none recorded."""
    try:
        row = con.execute("SELECT details FROM audit.council LIMIT 1").fetchone()
    except duckdb.CatalogException:  # an older warehouse: no council table yet
        row = None
    if not row:
        return fallback or Council()
    return Council.model_validate_json(row[0])


def council_at(warehouse: Path, fallback: str | None = None) -> Council:
    """The council of a published warehouse file, opened read-only for the moment it takes;
    ``fallback`` names it when the file is missing or has none recorded."""
    default = Council(name=fallback) if fallback else None
    try:
        with duckdb.connect(str(warehouse), read_only=True) as con:
            return council_of(con, default)
    except duckdb.Error:  # no warehouse yet, or one being replaced this instant
        return default or Council()
