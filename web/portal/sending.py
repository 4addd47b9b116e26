"""The end of a return: the outcome questions, check your answers, send, and the receipt.

Sending writes the return into the inbox (``submit.write_return``) under the
draft's lock, so a double click sends it once; the family then sees what was
sent and when, and the portal keeps no copy of the files. The receipt says
which payments still need evidence (none sent, none the council already had)
and lets the family add more: a second sending, a second folder in the inbox.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from reports.returns.letter import long_date
from web.portal import drafts, uploads
from web.portal.app import Portal, log, redirect
from web.portal.drafts import ANSWERS, MAX_TEXT, clean_text
from web.portal.routes import (
    KINDS,
    LONDON,
    Ctx,
    context,
    csrf_ok,
    error,
    forbidden,
    form_of,
    portal,
)
from web.portal.submit import write_return

router = APIRouter()



@router.get("/return/outcomes", response_class=HTMLResponse)
def outcomes(request: Request):
    ctx = context(request)
    if isinstance(ctx, Response):
        return ctx
    return outcomes_page(request, ctx, ctx.draft.outcomes, ctx.draft.anything_else)


def outcomes_page(request: Request, ctx: Ctx, answers: dict, anything: str, errors: list[dict] | None = None,
                  status: int = 200) -> HTMLResponse:
    return portal(request).render(request, "outcomes.html", status=status, letter=ctx.letter, answers=answers,
                                  anything_else=anything, errors=errors or [], answer_words=ANSWERS,
                                  csrf=ctx.session.csrf, max_text=MAX_TEXT, signed_in=True)


@router.post("/return/outcomes", response_class=HTMLResponse)
async def save_outcomes(request: Request):
    p = portal(request)
    ctx = await run_in_threadpool(context, request)
    if isinstance(ctx, Response):
        return ctx
    form = await form_of(request)
    if not csrf_ok(request, ctx.session, form):
        return forbidden(request)
    answers = {label: str(form.get(f"outcome-{i}")) for i, (label, _q) in enumerate(ctx.letter.outcomes, start=1)
               if form.get(f"outcome-{i}") in ANSWERS}
    anything = clean_text(form.get("anything_else"))
    errors = [error(f"Select whether {label} got better, stayed the same or got worse", f"outcome-{i}")
              for i, (label, _q) in enumerate(ctx.letter.outcomes, start=1) if label not in answers]
    if len(anything) > MAX_TEXT:
        return outcomes_page(request, ctx, answers, anything,
                             [error(f"Your message must be {MAX_TEXT:,} characters or fewer", "anything_else")], 400)

    def save() -> None:
        with drafts.edit(p.config.state, ctx.session.budget_id, ctx.session.period_start, p.config.now()) as d:
            if d.status == "draft":
                d.outcomes, d.anything_else = answers, anything

    await run_in_threadpool(save)
    if form.get("action") == "save":
        return redirect("/return/saved")
    if errors:
        return outcomes_page(request, ctx, answers, anything, errors, 400)
    return redirect("/return/check")


@router.get("/return/saved", response_class=HTMLResponse)
def saved(request: Request):
    ctx = context(request)
    if isinstance(ctx, Response):
        return ctx
    return portal(request).render(request, "saved.html", letter=ctx.letter, csrf=ctx.session.csrf, signed_in=True)


def check_errors(ctx: Ctx) -> list[dict]:
    if ctx.draft.follow_up:  # the outcomes were answered with the first sending
        added = any(i.done for i in ctx.draft.items.values())
        return [] if added else [{"text": "Add evidence for a payment before you send it", "href": "/return"}]
    missing = [label for label, _q in ctx.letter.outcomes if label not in ctx.draft.outcomes]
    errors = [{"text": "Answer the questions about how the support is going", "href": "/return/outcomes"}] if missing else []
    if not errors and not any(i.done for i in ctx.draft.items.values()) and not ctx.draft.outcomes:
        errors.append({"text": "Add evidence for a payment before you send your return", "href": "/return"})
    return errors


@router.get("/return/check", response_class=HTMLResponse)
def check(request: Request):
    ctx = context(request)
    if isinstance(ctx, Response):
        return ctx
    return check_page(request, ctx)


def check_page(request: Request, ctx: Ctx, errors: list[dict] | None = None, status: int = 200) -> HTMLResponse:
    return portal(request).render(request, "check.html", status=status, letter=ctx.letter, draft=ctx.draft,
                                  sent_refs=ctx.draft.refs_sent(), errors=errors or [], kinds=KINDS, answer_words=ANSWERS, csrf=ctx.session.csrf,
                                  signed_in=True)


@router.post("/return/check", response_class=HTMLResponse)
async def send(request: Request):
    p = portal(request)
    ctx = await run_in_threadpool(context, request)
    if isinstance(ctx, Response):
        return ctx
    if not csrf_ok(request, ctx.session, await form_of(request)):
        return forbidden(request)
    errors = check_errors(ctx)
    if errors:
        return check_page(request, ctx, errors, 400)
    folder = await run_in_threadpool(send_return, p, ctx)
    if folder is None:
        return redirect("/return/sent")
    log.info("return sent for budget %s, period %s: evidence/%s", ctx.session.budget_id,
             ctx.session.period_start.isoformat(), folder)
    if p.config.on_submit is not None:
        try:
            p.config.on_submit(p.config.inbox / "evidence" / folder)
        except Exception:  # noqa: BLE001 - the return is safely in the inbox; the next intake picks it up
            log.exception("starting the intake after a sent return failed")
    return redirect("/return/sent")


def send_return(p: Portal, ctx: Ctx) -> str | None:
    """Write the return into the inbox and mark the draft sent, under the draft's lock."""
    now = p.config.now()
    with drafts.edit(p.config.state, ctx.session.budget_id, ctx.session.period_start, now) as d:
        if d.status != "draft":
            return None
        folder = write_return(p.config.inbox, p.uploads, d, ctx.letter, now)
        d.status, d.sent_at, d.folder = "sent", now.isoformat(), folder
        d.payments = {pm.reference: [pm.date.isoformat(), pm.payee, f"{pm.amount:.2f}"]
                      for pm in ctx.letter.payments if pm.reference in d.items}
        sent_ids = [f.id for i in d.items.values() for f in i.files]
    for upload_id in sent_ids:  # the inbox has them now; keep no second copy
        uploads.discard(p.uploads, upload_id)
    return folder


@router.get("/return/sent", response_class=HTMLResponse)
def sent(request: Request):
    ctx = context(request, allow_sent=True)
    if isinstance(ctx, Response):
        return ctx
    if not ctx.draft.sent:
        return redirect("/return")
    missing = ctx.draft.still_missing(ctx.letter.payments) if ctx.letter else None
    return portal(request).render(request, "sent.html", draft=ctx.draft, kinds=KINDS, answer_words=ANSWERS,
                                  sendings=[dict(s, when=when_text(s["sent_at"])) for s in ctx.draft.sendings()],
                                  sent_when=when_text(ctx.draft.sent_at), csrf=ctx.session.csrf,
                                  missing=missing, missing_total=sum((p.amount for p in missing or []), Decimal("0.00")),
                                  reference=f"{ctx.draft.budget_id}_{ctx.draft.period_start}", signed_in=True)


def when_text(sent_at: str) -> str:
    when = datetime.fromisoformat(sent_at).astimezone(LONDON)
    return f"{long_date(when.date())} at {when:%H:%M}"


@router.post("/return/more", response_class=HTMLResponse)
async def add_more(request: Request):
    """Open a sent return again to add evidence for payments still missing."""
    p = portal(request)
    ctx = await run_in_threadpool(context, request, True)
    if isinstance(ctx, Response):
        return ctx
    if not csrf_ok(request, ctx.session, await form_of(request)):
        return forbidden(request)

    def reopen() -> None:
        with drafts.edit(p.config.state, ctx.session.budget_id, ctx.session.period_start, p.config.now()) as d:
            d.start_more()

    await run_in_threadpool(reopen)
    log.info("adding evidence to a sent return for budget %s", ctx.session.budget_id)
    return redirect("/return")
