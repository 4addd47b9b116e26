"""The daytime flows: ``evidence_intake`` (every 15 minutes) and ``period_close`` (daily).

Thin wiring over flows/intake.py and flows/period_close.py; see docs/operations.md.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from prefect import flow, get_run_logger

from flows.settings import today_london


@flow(name="evidence_intake")
def evidence_intake(inbox: Path, warehouse: Path, as_of: date | None = None) -> dict:
    """Take in the evidence returns families have sent since the last look."""
    from flows.intake import run_intake
    from flows.validation import validate_batch

    logger = get_run_logger()
    return run_intake(Path(inbox), Path(warehouse), as_of or today_london(), validate=validate_batch, log=logger.info)


def intake_once(inbox: Path, warehouse: Path, as_of: date) -> dict:
    """``dprecon intake`` (the portal starts one after each upload): the flow run once, here.

    The command takes the intake's read-only look before Prefect's API starts and hands it
    to the flow, which does not look again. (Importing GX in a thread meanwhile, when a
    return is new, was tried and measured slower on a shared two-core machine: the thread
    and the API's process compete for the same core; benchmarks/README.md §9.)
    """
    from flows.intake import first_look, handing_over

    try:
        look = first_look(inbox, warehouse)
    except Exception:  # noqa: BLE001 - the flow looks again and reports it, as a failed flow run
        look = None
    with handing_over(look):
        return evidence_intake(inbox=inbox, warehouse=warehouse, as_of=as_of)


@flow(name="period_close")
def period_close(warehouse: Path, reports: Path, as_of: date | None = None, council: str | None = None) -> dict:
    """Issue the evidence returns of every monitoring period that has ended and not been issued yet,
    then the recovery notices not yet issued (flows/notices.py).

    The council's name and addresses come from the warehouse (register/council.yaml); ``council``
    and the DPRECON_COUNCIL_NAME / DPRECON_PORTAL_ADDRESS settings only fill in when it has none."""
    from flows.notices import issue_notices
    from flows.period_close import issue_returns
    from flows.settings import Settings

    logger = get_run_logger()
    settings = Settings()
    result = issue_returns(Path(warehouse), Path(reports), as_of or today_london(), council or settings.council_name,
                           log=logger.info, portal_address=settings.portal_address)
    issue_notices(Path(warehouse), Path(reports), as_of or today_london(), inbox=settings.inbox, log=logger.info)
    return result
