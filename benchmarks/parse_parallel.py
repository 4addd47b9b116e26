"""Parsing fanned out over processes: the speed-up on this machine's cores.

    uv run python benchmarks/parse_parallel.py --accounts 300

Simulates a council, then parses every new inbox file once serially and once
through the ingest's process pool (the nightly job's path), and prints both.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from flows.fanout import parse_files
from flows.inbox import scan
from flows.simulate import write_simulation
from pipelines.simulate import SimParams


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--accounts", type=int, default=300)
    ap.add_argument("--seed", type=int, default=11)
    args = ap.parse_args()
    inbox = Path(tempfile.mkdtemp(prefix="dprecon-parse-")) / "inbox"
    write_simulation(inbox, SimParams(accounts=args.accounts, months=12, seed=args.seed))
    files = [f for f in scan(inbox) if f.kind and f.kind != "policy"]
    times = {}
    for workers in (1, os.cpu_count() or 1):
        t = time.perf_counter()
        parsed = [o for outcomes, _ in parse_files(inbox, files, workers) for o in outcomes]
        times[workers] = time.perf_counter() - t
        assert len(parsed) == len(files)
    serial, parallel = times[1], times[max(times)]
    print(f"{len(files)} files: 1 process {serial:.1f} s, {max(times)} processes {parallel:.1f} s, "
          f"speed-up {serial / parallel:.2f}x")


if __name__ == "__main__":
    main()
