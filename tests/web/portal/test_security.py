"""Every security point of the portal, each with a test that fails if it breaks."""

from __future__ import annotations

import logging
import os
import re
import shutil
from pathlib import Path

import duckdb
import pytest
from starlette.routing import Mount, Route

from pipelines.readers.evidence import unsafe_file_reason
from stores.codes import issue_code
from tests.web.portal.conftest import csrf_of, sign_in
from tests.web.portal.helpers import PDF, answer_outcomes, explain, send, token, upload, upload_ids
from tests.web.portal.test_uploads import png, zip_bomb
from web.portal import drafts
from web.portal.app import COOKIE, HERE, SIGN_IN_COOKIE, PortalConfig, create_app

HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def files_under(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}


# ---- a family sees and changes only its own return ------------------------------------------------

def test_another_familys_payment_references_lead_nowhere(portal):
    c = portal.signed_in(portal.a)
    csrf = token(c)
    mine = set(portal.a.refs)
    theirs = sorted({ref for r in [portal.b, *portal.others] for ref in r.refs} - mine)
    assert len(theirs) > 20
    for ref in theirs:  # every other id the council has
        assert c.get(f"/return/payments/{ref}").status_code == 404, ref
    for ref in portal.b.refs + theirs[::7]:
        assert upload(c, ref, "r.pdf", PDF, csrf=csrf).status_code == 404, ref
        assert explain(c, ref, "not mine", csrf=csrf).status_code == 404, ref
    assert drafts.load(portal.config.state, portal.a.budget_id, portal.a.period_start).items == {}
    assert list((portal.config.state / "uploads").iterdir()) == []


def test_another_familys_uploads_cannot_be_removed_and_form_fields_cannot_switch_returns(portal):
    b = portal.signed_in(portal.b)
    upload(b, portal.b.refs[0], "b.pdf", PDF)
    [b_upload] = upload_ids(b.get(f"/return/payments/{portal.b.refs[0]}").text)
    a = portal.signed_in(portal.a)
    csrf = token(a)
    upload(a, portal.a.refs[0], "a.pdf", PDF, csrf=csrf)
    [a_upload] = upload_ids(a.get(f"/return/payments/{portal.a.refs[0]}").text)
    for ref in (portal.b.refs[0], portal.a.refs[0]):
        res = a.post(f"/return/payments/{ref}/files/{b_upload}/remove", data={"csrf_token": csrf})
        assert res.status_code == 404
    assert (portal.config.state / "uploads" / b_upload).exists() and (portal.config.state / "uploads" / a_upload).exists()
    assert upload_ids(a.get(f"/return/payments/{portal.a.refs[0]}").text) == [a_upload]
    # naming B's return in the form changes nothing: the session decides
    res = a.post(f"/return/payments/{portal.a.refs[0]}/explanation",
                 data={"csrf_token": csrf, "explanation": "mine", "budget_id": portal.b.budget_id,
                       "period_start": portal.b.period_start.isoformat()})
    assert res.status_code == 303
    b_draft = drafts.load(portal.config.state, portal.b.budget_id, portal.b.period_start)
    assert [f.id for f in b_draft.items[portal.b.refs[0]].files] == [b_upload]
    assert portal.a.refs[0] not in b_draft.items
    assert drafts.load(portal.config.state, portal.a.budget_id, portal.a.period_start).items[portal.a.refs[0]].explanation == "mine"
    assert "b.pdf" not in a.get("/return/check").text and "b.pdf" in b.get("/return/check").text


def test_a_code_opens_only_its_own_budget(portal):
    for budget in [portal.b.budget_id] + [r.budget_id for r in portal.others[:3]]:
        sign_in(portal.client(), budget, portal.a.code, expect=400)


# ---- file names never become paths ---------------------------------------------------------------

TRAVERSAL = ["../../../../../../tmp/dprecon-evil.pdf", "..\\..\\..\\dprecon-evil.pdf", "/etc/passwd",
             "%2e%2e%2fdprecon-evil.pdf", "evil\x00.pdf", "manifest.csv", "C:\\Windows\\evil.pdf", ".hidden.pdf"]


def test_no_path_traversal_through_file_names(portal, tmp_path):
    c = portal.signed_in(portal.a)
    csrf = token(c)
    before = files_under(tmp_path)
    ref = portal.a.refs[0]
    for name in TRAVERSAL:
        assert upload(c, ref, name, PDF, csrf=csrf).status_code == 303, name
    new = files_under(tmp_path) - before
    stored = {p for p in new if p.startswith("portal/uploads/")}
    assert len(stored) == len(TRAVERSAL) and all(re.fullmatch(r"portal/uploads/[0-9a-f]{32}", p) for p in stored)
    assert new - stored <= {f"portal/drafts/{drafts.key(portal.a.budget_id, portal.a.period_start)}.json",
                            f"portal/drafts/{drafts.key(portal.a.budget_id, portal.a.period_start)}.lock"}
    assert not Path("/tmp/dprecon-evil.pdf").exists()
    answer_outcomes(c)
    send(c)
    folder = next((portal.config.inbox / "evidence").iterdir())
    names = sorted(p.name for p in folder.iterdir())
    assert names == sorted(["manifest.csv"] + [f"{ref}-{i}.pdf" for i in range(1, len(TRAVERSAL) + 1)])
    for line in (folder / "manifest.csv").read_text().splitlines()[1:]:
        file = line.split(",")[4]
        assert unsafe_file_reason(file) is None
    assert files_under(portal.config.inbox) == {f"evidence/{folder.name}/{n}" for n in names}


def test_static_files_cannot_reach_outside_their_folder(portal):
    c = portal.client()
    assert c.get("/static/portal.css").status_code == 200
    for path in ("/static/../app.py", "/static/%2e%2e/app.py", "/static/..%2fapp.py", "/static/../../pyproject.toml",
                 "/static//etc/passwd"):
        res = c.get(path)
        assert res.status_code == 404 and "import" not in res.text, path


# ---- uploads are kept under random names, outside anything served --------------------------------

def test_uploads_are_stored_under_random_names_and_never_served(portal):
    c = portal.signed_in(portal.a)
    upload(c, portal.a.refs[0], "receipt.pdf", PDF)
    [uid] = upload_ids(c.get(f"/return/payments/{portal.a.refs[0]}").text)
    stored = portal.config.state / "uploads" / uid
    assert stored.read_bytes() == PDF and re.fullmatch(r"[0-9a-f]{32}", stored.name)
    assert not stored.is_relative_to(HERE)  # not in the package, so not under /static
    mounts = [r for r in every_route(portal.app.routes) if isinstance(r, Mount)]
    assert [(m.path, Path(m.app.directory)) for m in mounts] == [("/static", HERE / "static")]
    for path in (f"/static/{uid}", f"/uploads/{uid}", f"/portal/uploads/{uid}", f"/return/uploads/{uid}",
                 f"/return/payments/{portal.a.refs[0]}/files/{uid}", "/static/receipt.pdf"):
        res = c.get(path)
        assert res.status_code in (404, 405) and PDF not in res.content, path


# ---- bad uploads are refused clearly, and leave nothing behind ------------------------------------

@pytest.mark.parametrize(("name", "data", "message", "status"), [
    ("empty.pdf", b"", "The selected file is empty", 400),
    ("receipt.pdf", b"<html><body>not a receipt</body></html>", "must be a PDF, JPEG, PNG or HEIC", 400),
    ("photo.jpg", b"MZ\x90\x00" + b"\x00" * 200, "must be a PDF, JPEG, PNG or HEIC", 400),
    ("receipts.pdf", zip_bomb(), "compressed archive", 400),
    ("bomb.png", png(100_000, 100_000), "too large", 400),
])
def test_bad_uploads_are_refused_with_a_clear_message(portal, name, data, message, status):
    c = portal.signed_in(portal.a)
    before = files_under(portal.config.state)
    res = upload(c, portal.a.refs[0], name, data, content_type="application/pdf")
    assert res.status_code == status
    assert "There is a problem" in res.text and message in res.text and 'href="#file"' in res.text
    assert files_under(portal.config.state) == before  # nothing half-written, no temporary file
    assert portal.a.refs[0] not in drafts.load(portal.config.state, portal.a.budget_id, portal.a.period_start).items


def small_limit_portal(portal) -> tuple:
    config = PortalConfig(warehouse=portal.config.warehouse, inbox=portal.config.inbox,
                          state_dir=portal.config.state, today=portal.config.today, max_upload_bytes=1024 * 1024)
    from fastapi.testclient import TestClient

    c = TestClient(create_app(config), follow_redirects=False)
    sign_in(c, portal.a.budget_id, portal.a.code)
    return config, c


def multipart(csrf: str, data: bytes, boundary: str = "dprecontestboundary") -> bytes:
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n{csrf}\r\n',
             f'--{boundary}\r\nContent-Disposition: form-data; name="evidence_type"\r\n\r\nreceipt\r\n',
             f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.pdf"\r\n'
             f'Content-Type: application/pdf\r\n\r\n']
    return "".join(parts).encode() + data + f"\r\n--{boundary}--\r\n".encode()


def test_oversize_uploads_are_refused_whether_or_not_they_declare_their_length(portal):
    config, c = small_limit_portal(portal)
    ref = portal.a.refs[0]
    before = files_under(config.state)
    big = b"%PDF-" + b"0" * (1024 * 1024)
    res = upload(c, ref, "big.pdf", big)
    assert res.status_code == 413 and "must be smaller than 1 MB" in res.text
    huge = b"%PDF-" + b"0" * (5 * 1024 * 1024)
    body = multipart(token(c), huge)

    def chunks():
        for i in range(0, len(body), 65536):
            yield body[i:i + 65536]

    res = c.post(f"/return/payments/{ref}/upload", content=chunks(),
                 headers={"Content-Type": "multipart/form-data; boundary=dprecontestboundary"})
    assert res.status_code == 413 and "must be smaller than 1 MB" in res.text
    assert files_under(config.state) == before
    ok = upload(c, ref, "fits.pdf", b"%PDF-" + b"0" * (1024 * 1024 - 5))
    assert ok.status_code == 303


def test_the_body_limit_stops_reading_at_the_limit_and_never_reads_a_declared_oversize_body():
    import asyncio

    from web.portal.app import BodyLimit

    chunk, limit = 65536, 1024 * 1024

    def run(headers):
        pulled, got = [0], []

        async def receive():
            pulled[0] += 1
            return {"type": "http.request", "body": b"x" * chunk, "more_body": pulled[0] < 1000}

        async def inner(scope, receive, send):
            while True:
                m = await receive()
                got.append(len(m["body"]))
                if not m.get("more_body"):
                    break

        scope = {"type": "http", "method": "POST", "path": "/return/payments/E1/upload", "headers": headers}
        asyncio.run(BodyLimit(inner, lambda path: limit)(scope, receive, None))
        return scope["state"].get("body_too_large"), pulled[0], sum(got)

    too_large, pulled, seen = run([])  # chunked: no length declared
    assert too_large and pulled == limit // chunk + 1 and seen == limit
    too_large, pulled, seen = run([(b"content-length", str(1000 * chunk).encode())])
    assert too_large and pulled == 0 and seen == 0


def test_a_large_form_post_elsewhere_is_cut_off(portal):
    c = portal.signed_in(portal.a)
    res = c.post(f"/return/payments/{portal.a.refs[0]}/explanation",
                 data={"csrf_token": token(c), "explanation": "x" * 200_000})
    assert res.status_code == 403
    assert portal.a.refs[0] not in drafts.load(portal.config.state, portal.a.budget_id, portal.a.period_start).items
    long = explain(c, portal.a.refs[0], "y" * 2001)
    assert long.status_code == 400 and "2,000 characters or fewer" in long.text


# ---- CSRF on every form ------------------------------------------------------------------------------

def every_route(routes):
    for r in routes:
        if hasattr(r, "original_router"):  # FastAPI's wrapper around an included router
            yield from every_route(r.original_router.routes)
        else:
            yield r


def post_routes(app) -> list[str]:
    return sorted(r.path for r in every_route(app.routes) if isinstance(r, Route) and "POST" in (r.methods or set()))


def test_every_post_route_refuses_a_missing_wrong_or_borrowed_token(portal):
    a = portal.signed_in(portal.a)
    upload(a, portal.a.refs[0], "keep.pdf", PDF)
    [uid] = upload_ids(a.get(f"/return/payments/{portal.a.refs[0]}").text)
    answer_outcomes(a)
    state = drafts.load(portal.config.state, portal.a.budget_id, portal.a.period_start)
    b_token = token(portal.signed_in(portal.b))
    routes = post_routes(portal.app)
    assert set(routes) >= {"/sign-in", "/sign-out", "/return/outcomes", "/return/check",
                           "/return/payments/{ref}/upload", "/return/payments/{ref}/explanation",
                           "/return/payments/{ref}/files/{upload_id}/remove"}
    good = token(a)
    for route in routes:
        path = route.format(ref=portal.a.refs[0], upload_id=uid)
        for bad in ({}, {"csrf_token": "forged"}, {"csrf_token": b_token}):
            form = {**bad, "explanation": "changed", "outcome-1": "worse", "budget_reference": portal.a.budget_id,
                    "access_code": portal.a.code, "evidence_type": "receipt"}
            res = a.post(path, data=form, files={"file": ("x.pdf", PDF, "application/pdf")}
                         if path.endswith("/upload") else None)
            assert res.status_code == 403, (path, bad)
        if route != "/sign-in":  # the right token from another site is refused too
            res = a.post(path, data={"csrf_token": good, "explanation": "changed"},
                         headers={"Origin": "https://evil.example"})
            assert res.status_code == 403, path
    assert drafts.load(portal.config.state, portal.a.budget_id, portal.a.period_start) == state
    assert not (portal.config.inbox / "evidence").exists()
    assert a.get("/return").status_code == 200  # still signed in: sign-out was refused too


def test_the_sign_in_form_token_is_bound_to_its_own_cookie(portal):
    one, two = portal.client(), portal.client()
    token_one = csrf_of(one.get("/sign-in").text)
    two.get("/sign-in")
    res = two.post("/sign-in", data={"csrf_token": token_one, "budget_reference": portal.a.budget_id,
                                     "access_code": portal.a.code})
    assert res.status_code == 403 and COOKIE not in res.cookies
    fresh = portal.client()
    res = fresh.post("/sign-in", data={"csrf_token": token_one, "budget_reference": portal.a.budget_id,
                                       "access_code": portal.a.code})
    assert res.status_code == 403


def test_every_form_on_every_page_carries_the_token(portal):
    c = portal.signed_in(portal.a)
    upload(c, portal.a.refs[0], "r.pdf", PDF)
    pages = ["/return", f"/return/payments/{portal.a.refs[0]}", "/return/outcomes", "/return/check", "/return/saved"]
    seen = 0
    for path in pages:
        html = c.get(path).text
        forms = re.findall(r"<form\b[^>]*>.*?</form>", html, re.S)
        for form in forms:
            assert 'method="post"' in form and 'name="csrf_token" value="' in form, (path, form[:200])
            seen += 1
    assert seen >= 8
    signin = portal.client().get("/sign-in").text
    assert 'name="csrf_token"' in re.search(r"<form\b.*?</form>", signin, re.S)[0]


# ---- everything written into HTML is escaped ----------------------------------------------------------

def test_all_output_is_escaped(portal, sim_council, tmp_path):
    wh = tmp_path / "hostile.duckdb"
    shutil.copy(sim_council["warehouse"], wh)
    with duckdb.connect(str(wh)) as con:
        con.execute("UPDATE core.transactions SET payee = ? WHERE budget_id = ? AND evidence_ref = ?",
                    [HOSTILE, portal.a.budget_id, portal.a.refs[0]])
        con.execute("UPDATE core.budgets SET holder_name = ? WHERE budget_id = ?", [HOSTILE, portal.a.budget_id])
    portal.config.warehouse = wh
    c = portal.signed_in(portal.a)
    csrf = token(c)
    upload(c, portal.a.refs[0], HOSTILE + ".pdf", PDF, csrf=csrf)
    explain(c, portal.a.refs[1], HOSTILE, csrf=csrf)
    answer_outcomes(c, anything=HOSTILE)
    pages = [c.get(p).text for p in ("/return", f"/return/payments/{portal.a.refs[0]}",
                                      f"/return/payments/{portal.a.refs[1]}", "/return/outcomes", "/return/check")]
    send(c)
    pages.append(c.get("/return/sent").text)
    bad = portal.client()
    bad.get("/sign-in")
    pages.append(sign_in(bad, HOSTILE, "WRONG", expect=400).text)
    for page in pages:
        assert "<script>alert" not in page and "<img src=x" not in page
        assert "&lt;script&gt;alert(" in page or "&lt;img src=x" in page


def test_pages_carry_a_strict_content_security_policy(portal):
    res = portal.client().get("/sign-in")
    csp = res.headers["content-security-policy"]
    nonce = re.search(r"'nonce-([^']+)'", csp)[1]
    assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp and "form-action 'self'" in csp
    assert re.findall(r"<script nonce=\"([^\"]+)\"", res.text) == [nonce]
    assert res.headers["x-content-type-options"] == "nosniff" and res.headers["referrer-policy"] == "same-origin"
    assert res.headers["cache-control"] == "no-store"


# ---- cookies ------------------------------------------------------------------------------------------------

def cookie_headers(res) -> dict[str, str]:
    return {h.split("=", 1)[0]: h for h in res.headers.get_list("set-cookie")}


@pytest.mark.parametrize("https", [False, True])
def test_cookies_are_httponly_samesite_and_secure_behind_tls(portal, https):
    c = portal.client(https=https)
    form = c.get("/sign-in")
    res = c.post("/sign-in", data={"csrf_token": csrf_of(form.text), "budget_reference": portal.a.budget_id,
                                   "access_code": portal.a.code})
    assert res.status_code == 303
    for header in [cookie_headers(form)[SIGN_IN_COOKIE], cookie_headers(res)[COOKIE]]:
        attrs = [a.strip().lower() for a in header.split(";")]
        assert "httponly" in attrs and "samesite=strict" in attrs and "path=/" in attrs
        assert ("secure" in attrs) is https
    assert portal.a.budget_id not in cookie_headers(res)[COOKIE] and portal.a.code not in cookie_headers(res)[COOKIE]


def test_signing_in_gives_a_new_session_and_signing_out_ends_it(portal):
    c = portal.signed_in(portal.a)
    first = c.cookies.get(COOKIE)
    sign_in(c, portal.a.budget_id, portal.a.code)
    second = c.cookies.get(COOKIE)
    assert first and second and first != second
    stale = portal.client()
    stale.cookies.set(COOKIE, first)
    assert stale.get("/return").headers["location"] == "/sign-in"  # the old session was ended
    c.post("/sign-out", data={"csrf_token": token(c)})
    replay = portal.client()
    replay.cookies.set(COOKIE, second)
    assert replay.get("/return").headers["location"] == "/sign-in"


# ---- no personal data in logs or addresses -------------------------------------------------------------

URL = re.compile(r"^(/(|sign-in|sign-out|static/portal\.css|return(/(outcomes|check|sent|saved|more|payments/[A-Z0-9]+"
                 r"(/upload|/explanation|/files/[0-9a-f]{32}/remove)?))?))?(#[\w-]+)?$")


def test_no_personal_data_in_logs_or_urls(portal, caplog):
    caplog.set_level(logging.DEBUG)
    secret_name, secret_note = "Receipt-for-Mrs-Zebedee-Quill.pdf", "Paid Mr Quintus Arbuthnot in cash"
    c = portal.client()
    visited: list[str] = []
    original = c.request

    def recording(method, url, *args, **kwargs):
        res = original(method, url, *args, **kwargs)
        visited.append(str(res.request.url.path))
        if "location" in res.headers:
            visited.append(res.headers["location"])
        visited.extend(re.findall(r'(?:href|action)="([^"]*)"', res.text))
        return res

    c.request = recording
    sign_in(c, portal.a.budget_id, "WRONG-CODE-1", expect=400)
    sign_in(c, portal.a.budget_id, portal.a.code)
    csrf = token(c)
    upload(c, portal.a.refs[0], secret_name, PDF, csrf=csrf)
    upload(c, portal.a.refs[0], "x.zip", zip_bomb(), csrf=csrf)
    explain(c, portal.a.refs[1], secret_note, csrf=csrf)
    answer_outcomes(c, anything=secret_note)
    c.get(f"/return/payments/{portal.a.refs[0]}")
    send(c)
    c.get("/return/sent")
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert portal.a.budget_id in logged  # the budget reference is the one thing that may appear
    personal = [portal.a.code, portal.a.code.replace("-", ""), "WRONG-CODE-1", portal.a.holder, secret_name,
                secret_note, "Zebedee", "testclient", *{p for p in portal.a.payees if p}]
    for value in personal:
        assert value not in logged, value
        assert all(value not in u for u in visited), value
    for u in set(visited):
        assert URL.match(u), u


def test_serve_turns_off_uvicorns_access_log(monkeypatch, tmp_path):
    import uvicorn

    from web.portal.serve import serve

    seen = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: seen.update(kw))
    serve(PortalConfig(warehouse=tmp_path / "w.duckdb", inbox=tmp_path / "inbox"), "127.0.0.1", 8123)
    assert seen["access_log"] is False and seen["port"] == 8123 and seen["proxy_headers"] is True


def test_state_folder_is_private(portal):
    issue_code(portal.config.state, "X", portal.a.period_start)
    for sub in ("", "uploads", "drafts"):
        assert (os.stat(portal.config.state / sub).st_mode & 0o077) == 0
    assert os.stat(portal.config.state / "secret.key").st_mode & 0o077 == 0
