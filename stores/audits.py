"""Audits officers have done: an append-only store outside the warehouse.

Like the officers' decisions (``stores/reviews.py``), an audit done is input,
not derived state: a rebuilt warehouse must never forget one. Each is one JSON
line in ``audits.jsonl`` beside the warehouse. Every run loads them into
``core.audits``; a budget's ``last_audit`` in ``audit.audit_plan`` is its
latest one (docs/rules.md §6).

Example: ``dprecon review audit DP000011-1 --date 2026-03-02 --reviewer jsmith``
appends ``{"budget_id": "DP000011-1", "audited_on": "2026-03-02", ...}``; the
budget's next audit is then counted from 2 March 2026.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import polars as pl

from schemas.warehouse import audits as audits_table
from stores.reviews import append_record, read_records


def store_path(warehouse: Path) -> Path:
    return warehouse.with_name("audits.jsonl")


def record(warehouse: Path, budget_id: str, audited_on: date, reviewer: str, note: str | None = None,
           today: date | None = None, now: datetime | None = None) -> dict:
    """Append one audit done. An audit cannot be dated after today (it has not happened yet)."""
    if not budget_id.strip() or not reviewer.strip():
        raise ValueError("an audit needs the budget id and who did it")
    if today is not None and audited_on > today:
        raise ValueError(f"an audit on {audited_on.isoformat()} is in the future: record it once it is done")
    rec = dict(budget_id=budget_id, audited_on=audited_on.isoformat(), reviewer=reviewer, note=note,
               recorded_at=(now or datetime.now()).isoformat(timespec="seconds"))
    append_record(store_path(warehouse), rec)
    return rec


def load(warehouse: Path) -> pl.DataFrame:
    """Every audit recorded, as ``core.audits`` holds them (a line this store did not write is skipped)."""
    rows = []
    for r in read_records(store_path(warehouse)):
        try:
            rows.append(dict(budget_id=str(r["budget_id"]), audited_on=date.fromisoformat(r["audited_on"]),
                             reviewer=str(r["reviewer"]), note=r.get("note"),
                             recorded_at=datetime.fromisoformat(r["recorded_at"])))
        except (KeyError, TypeError, ValueError):
            continue
    schema = audits_table.polars_schema()
    return pl.DataFrame(rows, schema=schema, orient="row") if rows else pl.DataFrame(schema=schema)
