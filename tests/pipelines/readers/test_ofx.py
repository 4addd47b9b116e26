"""The OFX reader: golden files, the no-transaction-vanishes invariant, mutated
bytes, exact money.

Golden files are regenerated with ``uv run python tests/golden/regen_ofx.py``
(it refuses to overwrite unless given ``--force``).
"""

from __future__ import annotations

import importlib.util
import re
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipelines.model import Parsed
from pipelines.readers import ofx as ofx_module
from pipelines.readers.ofx import read_ofx
from schemas.inputs import statement_balances, statement_lines

ROOT = Path(__file__).resolve().parents[3]
SHARED = ROOT.parent / "shared"
REALWORLD = SHARED / "realworld" / "ofx"
GOLDEN = ROOT / "tests" / "golden" / "ofx"

_spec = importlib.util.spec_from_file_location(
    "regen_ofx", ROOT / "tests" / "golden" / "regen_ofx.py"
)
assert _spec and _spec.loader
regen = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(regen)

CASES = regen.cases()
REALWORLD_FILES = sorted(p for p in REALWORLD.glob("*") if p.is_file() and p.name != "README.md")
STMTTRN = re.compile(rb"<STMTTRN\s*>", re.I)


def tag_count(data: bytes) -> int:
    return len(STMTTRN.findall(data))


def loaded(parsed: Parsed) -> int:
    lines = parsed.tables.get("statement_lines")
    return (lines.height if lines is not None else 0) + len(parsed.quarantined)


def ofx_with(amounts: list[str]) -> bytes:
    """A minimal OFX 1 statement with one transaction per amount."""
    trns = "".join(
        f"<STMTTRN><TRNTYPE>OTHER<DTPOSTED>20260601<TRNAMT>{a}<FITID>F{i}<NAME>Payee {i}</STMTTRN>\n"
        for i, a in enumerate(amounts)
    )
    return (
        "OFXHEADER:100\nDATA:OFXSGML\nVERSION:102\nENCODING:USASCII\nCHARSET:1252\n\n"
        "<OFX><BANKMSGSRSV1><STMTTRNRS><STMTRS><CURDEF>GBP"
        "<BANKACCTFROM><BANKID>401162<ACCTID>12345678<ACCTTYPE>CHECKING</BANKACCTFROM>\n"
        f"<BANKTRANLIST><DTSTART>20260601<DTEND>20260630\n{trns}</BANKTRANLIST>"
        "</STMTRS></STMTTRNRS></BANKMSGSRSV1></OFX>\n"
    ).encode("ascii")


# -- golden files -----------------------------------------------------------


@pytest.mark.parametrize("case", sorted(CASES))
def test_golden(case: str) -> None:
    source, folder = CASES[case]
    actual = regen.render(read_ofx(source.read_bytes(), str(source)))
    for filename, text in actual.items():
        expected = folder / filename
        assert expected.exists(), f"no {expected}: run tests/golden/regen_ofx.py {case}"
        assert text == expected.read_text(encoding="utf-8"), f"{case}: {filename} differs"


def test_every_realworld_file_has_a_golden_case() -> None:
    assert REALWORLD_FILES, f"no real-world OFX files under {REALWORLD}"
    for p in REALWORLD_FILES:
        assert f"realworld/{p.name}" in CASES


# -- no transaction vanishes ------------------------------------------------


@pytest.mark.parametrize("path", REALWORLD_FILES, ids=lambda p: p.name)
def test_realworld_every_stmttrn_is_a_row_or_quarantined(path: Path) -> None:
    data = path.read_bytes()
    parsed = read_ofx(data, str(path))
    if parsed.file_error:
        assert parsed.file_error.strip() and not parsed.tables
    else:
        assert loaded(parsed) == tag_count(data)
        for q in parsed.quarantined:
            assert q.line and q.reason and q.raw.lstrip().upper().startswith("<STMTTRN")


@pytest.mark.parametrize("path", REALWORLD_FILES, ids=lambda p: p.name)
def test_realworld_frames_have_the_text_schema(path: Path) -> None:
    parsed = read_ofx(path.read_bytes(), str(path))
    if not parsed.file_error:
        assert parsed.tables["statement_lines"].schema == pl.Schema(statement_lines.text_schema())
        assert parsed.tables["statement_balances"].schema == pl.Schema(
            statement_balances.text_schema()
        )


# -- mutated bytes ----------------------------------------------------------

SEED_NAMES = [
    "ofxparse__bank_medium.ofx",
    "beancount-import__anzcc.ofx",
    "beancount-import__suncorp.ofx",
    "beancount-import__amex.ofx",
    "ofxparse__fail_nice_date_missing.ofx",
]
SEEDS = [(REALWORLD / n).read_bytes() for n in SEED_NAMES if (REALWORLD / n).exists()] + [
    (GOLDEN / c / "input.ofx").read_bytes()
    for c in (
        "cp1252_pound_eacute",
        "credit_card",
        "repeated_fitid",
        "empty_name",
        "ofx2_nonascii_unclosed",
    )
]
SNIPPETS = (
    b"<STMTTRN> </STMTTRN> <STMTRS> </STMTRS> <CCSTMTRS> <OFX> </OFX> <NAME> </NAME> <FITID> "
    b"<FITID>dprecon-0 <TRNAMT>12,3,4 <DTPOSTED> <DTPOSTED>20260701000000[+1:BST] <SIC> "
    b"<BANKTRANLIST> </BANKTRANLIST> <LEDGERBAL><BALAMT>x &amp; &#0; &#xD800; & < > "
    b"<![CDATA[ ]]> <!-- <?xml?encoding='utf-16'?> [+1:BST] <X/> CHARSET:NONE\n"
).split(b" ") + [b"\x00", b"\xef\xbb\xbf", b"\xff\xfe", b"\xa3\xe9\x80", b"\r", b"\n\n", b" "]


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    data = bytearray(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(data)))
        op = draw(st.sampled_from(["flip", "truncate", "bytes", "snippet", "delete_line"]))
        if op == "flip" and at < len(data):
            data[at] ^= draw(st.integers(1, 255))
        elif op == "truncate":
            del data[at:]
        elif op == "bytes":
            data[at:at] = draw(st.binary(min_size=1, max_size=8))
        elif op == "snippet":
            data[at:at] = draw(st.sampled_from(SNIPPETS))
        elif op == "delete_line":
            start = data.rfind(b"\n", 0, at) + 1
            end = data.find(b"\n", at)
            del data[start : end + 1 if end >= 0 else len(data)]
    return bytes(data)


def check_invariants(data: bytes) -> Parsed:
    parsed = read_ofx(data, "statements/mutated.ofx")
    assert isinstance(parsed, Parsed)
    assert parsed.format in ("ofx1", "ofx2")
    if parsed.file_error:
        assert parsed.file_error.strip()
        assert not parsed.tables and not parsed.quarantined
    else:
        assert loaded(parsed) == tag_count(data)
        lines = parsed.tables["statement_lines"]
        assert lines.schema == pl.Schema(statement_lines.text_schema())
        assert all(re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", d) for d in lines["date"])
        assert all(q.reason for q in parsed.quarantined)
    return parsed


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_mutated_files_never_crash_and_nothing_vanishes(data: bytes) -> None:
    check_invariants(data)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=400))
def test_random_bytes_never_crash(data: bytes) -> None:
    check_invariants(data)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(SNIPPETS + [b"TEXT", b" ", b"-1.00", b"20260601"]), max_size=40))
def test_tag_soup_never_crashes(parts: list[bytes]) -> None:
    statement = b"<OFX><STMTRS><BANKACCTFROM><ACCTID>1</BANKACCTFROM>%b</STMTRS></OFX>"
    check_invariants(statement % b"".join(parts))


FIELD_VALUES = st.text(st.characters(exclude_categories=("Cs",)), max_size=12) | st.sampled_from(
    ["", " ", "-12.50", "20260701000000[+1:BST]", "12,3,4", "null", "&amp;", "00000000", "1E5"]
    + ["99991231235959.999[-12:X]", "00010101000000[+14:X]", "20260701x", "<", "&#0;", "]]>"]
)
TRANSACTION = st.fixed_dictionaries(
    {},
    optional={tag: FIELD_VALUES for tag in ("TRNTYPE", "DTPOSTED", "DTUSER", "TRNAMT")}
    | {tag: FIELD_VALUES for tag in ("FITID", "NAME", "MEMO", "SIC", "CHECKNUM")},
)


@settings(max_examples=200, deadline=None)
@given(st.lists(TRANSACTION, min_size=1, max_size=4), st.sampled_from(["utf-8", "cp1252"]))
def test_any_field_values_never_crash_and_nothing_vanishes(
    transactions: list[dict[str, str]], encoding: str
) -> None:
    body = "".join(
        "<STMTTRN>" + "".join(f"<{tag}>{value}" for tag, value in t.items()) + "</STMTTRN>\n"
        for t in transactions
    )
    data = ofx_with([]).replace(
        b"</BANKTRANLIST>", body.encode(encoding, "replace") + b"</BANKTRANLIST>"
    )
    check_invariants(data)


def test_reader_faults_become_file_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    data = (GOLDEN / "credit_card" / "input.ofx").read_bytes()

    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError("ofxparse fell over")

    monkeypatch.setattr(ofx_module, "read_accounts", boom)
    parsed = read_ofx(data, "x.ofx")
    assert parsed.file_error and "ofxparse fell over" in parsed.file_error
    monkeypatch.setattr(ofx_module, "clean_ofx", boom)
    parsed = read_ofx(data, "x.ofx")
    assert parsed.file_error and "ofxparse fell over" in parsed.file_error


# -- dates and money --------------------------------------------------------


def test_bst_midnight_is_the_local_date() -> None:
    data = ofx_with(["-1.00"]).replace(b"<DTPOSTED>20260601", b"<DTPOSTED>20260701000000[+1:BST]")
    lines = read_ofx(data, "x.ofx").tables["statement_lines"]
    assert lines["date"].to_list() == ["2026-07-01"]


def test_amounts_are_exact_text() -> None:
    amounts = ["1234567890123.45", "-0.10", "0.30", "0.1", "-0.20", "9999999999999999.99"]
    lines = read_ofx(ofx_with(amounts), "x.ofx").tables["statement_lines"]
    assert lines.schema["amount"] == pl.String
    assert lines["amount"].to_list() == [*amounts[:3], "0.10", *amounts[4:]]
    total = sum(Decimal(a) for a in lines["amount"].to_list()[:3])
    assert total == Decimal("1234567890123.65")  # 0.1 + 0.2 style sums stay exact


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.decimals(
            min_value=-(10**15), max_value=10**15, places=2, allow_nan=False, allow_infinity=False
        ),
        min_size=1,
        max_size=5,
    )
)
def test_any_amount_round_trips_exactly(amounts: list[Decimal]) -> None:
    lines = read_ofx(ofx_with([f"{a:f}" for a in amounts]), "x.ofx").tables["statement_lines"]
    assert [Decimal(a) for a in lines["amount"].to_list()] == amounts
    assert all(re.fullmatch(r"-?[0-9]+\.[0-9]{2}", a) for a in lines["amount"].to_list())


def test_a_thousand_transactions_all_load() -> None:
    data = ofx_with([f"-{i}.{i % 100:02d}" for i in range(1000)])
    parsed = read_ofx(data, "x.ofx")
    assert parsed.file_error is None and parsed.tables["statement_lines"].height == 1000
    assert parsed.tables["statement_lines"]["source_line"].to_list() == list(range(9, 1009))
