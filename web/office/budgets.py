"""A budget's page: plan lines and outcomes, periods, returns and the files families sent,
exceptions, recoveries and the audit plan. Evidence files are served to officers only,
as downloads (never shown inline), named by their place in the list rather than their
file name, so nothing personal is in the URL.
"""

from __future__ import annotations

import mimetypes
import stat
from pathlib import Path, PurePosixPath

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from stores import actions
from web.office import queries
from web.office.auth import office, signed_in
from web.office.charts import budget_chart
from web.office.exceptions import unavailable

router = APIRouter()
MAX_DOWNLOAD = 25 * 1024 * 1024


def _budget_page(request: Request, s, budget_id: str) -> Response:
    o = office(request)
    try:
        with queries.reading(o.config.warehouse) as con:
            b = queries.budget(con, budget_id)
            if b is None:
                return o.message(request, 404, "Not found", "There is no budget with that reference.", who=s.officer)
            ctx = dict(b=b, lines=queries.plan_lines(con, budget_id), positions=queries.positions(con, budget_id),
                       returns=queries.returns(con, budget_id), files=queries.evidence_files(con, budget_id),
                       exceptions=queries.budget_exceptions(con, budget_id),
                       recoveries=queries.optional(con, "audit.recoveries", budget_id),
                       plan=queries.optional(con, "audit.audit_plan", budget_id), today=queries.as_of(con))
    except queries.WarehouseUnavailable:
        return unavailable(request, s)
    ctx["chart"] = budget_chart(ctx["positions"], ctx["lines"])
    ctx["actions"] = actions.for_budget(o.config.warehouse, budget_id)
    return o.render(request, "budget.html", who=s.officer, csrf=s.csrf, **ctx)


@router.get("/budgets/{budget_id}", response_class=HTMLResponse)
async def show(request: Request, budget_id: str) -> Response:
    s = signed_in(request)
    if isinstance(s, Response):
        return s
    return await run_in_threadpool(_budget_page, request, s, budget_id[:60])


def evidence_file(inbox: Path | None, manifest_path: str, name: str) -> Path | None:
    """The file a manifest names, only if it is a regular file inside that return's own folder in the inbox."""
    if inbox is None or not name or PurePosixPath(name).name != name or name.startswith("."):
        return None
    root = inbox.resolve()
    folder = (inbox / manifest_path).parent
    candidate = folder / name
    try:
        resolved = candidate.resolve(strict=True)
        st = resolved.lstat()
    except (OSError, RuntimeError):
        return None
    if root not in resolved.parents or resolved.parent != folder.resolve() or not stat.S_ISREG(st.st_mode):
        return None
    return resolved if st.st_size <= MAX_DOWNLOAD else None


@router.get("/budgets/{budget_id}/evidence/{n}")
async def download(request: Request, budget_id: str, n: int) -> Response:
    s = signed_in(request)
    if isinstance(s, Response):
        return s
    o = office(request)
    try:
        with queries.reading(o.config.warehouse) as con:
            files = queries.evidence_files(con, budget_id[:60])
    except queries.WarehouseUnavailable:
        return unavailable(request, s)
    if not 0 <= n < len(files):
        return o.message(request, 404, "Not found", "There is no such file.", who=s.officer)
    row = files[n]
    path = evidence_file(o.config.inbox, row["path"], row["file"] or "")
    if path is None:
        return o.message(request, 404, "Not found", "That file is not in the inbox any more.", who=s.officer)
    data = await run_in_threadpool(path.read_bytes)
    actions.record(o.config.warehouse, s.officer.name, "download_evidence", budget_id=budget_id[:60],
                   detail=f"file {n + 1} of the return from {row['period']}")
    kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    safe = "".join(c if c.isalnum() or c in "._-" else "_" for c in path.name)[:80] or "evidence"
    return Response(data, media_type=kind, headers={
        "Content-Disposition": f'attachment; filename="{safe}"',
        "Content-Security-Policy": "default-src 'none'; sandbox", "X-Content-Type-Options": "nosniff"})
