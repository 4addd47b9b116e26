"""core.transactions changed in part (flows/reconcile.InPart, flows/warehouse.update_rows,
pipelines/incremental.rows_in_place) leaves the table, row for row and in its stored
order, as writing the whole night's transactions would; and is refused (None) when a
row moved, went, or a new one is of an account the night did not name."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import duckdb
import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from flows.reconcile import InPart, write_core
from pipelines import incremental
from pipelines.ledger import conform
from schemas.warehouse import CORE

TABLE = CORE["transactions"]
ACCOUNTS = ["40001234", "40005678", "40009999"]


def row(account: str, n: int, category: str = "personal_care", amount: str = "-12.50") -> dict:
    return {"transaction_id": f"T{n:05d}", "account_id": account, "budget_id": f"DP{account[-4:]}-1",
            "date": date(2026, 1, 1) + timedelta(days=n % 90), "amount": Decimal(amount), "payee": f"Payee {n}",
            "memo": None, "trntype": "DEBIT", "mcc": None, "txn_class": "spend", "category": category,
            "plan_line_id": None, "provider_id": None, "invoice_id": None, "needs_evidence": n % 2 == 0,
            "evidence_ref": f"E{n}", "source_path": f"statements/{account}/s.ofx", "source_line": n}


def frame(rows: list[dict]) -> pl.DataFrame:
    return conform(pl.DataFrame(rows, schema=TABLE.polars_schema()), TABLE)


def stored(tables: list) -> list[tuple]:
    con = duckdb.connect()
    con.execute("CREATE SCHEMA core")
    con.execute(TABLE.duckdb_ddl("core"))
    write_core(con, tables)
    return con.execute("SELECT * FROM core.transactions").fetchall()


@settings(max_examples=40, deadline=None)
@given(last=st.lists(st.sampled_from(ACCOUNTS), min_size=1, max_size=30),
       named=st.sets(st.sampled_from(ACCOUNTS), min_size=1),
       changes=st.lists(st.integers(0, 29), max_size=8), added=st.integers(0, 5))
def test_the_named_accounts_rows_set_where_they_stand_and_new_ones_after_equal_the_whole_write(
        last, named, changes, added):
    before = [row(a, i) for i, a in enumerate(last)]
    tonight = [dict(r) for r in before]
    for i in changes:  # the named accounts' rows may change (a category, an amount); no other's can
        if i < len(tonight) and tonight[i]["account_id"] in named:
            tonight[i].update(category="transport", amount=Decimal("-99.99"), needs_evidence=True, evidence_ref=None)
    new_account = sorted(named)[0]
    tonight += [row(new_account, 100 + k) for k in range(added)]
    whole = frame(tonight)
    part = incremental.rows_in_place(whole, frame(before).select(incremental.TXN), named)
    assert part is not None
    in_place, new = part
    assert new.height == added
    assert set(in_place["account_id"].to_list()) <= named
    start = [("transactions", frame(before))]
    assert stored([*start, InPart("transactions", in_place, new, tuple(incremental.TXN))]) == stored(
        [("transactions", whole)])


def test_a_row_that_moved_or_went_or_a_new_row_of_another_account_is_refused():
    before = frame([row("40001234", 1), row("40005678", 2), row("40001234", 3)])
    keys = before.select(incremental.TXN)
    named = {"40001234"}
    assert incremental.rows_in_place(before, keys, named) is not None
    moved = pl.concat([before.slice(1), before.head(1)])  # a correction's version stands where it arrived
    assert incremental.rows_in_place(moved, keys, named) is None
    assert incremental.rows_in_place(before.head(2), keys, named) is None
    other = pl.concat([before, frame([row("40005678", 4)])])
    assert incremental.rows_in_place(other, keys, named) is None
    assert incremental.rows_in_place(pl.concat([before, frame([row("40001234", 5)])]), keys, named)[1].height == 1
