"""Positions and categorisation: the statement arithmetic always closes and no penny
is lost or counted twice (Hypothesis over random accounts)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.pipelines.rules.books import invoice, make_books, plan_line, provider, txn

PAYEES = [("DP PAYMENT COUNCIL", None), ("CONTRIB S TAYLOR", None), ("C TAYLOR WAGES", None),
          ("SUNNY DAYS", None), ("PIZZA PLACE", "5814"), ("LINK ATM", "6011"), ("HMRC PAYE", None),
          ("M MILLER", None), ("BUS CO", "4131"), (None, None)]
REGISTER = [provider(), provider("SD01", name="Sunny Days", payee_patterns="sunny days", category="short_break")]
LINES = [plan_line(provider_id="PA01"), plan_line("L2", category="short_break", provider_id="SD01"),
         plan_line("L3", category="social_activity", planned_amount="500.00", weekly_units="1")]

lines_st = st.lists(
    st.tuples(st.integers(-20, 300), st.integers(-90_000, 90_000), st.sampled_from(PAYEES)),
    min_size=0, max_size=25)


def _books(rows, balance_start=None):
    txns = [txn(date(2026, 4, 1) + timedelta(days=d), str(Decimal(p) / 100), payee, mcc=mcc)
            for d, p, (payee, mcc) in rows]
    if balance_start is not None and txns:
        txns[0]["balance"] = Decimal(balance_start) / 100 + txns[0]["amount"]
    invs = [invoice("SD-0001", "120.00", provider_id="SD01", issue="2026-05-01")]
    return make_books("2027-01-15", providers=REGISTER, plan_lines=LINES, txns=txns, invoices=invs)


@settings(max_examples=40, deadline=None)
@given(lines_st, st.one_of(st.none(), st.integers(-50_000, 50_000)))
def test_opening_plus_in_minus_spent_is_closing_in_every_period(rows, balance_start):
    pos = _books(rows, balance_start).positions
    assert pos.height == 4  # quarters started by 15 January 2027
    for r in pos.iter_rows(named=True):
        assert r["opening_balance"] + r["council_paid"] + r["contributions_paid"] - r["spent"] == r["closing_balance"]
    # each period opens where the last closed
    assert pos["opening_balance"][1:].to_list() == pos["closing_balance"][:-1].to_list()


@settings(max_examples=40, deadline=None)
@given(lines_st)
def test_categorisation_conserves_money(rows):
    books = _books(rows)
    txns = books.txns
    assert txns.height == len(rows)
    assert txns["amount"].sum() == sum((Decimal(p) / 100 for _, p, _ in rows), Decimal("0.00"))
    # every pound spent on the term's plan is on exactly one line: lines' spend + unallocated = all spend
    spend = txns.filter((pl.col("amount") < 0) & pl.col("period_start").is_not_null())
    on_lines = books.lines["spent"].sum() if books.lines.height else Decimal("0")
    unallocated = -spend.filter(pl.col("plan_line_id").is_null())["amount"].sum()
    assert on_lines + unallocated == -spend["amount"].sum()
    # and positions count each pound of the term once
    in_term = txns.filter(pl.col("period_start").is_not_null())
    pos = books.positions
    assert (pos["council_paid"].sum() + pos["contributions_paid"].sum() - pos["spent"].sum()
            == in_term["amount"].sum())
