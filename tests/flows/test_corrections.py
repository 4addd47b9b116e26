"""A bank's correction stands, the earlier version stays in the lineage, and the
ingest log and the officers' report say so (issue 15 point 1); a credit note
never replaces an invoice that shares its number."""

from __future__ import annotations

import shutil
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from tests.conftest import ROOT, SAMPLE_INBOX
from tests.flows.helpers import copy_inbox, query, run

CASES = ROOT / "tests" / "fixtures" / "corrections"
AS_OF = date(2025, 6, 30)


@pytest.fixture()
def inbox(tmp_path: Path) -> Path:
    return copy_inbox(SAMPLE_INBOX, tmp_path / "inbox")


def put(inbox: Path, case: str, name: str, folder: str = "statements") -> None:
    shutil.copy(CASES / case / name, inbox / folder / name)


def note_of(wh: Path, path: str) -> str:
    return query(wh, f"SELECT notes FROM audit.ingest_log WHERE path = '{path}'")[0][0] or ""


def test_the_later_statement_corrects_an_amount(inbox, tmp_path):
    wh = tmp_path / "w.duckdb"
    put(inbox, "ofx", "april.ofx")
    run(inbox, wh, AS_OF)
    assert query(wh, "SELECT amount FROM audit.transactions WHERE transaction_id = 'OFX-77'") == [(Decimal("-40.00"),)]
    put(inbox, "ofx", "may.ofx")
    run(inbox, wh, AS_OF)
    assert query(wh, "SELECT amount, source_path FROM audit.transactions WHERE transaction_id = 'OFX-77'") == [
        (Decimal("-45.00"), "statements/may.ofx")]
    # the unchanged transaction keeps the lineage of the first file that showed it
    assert query(wh, "SELECT source_path FROM audit.transactions WHERE transaction_id = 'OFX-78'") == [
        ("statements/april.ofx",)]
    # both versions stay in land, each with its file and line
    assert sorted(query(wh, "SELECT source_path, amount FROM land.statement_lines WHERE transaction_id = 'OFX-77'")) == [
        ("statements/april.ofx", Decimal("-40.00")), ("statements/may.ofx", Decimal("-45.00"))]
    assert note_of(wh, "statements/may.ofx") == (
        "corrects 1 transaction(s) loaded from statements/april.ofx: OFX-77 amount -£40.00 → -£45.00")
    assert note_of(wh, "statements/april.ofx") == ""
    assert query(wh, "SELECT transaction_id, changes, was_path, now_path FROM audit.corrections") == [
        ("OFX-77", "amount -£40.00 → -£45.00", "statements/april.ofx", "statements/may.ofx")]


def test_an_earlier_statement_arriving_later_does_not_undo_the_correction(inbox, tmp_path):
    wh = tmp_path / "w.duckdb"
    put(inbox, "ofx", "may.ofx")
    run(inbox, wh, AS_OF)
    put(inbox, "ofx", "april.ofx")
    run(inbox, wh, AS_OF)
    assert query(wh, "SELECT amount FROM audit.transactions WHERE transaction_id = 'OFX-77'") == [(Decimal("-45.00"),)]
    assert note_of(wh, "statements/april.ofx").startswith(
        "carries an earlier version of 1 transaction(s) that statements/may.ofx, a later statement, corrected")


def test_both_statements_in_one_night(inbox, tmp_path):
    wh = tmp_path / "w.duckdb"
    put(inbox, "ofx", "april.ofx")
    put(inbox, "ofx", "may.ofx")
    run(inbox, wh, AS_OF)
    assert query(wh, "SELECT amount FROM audit.transactions WHERE transaction_id = 'OFX-77'") == [(Decimal("-45.00"),)]
    assert "OFX-77 amount -£40.00 → -£45.00" in note_of(wh, "statements/may.ofx")


def test_a_csv_re_export_with_a_changed_description(inbox, tmp_path):
    wh = tmp_path / "w.duckdb"
    put(inbox, "csv", "export-1.csv")
    run(inbox, wh, AS_OF)
    put(inbox, "csv", "export-2.csv")
    result = run(inbox, wh, AS_OF)
    assert result["ingest"]["rows_new"] == 1  # CSV-3; CSV-2 is a new version, not a new transaction
    assert query(wh, "SELECT payee FROM audit.transactions WHERE transaction_id = 'CSV-2'") == [("TRAINLINE TICKET LEEDS",)]
    assert note_of(wh, "statements/export-2.csv") == (
        "corrects 1 transaction(s) loaded from statements/export-1.csv: CSV-2 description changed")
    assert query(wh, "SELECT count(*) FROM audit.transactions WHERE transaction_id LIKE 'CSV-%'") == [(3,)]


def test_the_report_shows_a_correction_an_exception_rests_on(inbox, tmp_path):
    wh = tmp_path / "w.duckdb"
    put(inbox, "ofx", "april.ofx")
    put(inbox, "ofx", "may.ofx")
    run(inbox, wh, AS_OF)
    ineligible = query(wh, "SELECT evidence FROM audit.exceptions WHERE rule_code = 'INELIGIBLE_SPEND'")
    assert any("OFX-77" in (e or "") for (e,) in ineligible)
    html = (tmp_path / "reports" / AS_OF.isoformat() / "exceptions.html").read_text(encoding="utf-8")
    assert 'id="corrections"' in html
    block = html[html.index('id="corrections"'):]
    assert "OFX-77" in block and "amount -£40.00 → -£45.00" in block and "statements/april.ofx" in block


def test_no_corrections_no_block(inbox, tmp_path):
    wh = tmp_path / "w.duckdb"
    put(inbox, "ofx", "april.ofx")
    run(inbox, wh, AS_OF)
    html = (tmp_path / "reports" / AS_OF.isoformat() / "exceptions.html").read_text(encoding="utf-8")
    assert 'id="corrections"' not in html


def test_a_credit_note_never_replaces_the_invoice_that_shares_its_number(inbox, tmp_path):
    wh = tmp_path / "w.duckdb"
    put(inbox, "invoices", "same-number.csv", "invoices")
    run(inbox, wh, AS_OF)
    assert sorted(query(wh, "SELECT invoice_id, kind, amount, version FROM audit.invoices WHERE invoice_id = 'INV-7'")) == [
        ("INV-7", "credit_note", Decimal("20.00"), 1), ("INV-7", "invoice", Decimal("110.00"), 1)]
    assert note_of(wh, "invoices/same-number.csv") == ""
    # the provider resends the invoice with a new rate: version 2 of the invoice, the credit note untouched
    put(inbox, "invoices", "resent.csv", "invoices")
    run(inbox, wh, AS_OF)
    assert sorted(query(wh, "SELECT kind, amount, version FROM audit.invoices WHERE invoice_id = 'INV-7'")) == [
        ("credit_note", Decimal("20.00"), 1), ("invoice", Decimal("120.00"), 2)]
    assert note_of(wh, "invoices/resent.csv") == (
        "replaces 1 document(s) loaded from invoices/same-number.csv: invoice INV-7 of SB01 "
        "(unit rate £110.00 → £120.00, amount £110.00 → £120.00)")
