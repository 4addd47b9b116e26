"""Auditors read while runs publish, and two runs start at once.

DuckDB 2 lets a writer and a read-only reader of one file exclude each other
both ways. A run never opens the published file for writing: it works on a
copy and publishes with ``os.replace``, so auditors reading the published
path, in another process or in a thread, never fail and never wait, and each
read sees one published night in full, never a mixture. A reader holding the
file open does not hold up publishing. A second run started while one is
under way is refused with a clear message and touches nothing of the first.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import duckdb
from typer.testing import CliRunner

from flows.cli import app
from tests.conftest import ROOT
from tests.flows.helpers import query, run
from tests.reliability import child

# One statement, so one consistent view of the warehouse: any mixture of two
# nights would show as a combination no night published.
SNAPSHOT = """SELECT (SELECT count(*) FROM audit.runs), (SELECT count(*) FROM audit.ingest_log),
    (SELECT count(*) FROM audit.transactions), (SELECT CAST(sum(amount) AS VARCHAR) FROM audit.transactions),
    (SELECT count(*) FROM audit.exceptions), (SELECT count(*) FROM audit.quarantine)"""

AUDITOR = """
import json, os, sys, duckdb
path, stop, ready, out, sql = sys.argv[1:6]
seen, failures = {}, []
while not os.path.exists(stop):
    try:
        with duckdb.connect(path, read_only=True) as con:
            snap = json.dumps(con.execute(sql).fetchall()[0])
        if snap not in seen:  # tell the test each night as it is first seen
            with open(ready, "a") as f:
                f.write(snap + "\\n")
        seen[snap] = seen.get(snap, 0) + 1
    except Exception as e:
        failures.append(f"{type(e).__name__}: {e}")
json.dump({"seen": seen, "failures": failures[:20], "failed": len(failures)}, open(out, "w"))
"""


def snapshot(path: Path) -> str:
    with duckdb.connect(str(path), read_only=True) as con:
        return json.dumps(con.execute(SNAPSHOT).fetchall()[0])


def wait_until(condition, what: str, proc: subprocess.Popen, seconds: float = 120) -> None:
    """Wait for a condition (never for a length of time): the readers have seen a night."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert proc.poll() is None and time.monotonic() < deadline, what
        time.sleep(0.05)


def later_statement(inbox: Path, night: int) -> None:
    """A new card statement, so that each night publishes something new."""
    src = (inbox / "statements/cards-2025-04.csv").read_text()
    (inbox / f"statements/cards-night-{night}.csv").write_text(src.replace("T000", f"T{night}0"))


def test_auditors_reading_throughout_runs_never_fail_and_see_whole_nights(tmp_path):
    inbox = shutil.copytree(ROOT / "tests/fixtures/sample_inbox", tmp_path / "inbox")
    wh = tmp_path / "w.duckdb"
    run(inbox, wh)
    published = [tmp_path / "published-0.duckdb"]
    shutil.copyfile(wh, published[0])

    stop, ready, out = tmp_path / "stop", tmp_path / "ready", tmp_path / "auditor.json"
    auditor = subprocess.Popen([sys.executable, "-c", AUDITOR, str(wh), str(stop), str(ready), str(out), SNAPSHOT])
    seen_in_thread: dict[str, int] = {}
    thread_failures: list[str] = []

    def read_in_a_thread() -> None:
        while not stop.exists():
            try:
                s = snapshot(wh)
                seen_in_thread[s] = seen_in_thread.get(s, 0) + 1
            except Exception as e:  # noqa: BLE001 - every failure is the finding
                thread_failures.append(f"{type(e).__name__}: {e}")

    reader = threading.Thread(target=read_in_a_thread)
    reader.start()
    try:
        def both_have_seen(night: str):
            return lambda: (night in seen_in_thread and ready.exists()
                            and night in ready.read_text().splitlines())

        wait_until(both_have_seen(snapshot(published[0])), "the auditors never read night 0", auditor)
        for night in range(1, 4):
            later_statement(inbox, night)
            result = run(inbox, wh)
            assert result["ingest"]["accepted"] == 1
            published.append(tmp_path / f"published-{night}.duckdb")
            shutil.copyfile(wh, published[-1])
            wait_until(both_have_seen(snapshot(published[-1])), f"the auditors never read night {night}", auditor)
    finally:
        stop.touch()
        reader.join(timeout=60)
        auditor.wait(timeout=60)

    nights = {snapshot(p) for p in published}
    assert len(nights) == 4
    report = json.loads(out.read_text())
    assert report["failed"] == 0, report["failures"]
    assert thread_failures == []
    assert set(report["seen"]) <= nights and set(seen_in_thread) <= nights
    assert len(report["seen"]) == len(seen_in_thread) == 4, "the auditors read every night"
    assert sum(report["seen"].values()) > 20 and sum(seen_in_thread.values()) > 20


HOLDER = """
import json, os, sys, time, duckdb
path, held, go_on, sql = sys.argv[1:5]
con = duckdb.connect(path, read_only=True)
first = con.execute(sql).fetchall()[0]
open(held, "w").close()
while not os.path.exists(go_on):
    time.sleep(0.05)
again = con.execute(sql).fetchall()[0]
con.close()
print(json.dumps([first == again, first]))
"""


def test_an_auditor_holding_the_warehouse_open_does_not_hold_up_publishing(tmp_path):
    inbox = shutil.copytree(ROOT / "tests/fixtures/sample_inbox", tmp_path / "inbox")
    wh = tmp_path / "w.duckdb"
    run(inbox, wh)
    old = snapshot(wh)
    held, go_on = tmp_path / "held", tmp_path / "go-on"
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(wh), str(held), str(go_on), SNAPSHOT],
                              stdout=subprocess.PIPE, text=True)
    try:
        child.wait_for(held, holder, timeout=60)
        later_statement(inbox, 1)
        started = time.monotonic()
        run(inbox, wh)  # publishes while the auditor's connection is open
        assert time.monotonic() - started < 60
        assert snapshot(wh) != old
    finally:
        go_on.touch()
        out, _ = holder.communicate(timeout=60)
    unchanged, first = json.loads(out)
    assert unchanged and json.dumps(first) == old  # the open connection still reads its night, whole


def test_a_second_run_is_refused_clearly_while_the_first_is_under_way(prefect_harness, tmp_path):
    base = child.earlier_night(tmp_path / "night")
    inbox, wh, reports = base / "inbox", base / "w.duckdb", base / "reports"
    before = (wh.read_bytes(), snapshot(wh))
    paused, release = tmp_path / "paused", tmp_path / "release"
    first = child.start(inbox=inbox, warehouse=wh, reports=reports, pause="mid-reconcile",
                        marker=paused, release=release)
    try:
        child.wait_for(paused, first)
        working_copy = wh.with_name(wh.name + ".next")
        assert working_copy.exists()

        second = child.start(inbox=inbox, warehouse=wh, reports=reports)  # another process
        status, said, _ = child.finish(second)
        assert status == 3
        assert said.strip() == f"another dprecon run is using {wh} right now; try again when it has finished"

        cli = CliRunner().invoke(app, ["run", "--inbox", str(inbox), "--warehouse", str(wh),
                                       "--reports", str(reports), "--as-of", "2025-06-30"])
        assert cli.exit_code == 3
        assert "another dprecon run is using" in " ".join(cli.output.split())

        assert working_copy.exists()  # neither refused run touched the first one's work
        assert (wh.read_bytes(), snapshot(wh)) == before
        release.touch()
        status, said, traceback = child.finish(first)
        assert status == 0, (said, traceback)
    finally:
        release.touch()
        if first.poll() is None:
            first.kill()
    assert query(wh, "SELECT count(*) FROM audit.runs") == [(2,)]
    assert query(wh, "SELECT count(*) FROM audit.transactions WHERE transaction_id LIKE 'T10%'")[0][0] > 0


def test_runs_started_together_never_write_at_once(tmp_path):
    """Started at the same instant, one run completes; the other is refused,
    or runs after it (and finds nothing new)."""
    base = child.earlier_night(tmp_path / "night")
    runs = [child.start(inbox=base / "inbox", warehouse=base / "w.duckdb", reports=base / "reports")
            for _ in range(2)]
    outcomes = [child.finish(p) for p in runs]
    statuses = sorted(status for status, _, _ in outcomes)
    assert statuses[0] == 0 and set(statuses) <= {0, 3}, outcomes
    assert query(base / "w.duckdb", "SELECT count(*) FROM audit.runs")[0][0] == 1 + statuses.count(0)
    assert query(base / "w.duckdb", "SELECT count(*) FROM audit.ingest_log WHERE path LIKE '%2025-05%'") == [(1,)]
