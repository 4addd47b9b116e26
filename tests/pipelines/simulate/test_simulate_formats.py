"""The files load as the contract says: register, statements, invoices, evidence."""

from __future__ import annotations

import csv
import io
import re
from functools import lru_cache

import ofxparse
import pytest
from defusedxml import ElementTree

from pipelines.readers.contract_csv import read_contract_csv
from pipelines.simulate import SimParams, simulate
from schemas import inputs
from schemas.core import TEXT_PATTERNS, Table

PARAMS = SimParams(accounts=200, months=12, seed=2)
UBL = {"cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
       "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"}


@lru_cache(maxsize=1)
def _files() -> dict[str, bytes]:
    out: dict[str, bytearray] = {}
    for chunk in simulate(PARAMS):
        out.setdefault(chunk.relpath, bytearray()).extend(chunk.data)
    return {k: bytes(v) for k, v in out.items()}


def _valid(table: Table, frame) -> None:
    """The table's own expectations, checked row by row (what validation would quarantine)."""
    for col in table.columns:
        values = frame[col.name].to_list()
        if col.required:
            assert None not in values, f"{table.name}.{col.name} has blanks"
        pattern = col.pattern or TEXT_PATTERNS.get(col.kind)
        for v in values:
            if v is None:
                continue
            if pattern:
                assert re.match(pattern, v), f"{table.name}.{col.name}: {v!r}"
            if col.allowed:
                assert v in col.allowed, f"{table.name}.{col.name}: {v!r}"
        if col.unique:
            present = [v for v in values if v is not None]
            assert len(present) == len(set(present)), f"{table.name}.{col.name} repeats"


@pytest.mark.parametrize(
    "relpath, table",
    [
        ("register/budgets.csv", inputs.budgets),
        ("register/plan_lines.csv", inputs.plan_lines),
        ("register/providers.csv", inputs.providers),
    ],
)
def test_register_loads_without_quarantine(relpath: str, table: Table) -> None:
    parsed = read_contract_csv(_files()[relpath], relpath, table, format="csv:register")
    assert parsed.file_error is None
    assert parsed.quarantined == []
    frame = parsed.tables[table.name]
    assert frame.height > 0
    _valid(table, frame)


def test_register_hangs_together() -> None:
    files = _files()
    budgets = list(csv.DictReader(io.StringIO(files["register/budgets.csv"].decode())))
    lines = list(csv.DictReader(io.StringIO(files["register/plan_lines.csv"].decode())))
    providers = {r["provider_id"]: r for r in csv.DictReader(io.StringIO(files["register/providers.csv"].decode()))}
    ids = {b["budget_id"] for b in budgets}
    assert {ln["budget_id"] for ln in lines} <= ids
    assert all(not ln["provider_id"] or ln["provider_id"] in providers for ln in lines)
    for p in providers.values():
        for pattern in p["payee_patterns"].split("|"):
            re.compile(pattern)
    # an account carries several budgets over time, never two at once
    by_account: dict[str, list[tuple[str, str]]] = {}
    for b in budgets:
        by_account.setdefault(b["account_id"], []).append((b["start_date"], b["end_date"]))
    renewed = 0
    for terms in by_account.values():
        terms.sort()
        renewed += len(terms) > 1
        for (_, e1), (s2, _) in zip(terms, terms[1:], strict=False):
            assert e1 < s2
    assert renewed > 10


def test_generic_csv_statements_load() -> None:
    files = _files()
    feeds = [k for k in files if k.startswith("statements/prepaid/")]
    banks = [k for k in files if k.startswith("statements/bank/") and k.endswith(".csv")
             and "nationwide" not in k]
    assert len(feeds) == PARAMS.months
    garbled = 0
    for relpath in feeds + banks:
        parsed = read_contract_csv(files[relpath], relpath, inputs.statement_lines, format="csv:generic",
                                   defaults={"id_source": "bank"})
        assert parsed.file_error is None, relpath
        if relpath.endswith(" (2).csv"):
            garbled += 1
            assert len(parsed.quarantined) == 1
            continue
        assert parsed.quarantined == [], relpath
        frame = parsed.tables["statement_lines"]
        _valid(inputs.statement_lines, frame)
        if relpath in feeds:
            assert frame["mcc"].drop_nulls().len() > 0
    assert banks


def test_nationwide_layout() -> None:
    files = _files()
    paths = [k for k in files if "/nationwide_" in k]
    assert paths
    budgets = files["register/budgets.csv"].decode()
    for relpath in paths:
        data = files[relpath]
        assert b"\xa3" in data  # a CP1252 pound sign: not UTF-8
        with pytest.raises(UnicodeDecodeError):
            data.decode("utf-8")
        text = data.decode("cp1252")
        rows = list(csv.reader(io.StringIO(text)))
        # the register names the account as the bank CSV profile reads it: the masked number
        assert rows[0][0] == "Account Name:" and rows[0][1].startswith("FlexDirect ****")
        assert "," + rows[0][1].split()[-1] + "," in budgets
        assert rows[4] == ["Date", "Transaction type", "Description", "Paid out", "Paid in", "Balance"]
        for row in rows[5:]:
            assert re.match(r"^\d\d [A-Z][a-z]{2} \d{4}$", row[0])
            assert row[5].startswith(("£", "-£"))


def test_ofx_statements_parse() -> None:
    files = _files()
    paths = [k for k in files if k.endswith((".ofx", ".qfx")) and "_incomplete" not in k]
    assert paths
    budgets = files["register/budgets.csv"].decode()
    seen_bst = seen_1252 = False
    for relpath in paths:
        data = files[relpath]
        ofx = ofxparse.OfxParser.parse(io.BytesIO(data))
        assert ofx.account.account_id in budgets
        if re.search(rb"<DTPOSTED>\d{8}000000\[\+1:BST\]", data):
            seen_bst = True  # local midnight in summer: a naive UTC conversion lands on the day before
        if data.startswith(b"OFXHEADER:100") and re.search(rb"[\xa3\xc0-\xff]", data):
            seen_1252 = True
            with pytest.raises(UnicodeDecodeError):
                data.decode("utf-8")
    assert seen_bst and seen_1252


def test_invoices_load() -> None:
    files = _files()
    budgets = files["register/budgets.csv"].decode()
    csvs = [k for k in files if k.startswith("invoices/") and k.endswith(".csv")]
    xmls = [k for k in files if k.startswith("invoices/") and k.endswith(".xml")]
    assert csvs and xmls
    for relpath in csvs:
        parsed = read_contract_csv(files[relpath], relpath, inputs.invoice_lines, format="csv:invoice")
        assert parsed.quarantined == [] and parsed.file_error is None
        _valid(inputs.invoice_lines, parsed.tables["invoice_lines"])
    kinds = set()
    for relpath in xmls:
        root = ElementTree.fromstring(files[relpath])
        kinds.add(root.tag.rsplit("}", 1)[1])
        assert root.find("cbc:BuyerReference", UBL).text in budgets
        supplier = root.find("cac:AccountingSupplierParty/cac:Party/cac:PartyIdentification/cbc:ID", UBL)
        assert supplier.text in relpath
        assert root.find("cac:LegalMonetaryTotal/cbc:PayableAmount", UBL).text
    assert "Invoice" in kinds


def test_evidence_returns_load() -> None:
    files = _files()
    manifests = [k for k in files if k.endswith("/manifest.csv")]
    assert manifests
    missing_files = 0
    for relpath in manifests:
        parsed = read_contract_csv(files[relpath], relpath, inputs.evidence_items, format="csv:evidence",
                                   defaults={"file_present": "true"})
        assert parsed.quarantined == [] and parsed.file_error is None
        frame = parsed.tables["evidence_items"]
        _valid(inputs.evidence_items, frame)
        folder = relpath.rsplit("/", 1)[0]
        budget_id, period = folder.rsplit("/", 1)[1].rsplit("_", 1)
        assert set(frame["budget_id"]) == {budget_id} and set(frame["period"]) == {period}
        for name in frame["file"].drop_nulls().unique():
            path = f"{folder}/{name}"
            if path not in files:
                missing_files += 1
                continue
            magic = files[path][:4]
            assert magic == b"%PDF" if name.endswith(".pdf") else magic[:3] == b"\xff\xd8\xff"
    assert missing_files > 0  # some families forget a file
