"""``dprecon run`` on a night with nothing new: recorded as the job records it, without
starting Prefect; a new file, a new day, a decision or missing reports run the flow."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from flows.cli import app
from tests.conftest import ROOT, SAMPLE_INBOX
from tests.flows.helpers import copy_inbox, dump_views, query, run

DAY = "2025-06-30"


@pytest.fixture()
def night(tmp_path: Path) -> Path:
    """A warehouse and reports published by an earlier night (the sample inbox)."""
    run(copy_inbox(SAMPLE_INBOX, tmp_path / "inbox"), tmp_path / "w.duckdb")
    return tmp_path


@pytest.fixture()
def flow_runs(monkeypatch) -> list[str]:
    """Stand in for the Prefect flow: count its runs and run the job itself, without Prefect."""
    from flows.cli import job as cli_job
    from flows.job import run_job
    from flows.validation import validate_batch

    calls: list[str] = []

    def nightly(inbox, warehouse, reports, as_of, workers):
        calls.append(as_of.isoformat())
        return run_job(inbox, warehouse, reports, as_of, validate=validate_batch, workers=1)

    monkeypatch.setattr(cli_job, "run_nightly", nightly)
    return calls


def dprecon_run(base: Path, day: str = DAY, *extra: str):
    return CliRunner().invoke(app, ["run", "--inbox", str(base / "inbox"), "--warehouse", str(base / "w.duckdb"),
                                    "--reports", str(base / "reports"), "--as-of", day, *extra])


def test_nothing_new_is_recorded_without_starting_prefect(night):
    before = dump_views(night / "w.duckdb")
    script = (
        "import json, sys\n"
        "from flows.cli import app\n"
        "try:\n"
        "    app(sys.argv[1:])\n"
        "except SystemExit as e:\n"
        "    code = e.code\n"
        "print(json.dumps({'code': code, 'prefect': 'prefect' in sys.modules,\n"
        "                  'gx': 'great_expectations' in sys.modules}))\n")
    args = ["run", "--inbox", str(night / "inbox"), "--warehouse", str(night / "w.duckdb"),
            "--reports", str(night / "reports"), "--as-of", DAY, "--json"]
    done = subprocess.run([sys.executable, "-c", script, *args], cwd=ROOT, capture_output=True, text=True, timeout=300)
    summary, imported = (json.loads(line) for line in done.stdout.strip().splitlines()[-2:])
    assert imported == {"code": 0, "prefect": False, "gx": False}, done.stderr
    assert summary["ingest"] == {"files_seen": 8, "accepted": 0, "duplicate": 0, "quarantined": 0,
                                 "rows_loaded": 0, "rows_quarantined": 0, "rows_new": 0}
    assert summary["exceptions"] and summary["reports"] == []
    runs = query(night / "w.duckdb", "SELECT run_id, as_of, status, files_seen FROM audit.runs ORDER BY started_at")
    assert len(runs) == 2 and runs[1] == (summary["run_id"], date(2025, 6, 30), "completed", 8)
    assert dump_views(night / "w.duckdb") == before  # the books stand exactly as they were


def test_nothing_new_prints_the_same_summary_and_logs_a_copied_file(night, flow_runs):
    (night / "inbox/statements/cards-again.csv").write_bytes(
        (night / "inbox/statements/cards-2025-04.csv").read_bytes())  # the same content again: nothing new
    result = dprecon_run(night)
    assert result.exit_code == 0, result.output
    assert flow_runs == []
    said = " ".join(result.output.split())
    assert f"as of {DAY}" in said and "files seen │ 9" in said and "duplicate (already loaded) │ 1" in said
    assert query(night / "w.duckdb", "SELECT status FROM audit.ingest_log WHERE path LIKE '%cards-again%'") == [
        ("duplicate",)]
    assert query(night / "w.duckdb", "SELECT count(*) FROM audit.runs") == [(2,)]


def test_a_new_file_day_or_decision_runs_the_flow(night, flow_runs):
    from stores.reviews import append as add_review

    wh = night / "w.duckdb"
    later = (night / "inbox/statements/cards-2025-04-copy.csv").read_text()
    (night / "inbox/statements/cards-2025-05.csv").write_text(later.replace("T000", "T100"))
    assert dprecon_run(night).exit_code == 0
    assert flow_runs == [DAY]  # a new file
    assert query(wh, "SELECT count(*) FROM audit.transactions WHERE transaction_id LIKE 'T10%'")[0][0] > 0

    assert dprecon_run(night).exit_code == 0
    assert flow_runs == [DAY]  # nothing new since
    assert dprecon_run(night, "2025-07-01").exit_code == 0
    assert flow_runs == [DAY, "2025-07-01"]  # a new day

    exception_id = query(wh, "SELECT exception_id FROM audit.exceptions LIMIT 1")[0][0]
    add_review(wh, exception_id, "jsmith", "dismissed", "checked with the family", None)
    assert dprecon_run(night, "2025-07-01").exit_code == 0
    assert flow_runs == [DAY, "2025-07-01", "2025-07-01"]  # an officer's decision

    (night / "reports/2025-07-01/exceptions.html").unlink()
    assert dprecon_run(night, "2025-07-01").exit_code == 0
    assert flow_runs == [DAY, "2025-07-01", "2025-07-01", "2025-07-01"]  # the reports are not there
    assert (night / "reports/2025-07-01/exceptions.html").is_file()
    assert query(wh, "SELECT count(*) FROM audit.runs WHERE status = 'completed'") == [(6,)]
    assert not wh.with_name(wh.name + ".next").exists()


def test_a_quiet_night_still_waits_for_the_warehouse(night, flow_runs):
    from flows.warehouse import exclusive

    with exclusive(night / "w.duckdb"):
        result = dprecon_run(night)
    assert result.exit_code == 3 and "another dprecon run is using" in " ".join(result.output.split())
    assert flow_runs == [] and query(night / "w.duckdb", "SELECT count(*) FROM audit.runs") == [(1,)]


def test_a_warehouse_the_first_look_cannot_read_runs_the_flow(night, flow_runs):
    import duckdb

    with duckdb.connect(str(night / "w.duckdb")) as con:  # as if written before officers' decisions were kept
        con.execute("ALTER TABLE core.reviews RENAME TO reviews_then")
    result = dprecon_run(night)
    assert result.exit_code == 0, result.output
    assert flow_runs == [DAY]
