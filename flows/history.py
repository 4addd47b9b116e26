"""Every night kept: the last published warehouses beside the live one, and rolling back to one of them.

A published warehouse is never written again: each run works on a copy and
renames it over the live file (flows/warehouse.py). So keeping a night costs
no rebuild and, on the same disk, no space: just before a publish replaces the
live file, :func:`keep` hard-links the outgoing file into ``history/`` beside
it, named by the night (Europe/London) it was published::

    data/warehouse.duckdb                         live
    data/history/warehouse_2026-03-03.duckdb      the last file published on 3 March
    data/history/warehouse_2026-03-02.duckdb      ...

Several publishes in one day (the nightly run, then an evidence intake every
15 minutes) keep that day's last. ``DPRECON_HISTORY_NIGHTS`` (default 14)
nights are kept; older ones are deleted at the next publish; 0 keeps none.
Where a hard link is impossible (another file system) the file is copied.
Keeping history never fails a run: a night that cannot be kept is skipped.

``dprecon restore 2026-03-03`` makes that night's file the live warehouse
again, as a run of its own: under the warehouse lock (refused while a run
holds it), through a working copy, recorded in ``audit.runs`` with status
``restored``, and published like any run, so the warehouse it replaces is
kept as a night too and the restore can itself be undone. Officers'
decisions (``reviews.jsonl``), the returns-issued and notices-issued
ledgers, recorded audits and the portal's state live outside the warehouse
and are not touched; the latest of them are applied to the restored books
(decisions, recoveries, audit plan), as every publish applies them.

Example: on 5 March an officer finds the 4 March run loaded a wrong register;
``dprecon restore 2026-03-03`` puts 3 March's books back (the 4 March file
stays in history), and the next run, with the register put right, carries on.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import shutil
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb

from stores.state import fsync_dir

LONDON = ZoneInfo("Europe/London")
NIGHT = re.compile(r"_(\d{4}-\d{2}-\d{2})\.duckdb$")


@dataclass(frozen=True)
class Night:
    night: date
    path: Path
    live: bool
    as_of: date | None
    run_id: str | None
    status: str | None
    size: int


def folder(warehouse: Path) -> Path:
    return warehouse.parent / "history"


def night_path(warehouse: Path, night: date) -> Path:
    return folder(warehouse) / f"{warehouse.stem}_{night.isoformat()}.duckdb"


def published_on(path: Path) -> date:
    """The night a published file belongs to: the day (in London) it was last written."""
    return datetime.fromtimestamp(path.stat().st_mtime, LONDON).date()


def keep(warehouse: Path, nights: int | None = None) -> Path | None:
    """Keep the live file (about to be replaced) as its night; drop nights beyond ``nights``."""
    if nights is None:
        from flows.settings import Settings

        nights = Settings().history_nights
    if nights <= 0 or not warehouse.exists():
        return None
    try:
        kept = night_path(warehouse, published_on(warehouse))
        kept.parent.mkdir(parents=True, exist_ok=True)
        for left in kept.parent.glob(f".{warehouse.stem}_*.tmp-*"):
            left.unlink(missing_ok=True)  # a publish killed mid-keep
        if not (kept.exists() and os.path.samefile(kept, warehouse)):  # (a rename onto itself would do nothing)
            tmp = kept.with_name(f".{kept.name}.tmp-{secrets.token_hex(4)}")
            try:
                os.link(warehouse, tmp)
            except OSError:
                shutil.copy2(warehouse, tmp)
            os.replace(tmp, kept)
        for old in sorted(_files(warehouse), reverse=True)[nights:]:
            old[1].unlink(missing_ok=True)
        fsync_dir(kept.parent)
    except OSError:
        with contextlib.suppress(NameError, OSError):
            tmp.unlink(missing_ok=True)
        return None  # a night not kept never stops a publish
    return kept


def _files(warehouse: Path) -> list[tuple[date, Path]]:
    out = []
    for p in folder(warehouse).glob(f"{warehouse.stem}_*.duckdb"):
        m = NIGHT.search(p.name)
        if m and p.name == f"{warehouse.stem}_{m.group(1)}.duckdb":
            with contextlib.suppress(ValueError):
                out.append((date.fromisoformat(m.group(1)), p))
    return out


def nights(warehouse: Path) -> list[Night]:
    """The nights kept, newest first, then the live warehouse."""
    out = [_describe(n, p, live=False) for n, p in sorted(_files(warehouse), reverse=True)]
    if warehouse.exists():
        out.insert(0, _describe(published_on(warehouse), warehouse, live=True))
    return out


def _describe(night: date, path: Path, live: bool) -> Night:
    as_of = run_id = status = None
    with contextlib.suppress(duckdb.Error):
        with duckdb.connect(str(path), read_only=True) as con:
            row = con.execute("SELECT as_of, run_id, status FROM audit.runs "
                              "ORDER BY finished_at DESC NULLS LAST LIMIT 1").fetchone()
        if row:
            as_of, run_id, status = row
    return Night(night, path, live, as_of, run_id, status, path.stat().st_size)


def restore(warehouse: Path, night: date, now: datetime | None = None) -> dict:
    """Make night ``night`` the live warehouse again (a run of its own: locked, recorded, published)."""
    import polars as pl

    from flows import followup as followup_mod
    from flows import reconcile as reconcile_mod
    from flows.warehouse import append, discard_partial, exclusive, publish, read
    from schemas.warehouse import LAND, ddl
    from stores import reviews as reviews_mod

    source = night_path(warehouse, night)
    if not source.exists():
        kept = ", ".join(n.isoformat() for n, _ in sorted(_files(warehouse), reverse=True)) or "none"
        raise LookupError(f"No night {night.isoformat()} is kept for {warehouse} (kept: {kept}).")
    run_id, started = str(uuid.uuid4()), now or datetime.now()
    with exclusive(warehouse):
        discard_partial(warehouse)
        nxt = warehouse.with_name(warehouse.name + ".next")
        shutil.copyfile(source, nxt)
        con = duckdb.connect(str(nxt))
        try:
            for stmt in ddl():
                con.execute(stmt)
            reconcile_mod.apply_reviews(con, reviews_mod.load(warehouse))
            followup_mod.derive(con, warehouse)  # recoveries and audit plan from today's stores, as refresh does
            last = read(con, "SELECT as_of FROM land.runs ORDER BY finished_at DESC NULLS LAST LIMIT 1")
            as_of = last["as_of"][0] if last.height else night
            open_count = int(read(con, "SELECT count(*) AS n FROM core.exceptions WHERE status = 'open'")["n"][0])
            append(con, "land", LAND["runs"], pl.DataFrame([dict(
                run_id=run_id, as_of=as_of, started_at=started, finished_at=datetime.now(), status="restored",
                files_seen=0, exceptions_open=open_count)]))
        except BaseException:
            con.close()
            raise
        publish(con, nxt, warehouse)
    return {"run_id": run_id, "night": night.isoformat(), "as_of": as_of.isoformat(), "from": str(source),
            "exceptions_open": open_count}
