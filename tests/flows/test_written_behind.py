"""The core tables are written on a thread while the rules judge the books (issue 20:
DuckDB writes without Python's lock, the rules hold it). Waited for before anything
else touches them, they are the tables written in line, row for row; a write that
fails fails the flag step, and the run's connection is never closed under it."""

from __future__ import annotations

from pathlib import Path

import duckdb
import polars as pl
import pytest

from flows import reconcile as reconcile_mod
from flows.policy import load_policy
from pipelines.simulate import SimParams
from schemas.warehouse import CORE, ddl
from tests.flows.helpers import simulated_night


@pytest.fixture(scope="module")
def night(tmp_path_factory) -> dict:
    return simulated_night(tmp_path_factory.mktemp("behind"), SimParams(accounts=20, months=6, seed=3))


def _night(night: dict, copy: Path, behind: list | None) -> dict[str, list]:
    copy.write_bytes(night["warehouse"].read_bytes())
    with duckdb.connect(str(copy)) as con:
        for stmt in ddl():
            con.execute(stmt)
        books = reconcile_mod.rebuild_core(con, night["as_of"], load_policy(night["inbox"]), behind=behind)
        reconcile_mod.raise_exceptions(con, books, pl.DataFrame(), behind=behind)
        assert not behind  # waited for, and let go
        return {name: con.execute(f"SELECT * FROM core.{name}").fetchall() for name in CORE}  # noqa: S608


def test_the_tables_written_behind_are_the_tables_written_in_line(night, tmp_path):
    threads = []
    real = reconcile_mod.WrittenBehind

    class Spy(real):
        def __init__(self, con, tables) -> None:
            threads.append([table[0] for table in tables])  # (name, frame), or InPart (name first)
            super().__init__(con, tables)

    reconcile_mod.WrittenBehind = Spy
    try:
        behind = _night(night, tmp_path / "behind.duckdb", [])
    finally:
        reconcile_mod.WrittenBehind = real
    in_line = _night(night, tmp_path / "in_line.duckdb", None)
    assert threads and threads[0][0] == "transactions"
    assert len(in_line["transactions"]) > 100 and len(in_line["exceptions"]) > 0
    assert behind == in_line


def test_a_write_that_fails_behind_fails_the_flag_step_after_the_rules(night, tmp_path, monkeypatch):
    copy = tmp_path / "w.duckdb"
    copy.write_bytes(night["warehouse"].read_bytes())
    real = reconcile_mod.replace_table

    def full_disk(con, schema, table, frame):  # type: ignore[no-untyped-def]
        if table.name == "matches":
            raise OSError(28, "No space left on device")
        real(con, schema, table, frame)

    monkeypatch.setattr(reconcile_mod, "replace_table", full_disk)
    judged = []
    real_judge = reconcile_mod.judge

    def judge(books, rules):  # type: ignore[no-untyped-def]
        judged.append(1)
        return real_judge(books, rules)

    monkeypatch.setattr(reconcile_mod, "judge", judge)
    with duckdb.connect(str(copy)) as con:
        behind: list = []
        books = reconcile_mod.rebuild_core(con, night["as_of"], load_policy(night["inbox"]), behind=behind)
        with pytest.raises(OSError, match="No space left"):
            reconcile_mod.raise_exceptions(con, books, pl.DataFrame(), behind=behind)
        assert judged == [1] and behind == []

