"""On a simulated council: every recovery's status and sum repaid match the simulation's truth, the
audit plan puts every budget not yet audited inside its first-audit window, and the officers' report
shows both (HTML and XLSX)."""

from __future__ import annotations

from datetime import date, timedelta

import duckdb
import polars as pl
import pytest

from flows.followup import refresh
from flows.job import run_job
from flows.notices import issue_notices
from flows.simulate import apply_officer_decisions, write_simulation
from flows.validation import validate_batch
from pipelines.accuracy import recovery_accuracy
from pipelines.simulate import SimParams
from schemas.council import Council, CouncilBank
from tests.flows.helpers import query

COUNCIL = Council(name="Northshire County Council",
                  bank=CouncilBank(account_name="Northshire CC Income", sort_code="200000", account_number="12345678"))


@pytest.fixture(scope="module")
def council(tmp_path_factory):
    work = tmp_path_factory.mktemp("recovery-loop")
    inbox, wh = work / "inbox", work / "warehouse.duckdb"
    summary = write_simulation(inbox, SimParams(accounts=120, months=12, seed=5))
    as_of = date.fromisoformat(summary["as_of"])
    run_job(inbox, wh, work / "reports", as_of, validate=validate_batch, workers=1)
    applied = apply_officer_decisions(inbox, wh)
    refresh(wh)
    return {"inbox": inbox, "warehouse": wh, "reports": work / "reports", "as_of": as_of, "summary": summary,
            "applied": applied}


def got_recoveries(wh) -> pl.DataFrame:
    with duckdb.connect(str(wh), read_only=True) as con:
        return pl.from_arrow(con.sql("SELECT r.*, e.rule_code, e.period_start FROM audit.recoveries r "
                                     "JOIN audit.exceptions e USING (exception_id)").to_arrow_table())


def test_every_recovery_status_and_sum_repaid_matches_the_truth(council):
    expected = pl.read_csv(council["inbox"] / "expected_recoveries.csv", infer_schema=False)
    got = got_recoveries(council["warehouse"])
    assert council["applied"]["unmatched"] == 0
    # the simulation plays every path: repaid, part, not at all, written off; repay and reduced payments
    assert {"repaid", "part_repaid", "notified", "written_off"} <= set(expected["status"])
    assert set(expected["method"]) == {"repay", "reduce_payments"}
    n = expected.height
    assert n >= 10
    assert recovery_accuracy(expected, got) == {"recoveries": n, "found": n, "status_right": n, "repaid_right": n,
                                                "extra": 0}


def test_applying_the_decisions_again_changes_nothing(council):
    before = got_recoveries(council["warehouse"])
    again = apply_officer_decisions(council["inbox"], council["warehouse"])
    assert again["recorded"] == 0 and again["already"] == council["applied"]["recorded"]
    refresh(council["warehouse"])
    assert got_recoveries(council["warehouse"]).equals(before)


def test_every_budget_not_yet_audited_has_its_first_audit_in_the_6_to_12_week_window(council):
    rows = query(council["warehouse"], """SELECT p.budget_id, b.start_date, b.end_date, p.next_audit_due,
        p.last_audit, p.tier FROM audit.audit_plan p JOIN audit.budgets b USING (budget_id)""")
    assert len(rows) == query(council["warehouse"], "SELECT count(DISTINCT budget_id) FROM audit.budgets")[0][0]
    live = [r for r in rows if r[2] >= council["as_of"]]
    assert live and all(r[4] is None for r in rows)  # nobody audited yet in a simulation
    for budget_id, start, _end, due, _last, _tier in live:
        assert start + timedelta(weeks=6) <= due <= start + timedelta(weeks=12), budget_id
    assert {r[5] for r in live} >= {"light touch", "standard"}
    ended = [r for r in rows if r[2] < council["as_of"]]
    assert all(r[3] is None for r in ended)


def test_the_officers_report_shows_audits_due_and_recoveries_with_totals(council, tmp_path):
    from openpyxl import load_workbook

    from reports.exceptions.render import render

    with duckdb.connect(str(council["warehouse"]), read_only=True) as con:
        render(con, tmp_path, council["as_of"], "Northshire")
    page = (tmp_path / "exceptions.html").read_text(encoding="utf-8")
    assert 'id="audits-due"' in page and 'id="recovery-table"' in page
    got = got_recoveries(council["warehouse"])
    for rid in got["recovery_id"]:
        assert rid in page
    repaid = sum(got["repaid"].to_list())
    assert f"£{repaid:,.2f}" in page
    book = load_workbook(tmp_path / "exceptions.xlsx", read_only=True)
    assert {"Audits due", "Recoveries"} <= set(book.sheetnames)
    sheet = list(book["Recoveries"].iter_rows(values_only=True))
    assert sheet[0][:3] == ("recovery_id", "budget_id", "holder_name") and len(sheet) == got.height + 1


def test_notices_for_the_open_recoveries_once(council, tmp_path):
    import shutil

    wh = tmp_path / "warehouse.duckdb"
    shutil.copy(council["warehouse"], wh)
    shutil.copy(council["warehouse"].with_name("reviews.jsonl"), wh.with_name("reviews.jsonl"))
    open_ = query(wh, "SELECT recovery_id, amount - repaid FROM audit.recoveries "
                      "WHERE status IN ('notified', 'part_repaid')")
    result = issue_notices(wh, tmp_path / "reports", council["as_of"], council=COUNCIL)
    assert result["issued"] == len(open_) > 0
    for rid, left in open_:
        page = next((tmp_path / "reports").rglob(f"{rid}.html")).read_text(encoding="utf-8")
        assert f"£{left:,.2f}" in page
    assert issue_notices(wh, tmp_path / "reports", council["as_of"], council=COUNCIL)["issued"] == 0
