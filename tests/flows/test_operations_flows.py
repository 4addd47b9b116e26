"""The daytime flows and the multi-council flow under the Prefect test API."""

from __future__ import annotations

import json
import re
import shutil
from datetime import timedelta

import pytest

from flows.councils import CouncilConfigError, load_councils
from tests.conftest import SAMPLE_INBOX
from tests.flows.helpers import copy_inbox, query


@pytest.fixture
def council(sim_council, tmp_path):
    wh = tmp_path / "data" / "warehouse.duckdb"
    wh.parent.mkdir()
    shutil.copyfile(sim_council["warehouse"], wh)
    inbox = tmp_path / "inbox"
    shutil.copytree(sim_council["inbox"], inbox)
    return {"warehouse": wh, "inbox": inbox, "as_of": sim_council["as_of"], "reports": tmp_path / "reports"}


def test_period_close_issues_each_return_once_with_a_code_that_signs_in(prefect_harness, council):
    from flows.scheduled import period_close
    from stores.codes import check_sign_in, state_folder

    wh, as_of = council["warehouse"], council["as_of"]
    open_returns = query(wh, f"SELECT budget_id, period_start FROM audit.evidence_returns "
                             f"WHERE received_at IS NULL AND period_end < DATE '{as_of}' ORDER BY 1, 2")
    assert open_returns

    first = period_close(warehouse=wh, reports=council["reports"], as_of=as_of, council="Demo Council")
    assert first["issued"] == len(open_returns) and first["files"] == 2 * len(open_returns)
    ledger = [json.loads(line) for line in (wh.parent / "returns_issued.jsonl").read_text().splitlines()]
    assert sorted((r["budget_id"], r["period_start"]) for r in ledger) == [(b, p.isoformat()) for b, p in open_returns]

    budget, period = open_returns[0]
    letter = (council["reports"] / "issued" / as_of.isoformat() / "returns" / f"{budget}_{period}.html").read_text()
    code = re.search(r'id="access-code">([^<]+)<', letter).group(1)
    signed = check_sign_in(state_folder(wh), budget, code, "test")
    assert (signed.outcome, signed.budget_id, signed.period_start) == ("ok", budget, period)

    again = period_close(warehouse=wh, reports=council["reports"], as_of=as_of + timedelta(days=1), council="Demo Council")
    assert again == {"issued": 0, "already_issued": len(open_returns)}


def test_evidence_intake_flow_with_nothing_new_writes_nothing(prefect_harness, council):
    from flows.scheduled import evidence_intake

    before = council["warehouse"].read_bytes()
    assert evidence_intake(inbox=council["inbox"], warehouse=council["warehouse"], as_of=council["as_of"]) == {
        "new_files": 0}
    assert council["warehouse"].read_bytes() == before


def test_councils_flow_runs_each_council_apart(prefect_harness, tmp_path):
    from datetime import date

    from flows.nightly import councils

    for cid in ("north", "south"):
        copy_inbox(SAMPLE_INBOX, tmp_path / cid / "inbox")
    (tmp_path / "south" / "inbox" / "statements" / "extra.csv").write_text("not,a,statement\n")
    config = tmp_path / "councils.yaml"
    config.write_text("councils:\n"
                      "  - {id: north, name: North Council, inbox: north/inbox, warehouse: north/w.duckdb, reports: north/r}\n"
                      "  - {id: south, name: South Council, inbox: south/inbox, warehouse: south/w.duckdb, reports: south/r}\n")
    states = councils(config=config, as_of=date(2025, 6, 30), deployment=None, workers=1)
    assert states == {"north": "COMPLETED", "south": "COMPLETED"}
    seen = {cid: query(tmp_path / cid / "w.duckdb", "SELECT count(*) FROM audit.ingest_log")[0][0] for cid in states}
    assert seen == {"north": 8, "south": 9}  # south's extra file never reached north
    assert "North Council" in next((tmp_path / "north" / "r").rglob("exceptions.html")).read_text()


@pytest.mark.parametrize("entries, problem", [
    ("  - {id: a, name: A, inbox: x/in}\n  - {id: b, name: B, inbox: x/in}\n", "overlap"),
    ("  - {id: a, name: A, inbox: x}\n  - {id: b, name: B, reports: x/reports}\n", "overlap"),
    ("  - {id: a, name: A, warehouse: d/a.duckdb}\n  - {id: b, name: B, warehouse: d/b.duckdb}\n", "same folder"),
    ("  - {id: a, name: A}\n  - {id: a, name: A again}\n", "twice"),
    ("  - {id: '../etc', name: Evil}\n", "lower-case"),
    ("  - {id: a, name: A, password: x}\n", "could not be read"),
    ("", "lists no councils"),
])
def test_a_councils_file_that_would_mix_councils_is_refused(tmp_path, entries, problem):
    config = tmp_path / "councils.yaml"
    config.write_text("councils:\n" + entries)
    with pytest.raises(CouncilConfigError, match=problem):
        load_councils(config)


def test_default_council_paths_are_apart(tmp_path):
    config = tmp_path / "councils.yaml"
    config.write_text("councils:\n  - {id: a, name: A}\n  - {id: b, name: B}\n")
    (a, pa), (b, pb) = load_councils(config)
    assert pa["warehouse"] == tmp_path / "data" / "councils" / "a" / "warehouse.duckdb"
    assert pb["inbox"] == tmp_path / "data" / "councils" / "b" / "inbox"
