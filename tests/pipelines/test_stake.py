"""Money at stake counts no pound twice (docs/rules.md §10)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from pipelines.stake import money_at_stake, total_at_stake

Q1, Q1_END = date(2025, 4, 1), date(2025, 6, 30)
SCHEMA = {"exception_id": pl.String, "rule_code": pl.String, "budget_id": pl.String, "period_start": pl.Date,
          "period_end": pl.Date, "amount": pl.Decimal(18, 2), "status": pl.String}


def frame(*rows) -> pl.DataFrame:
    return pl.DataFrame([dict(zip(SCHEMA, r, strict=True)) for r in rows], schema=SCHEMA, orient="row")


def test_the_worked_example_to_the_penny():
    ex = frame(
        ("X1", "SURPLUS_BALANCE", "B1", Q1, Q1_END, Decimal("1500.00"), "open"),
        ("X2", "OVERSPEND", "B1", Q1, Q1_END, Decimal("400.00"), "open"),
        ("X3", "UNDERSPEND_LINE", "B1", Q1, Q1_END, Decimal("900.00"), "open"),
        ("X4", "CASH_WITHDRAWAL", "B1", Q1, Q1_END, Decimal("120.00"), "open"),
        ("X5", "EVIDENCE_OVERDUE", "B1", Q1, Q1_END, Decimal("300.00"), "open"),
    )
    got = dict(money_at_stake(ex).select("exception_id", "at_stake").iter_rows())
    assert got == {"X1": Decimal("1500.00"), "X2": Decimal("0.00"), "X3": Decimal("0.00"),
                   "X4": Decimal("120.00"), "X5": Decimal("180.00")}
    assert total_at_stake(ex) == Decimal("1800.00")


def test_lookalikes_that_are_distinct_money_are_all_counted():
    """Two budgets' surpluses are two sums; a decided exception counts nothing."""
    ex = frame(
        ("X1", "SURPLUS_BALANCE", "B1", Q1, Q1_END, Decimal("100.00"), "open"),
        ("X2", "SURPLUS_BALANCE", "B2", Q1, Q1_END, Decimal("200.00"), "confirmed"),
        ("X3", "OVERSPEND", "B2", Q1, Q1_END, Decimal("900.00"), "dismissed"),
        ("X4", "INELIGIBLE_SPEND", "B2", Q1, Q1_END, Decimal("10.00"), "recovered"),
        ("X5", "INVOICE_UNPAID", "B2", Q1, Q1_END, Decimal("5.00"), "written_off"),
        ("X6", "EVIDENCE_OVERDUE", "B3", Q1, Q1_END, Decimal("70.00"), "referred"),
    )
    assert total_at_stake(ex) == Decimal("370.00")


RULES = ["SURPLUS_BALANCE", "OVERSPEND", "UNDERSPEND_LINE", "CASH_WITHDRAWAL", "EVIDENCE_OVERDUE",
         "INELIGIBLE_SPEND", "INVOICE_UNPAID", "STATEMENT_GAP"]
row = st.tuples(st.sampled_from(RULES), st.sampled_from(["B1", "B2"]),
                st.decimals(min_value=0, max_value=10_000, places=2, allow_nan=False),
                st.sampled_from(["open", "open", "confirmed", "resolved"]))


@settings(max_examples=150, deadline=None)
@given(st.lists(row, max_size=12), st.randoms())
def test_distinct_money_property(rows, rnd):
    ex = frame(*[(f"X{i:03}", r, b, Q1, Q1_END, a, s) for i, (r, b, a, s) in enumerate(rows)])
    shares = money_at_stake(ex)
    total = total_at_stake(ex)
    # each share is at most the exception's own amount, and none for what is closed or moneyless
    for r in shares.iter_rows(named=True):
        assert Decimal("0.00") <= r["at_stake"] <= abs(r["amount"])
        if r["status"] == "resolved" or r["rule_code"] in ("UNDERSPEND_LINE",):
            assert r["at_stake"] == 0
    live = shares.filter(pl.col("status") != "resolved")
    for b in ("B1", "B2"):
        mine = live.filter(pl.col("budget_id") == b)
        pos = mine.filter(pl.col("rule_code").is_in(["SURPLUS_BALANCE", "OVERSPEND"]))
        # one account's position is counted once, as its largest reading
        assert pos["at_stake"].sum() == (pos["amount"].max() if pos.height else 0)
        own = mine.filter(pl.col("rule_code").is_in(["CASH_WITHDRAWAL", "INELIGIBLE_SPEND", "INVOICE_UNPAID",
                                                       "STATEMENT_GAP"]))
        ev = mine.filter(pl.col("rule_code") == "EVIDENCE_OVERDUE")
        # the money waiting for evidence is not counted again where a spending rule counts it
        if ev.height:
            assert ev["at_stake"].sum() <= max(ev["amount"].sum(), Decimal(0))
            assert own["at_stake"].sum() + ev["at_stake"].max() <= max(own["amount"].sum(), ev["amount"].max()) + \
                ev["amount"].sum() - ev["amount"].max()
    # order does not matter
    shuffled = ex.sample(fraction=1.0, shuffle=True, seed=rnd.randint(0, 10_000))
    assert total_at_stake(shuffled) == total


def test_the_round_two_checks_add_no_pound_already_counted():
    """RELATED_PAYEE restates UNAPPROVED_PAYEE's payments; the other checks' amounts are not money to recover."""
    from datetime import date
    from decimal import Decimal

    import polars as pl

    from pipelines.stake import money_at_stake

    day = date(2026, 1, 1)
    rows = [("X1", "UNAPPROVED_PAYEE", Decimal("415.00")), ("X2", "RELATED_PAYEE", Decimal("415.00")),
            ("X3", "EMPLOYER_DUTIES", Decimal("3900.00")), ("X4", "LOW_BALANCE", Decimal("120.00")),
            ("X5", "UNEXPECTED_INCOME", Decimal("250.00")), ("X6", "REVIEW_OVERDUE", Decimal("0.00"))]
    frame = pl.DataFrame([dict(exception_id=i, rule_code=r, budget_id="B1", period_start=day, period_end=day,
                               amount=a, status="open") for i, r, a in rows],
                         schema_overrides={"amount": pl.Decimal(18, 2)})
    stake = money_at_stake(frame)
    assert stake["at_stake"].sum() == Decimal("415.00")
