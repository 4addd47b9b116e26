"""The evidence intake's update, as a pure function (pipelines/rules/intake.py)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import polars as pl
from polars.testing import assert_frame_equal

from pipelines.rules.intake import refresh_evidence
from pipelines.rules.registry import declared
from pipelines.rules.run import judge, settle
from tests.pipelines.rules.books import evidence, make_books, txn, weekly

NIGHT, MORNING = date(2026, 8, 1), date(2026, 8, 2)


def _night():
    """Quarter 1 April–30 June, due 28 July; £420.00 of payments need receipts; on 1 August nothing has come."""
    txns = (weekly("2026-04-03", "2026-07-31", "300.00", "DP PAYMENT COUNCIL")
            + [txn("2026-05-02", "-300.00", "ARGOS", transaction_id="T-A"),
               txn("2026-06-05", "-120.00", "CURRYS", transaction_id="T-B")])
    books = make_books(NIGHT, txns=txns)
    found = judge(books, declared())
    return books, settle(found.exceptions, pl.DataFrame(), pl.DataFrame(), NIGHT), found


def test_a_return_arriving_resolves_evidence_overdue_and_leaves_the_rest_alone():
    books, history, found = _night()
    overdue = history.filter(pl.col("rule_code") == "EVIDENCE_OVERDUE")
    assert overdue["amount"].to_list() == [Decimal("420.00")]
    assert overdue["status"].to_list() == ["open"]

    arrived = [evidence("2026-04-01", "T-A", received_on=MORNING), evidence("2026-04-01", "T-B", received_on=MORNING)]
    got = refresh_evidence(MORNING, books.policy, books.budgets, books.txns.drop("period_start"),
                           make_books(NIGHT, txns=[], evidence_rows=arrived).evidence, history, found.gaps,
                           found.findings)

    after = got.history.filter(pl.col("rule_code") == "EVIDENCE_OVERDUE")
    assert after["status"].to_list() == ["resolved"]
    assert after["exception_id"].to_list() == overdue["exception_id"].to_list()
    others = pl.col("rule_code").is_in(["EVIDENCE_OVERDUE", "CASH_WITHDRAWAL"]).not_()
    assert_frame_equal(got.history.filter(others).sort("exception_id"), history.filter(others).sort("exception_id"))
    first = got.returns.filter(pl.col("period_start") == date(2026, 4, 1))
    assert first.select("received_at", "items_evidenced", "items_outstanding").row(0) == (MORNING, 2, 0)
    assert got.summary() == {"returns": got.returns.height, "received": 1, "raised": 0}


def test_no_new_evidence_changes_nothing_but_last_seen():
    books, history, found = _night()
    got = refresh_evidence(NIGHT, books.policy, books.budgets, books.txns.drop("period_start"),
                           books.evidence, history, found.gaps, found.findings)
    assert_frame_equal(got.history.sort("exception_id"), history.sort("exception_id"))
