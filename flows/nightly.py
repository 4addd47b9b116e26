"""The ``nightly`` Prefect flow: each stage of flows/job.py as a task.

No retries: stages write only the run's private working copy; a failed run is
discarded whole and the published warehouse is untouched (I/O retries belong
to the tasks that fetch or send things, and this flow has none).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.runtime import flow_run

from flows.job import run_job
from flows.validation import validate_batch


@task(cache_policy=NO_CACHE, task_run_name="{name}")
def stage(name: str, fn, *args: Any) -> Any:
    return fn(*args)


@flow(name="nightly")
def nightly(inbox: Path, warehouse: Path, reports: Path, as_of: date | None = None, workers: int = 2) -> dict:
    """``as_of`` defaults to today in Europe/London (what a scheduled run wants)."""
    logger = get_run_logger()
    if as_of is None:
        as_of = datetime.now(ZoneInfo("Europe/London")).date()
    result = run_job(
        inbox, warehouse, reports, as_of,
        validate=validate_batch, workers=workers,
        run_id=str(flow_run.get_id() or uuid.uuid4()),
        step=stage, log=logger.info,
    )
    publish_artifacts(result, warehouse, as_of)
    return result


def publish_artifacts(result: dict, warehouse: Path, as_of: date) -> None:
    """What an operator sees in the Prefect UI: counts, money at stake, and the new
    exceptions by id (no names or payees: personal data stays in the warehouse)."""
    import duckdb
    from prefect.artifacts import create_markdown_artifact, create_table_artifact

    with duckdb.connect(str(warehouse), read_only=True) as con:
        status = dict(con.execute("SELECT status, count(*) FROM audit.exceptions GROUP BY 1").fetchall())
        at_stake = con.execute("SELECT coalesce(sum(amount), 0) FROM audit.exceptions WHERE status = 'open'").fetchall()[0][0]
        new = con.execute(
            "SELECT exception_id, rule_code, severity, budget_id, period_start, amount FROM audit.exceptions "
            "WHERE first_seen = ? AND status = 'open' ORDER BY severity, amount DESC NULLS LAST", [as_of]).fetchall()
    ing = result["ingest"]
    create_markdown_artifact(key="nightly-summary", description=f"dprecon nightly run as of {as_of}", markdown=(
        f"## dprecon nightly run, as of {as_of}\n\n"
        f"| files | count |\n|---|---|\n| seen | {ing['files_seen']} |\n| accepted | {ing['accepted']} |\n"
        f"| duplicate | {ing['duplicate']} |\n| quarantined | {ing['quarantined']} |\n"
        f"| rows loaded | {ing['rows_loaded']} |\n| rows set aside | {ing['rows_quarantined']} |\n\n"
        f"| exceptions | count |\n|---|---|\n| new tonight | {len(new)} |\n"
        f"| still open | {status.get('open', 0) - len(new)} |\n| resolved | {status.get('resolved', 0)} |\n\n"
        f"**Money at stake (open):** £{at_stake:,.2f}\n"))
    create_table_artifact(key="nightly-new-exceptions", description="Exceptions first raised tonight", table=[
        {"exception_id": e, "rule": r, "severity": s, "budget": b, "period": str(p), "amount": f"{a:.2f}" if a is not None else ""}
        for e, r, s, b, p, a in new])
