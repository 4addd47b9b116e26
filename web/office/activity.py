"""Portal activity: returns received, access codes issued, references locked by failed
sign-ins; an officer can reissue a return's code (shown once, on the page) or lift a lock.
"""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from stores import actions, codes
from stores.state import database as portal_database
from stores.state import state_dir_for
from web.office import queries
from web.office.auth import acting, office, signed_in
from web.office.exceptions import unavailable

router = APIRouter()


def portal_state(request: Request):
    o = office(request)
    return o.config.portal_state or state_dir_for(o.config.warehouse)


def codes_and_locks(state, now) -> tuple[list[dict], list[dict]]:
    with portal_database(state) as con:
        issued = [dict(budget_id=b, period_start=date.fromisoformat(p), issued_at=i[:10], expires_at=e[:10])
                  for b, p, i, e in con.execute("SELECT budget_id, period_start, issued_at, expires_at FROM codes "
                                                "ORDER BY issued_at DESC, budget_id LIMIT 200")]
        locked = [dict(budget_id=k.split(":", 1)[1], until=u[:16].replace("T", " "))
                  for k, u in con.execute("SELECT key, locked_until FROM attempts WHERE key LIKE 'budget:%' "
                                          "AND locked_until > ? ORDER BY key", [now.isoformat()])]
    return issued, locked


def _page(request: Request, s, code: dict | None = None, done: str | None = None) -> Response:
    o = office(request)
    try:
        with queries.reading(o.config.warehouse) as con:
            received = queries.received_returns(con)
    except queries.WarehouseUnavailable:
        return unavailable(request, s)
    issued, locked = codes_and_locks(portal_state(request), o.config.now())
    return o.render(request, "activity.html", who=s.officer, csrf=s.csrf, received=received, issued=issued,
                    locked=locked, code=code, done=done, recent=actions.recent(o.config.warehouse, 20))


@router.get("/portal", response_class=HTMLResponse)
async def activity(request: Request) -> Response:
    s = signed_in(request)
    if isinstance(s, Response):
        return s
    return await run_in_threadpool(_page, request, s)


@router.post("/portal/reissue", response_class=HTMLResponse)
async def reissue(request: Request) -> Response:
    s, form, refused = await acting(request)
    if refused:
        return refused
    budget_id = str(form.get("budget_id") or "")[:60]
    try:
        period = date.fromisoformat(str(form.get("period_start") or ""))
    except ValueError:
        return office(request).message(request, 400, "Not found", "That return is not known.", who=s.officer)
    code = await run_in_threadpool(codes.issue_code, portal_state(request), budget_id, period, office(request).config.now())
    actions.record(office(request).config.warehouse, s.officer.name, "reissue_code", budget_id=budget_id,
                   detail=f"return from {period.isoformat()}")
    return await run_in_threadpool(_page, request, s, {"budget_id": budget_id, "period_start": period, "code": code})


@router.post("/portal/unlock", response_class=HTMLResponse)
async def unlock(request: Request) -> Response:
    s, form, refused = await acting(request)
    if refused:
        return refused
    budget_id = codes.normalise_budget(str(form.get("budget_id") or "")[:60])
    with portal_database(portal_state(request)) as con:
        con.execute("DELETE FROM attempts WHERE key = ?", [f"budget:{budget_id}"])
    actions.record(office(request).config.warehouse, s.officer.name, "lift_lock", budget_id=budget_id)
    return await run_in_threadpool(_page, request, s, None, f"Sign-in for {budget_id} is unlocked.")
