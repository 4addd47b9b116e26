"""Evidence manifest reader."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipelines.model import Parsed
from pipelines.readers.evidence import UNEXPECTED, read_manifest, unsafe_file_reason
from schemas.inputs import evidence_items
from tests.pipelines.readers.support import mutated, regen_module

HERE = Path(__file__).resolve()
GOLDEN = HERE.parents[2] / "golden"
HEADER = "budget_id,period,transaction_ref,evidence_type,file,amount,note\n"


REGEN = regen_module()
CASES = [c for c in REGEN.cases() if c.name.startswith("csv/evidence/")]


def read(body: str, files: set[str] = frozenset()) -> Parsed:
    return read_manifest(
        (HEADER + body).encode(), "evidence/B001_2025-04-01/manifest.csv", set(files)
    )


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_golden(case):
    assert case.expected.exists(), (
        f"no golden file: run uv run python {GOLDEN / 'regen_readers.py'}"
    )
    expected = json.loads(case.expected.read_text(encoding="utf-8"))
    assert REGEN.render(case.run()) == expected


def test_file_present_true_false_and_explanations():
    p = read(
        "B001,2025-04-01,T1,receipt,receipt1.pdf,£12.50,coffee\n"
        "B001,2025-04-01,T2,Receipt,lost.jpg,3.00,\n"
        "B001,2025-04-01,T3,explanation,,,cash for swimming\n",
        {"receipt1.pdf", "other.pdf"},
    )
    assert p.format == "csv:manifest" and p.quarantined == []
    rows = p.tables["evidence_items"].to_dicts()
    assert [(r["evidence_type"], r["file_present"]) for r in rows] == [
        ("receipt", "true"),
        ("receipt", "false"),
        ("explanation", "false"),
    ]
    assert rows[0]["amount"] == "12.50"
    assert dict(p.tables["evidence_items"].schema) == evidence_items.text_schema()


def test_a_receipt_without_a_file_is_quarantined():
    p = read("B001,2025-04-01,T1,receipt,,1.00,\n")
    [q] = p.quarantined
    assert q.line == 2 and "names no file" in q.reason and q.raw.startswith("B001")
    assert p.tables["evidence_items"].height == 0


@pytest.mark.parametrize(
    "name",
    [
        "../budgets.csv",
        "receipts/../../x.pdf",
        "/etc/passwd",
        "C:\\Users\\me\\r.jpg",
        "C:r.jpg",
        "receipts\\r.jpg",
        "https://example.org/r.jpg",
        "r\x00.jpg",
    ],
)
def test_traversal_is_refused(name):
    assert unsafe_file_reason(name)
    p = read(f'B001,2025-04-01,T1,receipt,"{name}",1.00,\n', {"r.jpg"})
    [q] = p.quarantined
    assert "files must be named as they sit in the return folder" in q.reason
    assert p.tables["evidence_items"].height == 0


@pytest.mark.parametrize("name", ["r.jpg", "receipts/r.jpg", "./r.jpg", "a..b.pdf", "~r.jpg"])
def test_ordinary_names_are_fine(name):
    assert unsafe_file_reason(name) is None


def test_missing_column_fails_the_file():
    p = read_manifest(b"budget_id,file\nB001,r.jpg\n", "m.csv", set())
    assert p.file_error and "evidence_type" in p.file_error


# --- never crash ----------------------------------------------------------------------

SEEDS = [(d / "manifest.csv").read_bytes() for d in sorted((GOLDEN / "csv" / "evidence").iterdir())]
SPICE = [b"..", b"/", b"\\", b":", b'"', b",", b"\n", b"\r", b"\x00", b"\xa3", b"\xef\xbb\xbf"]




@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated(SEEDS, SPICE), st.sets(st.sampled_from(["receipt1.pdf", "r2.jpg", "../x", "A.PDF"])))
def test_mutated_manifests_never_crash(data, files):
    p = read_manifest(data, "evidence/x/manifest.csv", files)
    assert isinstance(p, Parsed)
    assert not (p.file_error or "").startswith(UNEXPECTED), p.file_error
    for frame in p.tables.values():
        assert dict(frame.schema) == evidence_items.text_schema()
        assert set(frame["file_present"].to_list()) <= {"true", "false"}
