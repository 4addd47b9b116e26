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
        relpath.startswith(("register/", "statements/prepaid/", "invoices/")) or relpath == "expected_exceptions.csv"
    )
