"""Officers' decisions are input: they survive every later run, including a killed one."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import date

import pytest
from typer.testing import CliRunner

from flows.cli import app
from stores.reviews import load, store_path
from tests.conftest import ROOT, SAMPLE_INBOX
from tests.flows.helpers import copy_inbox, query, run
from tests.flows.test_kill_safety import SCRIPT

AS_OF = date(2025, 10, 31)
runner = CliRunner()


@pytest.fixture()
def council(tmp_path):
    inbox = copy_inbox(SAMPLE_INBOX, tmp_path / "inbox")
    wh = tmp_path / "w.duckdb"
    run(inbox, wh, as_of=AS_OF)
    xid = query(wh, "SELECT exception_id FROM audit.exceptions WHERE rule_code = 'INELIGIBLE_SPEND'")[0][0]
    return inbox, wh, xid


def decide(wh, xid, *args):
    return runner.invoke(app, ["review", "decide", xid, "--warehouse", str(wh), "--reviewer", "jsmith", *args])


def test_a_decision_shows_at_once_and_survives_a_rerun(council):
    inbox, wh, xid = council
    assert decide(wh, xid, "--decision", "recovered", "--amount", "20.00", "--note", "repaid").exit_code == 0
    assert query(wh, f"SELECT status FROM audit.exceptions WHERE exception_id = '{xid}'") == [("recovered",)]
    run(inbox, wh, as_of=AS_OF)  # the nightly rebuild
    assert query(wh, f"SELECT status FROM audit.exceptions WHERE exception_id = '{xid}'") == [("recovered",)]
    reviews = query(wh, "SELECT exception_id, reviewer, decision, amount_recovered, note FROM audit.reviews")
    assert reviews == [(xid, "jsmith", "recovered", 20, "repaid")]


def test_decisions_are_append_only_and_the_latest_sets_the_status(council):
    _, wh, xid = council
    decide(wh, xid, "--decision", "referred")
    decide(wh, xid, "--decision", "dismissed", "--note", "receipt found")
    assert len(load(wh)) == 2
    assert len(store_path(wh).read_text().splitlines()) == 2
    assert query(wh, f"SELECT status FROM audit.exceptions WHERE exception_id = '{xid}'") == [("dismissed",)]


def test_bad_decisions_are_refused_and_nothing_is_written(council):
    _, wh, xid = council
    assert decide(wh, xid, "--decision", "maybe").exit_code != 0
    assert decide(wh, xid, "--decision", "recovered").exit_code != 0  # needs an amount
    assert decide(wh, "XNOSUCH", "--decision", "confirmed").exit_code != 0
    assert not store_path(wh).exists()


def test_a_decision_survives_a_killed_run(council):
    inbox, wh, xid = council
    decide(wh, xid, "--decision", "confirmed")
    marker = wh.parent / "paused"
    env = dict(os.environ, DPRECON_PAUSE_AT="publish", DPRECON_PAUSE_MARKER=str(marker), PYTHONPATH=str(ROOT))
    proc = subprocess.Popen([sys.executable, "-c", SCRIPT, str(inbox), str(wh)], env=env, cwd=ROOT)
    try:
        deadline = time.time() + 120
        while not marker.exists():
            assert proc.poll() is None and time.time() < deadline
            time.sleep(0.1)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert query(wh, f"SELECT status FROM audit.exceptions WHERE exception_id = '{xid}'") == [("confirmed",)]
    run(inbox, wh, as_of=AS_OF)
    assert query(wh, f"SELECT status FROM audit.exceptions WHERE exception_id = '{xid}'") == [("confirmed",)]


def test_a_torn_last_line_is_not_a_record(tmp_path):
    from stores.reviews import append_record, read_records

    store = tmp_path / "store.jsonl"
    append_record(store, {"exception_id": "X1", "decision": "confirmed"})
    with store.open("a") as f:
        f.write('{"exception_id": "X2", "deci')  # the process died mid-append
    assert read_records(store) == [{"exception_id": "X1", "decision": "confirmed"}]
    assert read_records(tmp_path / "absent.jsonl") == []
