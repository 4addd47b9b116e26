"""Every route, for each role: what an officer sees and can do, and what an auditor cannot."""

from __future__ import annotations

from decimal import Decimal

import duckdb

from stores import actions, reviews
from stores.codes import issue_code
from tests.web.office.conftest import csrf_of, open_exception


def test_signed_out_every_page_sends_you_to_sign_in(office):
    c = office.client()
    e = open_exception(office.config.warehouse)
    for path in ("/", "/portal", f"/exceptions/{e['exception_id']}", f"/budgets/{e['budget_id']}",
                 f"/budgets/{e['budget_id']}/evidence/0"):
        res = c.get(path)
        assert res.status_code == 303 and res.headers["location"] == "/sign-in", path
    for path in ("/search", f"/exceptions/{e['exception_id']}/decide", "/portal/reissue", "/portal/unlock"):
        assert c.post(path, data={}).status_code in (303, 403), path


def test_queue_orders_by_severity_then_money_and_filters(office):
    c = office.signed_in()
    page = c.get("/").text
    assert "Northshire County Council" in page and "Signed in as jsmith (officer)" in page
    with duckdb.connect(str(office.config.warehouse), read_only=True) as con:
        expected = [r[0] for r in con.execute(
            "SELECT exception_id FROM audit.exceptions WHERE status IN ('open','confirmed','referred') ORDER BY "
            "CASE severity WHEN 'high' THEN 0 WHEN 'medium' THEN 1 ELSE 2 END, amount DESC NULLS LAST, exception_id"
        ).fetchall()]
        surplus = con.execute("SELECT count(*) FROM audit.exceptions WHERE status = 'open' AND "
                              "rule_code = 'SURPLUS_BALANCE'").fetchone()[0]
    shown = [i for i in expected if i in page]
    assert shown == expected and len(expected) > 5
    positions = [page.index(i) for i in expected]
    assert positions == sorted(positions)
    only = c.get("/", params={"rule": "SURPLUS_BALANCE"}).text
    assert only.count("/exceptions/X") == surplus
    assert c.get("/", params={"rule": "'; DROP TABLE x; --"}).status_code == 200  # ignored, never SQL


def test_search_is_posted_and_finds_by_id_prefix_budget_and_holder(office):
    c = office.signed_in()
    e = open_exception(office.config.warehouse)
    token = csrf_of(c.get("/").text)
    by_id = c.post("/search", data={"csrf_token": token, "search": e["exception_id"][:8], "status": "all"}).text
    assert e["exception_id"] in by_id
    by_budget = c.post("/search", data={"csrf_token": token, "search": e["budget_id"], "status": "all"}).text
    assert e["exception_id"] in by_budget
    assert c.post("/search", data={"csrf_token": "forged", "search": "x"}).status_code == 403


def test_exception_page_shows_explanation_next_step_evidence_sources_and_chart(office):
    c = office.signed_in()
    e = open_exception(office.config.warehouse)
    page = c.get(f"/exceptions/{e['exception_id']}").text
    assert "Next step:" in page and "<svg" in page
    with duckdb.connect(str(office.config.warehouse), read_only=True) as con:
        src = con.execute("SELECT source_path, source_line FROM audit.transactions WHERE transaction_id = ?",
                          [e["evidence"].split()[0]]).fetchall()
    if src:
        assert f"{src[0][0]} line {src[0][1]}" in page
    assert c.get("/exceptions/XNOSUCH").status_code == 404


def test_an_officer_decides_and_it_shows_in_history_and_audit_reviews(office):
    c = office.signed_in()
    e = open_exception(office.config.warehouse)
    url = f"/exceptions/{e['exception_id']}"
    token = csrf_of(c.get(url).text)
    res = c.post(url + "/decide", data={"csrf_token": token, "decision": "confirmed", "note": "checked the bank"})
    assert res.status_code == 200 and "Decision recorded" in res.text
    assert "jsmith decided <strong>confirmed</strong>: checked the bank" in res.text
    with duckdb.connect(str(office.config.warehouse), read_only=True) as con:
        row = con.execute("SELECT reviewer, decision, note FROM audit.reviews WHERE exception_id = ?",
                          [e["exception_id"]]).fetchall()
    assert row == [("jsmith", "confirmed", "checked the bank")]
    assert reviews.load(office.config.warehouse).height == 1


def test_a_decision_form_with_errors_says_what_is_wrong_and_records_nothing(office):
    c = office.signed_in()
    e = open_exception(office.config.warehouse)
    url = f"/exceptions/{e['exception_id']}"
    token = csrf_of(c.get(url).text)
    bad = c.post(url + "/decide", data={"csrf_token": token, "decision": "recovered", "amount": "12.345"})
    assert bad.status_code == 400 and "Enter the amount in pounds and pence" in bad.text
    none = c.post(url + "/decide", data={"csrf_token": token})
    assert none.status_code == 400 and "Choose a decision" in none.text
    over = Decimal(e["amount"]) + Decimal("100.00")
    too_much = c.post(url + "/decide", data={"csrf_token": token, "decision": "recovered", "amount": str(over)})
    assert too_much.status_code == 400 and "say why in the note" in too_much.text
    assert reviews.load(office.config.warehouse).height == 0


def test_an_auditor_reads_everything_and_changes_nothing(office):
    c = office.signed_in("aauditor")
    e = open_exception(office.config.warehouse)
    url = f"/exceptions/{e['exception_id']}"
    page = c.get(url)
    assert page.status_code == 200 and "you can read everything but not decide" in page.text
    token = csrf_of(page.text)
    res = c.post(url + "/decide", data={"csrf_token": token, "decision": "dismissed"})
    assert res.status_code == 403 and "Read only" in res.text
    assert c.post("/portal/unlock", data={"csrf_token": token, "budget_id": e["budget_id"]}).status_code == 403
    assert c.get(f"/budgets/{e['budget_id']}").status_code == 200 and c.get("/portal").status_code == 200
    assert reviews.load(office.config.warehouse).height == 0


def test_budget_page_and_evidence_download_are_safe(office, sim_council):
    c = office.signed_in()
    with duckdb.connect(str(office.config.warehouse), read_only=True) as con:
        budget = con.execute("SELECT e.budget_id FROM land.evidence_items e WHERE e.file IS NOT NULL "
                             "ORDER BY 1 LIMIT 1").fetchone()[0]
    page = c.get(f"/budgets/{budget}").text
    assert "Support plan and outcomes" in page and f"/budgets/{budget}/evidence/0" in page
    res = c.get(f"/budgets/{budget}/evidence/0")
    assert res.status_code in (200, 404)
    if res.status_code == 200:
        assert res.headers["content-disposition"].startswith("attachment;")
        assert "sandbox" in res.headers["content-security-policy"]
        assert any(a["action"] == "download_evidence" for a in actions.for_budget(office.config.warehouse, budget))
    assert c.get(f"/budgets/{budget}/evidence/9999").status_code == 404
    assert c.get("/budgets/NOPE").status_code == 404


def test_portal_activity_reissue_shows_the_code_once_and_unlock_lifts_a_lock(office):
    from stores.codes import check_sign_in
    from stores.state import state_dir_for

    state = state_dir_for(office.config.warehouse)
    e = open_exception(office.config.warehouse)
    with duckdb.connect(str(office.config.warehouse), read_only=True) as con:
        budget, period = con.execute("SELECT budget_id, period_start FROM audit.evidence_returns "
                                     "ORDER BY 1, 2 LIMIT 1").fetchone()
    issue_code(state, budget, period)
    for _ in range(5):
        check_sign_in(state, budget, "WRONGWRONGWR", "someone")
    c = office.signed_in()
    page = c.get("/portal").text
    assert budget in page and "locked until" in page
    token = csrf_of(page)
    res = c.post("/portal/reissue", data={"csrf_token": token, "budget_id": budget,
                                          "period_start": period.isoformat()})
    assert res.status_code == 200 and "New access code" in res.text
    code = res.text.split('class="office-code">')[1].split("<")[0]
    assert code not in c.get("/portal").text  # shown once
    res = c.post("/portal/unlock", data={"csrf_token": token, "budget_id": budget})
    assert f"Sign-in for {budget} is unlocked" in res.text
    assert check_sign_in(state, budget, code, "family").outcome == "ok"
    done = [a["action"] for a in actions.for_budget(office.config.warehouse, budget)]
    assert done == ["reissue_code", "lift_lock"]
    assert e  # the council has exceptions too
