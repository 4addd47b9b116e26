"""Money is exact: it never passes through a float on its way in."""

from __future__ import annotations

import ast
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipelines.ingest import cast_batch
from pipelines.text import normalise_money, to_money
from schemas.core import Column, Kind, Table

ROOT = Path(__file__).resolve().parents[2]
pennies = st.integers(min_value=-(10**15), max_value=10**15)
money_table = Table("m", "one amount", (Column("amount", Kind.MONEY),))


def as_text(p: int) -> str:
    sign = "-" if p < 0 else ""
    return f"{sign}{abs(p) // 100}.{abs(p) % 100:02d}"


@given(pennies)
def test_normalise_money_is_exact_for_bank_spellings(p):
    text = as_text(p)
    pounds = f"{abs(p) // 100:,}.{abs(p) % 100:02d}"
    assert normalise_money(text) == text
    assert normalise_money(("-£" if p < 0 else "£") + pounds) == text
    assert normalise_money(f"({pounds})") == as_text(-abs(p))


@given(st.lists(pennies, min_size=1, max_size=50))
def test_cast_to_decimal_keeps_every_penny(ps):
    texts = [as_text(p) for p in ps]
    frame = pl.DataFrame({"amount": texts, "file_id": "f", "source_path": "p", "source_line": list(range(len(ps)))})
    typed, quarantined = cast_batch(money_table, frame)
    assert quarantined.height == 0
    assert typed.schema["amount"] == pl.Decimal(18, 2)
    assert [str(v) for v in typed["amount"].to_list()] == texts
    assert typed["amount"].sum() == sum(Decimal(t) for t in texts)


def test_to_money_refuses_floats():
    with pytest.raises(TypeError):
        to_money(0.1)
    assert to_money("0.10") + to_money("0.20") == Decimal("0.30")


def test_normalise_money_refuses_fractions_of_a_penny():
    assert normalise_money("1.005") is None
    assert normalise_money("abc") is None


def test_no_float_calls_near_money_in_the_code():
    """No float() / Float64 in pipelines, schemas or flows (ratios are Decimal too)."""
    offenders = []
    for folder in ("pipelines", "schemas", "flows"):
        for path in (ROOT / folder).rglob("*.py"):
            tree = ast.parse(path.read_text())
            for node in ast.walk(tree):
                if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "float":
                    offenders.append(f"{path}:{node.lineno}")
                if isinstance(node, ast.Attribute) and node.attr in ("Float64", "Float32"):
                    offenders.append(f"{path}:{node.lineno}")
    assert offenders == []


def test_pipelines_do_not_import_prefect_or_gx():
    for path in (ROOT / "pipelines").rglob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for n in names:
                assert not n.startswith(("prefect", "great_expectations", "flows")), f"{path} imports {n}"
