"""The inbox holds only regular files (issue 15 point 5).

A FIFO, a socket or a device is logged and skipped, never opened (opening a
FIFO blocks for ever while the run holds the warehouse lock); a link is not
followed out of the inbox; an empty file is logged as empty, not as a
duplicate of another empty file. Every test has a timeout: a hang fails it.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

from flows.inbox import parse_one, scan
from tests.conftest import SAMPLE_INBOX
from tests.flows.helpers import copy_inbox, query, run

pytestmark = pytest.mark.timeout(120)

STATEMENT = "account_id,date,description,amount\nACC-9,2025-04-03,TESCO STORES,-12.50\n"


@pytest.fixture()
def inbox(tmp_path: Path) -> Path:
    return copy_inbox(SAMPLE_INBOX, tmp_path / "inbox")


def by_path(files) -> dict:
    return {f.relpath: f for f in files}


def test_a_fifo_is_listed_with_a_reason_and_never_opened(inbox):
    os.mkfifo(inbox / "statements" / "feed.csv")  # opening it for reading would block: no writer
    f = by_path(scan(inbox))["statements/feed.csv"]
    assert f.problem and "named pipe" in f.problem and "not opened" in f.problem
    assert f.sha256 == "(fifo)"


def test_a_socket_is_listed_and_never_opened(tmp_path):
    box = tmp_path / "i"
    (box / "statements").mkdir(parents=True)
    s = socket.socket(socket.AF_UNIX)
    try:
        s.bind(str(box / "statements" / "s.ofx"))
        f = by_path(scan(box))["statements/s.ofx"]
    finally:
        s.close()
    assert f.problem and "socket" in f.problem


def test_a_device_link_and_a_system_file_link_are_not_followed(inbox):
    (inbox / "statements" / "passwd.csv").symlink_to("/etc/passwd")
    (inbox / "statements" / "null.ofx").symlink_to("/dev/null")
    found = by_path(scan(inbox))
    for name in ("statements/passwd.csv", "statements/null.ofx"):
        assert "outside the inbox" in found[name].problem


def test_links_out_are_logged_and_nothing_of_their_target_is_read(inbox, tmp_path):
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "other.csv").write_text(STATEMENT, encoding="utf-8")
    (inbox / "statements" / "other.csv").symlink_to(outside / "other.csv")
    (inbox / "statements" / "passwd.csv").symlink_to("/etc/passwd")
    (inbox / "statements" / "elsewhere").symlink_to(outside, target_is_directory=True)
    os.mkfifo(inbox / "statements" / "feed.csv")
    wh = tmp_path / "w.duckdb"
    run(inbox, wh)
    log = {p: (s, r) for p, s, r in query(wh, "SELECT path, status, reason FROM audit.ingest_log")}
    for name in ("other.csv", "passwd.csv", "elsewhere", "feed.csv"):
        status, reason = log[f"statements/{name}"]
        assert status == "quarantined" and "not" in reason, name
    assert "outside the inbox" in log["statements/other.csv"][1]
    assert "link to a folder" in log["statements/elsewhere"][1]
    raws = " ".join(r or "" for (r,) in query(wh, "SELECT raw FROM audit.quarantine"))
    assert "root:" not in raws and "TESCO" not in raws
    assert query(wh, "SELECT count(*) FROM audit.transactions WHERE account_id = 'ACC-9'") == [(0,)]
    # the next night: the same things are still there, nothing new is logged
    again = run(inbox, wh)
    assert again["ingest"]["quarantined"] == 0 and again["ingest"]["accepted"] == 0


def test_a_link_inside_the_inbox_is_read_like_the_file_it_names(inbox, tmp_path):
    (inbox / "statements" / "april.csv").write_text(STATEMENT, encoding="utf-8")
    (inbox / "statements" / "latest.csv").symlink_to(inbox / "statements" / "april.csv")
    wh = tmp_path / "w.duckdb"
    run(inbox, wh)
    log = dict(query(wh, "SELECT path, status FROM audit.ingest_log WHERE path IN "
                         "('statements/april.csv', 'statements/latest.csv')"))
    assert sorted(log.values()) == ["accepted", "duplicate"]
    assert query(wh, "SELECT count(*) FROM audit.transactions WHERE account_id = 'ACC-9'") == [(1,)]


def test_empty_files_are_logged_as_empty_not_as_duplicates(inbox, tmp_path):
    (inbox / "statements" / "may.ofx").write_bytes(b"")
    (inbox / "invoices" / "june.csv").write_bytes(b"")
    wh = tmp_path / "w.duckdb"
    result = run(inbox, wh)
    rows = query(wh, "SELECT path, status, reason FROM audit.ingest_log WHERE path IN "
                     "('statements/may.ofx', 'invoices/june.csv') ORDER BY path")
    assert [(p, s) for p, s, _ in rows] == [("invoices/june.csv", "quarantined"), ("statements/may.ofx", "quarantined")]
    assert all("empty (0 bytes)" in r for _, _, r in rows)
    assert result["ingest"]["duplicate"] == 1  # only the sample's real copy of a card feed
    # a third empty file another night is empty too, not a duplicate of the first two
    (inbox / "statements" / "july.ofx").write_bytes(b"")
    again = run(inbox, wh)
    assert again["ingest"]["duplicate"] == 0 and again["ingest"]["quarantined"] == 1


def test_a_file_swapped_for_a_fifo_after_the_listing_is_refused_not_opened(inbox):
    path = inbox / "statements" / "late.csv"
    path.write_text(STATEMENT, encoding="utf-8")
    f = by_path(scan(inbox))["statements/late.csv"]
    path.unlink()
    os.mkfifo(path)
    _, parsed = parse_one(str(inbox), f)
    assert parsed.file_error and "named pipe" in parsed.file_error


def test_a_fifo_in_the_inbox_does_not_stop_the_night(inbox, tmp_path):
    os.mkfifo(inbox / "statements" / "feed.ofx")
    os.mkfifo(inbox / "register" / "notes.csv")
    result = run(inbox, tmp_path / "w.duckdb")
    assert result["ingest"]["quarantined"] >= 2 and result["reconcile"]["transactions"] > 0


def test_an_inbox_reached_through_a_link_is_read_as_usual(tmp_path):
    real = tmp_path / "share" / "inbox"
    (real / "statements").mkdir(parents=True)
    (real / "statements" / "april.csv").write_text(STATEMENT, encoding="utf-8")
    (tmp_path / "inbox").symlink_to(real, target_is_directory=True)
    f = by_path(scan(tmp_path / "inbox"))["statements/april.csv"]
    assert f.problem is None
    assert parse_one(str(tmp_path / "inbox"), f)[1].file_error is None
