"""The daytime flows: ``evidence_intake`` (every 15 minutes) and ``period_close`` (daily).

Thin wiring over flows/intake.py and flows/period_close.py; see docs/operations.md.
"""

from __future__ import annotations

import threading
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

    The command takes the intake's read-only look first and hands it to the flow. When a
    return is new, Great Expectations (3 to 5 s of imports) is imported and its context
    built in a thread while Prefect's ephemeral API starts: that API runs in a process of
    its own and this one only polls it, so the import costs next to no time of its own.
    With nothing new GX is never imported, as before. If the thread's import fails, the
    flow imports it again and meets the error as it always has.
    """
    from flows.intake import first_look, handing_over
    from flows.validation import warm_up

    try:
        look = first_look(inbox, warehouse)
    except Exception:  # noqa: BLE001 - the flow looks again and reports it, as a failed flow run
        look = None
    warming = None
    if look is not None and look.pending:
        _import_the_api_server()  # first, so that the two threads do not import modules at once
        warming = threading.Thread(target=warm_up, name="dprecon-gx-warm-up")
        warming.start()
    try:
        with handing_over(look):
            return evidence_intake(inbox=inbox, warehouse=warehouse, as_of=as_of)
    finally:
        if warming is not None:
            warming.join()


def _import_the_api_server() -> None:
    """What Prefect's client imports to start the ephemeral API (when no API is configured)."""
    import prefect.flow_engine  # noqa: F401
    from prefect.settings import PREFECT_API_URL

    if not PREFECT_API_URL.value():
        import prefect.server.api.server  # noqa: F401


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
