"""Shared test set-up: quiet, offline Prefect with a private home; shared paths."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest
from hypothesis import settings

# Property tests assert what is true, never how fast: on a shared, loaded
# machine Hypothesis' default 200 ms deadline per example fails correct code.
settings.register_profile("dprecon", deadline=None)
settings.load_profile("dprecon")

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
SAMPLE_INBOX = ROOT / "tests" / "fixtures" / "sample_inbox"

_HOME = tempfile.mkdtemp(prefix="dprecon-prefect-")
os.environ.setdefault("PREFECT_HOME", _HOME)
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")


@pytest.fixture(scope="session")
def prefect_harness():
    """One Prefect test API for the whole session (it costs ~10-15 s to start)."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


@pytest.fixture(scope="session")
def sim_council(tmp_path_factory):
    """A simulated council (seeded), run once through the nightly job without Prefect."""
    from datetime import date

    from flows.job import run_job
    from flows.simulate import write_simulation
    from flows.validation import validate_batch
    from pipelines.simulate import SimParams

    work = tmp_path_factory.mktemp("council")
    inbox = work / "inbox"
    summary = write_simulation(inbox, SimParams(accounts=60, months=12, seed=5))
    as_of = date.fromisoformat(str(summary["as_of"]))
    wh = work / "warehouse.duckdb"
    result = run_job(inbox, wh, work / "reports", as_of, validate=validate_batch, workers=1)
    return {"inbox": inbox, "warehouse": wh, "reports": work / "reports" / as_of.isoformat(),
            "as_of": as_of, "result": result, "summary": summary}
