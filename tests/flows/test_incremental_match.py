"""A night that only brings statement files at the same date matches again only the
accounts they name (flows/reconcile._match, pipelines/incremental.py), and leaves
every core table and audit view as a run from scratch over the same files would.
Any other new file (here the register) makes the night match every account, and
so does a release since the books were written (land.runs.code_version,
flows/version.py): another code version, or a warehouse from before it was kept.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import duckdb
import pytest

from flows import job as job_mod
from flows import reconcile as reconcile_mod
from flows import version
from pipelines import incremental
from schemas.warehouse import CORE
from tests.flows.helpers import HELD, night
from tests.flows.test_normal_night import books


def core_tables(home: Path, ordered: bool = False) -> dict[str, list[tuple]]:
    """Every core table's rows, in the order stored (``ordered``: sorted, for a warehouse
    whose files arrived in another order, as a run from scratch's did)."""
    with duckdb.connect(str(home / "w.duckdb"), read_only=True) as con:
        rows = {name: con.execute(f"SELECT * FROM core.{name}").fetchall() for name in CORE}  # noqa: S608
    return {name: sorted(r, key=repr) for name, r in rows.items()} if ordered else rows


@pytest.fixture
def council(incremental_council) -> dict:
    return incremental_council


@pytest.fixture
def matched(monkeypatch) -> list[tuple[int, int]]:
    """(transactions, invoices) of each call of the matcher from now on."""
    calls: list[tuple[int, int]] = []
    real = reconcile_mod.match_within_accounts

    def spy(txns, invoices, *args, **kw):
        calls.append((txns.height, invoices.height))
        return real(txns, invoices, *args, **kw)

    monkeypatch.setattr(reconcile_mod, "match_within_accounts", spy)
    return calls


def calls_of(monkeypatch, name: str, size: Callable) -> list[int]:
    """``size`` of the first argument of each call of flows.reconcile's ``name`` from now on."""
    calls: list[int] = []
    real = getattr(reconcile_mod, name)

    def spy(first, *args, **kw):
        calls.append(size(first))
        return real(first, *args, **kw)

    monkeypatch.setattr(reconcile_mod, name, spy)
    return calls


@pytest.fixture
def judged(monkeypatch) -> list[int]:
    """How many budgets each call of the rules judged from now on."""
    return calls_of(monkeypatch, "judge", lambda books: books.budgets.height)


@pytest.fixture
def categorised(monkeypatch) -> list[int]:
    """How many transactions each call of categorise read from now on."""
    return calls_of(monkeypatch, "categorise", lambda txns: txns.height)


@pytest.fixture
def positioned(monkeypatch) -> list[int]:
    """How many budgets each working-out of positions covered from now on (all, or the changed accounts')."""
    calls: list[int] = []
    real = reconcile_mod.budget_positions

    def spy(budgets, *args, **kw):
        calls.append(budgets.height)
        return real(budgets, *args, **kw)

    monkeypatch.setattr(reconcile_mod, "budget_positions", spy)
    monkeypatch.setattr(incremental, "budget_positions", spy)
    return calls


@pytest.fixture
def placed(monkeypatch) -> list[bool]:
    """Whether each splice of classes or categories from now on found the rows where last night left them."""
    calls: list[bool] = []
    real = incremental._by_place

    def spy(*args):
        at = real(*args)
        calls.append(at is not None)
        return at

    monkeypatch.setattr(incremental, "_by_place", spy)
    return calls


@pytest.fixture
def written_in_part(monkeypatch) -> list[tuple[int, int]]:
    """(rows set in place, rows added) of each write of core.transactions in part from now on."""
    calls: list[tuple[int, int]] = []
    real = incremental.rows_in_place

    def spy(*args):
        part = real(*args)
        if part is not None:
            calls.append((part[0].height, part[1].height))
        return part

    monkeypatch.setattr(incremental, "rows_in_place", spy)
    return calls


def test_statements_alone_rematch_their_accounts_and_leave_the_books_a_full_run_leaves(council, matched, judged,
                                                                                        categorised, positioned,
                                                                                        written_in_part, placed,
                                                                                        monkeypatch):
    home, full = council["work"] / "statements-only", council["work"] / "statements-only-full"
    shutil.copytree(council["year"], home)
    shutil.copytree(council["year"], full)
    assert night(council["inbox"], home, council["as_of"])["ingest"]["accepted"] == HELD
    with monkeypatch.context() as m:  # the same night, every account matched, categorised and judged
        m.setattr(reconcile_mod, "new_statement_accounts", lambda con, as_of: None)
        night(council["inbox"], full, council["as_of"])
    budgets, every = len(core_tables(full)["budgets"]), len(core_tables(full)["transactions"])
    assert 0 < judged[0] < budgets / 2 and judged[1] == budgets  # the rules judged only the named accounts' budgets
    assert 0 < categorised[0] < every / 2 and categorised[1] == every
    assert 0 < positioned[0] < budgets / 2 and positioned[1] == budgets
    # core.transactions changed in part: the named accounts' rows set where they stand, the new ones added
    (in_place, added), = written_in_part
    assert placed == [True, True]  # classes and categories spliced by place, not joined over every transaction
    assert 0 < in_place < every / 2 and 0 < added < every / 10
    scratch = council["scratch"]
    with duckdb.connect(str(scratch / "w.duckdb"), read_only=True) as con:
        every = con.execute("SELECT count(*) FROM core.transactions").fetchall()[0][0]
        paid = con.execute("SELECT count(*) FROM core.matches").fetchall()[0][0]
    assert 0 < matched[0][0] < every / 2  # only the named accounts matched again
    assert matched[0][1] > 0 and paid > 0 and matched[1] == (every, matched[1][1])
    assert core_tables(home) == core_tables(full)
    assert books(home) == books(full)
    # from scratch, in the order its files came; the exceptions' history is of one night there, of two
    # here (an exception the year's night raised and tonight's files answer stays, answered)
    assert ({k: v for k, v in core_tables(home, ordered=True).items() if k != "exceptions"}
            == {k: v for k, v in core_tables(scratch, ordered=True).items() if k != "exceptions"})
    assert ({k: v for k, v in books(home).items() if k != "exceptions"}
            == {k: v for k, v in books(scratch).items() if k != "exceptions"})


def test_findings_that_cannot_be_kept_have_every_budget_judged_with_every_payee_pattern(council, judged,
                                                                                        categorised, monkeypatch):
    """Should the last run's findings turn out unusable once the books are built (a finding naming
    no budget), every budget is judged, the payee patterns categorise left out worked out first."""
    home = council["work"] / "unkept-findings"
    shutil.copytree(council["year"], home)
    monkeypatch.setattr(incremental, "splice_judged", lambda *args: None)
    night(council["inbox"], home, council["as_of"])
    budgets, every = len(core_tables(home)["budgets"]), len(core_tables(home)["transactions"])
    assert categorised[0] < every / 2  # categorised narrowed, then
    assert judged[-1] == budgets  # every budget judged
    assert ({k: v for k, v in core_tables(home, ordered=True).items() if k != "exceptions"}
            == {k: v for k, v in core_tables(council["scratch"], ordered=True).items() if k != "exceptions"})


def test_positions_that_cannot_be_kept_are_worked_out_for_every_budget(council, positioned, monkeypatch):
    """Should last night's positions not fit tonight's periods, every budget's are worked out,
    from what every account's statements say (the ledger said only the named accounts')."""
    home = council["work"] / "unkept-positions"
    shutil.copytree(council["year"], home)
    monkeypatch.setattr(incremental, "splice_positions", lambda *args: None)
    openings: list[set[str]] = []
    real = reconcile_mod.budget_positions

    def spy(budgets, periods, txns, invoices, matches, opening):
        openings.append(set(opening))
        return real(budgets, periods, txns, invoices, matches, opening)

    monkeypatch.setattr(reconcile_mod, "budget_positions", spy)
    night(council["inbox"], home, council["as_of"])
    budgets = len(core_tables(home)["budgets"])
    assert positioned[0] < budgets and len(openings) == 1
    with duckdb.connect(str(home / "w.duckdb"), read_only=True) as con:  # every account's opening, not the named ones'
        assert openings[0] == set(reconcile_mod.whole_statements_say(con).opening) != set()
    assert ({k: v for k, v in core_tables(home, ordered=True).items() if k != "exceptions"}
            == {k: v for k, v in core_tables(council["scratch"], ordered=True).items() if k != "exceptions"})


def test_a_night_after_a_release_without_the_raised_table_judges_every_budget(council, judged):
    home = council["work"] / "no-raised"
    shutil.copytree(council["year"], home)
    with duckdb.connect(str(home / "w.duckdb")) as con:  # as a release before core.raised left it
        con.execute("DROP TABLE core.raised")
    night(council["inbox"], home, council["as_of"])
    assert judged == [len(core_tables(home)["budgets"])]
    assert ({k: v for k, v in core_tables(home, ordered=True).items() if k != "exceptions"}
            == {k: v for k, v in core_tables(council["scratch"], ordered=True).items() if k != "exceptions"})


def test_a_new_register_matches_every_account(council, matched):
    home = council["work"] / "new-register"
    shutil.copytree(council["year"], home)
    inbox = council["work"] / "inbox-new-register"
    shutil.copytree(council["inbox"], inbox)
    budgets = inbox / "register" / "budgets.csv"
    budgets.write_text(budgets.read_text() + "\n")  # the same rows, a new file
    night(inbox, home, council["as_of"])
    with duckdb.connect(str(home / "w.duckdb"), read_only=True) as con:
        every = con.execute("SELECT count(*) FROM core.transactions").fetchall()[0][0]
    assert matched == [(every, matched[0][1])]
    assert (core_tables(home, ordered=True)["matches"], core_tables(home, ordered=True)["invoices"]) == (
        core_tables(council["scratch"], ordered=True)["matches"], core_tables(council["scratch"], ordered=True)["invoices"])


@pytest.mark.parametrize("files", ["statements", "nothing new"])
def test_a_new_day_matches_only_the_named_accounts_and_judges_every_budget(council, matched, judged, monkeypatch,
                                                                            files):
    """Matching does not depend on the date, the rules do: on the next day the statements'
    accounts alone are matched again (none when nothing came), every budget is judged, and
    the books are those of a night that matched every account."""
    home, full = council["work"] / f"new-day-{files}", council["work"] / f"new-day-{files}-full"
    shutil.copytree(council["year"], home)
    shutil.copytree(council["year"], full)
    inbox = council["inbox"]
    if files == "nothing new":
        inbox = council["work"] / "inbox-as-the-year-new-day"
        shutil.copytree(council["inbox"], inbox)
        for p in council["held"].rglob("*"):
            if p.is_file():
                (inbox / p.relative_to(council["held"])).unlink()
    day = council["as_of"] + timedelta(days=1)
    night(inbox, home, day)
    with monkeypatch.context() as m:
        m.setattr(reconcile_mod, "new_statement_accounts", lambda con, as_of: None)
        night(inbox, full, day)
    every, budgets = len(core_tables(full)["transactions"]), len(core_tables(full)["budgets"])
    if files == "nothing new":
        assert matched[0][0] == 0
    else:
        assert 0 < matched[0][0] < every / 2
    assert matched[1][0] == every
    assert judged == [budgets, budgets]
    assert core_tables(home) == core_tables(full)
    assert books(home) == books(full)


def recorded_versions(home: Path) -> list[str | None]:
    with duckdb.connect(str(home / "w.duckdb"), read_only=True) as con:
        return [r[0] for r in con.execute("SELECT code_version FROM land.runs ORDER BY finished_at").fetchall()]


def every_transaction(home: Path) -> int:
    with duckdb.connect(str(home / "w.duckdb"), read_only=True) as con:
        return con.execute("SELECT count(*) FROM core.transactions").fetchall()[0][0]


def test_each_run_records_the_code_that_wrote_its_books(council):
    assert recorded_versions(council["year"]) == [version.code_version()]
    assert version.code_version() is not None and len(version.code_version()) == 64


def test_a_release_since_the_last_run_matches_every_account(council, matched, monkeypatch):
    home = council["work"] / "release"
    shutil.copytree(council["year"], home)
    monkeypatch.setattr(version, "code_version", lambda: "another release")
    assert night(council["inbox"], home, council["as_of"])["ingest"]["accepted"] == HELD
    assert matched == [(every_transaction(home), matched[0][1])]  # one matcher call, every account
    assert recorded_versions(home) == [recorded_versions(council["year"])[0], "another release"]
    assert ({k: v for k, v in core_tables(home, ordered=True).items() if k != "exceptions"}
            == {k: v for k, v in core_tables(council["scratch"], ordered=True).items() if k != "exceptions"})


def test_a_warehouse_from_before_the_version_was_kept_gains_the_column_and_matches_every_account(council, matched):
    home = council["work"] / "old-warehouse"
    shutil.copytree(council["year"], home)
    with duckdb.connect(str(home / "w.duckdb")) as con:  # land.runs as an older release created it
        con.execute("DROP VIEW audit.runs")
        con.execute("ALTER TABLE land.runs DROP COLUMN code_version")
    night(council["inbox"], home, council["as_of"])
    assert matched == [(every_transaction(home), matched[0][1])]
    assert recorded_versions(home) == [None, version.code_version()]  # the old row empty, tonight's kept
    # and the next same-date night, with the version now recorded, is narrowed again
    statement = next(p for p in council["held"].rglob("statement_*") if p.is_file())
    again = council["work"] / "inbox-again"
    shutil.copytree(council["inbox"], again)
    extra = again / statement.relative_to(council["held"])
    extra.write_bytes(extra.read_bytes() + b"\n")  # the same statement, a new file
    night(again, home, council["as_of"])
    assert len(matched) == 2 and matched[1][0] < every_transaction(home) / 2


def test_a_release_since_the_last_run_makes_a_night_with_nothing_new_rebuild_the_books(council, matched, monkeypatch):
    home = council["work"] / "quiet-then-release"
    shutil.copytree(council["year"], home)
    as_the_year = council["work"] / "inbox-as-the-year"  # the inbox the year's night read
    shutil.copytree(council["inbox"], as_the_year)
    for p in council["held"].rglob("*"):
        if p.is_file():
            (as_the_year / p.relative_to(council["held"])).unlink()
    first = recorded_versions(council["year"])[0]
    night(as_the_year, home, council["as_of"])  # the same release, nothing new: quiet, nothing recomputed
    assert matched == []
    assert recorded_versions(home) == [first, first]
    monkeypatch.setattr(version, "code_version", lambda: "another release")
    night(as_the_year, home, council["as_of"])  # nothing new, but the books were written by the old release
    assert matched == [(every_transaction(home), matched[0][1])]
    assert recorded_versions(home) == [first, first, "another release"]
    look = (as_the_year, home / "w.duckdb", home / "reports", council["as_of"])
    assert job_mod.nothing_to_read(*look)  # the quiet night's first look: nothing new for this release
    monkeypatch.setattr(version, "code_version", lambda: "a third release")
    with pytest.raises(job_mod.SomethingNew):  # but for another, the books must be rebuilt
        job_mod.nothing_to_read(*look)


@pytest.mark.parametrize(("kind", "status"), [("evidence_manifest", "accepted"), ("invoice_csv", "accepted"),
                                              ("policy", "accepted"), ("statement_ofx", "quarantined")])
def test_any_other_file_since_the_last_run_matches_and_judges_every_account(council, tmp_path, kind, status):
    """Evidence the intake took in since the last run (it rewrites findings, not core.raised), an
    invoice, a policy, a quarantined statement: every account matched, every budget judged."""
    shutil.copy(council["year"] / "w.duckdb", tmp_path / "w.duckdb")
    with duckdb.connect(str(tmp_path / "w.duckdb")) as con:
        assert reconcile_mod.new_statement_accounts(con, council["as_of"]) == set()  # nothing since
        con.execute("""INSERT INTO land.ingest_log (file_id, path, sha256, kind, status, rows_loaded,
                       rows_quarantined, rows_new, run_id, seen_at, seq)
                       SELECT 'F-since', 'since/file', 'x', ?, ?, 0, 0, 0, 'r', now(), max(seq) + 1
                       FROM land.ingest_log""", [kind, status])
        assert reconcile_mod.new_statement_accounts(con, council["as_of"]) is None
