"""The council's own bank layouts (register/profiles/*.toml) are read by the nightly
run: a usable one reads its statements, an unusable one sets them aside naming the
file and the key, and something that is not a regular file there never blocks the run."""

from __future__ import annotations

import os
from decimal import Decimal
from pathlib import Path

import pytest

from tests.conftest import SAMPLE_INBOX
from tests.flows.helpers import copy_inbox, query, run
from tests.pipelines.readers.test_bank_layouts import CARD_PLATFORM

pytestmark = pytest.mark.timeout(180)

# the card layout the bank-layout tests read, with this council's own card account
CARD = CARD_PLATFORM.replace('value = "WCARD-0001"', 'value = "PC0000000001"')
FEED = "Posted,Details,Value,Sign,Ccy\n20250601,GARDEN CENTRE,12.00,-,GBP\n20250602,COUNCIL DP,300.00,+,GBP\n"


@pytest.fixture()
def inbox(tmp_path: Path) -> Path:
    box = copy_inbox(SAMPLE_INBOX, tmp_path / "inbox")
    (box / "register" / "profiles").mkdir()
    (box / "statements" / "card-june.csv").write_text(FEED, encoding="utf-8")
    return box


def test_a_council_profile_reads_its_statements(inbox, tmp_path):
    (inbox / "register" / "profiles" / "card.toml").write_text(CARD, encoding="utf-8")
    wh = tmp_path / "w.duckdb"
    run(inbox, wh)
    assert sorted(query(wh, "SELECT path, status FROM audit.ingest_log WHERE path IN "
                            "('register/profiles/card.toml', 'statements/card-june.csv')")) == [
        ("register/profiles/card.toml", "accepted"), ("statements/card-june.csv", "accepted")]
    assert sorted(query(wh, "SELECT amount FROM audit.transactions WHERE source_path = 'statements/card-june.csv'")) == [
        (Decimal("-12.00"),), (Decimal("300.00"),)]


def test_an_unusable_council_profile_sets_its_statements_aside_naming_file_and_key(inbox, tmp_path):
    (inbox / "register" / "profiles" / "card.toml").write_text(CARD.replace('value = "PC0000000001"', 'value = 7'),
                                                               encoding="utf-8")
    wh = tmp_path / "w.duckdb"
    run(inbox, wh)
    (status, reason), = query(wh, "SELECT status, reason FROM audit.ingest_log WHERE path = 'statements/card-june.csv'")
    assert status == "quarantined" and "register/profiles/card.toml: account.value" in reason
    (pstatus, preason), = query(wh, "SELECT status, reason FROM audit.ingest_log WHERE path = 'register/profiles/card.toml'")
    assert pstatus == "quarantined" and "account.value" in preason


def test_a_fifo_among_the_profiles_does_not_block_the_run(inbox, tmp_path):
    (inbox / "register" / "profiles" / "card.toml").write_text(CARD, encoding="utf-8")
    os.mkfifo(inbox / "register" / "profiles" / "pipe.toml")
    (inbox / "register" / "profiles" / "passwd.toml").symlink_to("/etc/passwd")
    wh = tmp_path / "w.duckdb"
    run(inbox, wh)
    log = dict(query(wh, "SELECT path, status FROM audit.ingest_log WHERE path LIKE 'register/profiles/%'"))
    assert log == {"register/profiles/card.toml": "accepted", "register/profiles/pipe.toml": "quarantined",
                   "register/profiles/passwd.toml": "quarantined"}
    assert query(wh, "SELECT count(*) FROM audit.transactions WHERE source_path = 'statements/card-june.csv'") == [(2,)]
