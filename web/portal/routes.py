"""The portal's pages: sign in and out, the return, one payment's evidence (the rest: sending.py).

No route takes a budget or period from the address or the form: the return is
always the one the session was opened for, and a payment reference or upload
id is looked up only among that return's own, so another family's references
lead to "page not found". Every POST checks the form's CSRF token (and the
Origin header when the browser sends one) before it looks at anything else.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile
from starlette.formparsers import MultiPartException

from reports.returns.letter import Letter, Payment, long_date
from stores.codes import check_sign_in
from web.portal import drafts, sessions, uploads
from web.portal.app import COOKIE, FORM_LIMIT, SIGN_IN_COOKIE, Portal, log, redirect, same_origin
from web.portal.drafts import (
    MAX_FILES,
    MAX_FILES_PER_PAYMENT,
    MAX_TEXT,
    Draft,
    Upload,
    clean_text,
)
from web.portal.lookup import WarehouseUnavailable, look_up

router = APIRouter()
KINDS = {"receipt": "Receipt", "invoice": "Invoice", "timesheet": "Timesheet", "payslip": "Payslip"}
SAFE_REF = re.compile(r"^[A-Za-z0-9_.-]{1,40}$")
LONDON = ZoneInfo("Europe/London")


def portal(request: Request) -> Portal:
    return request.app.state.portal


def too_large(request: Request) -> bool:
    return bool(getattr(request.state, "body_too_large", False))


def loggable(budget: str) -> str:
    """A budget reference as typed is logged only if it looks like one (no injection into the log)."""
    return budget if SAFE_REF.match(budget) else "<unrecognised>"


@dataclass
class Ctx:
    session: sessions.Session
    draft: Draft
    letter: Letter | None


def context(request: Request, allow_sent: bool = False) -> Ctx | Response:
    """The signed-in family's session, draft and letter, or the page to show instead."""
    p = portal(request)
    s = p.session(request)
    if s is None:
        return redirect("/sign-in")
    draft = drafts.load(p.config.state, s.budget_id, s.period_start)
    if draft.sent and not allow_sent:
        return redirect("/return/sent")
    try:
        # a return already sent (or being added to) is shown as the council has it, received or not
        view = look_up(p.config.warehouse, s.budget_id, s.period_start, p.config.today(), p.config.council,
                       received_too=draft.sent or draft.follow_up)
    except WarehouseUnavailable:
        if draft.sent:
            return Ctx(s, draft, None)
        return p.message(request, 503, "Sorry, there is a problem with the service",
                         "Try again in a few minutes. Your answers have been saved.", signed_in=True)
    if draft.sent:
        return Ctx(s, draft, view.letter)
    if not view.known:
        return p.message(request, 404, "We cannot find this return",
                         "Contact the direct payments team and quote your budget reference.", signed_in=True)
    if view.letter is None:
        when = f" on {long_date(view.received_at)}" if view.received_at else ""
        return p.message(request, 200, "We already have this return",
                         f"We received this evidence return{when}. You do not need to do anything else.",
                         signed_in=True)
    return Ctx(s, draft, view.letter)


async def form_of(request: Request, files: int = 0) -> FormData | None:
    try:
        return await request.form(max_files=files, max_fields=20, max_part_size=FORM_LIMIT)
    except MultiPartException:
        return None


def csrf_ok(request: Request, s: sessions.Session, form: FormData | None) -> bool:
    return form is not None and same_origin(request) and sessions.same(s.csrf, form.get("csrf_token"))


def forbidden(request: Request) -> HTMLResponse:
    return portal(request).message(
        request, 403, "This page has expired",
        "For your security, the form could not be sent. Go back, reload the page and try again.")


def payment_of(ctx: Ctx, ref: str) -> Payment | None:
    return next((pm for pm in ctx.letter.payments if pm.reference == ref), None) if ctx.letter else None


def error(text: str, field: str) -> dict:
    return {"text": text, "href": f"#{field}", "field": field}


# ---- signing in and out ------------------------------------------------------------------------

@router.get("/", response_class=HTMLResponse)
def start(request: Request):
    return portal(request).render(request, "start.html")


@router.get("/healthz")
def healthz():
    return Response("ok", media_type="text/plain")


@router.get("/favicon.ico")
def favicon():
    return Response(status_code=204)  # browsers ask for it; the council's icon is not ours to ship


def sign_in_form(request: Request, errors: list[dict] | None = None, budget: str = "", status: int = 200):
    p = portal(request)
    nonce = request.cookies.get(SIGN_IN_COOKIE) or sessions.SignInTokens.nonce()
    response = p.render(request, "sign_in.html", status=status, csrf=p.sign_in_tokens.token(nonce),
                        errors=errors or [], budget=budget)
    p.set_cookie(response, request, SIGN_IN_COOKIE, nonce, sessions.SIGN_IN_FORM_AGE)
    return response


@router.get("/sign-in", response_class=HTMLResponse)
def sign_in_page(request: Request):
    return sign_in_form(request)


@router.post("/sign-in", response_class=HTMLResponse)
async def sign_in(request: Request):
    p = portal(request)
    form = None if too_large(request) else await form_of(request)
    if form is None or not same_origin(request) or not p.sign_in_tokens.valid(
            request.cookies.get(SIGN_IN_COOKIE), form.get("csrf_token")):
        return forbidden(request)
    budget = str(form.get("budget_reference") or "").strip()[:60]
    code = str(form.get("access_code") or "")[:60]
    errors = ([error("Enter your budget reference", "budget_reference")] if not budget else []) + (
        [error("Enter your access code", "access_code")] if not code.strip() else [])
    if errors:
        return sign_in_form(request, errors, budget, 400)
    result = await run_in_threadpool(check_sign_in, p.config.state, budget, code, p.client_key(request),
                                     p.config.now())
    log.info("sign-in %s for budget %s", result.outcome, loggable(budget.upper()))
    if result.outcome == "locked":
        return sign_in_form(request, [error("You have entered the wrong details too many times. Wait 15 minutes, "
                                            "then try again", "budget_reference")], budget, 429)
    if result.outcome == "wrong":
        return sign_in_form(request, [error("The budget reference or access code is not right. Check your letter "
                                            "and try again", "access_code")], budget, 400)
    if result.outcome == "expired":
        return sign_in_form(request, [error("This access code has expired. Contact the direct payments team for a "
                                            "new one", "access_code")], budget, 400)
    await run_in_threadpool(sessions.end, p.config.state, request.cookies.get(COOKIE))
    token = await run_in_threadpool(sessions.start, p.config.state, result.budget_id, result.period_start,
                                    p.config.now())
    response = redirect("/return")
    p.set_cookie(response, request, COOKIE, token, int(sessions.LIFETIME.total_seconds()))
    response.delete_cookie(SIGN_IN_COOKIE, path="/")
    return response


@router.post("/sign-out", response_class=HTMLResponse)
async def sign_out(request: Request):
    p = portal(request)
    s = await run_in_threadpool(p.session, request)
    if s is not None:
        if not csrf_ok(request, s, await form_of(request)):
            return forbidden(request)
        await run_in_threadpool(sessions.end, p.config.state, request.cookies.get(COOKIE))
    response = p.render(request, "signed_out.html")
    response.delete_cookie(COOKIE, path="/")
    return response


# ---- the return ---------------------------------------------------------------------------------

@router.get("/return", response_class=HTMLResponse)
def overview(request: Request):
    ctx = context(request)
    if isinstance(ctx, Response):
        return ctx
    return portal(request).render(request, "overview.html", ctx=ctx, letter=ctx.letter, draft=ctx.draft,
                                  sent_refs=ctx.draft.refs_sent(), csrf=ctx.session.csrf, signed_in=True)


def payment_page(request: Request, ctx: Ctx, payment: Payment, errors: list[dict] | None = None,
                 status: int = 200, explanation: str | None = None, kind: str = "receipt") -> HTMLResponse:
    p = portal(request)
    item = ctx.draft.items.get(payment.reference, drafts.Item())
    return p.render(request, "payment.html", status=status, letter=ctx.letter, payment=payment, item=item,
                    errors=errors or [], csrf=ctx.session.csrf, kinds=KINDS, kind=kind,
                    explanation=item.explanation if explanation is None else explanation,
                    max_mb=p.config.max_upload_bytes // (1024 * 1024), signed_in=True)


@router.get("/return/payments/{ref}", response_class=HTMLResponse)
def payment(request: Request, ref: str):
    ctx = context(request)
    if isinstance(ctx, Response):
        return ctx
    pm = payment_of(ctx, ref)
    if pm is None:
        return not_found(request)
    return payment_page(request, ctx, pm)


def not_found(request: Request) -> HTMLResponse:
    return portal(request).message(request, 404, "Page not found",
                                   "If you typed the web address, check it is correct.", signed_in=True)


@router.post("/return/payments/{ref}/upload", response_class=HTMLResponse)
async def upload(request: Request, ref: str):
    p = portal(request)
    ctx = await run_in_threadpool(context, request)
    if isinstance(ctx, Response):
        return ctx
    pm = payment_of(ctx, ref)
    # a body over the limit is cut off unread, whether its length was declared or only found out
    form = None if too_large(request) else await form_of(request, files=1)
    if too_large(request):
        if pm is None:
            return not_found(request)
        return payment_page(request, ctx, pm, [error(
            f"The selected file must be smaller than {p.config.max_upload_bytes // (1024 * 1024)} MB", "file")], 413)
    if not csrf_ok(request, ctx.session, form):
        return forbidden(request)
    if pm is None:
        return not_found(request)
    kind = str(form.get("evidence_type") or "")
    errors = [] if kind in KINDS else [error("Select what the file is", "evidence_type")]
    file = form.get("file")
    data = b""
    if not isinstance(file, UploadFile) or (not file.filename and not file.size):
        errors.append(error("Select a file to upload", "file"))
    else:
        data = await file.read(p.config.max_upload_bytes + 1)
    if errors:
        return payment_page(request, ctx, pm, errors, 400, kind=kind)
    try:
        sniffed = uploads.sniff(data, p.config.max_upload_bytes)
    except uploads.UploadRefused as e:
        log.info("upload refused for budget %s: %s", ctx.session.budget_id, type(e).__name__)
        return payment_page(request, ctx, pm, [error(str(e), "file")], 413 if len(data) > p.config.max_upload_bytes
                            else 400, kind=kind)
    problem = await run_in_threadpool(add_file, p, ctx, ref, kind, uploads.display_name(file.filename),
                                      sniffed.ext, data)
    if problem:
        return payment_page(request, ctx, pm, [error(problem, "file")], 400, kind=kind)
    log.info("upload accepted for budget %s: %s, %d bytes", ctx.session.budget_id, sniffed.ext, len(data))
    return redirect(f"/return/payments/{ref}")


def add_file(p: Portal, ctx: Ctx, ref: str, kind: str, name: str, ext: str, data: bytes) -> str | None:
    """Keep the file and note it in the draft, or neither; returns a message when it cannot."""
    now = p.config.now()
    with drafts.edit(p.config.state, ctx.session.budget_id, ctx.session.period_start, now) as d:
        if d.status != "draft":
            return "This return has already been sent"
        if len(d.item(ref).files) >= MAX_FILES_PER_PAYMENT:
            return f"You can upload up to {MAX_FILES_PER_PAYMENT} files for one payment"
        if d.file_count >= MAX_FILES:
            return f"You can upload up to {MAX_FILES} files for one return"
        upload_id = uploads.store(p.uploads, data)
        try:
            d.item(ref).files.append(Upload(upload_id, kind, name, ext, len(data), now.isoformat()))
        except BaseException:
            uploads.discard(p.uploads, upload_id)
            raise
    return None


@router.post("/return/payments/{ref}/files/{upload_id}/remove", response_class=HTMLResponse)
async def remove_file(request: Request, ref: str, upload_id: str):
    p = portal(request)
    ctx = await run_in_threadpool(context, request)
    if isinstance(ctx, Response):
        return ctx
    if not csrf_ok(request, ctx.session, await form_of(request)):
        return forbidden(request)
    if payment_of(ctx, ref) is None:
        return not_found(request)

    def remove() -> bool:
        with drafts.edit(p.config.state, ctx.session.budget_id, ctx.session.period_start, p.config.now()) as d:
            files = d.items.get(ref, drafts.Item()).files
            found = [f for f in files if f.id == upload_id]
            if not found or d.status != "draft":
                return False
            files.remove(found[0])
        uploads.discard(p.uploads, upload_id)
        return True

    if not await run_in_threadpool(remove):
        return not_found(request)
    return redirect(f"/return/payments/{ref}")


@router.post("/return/payments/{ref}/explanation", response_class=HTMLResponse)
async def explain(request: Request, ref: str):
    p = portal(request)
    ctx = await run_in_threadpool(context, request)
    if isinstance(ctx, Response):
        return ctx
    form = await form_of(request)
    if not csrf_ok(request, ctx.session, form):
        return forbidden(request)
    pm = payment_of(ctx, ref)
    if pm is None:
        return not_found(request)
    text = clean_text(form.get("explanation"))
    had = ctx.draft.items.get(ref, drafts.Item()).explanation
    if len(text) > MAX_TEXT:
        return payment_page(request, ctx, pm, [error(f"Explanation must be {MAX_TEXT:,} characters or fewer",
                                                     "explanation")], 400, explanation=text)
    if not text and not had:
        return payment_page(request, ctx, pm, [error("Enter an explanation", "explanation")], 400, explanation="")

    def save() -> None:
        with drafts.edit(p.config.state, ctx.session.budget_id, ctx.session.period_start, p.config.now()) as d:
            if d.status == "draft":
                d.item(ref).explanation = text

    await run_in_threadpool(save)
    return redirect("/return")
