"""The councils flow waits on its runs through Prefect's own futures, not a polling loop."""

from __future__ import annotations

from prefect import flow

from flows.nightly import wait_for_runs


@flow
def _fine() -> int:
    return 1


@flow
def _broken() -> int:
    raise ValueError("a council's run failed")


def test_each_runs_final_state_by_key(prefect_harness):
    ok = _fine(return_state=True)
    bad = _broken(return_state=True)
    runs = {"northshire": ok.state_details.flow_run_id, "eastmoor": bad.state_details.flow_run_id}
    assert wait_for_runs(runs) == {"northshire": "COMPLETED", "eastmoor": "FAILED"}
    assert wait_for_runs({}) == {}
