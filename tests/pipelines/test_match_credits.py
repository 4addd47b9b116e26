"""Payment ↔ invoice matching: credit notes net against the invoices they correct."""

from __future__ import annotations

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from tests.pipelines.match_cases import (
    day,
    expected,
    invs,
    run,
    status,
    txns,
)

# ---- credit notes --------------------------------------------------------------


def test_credit_note_nets_against_the_oldest_invoice_before_payments():
    bank = txns(("t1", 20, "-150.00", "ACME HOME CARE", None))
    result = run(
        bank,
        invs(
            ("A1", "ACME", 0, "200.00"),
            ("A2", "ACME", 5, "90.00"),
            ("C1", "ACME", 10, "50.00", "credit_note"),
        ),
    )
    assert_frame_equal(result.matches, expected(("t1", "A1", "150.00", "amount_payee", "0.9")))
    assert status(result) == {
        "A1": ("50.00", "150.00", "paid"),
        "A2": ("0.00", "0.00", "unpaid"),
        "C1": ("50.00", "0.00", "credited"),
    }


@pytest.mark.parametrize("how", ["id", "billing_reference", "period"])
def test_credit_note_nets_against_the_invoice_it_corrects(how):
    """A credit note for the second invoice must not land on the first (oldest) one."""
    docs = invs(("A1", "ACME", 0, "200.00"), ("A2", "ACME", 28, "90.00"),
                ("A2-CR" if how == "id" else "C9", "ACME", 30, "40.00", "credit_note"))
    docs = docs.with_columns(
        pl.Series("billing_reference", [None, None, "A2" if how == "billing_reference" else None], dtype=pl.String),
        pl.Series("period_start", [day(0), day(28), day(28) if how == "period" else day(90)], dtype=pl.Date),
        pl.Series("period_end", [day(27), day(55), day(55) if how == "period" else day(99)], dtype=pl.Date),
    )
    bank = txns(("t1", 20, "-200.00", "ACME HOME CARE", None), ("t2", 45, "-50.00", "ACME HOME CARE", None))
    got = status(run(bank, docs))
    assert got["A1"] == ("0.00", "200.00", "paid")
    assert got["A2"] == ("40.00", "50.00", "paid")


def test_credit_note_larger_than_one_invoice_moves_on_to_the_next():
    result = run(
        txns(),
        invs(
            ("A1", "ACME", 0, "30.00"),
            ("A2", "ACME", 5, "90.00"),
            ("C1", "ACME", 10, "50.00", "credit_note"),
        ),
    )
    assert status(result) == {
        "A1": ("30.00", "0.00", "paid"),
        "A2": ("20.00", "0.00", "unpaid"),
        "C1": ("50.00", "0.00", "credited"),
    }


def test_credit_note_of_another_provider_or_budget_does_not_net():
    result = run(
        txns(),
        invs(
            ("A1", "ACME", 0, "30.00"),
            ("C1", "BRIGHT", 1, "10.00", "credit_note"),
            ("C2", "ACME", 1, "10.00", "credit_note", "B2"),
        ),
    )
    assert status(result)["A1"] == ("0.00", "0.00", "unpaid")
    assert status(result)["C1"] == ("0.00", "0.00", "credited")


def test_a_payment_never_pays_a_credit_note():
    bank = txns(("t1", 5, "-10.00", "ACME HOME CARE", "C-1001"))
    result = run(bank, invs(("C-1001", "ACME", 0, "10.00", "credit_note")))
    assert result.matches.height == 0
