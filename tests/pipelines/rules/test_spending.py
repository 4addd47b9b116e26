"""Rules on what the money was spent on (pipelines/rules/spending.py): each worked
example to the penny, and look-alikes that must not fire."""

from __future__ import annotations

from decimal import Decimal

from pipelines.rules.spending import (
    cash_withdrawal,
    ineligible_spend,
    outside_term,
    unapproved_payee,
)
from tests.pipelines.rules.books import evidence, make_books, plan_line, provider, txn

AFTER_Q1 = "2026-07-10"
AFTER_DUE = "2026-08-01"  # the first quarter's return was due on 28 July


def _amounts(flags: list[dict]) -> list[tuple[str, Decimal]]:
    return [(str(f["period_start"]), f["amount"]) for f in flags]


# ---- INELIGIBLE_SPEND ----------------------------------------------------------


def test_ineligible_spend_worked_example():
    """£25.00 at a betting merchant (MCC 7995) and £40.00 to WILLIAM HILL: £65.00."""
    txns = [txn("2026-04-20", "-25.00", "ONLINE GAMES LTD", mcc="7995", transaction_id="G1"),
            txn("2026-05-02", "-40.00", "WILLIAM HILL 0421", transaction_id="G2"),
            txn("2026-05-03", "-12.50", "TESCO STORES", mcc="5411")]
    flags = ineligible_spend(make_books(AFTER_Q1, txns=txns))
    assert _amounts(flags) == [("2026-04-01", Decimal("65.00"))]
    assert flags[0]["evidence"] == "G1 G2" and flags[0]["severity"] == "high"


def test_ineligible_look_alikes_do_not_fire():
    txns = [txn("2026-04-20", "-25.00", "WILLIAMS HILLTOP FARM SHOP"),  # not "william hill"
            txn("2026-04-21", "-9.99", "CORALINE BOOKS", mcc="5942"),  # \bcoral\b
            txn("2026-04-22", "40.00", "WILLIAM HILL WINNINGS")]  # money in is not spending
    assert ineligible_spend(make_books(AFTER_Q1, txns=txns)) == []


# ---- CASH_WITHDRAWAL ------------------------------------------------------------


def _cash(as_of: str, rows=(), **policy):
    txns = [txn("2026-04-10", "-50.00", "LINK ATM HIGH ST", trntype="ATM", transaction_id="C1"),
            txn("2026-05-05", "-30.00", "CASH WITHDRAWAL", transaction_id="C2")]
    return make_books(as_of, txns=txns, evidence_rows=list(rows), **policy)


def test_cash_withdrawal_worked_example():
    """£50.00 and £30.00 taken out in cash; a receipt came for the £30.00 only, and the return
    was due on 28 July: £50.00 beyond the £0.00 allowance."""
    flags = cash_withdrawal(_cash(AFTER_DUE, [evidence("2026-04-01", "C2", received_on="2026-07-20")]))
    assert _amounts(flags) == [("2026-04-01", Decimal("50.00"))]
    assert flags[0]["evidence"] == "C1"


def test_cash_not_flagged_while_the_family_still_has_time_or_within_the_allowance():
    assert cash_withdrawal(_cash(AFTER_Q1)) == []  # return not yet due, none received
    assert cash_withdrawal(_cash(AFTER_DUE, cash_allowance_per_period=Decimal("80.00"))) == []
    receipts = [evidence("2026-04-01", r) for r in ("C1", "C2")]
    assert cash_withdrawal(_cash(AFTER_DUE, receipts)) == []


def test_a_receipt_from_another_budget_does_not_evidence_the_cash():
    other = evidence("2026-04-01", "C1", budget_id="B9")
    assert _amounts(cash_withdrawal(_cash(AFTER_DUE, [other]))) == [("2026-04-01", Decimal("80.00"))]


# ---- UNAPPROVED_PAYEE -------------------------------------------------------------


def test_unapproved_payee_worked_example():
    """£415.00 to M MILLER on 15 June, 15 July and 15 August: £1,245.00, one flag per
    period today (£415.00 in the first quarter, £830.00 in the second)."""
    txns = [txn(d, "-415.00", "M MILLER 0423") for d in ("2026-06-15", "2026-07-15", "2026-08-15")]
    flags = unapproved_payee(make_books("2026-09-01", txns=txns))
    assert _amounts(flags) == [("2026-04-01", Decimal("415.00")), ("2026-07-01", Decimal("830.00"))]
    assert sum(f["amount"] for f in flags) == Decimal("1245.00")
    assert {f["subject"] for f in flags} == {"M MILLER"}


def test_approved_or_planned_payees_cards_and_cash_are_not_unapproved():
    register = [provider(),  # PA01 approved, pattern \bC TAYLOR\b
                provider("PA02", name="J Shaw", payee_patterns=r"\bJ SHAW\b", approved=False)]
    lines = [plan_line(provider_id="PA01"), plan_line("L2", provider_id="PA02")]
    txns = [txn("2026-05-01", "-150.00", "C TAYLOR WAGES"),  # approved
            txn("2026-05-02", "-90.00", "J SHAW"),  # not approved, but this budget's plan names PA02
            txn("2026-05-03", "-12.00", "PIZZA PLACE", mcc="5814"),  # a card purchase
            txn("2026-05-04", "-20.00", "LINK ATM", trntype="ATM")]  # cash
    assert unapproved_payee(make_books(AFTER_Q1, providers=register, plan_lines=lines, txns=txns)) == []


def test_a_look_alike_name_is_not_the_approved_payee():
    txns = [txn("2026-05-01", "-150.00", "C TAYLORSON")]  # \bC TAYLOR\b does not match
    assert _amounts(unapproved_payee(make_books(AFTER_Q1, txns=txns))) == [("2026-04-01", Decimal("150.00"))]


# ---- OUTSIDE_TERM ---------------------------------------------------------------


def test_outside_term_worked_example():
    """£60.00 spent on 20 March 2026 and £35.00 on 25 March, before the budget started on
    1 April: £95.00, in the first period."""
    txns = [txn("2026-03-20", "-60.00", "ARGOS"), txn("2026-03-25", "-35.00", "ARGOS"),
            txn("2026-04-02", "-10.00", "ARGOS")]
    flags = outside_term(make_books(AFTER_Q1, txns=txns))
    assert [(f["subject"], str(f["period_start"]), f["amount"]) for f in flags] == [
        ("before", "2026-04-01", Decimal("95.00"))]


def test_money_in_before_the_term_or_on_another_account_is_not_outside_term():
    txns = [txn("2026-03-27", "300.00", "DP PAYMENT COUNCIL"),
            txn("2026-03-20", "-60.00", "ARGOS", account_id="ACC9")]
    assert outside_term(make_books(AFTER_Q1, txns=txns)) == []
