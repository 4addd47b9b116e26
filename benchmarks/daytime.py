"""The daytime costs at council scale: the evidence intake, period close, and a night
with nothing new, each timed and profiled (cProfile) on one simulated council.

    uv run python benchmarks/daytime.py data/sim/inbox 2026-04-01 [--letters 1000] [--unanswered N]
        [--plain] [--no-close] [--cli]

On a copy of the inbox: one family's return (the last evidence folder) is held back,
the job builds the warehouse, then

* **intake**: a no-op intake (nothing new) twice, then the held-back return taken in;
  the cost that counts is the return's intake less the no-op one;
* **period close** (unless ``--no-close``): ``issue_returns`` for the returns due (at most
  ``--letters``: the rest are marked as issued first, so exactly that many letters are written).
  A simulated council's families answer most returns (106 are due on c2000 at 2026-04-01), so
  ``--unanswered N`` leaves the first N evidence folders out of the copy: their returns are
  due too, and ``--unanswered 1000`` gives 1,000 letters. ``--plain`` times it without
  cProfile (its CPU is this process's: the threads hashing codes included);
* **nothing-new night** (``--cli``): ``dprecon run`` three times in a fresh ``PREFECT_HOME``
  (wall, and CPU of the child process); the second and third have nothing new (and, since
  issue 20, do not start Prefect). Then ``dprecon run --as-of`` the next day, which does.

Each profiled step prints its top functions by cumulative time. Results:
benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path


def profiled(label: str, fn, *args, top: int = 25, **kwargs):
    prof = cProfile.Profile()
    w, c = time.perf_counter(), time.process_time()
    prof.enable()
    try:
        return fn(*args, **kwargs)
    finally:
        prof.disable()
        wall, cpu = time.perf_counter() - w, time.process_time() - c
        print(f"\n== {label}: {wall:.2f} s wall, {cpu:.2f} s cpu (under cProfile)")
        out = io.StringIO()
        pstats.Stats(prof, stream=out).sort_stats("cumulative").print_stats(top)
        print("\n".join(line for line in out.getvalue().splitlines()[6:] if line.strip()))


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(label: str, fn, *args, **kwargs):
    w, c, k = time.perf_counter(), time.process_time(), children_cpu()
    result = fn(*args, **kwargs)
    kids = children_cpu() - k
    print(f"== {label}: {time.perf_counter() - w:.2f} s wall, {time.process_time() - c:.2f} s cpu"
          + (f" (+ {kids:.2f} s in child processes)" if kids >= 0.01 else "")
          + f"; load average {os.getloadavg()[0]:.1f}")
    return result


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("inbox")
    ap.add_argument("as_of")
    ap.add_argument("--letters", type=int, default=1000)
    ap.add_argument("--unanswered", type=int, default=0, help="evidence folders left out of the inbox copy")
    ap.add_argument("--plain", action="store_true", help="time period close without cProfile")
    ap.add_argument("--cli", action="store_true")
    ap.add_argument("--no-close", action="store_true", help="skip the period close")
    args = ap.parse_args()
    as_of = date.fromisoformat(args.as_of)

    from flows.intake import run_intake
    from flows.job import run_job
    from flows.validation import validate_batch

    work = Path(tempfile.mkdtemp(prefix="dprecon-daytime-"))
    inbox = work / "inbox"
    shutil.copytree(args.inbox, inbox)
    for folder in sorted((inbox / "evidence").iterdir())[:args.unanswered]:  # these families never answered
        shutil.rmtree(folder)
    held_from = sorted((inbox / "evidence").iterdir())[-1]
    held = work / "held" / held_from.name
    held.parent.mkdir()
    shutil.move(held_from, held)
    warehouse, reports = work / "w.duckdb", work / "reports"
    timed("nightly job (build the warehouse)", run_job, inbox, warehouse, reports, as_of,
          validate=validate_batch, workers=2)
    print(f"   warehouse {warehouse.stat().st_size / 2**20:.0f} MiB, "
          f"{sum(1 for _ in (inbox / 'evidence').iterdir())} evidence returns in the inbox")

    timed("intake, nothing new (1)", run_intake, inbox, warehouse, as_of, validate=validate_batch)
    timed("intake, nothing new (2)", run_intake, inbox, warehouse, as_of, validate=validate_batch)
    shutil.move(held, held_from)
    result = profiled(f"intake, one return ({held_from.name})", run_intake, inbox, warehouse, as_of,
                      validate=validate_batch)
    print(f"   {result.get('ingest')}")
    timed("intake, nothing new (3)", run_intake, inbox, warehouse, as_of, validate=validate_batch)

    if not args.no_close:
        close_periods(warehouse, reports, as_of, args.letters, args.plain)
    if args.cli:
        nothing_new_night(work, inbox, warehouse, reports, args.as_of)


def close_periods(warehouse: Path, reports: Path, as_of: date, letters: int, plain: bool) -> None:
    import duckdb

    from flows.period_close import issue_returns, issued, ledger_path
    from stores.reviews import append_record

    with duckdb.connect(str(warehouse), read_only=True) as con:
        due = con.execute("SELECT budget_id, period_start FROM audit.evidence_returns "
                          "WHERE received_at IS NULL AND period_end < ? ORDER BY 1, 2", [as_of]).fetchall()
    done = issued(warehouse)
    due = [k for k in due if k not in done]
    for budget_id, period_start in due[letters:]:  # pretend these went out earlier
        append_record(ledger_path(warehouse), {"budget_id": budget_id, "period_start": period_start.isoformat(),
                                               "issued_at": "2026-01-01T00:00:00", "folder": "", "with_code": False})
    print(f"\n{len(due)} returns due; issuing {min(len(due), letters)}")
    result = (timed if plain else profiled)("period close", issue_returns, warehouse, reports, as_of,
                                            "Benchmark Council", portal_address="https://portal.example")
    print(f"   {result}")


def nothing_new_night(work: Path, inbox: Path, warehouse: Path, reports: Path, as_of: str) -> None:
    env = dict(os.environ, PREFECT_HOME=str(work / "prefect"), PREFECT_SERVER_ANALYTICS_ENABLED="false",
               PREFECT_LOGGING_LEVEL="WARNING")
    cmd = [sys.executable, "-m", "flows.cli", "run", "--inbox", str(inbox), "--warehouse", str(warehouse),
           "--reports", str(reports), "--as-of", as_of]
    for label in ("dprecon run (first in this PREFECT_HOME; the intake has run since the night)",
                  "dprecon run, nothing new", "dprecon run, nothing new"):
        t, c = time.perf_counter(), children_cpu()
        subprocess.run(cmd, env=env, check=True, capture_output=True)
        print(f"== {label}: {time.perf_counter() - t:.1f} s wall, {children_cpu() - c:.1f} s cpu")
    prof_out = work / "night.prof"
    t = time.perf_counter()
    subprocess.run([sys.executable, "-m", "cProfile", "-o", str(prof_out), *cmd[1:]], env=env, check=True,
                   capture_output=True)
    print(f"== dprecon run, nothing new, under cProfile: {time.perf_counter() - t:.1f} s wall")
    out = io.StringIO()
    pstats.Stats(str(prof_out), stream=out).sort_stats("cumulative").print_stats(40)
    print("\n".join(line for line in out.getvalue().splitlines()[6:] if line.strip()))


if __name__ == "__main__":
    main()
