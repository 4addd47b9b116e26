"""Each table is declared once; its DDL, Polars schema and GX suite agree."""

from __future__ import annotations

import duckdb
import polars as pl
import pytest

from schemas import inputs
from schemas.core import Kind
from schemas.warehouse import AUDIT_VIEWS, CORE, LAND, ddl

ALL_TABLES = list(inputs.ALL_INPUTS.values()) + list(LAND.values()) + list(CORE.values())
CONTRACT_VIEW_COLUMNS = {
    "ingest_log": "file_id, path, sha256, format, status, reason, rows_loaded, rows_quarantined, run_id, seen_at",
    "quarantine": "file_id, path, line, reason, raw",
    "transactions": "transaction_id, account_id, budget_id, date, amount, payee, memo, trntype, mcc, category, "
    "plan_line_id, provider_id, invoice_id, needs_evidence, source_path, source_line",
    "invoices": "invoice_id, provider_id, budget_id, issue_date, due_date, period_start, period_end, category, "
    "units, unit_rate, amount, kind, paid_amount, payment_status, source_path, source_line",
    "matches": "transaction_id, invoice_id, amount, method, confidence",
    "budget_positions": "budget_id, period_start, period_end, opening_balance, council_paid, contributions_due, "
    "contributions_paid, spent, closing_balance, owed, weeks_held",
    "line_positions": "budget_id, line_id, outcome_domain, category, period_start, period_end, planned, spent",
    "exceptions": "exception_id, rule_code, severity, budget_id, period_start, period_end, amount, explanation, "
    "evidence, first_seen, last_seen, status",
    "reviews": "exception_id, reviewer, decided_at, decision, note, amount_recovered",
    "evidence_returns": "budget_id, period_start, period_end, due_date, received_at, items_evidenced, "
    "items_outstanding, eligibility_status",
    "runs": "run_id, as_of, started_at, finished_at, status, files_seen, exceptions_open",
    "recoveries": "recovery_id, exception_id, budget_id, amount, notified_on, due_on, repaid, repaid_on, status",
    "audit_plan": "budget_id, risk_score, risk_reasons, last_audit, next_audit_due, review_due, tier",
}
MONEY_COLUMNS = {
    "transactions": ["amount"],
    "invoices": ["unit_rate", "amount", "paid_amount"],
    "matches": ["amount"],
    "budget_positions": ["opening_balance", "council_paid", "contributions_due", "contributions_paid",
                         "spent", "closing_balance", "owed"],
    "line_positions": ["planned", "spent"],
    "exceptions": ["amount"],
    "reviews": ["amount_recovered", "amount_asked"],
    "recoveries": ["amount", "repaid"],
}


@pytest.fixture(scope="module")
def warehouse():
    con = duckdb.connect()
    for stmt in ddl():
        con.execute(stmt)
    yield con
    con.close()


@pytest.mark.parametrize("view", sorted(CONTRACT_VIEW_COLUMNS))
def test_every_contract_view_has_its_columns(warehouse, view):
    cols = [r[0] for r in warehouse.execute(f"DESCRIBE audit.{view}").fetchall()]
    for wanted in CONTRACT_VIEW_COLUMNS[view].split(", "):
        assert wanted in cols, f"audit.{view} lacks {wanted}"


@pytest.mark.parametrize("view", sorted(MONEY_COLUMNS))
def test_money_columns_are_decimal_18_2(warehouse, view):
    types = dict((r[0], r[1]) for r in warehouse.execute(f"DESCRIBE audit.{view}").fetchall())
    for col in MONEY_COLUMNS[view]:
        assert types[col] == "DECIMAL(18,2)", (view, col, types[col])


def test_no_float_type_anywhere():
    for t in ALL_TABLES:
        for name, dtype in t.polars_schema().items():
            assert not dtype.is_float(), f"{t.name}.{name} is a float"
        assert "DOUBLE" not in t.duckdb_ddl("x") and "FLOAT" not in t.duckdb_ddl("x").upper()


def test_ddl_polars_and_expectations_derive_from_one_declaration():
    t = inputs.budgets
    ddl_text = t.duckdb_ddl("land")
    for c in t.columns:
        assert f'"{c.name}"' in ddl_text
        assert c.name in t.polars_schema()
    expected = {(e["type"], e["kwargs"]["column"]) for e in t.expectations()}
    assert ("ExpectColumnValuesToBeUnique", "budget_id") in expected
    assert ("ExpectColumnValuesToBeInSet", "cohort") in expected
    assert ("ExpectColumnValuesToMatchRegex", "agreed_amount") in expected
    assert ("ExpectColumnValuesToNotBeNull", "estimated_amount") not in expected  # optional
    assert t.polars_schema()["agreed_amount"] == pl.Decimal(18, 2)


def test_views_cover_the_contract():
    assert set(CONTRACT_VIEW_COLUMNS) <= set(AUDIT_VIEWS)


def test_money_kind_is_never_float():
    for t in ALL_TABLES:
        for c in t.all_columns:
            if c.kind is Kind.MONEY:
                assert c.duckdb_type == "DECIMAL(18,2)"
