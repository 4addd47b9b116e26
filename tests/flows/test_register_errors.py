"""A register error never makes a budget vanish (issue 15 point 6): a messy
budgets.csv has its bad rows set aside with reasons an officer understands, the
last good version of each budget stays in the books, and the officers' report
says so at the top."""

from __future__ import annotations

import shutil
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from tests.conftest import ROOT, SAMPLE_INBOX
from tests.flows.helpers import copy_inbox, query, run

MESSY = ROOT / "tests" / "fixtures" / "register" / "messy_budgets.csv"
AS_OF = date(2025, 6, 30)


@pytest.fixture()
def two_nights(tmp_path: Path) -> tuple[Path, Path]:
    """Night 1: the sample register (B001, B002; B003 set aside). Night 2: the messy one."""
    inbox = copy_inbox(SAMPLE_INBOX, tmp_path / "inbox")
    wh = tmp_path / "w.duckdb"
    run(inbox, wh, AS_OF)
    shutil.copy(MESSY, inbox / "register" / "budgets.csv")
    run(inbox, wh, AS_OF)
    return inbox, wh


def reasons(wh: Path) -> dict[int, str]:
    return dict(query(wh, "SELECT q.line, q.reason FROM audit.quarantine q JOIN audit.ingest_log l USING (file_id) "
                          "WHERE l.path = 'register/budgets.csv' AND l.seen_at = (SELECT max(seen_at) FROM "
                          "audit.ingest_log WHERE path = 'register/budgets.csv')"))


def test_a_duplicate_id_keeps_the_last_good_version(two_nights):
    _, wh = two_nights
    assert query(wh, "SELECT agreed_amount, source_line FROM audit.budgets WHERE budget_id = 'B001'") == [
        (Decimal("15600.00"), 2)]
    got = reasons(wh)
    assert got[2] == got[5] == ("budget B001 is on more than one line of this file (lines 2 and 5); "
                                "neither is used until the register is put right")


def test_end_before_start_keeps_the_last_good_version(two_nights):
    _, wh = two_nights
    assert query(wh, "SELECT start_date, end_date FROM audit.budgets WHERE budget_id = 'B002'") == [
        (date(2025, 4, 1), date(2026, 3, 31))]
    assert reasons(wh)[3] == "the term ends (2025-03-31) before it starts (2026-04-01)"


def test_bad_amounts_and_unknown_codes_are_set_aside_with_reasons(two_nights):
    _, wh = two_nights
    got = reasons(wh)
    assert "agreed amount must be more than £0.00 (found 0.00)" in got[4]
    assert "payment amount must be more than £0.00 (found 0.00)" in got[4]
    assert "managed by must be one of: self, family, representative, managed_account" in got[6]
    assert "'Self Managed'" in got[6]
    assert "cohort must be one of" in got[7] and "payment frequency must be one of" in got[7]
    assert "status must be one of" in got[7]
    assert "payment amount must be more than £0.00 (found -433.33)" in got[8]
    assert "estimated amount cannot be negative (found -100.00)" in got[8]
    assert "weekly contribution cannot be negative (found -5.00)" in got[8]
    assert sorted(got) == [2, 3, 4, 5, 6, 7, 8]


def test_good_rows_load_and_new_bad_budgets_are_not_invented(two_nights):
    _, wh = two_nights
    assert [b for (b,) in query(wh, "SELECT budget_id FROM audit.budgets ORDER BY 1")] == ["B001", "B002", "B008"]
    status, reason, loaded, set_aside = query(wh, "SELECT status, reason, rows_loaded, rows_quarantined FROM "
                                                  "audit.ingest_log WHERE path = 'register/budgets.csv' "
                                                  "ORDER BY seen_at DESC LIMIT 1")[0]
    assert (status, loaded, set_aside) == ("accepted", 1, 7)


def test_the_budgets_returns_stay(two_nights, tmp_path):
    _, wh = two_nights
    assert query(wh, "SELECT count(*) FROM audit.budget_positions WHERE budget_id IN ('B001', 'B002')")[0][0] > 0


def test_the_report_says_so_at_the_top(two_nights, tmp_path):
    html = (tmp_path / "reports" / AS_OF.isoformat() / "exceptions.html").read_text(encoding="utf-8")
    assert 'id="register"' in html and html.index('id="register"') < html.index('id="summary"')
    block = html[html.index('id="register"'):html.index('id="summary"')]
    assert block.count("<tr>") == 8  # header + seven rows set aside
    assert "the version loaded on" in block and "(line 2)" in block
    assert "there is no earlier version" in block  # B004..B007 were never good
    assert "Self Managed" in block  # escaped text, shown as written


def test_once_the_register_is_put_right_the_block_goes(two_nights, tmp_path):
    inbox, wh = two_nights
    shutil.copy(SAMPLE_INBOX / "register" / "budgets.csv", inbox / "register" / "budgets.csv")
    (inbox / "register" / "budgets.csv").write_text(
        (SAMPLE_INBOX / "register" / "budgets.csv").read_text(encoding="utf-8").replace("2025-13-01", "2025-04-01"),
        encoding="utf-8")
    run(inbox, wh, AS_OF)
    html = (tmp_path / "reports" / AS_OF.isoformat() / "exceptions.html").read_text(encoding="utf-8")
    assert 'id="register"' not in html
    assert [b for (b,) in query(wh, "SELECT budget_id FROM audit.budgets ORDER BY 1")] == ["B001", "B002", "B003"]


def test_a_row_that_cannot_be_split_keeps_what_the_register_held(tmp_path):
    """"Patel, Sam" unquoted: the row has one value too many and no id can be read
    from it; B002 stays as loaded before rather than vanishing."""
    inbox = copy_inbox(SAMPLE_INBOX, tmp_path / "inbox")
    wh = tmp_path / "w.duckdb"
    run(inbox, wh, AS_OF)
    shutil.copy(MESSY.with_name("ragged_budgets.csv"), inbox / "register" / "budgets.csv")
    run(inbox, wh, AS_OF)
    assert [b for (b,) in query(wh, "SELECT budget_id FROM audit.budgets ORDER BY 1")] == ["B001", "B002"]
    assert query(wh, "SELECT holder_name, source_line FROM audit.budgets WHERE budget_id = 'B002'") == [("Sam Patel", 3)]
    html = (tmp_path / "reports" / AS_OF.isoformat() / "exceptions.html").read_text(encoding="utf-8")
    block = html[html.index('id="register"'):html.index('id="summary"')]
    assert "16 values but the header has 15" in block and "its id cannot be read" in block
