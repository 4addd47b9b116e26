"""The ``nightly`` Prefect flow (each stage of flows/job.py as a task) and the
``councils`` flow that runs it for every council in a councils file.

Retries on I/O only: the report stage (writing files to a share) and the
artifacts (calls to the Prefect API). Ingest, reconcile and flag write only
the run's private working copy; a failed run is discarded whole and the
published warehouse is untouched, so retrying them inside a run buys nothing.
"""

from __future__ import annotations

import errno
import os
import uuid
from datetime import date
from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.runtime import flow_run

from flows.job import run_job
from flows.settings import Settings, today_london
from flows.validation import validate_batch

IO_STAGES = {"report"}


@task(cache_policy=NO_CACHE, task_run_name="{name}")
def _stage(name: str, fn, *args: Any) -> Any:
    return fn(*args)


# a full disk, a file where a folder should be, no permission: waiting will not mend them
PERMANENT = {errno.ENOSPC, errno.EFBIG, errno.ENOTDIR, errno.EISDIR, errno.EEXIST, errno.EACCES, errno.EPERM,
             errno.EROFS}


def worth_retrying(task_: Any, task_run: Any, state: Any) -> bool:
    """Retry an I/O stage only for failures that may pass (a share briefly away), not for permanent ones."""
    exc = state.result(raise_on_failure=False)
    while isinstance(exc, BaseException):
        if isinstance(exc, OSError) and exc.errno in PERMANENT:
            return False
        exc = exc.__cause__ or exc.__context__
    return True


def stage(name: str, fn, *args: Any) -> Any:
    task_ = (_stage.with_options(retries=2, retry_delay_seconds=5, retry_condition_fn=worth_retrying)
             if name in IO_STAGES else _stage)
    return task_(name, fn, *args)


@flow(name="nightly")
def nightly(inbox: Path, warehouse: Path, reports: Path, as_of: date | None = None, workers: int = 2,
            council: str | None = None) -> dict:
    """``as_of`` defaults to today in Europe/London (what a scheduled run wants);
    ``council`` is the council's name when its inbox has no ``register/council.yaml``
    (the councils file's name) [default: the DPRECON_COUNCIL_NAME setting, else "Your council"]."""
    logger = get_run_logger()
    if as_of is None:
        as_of = today_london()
    logger.info("nightly as of %s on %s", as_of, os.environ.get("PREFECT__WORKER_NAME", "this process"))
    result = run_job(
        inbox, warehouse, reports, as_of,
        validate=validate_batch, workers=workers,
        run_id=str(flow_run.get_id() or uuid.uuid4()),
        step=stage, log=logger.info, council=council or Settings().council_name,
    )
    publish_artifacts(result, warehouse, as_of)
    return result


@task(cache_policy=NO_CACHE, retries=2, retry_delay_seconds=5)
def publish_artifacts(result: dict, warehouse: Path, as_of: date) -> None:
    """What an operator sees in the Prefect UI: counts, money at stake (the one
    definition: the sum of ``at_stake``), every declared rule with what needs attention,
    any warning first, and the new exceptions by id, most severe then largest first (no names or payees: personal data stays
    in the warehouse)."""
    import duckdb
    from prefect.artifacts import create_markdown_artifact, create_table_artifact

    from reports.queries import NEEDS_ATTENTION, officer_order

    with duckdb.connect(str(warehouse), read_only=True) as con:
        status = dict(con.execute("SELECT status, count(*) FROM audit.exceptions GROUP BY 1").fetchall())
        attention = con.execute(f"SELECT count(*), coalesce(sum(at_stake), 0) FROM audit.exceptions "  # noqa: S608
                                f"WHERE {NEEDS_ATTENTION}").fetchall()[0]
        by_rule = {r: (n, a) for r, n, a in con.execute(
            f"SELECT rule_code, count(*), coalesce(sum(at_stake), 0) FROM audit.exceptions "  # noqa: S608
            f"WHERE {NEEDS_ATTENTION} GROUP BY 1").fetchall()}
        new = con.execute(
            "SELECT exception_id, rule_code, severity, budget_id, period_start, amount, at_stake FROM audit.exceptions "  # noqa: S608
            f"WHERE first_seen = ? AND status = 'open' ORDER BY {officer_order()}", [as_of]).fetchall()
    create_markdown_artifact(key="nightly-summary", description=f"dprecon nightly run as of {as_of}",
                             markdown=summary_markdown(result, as_of, status, attention, len(new), by_rule))
    create_table_artifact(key="nightly-new-exceptions", description="Exceptions first raised tonight", table=[
        {"exception_id": e, "rule": r, "severity": s, "budget": b, "period": str(p),
         "amount": f"{a:.2f}" if a is not None else "", "at_stake": f"{k:.2f}" if k is not None else ""}
        for e, r, s, b, p, a, k in new])


def summary_markdown(result: dict, as_of: date, status: dict, attention: tuple, new: int,
                     by_rule: dict | None = None) -> str:
    """The run's summary for the Prefect UI: warnings first, then files, exceptions, money at stake,
    and every declared rule with its exceptions needing attention and their money at stake."""
    from pipelines.rules.registry import declared

    by_rule = by_rule or {}
    ing = result["ingest"]
    warnings = "".join(f"> **Warning:** {w}\n\n" for w in result.get("warnings", []))
    return (
        f"## dprecon nightly run, as of {as_of}\n\n{warnings}"
        f"| files | count |\n|---|---|\n| seen | {ing['files_seen']} |\n| accepted | {ing['accepted']} |\n"
        f"| duplicate | {ing['duplicate']} |\n| quarantined | {ing['quarantined']} |\n"
        f"| rows loaded | {ing['rows_loaded']} |\n| rows set aside | {ing['rows_quarantined']} |\n\n"
        f"| exceptions | count |\n|---|---|\n| new tonight | {new} |\n"
        f"| needing attention | {attention[0]} |\n| resolved | {status.get('resolved', 0)} |\n\n"
        f"**Money at stake:** £{attention[1]:,.2f} (each pound counted once: docs/rules.md §10)\n\n"
        "| rule | severity | needing attention | at stake |\n|---|---|---|---|\n"
        + "".join(f"| {r.code} | {r.severity} | {by_rule.get(r.code, (0, 0))[0]} |"
                  f" £{by_rule.get(r.code, (0, 0))[1]:,.2f} |\n" for r in declared()))


@flow(name="councils")
def councils(config: Path, as_of: date | None = None, deployment: str | None = "nightly/nightly",
             workers: int = 2) -> dict[str, str]:
    """Run the nightly job for every council in ``config``, each as its own subflow run.

    With ``deployment`` (the default, under a server) each council becomes a run
    of that deployment, so every worker on the pool can take one: more workers
    on more machines take more councils. With ``deployment=None`` (local, no
    server) the councils run one after another in this process.
    Returns each council's final state; fails if any council failed, after all have run.
    """
    from prefect.deployments import run_deployment

    from flows.councils import load_councils

    logger = get_run_logger()
    listed = load_councils(Path(config))
    if as_of is None:
        as_of = today_london()
    states: dict[str, str] = {}
    if deployment is None:
        for council, paths in listed:
            sub = nightly.with_options(flow_run_name=f"nightly-{council.id}")
            state = sub(**paths, as_of=as_of, workers=workers, council=council.name, return_state=True)
            states[council.id] = state.type.value
    else:
        started = {council.id: run_deployment(
            deployment, parameters={**{k: str(v) for k, v in paths.items()}, "as_of": as_of.isoformat(),
                                    "workers": workers, "council": council.name},
            flow_run_name=f"nightly-{council.id}", timeout=0, as_subflow=True)
            for council, paths in listed}
        states = wait_for_runs({cid: run.id for cid, run in started.items()})
    for cid, state in states.items():
        logger.info("council %s: %s", cid, state)
    failed = [cid for cid, state in states.items() if state != "COMPLETED"]
    if failed:
        raise RuntimeError(f"the nightly run did not complete for: {', '.join(failed)}; the others did")
    return states


def wait_for_runs(runs: dict[str, Any]) -> dict[str, str]:
    """Wait, through Prefect's own futures, until every run is final; each run's final state type, by key."""
    from prefect.futures import PrefectFlowRunFuture, wait

    futures = {key: PrefectFlowRunFuture(flow_run_id=run_id) for key, run_id in runs.items()}
    wait(list(futures.values()))
    return {key: future.state.type.value for key, future in futures.items()}
