"""What a normal night costs: one day's new statement files on top of a year's books.

    uv run python benchmarks/normal_night.py /work/bench/c2000 2026-04-01 [--files 24] [--work /tmp/x]
        [--repeat 2] [--reuse]

Copies the council's inbox (read-only) to ``--work``, holding back ``--files``
statement files of the last month (seeded, per-account files only: the
prepaid card's one CSV a month is a month of 1,000 accounts, not a day's), then
runs the job (no Prefect start-up, as benchmarks/job_memory.py does), each run
in a fresh process:

* **full year**: the year's files into a new warehouse, as of D;
* **nothing new, D**: the same inbox again, as of D (the quiet night);
* **nothing new, D+1**: the same inbox, as of the next day (a new date alone);
* **normal, D** and **normal, D+1**: the held-back files added, as of D and D+1.

Every night after the first starts from a copy of the full year's warehouse,
hash cache and reports. Costs are CPU seconds of the job's process and its
parse workers (wall beside them); the script prints each night's per-step CPU
and the issue's ratio ``(normal − nothing new) ÷ (full year − nothing new)``
(target ≤ 0.20), for D and for D+1 against the nothing-new night of the same
date. With ``--repeat N`` the nights after the first are interleaved N times and
the minimum CPU kept. Results: benchmarks/README.md, Round 2, "normal night".
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

MONTH = re.compile(r"statement_(\d{4}-\d{2})")


def child(inbox: str, home: str, as_of: str) -> None:
    """One run of the job in this (fresh) process; prints a JSON line."""
    t0, c0 = time.perf_counter(), time.process_time()
    from flows.job import run_job
    from flows.validation import validate_batch

    imports = time.process_time() - c0
    cpu: dict[str, float] = {}

    def step(name, fn, *args):
        c = time.process_time()
        try:
            return fn(*args)
        finally:
            cpu[name] = round(cpu.get(name, 0.0) + time.process_time() - c, 2)

    w, c = time.perf_counter(), time.process_time()
    result = run_job(Path(inbox), Path(home) / "w.duckdb", Path(home) / "reports", date.fromisoformat(as_of),
                     validate=validate_batch, step=step)
    own = time.process_time() - c
    time.sleep(0.3)  # the forkserver reaps the parse workers on SIGCHLD
    workers = forkserver_cpu()
    print(json.dumps(dict(
        cpu=own + workers, workers_cpu=workers,
        wall=time.perf_counter() - w, imports_cpu=imports, process_wall=time.perf_counter() - t0,
        cpu_by_step=cpu, seconds=result["seconds"], ingest=result["ingest"],
        reports=len(result["reports"]), exceptions=result["exceptions"])))


def forkserver_cpu() -> float:
    """CPU seconds of the parse pool: the forkserver and the workers it has reaped (not ours to wait for)."""
    from multiprocessing import forkserver

    pid = getattr(forkserver._forkserver, "_forkserver_pid", None)
    if not pid:
        return 0.0
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(int(v) for v in fields[11:15]) / os.sysconf("SC_CLK_TCK")  # utime stime cutime cstime


def run(inbox: Path, home: Path, as_of: date) -> dict:
    done = subprocess.run([sys.executable, __file__, "--child", str(inbox), str(home), as_of.isoformat()],
                          capture_output=True, text=True)
    if done.returncode:
        sys.exit(f"the run failed:\n{done.stderr[-4000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def hold_back(source: Path, inbox: Path, held: Path, files: int, seed: int) -> list[str]:
    """Copy ``source`` to ``inbox`` less ``files`` of the last month's per-account statements (moved to ``held``)."""
    if inbox.exists():
        shutil.rmtree(inbox)
    if held.exists():
        shutil.rmtree(held)
    shutil.copytree(source, inbox)
    statements = sorted(p for p in (inbox / "statements").rglob("*") if p.is_file() and "prepaid" not in p.parts)
    months = {p: m.group(1) for p in statements if (m := MONTH.match(p.name))}  # statement_2026-03 (1).ofx
    last = max(months.values())
    month = [p for p, m in months.items() if m == last]
    chosen = sorted(random.Random(seed).sample(month, files))
    for p in chosen:
        dest = held / p.relative_to(inbox)
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(p, dest)
    print(f"held back {len(chosen)} of {len(month)} statement files of {last} (seed {seed})")
    return [str(p.relative_to(inbox)) for p in chosen]


def restore(base: Path, home: Path) -> None:
    if home.exists():
        shutil.rmtree(home)
    shutil.copytree(base, home)


def show(name: str, r: dict) -> None:
    print(f"  {name:<18} cpu {r['cpu']:7.2f} s (workers {r['workers_cpu']:5.2f})  wall {r['wall']:7.2f} s"
          f"  imports {r['imports_cpu']:4.2f} s cpu; accepted {r['ingest']['accepted']}, quarantined {r['ingest']['quarantined']}, rows {r['ingest']['rows_loaded']}; reports {r['reports']}")
    print(f"  {'':<18} cpu by step {r['cpu_by_step']}")
    print(f"  {'':<18} wall by lap {r['seconds']}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("source")
    ap.add_argument("as_of")
    ap.add_argument("--files", type=int, default=24, help="statement files held back (about 1/30 of a month's)")
    ap.add_argument("--seed", type=int, default=20)
    ap.add_argument("--work", default="/tmp/dprecon-normal-night")
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--reuse", action="store_true", help="reuse the work folder's inbox and full-year run")
    args = ap.parse_args()
    work, d = Path(args.work), date.fromisoformat(args.as_of)
    inbox, held, base = work / "inbox", work / "held", work / "base"
    if not (args.reuse and (base / "full.json").exists()):
        hold_back(Path(args.source), inbox, held, args.files, args.seed)
        if base.exists():
            shutil.rmtree(base)
        base.mkdir(parents=True)
        full = run(inbox, base, d)
        (base / "full.json").write_text(json.dumps(full))
    full = json.loads((base / "full.json").read_text())
    show("full year", full)
    held_files = [p for p in held.rglob("*") if p.is_file()]
    nights = {"nothing new, D": (d, False), "nothing new, D+1": (d + timedelta(days=1), False),
              "normal, D": (d, True), "normal, D+1": (d + timedelta(days=1), True)}
    best: dict[str, dict] = {}
    for _ in range(args.repeat):
        for name, (as_of, add) in nights.items():
            home = work / "night"
            restore(base, home)
            added = []
            if add:
                for p in held_files:
                    dest = inbox / p.relative_to(held)
                    shutil.copy2(p, dest)
                    added.append(dest)
            try:
                r = run(inbox, home, as_of)
            finally:
                for p in added:
                    p.unlink()
            if name not in best or r["cpu"] < best[name]["cpu"]:
                best[name] = r
    for name, r in best.items():
        show(name, r)
    for day in ("D", "D+1"):
        quiet, normal = best[f"nothing new, {day}"], best[f"normal, {day}"]
        for what, note in (("cpu", "the issue's cost: target ≤ 0.20"),
                           ("wall", "beside it: the full year's wall has both cores, a small night's mostly one")):
            ratio = (normal[what] - quiet[what]) / (full[what] - quiet[what])
            print(f"  {day:<4} {what:<4}: (normal {normal[what]:.2f} − nothing new {quiet[what]:.2f}) ÷ "
                  f"(full year {full[what]:.2f} − nothing new {quiet[what]:.2f}) = {ratio:.2f}  ({note})")
    # the "nothing new": the quiet night at D; at D+1 a new date alone
    quiet = best["nothing new, D"]
    normal = best["normal, D+1"]
    print(f"  D+1 against the quiet night of D: cpu "
          f"{(normal['cpu'] - quiet['cpu']) / (full['cpu'] - quiet['cpu']):.2f}")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(sys.argv[2], sys.argv[3], sys.argv[4])
    else:
        main()
