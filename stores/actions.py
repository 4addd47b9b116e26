"""What officers did in the workspace, beyond decisions: an append-only record beside the warehouse.

Decisions on exceptions go to the decisions store (``reviews.jsonl``, shown in
``audit.reviews``); every other action (a portal code reissued, a sign-in lock
lifted, an evidence file downloaded) is one JSON line in
``office_actions.jsonl`` beside it, never in the rebuilt warehouse:
``{"at": "2026-04-02T09:14:03+00:00", "officer": "jsmith", "action": "reissue_code",
"budget_id": "DP000011-1", "detail": "return from 2026-01-01"}``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from stores.reviews import append_record, read_records

ACTIONS = ("reissue_code", "lift_lock", "download_evidence", "decide")


def store_path(warehouse: Path) -> Path:
    return warehouse.with_name("office_actions.jsonl")


def record(warehouse: Path, officer: str, action: str, budget_id: str | None = None,
           exception_id: str | None = None, detail: str | None = None, now: datetime | None = None) -> dict:
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}")
    entry = dict(at=(now or datetime.now(UTC)).isoformat(), officer=officer, action=action, budget_id=budget_id,
                 exception_id=exception_id, detail=detail)
    append_record(store_path(warehouse), entry)
    return entry


def for_budget(warehouse: Path, budget_id: str) -> list[dict]:
    return [r for r in read_records(store_path(warehouse)) if r.get("budget_id") == budget_id]


def for_exception(warehouse: Path, exception_id: str) -> list[dict]:
    return [r for r in read_records(store_path(warehouse)) if r.get("exception_id") == exception_id]


def recent(warehouse: Path, limit: int = 50) -> list[dict]:
    return list(reversed(read_records(store_path(warehouse))))[:limit]
