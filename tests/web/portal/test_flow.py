"""The families' portal through FastAPI's TestClient: sign in, the return, evidence, outcomes, send, receipt."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
from decimal import Decimal
from pathlib import Path

import duckdb
from markupsafe import escape

from pipelines.readers.evidence import read_manifest
from reports.returns.render import fetch_letter, render_returns
from tests.web.portal.conftest import COUNCIL, csrf_of, sign_in
from tests.web.portal.helpers import (
    PDF,
    PNG,
    answer_outcomes,
    explain,
    send,
    token,
    upload,
    upload_ids,
)
from web.portal import drafts

MONEY = r"-?£[\d,]+\.\d{2}"


def test_start_page_and_sign_in_form_follow_the_design_system(portal):
    c = portal.client()
    start = c.get("/")
    assert start.status_code == 200 and 'class="govuk-button govuk-button--start"' in start.text
    assert '<html lang="en-GB"' in start.text and 'href="#main-content"' in start.text
    page = c.get("/sign-in")
    for field in ("budget_reference", "access_code"):
        assert f'<label class="govuk-label govuk-label--s" for="{field}">' in page.text
        assert f'id="{field}" name="{field}" type="text"' in page.text
    assert "<script" not in page.text.replace('<script nonce="', "", 1)  # only the design system's one line


def test_wrong_code_shows_an_error_summary_and_opens_nothing(portal):
    c = portal.client()
    res = sign_in(c, portal.a.budget_id, "AAAA-BBBB-CCCC", expect=400)
    assert "There is a problem" in res.text and 'href="#access_code"' in res.text
    assert 'class="govuk-form-group govuk-form-group--error"' in res.text
    assert res.text.count("The budget reference or access code is not right") == 2  # summary and field
    assert c.get("/return").headers["location"] == "/sign-in"
    empty = c.post("/sign-in", data={"csrf_token": csrf_of(c.get("/sign-in").text), "budget_reference": "",
                                     "access_code": ""})
    assert empty.status_code == 400 and "Enter your budget reference" in empty.text and "Enter your access code" in empty.text


def test_the_return_shows_the_periods_statement_and_each_payment_with_its_reference(portal, sim_council):
    c = portal.signed_in(portal.a)
    page = c.get("/return").text
    with duckdb.connect(str(sim_council["warehouse"]), read_only=True) as con:
        pos = con.execute("SELECT opening_balance, council_paid, contributions_paid, spent, closing_balance "
                          "FROM audit.budget_positions WHERE budget_id = ? AND period_start = ?",
                          [portal.a.budget_id, portal.a.period_start]).fetchone()
        letter = fetch_letter(con, portal.a.budget_id, portal.a.period_start, sim_council["as_of"], COUNCIL)
    shown = {k: Decimal(v.replace("£", "").replace(",", "")) for k, v in re.findall(rf'data-field="(\w+)">({MONEY})<', page)}
    assert shown == dict(zip(["opening", "council_paid", "contributions_paid", "spent", "closing"], pos, strict=True))
    assert str(escape(portal.a.holder)) in page and portal.a.budget_id in page
    for p in letter.payments:
        assert f"Reference {p.reference}" in page and f'href="/return/payments/{p.reference}"' in page
        assert f"£{p.amount:,.2f} to {escape(p.payee)}" in page
    assert {p.reference for p in letter.payments} >= set(portal.a.refs)


def test_a_whole_return_is_sent_into_the_inbox_in_the_contracts_layout(portal):
    c = portal.signed_in(portal.a)
    csrf = token(c)
    r1, r2 = portal.a.refs[:2]
    assert upload(c, r1, "scan.pdf", PDF, "receipt", csrf).status_code == 303
    assert upload(c, r1, "IMG_0042.jpg", PNG, "invoice", csrf).status_code == 303  # a PNG, whatever its name
    assert explain(c, r2, "Cash for the swimming club,\npaid on the door", csrf).status_code == 303
    page = c.get(f"/return/payments/{r1}").text
    assert "scan.pdf" in page and "IMG_0042.jpg" in page and len(upload_ids(page)) == 2
    overview = c.get("/return").text
    assert "Evidence added (2 files)" in overview and "Explanation given" in overview

    early = send(c)  # outcomes not answered yet
    assert early.status_code == 400 and 'href="/return/outcomes"' in early.text
    res, questions = answer_outcomes(c, "same", anything="Thank you <b>all</b>")
    assert questions >= 1 and res.status_code == 303 and res.headers["location"] == "/return/check"
    check = c.get("/return/check").text
    assert "Stayed the same" in check and "Thank you &lt;b&gt;all&lt;/b&gt;" in check
    assert "You have not added anything for" in check  # other payments still without evidence

    res = send(c)
    assert res.status_code == 303 and res.headers["location"] == "/return/sent"
    receipt = c.get("/return/sent")
    assert receipt.status_code == 200 and "Return sent" in receipt.text
    assert f"{portal.a.budget_id}_{portal.a.period_start.isoformat()}" in receipt.text
    assert re.search(r"We received your return on \d{1,2} \w+ \d{4} at \d\d:\d\d", receipt.text)
    assert "scan.pdf" in receipt.text and "Cash for the swimming club" in receipt.text

    folders = [p for p in (portal.config.inbox / "evidence").iterdir()]
    assert len(folders) == 1 and not folders[0].name.startswith(".")
    folder = folders[0]
    names = sorted(p.name for p in folder.iterdir())
    assert names == sorted(["manifest.csv", f"{r1}-1.pdf", f"{r1}-2.png"])
    assert (folder / f"{r1}-1.pdf").read_bytes() == PDF and (folder / f"{r1}-2.png").read_bytes() == PNG
    data = (folder / "manifest.csv").read_bytes()
    parsed = read_manifest(data, f"evidence/{folder.name}/manifest.csv", set(names) - {"manifest.csv"})
    assert parsed.file_error is None and parsed.quarantined == []
    rows = parsed.tables["evidence_items"].to_dicts()
    assert len(rows) == 4
    by_type = [(r["transaction_ref"], r["evidence_type"], r["file_present"]) for r in rows]
    assert by_type[:3] == [(r1, "receipt", "true"), (r1, "invoice", "true"), (r2, "explanation", "false")]
    assert rows[3]["transaction_ref"] is None and "stayed the same" in rows[3]["note"]
    assert all(r["budget_id"] == portal.a.budget_id and r["period"] == portal.a.period_start.isoformat() for r in rows)
    header = next(csv.reader(io.StringIO(data.decode())))
    assert header[:7] == ["budget_id", "period", "transaction_ref", "evidence_type", "file", "amount", "note"]
    # the uploads are in the inbox now: the portal keeps no second copy
    assert list((portal.config.state / "uploads").iterdir()) == []


def test_amounts_in_the_manifest_are_the_payments_exact_amounts(portal, sim_council):
    c = portal.signed_in(portal.a)
    ref = portal.a.refs[0]
    upload(c, ref, "r.pdf", PDF)
    answer_outcomes(c)
    send(c)
    folder = next((portal.config.inbox / "evidence").iterdir())
    row = next(csv.DictReader(io.StringIO((folder / "manifest.csv").read_text())))
    with duckdb.connect(str(sim_council["warehouse"]), read_only=True) as con:
        amount = con.execute("SELECT -amount FROM audit.transactions WHERE budget_id = ? AND evidence_ref = ?",
                             [portal.a.budget_id, ref]).fetchone()[0]
    assert Decimal(row["amount"]) == amount and row["amount"] == f"{amount:.2f}"


def test_save_and_come_back_later(portal):
    c = portal.signed_in(portal.a)
    ref = portal.a.refs[0]
    upload(c, ref, "kept.pdf", PDF)
    res, _ = answer_outcomes(c, "worse", action="save")
    assert res.headers["location"] == "/return/saved" and "have been saved" in c.get("/return/saved").text
    out = c.post("/sign-out", data={"csrf_token": token(c)})
    assert out.status_code == 200 and "You have signed out" in out.text
    assert c.get("/return").headers["location"] == "/sign-in"
    again = portal.signed_in(portal.a)
    assert "kept.pdf" in again.get(f"/return/payments/{ref}").text
    assert 'value="worse" checked' in again.get("/return/outcomes").text


def test_a_file_can_be_removed(portal):
    c = portal.signed_in(portal.a)
    ref = portal.a.refs[0]
    upload(c, ref, "wrong.pdf", PDF)
    [uid] = upload_ids(c.get(f"/return/payments/{ref}").text)
    assert (portal.config.state / "uploads" / uid).exists()
    res = c.post(f"/return/payments/{ref}/files/{uid}/remove", data={"csrf_token": token(c)})
    assert res.status_code == 303
    assert "wrong.pdf" not in c.get(f"/return/payments/{ref}").text
    assert not (portal.config.state / "uploads" / uid).exists()


def test_a_sent_return_cannot_be_changed_or_sent_twice(portal):
    c = portal.signed_in(portal.a)
    csrf = token(c)
    upload(c, portal.a.refs[0], "r.pdf", PDF, csrf=csrf)
    answer_outcomes(c)
    assert send(c).status_code == 303
    assert c.get("/return").headers["location"] == "/return/sent"
    again = c.post("/return/check", data={"csrf_token": csrf})
    late = upload(c, portal.a.refs[1], "late.pdf", PDF, csrf=csrf)
    assert again.headers["location"] == late.headers["location"] == "/return/sent"
    assert len(list((portal.config.inbox / "evidence").iterdir())) == 1
    draft = drafts.load(portal.config.state, portal.a.budget_id, portal.a.period_start)
    assert draft.sent and portal.a.refs[1] not in draft.items
    # signing in again shows the receipt
    assert portal.signed_in(portal.a).get("/return").headers["location"] == "/return/sent"


def test_on_submit_is_told_the_new_folder(portal):
    seen: list[Path] = []
    portal.config.on_submit = seen.append
    c = portal.signed_in(portal.a)
    upload(c, portal.a.refs[0], "r.pdf", PDF)
    answer_outcomes(c)
    send(c)
    assert len(seen) == 1 and seen[0].parent == portal.config.inbox / "evidence" and (seen[0] / "manifest.csv").exists()


def test_a_return_received_meanwhile_says_so(portal, sim_council, tmp_path):
    wh = tmp_path / "copy.duckdb"
    shutil.copy(sim_council["warehouse"], wh)
    with duckdb.connect(str(wh)) as con:
        con.execute("UPDATE core.evidence_returns SET received_at = DATE '2026-01-05' WHERE budget_id = ? "
                    "AND period_start = ?", [portal.a.budget_id, portal.a.period_start])
    portal.config.warehouse = wh
    page = portal.signed_in(portal.a).get("/return")
    assert "We already have this return" in page.text and "5 January 2026" in page.text


def test_the_letter_prints_the_access_code_only_where_one_was_issued(portal, sim_council, tmp_path):
    key = (portal.a.budget_id, portal.a.period_start)
    with duckdb.connect(str(sim_council["warehouse"]), read_only=True) as con:
        paths = render_returns(con, tmp_path, sim_council["as_of"], COUNCIL, access_codes={key: portal.a.code},
                               portal_address="https://evidence.example.gov.uk")
    stem = f"{key[0]}_{key[1].isoformat()}"
    html_page = (tmp_path / "returns" / f"{stem}.html").read_text()
    assert f'<span class="ref" id="access-code">{portal.a.code}</span>' in html_page
    assert "https://evidence.example.gov.uk" in html_page and "Send it online" in html_page
    from tests.reports.test_returns import pdf_lines

    pdf_text = "\n".join(pdf_lines((tmp_path / "returns" / f"{stem}.pdf").read_bytes()))
    assert f"Your access code {portal.a.code}" in pdf_text and "Send it online" in pdf_text
    others = [p for p in paths if p.suffix == ".html" and p.stem != stem]
    assert others and all("access code" not in p.read_text().lower() for p in others)
    # the code printed is the one that opens the return
    sign_in(portal.client(), portal.a.budget_id, portal.a.code)


def test_drafts_are_json_under_hashed_names(portal):
    c = portal.signed_in(portal.a)
    upload(c, portal.a.refs[0], "../../x.pdf", PDF)
    files = list((portal.config.state / "drafts").glob("*.json"))
    assert len(files) == 1 and re.fullmatch(r"[0-9a-f]{32}\.json", files[0].name)
    assert json.loads(files[0].read_text())["items"][portal.a.refs[0]]["files"][0]["name"] == "x.pdf"
