"""register/council.yaml end to end: the nightly run stores it, letters print it, a bad one stops the run."""

from __future__ import annotations

import hashlib
import shutil
from datetime import date, timedelta

import duckdb
import pytest

from flows.council import record_council
from flows.job import run_job
from flows.validation import validate_batch
from reports.council import council_at, council_of
from schemas.config import ConfigError
from schemas.council import Council
from tests.conftest import SAMPLE_INBOX
from tests.flows.helpers import copy_inbox, query, run

COUNCIL_YAML = """\
name: Northshire County Council
team: Direct Payments Finance Team
address: [County Hall, Market Street, Northshire, NS1 1AA]
phone: 01234 567890
email: directpayments@northshire.example.gov.uk
portal_url: https://evidence.northshire.example.gov.uk
"""


@pytest.fixture
def inbox(tmp_path):
    return copy_inbox(SAMPLE_INBOX, tmp_path / "inbox")


def sha(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_the_run_keeps_council_yaml_in_the_warehouse_and_logs_the_file(inbox, tmp_path):
    (inbox / "register" / "council.yaml").write_text(COUNCIL_YAML, encoding="utf-8")
    wh = tmp_path / "warehouse.duckdb"
    run(inbox, wh)
    with duckdb.connect(str(wh), read_only=True) as con:
        council = council_of(con)
        view = con.execute("SELECT name, team, address, phone, email, portal_url, source_path "
                           "FROM audit.council").fetchall()
    assert council.name == "Northshire County Council" and council.phone == "01234 567890"
    assert council.address == ["County Hall", "Market Street", "Northshire", "NS1 1AA"]
    assert view == [("Northshire County Council", "Direct Payments Finance Team",
                     "County Hall\nMarket Street\nNorthshire\nNS1 1AA", "01234 567890",
                     "directpayments@northshire.example.gov.uk", "https://evidence.northshire.example.gov.uk",
                     "register/council.yaml")]
    # the file is accounted for, not quarantined as something dprecon does not read
    assert query(wh, "SELECT status, reason FROM audit.ingest_log WHERE path = 'register/council.yaml'") == [
        ("accepted", None)]


def test_without_council_yaml_the_name_given_to_the_run_applies(inbox, tmp_path):
    wh = tmp_path / "warehouse.duckdb"
    run_job(inbox, wh, tmp_path / "reports", date(2025, 6, 30), validate=validate_batch, workers=1,
            council="Eastmoor Borough Council")  # e.g. the name in a councils file
    with duckdb.connect(str(wh), read_only=True) as con:
        assert council_of(con) == Council(name="Eastmoor Borough Council")
    assert query(wh, "SELECT name, source_path FROM audit.council") == [("Eastmoor Borough Council", None)]


def test_a_council_yaml_that_cannot_be_used_stops_the_run_naming_the_key_and_changes_nothing(inbox, tmp_path):
    wh = tmp_path / "warehouse.duckdb"
    run(inbox, wh)
    before = sha(wh)
    reports_before = sorted(p.name for p in (tmp_path / "reports").iterdir())
    (inbox / "register" / "council.yaml").write_text("name: Northshire\nphnoe: 01234 567890\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"register/council.yaml: unknown key 'phnoe'"):
        run(inbox, wh)
    assert sha(wh) == before
    assert sorted(p.name for p in (tmp_path / "reports").iterdir()) == reports_before
    assert not wh.with_name(wh.name + ".next").exists()


def test_an_older_warehouse_without_the_table_gives_the_defaults(tmp_path):
    wh = tmp_path / "old.duckdb"
    with duckdb.connect(str(wh)) as con:
        con.execute("CREATE SCHEMA audit")
        assert council_of(con) == Council()
        assert council_of(con, Council(name="Eastmoor Borough Council")).name == "Eastmoor Borough Council"
    assert council_at(tmp_path / "not-yet.duckdb", "Eastmoor Borough Council").name == "Eastmoor Borough Council"
    assert council_at(tmp_path / "not-yet.duckdb") == Council() and not (tmp_path / "not-yet.duckdb").exists()


def test_period_close_prints_the_warehouses_council_and_judges_on_its_run(sim_council, tmp_path):
    """Letters issued after the run: dated that day, "overdue" judged on the run's as-of date."""
    from flows.period_close import issue_returns

    wh = tmp_path / "warehouse.duckdb"
    shutil.copyfile(sim_council["warehouse"], wh)
    run_day = sim_council["as_of"]
    with duckdb.connect(str(wh)) as con:
        record_council(con, Council(name="Northshire County Council", phone="01234 567890",
                                    portal_url="https://evidence.northshire.example.gov.uk"), tmp_path)
        due_on_run_day = not_yet_due(con, run_day)
    issued_on = due_on_run_day[2] + timedelta(days=1)  # past due by the calendar, not by the run's figures
    result = issue_returns(wh, tmp_path / "reports", issued_on, council="Fallback Council",
                           portal_address="https://fallback.example")
    assert result["issued"] > 0
    folder = tmp_path / "reports" / "issued" / issued_on.isoformat() / "returns"
    page = (folder / f"{due_on_run_day[0]}_{due_on_run_day[1].isoformat()}.html").read_text(encoding="utf-8")
    assert "Northshire County Council" in page and "Fallback Council" not in page and "01234 567890" in page
    assert '<dd id="portal-address">https://evidence.northshire.example.gov.uk</dd>' in page
    assert f"<dt>Date of this letter</dt><dd>{issued_on.day} " in page
    assert "this date has passed" not in page  # not yet due on the run's day, whatever the day of issue


def not_yet_due(con, run_day):
    """A return not received and not yet due on the run's day: the simulated council's own if it has
    one, else its first unreceived return made due ten days after the run (the simulator's timing
    changes with its problems; this test is about judging from the run's date)."""
    found = con.execute("SELECT budget_id, period_start, due_date FROM audit.evidence_returns "
                        "WHERE received_at IS NULL AND due_date >= ? ORDER BY 1, 2 LIMIT 1", [run_day]).fetchone()
    if found:
        return found
    budget, period = con.execute("SELECT budget_id, period_start FROM core.evidence_returns "
                                 "WHERE received_at IS NULL ORDER BY 1, 2 LIMIT 1").fetchone()
    due = run_day + timedelta(days=10)
    con.execute("UPDATE core.evidence_returns SET due_date = ?, eligibility_status = 'ok' "
                "WHERE budget_id = ? AND period_start = ?", [due, budget, period])
    return budget, period, due
