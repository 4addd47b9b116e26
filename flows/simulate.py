"""Write a simulated council inbox to disk: the only I/O of ``dprecon simulate``.

``write_simulation(out, params)`` streams :func:`pipelines.simulate.simulate`
into ``out/`` (the contract's inbox layout plus ``expected_exceptions.csv``
and ``simulation.json``) and returns the summary.

It refuses to write into a directory that holds anything else. A directory
that holds *only* a previous simulation (a ``simulation.json`` written by
this generator, and nothing at the top level but the names a simulation
writes) is cleared first, so re-running with other parameters never leaves
stale statements or evidence from the last run behind. Anything else there,
even one extra file, and nothing is touched: a ``FileExistsError`` says why.

Example::

    summary = write_simulation(Path("data/sim"), SimParams(accounts=1000, months=12, seed=7))
    # then: dprecon run --inbox data/sim --as-of <summary["as_of"]>
"""

from __future__ import annotations

import json
import os
import shutil
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from pipelines.simulate import TOP_LEVEL, SimParams, simulate

_OPEN_LIMIT = 64
_THREADS = 4
_PENDING = 512


def _prepare(out: Path) -> None:
    if not out.exists():
        out.mkdir(parents=True)
        return
    if not out.is_dir():
        raise FileExistsError(f"{out} exists and is not a directory")
    entries = sorted(p.name for p in out.iterdir())
    if not entries:
        return
    marker = out / "simulation.json"
    previous = False
    if marker.is_file():
        try:
            previous = json.loads(marker.read_text(encoding="utf-8")).get("generator") == "dprecon simulate"
        except (ValueError, OSError):
            previous = False
    strangers = [name for name in entries if name not in TOP_LEVEL]
    if not previous or strangers:
        what = ", ".join(strangers[:5]) if strangers else "files not written by dprecon simulate"
        raise FileExistsError(
            f"{out} is not empty ({what}); choose an empty directory or one holding only a previous simulation"
        )
    for name in entries:
        path = out / name
        if path.is_dir():
            shutil.rmtree(path)
        else:
            path.unlink()


def _write_whole(path: str, data: bytes) -> None:
    try:
        fh = open(path, "wb")  # noqa: SIM115
    except FileNotFoundError:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        fh = open(path, "wb")  # noqa: SIM115
    with fh:
        fh.write(data)


def write_simulation(out: Path, params: SimParams) -> dict:
    """Write the simulated inbox under ``out`` and return the summary (counts per rule, as_of, ...).

    Whole files (statements, evidence, UBL invoices: tens of thousands of small
    files) are written by a few threads, because creating a file costs more in
    waiting on the disk than in Python; files that grow by appended chunks are
    written in order by the calling thread. At most ``_PENDING`` writes wait at
    any time, so memory stays flat.
    """
    out = Path(out)
    _prepare(out)
    root = str(out)
    handles: dict[str, object] = {}
    summary: dict = {}
    files = 0
    pending: deque[Future] = deque()
    with ThreadPoolExecutor(max_workers=_THREADS, thread_name_prefix="simulate-write") as pool:
        try:
            for chunk in simulate(params):
                path = os.path.join(root, chunk.relpath)
                if chunk.append:
                    fh = handles.pop(path, None)
                    if fh is None:
                        if len(handles) >= _OPEN_LIMIT:
                            handles.pop(next(iter(handles))).close()
                        fh = open(path, "ab")  # noqa: SIM115 - kept open across chunks, closed below
                    fh.write(chunk.data)
                    handles[path] = fh  # most recently used last
                    continue
                files += 1  # every file starts with one whole (non-append) chunk
                if chunk.relpath == "simulation.json" or _shared(chunk.relpath):
                    # the first piece of a file that later chunks append to: write it now, in order
                    _write_whole(path, chunk.data)
                    if chunk.relpath == "simulation.json":
                        summary = json.loads(chunk.data)
                else:
                    pending.append(pool.submit(_write_whole, path, chunk.data))
                    while len(pending) > _PENDING:
                        pending.popleft().result()
            while pending:
                pending.popleft().result()
        finally:
            for fh in handles.values():
                fh.close()
    summary["files"] = files
    return summary


def _shared(relpath: str) -> bool:
    """Files that many accounts append to: the register, card feeds, invoice CSVs, the truth."""
    return relpath.endswith(".csv") and (
        relpath.startswith(("register/", "statements/prepaid/", "invoices/"))
        or relpath in ("expected_exceptions.csv", "officer_decisions.csv", "expected_recoveries.csv")
    )


def apply_officer_decisions(inbox: Path, warehouse: Path) -> dict[str, int]:
    """Record the officers' decisions a simulation assumes (``officer_decisions.csv``) in the review
    store beside ``warehouse``, each on the exception the run raised for its budget, rule and period.

    Run it after the nightly job has flagged the simulated council; applying it again records
    nothing new. Returns how many decisions were recorded, already there, and not matched to an
    exception (none raised for that key, or more than one)."""
    from datetime import date, datetime, time

    import duckdb
    import polars as pl

    from stores.reviews import append, read_records, store_path

    seed = pl.read_csv(inbox / "officer_decisions.csv", infer_schema=False)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        raised = con.execute("SELECT budget_id, rule_code, CAST(period_start AS VARCHAR), list(exception_id) "
                             "FROM audit.exceptions GROUP BY ALL").fetchall()
    ids = {(b, r, p): xs for b, r, p, xs in raised}
    have = {(r.get("exception_id"), r.get("decision"), r.get("decided_at")) for r in read_records(store_path(warehouse))}
    counts = {"recorded": 0, "already": 0, "unmatched": 0}
    for row in seed.iter_rows(named=True):
        found = ids.get((row["budget_id"], row["rule_code"], row["period_start"]), [])
        if len(found) != 1:
            counts["unmatched"] += 1
            continue
        when = datetime.combine(date.fromisoformat(row["decided_on"]), time())
        if (found[0], row["decision"], when.isoformat()) in have:
            counts["already"] += 1
            continue
        append(warehouse, found[0], row["reviewer"], row["decision"], "assumed by the simulation",
               row["amount"] or None, now=when, method=row["method"] or None)
        counts["recorded"] += 1
    return counts
