"""The portal's FastAPI application: configuration, page rendering, and the guards every request passes.

``create_app(PortalConfig(warehouse=..., inbox=...))`` gives the app that
``dprecon serve`` runs under uvicorn. Pages are server-rendered with the
GOV.UK Frontend Jinja macros and work without JavaScript: every action is a
form that posts and redirects. Guards:

* a request body over its limit (a 10 MB file plus form overhead on upload
  routes, 64 KB elsewhere) is cut off before it is read, whether or not it
  declares its length, and the page says the file is too big; a body that
  trickles in (more than 30 seconds without a byte, or 120 seconds in all)
  gets 408 and the connection is closed, so slow clients cannot hold the
  portal (uvicorn's own limits are in serve.py);
* ``X-Forwarded-For`` and ``X-Forwarded-Proto`` are believed only from the
  proxy addresses configured (``DPRECON_PORTAL_TRUSTED_PROXIES``); from
  anyone else they are ignored, so nobody can pick the address the sign-in
  limits count against;
* every response, error pages included, carries a Content-Security-Policy (scripts only with the
  page's nonce, nothing from other sites, no framing), ``nosniff``,
  ``same-origin`` referrers (nothing leaves the site) and ``no-store``;
* the log gets method, path and status of each request (paths hold at most a
  budget reference, payment references and random ids), never the client's
  address, a code, a name or anything typed.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, PackageLoader, PrefixLoader

from reports.returns.letter import gbp, long_date, short_date
from schemas.calendar import today_london
from schemas.council import Council
from stores.codes import aware, utcnow
from stores.state import ensure, secret_key, state_dir_for
from web.portal import sessions
from web.portal.lookup import WarehouseUnavailable, published
from web.portal.uploads import MAX_BYTES

HERE = Path(__file__).parent
COOKIE = "dprecon_portal"
SIGN_IN_COOKIE = "dprecon_portal_form"
FORM_LIMIT = 64 * 1024
log = logging.getLogger("dprecon.portal")


@dataclass
class PortalConfig:
    warehouse: Path
    inbox: Path
    state_dir: Path | None = None  # default: beside the warehouse (data/portal)
    council: str | None = None  # the council's name only when the warehouse has no council.yaml recorded
    max_upload_bytes: int = MAX_BYTES
    secure_cookies: bool | None = None  # None: Secure exactly when the request came over https
    today: Callable[[], date] = today_london
    now: Callable[[], datetime] = utcnow
    on_submit: Callable[[Path], None] | None = None  # e.g. start the intake; default: leave it for the next one
    trusted_proxies: tuple[str, ...] = ()  # addresses (or networks) whose X-Forwarded-* headers are believed
    body_timeout: float = 120.0  # seconds a request body may take in all
    body_idle_timeout: float = 30.0  # seconds a request body may pause between two pieces
    state: Path = field(init=False)

    def __post_init__(self) -> None:
        self.state = ensure(self.state_dir or state_dir_for(self.warehouse))
        clock = self.now
        self.now = lambda: aware(clock())  # sessions and codes compare in UTC


def environment() -> Environment:
    env = Environment(
        loader=ChoiceLoader([FileSystemLoader(HERE / "templates"),
                             PrefixLoader({"govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja")})]),
        autoescape=True, trim_blocks=True, lstrip_blocks=True)
    env.filters.update(gbp=gbp, long_date=long_date, short_date=short_date)
    return env


class Portal:
    """What the route handlers share: configuration, templates, sessions and CSRF checks."""

    def __init__(self, config: PortalConfig) -> None:
        self.config = config
        self.env = environment()
        self.key = secret_key(config.state)
        self.sign_in_tokens = sessions.SignInTokens(self.key)

    @property
    def uploads(self) -> Path:
        return self.config.state / "uploads"

    def client_key(self, request: Request) -> str:
        """Where a request came from, as a keyed hash: rate limits without keeping anyone's address."""
        host = request.client.host if request.client else "unknown"
        return hmac.new(self.key, host.encode(), "sha256").hexdigest()[:32]

    def secure(self, request: Request) -> bool:
        if self.config.secure_cookies is not None:
            return self.config.secure_cookies
        return request.url.scheme == "https"

    def set_cookie(self, response: Response, request: Request, name: str, value: str, max_age: int) -> None:
        response.set_cookie(name, value, max_age=max_age, path="/", httponly=True, samesite="strict",
                            secure=self.secure(request))

    def session(self, request: Request) -> sessions.Session | None:
        return sessions.find(self.config.state, request.cookies.get(COOKIE), self.config.now())

    def council(self) -> Council:
        """The council as the published warehouse has it (register/council.yaml)."""
        try:
            return published(self.config.warehouse, self.config.council, self.config.today()).council
        except WarehouseUnavailable:
            return Council(name=self.config.council) if self.config.council else Council()

    def render(self, request: Request, template: str, status: int = 200, **context) -> HTMLResponse:
        nonce = secrets.token_urlsafe(16)
        body = self.env.get_template(template).render(
            council=self.council(), cspNonce=nonce, request_path=request.url.path, **context)
        response = HTMLResponse(body, status_code=status)
        response.headers["Content-Security-Policy"] = (
            f"default-src 'none'; script-src 'nonce-{nonce}'; style-src 'self'; img-src 'self'; "
            "form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
        return response

    def message(self, request: Request, status: int, title: str, text: str, signed_in: bool = False) -> HTMLResponse:
        return self.render(request, "message.html", status=status, title=title, text=text, signed_in=signed_in)


def same_origin(request: Request) -> bool:
    """A browser's Origin header, when it sends one, must be this site."""
    origin = request.headers.get("origin")
    if origin is None:
        return True
    return origin == f"{request.url.scheme}://{request.url.netloc}"


def redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",  # "no-referrer" makes browsers send Origin: null
    "X-Frame-Options": "DENY",
}
BARE_CSP = "default-src 'none'; style-src 'self'; frame-ancestors 'none'"


def secure_headers(response: Response, path: str) -> Response:
    """The headers every response carries (pages rendered by ``Portal.render`` set a stricter CSP first)."""
    response.headers.setdefault("Content-Security-Policy", BARE_CSP)
    response.headers.update(SECURITY_HEADERS)
    if not path.startswith("/static/"):
        response.headers["Cache-Control"] = "no-store"
    return response


class BodyLimit:
    """Cut off request bodies over the limit without reading them; the route sees ``body_too_large``.

    A body that stops arriving (``idle`` seconds without a byte) or takes longer
    than ``total`` seconds ends the request with 408: the route is told the
    client went away, and whatever it answers is replaced."""

    def __init__(self, app, limit_for: Callable[[str], int], total: float = 120.0, idle: float = 30.0) -> None:
        self.app, self.limit_for, self.total, self.idle = app, limit_for, total, idle

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["method"] not in ("POST", "PUT", "PATCH"):
            return await self.app(scope, receive, send)
        limit = self.limit_for(scope["path"])
        state = scope.setdefault("state", {})
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            state["body_too_large"] = True
        seen, done, started = 0, False, False
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.total

        async def limited():
            nonlocal seen, done
            if state.get("body_too_large"):
                return {"type": "http.request", "body": b"", "more_body": False}
            if done or state.get("body_timed_out"):
                return await receive()  # after the body: waiting for a disconnect is not slow
            try:
                message = await asyncio.wait_for(receive(), max(0.0, min(self.idle, deadline - loop.time())))
            except TimeoutError:
                state["body_timed_out"] = True
                return {"type": "http.disconnect"}
            if message["type"] == "http.request":
                done = not message.get("more_body", False)
                seen += len(message.get("body", b""))
                if seen > limit:
                    state["body_too_large"] = True
                    return {"type": "http.request", "body": b"", "more_body": False}
            return message

        async def guarded(message):
            nonlocal started
            if state.get("body_timed_out") and not started:
                return  # the 408 below goes instead
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited, guarded)
        except Exception:
            if not state.get("body_timed_out"):
                raise
        if state.get("body_timed_out") and not started:
            response = secure_headers(Response("The request took too long to arrive. Try again.\n", 408,
                                               media_type="text/plain", headers={"Connection": "close"}),
                                      scope["path"])
            await response(scope, receive, send)


def create_app(config: PortalConfig) -> FastAPI:
    from web.portal import routes, sending

    app = FastAPI(title="Direct payment evidence", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.portal = Portal(config)
    app.include_router(routes.router)
    app.include_router(sending.router)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")

    @app.middleware("http")
    async def headers_and_log(request: Request, call_next):
        response = secure_headers(await call_next(request), request.url.path)
        log.info("%s %s %s", request.method, request.url.path, response.status_code)
        return response

    from web.portal.lookup import WarehouseUnavailable

    @app.exception_handler(WarehouseUnavailable)
    async def unavailable(request: Request, exc: Exception):
        return unavailable_page(request)

    @app.exception_handler(Exception)
    async def failed(request: Request, exc: Exception):
        # outside the middleware above, so the headers are set here; the log gets the type, not the text
        log.error("%s %s failed: %s", request.method, request.url.path, type(exc).__name__)
        return unavailable_page(request, 500)

    upload_limit = config.max_upload_bytes + FORM_LIMIT
    app.add_middleware(BodyLimit, limit_for=lambda path: upload_limit if path.endswith("/upload") else FORM_LIMIT,
                       total=config.body_timeout, idle=config.body_idle_timeout)
    if config.trusted_proxies:
        from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=list(config.trusted_proxies))
    return app


def unavailable_page(request: Request, status: int = 503) -> Response:
    """The service-unavailable page (a warehouse missing, half-built or busy; anything unexpected)."""
    p: Portal = request.app.state.portal
    response = p.message(request, status, "Sorry, there is a problem with the service",
                         "Try again in a few minutes. Your answers have been saved.")
    return secure_headers(response, request.url.path)
