"""A command that cannot finish says why in one plain sentence; the traceback only with --debug
(issue 16, finding 11: raw tracebacks from ``intake`` on an unwritable folder and from Prefect when the
warehouse was busy)."""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from flows.cli import app
from tests.conftest import ROOT

MANIFEST = "budget_id,period,transaction_ref,evidence_type,file,amount,note\nDP000001-1,2025-04-01,,explanation,,,hi\n"


@pytest.fixture
def waiting(sim_council, tmp_path) -> dict:
    """A published warehouse and an inbox with one evidence return it has not seen."""
    wh = tmp_path / "w.duckdb"
    shutil.copyfile(sim_council["warehouse"], wh)
    folder = tmp_path / "inbox" / "evidence" / "NEW_RETURN"
    folder.mkdir(parents=True)
    (folder / "manifest.csv").write_text(MANIFEST)
    return {"warehouse": wh, "inbox": tmp_path / "inbox", "as_of": sim_council["as_of"].isoformat()}


def intake_args(w: dict) -> list[str]:
    return ["intake", "--inbox", str(w["inbox"]), "--warehouse", str(w["warehouse"]), "--as-of", w["as_of"]]


def test_intake_that_cannot_write_beside_the_warehouse_says_so_plainly(prefect_harness, waiting):
    lock = waiting["warehouse"].with_name("w.duckdb.lock")
    lock.mkdir()  # we run as root, so a read-only folder stops nothing: a folder where the lock file goes does
    result = CliRunner().invoke(app, intake_args(waiting))
    assert result.exit_code == 1, result.output
    said = " ".join(result.output.split())
    assert "dprecon could not finish 'intake':" in said and f"{lock} is a folder" in said, said
    assert "--debug" in said and "Traceback" not in result.output

    debug = CliRunner().invoke(app, ["--debug", *intake_args(waiting)])
    assert isinstance(debug.exception, IsADirectoryError)  # the details, for whoever asked


def held(warehouse):
    fd = os.open(warehouse.with_name(warehouse.name + ".lock"), os.O_RDWR | os.O_CREAT, 0o644)
    fcntl.flock(fd, fcntl.LOCK_EX)
    return fd


@pytest.mark.parametrize("debug", [False, True], ids=["plain", "debug"])
def test_a_busy_warehouse_is_one_plain_line_not_prefects_traceback(waiting, debug):
    fd = held(waiting["warehouse"])
    try:
        env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_LOGGING_HANDLERS_")}
        proc = subprocess.run([sys.executable, "-m", "flows.cli", *(["--debug"] if debug else []),
                               *intake_args(waiting)], cwd=ROOT, env=dict(env, PYTHONPATH=str(ROOT)),
                              capture_output=True, text=True, timeout=300)
    finally:
        os.close(fd)
    said = proc.stdout + proc.stderr
    assert proc.returncode == 3, said
    assert "another dprecon run is using" in " ".join(said.split())
    assert ("Traceback" in said) is debug, said[-3000:]


def test_close_periods_that_cannot_write_its_letters_says_so_plainly(prefect_harness, waiting, tmp_path):
    reports = tmp_path / "reports"
    reports.write_text("a file where the reports folder goes")
    result = CliRunner().invoke(app, ["close-periods", "--warehouse", str(waiting["warehouse"]),
                                      "--reports", str(reports), "--as-of", waiting["as_of"]])
    assert result.exit_code == 1, result.output
    said = " ".join(result.output.split())
    assert "dprecon could not finish 'close-periods': the letters could not be written to" in said, said
    assert "is a file, not a folder" in said and "Traceback" not in result.output
    assert not waiting["warehouse"].with_name("returns_issued.jsonl").exists()
