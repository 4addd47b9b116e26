"""Writing the simulation: the only I/O, and careful about what is already there."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from flows.simulate import write_simulation
from pipelines.simulate import SimParams


def test_writes_the_inbox_and_returns_the_summary(tmp_path: Path) -> None:
    out = tmp_path / "sim"
    summary = write_simulation(out, SimParams(accounts=30, months=6, seed=4))
    assert summary["as_of"] == "2025-10-01"
    assert set(summary["counts"]) >= {"SURPLUS_BALANCE", "EVIDENCE_OVERDUE"}
    assert summary["files"] == sum(1 for p in out.rglob("*") if p.is_file())
    for name in ("register/budgets.csv", "register/plan_lines.csv", "register/providers.csv",
                 "expected_exceptions.csv", "simulation.json"):
        assert (out / name).is_file(), name
    assert json.loads((out / "simulation.json").read_text())["seed"] == 4
    rows = list(csv.DictReader((out / "expected_exceptions.csv").open(encoding="utf-8")))
    assert sum(summary["counts"].values()) == len(rows)
    assert any((out / "statements" / "prepaid").iterdir())


def test_refuses_a_directory_with_other_things(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(FileExistsError, match="not empty"):
        write_simulation(tmp_path, SimParams(accounts=2, months=3, seed=1))
    assert (tmp_path / "notes.txt").read_text() == "mine"


def test_replaces_a_previous_simulation(tmp_path: Path) -> None:
    out = tmp_path / "sim"
    write_simulation(out, SimParams(accounts=40, months=6, seed=1))
    before = {p.relative_to(out) for p in out.rglob("*") if p.is_file()}
    write_simulation(out, SimParams(accounts=3, months=3, seed=2))
    after = {p.relative_to(out) for p in out.rglob("*") if p.is_file()}
    assert len(after) < len(before)
    assert json.loads((out / "simulation.json").read_text())["accounts"] == 3
    # a stranger in a previous simulation's folder is still someone else's: refuse
    (out / "README").write_text("hands off")
    with pytest.raises(FileExistsError):
        write_simulation(out, SimParams(accounts=3, months=3, seed=2))
