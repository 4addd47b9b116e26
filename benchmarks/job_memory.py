"""Where the nightly job's memory goes: resident size after each step, in a fresh process.

    uv run python benchmarks/job_memory.py data/sim/inbox 2026-04-01 [--workers 2] [--floor]

Runs the job (no Prefect start-up) on an existing inbox into a new warehouse, in a
child process, and prints for each step its wall and CPU seconds, the resident
set when it ended and the process's peak so far, then the peak of the parse
workers (``RUSAGE_CHILDREN``) and the whole child's peak and CPU seconds (its
parse workers included) as ``/usr/bin/time -v`` reports them, and the resident peak of
the whole process tree (job, parse workers and validation process together, sampled).
With ``--floor``, the floor (benchmarks/floor.py) of the same inputs, measured
afterwards in the same conditions. Results: benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from datetime import date
from pathlib import Path


def rss_mib() -> tuple[float, float]:
    """(current, peak) resident MiB of this process, from /proc."""
    fields = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            fields[key] = int(value.split()[0]) / 1024
    return fields.get("VmRSS", 0.0), fields.get("VmHWM", 0.0)


def tree_rss_mib(root: int) -> float:
    """Resident MiB of ``root`` and every process below it (parse workers, the validation process)."""
    parent, rss = {}, {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
            parent[int(entry)] = int(stat.rsplit(")", 1)[1].split()[1])
            rss[int(entry)] = int(stat.rsplit(")", 1)[1].split()[21]) * os.sysconf("SC_PAGE_SIZE") / 2**20
        except (OSError, ValueError, IndexError):
            continue
    tree, frontier = {root}, [root]
    while frontier:
        frontier = [pid for pid, pp in parent.items() if pp in frontier and pid not in tree]
        tree.update(frontier)
    return sum(rss.get(pid, 0.0) for pid in tree)


def sample_tree(peak: list[float], every: float = 0.2) -> None:
    """Keep ``peak[0]`` the largest resident size of the whole process tree seen so far."""
    me = os.getpid()
    while True:
        peak[0] = max(peak[0], tree_rss_mib(me))
        time.sleep(every)


def child(inbox: str, as_of: str, workers: int) -> None:
    from flows.memory import return_freed_pages

    return_freed_pages()  # as the dprecon command does, before Polars is imported
    from flows.job import run_job
    from flows.validation import validate_batch

    work = Path(tempfile.mkdtemp(prefix="dprecon-mem-"))
    rows = []
    tree_peak = [0.0]
    threading.Thread(target=sample_tree, args=(tree_peak,), daemon=True).start()

    def step(name, fn, *args):
        w, c = time.perf_counter(), time.process_time()
        try:
            return fn(*args)
        finally:
            now, peak = rss_mib()
            rows.append(dict(step=name, wall=time.perf_counter() - w, cpu=time.process_time() - c,
                             rss=now, peak=peak))

    t = time.perf_counter()
    result = run_job(Path(inbox), work / "w.duckdb", work / "reports", date.fromisoformat(as_of),
                     validate=validate_batch, workers=workers, step=step)
    total = time.perf_counter() - t
    try:  # the parse workers are the forkserver's children: stop it so their CPU is counted
        import multiprocessing.forkserver

        multiprocessing.forkserver._forkserver._stop()
    except Exception:  # noqa: BLE001, S110 (a private API: without it, workers' CPU reads 0)
        pass
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    print(json.dumps(dict(rows=rows, total=total, seconds=result["seconds"], peak=rss_mib()[1],
                          workers_peak=kids.ru_maxrss / 1024, tree_peak=tree_peak[0], workers_cpu=kids.ru_utime + kids.ru_stime,
                          ingest=result["ingest"])))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("inbox")
    ap.add_argument("as_of")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--floor", action="store_true")
    args = ap.parse_args()
    cmd = ["/usr/bin/time", "-v", sys.executable, __file__, "--child", args.inbox, args.as_of, str(args.workers)]
    done = subprocess.run(cmd, capture_output=True, text=True, check=True)
    out = json.loads(done.stdout.strip().splitlines()[-1])
    maxrss = next(line for line in done.stderr.splitlines() if "Maximum resident" in line)
    wall = next(line for line in done.stderr.splitlines() if "Elapsed (wall" in line)
    cpu = sum(float(line.split(":")[-1]) for line in done.stderr.splitlines()
              if "User time" in line or "System time" in line)
    for r in out["rows"]:
        print(f"  {r['step']:<10} {r['wall']:7.1f} s wall {r['cpu']:7.1f} s cpu   rss {r['rss']:6.0f} MiB"
              f"   peak so far {r['peak']:6.0f} MiB")
    print(f"  job {out['total']:.1f} s; by step {out['seconds']}")
    print(f"  parent peak {out['peak']:.0f} MiB; parse workers peak {out['workers_peak']:.0f} MiB, "
          f"{out['workers_cpu']:.1f} s cpu; /usr/bin/time: {maxrss.strip()} (kB), {wall.strip()}")
    print(f"  cpu of the whole job, parse workers included: {cpu:.1f} s; resident peak of the whole"
          f" process tree (the job, its parse workers and validation process together, sampled every"
          f" 0.2 s): {out['tree_peak']:.0f} MiB")
    print(f"  ingest: {out['ingest']}")
    if args.floor:
        sys.path.insert(0, str(Path(__file__).parent))
        from floor import floor

        f, n, refused = floor(Path(args.inbox))
        print(f"  floor: {f:.1f} s for {n} files ({refused} refused); job = {out['total'] / f:.2f} x floor")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    else:
        main()
