"""`dprecon intake` as the 15-minute schedule runs it: a fresh process each time, through
its Prefect flow and the ephemeral API. The issue's target: one family's return taken in
and published in ≤ 5 s beyond a no-op intake (2,000 accounts).

    uv run python benchmarks/intake_cli.py /work/bench/c2000 2026-04-01 --work /tmp/me/c2000
        [--runs 3] [--code DIR ...]

On a copy of the inbox (kept in ``--work`` and reused when it is there): one family's
return (the last evidence folder) is held back and the nightly job builds the warehouse.
Then, ``--runs`` times: a no-op intake (nothing new), and the held-back return taken in,
after which the warehouse, its hash cache and its history are put back as they were, so
every round starts alike. Each ``--code DIR`` (a checkout of dprecon, e.g. ``git archive``
of an older commit) is run in turn within each round, so before and after are
interleaved under the same load; by default, this checkout. One ``PREFECT_HOME`` (warmed
by a first intake) serves every run. Printed: wall, CPU of the child process tree, load
average. Results: benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def build(source: Path, work: Path, as_of: str) -> None:
    inbox = work / "inbox"
    shutil.copytree(source, inbox)
    held_from = sorted((inbox / "evidence").iterdir())[-1]
    (work / "held").mkdir()
    shutil.move(held_from, work / "held" / held_from.name)
    subprocess.run([sys.executable, "-m", "flows.cli", "run", "--inbox", str(inbox), "--warehouse",
                    str(work / "w.duckdb"), "--reports", str(work / "reports"), "--as-of", as_of],
                   cwd=HERE, env=_env(work), check=True, capture_output=True)


def _env(work: Path) -> dict[str, str]:
    return dict(os.environ, PREFECT_HOME=str(work / "prefect"), PREFECT_SERVER_ANALYTICS_ENABLED="false")


def _state(work: Path) -> list[Path]:
    """What an intake changes: the warehouse, its hash cache, its history of nights."""
    return [work / "w.duckdb", work / "w.duckdb.hashes.json", *sorted((work / "history").glob("*"))]


def save(work: Path) -> None:
    pristine = work / "pristine"
    shutil.rmtree(pristine, ignore_errors=True)
    pristine.mkdir()
    for path in _state(work):
        if path.is_file():
            shutil.copy2(path, pristine / path.relative_to(work).as_posix().replace("/", "__"))


def restore(work: Path) -> None:
    shutil.rmtree(work / "history", ignore_errors=True)
    for saved in (work / "pristine").iterdir():
        final = work / saved.name.replace("__", "/")
        final.parent.mkdir(parents=True, exist_ok=True)
        tmp = final.with_name(final.name + ".restoring")
        shutil.copy2(saved, tmp)
        os.replace(tmp, final)  # a new inode: the history's hard link to the old file stays as it was


def intake(code: Path, work: Path, as_of: str) -> tuple[float, float, str]:
    cmd = [sys.executable, "-m", "flows.cli", "intake", "--inbox", str(work / "inbox"),
           "--warehouse", str(work / "w.duckdb"), "--as-of", as_of, "--json"]
    load = os.getloadavg()[0]
    w, c = time.perf_counter(), children_cpu()
    done = subprocess.run(cmd, cwd=code, env=_env(work), check=True, capture_output=True, text=True)
    wall, cpu = time.perf_counter() - w, children_cpu() - c
    new = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else "?"
    return wall, cpu, f"load {load:.1f}; {new[:120]}"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("inbox")
    ap.add_argument("as_of")
    ap.add_argument("--work", required=True, type=Path)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--code", action="append", type=Path, help="a dprecon checkout to run [default: this one]")
    args = ap.parse_args()
    work, codes = args.work, [c.resolve() for c in (args.code or [HERE])]
    if not (work / "w.duckdb").exists():
        t = time.perf_counter()
        build(Path(args.inbox), work, args.as_of)
        print(f"nightly job (build the warehouse): {time.perf_counter() - t:.1f} s", flush=True)
    if not (work / "pristine").exists():
        intake(codes[0], work, args.as_of)  # warms PREFECT_HOME (its database is built once)
        save(work)
    held = next((work / "held").iterdir())
    evidence = work / "inbox" / "evidence" / held.name
    results: dict[tuple[str, str], list[tuple[float, float]]] = {}
    for n in range(args.runs):
        for code in codes:
            restore(work)
            for label in ("no-op", "one return"):
                if label == "one return":
                    shutil.copytree(held, evidence)  # a new upload: new inodes, as the portal writes them
                try:
                    wall, cpu, note = intake(code, work, args.as_of)
                finally:
                    shutil.rmtree(evidence, ignore_errors=True)
                results.setdefault((str(code), label), []).append((wall, cpu))
                print(f"round {n + 1} {code}: {label}: {wall:.2f} s wall, {cpu:.2f} s cpu; {note}", flush=True)
    restore(work)
    for code in codes:
        noop, one = results[(str(code), "no-op")], results[(str(code), "one return")]
        beyond = [f"{o[0] - z[0]:.1f}" for z, o in zip(noop, one, strict=True)]
        print(f"{code}: no-op {' / '.join(f'{w:.1f}' for w, _ in noop)} s; one return "
              f"{' / '.join(f'{w:.1f}' for w, _ in one)} s; beyond {' / '.join(beyond)} s wall, "
              f"CPU beyond {' / '.join(f'{o[1] - z[1]:.1f}' for z, o in zip(noop, one, strict=True))} s")


if __name__ == "__main__":
    main()
