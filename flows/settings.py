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


def quiet_prefect_defaults() -> None:
    """Prefect's local ephemeral API, quiet and offline, unless the caller set otherwise."""
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("DO_NOT_TRACK", "1")
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
