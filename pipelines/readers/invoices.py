"""Provider invoices and credit notes: the contract's CSV, and UBL 2.1 XML
(Peppol BIS Billing 3.0), both into ``invoice_lines``.

One row per document. Worked example: a UBL invoice from a care agency with
two lines of 10 hours at £22.50 and a payable total of £450.00, buyer
reference ``B001``, becomes::

    invoice_id=INV-7 provider_id=<seller's id> budget_id=B001 units=20
    unit_rate=22.50 amount=450.00 kind=invoice

A credit note for £22.50 becomes ``amount=22.50 kind=credit_note``: the
amount is always positive and ``kind`` says which way it goes. When lines
are priced differently (10 hours at £22.50 and a £30.00 mileage line) there
is no single rate, so ``units`` and ``unit_rate`` are left empty and only the
document total is kept. An invoice in euros is set aside with a reason:
direct payments are made in pounds.

XML is parsed with defusedxml and document type declarations are refused, so
an invoice that tries to pull in another file or expand entities is refused
whole rather than read.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from xml.etree.ElementTree import Element, ParseError, TreeBuilder, XMLParser
from xml.parsers import expat

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser

from pipelines.model import Parsed, Quarantined
from pipelines.readers.contract_csv import (
    contract_rows,
    csv_records,
    header_key,
    keep_pounds,
    money_text,
    normalise_value,
    rows_to_frame,
)
from pipelines.readers.currency import not_pounds
from pipelines.text import clean_cell, decode_text
from schemas.core import Kind
from schemas.inputs import CATEGORIES, INVOICE_KINDS, invoice_lines

UBL = "ubl"
UNEXPECTED = "dprecon hit an unexpected problem reading this file"
INVOICE_NS = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
CREDIT_NOTE_NS = "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"
NS = {
    "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
    "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
}
INVOICE_TAG = f"{{{INVOICE_NS}}}Invoice"
CREDIT_NOTE_TAG = f"{{{CREDIT_NOTE_NS}}}CreditNote"
CREDIT_NOTE_CODES = {"381", "261", "262", "296", "308", "396", "420", "458", "532"}
PENNY = Decimal("0.01")


# --- CSV --------------------------------------------------------------------------


def read_invoice_csv(data: bytes, path: str) -> Parsed:
    """The contract's invoice CSV; ``kind`` and ``category`` spelled as the contract does."""
    try:
        text, charset = decode_text(data)
        records = csv_records(text)  # read once, the rows kept as dicts until the one frame
        parsed, rows = contract_rows(records, charset, invoice_lines, format="csv:invoice")
        if parsed.file_error:
            return parsed
        rows = keep_pounds(parsed, rows, text, ("amount", "unit_rate"), "this invoice", records)
        for row in rows:
            # "Credit Note" -> credit_note, "Short break" -> short_break; others left for validation
            for column, allowed in (("kind", INVOICE_KINDS), ("category", CATEGORIES)):
                if row[column] and header_key(row[column]) in allowed:
                    row[column] = header_key(row[column])
            row["units"] = _quantity(row["units"]) or row["units"]
        parsed.tables[invoice_lines.name] = rows_to_frame(invoice_lines, rows)
        return parsed
    except Exception as exc:  # noqa: BLE001 - a bad file must never stop the run
        return Parsed.failed("csv:invoice", f"{UNEXPECTED} ({type(exc).__name__})")


# --- UBL XML ----------------------------------------------------------------------


class _LineRecorder(TreeBuilder):
    """Builds the tree and remembers the line each invoice or credit note starts on."""

    def __init__(self) -> None:
        super().__init__()
        self.parser: DefusedXMLParser | None = None
        self.lines: dict[Element, int] = {}

    def start(self, tag, attrs):  # type: ignore[no-untyped-def]
        elem = super().start(tag, attrs)
        if tag in (INVOICE_TAG, CREDIT_NOTE_TAG) and self.parser is not None:
            self.lines[elem] = self.parser.parser.CurrentLineNumber
        return elem


def _defused_tree(data: bytes) -> tuple[Element, dict[Element, int]] | Parsed:
    """The document's tree and the line each invoice or credit note starts on, read by
    defusedxml, refusing a document type declaration; or why the file cannot be read."""
    recorder = _LineRecorder()
    parser = DefusedXMLParser(
        target=recorder, forbid_dtd=True, forbid_entities=True, forbid_external=True
    )
    recorder.parser = parser
    try:
        parser.feed(data)
        root = parser.close()
    except DefusedXmlException:
        return Parsed.failed(
            UBL,
            "the file carries a document type declaration or entity definitions, which an "
            "e-invoice never needs and which can be used to attack a system; it was not read",
        )
    except LookupError:
        return Parsed.failed(UBL, "the file names a character set that dprecon cannot read")
    except (ParseError, ValueError) as exc:
        return Parsed.failed(
            UBL, f"the file is not valid XML ({exc}), so it cannot be read as an invoice"
        )
    return root, recorder.lines


# An XML declaration naming UTF-8 or ASCII, or none (UTF-8 then).
_PLAIN_DECLARATION = re.compile(
    rb"""<\?xml\s+version\s*=\s*(["'])1\.[0-9]\1(?:\s+encoding\s*=\s*(["'])(?i:utf-8|us-ascii)\2)?"""
    rb"""(?:\s+standalone\s*=\s*(["'])(?:yes|no)\3)?\s*\?>"""
)


class _Started(Exception):  # noqa: N818 - a signal, not an error
    """The first element has started: its line is known, the rest need not be read."""


def _plain_tree(data: bytes) -> tuple[Element, dict[Element, int]] | None:
    """:func:`_defused_tree` of a plain invoice, read by ElementTree's C parser (a
    third of the time): UTF-8 with no ``<!`` anywhere, so no document type declaration
    (hence no entity of any kind) and nothing else than elements, text and
    processing instructions; its main element an Invoice or CreditNote. None for any
    other file, or one the C parser does not read: the defused path reads it (or
    refuses it) and says why, as it always has."""
    body = data[3:] if data.startswith(b"\xef\xbb\xbf") else data
    if b"<!" in data or b"\x00" in data or not body.startswith(b"<"):
        return None
    if body.startswith(b"<?xml") and not _PLAIN_DECLARATION.match(body):
        return None
    try:
        parser = XMLParser()
        parser.feed(data)
        root = parser.close()
    except Exception:  # noqa: BLE001 - the defused path gives the reason
        return None
    if root.tag not in (INVOICE_TAG, CREDIT_NOTE_TAG):
        return None  # an envelope: the defused path finds the documents and their lines
    # the line the main element starts on, as the defused path's expat reports it
    lines = expat.ParserCreate(None, "}")

    def started(_name: str, _attrs: object) -> None:
        raise _Started(lines.CurrentLineNumber)

    lines.StartElementHandler = started
    try:
        lines.Parse(data, True)
    except _Started as found:
        return root, {root: found.args[0]}
    except expat.ExpatError:
        pass
    return None


def read_ubl(data: bytes, path: str) -> Parsed:
    """Every UBL Invoice or CreditNote in the file (usually one), one row each."""
    try:
        return _read_ubl(data)
    except Exception as exc:  # noqa: BLE001 - a bad file must never stop the run
        return Parsed.failed(UBL, f"{UNEXPECTED} ({type(exc).__name__})")


def _read_ubl(data: bytes) -> Parsed:
    if not data.strip():
        return Parsed.failed(UBL, "the file is empty")
    tree = _plain_tree(data) or _defused_tree(data)
    if isinstance(tree, Parsed):
        return tree
    root, lines = tree
    if root.tag in (INVOICE_TAG, CREDIT_NOTE_TAG):
        documents = [root]
    else:  # e.g. a Peppol envelope (StandardBusinessDocument) around the invoice
        documents = [e for e in root.iter() if e.tag in (INVOICE_TAG, CREDIT_NOTE_TAG)]
    if not documents:
        return Parsed.failed(
            UBL,
            f"this XML file is not a UBL invoice or credit note (its main element is <{_local(root.tag)}>)",
        )
    parsed = Parsed(format=UBL)
    rows = []
    for doc in documents:
        line = lines.get(doc, 1)
        row, problem = _document(doc, line, parsed.notes)
        if problem:
            parsed.quarantined.append(Quarantined(line, problem, _describe(doc)))
        else:
            rows.append(row)
    parsed.tables[invoice_lines.name] = rows_to_frame(invoice_lines, rows)
    return parsed


@lru_cache(maxsize=256)
def _clark(path: str) -> str:
    """``cac:Price/cbc:PriceAmount`` with its prefixes spelled out ({urn:…}Price/…): the
    same elements found, but a one-step path is then looked up by ElementTree's C code
    itself, and a longer one without re-sorting NS on every call."""
    return "/".join(f"{{{NS[step.split(':')[0]]}}}{step.split(':')[1]}" for step in path.split("/"))


def _local(tag: object) -> str:
    return str(tag).rsplit("}", 1)[-1]


def _text(elem: Element, path: str) -> str | None:
    found = elem.find(_clark(path))
    return clean_cell(found.text) if found is not None else None


def _describe(doc: Element) -> str:
    total = doc.find(_clark("cac:LegalMonetaryTotal/cbc:PayableAmount"))
    amount = (
        "" if total is None else f" {total.get('currencyID', '')} {clean_cell(total.text) or ''}"
    )
    return f"<{_local(doc.tag)}> {_text(doc, 'cbc:ID') or '(no ID)'}{amount}".strip()


def _document(doc: Element, line: int, notes: list[str]) -> tuple[dict, str | None]:
    is_credit = doc.tag == CREDIT_NOTE_TAG
    type_code = _text(doc, "cbc:CreditNoteTypeCode" if is_credit else "cbc:InvoiceTypeCode")
    if type_code in CREDIT_NOTE_CODES:
        is_credit = True
    invoice_id = _text(doc, "cbc:ID")
    label = invoice_id or f"the document on line {line}"

    total = doc.find(_clark("cac:LegalMonetaryTotal/cbc:PayableAmount"))
    if total is None or not clean_cell(total.text):
        total = doc.find(_clark("cac:LegalMonetaryTotal/cbc:TaxInclusiveAmount"))
    problem = _not_pounds(doc, f"invoice {label}")
    if problem:
        return {}, problem
    raw_amount = None if total is None else clean_cell(total.text)
    amount = money_text(raw_amount)
    if amount is not None and Decimal(amount) < 0:
        # Peppol allows a "negative invoice" instead of a credit note
        is_credit = not is_credit
        amount = f"{-Decimal(amount):f}"
        notes.append(
            f"{label}: a negative total was read as a {'credit note' if is_credit else 'invoice'}"
        )

    issue = _text(doc, "cbc:IssueDate")
    due = _text(doc, "cbc:DueDate") or _text(doc, "cac:PaymentMeans/cbc:PaymentDueDate")
    if due is None and issue is not None:
        due = issue
        notes.append(f"{label}: no due date given, so the issue date is used")

    units, rate, category = _lines(doc, label, notes)
    row = {
        "invoice_id": invoice_id,
        "provider_id": _seller(doc),
        "budget_id": _text(doc, "cbc:BuyerReference"),
        "issue_date": normalise_value(Kind.DATE, issue),
        "due_date": normalise_value(Kind.DATE, due),
        "period_start": normalise_value(Kind.DATE, _text(doc, "cac:InvoicePeriod/cbc:StartDate")),
        "period_end": normalise_value(Kind.DATE, _text(doc, "cac:InvoicePeriod/cbc:EndDate")),
        "category": category,
        "units": units,
        "unit_rate": rate,
        "amount": amount or raw_amount,  # left as written when unreadable: validation says why
        "kind": "credit_note" if is_credit else "invoice",
        "billing_reference": _text(doc, "cac:BillingReference/cac:InvoiceDocumentReference/cbc:ID"),
        "source_line": line,
    }
    return row, None


def _not_pounds(doc: Element, what: str) -> str | None:
    """The currency rule (:mod:`pipelines.readers.currency`) over what the document
    says it is in: ``cbc:DocumentCurrencyCode`` and the ``currencyID`` of its
    totals and lines. Tax totals are left out: Peppol lets a sterling invoice
    report VAT in another tax currency (``cbc:TaxCurrencyCode``)."""
    declared = [_text(doc, "cbc:DocumentCurrencyCode")]
    for part in (
        doc.findall(_clark("cac:LegalMonetaryTotal"))
        + doc.findall(_clark("cac:InvoiceLine"))
        + doc.findall(_clark("cac:CreditNoteLine"))
    ):
        declared += [e.get("currencyID") for e in part.iter() if e.get("currencyID")]
    for code in declared:
        problem = not_pounds(code, what)
        if problem:
            return problem
    return None


def _seller(doc: Element) -> str | None:
    party = doc.find(_clark("cac:AccountingSupplierParty/cac:Party"))
    if party is None:
        return None
    for ident in party.findall(_clark("cac:PartyIdentification/cbc:ID")):
        if clean_cell(ident.text):
            return clean_cell(ident.text)
    return _text(party, "cbc:EndpointID") or _text(party, "cac:PartyName/cbc:Name")


def _decimal(text: str | None) -> Decimal | None:
    try:
        d = Decimal(text) if text else None
    except InvalidOperation:
        return None
    if d is None or not d.is_finite():
        return None
    # sizes no invoice holds; beyond them Decimal arithmetic overflows instead of answering
    return d if d.is_zero() or -12 <= d.adjusted() < 16 else None


def _quantity(text: str | None) -> str | None:
    """A quantity in the contract's spelling (up to four decimals), else None."""
    d = _decimal(clean_cell(text))
    # the size first: quantize raises on a number too long to round
    if d is None or abs(d) >= Decimal("1e14") or d != d.quantize(Decimal("0.0001")):
        return None
    return f"{d.quantize(Decimal('0.0001')).normalize():f}"


def _lines(doc: Element, label: str, notes: list[str]) -> tuple[str | None, str | None, str | None]:
    """(units, unit_rate, category) from the document's lines, where they agree."""
    line_tag, qty_tag = (
        ("cac:CreditNoteLine", "cbc:CreditedQuantity")
        if doc.tag == CREDIT_NOTE_TAG
        else ("cac:InvoiceLine", "cbc:InvoicedQuantity")
    )
    lines = doc.findall(_clark(line_tag))
    quantities: list[Decimal | None] = []
    rates: set[Decimal | None] = set()
    categories: set[str] = set()
    for ln in lines:
        quantities.append(_decimal(_text(ln, qty_tag)))
        price = _decimal(_text(ln, "cac:Price/cbc:PriceAmount"))
        base = _decimal(_text(ln, "cac:Price/cbc:BaseQuantity")) or Decimal(1)
        rates.add(price / base if price is not None and base else None)
        for name in [_text(ln, "cac:Item/cbc:Name")] + [
            clean_cell(c.text)
            for c in ln.findall(_clark("cac:Item/cac:CommodityClassification/cbc:ItemClassificationCode"))
        ]:
            if name and header_key(name) in CATEGORIES:
                categories.add(header_key(name))
    category = categories.pop() if len(categories) == 1 else None
    known = [q for q in quantities if q is not None]
    rate = next(iter(rates)) if len(rates) == 1 else None
    if rate is not None and abs(rate) >= Decimal("1e16"):  # more than DECIMAL(18,2) holds
        rate = None
    if not lines or len(known) != len(lines) or rate is None:
        if len(rates) > 1:
            notes.append(
                f"{label}: lines are priced differently, so no single unit rate is recorded"
            )
        return None, None, category
    units = _quantity(str(sum(known)))
    if rate != rate.quantize(PENNY) or units is None:
        notes.append(
            f"{label}: the unit price is not a whole number of pence, so no unit rate is recorded"
        )
        return None, None, category
    return units, f"{rate.quantize(PENNY):f}", category
