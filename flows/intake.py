"""The evidence intake: new evidence returns into the warehouse between nightly runs.

Families (and the portal) drop returns into ``INBOX/evidence/``. Every 15
minutes the intake looks there only (one scan, hashing only files the night's
hash cache does not know): if nothing is new it stops after one read-only
query; otherwise it ingests just those folders, from that same scan (validated
and quarantined exactly as at night), recomputes ``audit.evidence_returns`` and
EVIDENCE_OVERDUE from the books the last night published, and publishes. It
takes the same lock as the nightly run, so the two never write at once.

``dprecon intake`` takes that look itself, before the flow starts (``first_look``), and
hands it to the flow run in the same process (``handing_over``): the flow then does not
scan again, and the command knows early whether Great Expectations will be needed.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb

from flows import ingest as ingest_mod
from flows import reconcile as reconcile_mod
from flows.inbox import HashCache, InboxFile, hash_cache_path, scan
from flows.policy import load_policy
from flows.warehouse import exclusive, open_working_copy, publish, read
from pipelines.ingest import plan_files
from stores import reviews as reviews_mod

EVIDENCE = "evidence"


def new_evidence(inbox: Path, warehouse: Path, files: list[InboxFile] | None = None) -> list[str]:
    """Evidence files not yet in the published warehouse's ingest log (read-only look);
    ``files``: the evidence folders as just scanned [default: scanned here]."""
    files = scan(inbox, EVIDENCE) if files is None else files
    if not files:
        return []
    with duckdb.connect(str(warehouse), read_only=True) as con:
        known = read(con, "SELECT path, sha256, status FROM land.ingest_log")
    new, _ = plan_files([(f.relpath, f.sha256) for f in files], known)
    return [path for path, _sha in new]


@dataclass(frozen=True)
class FirstLook:
    """One scan of the evidence folders (through the night's hash cache) and what in it
    the published warehouse has not taken in yet."""

    inbox: Path
    warehouse: Path
    hashes: HashCache
    files: list[InboxFile]
    pending: list[str]


_HANDED_OVER: ContextVar[FirstLook | None] = ContextVar("dprecon_intake_first_look", default=None)


def first_look(inbox: Path, warehouse: Path) -> FirstLook | None:
    """Read-only (no lock, nothing written); None when there is no warehouse yet."""
    if not warehouse.exists():
        return None
    hashes = HashCache(hash_cache_path(warehouse))
    files = scan(inbox, EVIDENCE, hashes)
    return FirstLook(inbox, warehouse, hashes, files, new_evidence(inbox, warehouse, files))


@contextmanager
def handing_over(look: FirstLook | None) -> Iterator[None]:
    """Within this block, ``run_intake`` on the same inbox and warehouse starts from ``look``
    instead of looking again (the flow's parameters stay the paths: a scan is not one)."""
    token = _HANDED_OVER.set(look)
    try:
        yield
    finally:
        _HANDED_OVER.reset(token)


def _look(inbox: Path, warehouse: Path) -> FirstLook | None:
    look = _HANDED_OVER.get()
    if look is not None and (look.inbox, look.warehouse) == (inbox, warehouse):
        _HANDED_OVER.set(None)  # once only
        return look
    return first_look(inbox, warehouse)


def run_intake(
    inbox: Path,
    warehouse: Path,
    as_of: date,
    *,
    validate: Callable,
    run_id: str | None = None,
    log: Callable[[str], None] = lambda msg: None,
) -> dict:
    """Returns what it did; ``{"new_files": 0}`` when there was nothing to do."""
    look = _look(inbox, warehouse)
    if look is None:
        log("intake: no warehouse yet; the first nightly run creates it")
        return {"new_files": 0, "skipped": "no warehouse yet"}
    hashes, files, pending = look.hashes, look.files, look.pending
    if not pending:
        log("intake: no new evidence")
        return {"new_files": 0}
    run_id = run_id or str(uuid.uuid4())
    policy = load_policy(inbox)  # ConfigError when it cannot be used: the intake stops too
    with exclusive(warehouse):
        con, nxt = open_working_copy(warehouse)
        try:
            ingested = ingest_mod.ingest(con, inbox, run_id, validate, workers=1, under=EVIDENCE,
                                         files=files).as_dict()
            log("intake: {files_seen} evidence files seen, {accepted} accepted, {duplicate} duplicate, "
                "{quarantined} quarantined; {rows_loaded} rows loaded, {rows_quarantined} set aside".format(**ingested))
            returns = reconcile_mod.refresh_evidence(con, as_of, policy, reviews_mod.load(warehouse))
            log(f"intake: {returns}")
        except BaseException:
            con.close()
            raise
        publish(con, nxt, warehouse)
        hashes.save({f.relpath for f in files}, under=EVIDENCE)  # under the lock: the night saves it too
    return {"run_id": run_id, "as_of": as_of.isoformat(), "new_files": len(pending),
            "ingest": ingested, "returns": returns}
