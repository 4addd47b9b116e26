"""Monitoring periods, statement coverage and balance breaks (docs/rules.md §1, §5)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import polars as pl
from hypothesis import given
from hypothesis import strategies as st

from pipelines.periods import assign_period, monitoring_periods, period_starts
from pipelines.rules.run import settle
from pipelines.rules.statements import uncovered_runs
from pipelines.statements import balance_breaks, statement_coverage
from schemas.warehouse import exceptions as exceptions_table

D = date


def test_quarterly_periods_end_with_the_term_and_close_before_as_of():
    b = pl.DataFrame({"budget_id": ["B1"], "start_date": [D(2026, 1, 15)], "end_date": [D(2026, 12, 31)]})
    p = monitoring_periods(b, "quarterly", 28, D(2026, 7, 20))
    assert p["period_start"].to_list() == [D(2026, 1, 15), D(2026, 4, 15), D(2026, 7, 15), D(2026, 10, 15)]
    assert p["period_end"].to_list() == [D(2026, 4, 14), D(2026, 7, 14), D(2026, 10, 14), D(2026, 12, 31)]
    assert p["closed"].to_list() == [True, True, False, False]
    assert p["due_date"][0] == D(2026, 5, 12)


def test_month_end_starts_clamp_without_drifting():
    assert period_starts(D(2026, 1, 31), D(2026, 5, 31), "monthly") == [
        D(2026, 1, 31), D(2026, 2, 28), D(2026, 3, 31), D(2026, 4, 30), D(2026, 5, 31)]


@given(st.dates(D(2020, 1, 1), D(2030, 1, 1)), st.integers(0, 800),
       st.sampled_from(["four_weekly", "monthly", "quarterly", "annual"]))
def test_periods_tile_the_term_exactly(start, length, freq):
    from datetime import timedelta

    end = start + timedelta(days=length)
    b = pl.DataFrame({"budget_id": ["B"], "start_date": [start], "end_date": [end]})
    p = monitoring_periods(b, freq, 28, end)
    assert p["period_start"][0] == start and p["period_end"][-1] == end
    assert p["days"].sum() == length + 1
    for e, s in zip(p["period_end"][:-1], p["period_start"][1:], strict=True):
        assert (s - e).days == 1


def test_assign_period_puts_each_date_in_its_period_and_none_outside():
    b = pl.DataFrame({"budget_id": ["B1"], "start_date": [D(2026, 1, 1)], "end_date": [D(2026, 6, 30)]})
    p = monitoring_periods(b, "quarterly", 28, D(2026, 12, 31))
    t = pl.DataFrame({"budget_id": ["B1", "B1", "B1", None], "date": [D(2026, 3, 31), D(2026, 4, 1), D(2026, 7, 1), D(2026, 2, 1)]})
    assert assign_period(t, p)["period_start"].to_list() == [D(2026, 1, 1), D(2026, 4, 1), None, None]


def test_assign_period_keeps_every_column_and_row_in_place():
    """Only budget and date are sorted and joined (issue 20: not two sorted copies of the
    whole ledger): the frame comes back as it was, rows in its order, ``period_start`` last."""
    b = pl.DataFrame({"budget_id": ["B1", "B2"], "start_date": [D(2026, 1, 1), D(2026, 2, 1)],
                      "end_date": [D(2026, 6, 30), D(2026, 7, 31)]})
    p = monitoring_periods(b, "quarterly", 28, D(2026, 12, 31))
    t = pl.DataFrame({"transaction_id": ["t1", "t2", "t3", "t4", "t5"],
                      "budget_id": ["B2", "B1", None, "B1", "B2"],
                      "date": [D(2026, 5, 2), D(2026, 3, 31), D(2026, 2, 1), D(2026, 1, 1), D(2026, 1, 31)],
                      "amount": [Decimal("-1.00"), Decimal("2.50"), None, Decimal("0.01"), Decimal("-3.00")]})
    out = assign_period(t, p)
    assert out.columns == [*t.columns, "period_start"]
    assert out.drop("period_start").equals(t)
    assert out["period_start"].to_list() == [D(2026, 5, 1), D(2026, 1, 1), None, D(2026, 1, 1), None]


def test_uncovered_runs():
    cov = [(D(2026, 4, 1), D(2026, 4, 30)), (D(2026, 6, 1), D(2026, 6, 30)), (D(2026, 4, 10), D(2026, 5, 2))]
    assert uncovered_runs(cov, D(2026, 4, 1), D(2026, 6, 30)) == [(D(2026, 5, 3), D(2026, 5, 31))]
    assert uncovered_runs(cov, D(2026, 3, 25), D(2026, 7, 3)) == [
        (D(2026, 3, 25), D(2026, 3, 31)), (D(2026, 5, 3), D(2026, 5, 31)), (D(2026, 7, 1), D(2026, 7, 3))]


def test_a_csv_feed_covers_its_whole_span_for_every_account_in_it():
    lines = pl.DataFrame({"file_id": ["f1", "f1", "f2"], "account_id": ["A", "B", "A"],
                          "date": [D(2026, 4, 1), D(2026, 4, 30), D(2026, 5, 3)]})
    balances = pl.DataFrame(schema={"file_id": pl.String, "account_id": pl.String, "start_date": pl.Date, "end_date": pl.Date})
    formats = pl.DataFrame({"file_id": ["f1", "f2"], "format": ["csv:generic", "ofx1"]})
    cov = statement_coverage(lines, balances, formats)
    assert cov.filter(pl.col("account_id") == "B").rows() == [("B", D(2026, 4, 1), D(2026, 4, 30))]
    assert cov.filter(pl.col("account_id") == "A").height == 2


def test_balance_breaks_follow_newest_first_files():
    m = lambda v: Decimal(v)  # noqa: E731
    lines = pl.DataFrame({
        "file_id": ["f"] * 3, "account_id": ["A"] * 3, "transaction_id": ["t3", "t2", "t1"],
        "date": [D(2026, 4, 3), D(2026, 4, 2), D(2026, 4, 1)], "source_line": [2, 3, 4], "source_path": ["s.csv"] * 3,
        "amount": [m("-10.00"), m("-5.00"), m("100.00")], "balance": [m("80.00"), m("95.00"), m("100.00")],
    }, schema_overrides={"amount": pl.Decimal(18, 2), "balance": pl.Decimal(18, 2)})
    breaks = balance_breaks(lines)
    # 95.00 - 10.00 should leave 85.00; the bank shows 80.00: £5.00 unexplained (out)
    assert breaks.select("transaction_id", "difference").rows() == [("t3", Decimal("-5.00"))]
    # a line quarantined between the two explains the jump
    explained = balance_breaks(lines.with_columns(pl.col("source_line") * 2), pl.DataFrame({"file_id": ["f"], "line": [5]}))
    assert explained.height == 0


def test_settle_keeps_first_seen_resolves_what_cleared_and_respects_reviews():
    raised_schema = {k: v for k, v in exceptions_table.polars_schema().items() if k not in ("first_seen", "last_seen", "status")}
    row = dict(exception_id="X1", rule_code="SURPLUS_BALANCE", severity="medium", budget_id="B1",
               period_start=D(2026, 1, 1), period_end=D(2026, 3, 31), amount=Decimal("10.00"),
               explanation="e", evidence=None, subject=None)
    raised = pl.DataFrame([row, dict(row, exception_id="X2")], schema=raised_schema)
    night1 = settle(raised, pl.DataFrame(), pl.DataFrame(), D(2026, 4, 1))
    assert night1["status"].to_list() == ["open", "open"]
    night2 = settle(raised.filter(pl.col("exception_id") == "X1"), night1, pl.DataFrame(), D(2026, 4, 2))
    assert night2.select("exception_id", "first_seen", "last_seen", "status").rows() == [
        ("X1", D(2026, 4, 1), D(2026, 4, 2), "open"), ("X2", D(2026, 4, 1), D(2026, 4, 1), "resolved")]
    reviews = pl.DataFrame({"exception_id": ["X1", "X1"], "decision": ["referred", "dismissed"],
                            "decided_at": [D(2026, 4, 1), D(2026, 4, 2)]})
    night3 = settle(raised, night1, reviews, D(2026, 4, 3))
    assert dict(night3.select("exception_id", "status").rows())["X1"] == "dismissed"


def test_statements_whose_balances_follow_on_cover_the_days_between():
    """May's last line leaves £1,512.23; June's first (−£69.60) leaves £1,442.63: nothing moved
    between 19 May and 13 June. July's first line does not follow on from June's last: a gap."""
    m = lambda v: Decimal(v)  # noqa: E731
    lines = pl.DataFrame({
        "file_id": ["may", "may", "jun", "jun", "jul"], "account_id": ["A"] * 5,
        "date": [D(2025, 5, 3), D(2025, 5, 19), D(2025, 6, 13), D(2025, 6, 20), D(2025, 7, 25)],
        "source_line": [2, 3, 2, 3, 2],
        "amount": [m("37.50"), m("-51.20"), m("-69.60"), m("-10.00"), m("-5.00")],
        "balance": [m("1563.43"), m("1512.23"), m("1442.63"), m("1432.63"), m("1400.00")],
    }, schema_overrides={"amount": pl.Decimal(18, 2), "balance": pl.Decimal(18, 2)})
    balances = pl.DataFrame(schema={"file_id": pl.String, "account_id": pl.String, "start_date": pl.Date,
                                    "end_date": pl.Date})
    formats = pl.DataFrame({"file_id": ["may", "jun", "jul"], "format": ["csv:generic"] * 3})
    cov = statement_coverage(lines, balances, formats)
    assert (("A", D(2025, 5, 19), D(2025, 6, 13)) in cov.rows())
    assert not any(s <= D(2025, 7, 1) <= e for _, s, e in cov.rows())  # 20 June to 25 July stays uncovered
