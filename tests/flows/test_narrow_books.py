"""Reconcile's memory at scale (issue 20) must not change what it finds.

Once the core tables are written, the night's books keep only the columns the
rules read of a transaction and of an evidence item (``TXNS_READ``,
``EVIDENCE_READ`` in pipelines/rules/__init__.py: issue 20, memory at 5,000
accounts). Every rule, the evidence returns and what flag writes must be
exactly what the books with every column give: a rule that read a column
dropped would fail here, not quietly find something else. ``categorise`` and ``find_references`` work
a slice of the ledger at a time: in small slices the books are the same.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from flows import reconcile as reconcile_mod
from flows.policy import load_policy
from pipelines import classify, match_text
from pipelines.rules import EVIDENCE_READ, TXNS_READ
from pipelines.rules.registry import declared
from pipelines.rules.run import judge
from pipelines.simulate import SimParams
from schemas.warehouse import ddl
from tests.flows.helpers import simulated_night


@pytest.fixture(scope="module")
def night(tmp_path_factory) -> dict:
    return simulated_night(tmp_path_factory.mktemp("narrow"), SimParams(accounts=30, months=12, seed=11))


def _books(night: dict, copy: Path):
    copy.write_bytes(night["warehouse"].read_bytes())
    with duckdb.connect(str(copy)) as con:
        for stmt in ddl():
            con.execute(stmt)
        return reconcile_mod.rebuild_core(con, night["as_of"], load_policy(night["inbox"]))


def test_the_rules_find_the_same_in_the_narrow_books_as_in_the_whole(night, tmp_path, monkeypatch):
    narrow = _books(night, tmp_path / "narrow.duckdb")
    assert narrow.txns.columns == list(TXNS_READ) and narrow.evidence.columns == list(EVIDENCE_READ)
    with monkeypatch.context() as m:  # every column kept, as before
        m.setattr(reconcile_mod, "TXNS_READ", (pl.all(),))
        m.setattr(reconcile_mod, "EVIDENCE_READ", None)
        whole = _books(night, tmp_path / "whole.duckdb")
    assert set(TXNS_READ) < set(whole.txns.columns) and set(EVIDENCE_READ) < set(whole.evidence.columns)
    assert narrow.txns.height == whole.txns.height > 0 and narrow.evidence.height == whole.evidence.height > 0
    a, b = judge(narrow, declared()), judge(whole, declared())
    assert a.exceptions.height > 0
    for got, want in ((a.exceptions, b.exceptions), (a.findings, b.findings), (a.gaps, b.gaps),
                      (narrow.returns, whole.returns)):
        assert_frame_equal(got, want)


def test_categorise_and_references_a_slice_at_a_time_give_the_same_books(night, tmp_path, monkeypatch):
    whole = _books(night, tmp_path / "whole.duckdb")
    assert whole.txns.height < classify.CATEGORISE_SLICE  # one slice each by default, here
    assert (whole.matches["method"] == "reference").sum() > 0
    monkeypatch.setattr(classify, "CATEGORISE_SLICE", 293)
    monkeypatch.setattr(match_text, "REFERENCE_SLICE", 97)
    sliced = _books(night, tmp_path / "sliced.duckdb")
    assert whole.txns.height > 5 * 293
    for name in ("txns", "invoices", "matches", "positions", "lines"):
        assert_frame_equal(getattr(sliced, name), getattr(whole, name))
