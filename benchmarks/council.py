"""The nightly job at council scale, per stage, against the floor.

    uv run python benchmarks/council.py --accounts 1000 5000

For each size: simulate a council (12 months), run the job end to end without
Prefect's start-up, timing each stage through the job's ``step`` hook, then a
quiet second night. The *floor* (benchmarks/floor.py) is the time to parse the
same inputs once with the libraries alone (ofxparse, polars.read_csv,
ElementTree), serially, in one process, measured in the same run. Peak memory is
the process maximum resident size. Results: benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from datetime import date
from pathlib import Path

from floor import floor  # benchmarks/floor.py, beside this script

from flows.job import run_job
from flows.simulate import write_simulation
from flows.validation import validate_batch
from pipelines.simulate import SimParams


def one(accounts: int, seed: int) -> None:
    work = Path(tempfile.mkdtemp(prefix=f"dprecon-council-{accounts}-"))
    inbox = work / "inbox"
    t = time.perf_counter()
    summary = write_simulation(inbox, SimParams(accounts=accounts, months=12, seed=seed))
    print(f"\n== {accounts} accounts ({summary.get('budgets', '?')} budgets): simulated in {time.perf_counter() - t:.1f} s")
    as_of = date.fromisoformat(str(summary["as_of"]))
    stages: dict[str, float] = {}

    def timed(name, fn, *args):
        t0 = time.perf_counter()
        try:
            return fn(*args)
        finally:
            stages[name] = time.perf_counter() - t0

    t = time.perf_counter()
    result = run_job(inbox, work / "w.duckdb", work / "reports", as_of, validate=validate_batch, workers=2,
                     step=timed)
    total = time.perf_counter() - t
    for name, secs in stages.items():
        print(f"  {name:<10} {secs:7.1f} s")
    print(f"  {'publish+':<10} {total - sum(stages.values()):7.1f} s  (copy, lock, runs row, checkpoint, swap)")
    print(f"  {'total':<10} {total:7.1f} s")
    print("  by step: " + ", ".join(f"{k} {v:.1f}" for k, v in result["seconds"].items()))
    t = time.perf_counter()
    run_job(inbox, work / "w.duckdb", work / "reports", as_of, validate=validate_batch, workers=2)
    print(f"  quiet night (nothing new, same day): {time.perf_counter() - t:.1f} s")
    f, n, refused = floor(inbox)
    print(f"  floor (libraries alone, serial, {n} files, {refused} refused): {f:.1f} s;"
          f" end to end = {total / f:.2f} x floor")
    print(f"  peak memory so far: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--accounts", type=int, nargs="+", default=[1000, 5000])
    ap.add_argument("--seed", type=int, default=11)
    args = ap.parse_args()
    for n in args.accounts:
        one(n, args.seed)


if __name__ == "__main__":
    main()
