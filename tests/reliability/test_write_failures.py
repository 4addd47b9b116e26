"""A full disk or a reports folder that cannot be written fails the run with a
message an operator can act on, a non-zero exit from ``dprecon run``, and no
damage: the published warehouse byte-for-byte as it was, the earlier reports
as they were, no half-written folder and no working copy left taking space;
once the problem is put right the next run succeeds.

We run as root, so permissions stop nothing: a full disk is a file-size limit
(RLIMIT_FSIZE, in a run of its own, with SIGXFSZ ignored so that writes fail
with EFBIG), and an unwritable folder is a regular file where it should be.
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from flows.cli import app
from flows.warehouse import RunFailed
from tests.flows.helpers import query, run
from tests.reliability import child

DAY = "2025-06-30"
NEW = "SELECT count(*) FROM audit.transactions WHERE transaction_id LIKE 'T10%'"


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


SCRATCH = {"w.duckdb.lock", "w.duckdb.hashes.json"}  # the lock (it holds a pid) and a cache


def state(base: Path) -> dict[str, str]:
    """Every file under ``base`` but the inbox, the lock and the hash cache, by content."""
    return {rel: sha(p) for p in sorted(base.rglob("*"))
            if p.is_file() and (rel := p.relative_to(base).as_posix()) not in SCRATCH
            and not rel.startswith("inbox/")}


@pytest.fixture(scope="module")
def earlier_night(tmp_path_factory) -> Path:
    return child.earlier_night(tmp_path_factory.mktemp("earlier"))


@pytest.fixture()
def night(earlier_night, tmp_path) -> Path:
    shutil.copytree(earlier_night, tmp_path, dirs_exist_ok=True)
    return tmp_path


def assert_nothing_changed(base: Path, before: dict[str, str]) -> None:
    """Byte for byte as before; no working copy or staging folder left behind."""
    assert state(base) == before
    assert not list(base.rglob(".*")) and not list(base.glob("w.duckdb.next*"))


@pytest.mark.parametrize(
    ("where", "limit", "limit_from"),
    [
        ("copying the warehouse", lambda size: size // 2, "start"),
        ("writing the new warehouse", lambda size: size, "start"),
        ("writing the reports", lambda size: 4_000, "report"),
    ],
    ids=["copy", "warehouse", "reports"],
)
def test_a_full_disk_fails_the_run_clearly_and_damages_nothing(night, where, limit, limit_from):
    wh = night / "w.duckdb"
    before = state(night)
    proc = child.start(inbox=night / "inbox", warehouse=wh, reports=night / "reports",
                       fsize=limit(wh.stat().st_size), fsize_from=limit_from)
    status, said, traceback = child.finish(proc)
    assert status == 1, (said, traceback)
    assert "File too large" in traceback  # the limit really stopped a write
    assert said.startswith("The run could not complete:") and "the disk is full" in said, said
    assert "Nothing was published" in said
    if limit_from == "report":
        assert f"the reports for {DAY} could not be written" in said
    assert_nothing_changed(night, before)

    result = run(night / "inbox", wh)  # space freed: the next run succeeds
    assert result["ingest"]["accepted"] == 1 and query(wh, NEW)[0][0] > 0
    assert (night / "reports" / DAY / "exceptions.html").exists()


@pytest.mark.parametrize("blocked", ["reports", f"reports/{DAY}"])
def test_a_file_where_the_reports_folder_should_be_fails_the_run_clearly(night, blocked):
    wh, reports = night / "w.duckdb", night / "reports"
    shutil.rmtree(reports)
    (night / blocked).parent.mkdir(parents=True, exist_ok=True)
    (night / blocked).write_text("not a folder")
    before = state(night)
    with pytest.raises(RunFailed) as failed:
        run(night / "inbox", wh)
    assert str(failed.value) == (
        f"the reports for {DAY} could not be written to {reports / DAY}: "
        f"{night / blocked} is a file, not a folder")
    assert_nothing_changed(night, before)

    (night / blocked).unlink()
    run(night / "inbox", wh)
    assert query(wh, NEW)[0][0] > 0 and (reports / DAY / "exceptions.html").exists()


def test_dprecon_run_exits_non_zero_and_says_why(prefect_harness, night, monkeypatch):
    monkeypatch.setattr("flows.nightly.IO_STAGES", set())  # its retries would only wait here
    wh, reports = night / "w.duckdb", night / "reports"
    shutil.rmtree(reports)
    reports.write_text("not a folder")
    before = state(night)
    result = CliRunner().invoke(app, ["run", "--inbox", str(night / "inbox"), "--warehouse", str(wh),
                                      "--reports", str(reports), "--as-of", DAY])
    # among Prefect's own logs of the failed task: one line, however long
    said = next((line for line in result.output.splitlines() if line.startswith("The run could")), "")
    assert result.exit_code == 1, result.output
    assert (f"The run could not complete: the reports for {DAY} could not be written to "
            f"{reports / DAY}: {reports} is a file, not a folder. Nothing was published: the warehouse "
            f"{wh} and the reports of earlier runs are exactly as they were") in said
    assert "Traceback" not in said
    assert_nothing_changed(night, before)
    assert query(wh, "SELECT count(*) FROM audit.runs") == [(1,)]
