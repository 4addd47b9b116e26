"""The nightly job without Prefect: ingest, quarantine, idempotence, versions."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from flows.warehouse import WarehouseBusy, exclusive
from tests.conftest import SAMPLE_INBOX
from tests.flows.helpers import copy_inbox, dump_views, query, run


@pytest.fixture()
def inbox(tmp_path: Path) -> Path:
    return copy_inbox(SAMPLE_INBOX, tmp_path / "inbox")


def test_every_file_is_logged_with_a_status_and_bad_input_has_a_reason(inbox, tmp_path):
    wh = tmp_path / "w.duckdb"
    run(inbox, wh)
    log = {r[0]: r[1:] for r in query(wh, "SELECT path, status, reason, rows_loaded, rows_quarantined FROM audit.ingest_log")}
    on_disk = sorted(p.relative_to(inbox).as_posix() for p in inbox.rglob("*")
                     if p.is_file() and not (p.parent.name.startswith("B0") and p.name != "manifest.csv"))
    assert sorted(log) == on_disk
    assert log["statements/notes.txt"][0] == "quarantined"
    assert "does not read" in log["statements/notes.txt"][1]
    # the two identical card feeds: one accepted, the other a duplicate of it
    statuses = sorted([log["statements/cards-2025-04.csv"][0], log["statements/cards-2025-04-copy.csv"][0]])
    assert statuses == ["accepted", "duplicate"]
    budgets = log["register/budgets.csv"]
    assert budgets[0] == "accepted" and budgets[2] == 2 and budgets[3] == 1
    reasons = query(wh, "SELECT path, line, reason FROM audit.quarantine WHERE path = 'register/budgets.csv'")
    assert reasons == [("register/budgets.csv", 4, reasons[0][2])]
    assert "start date" in reasons[0][2] and "2025-13-01" in reasons[0][2]


def test_no_row_vanishes(inbox, tmp_path):
    """Rows loaded + rows set aside = rows in the file, for every accepted file."""
    wh = tmp_path / "w.duckdb"
    run(inbox, wh)
    for path, loaded, quarantined in query(
        wh, "SELECT path, rows_loaded, rows_quarantined FROM audit.ingest_log WHERE status = 'accepted' AND path LIKE '%.csv'"
    ):
        lines = [x for x in (inbox / path).read_text(encoding="utf-8", errors="replace").splitlines()[1:] if x.strip()]
        assert loaded + quarantined == len(lines), path


def test_second_run_changes_nothing(inbox, tmp_path):
    wh = tmp_path / "w.duckdb"
    run(inbox, wh)
    first = dump_views(wh)
    result = run(inbox, wh)
    assert result["ingest"]["accepted"] == 0 and result["ingest"]["rows_loaded"] == 0
    assert dump_views(wh) == first
    assert len(query(wh, "SELECT * FROM audit.runs")) == 2


def test_overlapping_statement_is_not_double_counted(inbox, tmp_path):
    wh = tmp_path / "w.duckdb"
    run(inbox, wh)
    before = query(wh, "SELECT count(*), sum(amount) FROM audit.transactions")[0]
    src = (inbox / "statements/cards-2025-04.csv").read_text()
    # a re-download covering the same days plus one new line
    (inbox / "statements/cards-2025-04-redownload.csv").write_text(
        src + "PC0000000001,2025-04-20,C TAYLOR WAGES,-150.00,,T0099,\n")
    run(inbox, wh)
    after = query(wh, "SELECT count(*), sum(amount) FROM audit.transactions")[0]
    assert after[0] == before[0] + 1
    assert after[1] == before[1] - 150
    new = query(wh, "SELECT rows_loaded, rows_new FROM audit.ingest_log WHERE path LIKE '%redownload%'")
    assert new == [(before[0] + 1, 1)]
    lineage = query(wh, "SELECT source_path, source_line FROM audit.transactions WHERE transaction_id = 'T0002'")
    assert lineage[0][0] in ("statements/cards-2025-04.csv", "statements/cards-2025-04-copy.csv")
    assert lineage[0][1] == 3


def test_invoice_resent_with_other_content_is_a_new_version(inbox, tmp_path):
    wh = tmp_path / "w.duckdb"
    run(inbox, wh)
    original = (inbox / "invoices/sunny-days.csv").read_text()
    (inbox / "invoices/sunny-days-resent.csv").write_text(original)
    (inbox / "invoices/sunny-days-corrected.csv").write_text(original.replace("440.00", "400.00").replace("110.00", "100.00"))
    run(inbox, wh)
    assert query(wh, "SELECT invoice_id, amount, version FROM audit.invoices") == [("INV-0001", 400, 2)]
    assert query(wh, "SELECT count(*) FROM land.invoice_lines") == [(2,)]


def test_a_second_writer_is_refused(tmp_path):
    wh = tmp_path / "w.duckdb"
    with exclusive(wh), pytest.raises(WarehouseBusy, match="another dprecon run"):
        with exclusive(wh):
            pass


def test_a_quiet_night_recomputes_nothing_but_a_new_day_or_decision_does(inbox, tmp_path):
    from flows.job import run_job
    from flows.validation import validate_batch
    from stores.reviews import append as add_review

    wh = tmp_path / "w.duckdb"
    run(inbox, wh)
    first = dump_views(wh)

    def night(as_of):
        stages = []
        run_job(inbox, wh, tmp_path / "reports", as_of, validate=validate_batch, workers=1,
                step=lambda name, fn, *a: stages.append(name) or fn(*a))
        return stages

    assert night(date(2025, 6, 30)) == ["ingest"]  # same day, nothing new: reports already there
    assert {k: v for k, v in dump_views(wh).items() if k != "ingest_log"} == {
        k: v for k, v in first.items() if k != "ingest_log"}
    assert len(query(wh, "SELECT * FROM audit.runs")) == 2
    exception_id = query(wh, "SELECT exception_id FROM audit.exceptions LIMIT 1")[0][0]
    add_review(wh, exception_id, "jsmith", "dismissed", "checked with the family", None)
    assert "reconcile" in night(date(2025, 6, 30))  # a decision since the last run
    assert night(date(2025, 6, 30)) == ["ingest"]
    assert "reconcile" in night(date(2025, 7, 1))  # a new day moves what is due
