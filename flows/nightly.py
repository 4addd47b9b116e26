"""The nightly job: ingest → validate → reconcile → flag → report → publish.

Tasks are thin adapters; the work is in pipelines/. Only I/O is retried:
nothing here is, because every step writes the private working copy and a
failed run is simply discarded (the published warehouse is untouched).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from pathlib import Path

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.runtime import flow_run

from flows import ingest as ingest_mod
from flows import reconcile as reconcile_mod
from flows.validation import validate_batch
from flows.warehouse import append, exclusive, open_working_copy, publish, read
from schemas.warehouse import LAND


@task(cache_policy=NO_CACHE)
def ingest_task(con, inbox: Path, run_id: str, workers: int) -> dict:
    summary = ingest_mod.ingest(con, inbox, run_id, validate_batch, workers=workers)
    get_run_logger().info(
        "ingest: %d files seen, %d accepted, %d duplicate, %d quarantined; %d rows loaded, %d set aside",
        summary.files_seen, summary.accepted, summary.duplicate, summary.quarantined,
        summary.rows_loaded, summary.rows_quarantined,
    )
    return summary.as_dict()


@task(cache_policy=NO_CACHE)
def reconcile_task(con, as_of: date, policy) -> dict:
    counts = reconcile_mod.rebuild_core(con, as_of, policy)
    get_run_logger().info("reconcile: %s", counts)
    return counts


@task(cache_policy=NO_CACHE)
def flag_task(con, as_of: date, policy) -> int:
    return reconcile_mod.raise_exceptions(con, as_of, policy)


@task(cache_policy=NO_CACHE)
def report_task(con, reports: Path, as_of: date) -> list[str]:
    """STUB (reports issue): officers' report and families' returns are not rendered yet."""
    get_run_logger().info("report: not built yet (reports issue)")
    return []


@flow(name="nightly", log_prints=False)
def nightly(inbox: Path, warehouse: Path, reports: Path, as_of: date, workers: int = 2) -> dict:
    run_id = str(flow_run.get_id() or uuid.uuid4())
    started = datetime.now()
    with exclusive(warehouse):
        con, nxt = open_working_copy(warehouse)
        try:
            policy, policy_problem = ingest_mod.load_policy(inbox)
            if policy_problem:
                get_run_logger().warning(policy_problem)
            ingested = ingest_task(con, inbox, run_id, workers)
            reconciled = reconcile_task(con, as_of, policy)
            flagged = flag_task(con, as_of, policy)
            written = report_task(con, reports, as_of)
            open_count = read(con, "SELECT count(*) AS n FROM core.exceptions WHERE status = 'open'")["n"][0]
            import polars as pl

            append(con, "land", LAND["runs"], pl.DataFrame([dict(
                run_id=run_id, as_of=as_of, started_at=started, finished_at=datetime.now(),
                status="completed", files_seen=ingested["files_seen"], exceptions_open=int(open_count),
            )]))
        except BaseException:
            con.close()
            raise
        publish(con, nxt, warehouse)
    return {"run_id": run_id, "as_of": as_of.isoformat(), "ingest": ingested,
            "reconcile": reconciled, "exceptions": flagged, "reports": written,
            "warehouse": str(warehouse)}
