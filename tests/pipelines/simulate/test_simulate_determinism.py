"""Same seed, same bytes; another seed, another council."""

from __future__ import annotations

import hashlib
from datetime import date

from pipelines.simulate import FileChunk, SimParams, simulate


def _files(params: SimParams) -> dict[str, bytes]:
    out: dict[str, bytearray] = {}
    for chunk in simulate(params):
        assert isinstance(chunk, FileChunk)
        if chunk.append:
            assert chunk.relpath in out, f"append before the header: {chunk.relpath}"
            out[chunk.relpath] += chunk.data
        else:
            assert chunk.relpath not in out, f"written twice: {chunk.relpath}"
            out[chunk.relpath] = bytearray(chunk.data)
    return {k: bytes(v) for k, v in out.items()}


def _digest(files: dict[str, bytes]) -> dict[str, str]:
    return {k: hashlib.sha256(v).hexdigest() for k, v in files.items()}


def test_same_seed_gives_the_same_bytes() -> None:
    params = SimParams(accounts=60, months=12, seed=11)
    assert _digest(_files(params)) == _digest(_files(params))


def test_another_seed_gives_another_council() -> None:
    a = _files(SimParams(accounts=60, months=12, seed=11))
    b = _files(SimParams(accounts=60, months=12, seed=12))
    assert a["register/budgets.csv"] != b["register/budgets.csv"]
    assert a["expected_exceptions.csv"] != b["expected_exceptions.csv"]


def test_the_run_date_is_start_plus_months() -> None:
    import json

    files = _files(SimParams(accounts=5, months=7, seed=3, start=date(2025, 8, 31)))
    summary = json.loads(files["simulation.json"])
    assert summary["as_of"] == "2026-03-31"  # 31 August + 7 months clamps to the month's end
    assert summary["accounts"] == 5 and summary["months"] == 7 and summary["seed"] == 3
    assert summary["policy"]["surplus_weeks"] == "8"


def test_zero_accounts_still_gives_headers() -> None:
    files = _files(SimParams(accounts=0, months=3, seed=1))
    assert files["expected_exceptions.csv"] == b"budget_id,rule_code,period_start,amount,note\n"
    assert files["register/budgets.csv"].startswith(b"budget_id,person_ref,")
