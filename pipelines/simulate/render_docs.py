"""Register rows, provider invoices (CSV and UBL 2.1) and evidence returns.

One short line of each:

* ``register/budgets.csv``::

    DP000007-1,P0123456,Mrs A Khan,family,child,PC0012345678,2025-05-12,2026-05-11,,9811.20,...

* ``register/providers.csv`` (a PA registered as a payee)::

    PA000007,Jane Smith,\\bJ SMITH\\b|\\bJANE SMITH\\b,personal_assistant,false,

* invoice CSV (contract layout; a credit note's id is its invoice's id + ``-CR``)::

    BRI-00007-003,PR001,DP000007-1,2025-06-30,2025-07-28,2025-06-01,2025-06-30,agency_care,30,25.50,765.00,invoice

* UBL 2.1 (Peppol BIS 3.0): ``cbc:BuyerReference`` = budget_id, the supplier's
  ``cac:PartyIdentification/cbc:ID`` = provider_id, ``cac:InvoicePeriod``,
  ``cbc:InvoicedQuantity``, ``cbc:PriceAmount``, ``cbc:PayableAmount``; a
  ``CreditNote`` names its invoice in ``cac:BillingReference``.
* ``evidence/<budget_id>_<period>/manifest.csv``::

    DP000007-1,2025-05-12,00000700031,receipt,receipts.pdf,12.40,Odeon Cinemas Halifax,2025-08-20
"""

from __future__ import annotations

from pipelines.simulate.common import csv_line, iso, pounds, units_text
from pipelines.simulate.records import Budget, EvidenceReturn, Invoice, Provider

# The demo council's register/council.yaml: made up (a drama telephone number, .example addresses, no real bank)
COUNCIL_YAML = """\
name: Demo Council
team: Direct Payments Finance Team
address: [Demo Council Offices, 1 Example Street, Demoton, DE1 1AA]
phone: 01632 960000
email: direct.payments@demo-council.example
portal_url: https://evidence.demo-council.example
bank: {account_name: Demo Council Income, sort_code: 00-00-00, account_number: "12345678"}
"""
BUDGETS_HEADER = (
    "budget_id,person_ref,holder_name,managed_by,cohort,account_id,start_date,end_date,"
    "estimated_amount,agreed_amount,payment_frequency,payment_amount,weekly_contribution,"
    "review_date,status\n"
)
PLAN_HEADER = "budget_id,line_id,need,outcome_domain,category,provider_id,weekly_units,unit_rate,planned_amount\n"
PROVIDERS_HEADER = "provider_id,name,payee_patterns,category,approved,agreed_rate\n"
INVOICE_HEADER = (
    "invoice_id,provider_id,budget_id,issue_date,due_date,period_start,period_end,"
    "category,units,unit_rate,amount,kind\n"
)
MANIFEST_HEADER = "budget_id,period,transaction_ref,evidence_type,file,amount,note,submitted_on\n"
EXPECTED_HEADER = "budget_id,rule_code,period_start,amount,note\n"


def budget_rows(budgets: list[Budget]) -> tuple[str, str]:
    out, lines = [], []
    for b in budgets:
        out.append(csv_line([
            b.budget_id, b.person_ref, b.holder_name, b.managed_by, b.cohort, b.account_id,
            iso(b.start), iso(b.end), pounds(b.estimated_amount) if b.estimated_amount is not None else "",
            pounds(b.agreed_amount), b.payment_frequency, pounds(b.payment_amount),
            pounds(b.weekly_contribution), iso(b.review_date) if b.review_date else "", b.status,
        ]))
        for ln in b.lines:
            lines.append(csv_line([
                b.budget_id, ln.line_id, ln.need, ln.outcome_domain, ln.category, ln.provider_id or "",
                units_text(ln.weekly_units_x100), pounds(ln.unit_rate), pounds(ln.planned_amount),
            ]))
    return "".join(out), "".join(lines)


def provider_rows(providers: list[Provider]) -> str:
    return "".join(
        csv_line([
            p.provider_id, p.name, "|".join(p.patterns), p.category, "true" if p.approved else "false",
            pounds(p.agreed_rate) if p.agreed_rate is not None else "",
        ])
        for p in providers
    )


def invoice_row(inv: Invoice) -> str:
    return csv_line([
        inv.invoice_id, inv.provider_id, inv.budget_id, iso(inv.issue), iso(inv.due),
        iso(inv.period_start), iso(inv.period_end), inv.category, units_text(inv.units_x100),
        pounds(inv.unit_rate), pounds(inv.amount), inv.kind,
    ])


def _x(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


_UNIT = {"hour": "HUR", "night": "DAY", "session": "C62"}


def ubl(inv: Invoice, provider: Provider, buyer: str) -> bytes:
    """A Peppol BIS Billing 3.0 invoice or credit note (VAT-exempt care)."""
    credit = inv.kind == "credit_note"
    root = "CreditNote" if credit else "Invoice"
    amount = pounds(inv.amount)
    qty_tag = "CreditedQuantity" if credit else "InvoicedQuantity"
    line_tag = "CreditNoteLine" if credit else "InvoiceLine"
    gbp = 'currencyID="GBP"'
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<{root} xmlns="urn:oasis:names:specification:ubl:schema:xsd:{root}-2" '
        'xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2" '
        'xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">',
        "  <cbc:CustomizationID>urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0"
        "</cbc:CustomizationID>",
        "  <cbc:ProfileID>urn:fdc:peppol.eu:2017:poacc:billing:01:1.0</cbc:ProfileID>",
        f"  <cbc:ID>{inv.invoice_id}</cbc:ID>",
        f"  <cbc:IssueDate>{iso(inv.issue)}</cbc:IssueDate>",
    ]
    if not credit:
        parts.append(f"  <cbc:DueDate>{iso(inv.due)}</cbc:DueDate>")
    parts += [
        f"  <cbc:{'CreditNoteTypeCode' if credit else 'InvoiceTypeCode'}>{381 if credit else 380}"
        f"</cbc:{'CreditNoteTypeCode' if credit else 'InvoiceTypeCode'}>",
        "  <cbc:DocumentCurrencyCode>GBP</cbc:DocumentCurrencyCode>",
        f"  <cbc:BuyerReference>{inv.budget_id}</cbc:BuyerReference>",
        f"  <cac:InvoicePeriod><cbc:StartDate>{iso(inv.period_start)}</cbc:StartDate>"
        f"<cbc:EndDate>{iso(inv.period_end)}</cbc:EndDate></cac:InvoicePeriod>",
    ]
    if credit:
        parts.append(f"  <cac:BillingReference><cac:InvoiceDocumentReference><cbc:ID>{inv.corrects}</cbc:ID>"
                     "</cac:InvoiceDocumentReference></cac:BillingReference>")
    parts += [
        "  <cac:AccountingSupplierParty><cac:Party>"
        f"<cac:PartyIdentification><cbc:ID>{provider.provider_id}</cbc:ID></cac:PartyIdentification>"
        f"<cac:PartyName><cbc:Name>{_x(provider.name)}</cbc:Name></cac:PartyName>"
        "<cac:PostalAddress><cac:Country><cbc:IdentificationCode>GB</cbc:IdentificationCode></cac:Country>"
        f"</cac:PostalAddress><cac:PartyLegalEntity><cbc:RegistrationName>{_x(provider.name)}"
        "</cbc:RegistrationName></cac:PartyLegalEntity></cac:Party></cac:AccountingSupplierParty>",
        "  <cac:AccountingCustomerParty><cac:Party>"
        f"<cac:PartyName><cbc:Name>{_x(buyer)}</cbc:Name></cac:PartyName>"
        "<cac:PostalAddress><cac:Country><cbc:IdentificationCode>GB</cbc:IdentificationCode></cac:Country>"
        f"</cac:PostalAddress><cac:PartyLegalEntity><cbc:RegistrationName>{_x(buyer)}</cbc:RegistrationName>"
        "</cac:PartyLegalEntity></cac:Party></cac:AccountingCustomerParty>",
    ]
    if not credit:
        parts.append("  <cac:PaymentMeans><cbc:PaymentMeansCode>30</cbc:PaymentMeansCode>"
                     f"<cbc:PaymentID>{inv.invoice_id}</cbc:PaymentID></cac:PaymentMeans>")
    parts += [
        f"  <cac:TaxTotal><cbc:TaxAmount {gbp}>0.00</cbc:TaxAmount><cac:TaxSubtotal>"
        f"<cbc:TaxableAmount {gbp}>{amount}</cbc:TaxableAmount><cbc:TaxAmount {gbp}>0.00</cbc:TaxAmount>"
        "<cac:TaxCategory><cbc:ID>E</cbc:ID><cbc:Percent>0</cbc:Percent>"
        "<cbc:TaxExemptionReason>Welfare services</cbc:TaxExemptionReason>"
        "<cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:TaxCategory></cac:TaxSubtotal></cac:TaxTotal>",
        f"  <cac:LegalMonetaryTotal><cbc:LineExtensionAmount {gbp}>{amount}</cbc:LineExtensionAmount>"
        f"<cbc:TaxExclusiveAmount {gbp}>{amount}</cbc:TaxExclusiveAmount>"
        f"<cbc:TaxInclusiveAmount {gbp}>{amount}</cbc:TaxInclusiveAmount>"
        f"<cbc:PayableAmount {gbp}>{amount}</cbc:PayableAmount></cac:LegalMonetaryTotal>",
        f"  <cac:{line_tag}><cbc:ID>1</cbc:ID>"
        f'<cbc:{qty_tag} unitCode="{_UNIT.get(provider.unit, "C62")}">{units_text(inv.units_x100)}</cbc:{qty_tag}>'
        f"<cbc:LineExtensionAmount {gbp}>{amount}</cbc:LineExtensionAmount>"
        f"<cac:Item><cbc:Name>{_x(inv.item)}</cbc:Name><cac:ClassifiedTaxCategory><cbc:ID>E</cbc:ID>"
        "<cbc:Percent>0</cbc:Percent><cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme>"
        "</cac:ClassifiedTaxCategory></cac:Item>"
        f"<cac:Price><cbc:PriceAmount {gbp}>{pounds(inv.unit_rate)}</cbc:PriceAmount></cac:Price>"
        f"</cac:{line_tag}>",
        f"</{root}>",
    ]
    return ("\n".join(parts) + "\n").encode("utf-8")


def manifest(ret: EvidenceReturn) -> bytes:
    period, sent = iso(ret.period), iso(ret.submitted)
    rows = [MANIFEST_HEADER]
    for it in ret.items:
        rows.append(csv_line([
            ret.budget_id, period, it.ref, it.evidence_type, it.file,
            pounds(it.amount) if it.amount is not None else "", it.note, sent,
        ]))
    return "".join(rows).encode("utf-8")


def receipt(kind: str, label: str) -> bytes:
    """A tiny file with the right magic bytes: enough for a reader to tell what it is."""
    if kind == "jpg":
        text = label.encode("ascii", "replace")[:200]
        comment = b"\xff\xfe" + (len(text) + 2).to_bytes(2, "big") + text
        return b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + comment + b"\xff\xd9"
    return (
        b"%PDF-1.4\n% " + label.encode("ascii", "replace") + b"\n"
        b"1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
        b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
        b"trailer<</Root 1 0 R>>\n%%EOF\n"
    )
