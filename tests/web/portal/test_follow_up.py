"""What a family reads on the portal: what is still missing after sending, adding more evidence later,
the council's details, and "due"/"overdue" judged on the run's date, not the server's clock."""

from __future__ import annotations

import csv
import io
import re
import shutil
from datetime import date

import duckdb

from flows.council import record_council
from flows.intake import run_intake
from flows.validation import validate_batch
from schemas.council import Council
from stores.codes import issue_code
from tests.web.portal.conftest import csrf_of, open_returns, sign_in
from tests.web.portal.helpers import PDF, answer_outcomes, send, token, upload
from web.portal.app import PortalConfig, create_app

NORTHSHIRE = Council(name="Northshire County Council", team="Direct Payments Finance Team",
                     address=["County Hall", "NS1 1AA"], phone="01234 567890",
                     email="directpayments@northshire.example.gov.uk",
                     portal_url="https://evidence.northshire.example.gov.uk")


def manifests(inbox) -> dict[str, list[dict]]:
    return {m.parent.name: list(csv.DictReader(io.StringIO(m.read_text(encoding="utf-8"))))
            for m in sorted((inbox / "evidence").glob("*/manifest.csv"))}


def missing_refs(page: str) -> list[str]:
    block = re.search(r'<ul class="govuk-list govuk-list--bullet" id="missing-payments">(.*?)</ul>', page, re.S)
    return re.findall(r"\(reference ([A-Za-z0-9_-]+)\)", block[1]) if block else []


def test_the_receipt_says_what_is_still_missing_and_more_can_be_added_and_sent(portal):
    a = portal.a
    c = portal.signed_in(a)
    assert upload(c, a.refs[0], "till.pdf", PDF, "receipt").status_code == 303
    assert answer_outcomes(c)[0].status_code == 303
    assert send(c).headers["location"] == "/return/sent"

    receipt = c.get("/return/sent").text
    assert "What we still need" in receipt and "nothing more is needed" not in receipt
    assert missing_refs(receipt) == a.refs[1:]  # the letter's order; the sent one is not missing
    assert "Add more evidence" in receipt

    more = c.post("/return/more", data={"csrf_token": csrf_of(receipt)})
    assert more.status_code == 303 and more.headers["location"] == "/return"
    page = c.get("/return").text
    assert "Add evidence to your return" in page
    assert "How is the support going?" not in page  # answered with the first sending
    sent_tag = re.search(rf'Reference {a.refs[0]}.*?govuk-tag--grey">\s*Sent', page, re.S)
    assert sent_tag, "the payment sent before shows as sent"

    check = c.get("/return/check")
    assert check.status_code == 200 and "How the support is going" not in check.text
    refused = c.post("/return/check", data={"csrf_token": csrf_of(check.text)})
    assert refused.status_code == 400 and "Add evidence for a payment before you send it" in refused.text

    assert upload(c, a.refs[1], "scan.pdf", PDF, "invoice").status_code == 303
    assert send(c).headers["location"] == "/return/sent"
    folders = manifests(portal.config.inbox)
    assert len(folders) == 2  # two sendings, two folders: the intake adds them up
    # both sendings may fall in one second, and names end in a random tail: tell them apart by content,
    # the first being the one that carried the outcome answers
    first = next(rows for rows in folders.values() if any(r["transaction_ref"] == "" for r in rows))
    second = next(rows for rows in folders.values() if rows is not first)
    assert [r["transaction_ref"] for r in second] == [a.refs[1]]  # only what was added, no outcomes again
    assert any(r["transaction_ref"] == "" and "How the support is going" in r["note"] for r in first)
    receipt = c.get("/return/sent").text
    assert missing_refs(receipt) == a.refs[2:]
    assert "Sent earlier, on" in receipt and "We received your evidence on" in receipt
    # the portal cannot be made to reopen a return without the form's token
    assert c.post("/return/more", data={"csrf_token": "x"}).status_code == 403


def test_the_intake_counts_the_evidence_of_both_sendings(portal, sim_council, tmp_path):
    a = portal.a
    c = portal.signed_in(a)
    upload(c, a.refs[0], "till.pdf", PDF, "receipt")
    answer_outcomes(c)
    send(c)
    c.post("/return/more", data={"csrf_token": csrf_of(c.get("/return/sent").text)})
    upload(c, a.refs[1], "scan.pdf", PDF, "receipt")
    send(c)

    wh = tmp_path / "copy.duckdb"
    shutil.copyfile(sim_council["warehouse"], wh)
    sql = "SELECT items_evidenced, received_at FROM audit.evidence_returns WHERE budget_id = ? AND period_start = ?"
    with duckdb.connect(str(wh), read_only=True) as con:
        before, received = con.execute(sql, [a.budget_id, a.period_start]).fetchone()
    assert received is None
    result = run_intake(portal.config.inbox, wh, sim_council["as_of"], validate=validate_batch)
    assert result["ingest"]["accepted"] == 2
    with duckdb.connect(str(wh), read_only=True) as con:
        after, received = con.execute(sql, [a.budget_id, a.period_start]).fetchone()
    assert received is not None and after == before + 2

    # and the portal, reading the warehouse the intake published, shows what is still missing
    config = PortalConfig(warehouse=wh, inbox=portal.config.inbox, state_dir=portal.config.state,
                          today=lambda: sim_council["as_of"])
    c2 = create_app(config)
    from fastapi.testclient import TestClient
    client = TestClient(c2, follow_redirects=False)
    sign_in(client, a.budget_id, a.code)
    assert missing_refs(client.get("/return/sent").text) == a.refs[2:]


def test_due_and_overdue_are_judged_on_the_runs_date_not_the_servers_clock(sim_council, tmp_path):
    from tests.flows.test_council_yaml import not_yet_due

    wh = tmp_path / "copy.duckdb"
    shutil.copyfile(sim_council["warehouse"], wh)
    with duckdb.connect(str(wh)) as con:
        budget, period, due_date = not_yet_due(con, sim_council["as_of"])
    config = PortalConfig(warehouse=wh, inbox=tmp_path / "inbox", state_dir=tmp_path / "p",
                          today=lambda: date(2031, 1, 1))  # the server's clock, years later
    code = issue_code(config.state, budget, period)
    from fastapi.testclient import TestClient
    c = TestClient(create_app(config), follow_redirects=False)
    sign_in(c, budget, code)
    page = c.get("/return").text
    day = f"{due_date.day} "
    assert re.search(rf"Please send it by.*?{day}", page, re.S)
    assert "this date has passed" not in page and "has not reached us yet" not in page


def test_pages_print_the_councils_details_from_the_warehouse(sim_council, tmp_path):
    wh = tmp_path / "copy.duckdb"
    shutil.copyfile(sim_council["warehouse"], wh)
    with duckdb.connect(str(wh)) as con:
        record_council(con, NORTHSHIRE, tmp_path)
    config = PortalConfig(warehouse=wh, inbox=tmp_path / "inbox", state_dir=tmp_path / "p",
                          council="Fallback Council", today=lambda: sim_council["as_of"])
    from fastapi.testclient import TestClient
    c = TestClient(create_app(config), follow_redirects=False)
    for path in ("/", "/sign-in"):
        page = c.get(path).text
        for detail in ("Northshire County Council", "Direct Payments Finance Team", "County Hall", "NS1 1AA",
                       "01234 567890", "directpayments@northshire.example.gov.uk",
                       "https://evidence.northshire.example.gov.uk"):
            assert detail in page, (path, detail)
        assert "Fallback Council" not in page
    r = open_returns(wh)[0]
    sign_in(c, r.budget_id, issue_code(config.state, r.budget_id, r.period_start))
    page = c.get("/return").text
    assert "+ Paid in by Northshire County Council" in page and "name=" not in page.replace('name="', "")


def test_wording_titles_hints_and_plurals(portal, sim_council):
    c = portal.client()
    start = c.get("/").text
    title = re.search(r"<title[^>]*>(.*?)</title>", start, re.S)[1].strip()
    assert title.count("Send your direct payment evidence") == 1, title
    hint = c.get("/sign-in").text
    assert "For example, DP0" not in hint and "QQ123456-1" in hint
    with duckdb.connect(str(sim_council["warehouse"]), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM audit.budgets WHERE budget_id = 'QQ123456-1'").fetchone()[0] == 0
    s = portal.signed_in(portal.a)
    page = s.get("/return").text
    m = re.search(r"Answer (\d+) short (questions?)\b", page)
    assert m and (m[2] == "question") == (m[1] == "1")
    assert "marked" not in re.search(r'id="payments-summary">(.*?)</p>', page, re.S)[1]
    token(s)
