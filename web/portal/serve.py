"""Running the portal: ``dprecon serve`` starts uvicorn on the app, and officers' code issuing.

uvicorn's access log is switched off: it would record each visitor's address.
The app logs method, path and status instead (``dprecon.portal``). Behind a
TLS-terminating proxy, list the proxy's addresses in
``DPRECON_PORTAL_TRUSTED_PROXIES``: the app then believes its
``X-Forwarded-For`` (the family's address, which the sign-in limits count
against) and ``X-Forwarded-Proto`` (cookies are Secure exactly when the
family's browser is on https), and nobody else's. uvicorn's own proxy
handling is off, so there is one place that decides.

Slow clients cannot hold the portal: a connection must send its request's
headers within ``header_timeout`` seconds (10) or it is closed; an idle
keep-alive connection is closed after 5 seconds; headers over 16 KB are
refused; no more than ``max_connections`` (200) connections are served at
once, and beyond that a new one gets 503 at once rather than waiting. Bodies
have their own timeouts in the app (app.py, ``BodyLimit``).
"""

from __future__ import annotations

import asyncio
import logging
import subprocess
import sys
from dataclasses import dataclass
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


@dataclass(frozen=True)
class Limits:
    header_timeout: float = 10.0
    keep_alive: int = 5
    max_connections: int = 200
    max_header_bytes: int = 16 * 1024


def uvicorn_options(limits: Limits) -> dict:
    """uvicorn's settings for the portal: no access log, no proxy trust of its own, the limits above."""
    return dict(access_log=False, proxy_headers=False, server_header=False, log_level="info",
                timeout_keep_alive=limits.keep_alive, limit_concurrency=limits.max_connections,
                h11_max_incomplete_event_size=limits.max_header_bytes,
                http=header_timeout_protocol(limits.header_timeout))


def header_timeout_protocol(seconds: float) -> type:
    """uvicorn's HTTP/1.1 protocol, closing a connection whose request headers are not all in after ``seconds``.

    uvicorn times out an idle keep-alive connection, but not one that sends
    its headers a byte at a time: fifty of those used to be held for ever."""
    from uvicorn.protocols.http.h11_impl import H11Protocol

    class HeaderTimeout(H11Protocol):
        _header_timer: asyncio.TimerHandle | None = None

        def connection_made(self, transport) -> None:
            super().connection_made(transport)
            self._arm()

        def data_received(self, data: bytes) -> None:
            if self.cycle is None or self.cycle.response_complete:
                self._arm()  # a new request is starting: its headers are on the clock
            super().data_received(data)
            if self.cycle is not None and not self.cycle.response_complete:
                self._disarm()  # the headers are in; the body has the app's own timeout

        def connection_lost(self, exc) -> None:
            self._disarm()
            super().connection_lost(exc)

        def _arm(self) -> None:
            if self._header_timer is None:
                self._header_timer = self.loop.call_later(seconds, self._too_slow)

        def _disarm(self) -> None:
            if self._header_timer is not None:
                self._header_timer.cancel()
                self._header_timer = None

        def _too_slow(self) -> None:
            self._header_timer = None
            if not self.transport.is_closing():
                self.transport.close()

    return HeaderTimeout


def serve(config: PortalConfig, host: str, port: int, limits: Limits | None = None) -> None:
    import uvicorn

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    uvicorn.run(create_app(config), host=host, port=port, **uvicorn_options(limits or Limits()))


def issue_for_officer(warehouse: Path, state: Path | None, budget_id: str, period: date) -> str:
    """A fresh code for one return the warehouse knows (any earlier code for it stops working)."""
    if warehouse.exists():
        with duckdb.connect(str(warehouse), read_only=True) as con:
            found = con.execute("SELECT received_at FROM audit.evidence_returns WHERE budget_id = ? AND "
                                "period_start = ?", [budget_id, period]).fetchone()
        if found is None:
            raise LookupError(f"There is no evidence return for {budget_id} with a period starting {period}.")
    return issue_code(state or warehouse, budget_id, period)
