"""Every night kept beside the live warehouse, listed, opened by auditors, and restored (issue 16, History)."""

from __future__ import annotations

import fcntl
import os
import re
import shutil
from datetime import date, datetime
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from flows.cli import app
from flows.history import LONDON, keep, night_path, nights, restore
from flows.warehouse import WarehouseBusy
from stores.codes import issue_code
from stores.reviews import append as decide
from tests.conftest import ROOT, SAMPLE_INBOX
from tests.flows.helpers import copy_inbox, query, run

MARCH_3, MARCH_4 = date(2026, 3, 3), date(2026, 3, 4)
NEW = "SELECT count(*) FROM audit.transactions WHERE transaction_id LIKE 'T10%'"


def published(path: Path, night: date) -> None:
    """Pretend ``path`` was published on ``night`` (its mtime, in London, is what names a night)."""
    when = datetime(night.year, night.month, night.day, 23, 30, tzinfo=LONDON).timestamp()
    os.utime(path, (when, when))


@pytest.fixture(scope="module")
def two_nights(tmp_path_factory) -> Path:
    """3 March: the sample inbox; 4 March: a new card statement too. Live: 4 March; kept: 3 March."""
    base = tmp_path_factory.mktemp("nights")
    inbox = copy_inbox(SAMPLE_INBOX, base / "inbox")
    later = (inbox / "statements/cards-2025-04-copy.csv").read_text()
    (inbox / "statements/cards-2025-04-copy.csv").unlink()
    wh = base / "data" / "warehouse.duckdb"
    wh.parent.mkdir()
    run(inbox, wh)
    published(wh, MARCH_3)
    (inbox / "statements/cards-2025-05.csv").write_text(later.replace("T000", "T100"))
    run(inbox, wh)
    published(wh, MARCH_4)
    return base


@pytest.fixture
def nights_copy(two_nights, tmp_path) -> Path:
    shutil.copytree(two_nights, tmp_path, dirs_exist_ok=True, copy_function=shutil.copy2)
    return tmp_path / "data" / "warehouse.duckdb"


def test_a_publish_keeps_the_outgoing_warehouse_as_its_night_by_a_hard_link(tmp_path):
    wh = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(wh)) as con:
        con.execute("CREATE TABLE t AS SELECT 1 AS x")
    published(wh, MARCH_3)
    inode = wh.stat().st_ino
    kept = keep(wh, nights=14)
    assert kept == night_path(wh, MARCH_3) == tmp_path / "history" / "warehouse_2026-03-03.duckdb"
    assert kept.stat().st_ino == inode  # no copy: the same file, never written again
    assert keep(wh, nights=14) == kept  # a second publish the same night keeps the later file
    assert not list(kept.parent.glob(".*"))


def test_only_the_last_n_nights_are_kept(tmp_path):
    wh = tmp_path / "warehouse.duckdb"
    wh.write_bytes(b"stand-in")
    for day in range(1, 8):
        published(wh, date(2026, 3, day))
        keep(wh, nights=3)
    assert sorted(p.name for p in (tmp_path / "history").iterdir()) == [
        "warehouse_2026-03-05.duckdb", "warehouse_2026-03-06.duckdb", "warehouse_2026-03-07.duckdb"]
    assert keep(wh, nights=0) is None


def test_a_night_that_cannot_be_kept_never_stops_a_publish(tmp_path):
    wh = tmp_path / "warehouse.duckdb"
    wh.write_bytes(b"stand-in")
    (tmp_path / "history").write_text("a file where the history folder goes")
    assert keep(wh, nights=14) is None


def test_the_nightly_run_keeps_the_night_before(nights_copy):
    listed = nights(nights_copy)
    assert [(n.night, n.live) for n in listed] == [(MARCH_4, True), (MARCH_3, False)]
    assert all(n.status == "completed" and n.as_of == date(2025, 6, 30) and n.run_id for n in listed)
    assert listed[0].run_id != listed[1].run_id
    assert query(listed[1].path, NEW) == [(0,)] and query(nights_copy, NEW)[0][0] > 0


def test_dprecon_history_lists_night_as_of_run_and_size(nights_copy):
    result = CliRunner().invoke(app, ["history", "--warehouse", str(nights_copy)])
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert "2026-03-04 (live)" in text and "2026-03-03" in text and "2025-06-30" in text and "MB" in text
    for n in nights(nights_copy):
        assert n.run_id[:8] in result.output


def test_restore_rolls_the_live_warehouse_back_and_records_it(nights_copy):
    base = nights_copy.parent
    exception_id = query(nights_copy, "SELECT exception_id FROM audit.exceptions LIMIT 1")[0][0]
    decide(nights_copy, exception_id, "officer1", "dismissed", "checked with the family", None)
    issue_code(nights_copy, "DP000001-1", date(2025, 4, 1))
    outside = {p: p.read_bytes() for p in (base / "reviews.jsonl", base / "portal" / "portal.sqlite3")}
    march_4 = nights_copy.stat().st_ino

    result = CliRunner().invoke(app, ["restore", "2026-03-03", "--warehouse", str(nights_copy)])
    assert result.exit_code == 0, result.output
    assert query(nights_copy, NEW) == [(0,)]  # 3 March's books
    last = query(nights_copy, "SELECT status, as_of, files_seen FROM audit.runs ORDER BY finished_at DESC LIMIT 1")
    assert last == [("restored", date(2025, 6, 30), 0)]
    assert query(nights_copy, f"SELECT status FROM audit.exceptions WHERE exception_id = '{exception_id}'") == [
        ("dismissed",)]  # the officer's decision still stands on the restored books
    assert {p: p.read_bytes() for p in outside} == outside  # decisions and portal state untouched
    kept_4 = [n for n in nights(nights_copy) if not n.live and n.path.stat().st_ino == march_4]
    assert kept_4 and query(kept_4[0].path, NEW)[0][0] > 0  # the replaced warehouse is kept: undoable

    again = run(base.parent / "inbox", nights_copy)  # the next run carries on from the restored books
    assert query(nights_copy, NEW)[0][0] > 0 and again["ingest"]["accepted"] >= 1


def test_a_restore_during_a_run_is_refused_and_changes_nothing(nights_copy):
    before = nights_copy.read_bytes()
    fd = os.open(nights_copy.with_name(nights_copy.name + ".lock"), os.O_RDWR | os.O_CREAT, 0o644)
    fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        with pytest.raises(WarehouseBusy):
            restore(nights_copy, MARCH_3)
        result = CliRunner().invoke(app, ["restore", "2026-03-03", "--warehouse", str(nights_copy)])
    finally:
        os.close(fd)
    assert result.exit_code == 3
    assert "Restore refused: another dprecon run is using" in " ".join(result.output.split())
    assert nights_copy.read_bytes() == before


def test_restoring_a_night_not_kept_names_the_nights_that_are(nights_copy):
    result = CliRunner().invoke(app, ["restore", "2026-02-01", "--warehouse", str(nights_copy)])
    assert result.exit_code == 2
    assert "No night 2026-02-01" in result.output and "2026-03-03" in result.output


def test_the_auditors_recipe_runs_against_a_kept_night(nights_copy):
    guide = (ROOT / "docs" / "auditors.md").read_text()
    [recipe] = re.findall(r"```duckdb\n(.*?)```", guide, re.S)
    kept = night_path(nights_copy, MARCH_3)
    with duckdb.connect(str(nights_copy), read_only=True) as con:
        for statement in recipe.replace("data/history/warehouse_2026-03-03.duckdb", str(kept)).split(";"):
            if statement.strip():
                con.execute(statement)  # as an auditor would paste it
        con.execute(f"ATTACH '{kept}' AS night_of (READ_ONLY)")
        then = con.execute("SELECT count(*) FROM night_of.audit.transactions").fetchone()[0]
        now = con.execute("SELECT count(*) FROM audit.transactions").fetchone()[0]
    assert then < now  # what we knew on 3 March is not what we know now
