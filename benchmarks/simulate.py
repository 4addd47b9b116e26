"""How long the simulator takes, and how much memory it holds, at council scale.

Runs ``write_simulation`` for 1,000 and 5,000 accounts over 12 months, each
in a fresh child process writing to a temporary directory, and prints the
wall time and the child's peak resident memory (``ru_maxrss``). Memory
should barely grow with the number of accounts: they are generated one at a
time and the shared files are streamed.

    uv run python benchmarks/simulate.py            # 1,000 and 5,000 accounts
    uv run python benchmarks/simulate.py 200 2000   # other sizes
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _child(accounts: int, months: int, out: str) -> None:
    from flows.simulate import write_simulation
    from pipelines.simulate import SimParams

    started = time.perf_counter()
    summary = write_simulation(Path(out), SimParams(accounts=accounts, months=months, seed=1))
    seconds = time.perf_counter() - started
    usage = resource.getrusage(resource.RUSAGE_SELF)
    peak_kib = usage.ru_maxrss  # KiB on Linux
    size = sum(p.stat().st_size for p in Path(out).rglob("*") if p.is_file())
    print(json.dumps({
        "accounts": accounts, "months": months, "seconds": round(seconds, 2),
        "cpu": round(usage.ru_utime + usage.ru_stime, 2),
        "peak_mib": round(peak_kib / 1024, 1), "files": summary["files"],
        "mib_written": round(size / 2**20, 1), "budgets": summary["budgets"],
        "transactions": summary["transactions"],
    }))


def main(sizes: list[int], months: int = 12) -> None:
    for accounts in sizes:
        with tempfile.TemporaryDirectory(prefix="dprecon-sim-") as tmp:
            started = time.perf_counter()
            result = subprocess.run(
                [sys.executable, __file__, "--child", str(accounts), str(months), str(Path(tmp) / "inbox")],
                check=True, capture_output=True, text=True,
            )
            wall = time.perf_counter() - started
        row = json.loads(result.stdout.strip().splitlines()[-1])
        print(f"{accounts:>6} accounts x {months} months: {row['seconds']:6.2f} s simulating "
              f"({wall:.2f} s with interpreter start; {row['cpu']} s CPU), peak {row['peak_mib']} MiB, "
              f"{row['files']} files, {row['mib_written']} MiB, {row['budgets']} budgets, "
              f"{row['transactions']} transactions")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        _child(int(sys.argv[2]), int(sys.argv[3]), sys.argv[4])
    else:
        main([int(a) for a in sys.argv[1:]] or [1000, 5000])
