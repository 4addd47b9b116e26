"""A run killed with SIGKILL anywhere (between stages, or part-way through
ingest, reconcile, the reports or publishing) leaves the published warehouse
byte-for-byte as it was and no half-written report folder; auditors read
the old warehouse throughout; the next run succeeds and leaves nothing behind.

The killed runs are processes of their own (tests/reliability/child.py); they
skip Great Expectations, whose ten-second import buys nothing in a run that is
about to be killed. The runs before and after use it.
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import duckdb
import pytest

from tests.flows.helpers import query, run
from tests.reliability import child
from tests.reliability.child import BOUNDARIES, INSIDE, kill, start, wait_for

# A nightly run with Great Expectations, killable by DPRECON_PAUSE_AT (used by test_reviews).
SCRIPT = """
import sys
from datetime import date
from pathlib import Path
from flows.job import run_job
from flows.validation import validate_batch
run_job(Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[2]).parent / 'reports', date(2025, 6, 30),
        validate=validate_batch, workers=1)
"""
DAY = "2025-06-30"
NEW = "SELECT count(*) FROM audit.transactions WHERE transaction_id LIKE 'T10%'"
# Tonight's report folder takes the place of the old one in publish, just
# before the warehouse is swapped in: by these points it has.
REPORTED = {"before-replace", "after-replace"}


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def tree(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): sha(p) for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def earlier_night(tmp_path_factory) -> Path:
    return child.earlier_night(tmp_path_factory.mktemp("earlier"))


@pytest.mark.parametrize("point", BOUNDARIES + INSIDE)
def test_kill_anywhere_leaves_the_warehouse_and_reports_intact(earlier_night, tmp_path, point):
    shutil.copytree(earlier_night, tmp_path, dirs_exist_ok=True)
    inbox, wh, reports = tmp_path / "inbox", tmp_path / "w.duckdb", tmp_path / "reports"
    before, reports_before = sha(wh), tree(reports / DAY)
    published = query(wh, "SELECT count(*) FROM audit.transactions")

    marker = tmp_path / "paused"
    proc = start(inbox=inbox, warehouse=wh, reports=reports, pause=point, marker=marker)
    try:
        wait_for(marker, proc)
        # an auditor reads while the run is under way, and sees the published night in full
        with duckdb.connect(str(wh), read_only=True) as con:
            seen = con.execute("SELECT count(*) FROM audit.transactions").fetchall()
        assert seen == published or point == "after-replace"
        kill(proc)
    finally:
        if proc.poll() is None:
            proc.kill()

    if point == "after-replace":  # the swap happened: the new warehouse is there, whole
        assert query(wh, NEW)[0][0] > 0
    else:
        assert sha(wh) == before
    visible = sorted(p.name for p in reports.iterdir() if not p.name.startswith("."))
    assert visible == [DAY]
    if point in REPORTED:  # tonight's reports are already in place, complete
        assert sorted(tree(reports / DAY)) == sorted(reports_before)
    else:
        assert tree(reports / DAY) == reports_before

    result = run(inbox, wh)
    assert result["ingest"]["accepted"] == (0 if point == "after-replace" else 1)
    assert query(wh, NEW)[0][0] > 0
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("w.duckdb")) == [
        "w.duckdb", "w.duckdb.hashes.json", "w.duckdb.letters.json", "w.duckdb.lock"]
    assert sorted(p.name for p in reports.iterdir()) == [DAY]  # no staging folder left behind
