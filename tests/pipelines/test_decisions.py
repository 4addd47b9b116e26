"""Officers' decisions override the rules' status, once, the latest decision winning."""

from __future__ import annotations

from datetime import date, datetime

import polars as pl
from hypothesis import given
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from pipelines.decisions import apply_decisions, latest_decisions
from schemas.warehouse import exceptions as exceptions_table
from schemas.warehouse import reviews as reviews_table


def _exceptions(*rows: tuple[str, str]) -> pl.DataFrame:
    return pl.DataFrame([dict(exception_id=x, rule_code="SURPLUS_BALANCE", severity="medium", budget_id="B1",
                              explanation="…", first_seen=date(2026, 4, 1), last_seen=date(2026, 4, 3),
                              status=s) for x, s in rows], schema=exceptions_table.polars_schema())


def _reviews(*rows: tuple[str, str, int]) -> pl.DataFrame:
    return pl.DataFrame([dict(exception_id=x, reviewer="jo", decided_at=datetime(2026, 4, d, 9), decision=dec)
                         for x, dec, d in rows], schema=reviews_table.polars_schema())


def test_the_latest_decision_wins_over_the_rules_status():
    exc = _exceptions(("X1", "open"), ("X2", "resolved"), ("X3", "open"))
    rev = _reviews(("X1", "dismissed", 4), ("X1", "confirmed", 2), ("X2", "recovered", 3), ("X9", "referred", 1))
    got = apply_decisions(exc, rev)
    assert got["status"].to_list() == ["dismissed", "recovered", "open"]
    assert got.columns == exc.columns


def test_no_decisions_change_nothing():
    exc = _exceptions(("X1", "open"))
    assert_frame_equal(apply_decisions(exc, _reviews()), exc)
    assert_frame_equal(apply_decisions(exc, pl.DataFrame()), exc)


def test_two_decisions_at_the_same_instant_the_later_row_wins():
    rev = _reviews(("X1", "confirmed", 2), ("X1", "dismissed", 2))
    assert latest_decisions(rev).to_dicts() == [{"exception_id": "X1", "decision": "dismissed"}]


@given(st.permutations(range(4)))
def test_row_order_of_the_decisions_does_not_matter(order):
    rows = [("X1", "confirmed", 2), ("X1", "dismissed", 5), ("X2", "referred", 3), ("X2", "recovered", 1)]
    rev = _reviews(*[rows[i] for i in order])
    got = apply_decisions(_exceptions(("X1", "open"), ("X2", "open")), rev)
    assert got["status"].to_list() == ["dismissed", "referred"]
