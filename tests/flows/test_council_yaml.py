"""register/council.yaml end to end: the nightly run stores it, letters print it, a bad one stops the run."""

from __future__ import annotations

import hashlib
from datetime import date

import duckdb
import pytest

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
