"""Invoice versions: a document is its provider, its kind and its number (pipelines.ledger)."""

from __future__ import annotations

from decimal import Decimal

import polars as pl

from pipelines.ledger import current_invoices, invoice_notes, version_invoices

COLS = {"invoice_id": pl.String, "provider_id": pl.String, "kind": pl.String, "amount": pl.Decimal(18, 2),
        "content_hash": pl.String, "file_id": pl.String, "source_path": pl.String}
KNOWN = {"provider_id": pl.String, "kind": pl.String, "invoice_id": pl.String, "content_hash": pl.String,
         "version": pl.Int64}


def docs(*rows):
    return pl.DataFrame([dict(invoice_id=i, provider_id=p, kind=k, amount=Decimal(a), content_hash=h, file_id=f,
                              source_path=f"invoices/{f}.csv") for i, p, k, a, h, f in rows], schema=COLS)


def known_of(frame):
    return frame.select(list(KNOWN)).cast(KNOWN)


EMPTY = pl.DataFrame(schema=KNOWN)


def test_an_invoice_and_a_credit_note_with_the_same_number_are_two_documents():
    first = version_invoices(docs(("INV-7", "SB01", "invoice", "110.00", "h1", "f1"),
                                  ("INV-7", "SB01", "credit_note", "20.00", "h2", "f1")), EMPTY)
    assert first["version"].to_list() == [1, 1]
    assert current_invoices(first).height == 2


def test_two_providers_numbering_alike_are_two_documents():
    first = version_invoices(docs(("1001", "SB01", "invoice", "50.00", "h1", "f1"),
                                  ("1001", "PA01", "invoice", "60.00", "h2", "f1")), EMPTY)
    assert first["version"].to_list() == [1, 1]


def test_a_resent_change_is_the_next_version_and_the_log_says_what_changed():
    first = version_invoices(docs(("INV-7", "SB01", "invoice", "110.00", "h1", "f1"),
                                  ("INV-7", "SB01", "credit_note", "20.00", "h2", "f1")), EMPTY)
    second = version_invoices(docs(("INV-7", "SB01", "invoice", "120.00", "h3", "f2")), known_of(first))
    assert second["version"].to_list() == [2]
    now = current_invoices(pl.concat([first.drop("version").with_columns(first["version"]), second]))
    assert sorted(zip(now["kind"], now["amount"], strict=True)) == [
        ("credit_note", Decimal("20.00")), ("invoice", Decimal("120.00"))]
    assert invoice_notes(second, first) == {
        "f2": "replaces 1 document(s) loaded from invoices/f1.csv: invoice INV-7 of SB01 (amount £110.00 → £120.00)"}


def test_the_same_content_again_is_not_new():
    first = version_invoices(docs(("INV-7", "SB01", "invoice", "110.00", "h1", "f1")), EMPTY)
    again = version_invoices(docs(("INV-7", "SB01", "invoice", "110.00", "h1", "f9")), known_of(first))
    assert again.height == 0
    assert invoice_notes(again, first) == {}
