"""Fuzzing the readers with mutated real files (issue 9).

For every mutated file, each reader's public entry point must:

* return, never raise, and never fall back on its catch-all ("dprecon hit an
  unexpected problem..."): that fallback means a bug inside the reader, and
  its reason tells a finance officer nothing;
* set a file aside with a non-empty reason in plain words, or give rows in
  the text form of their table, each set-aside row with a reason and a line
  inside the file;
* account for its input: rows loaded + rows set aside (+ lines noted as
  summaries) = the transactions, records or documents in the file.

Seeds are the real-world files in shared/realworld and the golden inputs.
``DPRECON_FUZZ_EXAMPLES=3000 uv run pytest tests/reliability -k fuzz`` runs
thousands; the default keeps CI quick.
"""

from __future__ import annotations

import re
from pathlib import Path
from xml.etree.ElementTree import Element

import polars as pl
from defusedxml.ElementTree import fromstring
from hypothesis import currently_in_test_context, event, given
from hypothesis import strategies as st

from pipelines.model import Parsed
from pipelines.readers.contract_csv import csv_records, header_key
from pipelines.readers.evidence import read_manifest
from pipelines.readers.invoices import CREDIT_NOTE_TAG, INVOICE_TAG, read_invoice_csv, read_ubl
from pipelines.readers.ofx import read_ofx
from pipelines.readers.ofx_clean import STMTTRN_OPEN, decode_ofx
from pipelines.readers.statement_csv import read_statement_csv
from pipelines.text import decode_text
from schemas.inputs import ALL_INPUTS
from schemas.profiles import bundled_profiles
from tests.conftest import ROOT, SHARED
from tests.reliability.mutate import file_lines, fuzz_settings, mutated

GOLDEN = ROOT / "tests" / "golden"
REALWORLD = SHARED / "realworld"
SAMPLE = ROOT / "tests" / "fixtures" / "sample_inbox"

# What a reader's catch-all says: a crash inside the reader, dressed as a reason.
CRASHED = re.compile(r"unexpected problem|could not read this OFX file \(\w+:|Traceback")


def seeds(*patterns: str) -> list[bytes]:
    found = sorted({p for pattern in patterns for p in Path("/").glob(pattern.lstrip("/"))})
    assert found, f"no seed files for {patterns}"
    return [p.read_bytes() for p in found]


OFX_SEEDS = seeds(f"{REALWORLD}/ofx/*.*fx", f"{GOLDEN}/ofx/*/input.ofx")
STATEMENT_SEEDS = seeds(
    f"{REALWORLD}/csv/*.csv", f"{GOLDEN}/csv/statements/*/input.csv", f"{SAMPLE}/statements/*.csv"
)
UBL_SEEDS = seeds(f"{GOLDEN}/ubl/*/input.xml")
INVOICE_CSV_SEEDS = seeds(f"{GOLDEN}/csv/invoices/*/input.csv", f"{SAMPLE}/invoices/*.csv")
MANIFEST_SEEDS = seeds(f"{GOLDEN}/csv/evidence/*/manifest.csv", f"{SAMPLE}/evidence/*/manifest.csv")
PROFILES = {f"csv:{p.name}": p for p in bundled_profiles()}


def check_common(parsed: Parsed, data: bytes) -> None:
    assert isinstance(parsed, Parsed)
    if currently_in_test_context():  # not when atheris_readers.py drives these checks
        event("file set aside" if parsed.file_error else
              "rows loaded, some set aside" if parsed.quarantined else "rows loaded")
    if parsed.file_error is not None:
        assert isinstance(parsed.file_error, str) and parsed.file_error.strip()
        assert not CRASHED.search(parsed.file_error), parsed.file_error
        assert not parsed.tables and not parsed.quarantined
        return
    lines = file_lines(data)
    for q in parsed.quarantined:
        assert isinstance(q.reason, str) and q.reason.strip(), q
        assert not CRASHED.search(q.reason), q.reason
        assert q.line is None or 1 <= q.line <= lines, (q.line, lines)
    for name, frame in parsed.tables.items():
        assert isinstance(frame, pl.DataFrame)
        assert dict(frame.schema) == ALL_INPUTS[name].text_schema(), name
        if "source_line" in frame.columns and frame.height:
            assert frame["source_line"].is_not_null().all()
            assert 1 <= frame["source_line"].min() and frame["source_line"].max() <= lines


def loaded_lines(parsed: Parsed, table: str) -> list[int]:
    frame = parsed.tables.get(table)
    return [] if frame is None else [int(x) for x in frame["source_line"].to_list()]


def record_lines(data: bytes) -> list[int]:
    """Where each non-blank CSV record starts, as the readers number lines."""
    return [line for line, _ in csv_records(decode_text(data)[0])]


def assert_each_once(expected: list[int], loaded: list[int], set_aside: list[int]) -> None:
    """Every record is loaded or set aside, exactly once."""
    assert sorted(loaded + set_aside) == sorted(expected), (expected, loaded, set_aside)


# -- OFX -------------------------------------------------------------------------------


@fuzz_settings
@given(mutated(OFX_SEEDS))
def test_fuzz_ofx(data: bytes) -> None:
    parsed = read_ofx(data, "statements/fuzz.ofx")
    check_common(parsed, data)
    assert parsed.format in ("ofx1", "ofx2")
    if parsed.file_error is None:
        transactions = len(STMTTRN_OPEN.findall(decode_ofx(data).text))
        rows = loaded_lines(parsed, "statement_lines")
        assert len(rows) + len(parsed.quarantined) == transactions
        assert all(q.line is not None for q in parsed.quarantined)


# -- CSV statements: the generic layout and the banks' profiles -------------------------


SUMMARY = re.compile(r"^line ([0-9]+) is a summary")


@fuzz_settings
@given(mutated(STATEMENT_SEEDS))
def test_fuzz_statement_csv(data: bytes) -> None:
    parsed = read_statement_csv(data, "statements/fuzz.csv")
    check_common(parsed, data)
    if parsed.file_error is not None:
        return
    records = record_lines(data)
    loaded = loaded_lines(parsed, "statement_lines")
    set_aside = [q.line for q in parsed.quarantined]
    if parsed.format == "csv:generic":
        assert_each_once(records[1:], loaded, set_aside)
        return
    profile = PROFILES[parsed.format]
    wanted = {header_key(h) for h in profile.header}
    header = next(
        line for line, cells in csv_records(decode_text(data)[0])
        if wanted <= {header_key(c) for c in cells}
    )
    summaries = [int(m.group(1)) for n in parsed.notes if (m := SUMMARY.match(n))]
    assert_each_once(
        [r for r in records if r > header],
        loaded,
        [x for x in set_aside if x > header] + summaries,
    )
    assert all(x is not None and x < header for x in set_aside if x <= header)


# -- invoices --------------------------------------------------------------------------


def documents(data: bytes) -> list[Element]:
    root = fromstring(data, forbid_dtd=True)
    if root.tag in (INVOICE_TAG, CREDIT_NOTE_TAG):
        return [root]
    return [e for e in root.iter() if e.tag in (INVOICE_TAG, CREDIT_NOTE_TAG)]


@fuzz_settings
@given(mutated(UBL_SEEDS))
def test_fuzz_ubl(data: bytes) -> None:
    parsed = read_ubl(data, "invoices/fuzz.xml")
    check_common(parsed, data)
    if parsed.file_error is None:
        rows = loaded_lines(parsed, "invoice_lines")
        assert len(rows) + len(parsed.quarantined) == len(documents(data))


@fuzz_settings
@given(mutated(INVOICE_CSV_SEEDS))
def test_fuzz_invoice_csv(data: bytes) -> None:
    parsed = read_invoice_csv(data, "invoices/fuzz.csv")
    check_common(parsed, data)
    if parsed.file_error is None:
        records = record_lines(data)
        assert_each_once(records[1:], loaded_lines(parsed, "invoice_lines"),
                         [q.line for q in parsed.quarantined])


# -- evidence manifests ----------------------------------------------------------------


@fuzz_settings
@given(
    mutated(MANIFEST_SEEDS),
    st.sets(st.sampled_from(["receipt1.pdf", "Invoice-May.PDF", "timesheets/april.pdf", "r2.jpg"])),
)
def test_fuzz_evidence_manifest(data: bytes, files: set[str]) -> None:
    parsed = read_manifest(data, "evidence/B001_2025-04-01/manifest.csv", files)
    check_common(parsed, data)
    if parsed.file_error is None:
        records = record_lines(data)
        assert_each_once(records[1:], loaded_lines(parsed, "evidence_items"),
                         [q.line for q in parsed.quarantined])
        items = parsed.tables["evidence_items"]
        assert set(items["file_present"].to_list()) <= {"true", "false"}
