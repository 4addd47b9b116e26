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
    return run_job(
        inbox, warehouse, reports, as_of,
        validate=validate_batch, workers=workers,
        run_id=str(flow_run.get_id() or uuid.uuid4()),
        step=stage, log=logger.info,
    )
