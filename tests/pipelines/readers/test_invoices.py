"""Invoice readers: the contract CSV and UBL 2.1 / Peppol BIS 3.0 XML."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

from pipelines.model import Parsed
from pipelines.readers.invoices import UNEXPECTED, read_invoice_csv, read_ubl
from schemas.inputs import invoice_lines
from tests.pipelines.readers.support import mutated, regen_module

HERE = Path(__file__).resolve()
GOLDEN = HERE.parents[2] / "golden"
UBL_DIR = GOLDEN / "ubl"


REGEN = regen_module()
CASES = [c for c in REGEN.cases() if c.name.startswith(("csv/invoices/", "ubl/"))]


def ubl(case: str) -> bytes:
    return (UBL_DIR / case / "input.xml").read_bytes()


def only_row(p: Parsed) -> dict:
    assert p.file_error is None, p.file_error
    [row] = p.tables["invoice_lines"].to_dicts()
    return row


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_golden(case):
    assert case.expected.exists(), (
        f"no golden file: run uv run python {GOLDEN / 'regen_readers.py'}"
    )
    expected = json.loads(case.expected.read_text(encoding="utf-8"))
    assert REGEN.render(case.run()) == expected


# --- CSV ------------------------------------------------------------------------------


def test_invoice_csv_normalises_kind_category_money_and_dates():
    data = (
        "invoice_id,provider_id,budget_id,issue_date,due_date,period_start,period_end,"
        "category,units,unit_rate,amount,kind\n"
        'CN-1,SB01,B002,05/05/2025,19/05/2025,,,Short Break,2.50,£110.00,"£1,275.00",Credit Note\n'
    ).encode()
    p = read_invoice_csv(data, "invoices/x.csv")
    assert p.format == "csv:invoice"
    row = only_row(p)
    assert (row["issue_date"], row["due_date"]) == ("2025-05-05", "2025-05-19")
    assert (row["category"], row["kind"]) == ("short_break", "credit_note")
    assert (row["units"], row["unit_rate"], row["amount"]) == ("2.5", "110.00", "1275.00")
    assert dict(p.tables["invoice_lines"].schema) == invoice_lines.text_schema()


def test_invoice_csv_missing_column_fails_the_file():
    p = read_invoice_csv(b"invoice_id,amount\nX,1.00\n", "invoices/x.csv")
    assert p.file_error and "budget_id" in p.file_error


# --- UBL ------------------------------------------------------------------------------


def test_ubl_invoice_one_rate():
    row = only_row(read_ubl(ubl("invoice_one_rate"), "invoices/x.xml"))
    assert row == {
        "invoice_id": "HC-2025-0412",
        "provider_id": "HC01",
        "budget_id": "B001",
        "issue_date": "2025-04-30",
        "due_date": "2025-05-14",
        "period_start": "2025-04-01",
        "period_end": "2025-04-30",
        "category": "agency_care",
        "units": "20",
        "unit_rate": "22.50",
        "amount": "450.00",
        "kind": "invoice",
        "billing_reference": None,
        "source_line": 2,  # the line the <Invoice> element starts on
    }


def test_ubl_mixed_prices_keep_only_the_total():
    p = read_ubl(ubl("invoice_mixed_prices"), "x.xml")
    row = only_row(p)
    assert (row["units"], row["unit_rate"], row["amount"]) == (None, None, "255.00")
    assert row["provider_id"] == "GB123456789"  # no PartyIdentification: the EndpointID
    assert any("priced differently" in n for n in p.notes)


def test_ubl_credit_note():
    row = only_row(read_ubl(ubl("credit_note"), "x.xml"))
    assert (row["kind"], row["amount"], row["due_date"]) == ("credit_note", "22.50", "2025-05-20")
    assert row["provider_id"] == "Hillside Care Ltd"  # only a PartyName


def test_ubl_invoice_type_code_381_is_a_credit_note():
    row = only_row(read_ubl(ubl("invoice_type_381"), "x.xml"))
    assert (row["kind"], row["amount"]) == ("credit_note", "12.00")  # TaxInclusiveAmount
    assert (row["units"], row["unit_rate"]) == ("2", "6.00")  # £12.00 per base quantity of 2


def test_ubl_negative_invoice_becomes_a_credit_note():
    data = ubl("invoice_one_rate").replace(
        b">450.00</cbc:PayableAmount>", b">-450.00</cbc:PayableAmount>"
    )
    p = read_ubl(data, "x.xml")
    row = only_row(p)
    assert (row["kind"], row["amount"]) == ("credit_note", "450.00")
    assert p.notes


def test_ubl_non_gbp_is_quarantined_with_a_reason():
    p = read_ubl(ubl("non_gbp"), "x.xml")
    assert p.tables["invoice_lines"].height == 0
    [q] = p.quarantined
    assert q.line == 2 and "EUR" in q.reason and "pounds" in q.reason


def test_ubl_inside_a_peppol_envelope():
    row = only_row(read_ubl(ubl("peppol_envelope"), "x.xml"))
    assert (row["invoice_id"], row["source_line"], row["due_date"]) == ("DC-3301", 8, "2025-07-14")


def test_xxe_is_refused_not_expanded():
    p = read_ubl(ubl("xxe"), "x.xml")
    assert p.file_error and "not read" in p.file_error
    assert p.rows == 0


def test_billion_laughs_is_refused_quickly():
    entities = "".join(f'<!ENTITY l{i} "{("&l" + str(i - 1) + ";") * 10}">' for i in range(1, 10))
    bomb = f'<?xml version="1.0"?><!DOCTYPE Invoice [<!ENTITY l0 "lol">{entities}]><Invoice>&l9;</Invoice>'
    p = read_ubl(bomb.encode(), "x.xml")
    assert p.file_error and p.rows == 0


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"", "empty"),
        (b"<Invoice>", "not valid XML"),
        (b"%PDF-1.7 binary", "not valid XML"),
        (b'<?xml version="1.0" encoding="no-such-charset"?><a/>', "character set"),
        (b"<Order/>", "not a UBL invoice"),
    ],
)
def test_ubl_unreadable_files_fail_with_a_reason(data, words):
    p = read_ubl(data, "x.xml")
    assert p.format == "ubl" and words in p.file_error


def test_ubl_other_encodings():
    src = ubl("credit_note").decode()
    utf16 = src.replace("UTF-8", "UTF-16").encode("utf-16")
    assert only_row(read_ubl(utf16, "x.xml"))["invoice_id"] == "HC-CN-0007"
    cp1252 = (
        src.replace("UTF-8", "windows-1252")
        .replace("Hillside", "Caf\u00e9 \u00a3")
        .encode("cp1252")
    )
    assert only_row(read_ubl(cp1252, "x.xml"))["provider_id"] == "Caf\u00e9 \u00a3 Care Ltd"


# --- never crash ----------------------------------------------------------------------

UBL_SEEDS = [(d / "input.xml").read_bytes() for d in sorted(UBL_DIR.iterdir())]
CSV_SEEDS = [
    (d / "input.csv").read_bytes() for d in sorted((GOLDEN / "csv" / "invoices").iterdir())
]
SPICE = [
    b"<",
    b">",
    b"&",
    b"&amp;",
    b"]]>",
    b"<!--",
    b'"',
    b"\x00",
    b"\xa3",
    b"\xff\xfe",
    b",",
    b"\n",
    b"/",
]




def _check(p: Parsed) -> None:
    assert isinstance(p, Parsed)
    assert not (p.file_error or "").startswith(UNEXPECTED), p.file_error
    for frame in p.tables.values():
        assert dict(frame.schema) == invoice_lines.text_schema()


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated(UBL_SEEDS, SPICE))
def test_mutated_ubl_never_crashes(data):
    _check(read_ubl(data, "invoices/fuzz.xml"))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated(CSV_SEEDS, SPICE))
def test_mutated_invoice_csv_never_crashes(data):
    _check(read_invoice_csv(data, "invoices/fuzz.csv"))
