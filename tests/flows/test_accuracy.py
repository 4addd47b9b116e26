"""Detection accuracy on a simulated council (small N; benchmarks/accuracy.py runs N=1000).

The simulator plants every rule's problem, and look-alikes that must not be
flagged; its ground truth follows docs/rules.md independently of pipelines/.
"""

from __future__ import annotations

import json

import duckdb
import polars as pl

from pipelines.accuracy import misses, score
from pipelines.simulate.problems import LOOKALIKE_RULES


def _raised(sim_council) -> pl.DataFrame:
    with duckdb.connect(str(sim_council["warehouse"]), read_only=True) as con:
        return pl.from_arrow(con.sql("SELECT * FROM audit.exceptions WHERE status = 'open'").to_arrow_table())


def _findings(sim_council) -> pl.DataFrame:
    """Each period's finding (the truth is per period; exceptions merge them into episodes)."""
    with duckdb.connect(str(sim_council["warehouse"]), read_only=True) as con:
        return pl.from_arrow(con.sql("SELECT * FROM audit.exception_periods").to_arrow_table())


def _expected(sim_council) -> pl.DataFrame:
    return pl.read_csv(sim_council["inbox"] / "expected_exceptions.csv", schema_overrides={"budget_id": pl.String})


def test_every_rule_is_found_exactly(sim_council):
    table = score(_expected(sim_council), _findings(sim_council))
    missed, extra = misses(_expected(sim_council), _findings(sim_council))
    assert table.height >= 10, table  # the small council still plants most rules
    assert missed.height == 0, missed
    assert extra.height == 0, extra.select("budget_id", "rule_code", "period_start", "explanation")


def test_the_small_council_holds_the_six_further_checks(sim_council):
    """So the exact comparison above covers docs/rules.md §12 too."""
    codes = set(_expected(sim_council)["rule_code"].to_list())
    assert {"LOW_BALANCE", "UNEXPECTED_INCOME", "EMPLOYER_DUTIES", "REVIEW_OVERDUE", "EVIDENCE_INCOMPLETE",
            "RELATED_PAYEE"} <= codes


def test_lookalikes_are_not_flagged(sim_council):
    summary = json.loads((sim_council["inbox"] / "simulation.json").read_text())
    raised = _raised(sim_council)
    flagged = set(zip(raised["budget_id"].to_list(), raised["rule_code"].to_list(), strict=True))
    checked = 0
    for code, budgets in summary["lookalikes"].items():
        for b in budgets:
            for rule in LOOKALIKE_RULES[code]:
                checked += 1
                assert (b, rule) not in flagged, (code, b, rule)
    assert checked > 0


def test_explanations_name_money_and_dates(sim_council):
    raised = _raised(sim_council)
    for rule, text in zip(raised["rule_code"].to_list(), raised["explanation"].to_list(), strict=True):
        assert "£" in text or rule in ("STATEMENT_GAP", "REVIEW_OVERDUE"), (rule, text)
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
