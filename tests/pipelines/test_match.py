"""Payment ↔ invoice matching: one small case per pass (pipelines/match.py)."""

from __future__ import annotations

from decimal import Decimal

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from pipelines.match import match_payments
from schemas.warehouse import matches as matches_table
from tests.pipelines.match_cases import (
    INV_SCHEMA,
    MONEY,
    PROVIDERS,
    TXN_SCHEMA,
    expected,
    invs,
    run,
    status,
    txns,
)

# ---- 1. reference ------------------------------------------------------------


@pytest.mark.parametrize(
    "memo",
    [
        "INV-000123",
        "inv-000123",
        "INV000123",
        "INV 000123",
        "PAYMENT REF:INV000123.",
        "INV/000123 MARCH",
    ],
)
def test_reference_found_however_the_bank_spells_it(memo):
    result = run(
        txns(("t1", 5, "-80.00", "SOMEONE", memo)), invs(("INV-000123", "ACME", 0, "100.00"))
    )
    assert_frame_equal(result.matches, expected(("t1", "INV-000123", "80.00", "reference", "1")))
    assert status(result)["INV-000123"] == ("0.00", "80.00", "part_paid")


@pytest.mark.parametrize("memo", ["INV-0001234", "XINV000123", "INV-000123A", "INV0001230"])
def test_reference_respects_token_boundaries(memo):
    result = run(
        txns(("t1", 5, "-80.00", "SOMEONE", memo)), invs(("INV-000123", "ACME", 0, "100.00"))
    )
    assert result.matches.height == 0


def test_reference_cut_short_by_the_bank_names_the_one_invoice_it_can_be():
    bank = txns(("t1", 5, "-100.00", "ACME HOME CARE INV-0001", None))
    result = run(
        bank, invs(("INV-000123", "ACME", 0, "100.00"), ("INV-000999", "ACME", 0, "55.00"))
    )
    assert_frame_equal(
        result.matches, expected(("t1", "INV-000123", "100.00", "reference", "0.95"))
    )


def test_reference_cut_short_but_ambiguous_is_not_a_reference():
    bank = txns(("t1", 5, "-100.00", "SOMEONE INV-0001", None))
    result = run(
        bank, invs(("INV-000123", "ACME", 0, "100.00"), ("INV-000124", "ACME", 0, "100.00"))
    )
    assert result.matches.height == 0


def test_one_payment_naming_several_invoices_settles_them_oldest_first():
    bank = txns(("t1", 20, "-150.00", "ACME HOME CARE", "INV-1002 INV-1001"))
    result = run(bank, invs(("INV-1001", "ACME", 0, "100.00"), ("INV-1002", "ACME", 7, "50.00")))
    assert_frame_equal(
        result.matches,
        expected(
            ("t1", "INV-1001", "100.00", "reference", "1"),
            ("t1", "INV-1002", "50.00", "reference", "1"),
        ),
    )


def test_money_beyond_the_named_invoices_lands_on_the_last_one():
    bank = txns(("t1", 20, "-170.00", "ACME HOME CARE", "INV-1002 INV-1001"))
    result = run(bank, invs(("INV-1001", "ACME", 0, "100.00"), ("INV-1002", "ACME", 7, "50.00")))
    assert_frame_equal(
        result.matches,
        expected(
            ("t1", "INV-1001", "100.00", "reference", "1"),
            ("t1", "INV-1002", "70.00", "reference", "1"),
        ),
    )
    assert status(result)["INV-1002"] == ("0.00", "70.00", "overpaid")


def test_an_invoice_paid_twice_by_reference_shows_as_overpaid():
    bank = txns(
        ("t1", 10, "-100.00", "ACME HOME CARE", "INV-1001"),
        ("t2", 12, "-100.00", "ACME HOME CARE", "INV-1001"),
    )
    result = run(bank, invs(("INV-1001", "ACME", 0, "100.00")))
    assert_frame_equal(
        result.matches,
        expected(
            ("t1", "INV-1001", "100.00", "reference", "1"),
            ("t2", "INV-1001", "100.00", "reference", "1"),
        ),
    )
    assert status(result)["INV-1001"] == ("0.00", "200.00", "overpaid")


# ---- 2. amount_payee ---------------------------------------------------------


def test_exact_amount_pays_the_invoice_due_nearest_the_payment():
    """Identical invoices (due days 14, 21, 28): payments on days 20 and 27 settle the
    invoices just falling due, so the one really left unpaid (A1) stays in view instead
    of every payment sliding back onto the oldest."""
    bank = txns(
        ("t1", 20, "-75.00", "ACME HOME CARE", None), ("t2", 27, "-75.00", "Acme Care Ltd", None)
    )
    result = run(
        bank,
        invs(("A2", "ACME", 7, "75.00"), ("A1", "ACME", 0, "75.00"), ("A3", "ACME", 14, "75.00")),
    )
    assert_frame_equal(
        result.matches,
        expected(
            ("t1", "A2", "75.00", "amount_payee", "0.9"),
            ("t2", "A3", "75.00", "amount_payee", "0.9"),
        ),
    )
    assert status(result)["A1"] == ("0.00", "0.00", "unpaid")


def test_equally_near_invoices_go_oldest_first():
    bank = txns(("t1", 14, "-75.00", "ACME HOME CARE", None))
    result = run(bank, invs(("A2", "ACME", 7, "75.00", "invoice", "B1", 21), ("A1", "ACME", 0, "75.00", "invoice", "B1", 7)))
    assert_frame_equal(result.matches, expected(("t1", "A1", "75.00", "amount_payee", "0.9")))


def test_exact_amount_outside_the_date_window_is_not_matched():
    # due on day 14: the window runs from day -7 to day 14 + 45 = 59
    inv = invs(("A1", "ACME", 0, "75.00"))
    assert run(txns(("t1", 60, "-75.00", "ACME HOME CARE", None)), inv).matches.height == 0
    assert run(txns(("t1", -8, "-75.00", "ACME HOME CARE", None)), inv).matches.height == 0
    assert run(txns(("t1", 59, "-75.00", "ACME HOME CARE", None)), inv).matches.height == 1
    assert (
        run(txns(("t1", 60, "-75.00", "ACME HOME CARE", None)), inv, window_days=46).matches.height
        == 1
    )


def test_exact_amount_to_someone_else_is_not_the_providers():
    result = run(txns(("t1", 5, "-75.00", "TESCO STORES", None)), invs(("A1", "ACME", 0, "75.00")))
    assert result.matches.height == 0


# ---- 3. subset_sum -----------------------------------------------------------


def test_one_payment_for_several_invoices_of_a_provider():
    bank = txns(("t1", 20, "-130.00", "BRIGHT DAYS", None))
    result = run(
        bank,
        invs(
            ("D1", "BRIGHT", 0, "100.00"),
            ("D2", "BRIGHT", 3, "50.00"),
            ("D3", "BRIGHT", 6, "30.00"),
        ),
    )
    assert_frame_equal(
        result.matches,
        expected(
            ("t1", "D1", "100.00", "subset_sum", "0.8"), ("t1", "D3", "30.00", "subset_sum", "0.8")
        ),
    )
    assert status(result)["D2"] == ("0.00", "0.00", "unpaid")


def test_subset_sum_is_exact_to_the_penny():
    bank = txns(("t1", 20, "-130.01", "BRIGHT DAYS", None))
    result = run(bank, invs(("D1", "BRIGHT", 0, "100.00"), ("D3", "BRIGHT", 6, "30.00")))
    assert result.matches.height == 0


# ---- 4. part_payment ---------------------------------------------------------


def test_part_payments_complete_an_invoice():
    bank = txns(
        ("t1", 10, "-100.00", "ACME HOME CARE", None),
        ("t2", 17, "-120.00", "ACME HOME CARE", None),
        ("t3", 24, "-80.00", "ACME HOME CARE", None),
    )
    invoice = invs(("A1", "ACME", 0, "300.00"))
    result = run(bank, invoice)
    assert_frame_equal(
        result.matches,
        expected(
            ("t1", "A1", "100.00", "part_payment", "0.6"),
            ("t2", "A1", "120.00", "part_payment", "0.6"),
            ("t3", "A1", "80.00", "part_payment", "0.6"),
        ),
    )
    assert status(result)["A1"] == ("0.00", "300.00", "paid")
    assert status(run(bank.head(2), invoice))["A1"] == ("0.00", "220.00", "part_paid")


def test_a_payment_larger_than_the_oldest_invoice_is_not_a_part_payment():
    bank = txns(("t1", 10, "-150.00", "ACME HOME CARE", None))
    result = run(bank, invs(("A1", "ACME", 0, "100.00"), ("A2", "ACME", 1, "80.00")))
    assert result.matches.height == 0


# ---- 5. fuzzy_payee ------------------------------------------------------------


def test_payee_spelled_unlike_the_patterns_but_like_the_name():
    bank = txns(("t1", 10, "-64.50", "BRIGHTDAYS CIC 0042", None))
    result = run(bank, invs(("D1", "BRIGHT", 0, "64.50")))
    assert_frame_equal(result.matches, expected(("t1", "D1", "64.50", "fuzzy_payee", "0.5")))
    assert run(bank, invs(("D1", "BRIGHT", 0, "64.50")), fuzzy_cutoff=99).matches.height == 0


def test_fuzzy_needs_the_exact_amount():
    bank = txns(("t1", 10, "-64.00", "BRIGHTDAYS CIC", None))
    assert run(bank, invs(("D1", "BRIGHT", 0, "64.50"))).matches.height == 0


# ---- what never matches ----------------------------------------------------------


def test_a_payment_from_another_budget_never_matches():
    bank = txns(
        ("t1", 5, "-100.00", "ACME HOME CARE", "INV-1001", "B2"),
        ("t2", 6, "-100.00", "ACME HOME CARE", None, "B2"),
        ("t3", 7, "-100.00", "ACME HOME CARE", "INV-1001", None),
    )
    result = run(bank, invs(("INV-1001", "ACME", 0, "100.00")))
    assert result.matches.height == 0
    assert status(result)["INV-1001"] == ("0.00", "0.00", "unpaid")


def test_money_in_never_matches():
    bank = txns(
        ("t1", 5, "100.00", "ACME HOME CARE", "INV-1001"), ("t2", 6, "0.00", "ACME HOME CARE", None)
    )
    assert run(bank, invs(("INV-1001", "ACME", 0, "100.00"))).matches.height == 0


# ---- shape -----------------------------------------------------------------------


def test_empty_inputs_give_typed_empty_outputs():
    result = match_payments(
        pl.DataFrame(schema=TXN_SCHEMA), pl.DataFrame(schema=INV_SCHEMA), PROVIDERS.clear()
    )
    assert_frame_equal(result.matches, matches_table.empty())
    assert result.invoices.columns == [
        *INV_SCHEMA,
        "credited_amount",
        "paid_amount",
        "payment_status",
    ]


def test_invoices_keep_their_rows_order_and_other_columns():
    invoice = invs(("A2", "ACME", 7, "10.00"), ("A1", "ACME", 0, "20.00")).with_columns(
        pl.Series("category", ["agency_care", None]), pl.Series("source_line", [7, 3])
    )
    result = run(txns(("t1", 10, "-20.00", "ACME CARE", None)), invoice)
    assert_frame_equal(
        result.invoices,
        invoice.with_columns(
            pl.Series("credited_amount", [Decimal("0"), Decimal("0")], dtype=MONEY),
            pl.Series("paid_amount", [Decimal("0"), Decimal("20")], dtype=MONEY),
            pl.Series("payment_status", ["unpaid", "paid"]),
        ),
    )


def test_provider_patterns_that_are_not_plain_regex_do_not_break_the_run():
    providers = PROVIDERS.with_columns(
        pl.when(pl.col("provider_id") == "ACME")
        .then(pl.lit(r"acme(?!\s*reef)|care (uk"))
        .otherwise(pl.col("payee_patterns"))
        .alias("payee_patterns")
    )
    bank = txns(("t1", 5, "-10.00", "ACME LTD", None), ("t2", 6, "-20.00", "CARE (UK) LTD", None))
    result = match_payments(
        bank, invs(("A1", "ACME", 0, "10.00"), ("A2", "ACME", 1, "20.00")), providers
    )
    assert_frame_equal(
        result.matches,
        expected(
            ("t1", "A1", "10.00", "amount_payee", "0.9"),
            ("t2", "A2", "20.00", "amount_payee", "0.9"),
        ),
    )


def test_worked_example_of_the_module_docstring():
    bank = txns(
        ("t1", 24, "-150.00", "ACME CARE AC1002", None),
        ("t2", 25, "-180.00", "ACME CARE", None),
        ("t3", 32, "-60.00", "ACME CARE", None),
        ("t4", 39, "-160.00", "ACME CARE", None),
    )
    invoice = invs(
        ("AC-1001", "ACME", 0, "200.00"),
        ("AC-1002", "ACME", 7, "150.00"),
        ("AC-1003", "ACME", 14, "100.00"),
        ("AC-1004", "ACME", 21, "120.00"),
        ("AC-C1", "ACME", 19, "20.00", "credit_note"),
    )
    result = run(bank, invoice)
    assert_frame_equal(
        result.matches,
        expected(
            ("t1", "AC-1002", "150.00", "reference", "1"),
            ("t2", "AC-1001", "180.00", "amount_payee", "0.9"),
            ("t3", "AC-1003", "60.00", "part_payment", "0.6"),
            ("t4", "AC-1003", "40.00", "subset_sum", "0.8"),
            ("t4", "AC-1004", "120.00", "subset_sum", "0.8"),
        ),
    )
    assert {k: v[2] for k, v in status(result).items()} == {
        "AC-1001": "paid",
        "AC-1002": "paid",
        "AC-1003": "paid",
        "AC-1004": "paid",
        "AC-C1": "credited",
    }


def test_the_module_imports_no_io():
    import ast
    from pathlib import Path

    root = Path(__file__).resolve().parents[2] / "pipelines"
    for path in root.glob("match*.py"):
        tree = ast.parse(path.read_text())
        names = {
            a.name.split(".")[0]
            for n in ast.walk(tree)
            if isinstance(n, ast.Import)
            for a in n.names
        }
        names |= {
            n.module.split(".")[0]
            for n in ast.walk(tree)
            if isinstance(n, ast.ImportFrom) and n.module
        }
        assert not names & {"prefect", "great_expectations", "duckdb", "flows", "os", "pathlib"}, (
            path
        )
