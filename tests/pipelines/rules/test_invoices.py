"""Rules on invoices (pipelines/rules/invoices.py): RATE_ABOVE_AGREED, INVOICE_UNPAID
and DUPLICATE_PAYMENT, each worked example to the penny with its look-alikes."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import polars as pl

from pipelines.rules.invoices import duplicate_payment, invoice_unpaid, rate_above_agreed
from pipelines.rules.registry import declared
from pipelines.rules.run import judge
from tests.pipelines.rules.books import invoice, make_books, plan_line, provider, txn

AFTER_Q1 = "2026-07-10"
SUNNY = provider("SD01", name="Sunny Days", payee_patterns="sunny days", category="short_break",
                 agreed_rate="105.00")
SUNNY_LINE = plan_line("L3", provider_id="SD01", category="short_break", weekly_units="0.5",
                       unit_rate="100.00", planned_amount="2600.00")


def _amounts(flags: list[dict]) -> list[tuple[str, str | None, Decimal | None]]:
    return [(str(f["period_start"]), f["subject"], f["amount"]) for f in flags]


# ---- RATE_ABOVE_AGREED -----------------------------------------------------------


def _rated(rate: str, *, lines=None, kind: str = "invoice"):
    inv = invoice("SD-101", str(Decimal(rate) * 4), provider_id="SD01", issue="2026-05-10", units="4",
                  unit_rate=rate, kind=kind, category="short_break")
    return make_books(AFTER_Q1, providers=[provider(), SUNNY],
                      plan_lines=lines if lines is not None else [plan_line(provider_id="PA01"), SUNNY_LINE],
                      invoices=[inv])


def test_rate_above_agreed_worked_example():
    """4 nights at £110.00 against the plan's £100.00 a night: 4 × £10.00 = £40.00 more."""
    flags = rate_above_agreed(_rated("110.00"))
    assert _amounts(flags) == [("2026-04-01", "SD-101", Decimal("40.00"))]
    assert flags[0]["evidence"] == "SD-101"


def test_the_plans_rate_comes_before_the_frameworks():
    # no plan line names Sunny Days: the framework's £105.00 applies, 4 × £5.00 = £20.00
    assert _amounts(rate_above_agreed(_rated("110.00", lines=[plan_line(provider_id="PA01")]))) == [
        ("2026-04-01", "SD-101", Decimal("20.00"))]


def test_rate_at_the_agreed_rate_or_on_a_credit_note_is_not_flagged():
    assert rate_above_agreed(_rated("100.00")) == []
    assert rate_above_agreed(_rated("110.00", kind="credit_note")) == []


# ---- INVOICE_UNPAID ---------------------------------------------------------------


def _unpaid(as_of: str, paid: str | None):
    txns = [txn("2026-04-25", f"-{paid}", "C TAYLOR", "PA-7")] if paid else []
    return make_books(as_of, txns=txns, invoices=[invoice("PA-7", "200.00", issue="2026-04-17", due="2026-05-01")])


def test_invoice_unpaid_worked_example():
    """Invoice PA-7 for £200.00 due 1 May, £50.00 paid: on 16 May, past the 14 days' grace,
    £150.00 of it is unpaid."""
    assert _amounts(invoice_unpaid(_unpaid("2026-05-16", "50.00"))) == [
        ("2026-04-01", "PA-7", Decimal("150.00"))]


def test_invoice_within_grace_or_paid_is_not_unpaid():
    assert invoice_unpaid(_unpaid("2026-05-15", None)) == []  # 1 May + 14 days is not yet past
    assert invoice_unpaid(_unpaid("2026-06-30", "200.00")) == []


def _two_bills(coverage: list[tuple[str, str, str]], *, first_paid_on: str):
    """C Taylor bills £200.00 due 24 June and again due 24 July; a payment naming only her is
    made on 8 July, nearer June's due date than July's. June's own payment, on
    ``first_paid_on``, is on whichever statement ``coverage`` holds: where none covers it,
    the 8 July payment pays June's bill, the one owing exactly it with the nearest due date."""
    paid = [txn(first_paid_on, "-200.00", "C TAYLOR"), txn("2026-07-08", "-200.00", "C TAYLOR")]
    seen = [t for t in paid if any(s <= str(t["date"]) <= e for _, s, e in coverage)]
    return make_books("2026-08-20", txns=seen, coverage=coverage, invoices=[
        invoice("PA-6", "200.00", issue="2026-06-10", due="2026-06-24"),
        invoice("PA-7", "200.00", issue="2026-07-10", due="2026-07-24")])


def _judged(books) -> list[tuple[str, str | None]]:
    return sorted((r, s) for r, s in judge(books, declared()).exceptions.select("rule_code", "subject").iter_rows()
                  if r in ("INVOICE_UNPAID", "STATEMENT_GAP"))


def test_an_unpaid_bill_rests_on_every_statement_since_the_providers_first_bill():
    """No statement covers 15–30 June, when June's bill was paid: the 8 July payment pays
    June's bill, so July's looks unpaid. That rests on the missing statement,
    though it lies in an earlier quarter than July's bill: withheld, the gap raised instead."""
    books = _two_bills([("ACC1", "2026-04-01", "2026-06-14"), ("ACC1", "2026-07-01", "2026-08-20")],
                       first_paid_on="2026-06-20")
    assert [f["subject"] for f in invoice_unpaid(books)] == ["PA-7"]  # what the rule alone would say
    assert _judged(books) == [("STATEMENT_GAP", "gap|2026-06-15")]


def test_a_gap_before_the_providers_first_bill_withholds_nothing():
    """Look-alike: the gap (1–31 May) ends before C Taylor's first bill; June's payment is seen,
    July's bill is truly unpaid."""
    books = make_books("2026-08-20", txns=[txn("2026-06-20", "-200.00", "C TAYLOR")], coverage=[
        ("ACC1", "2026-04-01", "2026-04-30"), ("ACC1", "2026-06-01", "2026-08-20")], invoices=[
        invoice("PA-6", "200.00", issue="2026-06-10", due="2026-06-24"),
        invoice("PA-7", "200.00", issue="2026-07-10", due="2026-07-24")])
    assert _judged(books) == [("INVOICE_UNPAID", "PA-7"), ("STATEMENT_GAP", "gap|2026-05-01")]
    unpaid = judge(books, declared()).exceptions.filter(pl.col("rule_code") == "INVOICE_UNPAID")
    assert unpaid.select("period_start", "amount").rows() == [(date(2026, 7, 1), Decimal("200.00"))]


def test_with_every_statement_both_bills_are_paid():
    books = _two_bills([("ACC1", "2026-04-01", "2026-08-20")], first_paid_on="2026-06-20")
    assert _judged(books) == []


# ---- DUPLICATE_PAYMENT --------------------------------------------------------------


def test_duplicate_transfer_worked_example():
    """£85.00 to ACME GARDENS on 4 May and again on 6 May, 2 days apart (window 3 days)."""
    txns = [txn("2026-05-04", "-85.00", "ACME GARDENS", transaction_id="D1"),
            txn("2026-05-06", "-85.00", "ACME GARDENS 0506", transaction_id="D2")]
    flags = duplicate_payment(make_books(AFTER_Q1, txns=txns))
    assert [(f["amount"], f["evidence"]) for f in flags] == [(Decimal("85.00"), "D1 D2")]


def test_regular_payments_and_payments_three_days_apart_are_not_duplicates():
    weekly_wages = [txn(d, "-150.00", "C TAYLOR WAGES") for d in ("2026-05-01", "2026-05-08", "2026-05-15")]
    three_days = [txn("2026-05-04", "-85.00", "ACME GARDENS"), txn("2026-05-07", "-85.00", "ACME GARDENS")]
    assert duplicate_payment(make_books(AFTER_Q1, txns=weekly_wages + three_days)) == []


def test_two_payments_each_settling_its_own_invoice_are_not_duplicates():
    invs = [invoice("PA-1", "200.00", issue="2026-04-20"), invoice("PA-2", "200.00", issue="2026-04-21")]
    txns = [txn("2026-05-01", "-200.00", "C TAYLOR", "PA-1"), txn("2026-05-02", "-200.00", "C TAYLOR", "PA-2")]
    assert duplicate_payment(make_books(AFTER_Q1, txns=txns, invoices=invs)) == []


def test_an_invoice_paid_twice_worked_example():
    """Invoice PA-0001 for £200.00 paid by reference on 1 May and again on 20 May: £200.00 over."""
    txns = [txn("2026-05-01", "-200.00", "C TAYLOR", "PA-0001", transaction_id="P1"),
            txn("2026-05-20", "-200.00", "C TAYLOR", "INVOICE PA0001", transaction_id="P2")]
    flags = duplicate_payment(make_books(AFTER_Q1, txns=txns, invoices=[invoice("PA-0001", "200.00")]))
    assert [(f["subject"], f["amount"], f["evidence"]) for f in flags] == [
        ("PA-0001", Decimal("200.00"), "P1 P2 PA-0001")]
