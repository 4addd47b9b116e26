"""Officers' decisions on exceptions: an append-only store outside the warehouse.

Decisions are input, not derived state: a rebuild of the warehouse must never
lose one. They live in ``reviews.jsonl`` beside the warehouse (one JSON object
per line, appended with a lock and fsync). Every run loads them into
``core.reviews`` and lets the latest decision set each exception's status;
``record_decision`` also refreshes the published warehouse straight away.
"""

from __future__ import annotations

import fcntl
import json
import os
from datetime import datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path

import polars as pl

from schemas.warehouse import reviews as reviews_table

DECISIONS = ("confirmed", "dismissed", "recovered", "referred", "recover", "written_off", "reconsidering")
# ``recover`` asks for money back (a recovery and its notice, docs/rules.md §7), with the amount asked;
# ``recovered`` records money already back. ``written_off`` and ``reconsidering`` end or pause a recovery
# (named as the recovery's status they give, as the other decisions are).
RECOVERY_METHODS = ("repay", "reduce_payments")


def store_path(warehouse: Path) -> Path:
    return warehouse.with_name("reviews.jsonl")


def load(warehouse: Path) -> pl.DataFrame:
    schema = reviews_table.polars_schema()
    rows = []
    for r in read_records(store_path(warehouse)):
        rows.append(dict(
            exception_id=r["exception_id"], reviewer=r["reviewer"],
            decided_at=datetime.fromisoformat(r["decided_at"]), decision=r["decision"], note=r.get("note"),
            amount_recovered=Decimal(r["amount_recovered"]) if r.get("amount_recovered") is not None else None,
            amount_asked=Decimal(r["amount_asked"]) if r.get("amount_asked") is not None else None,
            method=r.get("method")))
    return pl.DataFrame(rows, schema=schema, orient="row") if rows else pl.DataFrame(schema=schema)


def append(warehouse: Path, exception_id: str, reviewer: str, decision: str, note: str | None,
           amount_recovered: str | None, now: datetime | None = None, method: str | None = None) -> dict:
    """Record one decision. ``amount_recovered`` is the amount for ``recovered`` (money back) and
    for ``recover`` (money asked back); ``method`` (repay or reduce_payments) only with ``recover``,
    and when left out the policy's ``recovery_method`` applies."""
    if decision not in DECISIONS:
        raise ValueError(f"decision must be one of {', '.join(DECISIONS)}")
    amount = None
    if decision in ("recovered", "recover"):
        what = "recovered" if decision == "recovered" else "to ask back"
        try:
            amount = Decimal(amount_recovered or "").quantize(Decimal("0.01"))
        except InvalidOperation as e:
            raise ValueError(f"a '{decision}' decision needs the amount {what}, e.g. --amount 1250.00") from e
        if amount <= 0:
            raise ValueError(f"a '{decision}' decision needs an amount above £0.00, not {amount}")
    elif amount_recovered:
        raise ValueError("only a 'recovered' or 'recover' decision takes an amount")
    if method is not None and (decision != "recover" or method not in RECOVERY_METHODS):
        raise ValueError(f"a method ({' or '.join(RECOVERY_METHODS)}) goes only with a 'recover' decision")
    record = dict(exception_id=exception_id, reviewer=reviewer, decided_at=(now or datetime.now()).isoformat(),
                  decision=decision, note=note,
                  amount_recovered=str(amount) if amount is not None and decision == "recovered" else None)
    if decision == "recover":
        record.update(amount_asked=str(amount), method=method)
    append_record(store_path(warehouse), record)
    return record


def read_records(path: Path) -> list[dict]:
    """Every record of an append-only JSON-lines store (none if it does not exist yet).
    A torn last line, from a crash mid-append, was never confirmed, so it is skipped."""
    if not path.exists():
        return []
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            out.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return out


def append_record(path: Path, record: dict) -> None:
    """One JSON line, appended under a lock and on disk before this returns."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        f.write(json.dumps(record, default=str) + "\n")
        f.flush()
        os.fsync(f.fileno())
