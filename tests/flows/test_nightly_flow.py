"""The nightly Prefect flow end to end on the sample inbox (one test API per session)."""

from __future__ import annotations

from datetime import date

from tests.conftest import SAMPLE_INBOX
from tests.flows.helpers import copy_inbox, query


def test_nightly_flow_runs_and_records_the_run(prefect_harness, tmp_path):
    from flows.nightly import nightly

    inbox = copy_inbox(SAMPLE_INBOX, tmp_path / "inbox")
    wh = tmp_path / "w.duckdb"
    result = nightly(inbox=inbox, warehouse=wh, reports=tmp_path / "reports", as_of=date(2025, 6, 30), workers=1)
    assert result["ingest"]["files_seen"] == 8
    runs = query(wh, "SELECT run_id, as_of, status FROM audit.runs")
    assert runs == [(result["run_id"], date(2025, 6, 30), "completed")]
