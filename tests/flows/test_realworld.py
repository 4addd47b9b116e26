"""Every real-world statement in shared/realworld goes through the nightly job:
each file is accepted or quarantined with a reason, and no transaction is lost."""

from __future__ import annotations

import re
import shutil

import pytest

from tests.conftest import SAMPLE_INBOX, SHARED
from tests.flows.helpers import query, run

REAL = SHARED / "realworld"
FILES = sorted(p for p in REAL.rglob("*") if p.is_file() and p.suffix.lower() in (".ofx", ".qfx", ".csv"))
# transaction rows counted by hand from the CSV files (OFX: <STMTTRN> tags)
CSV_ROWS = {"lloyds__statement.csv": 6, "nationwide__midata.csv": 8, "nationwide__statement.csv": 6}

pytestmark = pytest.mark.skipif(not FILES, reason="shared/realworld is not beside the repository")


@pytest.fixture(scope="module")
def loaded(tmp_path_factory):
    work = tmp_path_factory.mktemp("realworld")
    inbox = work / "inbox"
    # a run needs a register (a missing one stops it): the sample council's; no realworld account is in it
    shutil.copytree(SAMPLE_INBOX / "register", inbox / "register")
    for f in FILES:
        dest = inbox / "statements" / f.parent.name / f.name
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(f, dest)
    wh = work / "w.duckdb"
    run(inbox, wh)
    return wh


def expected_rows(path) -> int:
    if path.suffix.lower() == ".csv":
        return CSV_ROWS[path.name]
    return len(re.findall(rb"(?i)<stmttrn>", path.read_bytes()))


@pytest.mark.parametrize("path", FILES, ids=[f.name for f in FILES])
def test_file_is_loaded_or_quarantined_and_no_row_is_lost(loaded, path):
    rel = f"statements/{path.parent.name}/{path.name}"
    rows = query(loaded, f"SELECT status, reason, rows_loaded, rows_quarantined FROM audit.ingest_log WHERE path = '{rel}'")
    assert len(rows) == 1, rel
    status, reason, n_loaded, n_quarantined = rows[0]
    assert status in ("accepted", "quarantined")
    if status == "quarantined":
        assert reason
    in_quarantine = query(loaded, f"SELECT count(*) FROM audit.quarantine WHERE path = '{rel}' AND line IS NOT NULL")[0][0]
    assert n_quarantined == in_quarantine
    assert n_loaded + n_quarantined == expected_rows(path)
    landed = query(loaded, f"SELECT count(*) FROM land.statement_lines WHERE source_path = '{rel}'")[0][0]
    assert landed == n_loaded

