"""Period close killed at any point, or out of disk, issues nothing twice and never invalidates a code
printed on a letter already in the post room (issue 16, finding 1).

Before: kill -9 part-way left 77 codes replaced, 69 letters in the post room and an empty ledger; the next
close issued all 77 again with new codes, so the first 69 letters' codes no longer worked.
"""

from __future__ import annotations

import json
import re
import shutil
from datetime import date
from pathlib import Path

import pytest

from flows.period_close import issue_returns, journal_path, ledger_path
from stores.codes import check_sign_in, state_folder
from tests.flows.helpers import query
from tests.reliability import child
from tests.reliability.close_child import POINTS, start

CODE = re.compile(r'id="access-code">([^<]+)<')


@pytest.fixture
def council(sim_council, tmp_path) -> dict:
    wh = tmp_path / "data" / "warehouse.duckdb"
    wh.parent.mkdir()
    shutil.copyfile(sim_council["warehouse"], wh)
    due = query(wh, "SELECT budget_id, period_start FROM audit.evidence_returns WHERE received_at IS NULL "
                    f"AND period_end < DATE '{sim_council['as_of']}' ORDER BY 1, 2")
    assert len(due) >= 3
    return {"warehouse": wh, "reports": tmp_path / "reports", "as_of": sim_council["as_of"], "due": due}


def letters(reports: Path) -> dict[str, bytes]:
    """Every letter in the post room's folders, by file name, with its bytes (each name must appear once)."""
    found: dict[str, bytes] = {}
    for path in sorted((reports / "issued").glob("*/returns/*")):
        if path.parent.parent.name.startswith("."):
            continue  # a hidden staging folder: not in the post room
        assert path.name not in found, f"{path.name} issued twice"
        found[path.name] = path.read_bytes()
    return found


def assert_issued_once_with_working_codes(council: dict) -> None:
    wh, reports = council["warehouse"], council["reports"]
    ledger = [json.loads(line) for line in ledger_path(wh).read_text().splitlines()]
    keys = [(r["budget_id"], date.fromisoformat(r["period_start"])) for r in ledger]
    assert sorted(keys) == sorted(council["due"]) and len(set(keys)) == len(keys)  # each once
    posted = letters(reports)
    assert sorted(n for n in posted if n.endswith(".html")) == sorted(f"{b}_{p}.html" for b, p in council["due"])
    assert len(posted) == 2 * len(council["due"])
    for name, body in posted.items():
        if name.endswith(".html"):
            budget, period = name.removesuffix(".html").rsplit("_", 1)
            code = CODE.search(body.decode()).group(1)
            signed = check_sign_in(state_folder(wh), budget, code, f"test-{name}")
            assert (signed.outcome, signed.period_start) == ("ok", date.fromisoformat(period)), name
    assert not journal_path(wh).exists()
    assert not list((reports / "issued").glob(".*")), "a hidden staging folder was left"


@pytest.mark.parametrize("point", POINTS)
def test_kill_9_during_period_close_then_the_next_close_issues_nothing_twice(council, tmp_path, point):
    wh, reports, as_of = council["warehouse"], council["reports"], council["as_of"].isoformat()
    marker, release = tmp_path / "paused", tmp_path / "release"
    proc = start(warehouse=wh, reports=reports, as_of=as_of, pause=point, marker=marker, release=release)
    child.wait_for(marker, proc)
    child.kill(proc)
    in_post_room = letters(reports)  # what the post room may already have printed and posted

    again = issue_returns(wh, reports, council["as_of"], "Demo Council")
    assert again["issued"] == (len(council["due"]) if point == "staged" else 0), again
    assert_issued_once_with_working_codes(council)
    after = letters(reports)
    assert all(after[name] == body for name, body in in_post_room.items())  # no posted letter was redone
    assert issue_returns(wh, reports, council["as_of"], "Demo Council")["issued"] == 0


def test_a_full_disk_leaves_no_cut_off_letter_and_a_plain_message(council):
    wh, reports = council["warehouse"], council["reports"]
    proc = start(warehouse=wh, reports=reports, as_of=council["as_of"].isoformat(), fsize=3000)
    status, said, traceback = child.finish(proc)
    assert status == 1 and "File too large" in traceback, (said, traceback)
    assert said.startswith("the letters could not be written to") and "the disk is full" in said, said
    assert not (reports / "issued").exists() or not [p for p in (reports / "issued").rglob("*") if p.is_file()]
    assert not ledger_path(wh).exists() and not journal_path(wh).exists()
    assert query(wh, "SELECT 1") == [(1,)]
    state = state_folder(wh) / "portal.sqlite3"
    if state.exists():
        import sqlite3

        assert sqlite3.connect(state).execute("SELECT count(*) FROM codes").fetchone()[0] == 0

    issue_returns(wh, reports, council["as_of"], "Demo Council")  # room again: all of them, once
    assert_issued_once_with_working_codes(council)


def test_a_second_close_the_same_day_adds_its_letters_beside_the_first(council):
    wh, reports, as_of = council["warehouse"], council["reports"], council["as_of"]
    first, rest = council["due"][:1], council["due"][1:]
    ledger_path(wh).write_text("".join(json.dumps({"budget_id": b, "period_start": p.isoformat()}) + "\n"
                                       for b, p in rest))
    assert issue_returns(wh, reports, as_of, "Demo Council")["issued"] == 1
    ledger_path(wh).write_text("\n".join(ledger_path(wh).read_text().splitlines()[len(rest):]) + "\n")
    assert issue_returns(wh, reports, as_of, "Demo Council")["issued"] == len(rest)
    assert_issued_once_with_working_codes(council)
    assert first[0][0] in " ".join(letters(reports))


def test_a_journal_is_finished_whether_the_next_close_names_the_folders_the_same_way_or_not(council, tmp_path):
    """Killed with the reports folder given relatively, finished with it given in full: no letter is lost."""
    wh, as_of = council["warehouse"], council["as_of"]
    marker, release = tmp_path / "paused", tmp_path / "release"
    proc = start(cwd=council["reports"].parent, warehouse=wh, reports=Path("reports"), as_of=as_of.isoformat(),
                 pause="journal", marker=marker, release=release)
    child.wait_for(marker, proc)
    child.kill(proc)
    assert issue_returns(wh, council["reports"].resolve(), as_of, "Demo Council")["issued"] == 0
    assert_issued_once_with_working_codes(council)


def test_a_second_close_at_the_same_time_is_refused_and_issues_nothing(council):
    import fcntl

    from flows.warehouse import WarehouseBusy

    wh, reports, as_of = council["warehouse"], council["reports"], council["as_of"]
    with open(wh.with_name("returns_issued.lock"), "w") as held:  # another close is issuing right now
        fcntl.flock(held, fcntl.LOCK_EX)
        with pytest.raises(WarehouseBusy, match="another period close"):
            issue_returns(wh, reports, as_of, "Demo Council")
    assert not ledger_path(wh).exists() and not journal_path(wh).exists() and not (reports / "issued").exists()
    assert issue_returns(wh, reports, as_of, "Demo Council")["issued"] == len(council["due"])
    assert_issued_once_with_working_codes(council)
