"""Detection accuracy against the simulator's ground truth.

    uv run python benchmarks/accuracy.py --accounts 1000 --seed 11

Simulates a council, runs the nightly job on it (without Prefect's start-up,
which does not change what is flagged), and prints precision and recall per
rule code. With --show-misses, prints the disagreements. Then it records the
officers' decisions the simulation assumes (``officer_decisions.csv``) and
prints the recovery line: how many simulated recoveries dprecon found, and
with the right status and the right sum repaid, to the penny.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from datetime import date
from pathlib import Path

import duckdb
import polars as pl

from flows.job import run_job
from flows.simulate import write_simulation
from flows.validation import validate_batch
from pipelines.accuracy import misses, score
from pipelines.simulate import SimParams


def evaluate(accounts: int, seed: int, months: int = 12, workdir: Path | None = None) -> tuple[pl.DataFrame, Path]:
    work = workdir or Path(tempfile.mkdtemp(prefix="dprecon-acc-"))
    inbox = work / "inbox"
    summary = write_simulation(inbox, SimParams(accounts=accounts, months=months, seed=seed))
    as_of = date.fromisoformat(str(summary["as_of"]))
    wh = work / "warehouse.duckdb"
    run_job(inbox, wh, work / "reports", as_of, validate=validate_batch, workers=2)
    return scored(inbox, wh), work


def scored(inbox: Path, wh: Path) -> pl.DataFrame:
    expected = pl.read_csv(inbox / "expected_exceptions.csv", schema_overrides={"budget_id": pl.String})
    with duckdb.connect(str(wh), read_only=True) as con:
        raised = pl.from_arrow(con.sql("SELECT * FROM audit.exceptions WHERE status = 'open'").to_arrow_table())
    return score(expected, raised)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--accounts", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--show-misses", action="store_true")
    args = ap.parse_args()
    t = time.perf_counter()
    table, work = evaluate(args.accounts, args.seed)
    pl.Config.set_tbl_rows(20)
    print(table)
    print(f"{args.accounts} accounts in {time.perf_counter() - t:.1f} s; files in {work}")
    if args.show_misses:
        expected = pl.read_csv(work / "inbox/expected_exceptions.csv", schema_overrides={"budget_id": pl.String})
        with duckdb.connect(str(work / "warehouse.duckdb"), read_only=True) as con:
            raised = pl.from_arrow(con.sql("SELECT * FROM audit.exceptions WHERE status = 'open'").to_arrow_table())
        fn, fp = misses(expected, raised)
        with pl.Config(tbl_rows=60, fmt_str_lengths=160, tbl_width_chars=250):
            print("missed:", fn)
            print("extra:", fp.select("budget_id", "rule_code", "period_start", "amount", "explanation"))
    print(json.dumps({r["rule_code"]: [r["precision"], r["recall"]] for r in table.iter_rows(named=True)}))
    print("recoveries:", json.dumps(recoveries_scored(work / "inbox", work / "warehouse.duckdb")))


def recoveries_scored(inbox: Path, wh: Path) -> dict:
    """Apply the simulation's officer decisions, bring the recoveries up to date, compare with the truth."""
    from flows.followup import refresh
    from flows.simulate import apply_officer_decisions
    from pipelines.accuracy import recovery_accuracy

    apply_officer_decisions(inbox, wh)
    refresh(wh)
    expected = pl.read_csv(inbox / "expected_recoveries.csv", infer_schema=False)
    with duckdb.connect(str(wh), read_only=True) as con:
        got = pl.from_arrow(con.sql("SELECT r.*, e.rule_code, e.period_start FROM audit.recoveries r "
                                    "JOIN audit.exceptions e USING (exception_id)").to_arrow_table())
    return recovery_accuracy(expected, got)


if __name__ == "__main__":
    main()
