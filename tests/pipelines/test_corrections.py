"""pipelines.corrections: which version of a re-sent transaction stands, and what the log says."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from pipelines.corrections import (
    correction_notes,
    corrections,
    current_transactions,
    new_transactions,
    statement_dates,
)

SCHEMA = {"account_id": pl.String, "transaction_id": pl.String, "date": pl.Date, "amount": pl.Decimal(18, 2),
          "payee": pl.String, "memo": pl.String, "trntype": pl.String, "mcc": pl.String, "seq": pl.Int64,
          "file_id": pl.String, "source_path": pl.String, "source_line": pl.Int64}
BAL = {"file_id": pl.String, "account_id": pl.String, "end_date": pl.Date}


def line(fid, tid, amount, seq, payee="WILLIAM HILL", acct="A1", day=date(2025, 4, 12), line_no=10):
    return dict(account_id=acct, transaction_id=tid, date=day, amount=Decimal(amount), payee=payee, memo=None,
                trntype="DEBIT", mcc=None, seq=seq, file_id=fid, source_path=f"statements/{fid}.ofx",
                source_line=line_no)


def frame(rows):
    return pl.DataFrame(rows, schema=SCHEMA)


def balances(rows):
    return pl.DataFrame(rows, schema=BAL, orient="row")


APRIL = [line("april", "T77", "-40.00", 1), line("april", "T78", "-12.00", 2, payee="NEWS")]
MAY = [line("may", "T77", "-45.00", 3), line("may", "T78", "-12.00", 4, payee="NEWS")]
ENDS = balances([("april", "A1", date(2025, 4, 30)), ("may", "A1", date(2025, 5, 31))])


def standing(rows, ends=ENDS):
    lines = frame(rows)
    return current_transactions(lines, statement_dates(lines, ends)).sort("transaction_id")


def test_the_later_statement_stands_to_the_penny():
    out = standing(APRIL + MAY)
    assert out["amount"].to_list() == [Decimal("-45.00"), Decimal("-12.00")]
    assert out["source_path"].to_list() == ["statements/may.ofx", "statements/april.ofx"]


def test_by_statement_date_not_arrival():
    # May's statement arrived first, April's re-download later: May's amount still stands
    may_first = [dict(r, seq=r["seq"] - 2) for r in MAY] + [dict(r, seq=r["seq"] + 2) for r in APRIL]
    assert standing(may_first)["amount"].to_list() == [Decimal("-45.00"), Decimal("-12.00")]


def test_the_same_statement_date_falls_back_to_arrival():
    ends = balances([("april", "A1", date(2025, 4, 30)), ("may", "A1", date(2025, 4, 30))])
    assert standing(APRIL + MAY, ends)["amount"].to_list()[0] == Decimal("-45.00")
    swapped = [dict(r, seq=10 - r["seq"]) for r in APRIL + MAY]  # april now arrived last
    assert standing(swapped, ends)["amount"].to_list()[0] == Decimal("-40.00")


def test_without_declared_dates_the_files_last_line_decides():
    april = APRIL + [line("april", "T79", "-1.00", 5, day=date(2025, 4, 29))]
    may = MAY + [line("may", "T80", "-1.00", 6, day=date(2025, 5, 20))]
    out = standing(april + may, balances([]))
    assert out.filter(pl.col("transaction_id") == "T77")["amount"].to_list() == [Decimal("-45.00")]


def test_look_alikes_are_not_corrections():
    # the same id on another account is another transaction; an identical re-download is the same one
    rows = APRIL + [line("other", "T77", "-45.00", 9, acct="A2")] + [dict(r, file_id="copy", seq=r["seq"] + 20,
                                                                          source_path="statements/copy.ofx") for r in APRIL]
    lines = frame(rows)
    dates = statement_dates(lines, balances([]))
    assert corrections(lines, dates).height == 0
    assert correction_notes(lines, dates, {"copy", "other"}) == {}
    assert standing(rows, balances([])).height == 3


def test_corrections_and_notes_say_what_changed():
    lines = frame(APRIL + MAY)
    dates = statement_dates(lines, ENDS)
    c = corrections(lines, dates)
    assert c.select("transaction_id", "changes", "was_path", "now_path").rows() == [
        ("T77", "amount -£40.00 → -£45.00", "statements/april.ofx", "statements/may.ofx")]
    assert correction_notes(lines, dates, {"may"}) == {
        "may": "corrects 1 transaction(s) loaded from statements/april.ofx: T77 amount -£40.00 → -£45.00"}


def test_a_late_earlier_statement_is_told_it_carries_an_old_version():
    rows = [dict(r, seq=r["seq"] + 10) for r in APRIL] + MAY
    lines = frame(rows)
    notes = correction_notes(lines, statement_dates(lines, ENDS), {"april"})
    assert notes["april"].startswith("carries an earlier version of 1 transaction(s) that statements/may.ofx")
    assert "T77 amount -£40.00 → -£45.00" in notes["april"]


def test_text_changes_are_named_not_quoted():
    rows = [line("a", "T1", "-5.00", 1, payee="J SMITH"), line("b", "T1", "-5.00", 2, payee="JOHN SMITH")]
    lines = frame(rows)
    ends = balances([("a", "A1", date(2025, 4, 30)), ("b", "A1", date(2025, 5, 31))])
    assert correction_notes(lines, statement_dates(lines, ends), {"b"}) == {
        "b": "corrects 1 transaction(s) loaded from statements/a.ofx: T1 description changed"}


@settings(max_examples=40, deadline=None)
@given(st.permutations(list(range(4))))
def test_row_order_does_not_matter(order):
    rows = APRIL + MAY
    shuffled = [rows[i] for i in order]
    assert_frame_equal(standing(shuffled), standing(rows))


def test_new_transactions_count_the_first_file_and_never_a_correction():
    known = frame(APRIL).select("account_id", "transaction_id")
    incoming = frame(MAY + [line("may", "T90", "-9.99", 5), line("june", "T90", "-9.99", 6)])
    assert new_transactions(incoming, known) == {"may": 1}
