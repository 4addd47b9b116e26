"""``dprecon intake`` (flows/scheduled.intake_once): the read-only first look handed to the
flow, Great Expectations never imported when nothing is new, and the same result as the
plain intake."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest

from flows import intake as intake_mod
from flows import scheduled, validation
from flows.intake import first_look, handing_over, run_intake
from tests.conftest import ROOT
from tests.flows.helpers import dump_views, query
from tests.flows.test_intake import overdue_return_with_items, submit

# The command in a process of its own, with the flow's body standing in for the Prefect
# flow (whose API start-up is not what is tested here); prints what the process imported.
SCRIPT = """
import json, sys
from flows import scheduled, validation
from flows.intake import run_intake

scheduled.evidence_intake = lambda inbox, warehouse, as_of: run_intake(
    inbox, warehouse, as_of, validate=validation.validate_batch)
from flows.cli import app
try:
    app(sys.argv[1:])
except SystemExit as e:
    assert not e.code, e.code
print(json.dumps({"gx": "great_expectations" in sys.modules}))
"""


@pytest.fixture
def council(sim_council, tmp_path):
    inbox = tmp_path / "inbox"
    shutil.copytree(sim_council["inbox"], inbox)
    wh = tmp_path / "a" / "warehouse.duckdb"
    wh.parent.mkdir()
    shutil.copyfile(sim_council["warehouse"], wh)
    return {"inbox": inbox, "warehouse": wh, "as_of": sim_council["as_of"]}


def dprecon_intake(council) -> tuple[dict, dict]:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, "intake", "--inbox", str(council["inbox"]), "--warehouse",
         str(council["warehouse"]), "--as-of", council["as_of"].isoformat(), "--json"],
        cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    result, seen = done.stdout.strip().splitlines()[-2:]
    return json.loads(result), json.loads(seen)


def a_return(council) -> None:
    budget, period, _n, ref, _txn = overdue_return_with_items(council["warehouse"])
    submit(council["inbox"], f"{budget}_{period}", [f"{budget},{period},{ref},receipt,till.pdf,12.50,shopping"],
           ["till.pdf"])


def test_nothing_new_never_imports_great_expectations(council):
    before = council["warehouse"].read_bytes()
    result, seen = dprecon_intake(council)
    assert result == {"new_files": 0}
    assert seen == {"gx": False}
    assert council["warehouse"].read_bytes() == before


def test_a_new_return_publishes_what_the_plain_intake_does(council, tmp_path):
    a_return(council)
    plain = tmp_path / "b" / "warehouse.duckdb"  # the same warehouse, taken in without the command
    plain.parent.mkdir()
    shutil.copyfile(council["warehouse"], plain)

    result, seen = dprecon_intake(council)
    assert seen == {"gx": True}
    expected = run_intake(council["inbox"], plain, council["as_of"], validate=validation.validate_batch)
    assert result["new_files"] == 1 and result["ingest"]["accepted"] == 1
    assert {k: v for k, v in result.items() if k != "run_id"} == json.loads(json.dumps(
        {k: v for k, v in expected.items() if k != "run_id"}, default=str))
    assert views(council["warehouse"]) == views(plain)


def views(warehouse) -> dict:
    """The audit views, the new file's run id and time of arrival aside."""
    out = dump_views(warehouse)
    del out["ingest_log"]
    out["ingest_log"] = query(warehouse, "SELECT * EXCLUDE (run_id, seen_at) FROM audit.ingest_log ORDER BY path")
    return out


def test_the_flow_starts_from_the_first_look_without_scanning_again(council, monkeypatch):
    a_return(council)
    look = first_look(council["inbox"], council["warehouse"])
    assert len(look.pending) == 1
    monkeypatch.setattr(intake_mod, "scan", lambda *a, **k: pytest.fail("scanned again"))
    with handing_over(look):
        result = run_intake(council["inbox"], council["warehouse"], council["as_of"], validate=validation.validate_batch)
    assert result["new_files"] == 1 and result["ingest"]["accepted"] == 1


def test_a_look_at_another_warehouse_is_not_taken(council, tmp_path, monkeypatch):
    look = first_look(council["inbox"], council["warehouse"])
    other = tmp_path / "other.duckdb"
    shutil.copyfile(council["warehouse"], other)
    a_return(council)  # after the look: only a look of its own sees it
    with handing_over(look):
        result = run_intake(council["inbox"], other, council["as_of"], validate=validation.validate_batch)
    assert result["new_files"] == 1


def test_the_prefect_flow_takes_the_handed_over_look(prefect_harness, council, monkeypatch):
    look = first_look(council["inbox"], council["warehouse"])
    monkeypatch.setattr(intake_mod, "scan", lambda *a, **k: pytest.fail("scanned again"))
    with handing_over(look):
        assert scheduled.evidence_intake(inbox=council["inbox"], warehouse=council["warehouse"],
                                         as_of=council["as_of"]) == {"new_files": 0}
