"""Recovery notices are issued once: not twice across reruns, rebuilt warehouses or killed attempts,
and none is lost. The killed attempts are processes of their own, parked at the notices' pause points
(``DPRECON_PAUSE_AT``) and killed with SIGKILL."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from flows.notices import issue_notices
from schemas.config import ConfigError
from schemas.council import Council, CouncilBank
from stores import notices as ledger
from stores.reviews import append
from tests.conftest import ROOT, SAMPLE_INBOX
from tests.flows.helpers import copy_inbox, query, run
from tests.reliability.child import wait_for

AS_OF = date(2025, 10, 31)
ISSUED_ON = date(2025, 11, 3)
COUNCIL = Council(name="Northshire County Council", team="Direct Payments Finance Team", email="dp@northshire.gov.uk",
                  bank=CouncilBank(account_name="Northshire CC Income", sort_code="200000", account_number="12345678"))
CHILD = """
import sys
from datetime import date
from pathlib import Path
from schemas.council import Council
from flows.notices import issue_notices
issue_notices(Path(sys.argv[1]), Path(sys.argv[2]), date.fromisoformat(sys.argv[3]),
              council=Council.model_validate_json(sys.argv[4]))
"""


@pytest.fixture(scope="module")
def night(tmp_path_factory) -> Path:
    """The sample inbox run once for the module (each test works on its own copy)."""
    work = tmp_path_factory.mktemp("night")
    run(copy_inbox(SAMPLE_INBOX, work / "inbox"), work / "w.duckdb", as_of=AS_OF)
    return work


@pytest.fixture()
def council(night, tmp_path):
    """That night, with an officer's decision to recover £20.00 on its ineligible spending."""
    shutil.copytree(night, tmp_path, dirs_exist_ok=True)
    inbox, wh = tmp_path / "inbox", tmp_path / "w.duckdb"
    xid = query(wh, "SELECT exception_id FROM audit.exceptions WHERE rule_code = 'INELIGIBLE_SPEND'")[0][0]
    append(wh, xid, "jsmith", "recover", "bookmaker", "20.00")
    return inbox, wh, tmp_path / "reports", xid


def published(reports: Path) -> list[str]:
    """Every notice file in place for the post room (hidden staged folders are not)."""
    return sorted(p.relative_to(reports).as_posix() for p in (reports / "issued").rglob("*.pdf")
                  if not any(part.startswith(".") for part in p.relative_to(reports).parts)) \
        if (reports / "issued").exists() else []


def test_a_notice_is_issued_once_across_reruns_and_rebuilds(council):
    inbox, wh, reports, xid = council
    first = issue_notices(wh, reports, ISSUED_ON, council=COUNCIL)
    assert (first["issued"], first["files"]) == (1, 2)
    files = published(reports)
    assert len(files) == 1 and files[0].startswith("issued/2025-11-03/notices/")
    assert query(wh, "SELECT notified_on, due_on, status FROM audit.recoveries") == [
        (ISSUED_ON, date(2025, 12, 1), "notified")]
    assert issue_notices(wh, reports, ISSUED_ON, council=COUNCIL)["issued"] == 0
    assert issue_notices(wh, reports, date(2025, 11, 4), council=COUNCIL)["issued"] == 0
    wh.unlink()  # rebuilt from scratch: the ledger beside it still knows
    run(inbox, wh, as_of=AS_OF)
    assert query(wh, "SELECT notified_on, status FROM audit.recoveries") == [(ISSUED_ON, "notified")]
    assert issue_notices(wh, reports, date(2025, 11, 5), council=COUNCIL)["issued"] == 0
    assert published(reports) == files
    assert [n["recovery_id"] for b in ledger.batches(wh) for n in b["notices"]] == \
        [query(wh, "SELECT recovery_id FROM audit.recoveries")[0][0]]


def test_a_changed_amount_is_a_new_notice_and_a_written_off_recovery_gets_none(council):
    inbox, wh, reports, xid = council
    assert issue_notices(wh, reports, ISSUED_ON, council=COUNCIL)["issued"] == 1
    append(wh, xid, "jsmith", "recover", "agreed after reconsideration", "15.00")
    assert issue_notices(wh, reports, date(2025, 11, 20), council=COUNCIL)["issued"] == 1
    assert query(wh, "SELECT amount, notified_on FROM audit.recoveries")[0][1] == date(2025, 11, 20)
    append(wh, xid, "jsmith", "recover", "changed again", "12.00")
    append(wh, xid, "jsmith", "written_off", "not worth pursuing", None)
    assert issue_notices(wh, reports, date(2025, 11, 21), council=COUNCIL)["issued"] == 0
    assert len(published(reports)) == 2


def test_no_bank_details_means_no_notice_and_the_key_is_named(council):
    inbox, wh, reports, xid = council
    with pytest.raises(ConfigError, match="register/council.yaml: bank"):
        issue_notices(wh, reports, ISSUED_ON, council=Council(name="Northshire"))
    assert ledger.batches(wh) == [] and published(reports) == []
    append(wh, xid, "jsmith", "recover", "by reduced payments", "20.00", method="reduce_payments")
    assert issue_notices(wh, reports, ISSUED_ON, council=Council(name="Northshire"))["issued"] == 1


def test_the_council_comes_from_the_inbox_council_yaml(council):
    inbox, wh, reports, xid = council
    (inbox / "register" / "council.yaml").write_text(
        "name: Westshire Council\nbank: {account_name: Westshire Income, sort_code: 40-11-22, "
        "account_number: '87654321'}\n", encoding="utf-8")
    issue_notices(wh, reports, ISSUED_ON, inbox=inbox)
    page = next((reports / "issued").rglob("*.html")).read_text(encoding="utf-8")
    assert "Westshire Council" in page and "40-11-22" in page and "87654321" in page


def attempt(wh: Path, reports: Path, pause: str, marker: Path) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=str(ROOT), DPRECON_PAUSE_AT=pause, DPRECON_PAUSE_MARKER=str(marker))
    return subprocess.Popen([sys.executable, "-c", CHILD, str(wh), str(reports), ISSUED_ON.isoformat(),
                             COUNCIL.model_dump_json()], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def kill_at(wh: Path, reports: Path, pause: str, tmp_path: Path) -> None:
    marker = tmp_path / f"paused-{pause}"
    proc = attempt(wh, reports, pause, marker)
    try:
        wait_for(marker, proc)
        os.kill(proc.pid, signal.SIGKILL)
        proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()


def test_killed_after_staging_nothing_was_issued_and_the_next_attempt_issues_it_once(council, tmp_path):
    inbox, wh, reports, xid = council
    kill_at(wh, reports, "notices-staged", tmp_path)
    assert ledger.batches(wh) == [] and published(reports) == []
    assert list(reports.rglob(".*.staged"))  # the killed attempt's work, never issued
    again = issue_notices(wh, reports, ISSUED_ON, council=COUNCIL)
    assert again["issued"] == 1
    assert len(published(reports)) == 1 and not list(reports.rglob(".*.staged"))
    assert len(ledger.batches(wh)) == 1


def test_killed_after_recording_the_batch_is_issued_and_the_next_attempt_only_puts_it_in_place(council, tmp_path):
    inbox, wh, reports, xid = council
    kill_at(wh, reports, "notices-committed", tmp_path)
    batches = ledger.batches(wh)
    assert len(batches) == 1 and published(reports) == []
    again = issue_notices(wh, reports, ISSUED_ON, council=COUNCIL)
    assert (again["issued"], again["completed"]) == (0, 1)
    files = published(reports)
    assert len(files) == 1 and batches[0]["batch"] in files[0]
    assert json.dumps(ledger.batches(wh)) == json.dumps(batches)  # nothing recorded twice


def test_a_second_issuer_at_the_same_time_is_refused(council):
    import fcntl

    from flows.warehouse import WarehouseBusy

    inbox, wh, reports, xid = council
    lock = ledger.ledger_path(wh).with_suffix(".lock")
    with open(lock, "w") as held:  # the period-close flow, say, is issuing right now
        fcntl.flock(held, fcntl.LOCK_EX)
        with pytest.raises(WarehouseBusy, match="another process"):
            issue_notices(wh, reports, ISSUED_ON, council=COUNCIL)
    assert ledger.batches(wh) == []
    assert issue_notices(wh, reports, ISSUED_ON, council=COUNCIL)["issued"] == 1
