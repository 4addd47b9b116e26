"""Evidence returns and EVIDENCE_OVERDUE (pipelines/rules/evidence.py)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from pipelines.rules.evidence import evidence_overdue
from tests.pipelines.rules.books import evidence, make_books, txn

SPEND = [txn("2026-05-02", "-300.00", "ARGOS", transaction_id="T-A"),
         txn("2026-06-05", "-120.00", "CURRYS", transaction_id="T-B")]


def test_evidence_overdue_worked_example():
    """Quarter 1 April–30 June, due 28 July; on 1 August nothing has come: £420.00 in two
    payments needs receipts; the return is at risk."""
    books = make_books("2026-08-01", txns=SPEND)
    flags = evidence_overdue(books)
    assert [(str(f["period_start"]), f["amount"]) for f in flags] == [("2026-04-01", Decimal("420.00"))]
    assert "2 payment(s) totalling £420.00" in flags[0]["explanation"]
    first = books.returns.row(0, named=True)
    assert (first["due_date"], first["eligibility_status"]) == (date(2026, 7, 28), "at_risk")


def test_not_overdue_on_its_due_date_nor_once_received():
    assert evidence_overdue(make_books("2026-07-28", txns=SPEND)) == []
    received = [evidence("2026-04-01", None, evidence_type="explanation", received_on="2026-07-30")]
    assert evidence_overdue(make_books("2026-08-01", txns=SPEND, evidence_rows=received)) == []


def test_a_second_missed_return_lapses_eligibility():
    books = make_books("2026-10-29", txns=SPEND)  # Q2 (1 July–30 September) was due 28 October
    assert [str(f["period_start"]) for f in evidence_overdue(books)] == ["2026-04-01", "2026-07-01"]
    assert books.returns["eligibility_status"].to_list() == ["at_risk", "lapsed"]
    assert "Eligibility has lapsed." in evidence_overdue(books)[1]["explanation"]
