"""The pieces a statements-only night narrows with, each against the whole books of a
council's night (tests/flows/conftest.py): what the statements say of some accounts, the
rules on some accounts' books, the splice by place against the splice by key, positions
from some accounts' books (flows/reconcile.py, pipelines/incremental.py). The nights
themselves: tests/flows/test_incremental_match.py."""

from __future__ import annotations

import shutil
from decimal import Decimal

import duckdb
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from flows import reconcile as reconcile_mod
from flows.policy import load_policy
from pipelines import incremental
from pipelines.positions import budget_positions
from pipelines.rules.registry import declared
from pipelines.rules.run import judge


@pytest.fixture
def council(incremental_council) -> dict:
    return incremental_council


def test_what_the_statements_say_of_some_accounts_is_what_they_say_of_them_among_all(council, tmp_path):
    """Coverage, balance breaks and opening balances worked out from the files that hold some
    accounts' lines are those accounts' share of what every file says."""
    with duckdb.connect(str(council["scratch"] / "w.duckdb"), read_only=True) as con:
        # every running balance a pound up: each account opens at £1.00, not £0.00
        lines = pl.from_arrow(con.sql("SELECT * FROM land.statement_lines").to_arrow_table()).with_columns(
            pl.col("balance") + Decimal("1.00"))
        balances = pl.from_arrow(con.sql("SELECT * FROM land.statement_balances").to_arrow_table())
        whole = reconcile_mod._statements_say(con, lines, balances)
        accounts = sorted(set(lines["account_id"].to_list()))
        assert whole.coverage.height and whole.breaks.height and Decimal("1.00") in whole.opening.values()
        assert lines.group_by("file_id").agg(pl.col("account_id").n_unique())["account_id"].max() > 1

        @given(st.sets(st.sampled_from(accounts), min_size=1, max_size=8))
        @settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
        def check(chosen):
            some = reconcile_mod._statements_say(con, lines, balances, chosen)
            theirs = pl.col("account_id").is_in(list(chosen))
            assert some.of == frozenset(chosen)
            assert some.opening == {a: v for a, v in whole.opening.items() if a in chosen}
            assert_frame_equal(some.coverage, whole.coverage.filter(theirs))
            assert_frame_equal(some.breaks, whole.breaks.filter(theirs))

        check()



def whole_books(con, as_of, policy):
    """Every account's books, as a night that matched, categorised and judged them all builds them
    (the warehouse's last run was on this day: rebuild_core would narrow to what came since)."""
    real = reconcile_mod.new_statement_accounts
    reconcile_mod.new_statement_accounts = lambda con, as_of: None
    try:
        return reconcile_mod.rebuild_core(con, as_of, policy)
    finally:
        reconcile_mod.new_statement_accounts = real


def test_each_budget_is_judged_from_its_own_accounts_books_alone(council, tmp_path):
    """Any set of accounts' books (pipelines.incremental.restrict) gives their budgets the
    findings the whole books give them; spliced with the others' they are the whole night's."""
    shutil.copy(council["scratch"] / "w.duckdb", tmp_path / "w.duckdb")
    with duckdb.connect(str(tmp_path / "w.duckdb")) as con:
        whole = whole_books(con, council["as_of"], load_policy(council["inbox"]))
    full = judge(whole, declared())
    accounts = sorted(set(whole.budgets["account_id"].to_list()))
    assert full.exceptions.height > 20 and full.gaps.height > 0

    @given(st.sets(st.sampled_from(accounts), min_size=1, max_size=12))
    @settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    def check(chosen):
        part = incremental.restrict(whole, chosen)
        fresh = judge(part, declared())
        assert set(fresh.exceptions["budget_id"].to_list()) <= set(part.budgets["budget_id"].to_list())
        spliced = incremental.splice_judged(full, fresh, whole.budgets, chosen)
        for name in ("exceptions", "findings", "gaps"):
            assert_frame_equal(getattr(spliced, name), getattr(full, name))

    check()


def test_a_splice_by_place_equals_the_splice_by_key(council, monkeypatch):
    """Classes and categories taken by place (rows where last night left them) are those a join
    on the key gives, for any set of accounts, with new rows after last night's."""
    with duckdb.connect(str(council["scratch"] / "w.duckdb"), read_only=True) as con:
        every = pl.from_arrow(con.sql("SELECT * FROM core.transactions").to_arrow_table())
    accounts = sorted(set(every["account_id"].to_list()))
    by_key = incremental._by_place

    @given(st.sets(st.sampled_from(accounts), min_size=1, max_size=8), st.integers(0, 40))
    @settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    def check(chosen, new):
        mine = pl.col("account_id").is_in(list(chosen))
        standing = every.head(every.height - new)  # the last ``new`` rows arrive tonight, of the chosen accounts
        tonight = pl.concat([standing, every.tail(new).with_columns(
            pl.lit(sorted(chosen)[0]).alias("account_id"),
            pl.concat_str(pl.lit("new-"), "transaction_id").alias("transaction_id"))]) if new else every
        fresh = tonight.filter(mine).with_columns(pl.lit("tonight").alias("txn_class"), pl.lit("R-1").alias("evidence_ref"))
        places = incremental.splice_classes(tonight, fresh, standing, chosen)
        monkeypatch.setattr(incremental, "_by_place", lambda *a: None)
        try:
            keys = incremental.splice_classes(tonight, fresh, standing, chosen)
        finally:
            monkeypatch.setattr(incremental, "_by_place", by_key)
        assert by_key(tonight, fresh, standing, chosen) is not None
        assert_frame_equal(places, keys)
        assert places.filter(mine)["txn_class"].unique().to_list() == ["tonight"]

    check()


def test_each_budgets_position_rests_on_its_own_accounts_books_alone(council, tmp_path):
    """Any set of accounts' positions worked out from their books alone (incremental.positions_of),
    spliced with the others' as they stood, are the whole night's, row for row and in order;
    last night's positions lacking a period of the others' → None (work them all out)."""
    shutil.copy(council["scratch"] / "w.duckdb", tmp_path / "w.duckdb")
    with duckdb.connect(str(tmp_path / "w.duckdb")) as con:
        whole = whole_books(con, council["as_of"], load_policy(council["inbox"]))
    started = whole.periods.filter(pl.col("period_start") <= council["as_of"])
    accounts = sorted(set(whole.budgets["account_id"].to_list()))
    # each account opening at its own balance, as a statement's stated balance would have it
    opening = {a: Decimal(f"{i}.{i % 100:02d}") for i, a in enumerate(accounts, start=1)}
    every = budget_positions(whole.budgets, started, whole.txns, whole.invoices, whole.matches, opening)
    assert every.height == started.height > 100 and every["owed"].sum() > 0

    def spliced(chosen, standing=every):
        fresh = incremental.positions_of(chosen, whole.budgets, started, whole.txns, whole.invoices,
                                         whole.matches, opening)
        return incremental.splice_positions(started, fresh, standing, whole.budgets, chosen)

    @given(st.sets(st.sampled_from(accounts), min_size=1, max_size=12))
    @settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    def check(chosen):
        assert_frame_equal(spliced(chosen), every)

    check()
    some = {accounts[0]}
    other = every.filter(~pl.col("budget_id").is_in(
        whole.budgets.filter(pl.col("account_id").is_in(list(some)))["budget_id"].implode()))
    assert spliced(some, every.filter(pl.col("budget_id") != other["budget_id"][0])) is None
    assert spliced(some, pl.concat([every, other.head(1)])) is None
