"""A run killed with SIGKILL at any stage leaves the published warehouse
byte-for-byte as it was; auditors can read it throughout; the next run succeeds."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from tests.conftest import ROOT, SAMPLE_INBOX
from tests.flows.helpers import copy_inbox, query, run

SCRIPT = """
import sys
from datetime import date
from pathlib import Path
from flows.job import run_job
from flows.validation import validate_batch
run_job(Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[2]).parent / 'reports', date(2025, 6, 30),
        validate=validate_batch, workers=1)
"""


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("stage", ["ingest", "reconcile", "publish"])
def test_kill_at_any_stage_leaves_the_warehouse_intact(tmp_path, stage):
    inbox = copy_inbox(SAMPLE_INBOX, tmp_path / "inbox")
    wh = tmp_path / "w.duckdb"
    # a published warehouse from an earlier night, with less in it
    (inbox / "statements/cards-2025-04-copy.csv").rename(tmp_path / "later.csv")
    run(inbox, wh)
    before = sha(wh)
    (tmp_path / "later.csv").rename(inbox / "statements/cards-2025-05.csv")
    (inbox / "statements/cards-2025-05.csv").write_text(
        (inbox / "statements/cards-2025-05.csv").read_text().replace("T000", "T100"))

    marker = tmp_path / "paused"
    env = dict(os.environ, DPRECON_PAUSE_AT=stage, DPRECON_PAUSE_MARKER=str(marker), PYTHONPATH=str(ROOT))
    proc = subprocess.Popen([sys.executable, "-c", SCRIPT, str(inbox), str(wh)], env=env, cwd=ROOT)
    try:
        deadline = time.time() + 120
        while not marker.exists():
            assert proc.poll() is None, "the run ended before reaching the pause point"
            assert time.time() < deadline
            time.sleep(0.1)
        # an auditor reads while the run is under way
        with duckdb.connect(str(wh), read_only=True) as con:
            assert con.execute("SELECT count(*) FROM audit.transactions").fetchall()[0][0] > 0
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert sha(wh) == before
    result = run(inbox, wh)
    assert result["ingest"]["accepted"] == 1
    assert query(wh, "SELECT count(*) FROM audit.transactions WHERE transaction_id LIKE 'T10%'")[0][0] > 0
    assert not wh.with_name(wh.name + ".next").exists()
