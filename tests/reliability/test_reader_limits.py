"""What fuzzing the readers found, pinned down: absurd numbers and huge or
repeated values are set aside with a reason, in seconds, never a crash or a
night-long stall."""

from __future__ import annotations

import time

import pytest

from pipelines.readers.evidence import read_manifest
from pipelines.readers.invoices import read_invoice_csv, read_ubl
from pipelines.readers.ofx import read_ofx
from pipelines.readers.statement_csv import read_statement_csv
from tests.conftest import ROOT, SHARED

# a real file, declared in pounds: a Canadian-dollar statement is set aside line by line anyway
OFX = (SHARED / "realworld" / "ofx" / "ofxparse__bank_medium.ofx").read_bytes().replace(b"<CURDEF>CAD", b"<CURDEF>GBP")
LLOYDS = (SHARED / "realworld" / "csv" / "lloyds__statement.csv").read_bytes()
INVOICES = (ROOT / "tests" / "golden" / "csv" / "invoices" / "contract_layout" / "input.csv").read_bytes()
UBL = (ROOT / "tests" / "golden" / "ubl" / "invoice_one_rate" / "input.xml").read_bytes()
MANIFEST = (ROOT / "tests" / "golden" / "csv" / "evidence" / "return_ok" / "manifest.csv").read_bytes()
HUGE = 150_000
FAST = 5.0  # seconds; each case takes well under one now, and took minutes to hours before


@pytest.fixture(autouse=True, scope="module")
def warm() -> None:
    read_ofx(OFX, "statements/warm-up.ofx")  # ofxparse's imports are not what is timed


def timed(read, data: bytes):
    started = time.perf_counter()
    parsed = read(data)
    return parsed, time.perf_counter() - started


def ofx_with_value(tag: bytes, value: bytes) -> bytes:
    at = OFX.index(b"<" + tag + b">") + len(tag) + 2
    end = OFX.index(b"<", at)
    return OFX[:at] + value + OFX[end:]


@pytest.mark.parametrize(
    "data",
    [
        ofx_with_value(b"TRNAMT", b"1" + b"," * HUGE),  # ofxparse's amount regex is cubic
        ofx_with_value(b"TRNAMT", b"9" * HUGE),
        ofx_with_value(b"DTPOSTED", b"20260701" + b"[" * HUGE),
        ofx_with_value(b"NAME", b"<!--" * (HUGE // 4)),  # an unclosed comment, many times
        ofx_with_value(b"MEMO", b"<![CDATA[" * (HUGE // 9)),
    ],
    ids=["amount-commas", "amount-digits", "date-brackets", "unclosed-comments", "unclosed-cdata"],
)
def test_huge_ofx_values_are_set_aside_quickly(data: bytes) -> None:
    parsed, took = timed(lambda d: read_ofx(d, "statements/x.ofx"), data)
    assert took < FAST, f"{took:.1f}s"
    reasons = [parsed.file_error] if parsed.file_error else [q.reason for q in parsed.quarantined]
    assert all(r and "unexpected" not in r for r in reasons)


def test_a_huge_transaction_value_sets_that_transaction_aside() -> None:
    parsed = read_ofx(ofx_with_value(b"MEMO", b"x" * 5000), "statements/x.ofx")
    assert parsed.file_error is None
    assert [q.reason for q in parsed.quarantined] == [
        "its <MEMO> is 5,000 characters long, far longer than any bank writes: the file looks "
        "damaged; ask the bank or card provider for a fresh download"
    ]


def test_a_huge_statement_value_sets_the_file_aside() -> None:
    parsed = read_ofx(ofx_with_value(b"ACCTID", b"1" * 5000), "statements/x.ofx")
    assert parsed.file_error and "<ACCTID>" in parsed.file_error and "5,000 characters" in parsed.file_error


@pytest.mark.parametrize(
    ("read", "original", "data"),
    [
        (lambda d: read_statement_csv(d, "statements/x.csv"), LLOYDS, LLOYDS.replace(b"2040.59", b"2040.59" + b"," * HUGE)),
        (lambda d: read_invoice_csv(d, "invoices/x.csv"), INVOICES, INVOICES.replace(b"440.00,invoice", b"440.00,invoice" + b"," * HUGE)),
        (lambda d: read_manifest(d, "evidence/x/manifest.csv", set()), MANIFEST, MANIFEST.replace(b"a friend", b"a friend" + b"," * HUGE)),
    ],
    ids=["statement", "invoice", "manifest"],
)
def test_rows_of_endless_commas_are_read_quickly(read, original: bytes, data: bytes) -> None:
    """Empty cells at the end of a row are harmless, however many there are."""
    parsed, took = timed(read, data)
    assert took < FAST, f"{took:.1f}s"  # trimming one cell at a time was quadratic: 35 s
    assert parsed.file_error is None
    assert [q.line for q in parsed.quarantined] == [q.line for q in read(original).quarantined]


def test_a_value_longer_than_csv_allows_says_so() -> None:
    data = LLOYDS.replace(b"Ebay*xxxx", b'"' + b"x" * HUGE + b'"', 1)
    parsed = read_statement_csv(data, "statements/x.csv")
    assert parsed.file_error is None
    assert [q.line for q in parsed.quarantined] == [2]
    assert "longer than 131,072 characters" in parsed.quarantined[0].reason
    assert "never closed" not in parsed.quarantined[0].reason  # what it used to say, wrongly


TOO_LONG = "9" * 40  # more digits than Decimal rounds to pence: quantize raised InvalidOperation


def test_absurd_amounts_are_left_for_validation_not_a_crash() -> None:
    csv = read_statement_csv(LLOYDS.replace(b"8.99", TOO_LONG.encode(), 1), "statements/x.csv")
    assert csv.file_error is None and TOO_LONG in csv.tables["statement_lines"]["amount"].to_list()
    manifest = read_manifest(MANIFEST.replace(b"600.00", TOO_LONG.encode()), "evidence/x/manifest.csv", set())
    assert manifest.file_error is None and TOO_LONG in manifest.tables["evidence_items"]["amount"].to_list()
    invoice = read_invoice_csv(INVOICES.replace(b"440.00", TOO_LONG.encode(), 1), "invoices/x.csv")
    assert invoice.file_error is None and TOO_LONG in invoice.tables["invoice_lines"]["amount"].to_list()
    ofx = read_ofx(ofx_with_value(b"TRNAMT", TOO_LONG.encode()), "statements/x.ofx")
    assert ofx.file_error is None and TOO_LONG in ofx.tables["statement_lines"]["amount"].to_list()


@pytest.mark.parametrize("quantity", [TOO_LONG, "1E+999999", "1E-999999"])
def test_absurd_invoice_quantities_and_prices_are_not_a_crash(quantity: str) -> None:
    csv = read_invoice_csv(INVOICES.replace(b",4,", f",{quantity},".encode(), 1), "invoices/x.csv")
    assert csv.file_error is None
    for tag in (b"InvoicedQuantity", b"PriceAmount"):
        at = UBL.index(b">", UBL.index(b"<cbc:" + tag)) + 1
        parsed = read_ubl(UBL[:at] + quantity.encode() + UBL[UBL.index(b"<", at):], "invoices/x.xml")
        assert parsed.file_error is None, parsed.file_error
        assert parsed.tables["invoice_lines"]["unit_rate"].to_list() == [None]


@pytest.mark.parametrize("cell", ["\x00csv-error", '"\x00csv-error",x'])
def test_a_cell_spelling_the_old_error_marker_is_just_text(cell: str) -> None:
    """Unreadable records were once marked with a string a file could hold itself (atheris found it)."""
    data = LLOYDS.decode().replace("15/01/2024", cell, 1).encode()
    statement = read_statement_csv(data, "statements/x.csv")
    assert statement.file_error is None
    rows = read_statement_csv(LLOYDS, "statements/x.csv").tables["statement_lines"].height
    assert len(statement.quarantined) + statement.tables["statement_lines"].height == rows
    assert all("cannot be read" not in q.reason for q in statement.quarantined)
    invoice = read_invoice_csv(INVOICES.decode().replace("INV-0001", cell, 1).encode(), "invoices/x.csv")
    assert invoice.file_error is None and all("cannot be read" not in q.reason for q in invoice.quarantined)
