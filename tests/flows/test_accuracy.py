"""Detection accuracy on a simulated council (small N; benchmarks/accuracy.py runs N=1000).

The simulator plants every rule's problem, and look-alikes that must not be
flagged; its ground truth follows docs/rules.md independently of pipelines/.
"""

from __future__ import annotations

import json

import duckdb
import polars as pl

from pipelines.accuracy import misses, score

LOOKALIKE_RULE = {
    "LOOKALIKE_TWIN_PURCHASE": "DUPLICATE_PAYMENT",
    "LOOKALIKE_REFUND": "DUPLICATE_PAYMENT",
    "LOOKALIKE_LATE_PAID": "INVOICE_UNPAID",
    "LOOKALIKE_EVIDENCED_CASH": "CASH_WITHDRAWAL",
}


def _raised(sim_council) -> pl.DataFrame:
    with duckdb.connect(str(sim_council["warehouse"]), read_only=True) as con:
        return pl.from_arrow(con.sql("SELECT * FROM audit.exceptions WHERE status = 'open'").to_arrow_table())


def _expected(sim_council) -> pl.DataFrame:
    return pl.read_csv(sim_council["inbox"] / "expected_exceptions.csv", schema_overrides={"budget_id": pl.String})


def test_every_rule_is_found_exactly(sim_council):
    table = score(_expected(sim_council), _raised(sim_council))
    missed, extra = misses(_expected(sim_council), _raised(sim_council))
    assert table.height >= 10, table  # the small council still plants most rules
    assert missed.height == 0, missed
    assert extra.height == 0, extra.select("budget_id", "rule_code", "period_start", "explanation")


def test_lookalikes_are_not_flagged(sim_council):
    summary = json.loads((sim_council["inbox"] / "simulation.json").read_text())
    raised = _raised(sim_council)
    flagged = set(zip(raised["budget_id"].to_list(), raised["rule_code"].to_list(), strict=True))
    checked = 0
    for code, budgets in summary["lookalikes"].items():
        for b in budgets:
            checked += 1
            assert (b, LOOKALIKE_RULE[code]) not in flagged, (code, b)
    assert checked > 0


def test_explanations_name_money_and_dates(sim_council):
    raised = _raised(sim_council)
    for rule, text in zip(raised["rule_code"].to_list(), raised["explanation"].to_list(), strict=True):
        assert "£" in text or rule == "STATEMENT_GAP", (rule, text)
        assert len(text) > 40


def test_the_simulated_inbox_validates_cleanly_apart_from_its_deliberately_broken_files(sim_council):
    """Only the simulator's deliberately corrupt extra copies (and its own truth files)
    are set aside; everything a real council would send loads."""
    import duckdb as _duckdb

    with _duckdb.connect(str(sim_council["warehouse"]), read_only=True) as con:
        set_aside = con.execute(
            "SELECT DISTINCT path FROM audit.quarantine").fetchall()
    allowed = ("expected_exceptions.csv", "expected_recoveries.csv", "officer_decisions.csv", "simulation.json",
               "_incomplete", " (2)")
    assert set_aside, "the simulator always includes a few broken files"
    for (path,) in set_aside:
        assert any(a in path for a in allowed), path
