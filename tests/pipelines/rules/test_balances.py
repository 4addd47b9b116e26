"""Rules on positions (pipelines/rules/balances.py): each worked example to the
penny, and the look-alikes just the other side of each threshold.

Budget B1 (the helper's default): 1 April 2026 – 31 March 2027 (365 days),
£15,600.00 agreed, £300.00 a week from the council, quarterly periods; the
first quarter, 1 April – 30 June, is 91 days.
"""

from __future__ import annotations

from decimal import Decimal

from pipelines.rules.balances import (
    contribution_missing,
    overspend,
    surplus_balance,
    underspend_line,
)
from tests.pipelines.rules.books import budget, invoice, make_books, plan_line, txn, weekly

AFTER_Q1 = "2026-07-10"
COUNCIL = weekly("2026-04-03", "2026-06-26", "300.00", "DP PAYMENT COUNCIL")  # 13 × £300.00 = £3,900.00


def _q1(flags: list[dict]) -> list[tuple[str, Decimal]]:
    return [(str(f["period_start"]), f["amount"]) for f in flags]


# ---- SURPLUS_BALANCE ---------------------------------------------------------


def _surplus_books(**policy):
    # £3,900.00 from the council + a £250.00 contribution = £4,150.00; a £250.00 invoice unpaid
    txns = [*COUNCIL, txn("2026-05-01", "250.00", "CONTRIB S TAYLOR")]
    return make_books(AFTER_Q1, txns=txns, invoices=[invoice("PA-1", "250.00", issue="2026-06-20")], **policy)


def test_surplus_worked_example():
    """4,150.00 − 250.00 − 8 × 300.00 = £1,500.00 to recover."""
    flags = surplus_balance(_surplus_books())
    assert _q1(flags) == [("2026-04-01", Decimal("1500.00"))]
    assert flags[0]["rule_code"] == "SURPLUS_BALANCE" and flags[0]["severity"] == "medium"
    assert "£4,150.00" in flags[0]["explanation"] and "£250.00 still owed" in flags[0]["explanation"]


def test_surplus_within_the_agreed_contingency_is_not_flagged():
    assert surplus_balance(_surplus_books(contingency=Decimal("1500.00"))) == []
    assert _q1(surplus_balance(_surplus_books(contingency=Decimal("1499.99")))) == [
        ("2026-04-01", Decimal("0.01"))]


def test_surplus_is_judged_only_once_the_period_has_closed():
    txns = [*COUNCIL, txn("2026-05-01", "250.00", "CONTRIB S TAYLOR")]
    assert surplus_balance(make_books("2026-06-30", txns=txns)) == []


# ---- OVERSPEND ---------------------------------------------------------------


def test_overspend_worked_example():
    """By 30 June the pro-rata budget is 15,600.00 × 91 / 365 = £3,889.32; 10% tolerance
    allows up to £4,278.25; £4,300.00 spent is £410.68 ahead."""
    txns = [*COUNCIL, txn("2026-06-01", "-4300.00", "C TAYLOR WAGES")]
    flags = overspend(make_books(AFTER_Q1, txns=txns))
    assert _q1(flags) == [("2026-04-01", Decimal("410.68"))]


def test_overspend_within_tolerance_is_not_flagged():
    txns = [*COUNCIL, txn("2026-06-01", "-4278.00", "C TAYLOR WAGES")]
    assert overspend(make_books(AFTER_Q1, txns=txns)) == []


def test_overspend_counts_spending_to_date_across_periods():
    # Q1 £3,000.00 (under), Q2 £5,700.00: by 30 September £8,700.00 against 15,600 × 183/365 = £7,821.37
    txns = [txn("2026-06-01", "-3000.00", "C TAYLOR WAGES"), txn("2026-08-01", "-5700.00", "C TAYLOR WAGES")]
    flags = overspend(make_books("2026-10-05", txns=txns))
    assert _q1(flags) == [("2026-07-01", Decimal("878.63"))]


# ---- CONTRIBUTION_MISSING ------------------------------------------------------


def _contribution_books(paid: str):
    txns = [*COUNCIL, txn("2026-05-01", paid, "CONTRIB S TAYLOR")]
    return make_books(AFTER_Q1, budgets=[budget(weekly_contribution="25.00")], txns=txns)


def test_contribution_missing_worked_example():
    """£25.00 a week for 91 days is £325.00 due; £200.00 paid leaves £125.00 behind,
    more than the 4 weeks (£100.00) the policy tolerates."""
    flags = contribution_missing(_contribution_books("200.00"))
    assert _q1(flags) == [("2026-04-01", Decimal("125.00"))]
    assert "£325.00 was due and £200.00 was paid" in flags[0]["explanation"]


def test_contribution_arrears_of_exactly_four_weeks_are_not_flagged():
    assert contribution_missing(_contribution_books("225.00")) == []


def test_no_assessed_contribution_means_nothing_is_missing():
    assert contribution_missing(make_books(AFTER_Q1, txns=COUNCIL)) == []


# ---- UNDERSPEND_LINE -------------------------------------------------------------


def test_underspend_line_worked_example():
    """Line L1 plans £7,800.00 over the term: 7,800.00 × 91 / 365 = £1,944.66 in the first
    quarter; £900.00 spent is below half of it, £1,044.66 short."""
    txns = [*COUNCIL, txn("2026-05-01", "-900.00", "C TAYLOR WAGES")]
    flags = underspend_line(make_books(AFTER_Q1, txns=txns))
    assert _q1(flags) == [("2026-04-01", Decimal("1044.66"))]
    assert flags[0]["subject"] == "L1"


def test_underspend_line_at_half_the_plan_or_for_a_one_off_line_is_not_flagged():
    txns = [*COUNCIL, txn("2026-05-01", "-980.00", "C TAYLOR WAGES")]
    assert underspend_line(make_books(AFTER_Q1, txns=txns)) == []
    one_off = plan_line("L2", category="equipment", weekly_units="0", planned_amount="600.00")
    books = make_books(AFTER_Q1, txns=txns, plan_lines=[plan_line(provider_id="PA01"), one_off])
    assert underspend_line(books) == []
