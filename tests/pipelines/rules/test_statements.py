"""STATEMENT_GAP (pipelines/rules/statements.py): days no statement covers, and
running balances that jump; each worked example with its look-alikes."""

from __future__ import annotations

from decimal import Decimal

from pipelines.rules.statements import statement_gap
from tests.pipelines.rules.books import make_books, txn

AFTER_Q1 = "2026-07-10"


def test_statement_gap_worked_example():
    """Statements cover 1–30 April and 1–30 June; the 31 days of May are covered by none."""
    books = make_books(AFTER_Q1, coverage=[("ACC1", "2026-04-01", "2026-04-30"), ("ACC1", "2026-06-01", "2026-06-30")])
    flags = statement_gap(books)
    assert [(str(f["period_start"]), f["subject"], f["amount"]) for f in flags] == [
        ("2026-04-01", "gap|2026-05-01", None)]
    assert "1 May 2026 to 31 May 2026 (31 days)" in flags[0]["explanation"]


def test_a_gap_of_the_policys_seven_days_is_not_flagged():
    books = make_books(AFTER_Q1, coverage=[("ACC1", "2026-04-01", "2026-04-30"), ("ACC1", "2026-05-08", "2026-06-30")])
    assert statement_gap(books) == []
    books = make_books(AFTER_Q1, coverage=[("ACC1", "2026-04-01", "2026-04-30"), ("ACC1", "2026-05-09", "2026-06-30")])
    assert [f["subject"] for f in statement_gap(books)] == ["gap|2026-05-01"]


def test_a_balance_that_does_not_follow_is_a_gap_of_its_own():
    """Balance £500.00 after a −£20.00 line, then −£30.00 with the balance £420.00:
    500.00 − 30.00 = 470.00 was expected, so £50.00 is unexplained."""
    txns = [txn("2026-05-01", "-20.00", "ARGOS", balance="500.00"),
            txn("2026-05-02", "-30.00", "ARGOS", balance="420.00", transaction_id="J1")]
    flags = statement_gap(make_books(AFTER_Q1, txns=txns))
    assert [(f["amount"], f["evidence"]) for f in flags] == [(Decimal("-50.00"), "J1")]


def test_running_balances_that_follow_are_not_flagged():
    txns = [txn("2026-05-01", "-20.00", "ARGOS", balance="500.00"),
            txn("2026-05-02", "-30.00", "ARGOS", balance="470.00")]
    assert statement_gap(make_books(AFTER_Q1, txns=txns)) == []
