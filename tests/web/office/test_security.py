"""The workspace under attack: CSRF, sessions, lockout, the SSO header, escaping, headers, logs,
and one council's officers kept out of another's data."""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor

import duckdb
import pytest
from fastapi.testclient import TestClient

from stores import officers
from tests.web.office.conftest import PASSWORD, csrf_of, make_office, open_exception, sign_in
from web.office.app import create_app


def test_sign_in_needs_its_form_token(office):
    c = office.client()
    res = c.post("/sign-in", data={"csrf_token": "forged", "name": "jsmith", "password": PASSWORD})
    assert res.status_code == 403 and "dprecon_office" not in res.headers.get("set-cookie", "")


def test_cookies_are_httponly_strict_and_secure_over_https(office):
    c = office.client(https=True)
    res = sign_in(c, "jsmith", PASSWORD)
    cookie = res.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie and "secure" in cookie


def test_every_form_needs_the_session_token_and_this_site(office):
    c = office.signed_in()
    e = open_exception(office.config.warehouse)
    url = f"/exceptions/{e['exception_id']}/decide"
    assert c.post(url, data={"csrf_token": "nope", "decision": "dismissed"}).status_code == 403
    token = csrf_of(c.get("/").text)
    cross = c.post(url, data={"csrf_token": token, "decision": "dismissed"}, headers={"origin": "https://evil.example"})
    assert cross.status_code == 403


def test_five_wrong_passwords_lock_the_name_then_reset_lifts_it(office):
    c = office.client()
    for _ in range(5):
        sign_in(c, "jsmith", "wrong password!!", expect=400)
    res = sign_in(c, "jsmith", PASSWORD, expect=429)
    assert "Too many wrong passwords" in res.text
    officers.reset(office.config.state, "jsmith", PASSWORD)
    sign_in(office.client(), "jsmith", PASSWORD)


def test_an_unknown_name_gets_the_same_answer_as_a_wrong_password(office):
    a = sign_in(office.client(), "nobody", "whatever password", expect=400).text
    b = sign_in(office.client(), "jsmith", "whatever password", expect=400).text
    assert "The user name or password is not right" in a and "The user name or password is not right" in b


def test_parallel_guesses_cannot_beat_the_limit(office):
    state = office.config.state
    with ThreadPoolExecutor(8) as pool:
        outcomes = list(pool.map(lambda i: officers.sign_in(state, "jsmith", f"guess number {i}", f"c{i}")[0],
                                 range(24)))
    assert outcomes.count("wrong") == officers.NAME_FAILURES
    assert outcomes.count("locked") == 24 - officers.NAME_FAILURES


def test_disabling_an_officer_ends_their_session(office):
    c = office.signed_in()
    assert c.get("/").status_code == 200
    officers.disable(office.config.state, "jsmith")
    assert c.get("/").status_code == 303


def test_sso_header_is_believed_only_from_the_trusted_proxy(sim_council, tmp_path):
    o = make_office(tmp_path / "sso", sim_council["warehouse"], trusted_proxies=("10.1.2.3",),
                    user_header="X-Remote-User")
    direct = TestClient(o.app, follow_redirects=False)  # the test client's address is "testclient"
    assert direct.get("/", headers={"X-Remote-User": "jsmith"}).status_code == 303
    via_proxy = TestClient(o.app, follow_redirects=False, client=("10.1.2.3", 5000))
    page = via_proxy.get("/", headers={"X-Remote-User": "jsmith"})
    assert page.status_code == 200 and "Signed in as jsmith" in page.text
    assert via_proxy.get("/", headers={"X-Remote-User": "mallory"}).status_code == 303
    officers.disable(o.config.state, "jsmith")
    assert via_proxy.get("/", headers={"X-Remote-User": "jsmith"}).status_code == 303


def test_what_families_and_payees_typed_is_escaped(office):
    e = open_exception(office.config.warehouse)
    evil = '<script>alert("x")</script>'
    with duckdb.connect(str(office.config.warehouse)) as con:
        con.execute("UPDATE core.budgets SET holder_name = ? WHERE budget_id = ?", [evil, e["budget_id"]])
        con.execute("UPDATE core.exceptions SET explanation = ? WHERE exception_id = ?", [evil, e["exception_id"]])
    c = office.signed_in()
    for path in (f"/exceptions/{e['exception_id']}", f"/budgets/{e['budget_id']}", "/"):
        page = c.get(path).text
        assert evil not in page, path
    assert "&lt;script&gt;" in c.get(f"/exceptions/{e['exception_id']}").text


def test_security_headers_on_every_page(office):
    c = office.client()
    for res in (c.get("/sign-in"), c.get("/"), c.get("/static/office.css"), c.get("/static/base/portal.css")):
        assert res.headers["x-content-type-options"] == "nosniff"
        assert res.headers["x-frame-options"] == "DENY"
        assert "frame-ancestors 'none'" in res.headers["content-security-policy"]
    assert c.get("/sign-in").headers["cache-control"] == "no-store"
    assert "script-src" not in c.get("/sign-in").headers["content-security-policy"]


def test_logs_hold_no_ids_names_or_searches(office, caplog):
    e = open_exception(office.config.warehouse)
    caplog.set_level(logging.INFO, logger="dprecon.office")
    c = office.signed_in()
    c.get(f"/exceptions/{e['exception_id']}")
    c.post("/search", data={"csrf_token": csrf_of(c.get("/").text), "search": "Smith"})
    text = caplog.text
    assert "/exceptions/{exception_id}" in text
    assert e["exception_id"] not in text and "Smith" not in text and "jsmith" not in text


def test_a_warehouse_not_there_yet_is_a_503_with_the_headers(tmp_path):
    from web.office.app import OfficeConfig

    config = OfficeConfig(warehouse=tmp_path / "warehouse.duckdb")
    officers.add(config.state, "jsmith", "officer", PASSWORD)
    c = TestClient(create_app(config), follow_redirects=False)
    sign_in(c, "jsmith", PASSWORD)
    res = c.get("/")
    assert res.status_code == 503 and res.headers["x-frame-options"] == "DENY"


@pytest.mark.parametrize("other_sees", ["/", "/portal"])
def test_one_councils_officers_cannot_see_anothers_data(sim_council, tmp_path, other_sees):
    a = make_office(tmp_path / "a", sim_council["warehouse"])
    b_folder = tmp_path / "b"
    b = make_office(b_folder, sim_council["warehouse"])
    officers.add(a.config.state, "only-a", "officer", PASSWORD)
    sign_in(b.client(), "only-a", PASSWORD, expect=400)  # B's workspace does not know A's officers
    ca = a.signed_in("only-a")
    assert ca.get(other_sees).status_code == 200
    # a session cookie of A's workspace means nothing to B's
    cb = b.client()
    cb.cookies.update(ca.cookies)
    assert cb.get(other_sees).status_code == 303
