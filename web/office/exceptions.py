"""The queue of exceptions, one exception's page, and the decision form.

Filters that hold nothing personal (rule, severity, cohort, status, new
tonight, age) are in the query string; a search (a budget, a holder's name or
an exception id) is posted, so it never lands in a URL or a log.
"""

from __future__ import annotations

from decimal import Decimal

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from pipelines.rules.registry import RULES, SEVERITY_RANK, declared
from stores import actions, reviews
from web.office import queries
from web.office.auth import acting, office, signed_in
from web.office.charts import budget_chart
from web.portal.sessions import same

router = APIRouter()
DECISIONS = {d: d.replace("_", " ").capitalize() for d in reviews.DECISIONS}


def _queue_page(request: Request, s, f: queries.Filters, status: int = 200) -> Response:
    o = office(request)
    try:
        with queries.reading(o.config.warehouse) as con:
            today = queries.as_of(con)
            found = queries.queue(con, f, today)
    except queries.WarehouseUnavailable:
        return unavailable(request, s)
    return o.render(request, "queue.html", status=status, who=s.officer, csrf=s.csrf, f=f, rows=found,
                    today=today, stake=queries.money_at_stake(found), rules=[r.code for r in declared()],
                    severities=list(SEVERITY_RANK), cohorts=queries.COHORTS, statuses=queries.STATUSES,
                    ages=[a for a in queries.AGES if a])


def unavailable(request: Request, s) -> Response:
    return office(request).message(request, 503, "Try again in a minute",
                                   "The council's records are being updated or are not ready yet.", who=s.officer)


@router.get("/", response_class=HTMLResponse)
async def queue(request: Request, rule: str = "", severity: str = "", cohort: str = "", status: str = "active",
                new: str = "", older_than: str = "") -> Response:
    s = signed_in(request)
    if isinstance(s, Response):
        return s
    f = queries.Filters.clean(rule, severity, cohort, status, new, older_than)
    return await run_in_threadpool(_queue_page, request, s, f)


@router.post("/search", response_class=HTMLResponse)
async def search(request: Request) -> Response:
    s = signed_in(request)
    if isinstance(s, Response):
        return s
    form = await request.form()
    if not same(s.csrf, form.get("csrf_token")):
        return office(request).message(request, 403, "Not allowed", "This form has expired. Reload the page.",
                                       who=s.officer)
    f = queries.Filters.clean(**{k: str(form.get(k) or "") for k in
                                 ("rule", "severity", "cohort", "status", "new", "older_than", "search")})
    return await run_in_threadpool(_queue_page, request, s, f)


def _exception_page(request: Request, s, exception_id: str, errors: list | None = None, values: dict | None = None,
                    done: str | None = None) -> Response:
    o = office(request)
    try:
        with queries.reading(o.config.warehouse) as con:
            today = queries.as_of(con)
            e = queries.exception(con, exception_id)
            if e is None:
                return o.message(request, 404, "Not found", "There is no exception with that id.", who=s.officer)
            txns, invs = queries.evidence_rows(con, (e["evidence"] or "").split())
            decided = queries.decisions(con, exception_id)
            pos = queries.positions(con, e["budget_id"]) if e["budget_id"] else []
            lines = queries.plan_lines(con, e["budget_id"]) if e["budget_id"] else []
            rets = queries.returns(con, e["budget_id"]) if e["budget_id"] else []
    except queries.WarehouseUnavailable:
        return unavailable(request, s)
    published = {(str(d["decided_at"]), d["decision"]) for d in decided}
    pending = [r for r in reviews.load(o.config.warehouse).iter_rows(named=True)
               if r["exception_id"] == exception_id and (str(r["decided_at"]), r["decision"]) not in published]
    rule = RULES.get(e["rule_code"])
    return o.render(request, "exception.html", status=400 if errors else 200, who=s.officer, csrf=s.csrf, e=e,
                    next_step=rule.next_step if rule else "", txns=txns, invs=invs, decided=decided, pending=pending,
                    chart=budget_chart(pos, lines), positions=pos, returns=rets, today=today,
                    actions=actions.for_exception(o.config.warehouse, exception_id), decisions=DECISIONS,
                    errors=errors or [], values=values or {}, done=done)


@router.get("/exceptions/{exception_id}", response_class=HTMLResponse)
async def show(request: Request, exception_id: str) -> Response:
    s = signed_in(request)
    if isinstance(s, Response):
        return s
    return await run_in_threadpool(_exception_page, request, s, exception_id[:40])


def check_decision(form: dict, owed: Decimal | None) -> tuple[dict, list[dict]]:
    """The decision form's values, and what is wrong with them: the same check as ``dprecon review
    decide`` (:func:`stores.reviews.checked_amount`), each message put beside its field."""
    values = {k: str(form.get(k) or "").strip() for k in ("decision", "amount", "note", "override")}
    if values["decision"] not in DECISIONS:
        return values, [{"text": "Choose a decision", "href": "#decision"}]
    if len(values["note"]) > 2000:
        return values, [{"text": "The note must be 2,000 characters or fewer", "href": "#note"}]
    amount = values["amount"].replace("£", "").replace(",", "")
    try:
        reviews.checked_amount(values["decision"], amount or None, owed, bool(values["override"]), values["note"])
    except ValueError as e:
        words = str(e).replace("--override", "the box below").replace("--note", "note").replace("--amount ", "")
        field = "#note" if "note" in words and "more than" not in words else "#amount"
        return values, [{"text": words[0].upper() + words[1:], "href": field}]
    values["amount"] = amount
    return values, []


@router.post("/exceptions/{exception_id}/decide", response_class=HTMLResponse)
async def decide(request: Request, exception_id: str) -> Response:
    s, form, refused = await acting(request)
    if refused:
        return refused
    o = office(request)
    exception_id = exception_id[:40]
    try:
        with queries.reading(o.config.warehouse) as con:
            e = queries.exception(con, exception_id)
    except queries.WarehouseUnavailable:
        return unavailable(request, s)
    if e is None:
        return o.message(request, 404, "Not found", "There is no exception with that id.", who=s.officer)
    values, errors = check_decision(form, e["amount"])
    if errors:
        return await run_in_threadpool(_exception_page, request, s, exception_id, errors, values)
    try:
        await run_in_threadpool(reviews.append, o.config.warehouse, exception_id, s.officer.name,
                                values["decision"], values["note"] or None, values["amount"] or None,
                                at_most=e["amount"], override=bool(values["override"]))
    except ValueError as err:
        return await run_in_threadpool(_exception_page, request, s, exception_id,
                                       [{"text": str(err), "href": "#decision"}], values)
    done = await run_in_threadpool(publish_decision, o.config)
    return await run_in_threadpool(_exception_page, request, s, exception_id, None, None, done)


def publish_decision(config) -> str:
    """Put the decision into the published warehouse now, through the hook ``dprecon office`` gives
    (the same publish ``dprecon review decide`` does); without one it shows after the next run."""
    if config.on_decision is None:
        return "Decision recorded. It shows in the warehouse after the next run."
    return "Decision recorded." if config.on_decision(config.warehouse) else (
        "Decision recorded. A run is under way: the queue shows it after that run.")
