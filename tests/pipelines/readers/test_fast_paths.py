"""The readers' short cuts for cells already in the contract's spelling (``231.02``,
``2025-10-02``, an amount with no currency sign) answer exactly what the long way
answers, for any text: they only skip work, never change a value."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from decimal import InvalidOperation
from pathlib import Path

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from pipelines.model import Parsed
from pipelines.readers.contract_csv import cell_reader, csv_records, normalise_value
from pipelines.readers.currency import _named_currency, currency_in_cell
from pipelines.readers.invoices import _defused_tree, _plain_tree, read_ubl
from pipelines.readers.ofx_clean import local_time_of
from pipelines.readers.ofx_tree import Node, _parser
from pipelines.readers.statement_csv import read_statement_csv
from pipelines.text import (
    CANONICAL_MONEY,
    ISO_DAY_SHAPE,
    _spelled_money,
    clean_cell,
    normalise_date,
    normalise_money,
)
from pipelines.timezones import ofx_local_time
from schemas.core import Kind

# texts near the short cuts' edges: signs, spaces, leading zeros, too many digits, odd days
moneyish = st.from_regex(r"\A[-+ (]?[0-9]{0,20}(\.[0-9]{0,3})?[ )-]?\Z", fullmatch=True)
dayish = st.from_regex(r"\A[ ]?[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}[ T]?\Z", fullmatch=True)
bankish = st.text(alphabet="0123456789.,-+()£$€ CRDGBPEURusdxyzł\u00a0\t", max_size=24)
anything = st.text(max_size=40)
cells = st.one_of(moneyish, dayish, bankish, anything)


def slow_money(text: str | None) -> str | None | type:
    try:
        return _spelled_money(text)
    except InvalidOperation:
        return InvalidOperation


def quick_money(text: str | None) -> str | None | type:
    try:
        return normalise_money(text)
    except InvalidOperation:
        return InvalidOperation


def slow_value(kind: Kind, value: str) -> str | None:
    """normalise_value as it was written before the short cuts."""
    v = clean_cell(value)
    if v is None:
        return None
    if kind is Kind.MONEY:
        try:
            return _spelled_money(v) or v
        except InvalidOperation:
            return v
    if kind is Kind.DATE:
        return normalise_date(v) or v
    if kind is Kind.BOOL:
        return v.lower()
    return v


@given(cells)
@example("-0.00")
@example("0.00")
@example("007.50")
@example("9999999999999999.99")
@example("1" * 27 + ".00")
@example("231.02\n")
def test_money_short_cut_answers_as_the_long_way(text):
    assert quick_money(text) == slow_money(text)
    if CANONICAL_MONEY(text):
        assert slow_money(text) == text


@given(cells)
@example("2025-02-30")
@example("0000-01-01")
@example("2025-10-02")
@example("9999-12-31")
@example("2025-13-01")
def test_cell_readers_answer_as_normalise_value_did(text):
    for kind in Kind:
        assert cell_reader(kind)(text) == slow_value(kind, text) == normalise_value(kind, text)
    if ISO_DAY_SHAPE(text):
        assert slow_value(Kind.DATE, text) == text


@given(cells)
@example("12.00 EUR")
@example("$12.00")
@example("(1,234.50)")
@example("-12.00-")
def test_currency_short_cut_answers_as_the_long_way(text):
    assert currency_in_cell(text) == (_named_currency(text) if text else None)


@given(st.lists(st.lists(st.sampled_from(["", " ", "\t", "a", " x ", "\u00a0", "\u2003"]), max_size=4), max_size=6))
def test_blank_rows_are_the_rows_whose_cells_are_all_blank(rows):
    text = "\n".join(",".join(r) for r in rows)
    kept = {line for line, _ in csv_records(text)}
    for line, cells in enumerate(text.split("\n"), start=1):
        if cells.split(","):
            assert (line in kept) == any(c.strip() for c in cells.split(",")), (line, cells)


def test_generic_statement_reads_canonical_and_bank_spellings_alike():
    header = "account_id,date,description,amount,balance,transaction_id,mcc\n"
    canonical = header + "A1,2025-10-02,SHOP,-14.70,456.06,,\nA1,2025-10-03,PAY,231.02,687.08,,\n"
    spelled = header + "A1,02/10/2025,SHOP,-£14.70,£456.06,,\nA1,3 Oct 2025,PAY,£231.02,687.080,,\n"
    a = read_statement_csv(canonical.encode(), "a.csv")
    b = read_statement_csv(spelled.encode(), "b.csv")
    assert a.tables["statement_lines"].equals(b.tables["statement_lines"])
    assert a.tables["statement_balances"].equals(b.tables["statement_balances"])
    assert a.tables["statement_lines"]["amount"].to_list() == ["-14.70", "231.02"]


# --- UBL: ElementTree's C parser for plain invoices -------------------------------

UBL_GOLDEN = sorted((Path(__file__).resolve().parents[2] / "golden" / "ubl").glob("*/input.xml"))


def _as_read(tree):
    """A tree and its documents' lines as comparable values (or the refusal)."""
    if isinstance(tree, Parsed):
        return tree
    root, lines = tree
    return ET.tostring(root), sorted((ET.tostring(e), n) for e, n in lines.items())


def _between_tags(data: bytes, cuts: list[int], ending: bytes) -> bytes:
    """``data`` with line breaks added after some of its ``>`` (where XML allows them)."""
    parts = data.split(b">")
    for i in cuts:
        if 0 <= i < len(parts) - 1 and parts[i + 1].lstrip().startswith(b"<"):
            parts[i + 1] = b"\n" * (1 + i % 3) + parts[i + 1]
    return b">".join(parts).replace(b"\n", ending)


@pytest.mark.parametrize("path", UBL_GOLDEN, ids=lambda p: p.parent.name)
def test_plain_invoices_read_as_the_defused_parser_reads_them(path):
    data = path.read_bytes()
    plain = _plain_tree(data)
    if plain is not None:
        assert _as_read(plain) == _as_read(_defused_tree(data))
    assert (plain is None) == (b"<!" in data or path.parent.name in ("malformed", "not_an_invoice", "peppol_envelope"))


@given(
    st.sampled_from([p for p in UBL_GOLDEN if p.parent.name.startswith(("invoice", "credit", "non_gbp"))]),
    st.lists(st.integers(min_value=0, max_value=60), max_size=8),
    st.sampled_from([b"\n", b"\r\n", b"\r"]),
    st.sampled_from([b"", b'<?xml version="1.0" encoding="UTF-8"?>', b"<?xml version='1.0'?>", b"\xef\xbb\xbf",
                     b'<?xml version="1.0" encoding="utf-8" standalone="yes"?>\n\n']),
)
def test_the_main_elements_line_is_the_one_the_defused_parser_reports(path, cuts, ending, head):
    body = path.read_bytes().split(b"?>", 1)[1].lstrip()
    data = _between_tags(head + body, cuts, ending)
    plain = _plain_tree(data)
    assert plain is not None
    assert _as_read(plain) == _as_read(_defused_tree(data))
    read = read_ubl(data, "x.xml")
    lines = read.tables["invoice_lines"]["source_line"].to_list() + [q.line for q in read.quarantined]
    assert lines == list(plain[1].values())


@pytest.mark.parametrize(
    "data",
    [
        b'<?xml version="1.0"?><!DOCTYPE Invoice [<!ENTITY a "b">]><Invoice>&a;</Invoice>',
        b'<?xml version="1.0"?>\n<!doctype Invoice SYSTEM "file:///etc/passwd"><Invoice/>',
        b'<?xml version="1.0" encoding="UTF-16"?><Invoice/>',
        b'<?xml version="1.0" encoding="windows-1252"?><Invoice/>',
        "<Invoice/>".encode("utf-16"),
        b'<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"><x>&undefined;</x></Invoice>',
        b' <?xml version="1.0"?><Invoice/>',
    ],
)
def test_anything_but_plain_utf8_takes_the_defused_path(data):
    assert _plain_tree(data) is None


def test_a_document_type_declaration_is_still_refused():
    bomb = (b'<?xml version="1.0"?><!DOCTYPE Invoice [<!ENTITY l0 "lol"><!ENTITY l1 "&l0;&l0;">]>'
            b'<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2">&l1;</Invoice>')
    assert "document type declaration" in read_ubl(bomb, "bomb.xml").file_error


# --- OFX: remembered readings of a time -------------------------------------------

ofx_times = st.one_of(
    st.from_regex(r"\A[0-9]{8}([0-9]{4}([0-9]{2})?)?(\.[0-9]{0,4})?(\[[-+]?[0-9]{1,2}(\.[0-9])?(:[A-Z]{0,4})?\])?\Z",
                  fullmatch=True),
    st.text(alphabet="0123456789.[]:+-GMTBSZ ", max_size=30),
)


def _outcome(read, value):
    try:
        return read(value)
    except Exception as exc:  # noqa: BLE001 - the same failure either way is the point
        return type(exc)


@given(ofx_times)
@example("20260630230000[0:GMT]")
@example("20250231120000")
@example("00000000")
def test_remembered_times_read_as_ofxparse_and_the_zone_rule_read_them(value):
    from ofxparse import OfxParser

    parser = _parser()
    for _ in range(2):  # the second time from memory
        assert _outcome(parser.parseOfxDateTime, value) == _outcome(
            lambda v: OfxParser.parseOfxDateTime.__func__(parser, v), value)
        assert local_time_of(value) == ofx_local_time(value)


# --- OFX: the tree's name index --------------------------------------------------

names = st.sampled_from(["stmttrn", "trnamt", "name", "memo", "banktranlist"])
trees = st.recursive(
    st.builds(lambda n, t: Node(n, [t]), names, st.text(max_size=3)),
    lambda kids: st.builds(Node, names, st.lists(st.one_of(kids, st.text(max_size=2)), max_size=4)),
    max_leaves=25,
)


def _preorder(node: Node) -> list[Node]:
    out = []
    for child in node.contents:
        if isinstance(child, Node):
            out.append(child)
            out += _preorder(child)
    return out


@given(trees)
def test_find_all_lists_every_element_of_a_name_in_document_order(root):
    below = _preorder(root)
    for name in ["stmttrn", "trnamt", "name", "memo", "banktranlist", "absent"]:
        expected = [n for n in below if n.name == name]
        assert [id(n) for n in root.findAll(name)] == [id(n) for n in expected]
        assert root.find(name) is (expected[0] if expected else None)
