"""Pounds only, one rule for every reader: OFX statements and lines, UBL
invoices, bank CSV cells. Hand-written files in tests/golden/ofx/currency_*."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipelines.readers.currency import cell_not_pounds, currency_in_cell, not_pounds
from pipelines.readers.invoices import read_invoice_csv, read_ubl
from pipelines.readers.ofx import read_ofx
from pipelines.readers.statement_csv import read_statement_csv
from pipelines.text import normalise_money

GOLDEN = Path(__file__).resolve().parents[2] / "golden"


def ofx(case: str):
    path = GOLDEN / "ofx" / case / "input.ofx"
    return read_ofx(path.read_bytes(), str(path))


@pytest.mark.parametrize(
    ("case", "name", "rows"),
    [
        ("currency_usd", "US dollars (USD)", 2),
        ("currency_eur_xml", "euros (EUR)", 1),
        ("currency_cad", "Canadian dollars (CAD)", 1),  # written <CURDEF>cad
        ("currency_brl_card", "Brazilian reais (BRL)", 2),
    ],
)
def test_a_statement_in_another_currency_is_set_aside_line_by_line(case, name, rows):
    parsed = ofx(case)
    assert parsed.file_error is None
    assert parsed.tables["statement_lines"].height == 0
    assert parsed.tables["statement_balances"].height == 0  # its balance is not pounds either
    assert len(parsed.quarantined) == rows
    for q in parsed.quarantined:
        assert q.reason.startswith(f"this statement is in {name}, not pounds sterling")
    assert any(name in n for n in parsed.notes)


def test_a_sterling_statement_with_one_euro_line():
    parsed = ofx("currency_gbp_one_eur_line")
    lines = parsed.tables["statement_lines"].to_dicts()
    # the £12.50 swim, the hotel the bank converted from euros, the council's payment
    assert [(r["transaction_id"], r["amount"]) for r in lines] == [
        ("P1", "-12.50"),
        ("P3", "-34.20"),
        ("P4", "300.00"),
    ]
    [q] = parsed.quarantined
    assert q.line == 16 and "MUSEE DU LOUVRE" in q.raw
    assert q.reason.startswith("this transaction is in euros (EUR), not pounds sterling")
    assert parsed.tables["statement_balances"]["closing_balance"].to_list() == ["213.30"]
    assert any("<ORIGCURRENCY>" in n and "EUR" in n for n in parsed.notes)


def test_ubl_uses_the_same_rule_and_wording():
    reason = (GOLDEN / "ubl" / "non_gbp" / "input.xml").read_bytes()
    parsed = read_ubl(reason, "invoices/x.xml")
    [q] = parsed.quarantined
    assert q.reason == not_pounds("EUR", "invoice EU-100")


def test_ubl_in_pounds_with_one_line_priced_in_dollars_is_set_aside():
    data = (GOLDEN / "ubl" / "invoice_one_rate" / "input.xml").read_bytes()
    assert read_ubl(data, "x.xml").quarantined == []
    dollars = data.replace(b'<cbc:PriceAmount currencyID="GBP">', b'<cbc:PriceAmount currencyID="USD">', 1)
    assert dollars != data
    [q] = read_ubl(dollars, "x.xml").quarantined
    assert "US dollars (USD)" in q.reason


@pytest.mark.parametrize(
    ("cell", "found"),
    [("$12.00", "a dollar currency ($)"), ("€5", "EUR"), ("12.00 USD", "USD"), ("-3.00 eur", "EUR")],
)
def test_currency_in_a_money_cell(cell, found):
    assert currency_in_cell(cell) == found
    assert normalise_money(cell) is None  # never read as pounds
    assert "not pounds sterling" in cell_not_pounds(cell, "this line")


@pytest.mark.parametrize("cell", ["£12.00", "-£1,234.50", "12.50 CR", "5.00 DR", "GBP 3.00", "(4.00)"])
def test_pounds_look_alikes_are_pounds(cell):
    assert currency_in_cell(cell) is None
    assert normalise_money(cell) is not None


def test_nothing_declared_is_pounds():
    assert not_pounds(None, "x") is None and not_pounds(" ", "x") is None
    assert not_pounds("gbp", "x") is None and not_pounds("£", "x") is None
    assert "'XTS'" in not_pounds("XTS", "this line")


def test_generic_csv_amount_in_dollars_is_set_aside_naming_the_currency():
    data = (
        b"account_id,date,description,amount\n"
        b"PC1,2026-06-01,SHOP,-2.50\nPC1,2026-06-02,NEW YORK DELI,$-12.00\n"
    )
    parsed = read_statement_csv(data, "statements/x.csv")
    assert parsed.tables["statement_lines"]["amount"].to_list() == ["-2.50"]
    [q] = parsed.quarantined
    assert q.line == 3 and "a dollar currency ($)" in q.reason


def test_generic_csv_with_a_currency_column():
    data = (
        b"account_id,date,description,amount,currency\n"
        b"PC1,2026-06-01,SHOP,-2.50,GBP\nPC1,2026-06-02,BOUTIQUE,-12.00,eur\nPC1,2026-06-03,CAFE,-1.00,\n"
    )
    parsed = read_statement_csv(data, "statements/x.csv")
    assert parsed.tables["statement_lines"]["amount"].to_list() == ["-2.50", "-1.00"]
    [q] = parsed.quarantined
    assert q.line == 3 and "euros (EUR)" in q.reason and "BOUTIQUE" in q.raw


INVOICE = (
    "invoice_id,provider_id,budget_id,issue_date,due_date,period_start,period_end,"
    "category,units,unit_rate,amount,kind{extra}\n"
    "I1,P1,B1,2026-06-01,2026-06-15,2026-05-01,2026-05-31,personal_assistant,10,15.00,150.00,invoice{c1}\n"
    "I2,P1,B1,2026-06-01,2026-06-15,2026-05-01,2026-05-31,personal_assistant,10,€15.00,€150.00,invoice{c2}\n"
)


def test_invoice_csv_in_euros_is_set_aside_by_the_same_rule():
    data = INVOICE.format(extra="", c1="", c2="").encode()
    parsed = read_invoice_csv(data, "invoices/x.csv")
    assert parsed.tables["invoice_lines"]["invoice_id"].to_list() == ["I1"]
    [q] = parsed.quarantined
    assert q.line == 3 and q.reason == not_pounds("EUR", "this invoice")
    data = INVOICE.format(extra=",currency", c1=",GBP", c2=",USD").replace("€", "").encode()
    [q] = read_invoice_csv(data, "invoices/x.csv").quarantined
    assert q.line == 3 and "US dollars (USD)" in q.reason
