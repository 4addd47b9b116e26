"""A table's declared key is used: a constraint in the DDL and a check in its GX suite."""

from __future__ import annotations

import duckdb
import pytest

from schemas import inputs
from schemas.warehouse import CORE, LAND, ddl


def test_every_keyed_table_gets_its_key_as_a_constraint():
    assert 'PRIMARY KEY ("account_id", "transaction_id")' in CORE["transactions"].duckdb_ddl("core")
    assert 'PRIMARY KEY ("budget_id", "line_id", "period_start")' in CORE["line_positions"].duckdb_ddl("core")
    assert 'PRIMARY KEY ("exception_id")' in LAND["exception_history"].duckdb_ddl("land")
    # an optional part makes it UNIQUE (a missing reference is never a clash)
    assert 'UNIQUE ("budget_id", "period", "transaction_ref", "file")' in inputs.evidence_items.duckdb_ddl("x")


def test_land_keeps_every_version_so_it_has_no_input_key():
    for name in ("budgets", "plan_lines", "statement_lines", "invoice_lines", "evidence_items"):
        assert LAND[name].key == () and "PRIMARY KEY" not in LAND[name].duckdb_ddl("land"), name


def test_the_warehouse_refuses_a_second_row_with_the_same_key():
    con = duckdb.connect()
    for stmt in ddl():
        con.execute(stmt)
    row = "('B1', DATE '2026-04-01', DATE '2026-06-30', 0, 0, 0, 0, 0, 0, 0, NULL)"
    con.execute(f"INSERT INTO core.budget_positions VALUES {row}")
    with pytest.raises(duckdb.ConstraintException):
        con.execute(f"INSERT INTO core.budget_positions VALUES {row}")
    # replacing a table's rows (delete, then insert the same keys) still works
    con.execute("BEGIN")
    con.execute("DELETE FROM core.budget_positions")
    con.execute(f"INSERT INTO core.budget_positions VALUES {row}")
    con.execute("COMMIT")


def test_each_input_key_is_a_within_file_uniqueness_expectation():
    found = {t.name: [e for e in t.expectations() if e["type"] == "ExpectCompoundColumnsToBeUnique"]
             for t in inputs.ALL_INPUTS.values()}
    assert found["plan_lines"][0]["kwargs"]["column_list"] == ["file_id", "budget_id", "line_id"]
    assert found["statement_lines"][0]["kwargs"]["column_list"] == ["file_id", "account_id", "transaction_id"]
    assert found["plan_lines"][0]["reason"] == "the same budget id, line id appears more than once in the file"
    # a single key column already checked as unique is not checked twice
    assert found["budgets"] == [] and found["providers"] == []
