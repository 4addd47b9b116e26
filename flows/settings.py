"""One typed settings object (env prefix ``DPRECON_``), defaults for a laptop."""

from __future__ import annotations

import os
from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict

from schemas.calendar import today_london

__all__ = ["Settings", "quiet_prefect_defaults", "today_london"]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DPRECON_")

    inbox: Path = Path("data/inbox")
    warehouse: Path = Path("data/warehouse.duckdb")
    reports: Path = Path("data/reports")
    workers: int = max(1, os.cpu_count() or 1)
    # Who the council is comes from the inbox's register/council.yaml (docs/operations.md). These two
    # are only fallbacks for an inbox without one: DPRECON_COUNCIL_NAME, DPRECON_PORTAL_ADDRESS.
    council_name: str | None = None
    portal_address: str = ""  # e.g. https://evidence.example.gov.uk, when council.yaml has no portal_url
    # the portal behind a proxy: the proxy's own addresses or networks, comma-separated, e.g. "127.0.0.1,10.0.4.0/24";
    # only these may tell the portal a visitor's address (X-Forwarded-For); empty: nobody may (docs/operations.md)
    portal_trusted_proxies: str = ""
    portal_header_timeout: float = 10.0  # seconds a browser has to send a request's headers
    portal_body_timeout: float = 120.0  # seconds a request body may take in all (a 10 MB photo on a slow line)
    portal_keep_alive: int = 5  # seconds an idle connection is kept open
    portal_max_connections: int = 200  # connections at once; beyond, new ones get 503 straight away
    history_nights: int = 14  # published warehouses kept beside the live one (docs/operations.md, "History")

    def trusted_proxies(self) -> tuple[str, ...]:
        """The proxy addresses, each an IP address or network; anything else (``*`` included) is a ConfigError."""
        import ipaddress

        from schemas.config import ConfigError

        out = []
        for entry in (a.strip() for a in self.portal_trusted_proxies.split(",")):
            if not entry:
                continue
            try:
                ipaddress.ip_network(entry, strict=False)
            except ValueError as e:
                raise ConfigError(f"DPRECON_PORTAL_TRUSTED_PROXIES = {entry!r}: not an IP address or network "
                                  "(list the proxy's own addresses, e.g. 127.0.0.1,10.0.4.0/24)") from e
            out.append(entry)
        return tuple(out)


def quiet_prefect_defaults() -> None:
    """Prefect's local ephemeral API, quiet and offline, unless the caller set otherwise."""
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("DO_NOT_TRACK", "1")
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
