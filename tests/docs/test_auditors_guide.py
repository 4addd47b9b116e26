"""Every SQL block in docs/auditors.md runs against a simulated council's warehouse."""

from __future__ import annotations

import re

import duckdb
import pytest

from tests.conftest import ROOT

GUIDE = (ROOT / "docs" / "auditors.md").read_text()
BLOCKS = re.findall(r"```sql\n(.*?)```", GUIDE, re.S)


def test_the_guide_has_queries():
    assert len(BLOCKS) >= 6


@pytest.mark.parametrize("sql", BLOCKS, ids=[f"query{i}" for i in range(len(BLOCKS))])
def test_guide_query_runs_read_only(sim_council, sql):
    with duckdb.connect(str(sim_council["warehouse"]), read_only=True) as con:
        con.execute(sql)  # every statement of the block, as an auditor would paste it


def test_positions_close_in_the_simulated_council(sim_council):
    with duckdb.connect(str(sim_council["warehouse"]), read_only=True) as con:
        n = con.execute("""SELECT count(*) FROM audit.budget_positions
            WHERE opening_balance + council_paid + contributions_paid - spent <> closing_balance""").fetchall()[0][0]
        total = con.execute("SELECT count(*) FROM audit.budget_positions").fetchall()[0][0]
    assert total > 0 and n == 0


def test_every_view_in_the_guide_exists(sim_council):
    views = set(re.findall(r"`audit\.(\w+)`", GUIDE))
    with duckdb.connect(str(sim_council["warehouse"]), read_only=True) as con:
        have = {r[0] for r in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'audit'").fetchall()}
    assert views <= have
