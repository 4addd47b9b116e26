"""The OFX reader hands ofxparse the cleaner's tree instead of the cleaned text
(issue 20): the auditors' views of a simulated council are the same either way.

The council is run twice through the nightly job: once as shipped, once with the
reader's ofxparse step swapped for the old one (the cleaned document written
out as text and parsed by ``OfxParser.parse``). Every audit view must match row
for row, apart from the run's own ids and clock times.
"""

from __future__ import annotations

import io
import warnings
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pytest

from flows.job import run_job
from flows.simulate import write_simulation
from flows.validation import validate_batch
from pipelines.readers import ofx as ofx_module
from pipelines.readers.ofx_tree import Node, render
from pipelines.simulate import SimParams

# What differs between two runs of the same inputs by design: ids and clock times.
VOLATILE = {"run_id", "seen_at", "started_at", "finished_at", "decided_at", "issued_at"}


def old_read_accounts(tree: Node) -> list[Any]:
    """The reader's ofxparse step as it was: the cleaned document as text, parsed again."""
    from bs4 import XMLParsedAsHTMLWarning
    from ofxparse import OfxParser

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", XMLParsedAsHTMLWarning)
        ofx = OfxParser.parse(io.BytesIO(render(tree).encode("ascii")), fail_fast=False)
    return list(getattr(ofx, "accounts", []))


def audit_views(warehouse: Path) -> dict[str, list[tuple]]:
    out = {}
    with duckdb.connect(str(warehouse), read_only=True) as con:
        views = [r[0] for r in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'audit' ORDER BY 1"
        ).fetchall()]
        for view in views:
            cols = [r[0] for r in con.execute(f'DESCRIBE audit."{view}"').fetchall()]
            keep = ", ".join(f'"{c}"' for c in cols if c not in VOLATILE)
            out[view] = con.execute(f'SELECT {keep} FROM audit."{view}" ORDER BY ALL').fetchall()
    return out


def run(inbox: Path, work: Path, as_of: date) -> dict[str, list[tuple]]:
    warehouse = work / "warehouse.duckdb"
    run_job(inbox, warehouse, work / "reports", as_of, validate=validate_batch, workers=1)
    return audit_views(warehouse)


def test_audit_views_are_the_same_through_the_tree_and_through_the_text(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    inbox = tmp_path / "inbox"
    summary = write_simulation(inbox, SimParams(accounts=40, months=12, seed=21))  # a seed with both OFX versions
    assert any(inbox.rglob("*.ofx")) and summary["channels"].get("ofx1") and summary["channels"].get("ofx2")
    as_of = date.fromisoformat(str(summary["as_of"]))
    (tmp_path / "new").mkdir()
    (tmp_path / "old").mkdir()
    new = run(inbox, tmp_path / "new", as_of)
    monkeypatch.setattr(ofx_module, "read_accounts", old_read_accounts)
    old = run(inbox, tmp_path / "old", as_of)
    assert new.keys() == old.keys() and "transactions" in new
    assert len(new["transactions"]) > 1000
    for view in new:
        assert new[view] == old[view], view
