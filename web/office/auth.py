"""Signing in and out, and the guard every other page uses: who is asking, and may they act.

``signed_in(request)`` gives the officer's session or a redirect to the sign-in
page; ``acting(request, form)`` additionally refuses auditors and a missing or
wrong CSRF token. The sign-in form, shown before there is a session, carries a
signed token bound to a nonce cookie of its own (the portal's mechanism).
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from stores import officers
from web.office.app import COOKIE, Office, redirect
from web.portal.sessions import SIGN_IN_FORM_AGE, SignInTokens, same

router = APIRouter()
FORM_COOKIE = "dprecon_office_form"


def office(request: Request) -> Office:
    return request.app.state.office


def signed_in(request: Request) -> officers.OfficeSession | Response:
    s = office(request).session(request)
    return s if s else redirect("/sign-in")


async def acting(request: Request) -> tuple[officers.OfficeSession | None, dict, Response | None]:
    """The session and form of a POST that changes something, or the response refusing it."""
    s = office(request).session(request)
    if s is None:
        return None, {}, redirect("/sign-in")
    form = dict(await request.form())
    if getattr(request.state, "body_too_large", False) or not same(s.csrf, form.get("csrf_token")):
        return s, form, office(request).message(request, 403, "Not allowed", "This form has expired or did not "
                                                "come from this site. Go back, reload the page and try again.",
                                                who=s.officer)
    if not s.officer.can_act:
        return s, form, office(request).message(request, 403, "Read only", "Auditors can read everything here "
                                                "but cannot change anything.", who=s.officer)
    return s, form, None


def _tokens(request: Request) -> SignInTokens:
    o = office(request)
    if not hasattr(o, "sign_in_tokens"):
        o.sign_in_tokens = SignInTokens(o.key + b"|office")
    return o.sign_in_tokens


def sign_in_page(request: Request, status: int = 200, errors: list | None = None, name: str = "") -> Response:
    nonce = request.cookies.get(FORM_COOKIE) or SignInTokens.nonce()
    response = office(request).render(request, "sign_in.html", status=status, csrf=_tokens(request).token(nonce),
                                      errors=errors or [], name=name)
    response.set_cookie(FORM_COOKIE, nonce, max_age=SIGN_IN_FORM_AGE, path="/", httponly=True, samesite="strict",
                        secure=office(request).secure(request))
    return response


@router.get("/sign-in", response_class=HTMLResponse)
async def sign_in_form(request: Request) -> Response:
    if office(request).session(request):
        return redirect("/")
    return sign_in_page(request)


@router.post("/sign-in", response_class=HTMLResponse)
async def sign_in(request: Request) -> Response:
    o = office(request)
    form = await request.form()
    if getattr(request.state, "body_too_large", False) or not _tokens(request).valid(
            request.cookies.get(FORM_COOKIE), form.get("csrf_token")):
        return o.message(request, 403, "Not allowed", "This form has expired. Go back, reload the page and try again.")
    name = str(form.get("name") or "").strip()[:40]
    password = str(form.get("password") or "")[:200]
    if not name or not password:
        errors = ([{"text": "Enter your user name", "href": "#name"}] if not name else []) + (
            [{"text": "Enter your password", "href": "#password"}] if not password else [])
        return sign_in_page(request, 400, errors, name)
    outcome, officer = await run_in_threadpool(officers.sign_in, o.config.state, name, password,
                                               o.client_key(request), o.config.now())
    if outcome == "locked":
        return sign_in_page(request, 429, [{"text": "Too many wrong passwords. Wait 15 minutes, or ask an "
                                            "administrator to reset your password.", "href": "#password"}], name)
    if outcome != "ok" or officer is None:
        return sign_in_page(request, 400, [{"text": "The user name or password is not right", "href": "#password"}],
                            name)
    token = officers.start_session(o.config.state, officer, o.config.now())
    response = redirect("/")
    response.set_cookie(COOKIE, token, max_age=int(officers.LIFETIME.total_seconds()), path="/", httponly=True,
                        samesite="strict", secure=o.secure(request))
    response.delete_cookie(FORM_COOKIE, path="/")
    return response


@router.post("/sign-out", response_class=HTMLResponse)
async def sign_out(request: Request) -> Response:
    o = office(request)
    s = o.session(request)
    form = await request.form()
    if s and same(s.csrf, form.get("csrf_token")):
        officers.end_session(o.config.state, request.cookies.get(COOKIE))
    response = redirect("/sign-in")
    response.delete_cookie(COOKIE, path="/")
    return response
