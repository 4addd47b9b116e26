"""Running the portal: ``dprecon serve`` starts uvicorn on the app, and officers' code issuing.

uvicorn's access log is switched off: it would record each visitor's address.
The app logs method, path and status instead (``dprecon.portal``). Behind a
TLS-terminating proxy on this machine, uvicorn trusts its
``X-Forwarded-Proto``, so cookies are marked Secure exactly when the family's
browser is on https.
"""

from __future__ import annotations

import logging
import subprocess
import sys
from datetime import date
from pathlib import Path

import duckdb

from stores.codes import issue_code
from web.portal.app import PortalConfig, create_app


def intake_starter(inbox: Path, warehouse: Path):
    """An ``on_submit`` hook that starts ``dprecon intake`` in the background (it takes the warehouse lock
    itself and waits for nobody; if a run holds the lock, the next intake picks the return up)."""
    def start(_folder: Path) -> None:
        subprocess.Popen([sys.executable, "-m", "flows.cli", "intake", "--inbox", str(inbox),
                          "--warehouse", str(warehouse)], stdin=subprocess.DEVNULL,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    return start


def serve(config: PortalConfig, host: str, port: int) -> None:
    import uvicorn

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    uvicorn.run(create_app(config), host=host, port=port, access_log=False, proxy_headers=True,
                server_header=False, log_level="info")


def issue_for_officer(warehouse: Path, state: Path | None, budget_id: str, period: date) -> str:
    """A fresh code for one return the warehouse knows (any earlier code for it stops working)."""
    if warehouse.exists():
        with duckdb.connect(str(warehouse), read_only=True) as con:
            found = con.execute("SELECT received_at FROM audit.evidence_returns WHERE budget_id = ? AND "
                                "period_start = ?", [budget_id, period]).fetchone()
        if found is None:
            raise LookupError(f"There is no evidence return for {budget_id} with a period starting {period}.")
    return issue_code(state or warehouse, budget_id, period)
