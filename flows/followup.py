"""After the flags: the audit plan and the recoveries, from the books and the officers' stores.

Thin I/O around ``pipelines/audit_plan.py`` and ``pipelines/recoveries.py``:
read the frames from the working copy and the append-only stores beside the
warehouse (decisions, audits done, notices issued), write ``core.audits``,
``core.recoveries`` and ``core.audit_plan``. The nightly run calls
:func:`derive` after it has flagged; the commands that change a store between
nights (``dprecon review recover|audit``, ``dprecon notices issue``) call
:func:`refresh`, which judges as of the last run's day by the policy it used.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import duckdb
import polars as pl

from flows.warehouse import exclusive, open_working_copy, publish, read, replace_table
from pipelines.audit_plan import audit_plan
from pipelines.recoveries import recoveries
from schemas.policy import Policy
from schemas.warehouse import CORE
from stores import audits as audits_store
from stores import notices as notices_store
from stores import reviews as reviews_store


def derive(con: duckdb.DuckDBPyConnection, warehouse: Path, as_of: date | None = None,
           policy: Policy | None = None) -> dict[str, int]:
    """Rebuild the audit plan and the recoveries in ``con`` (a working copy)."""
    if policy is None or as_of is None:
        known_policy, known_as_of = policy_of(con)
        policy, as_of = policy or known_policy, as_of or known_as_of
    replace_table(con, "core", CORE["policy_snapshot"],
                  pl.DataFrame([dict(policy_json=policy.model_dump_json(), as_of=as_of)]))
    audits = audits_store.load(warehouse)
    replace_table(con, "core", CORE["audits"], audits)
    budgets = read(con, "SELECT * FROM core.budgets")
    exceptions = read(con, "SELECT exception_id, budget_id, rule_code, severity, amount, status FROM core.exceptions")
    decisions = reviews_store.load(warehouse)
    decided = decisions.filter(pl.col("decision").is_in(["recover", "written_off", "reconsidering", "recovered"]))
    asked = exceptions.filter(pl.col("exception_id").is_in(
        decided.filter(pl.col("decision") == "recover")["exception_id"].implode()))
    accounts = budgets.filter(pl.col("budget_id").is_in(asked["budget_id"].implode()))["account_id"].unique().to_list()
    txns = read(con, "SELECT account_id, budget_id, transaction_id, date, amount, txn_class FROM core.transactions "
                     "WHERE txn_class IN ('repayment', 'council_payment') AND list_contains(?, account_id)",
                [accounts]) if decided.height else None
    recs = recoveries(decided, exceptions, budgets, txns if txns is not None else _no_txns(),
                      notices_store.load(warehouse), policy, as_of)
    replace_table(con, "core", CORE["recoveries"], recs)
    plan = audit_plan(budgets, exceptions, read(con, "SELECT * FROM core.evidence_returns"),
                      read(con, "SELECT budget_id, period_end, weeks_held FROM core.budget_positions"),
                      audits, recs, policy, as_of)
    replace_table(con, "core", CORE["audit_plan"], plan)
    return {"recoveries": recs.height, "audits_recorded": audits.height,
            "intensive": plan.filter(pl.col("tier") == "intensive").height}


def _no_txns() -> pl.DataFrame:
    return pl.DataFrame(schema={"account_id": pl.String, "budget_id": pl.String, "transaction_id": pl.String,
                                "date": pl.Date, "amount": pl.Decimal(18, 2), "txn_class": pl.String})


def policy_of(con: duckdb.DuckDBPyConnection) -> tuple[Policy, date]:
    """The policy and day the last run judged by (the defaults and the last run's day if none kept)."""
    kept = read(con, "SELECT policy_json, as_of FROM core.policy_snapshot LIMIT 1")
    if kept.height:
        return Policy.model_validate(json.loads(kept["policy_json"][0])), kept["as_of"][0]
    last = read(con, "SELECT max(as_of) AS as_of FROM land.runs WHERE status = 'completed'")
    from flows.settings import today_london

    return Policy(), (last["as_of"][0] if last.height and last["as_of"][0] else today_london())


def refresh(warehouse: Path) -> dict[str, int]:
    """Publish the stores' latest into the warehouse now, without a full run."""
    with exclusive(warehouse):
        con, nxt = open_working_copy(warehouse)
        try:
            counts = derive(con, warehouse)
        except BaseException:
            con.close()
            raise
        publish(con, nxt, warehouse)
    return counts
