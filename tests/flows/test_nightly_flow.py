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


def test_nightly_publishes_its_artifacts(prefect_harness, tmp_path):
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

    from flows.nightly import nightly

    inbox = copy_inbox(SAMPLE_INBOX, tmp_path / "inbox")
    nightly(inbox=inbox, warehouse=tmp_path / "w.duckdb", reports=tmp_path / "reports",
            as_of=date(2025, 10, 31), workers=1)
    with get_client(sync_client=True) as client:
        summary = client.read_artifacts(artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=["nightly-summary"])))
        table = client.read_artifacts(artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=["nightly-new-exceptions"])))
    assert summary and "Money at stake" in summary[-1].data
    assert "| EMPLOYER_DUTIES | medium | 0 | £0.00 |" in summary[-1].data  # every declared rule is listed
    assert table and "INELIGIBLE_SPEND" in str(table[-1].data)
    assert "Sam Patel" not in str(table[-1].data) and "BET365" not in summary[-1].data  # no personal data


def test_permanent_io_failures_are_not_retried_and_passing_ones_are():
    import errno

    from prefect.states import Failed

    from flows.nightly import worth_retrying

    def failed_with(exc):
        return Failed(data=exc)

    try:
        try:
            raise OSError(errno.ENOSPC, "No space left on device")
        except OSError as e:
            raise RuntimeError("the reports could not be written") from e
    except RuntimeError as wrapped:
        full_disk = wrapped
    assert not worth_retrying(None, None, failed_with(full_disk))
    assert not worth_retrying(None, None, failed_with(NotADirectoryError(errno.ENOTDIR, "is a file")))
    assert worth_retrying(None, None, failed_with(OSError(errno.EIO, "share went away")))
    assert worth_retrying(None, None, failed_with(TimeoutError("slow share")))
