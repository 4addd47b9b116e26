"""The officers' workspace: review, decide and follow up in the browser.

``create_app(OfficeConfig(warehouse=...))`` gives the app ``dprecon office``
serves, on its own port with its own cookies and sign-in, beside the families'
portal. Pages are server-rendered with the GOV.UK Frontend Jinja macros and
work without JavaScript, at phone width too. Guards on every request:

* signed in (a password, or the council's single sign-on through a trusted
  proxy's user header, honoured only from that proxy's address); auditors read
  everything and change nothing: every POST but sign-in/out is refused for them;
* every form carries the session's CSRF token and must come from this site;
* the portal's headers: a Content-Security-Policy with no scripts, no framing,
  ``nosniff``, same-origin referrers, ``no-store``;
* the log gets method, route and status only: never a name, an address, a
  search or anything typed (searches are posted, so they are not in URLs).
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, PackageLoader, PrefixLoader

from reports.returns.letter import gbp, long_date, short_date
from stores import officers
from stores.state import ensure, secret_key
from web.portal.app import FORM_LIMIT, BodyLimit, redirect, same_origin

HERE = Path(__file__).parent
COOKIE = "dprecon_office"
log = logging.getLogger("dprecon.office")


@dataclass
class OfficeConfig:
    warehouse: Path
    inbox: Path | None = None  # where families' evidence files are (evidence/ folders), for downloads
    state_dir: Path | None = None  # default: data/office beside the warehouse
    portal_state: Path | None = None  # the families' portal's state (codes, locks); default data/portal
    council: str = "Your council"
    trusted_proxies: tuple[str, ...] = ()  # addresses/networks whose user header is believed
    user_header: str | None = None  # e.g. "X-Remote-User", set by the council's SSO proxy
    secure_cookies: bool | None = None
    now: Callable[[], datetime] = officers.utcnow
    # publishes the decisions store into the warehouse now; True when done, False when a run holds it.
    # ``dprecon office`` passes the batch's own (the web never imports the batch)
    on_decision: Callable[[Path], bool] | None = None
    state: Path = field(init=False)

    def __post_init__(self) -> None:
        self.state = ensure(self.state_dir or officers.office_dir_for(self.warehouse))


def environment() -> Environment:
    env = Environment(
        loader=ChoiceLoader([FileSystemLoader(HERE / "templates"),
                             PrefixLoader({"govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja")})]),
        autoescape=True, trim_blocks=True, lstrip_blocks=True)
    env.filters.update(gbp=gbp, long_date=long_date, short_date=short_date,
                       words=lambda s: (s or "").replace("_", " "))
    return env


class Office:
    """What the route handlers share: configuration, templates, sessions, roles and CSRF."""

    def __init__(self, config: OfficeConfig) -> None:
        self.config = config
        self.env = environment()
        self.key = secret_key(config.state)
        self.proxies = [ipaddress.ip_network(p, strict=False) for p in config.trusted_proxies]

    def from_proxy(self, request: Request) -> bool:
        host = request.client.host if request.client else None
        try:
            return host is not None and any(ipaddress.ip_address(host) in n for n in self.proxies)
        except ValueError:
            return False

    def client_key(self, request: Request) -> str:
        """Where a request came from, as a keyed hash: limits without keeping anyone's address."""
        host = request.client.host if request.client else "unknown"
        if self.from_proxy(request):
            forwarded = request.headers.get("x-forwarded-for", "").split(",")[-1].strip()
            host = forwarded or host
        return hmac.new(self.key, host.encode(), "sha256").hexdigest()[:32]

    def session(self, request: Request) -> officers.OfficeSession | None:
        """The signed-in officer: the proxy's user header (from a trusted proxy only), else the cookie."""
        if self.config.user_header and self.from_proxy(request):
            name = request.headers.get(self.config.user_header)
            officer = officers.find_officer(self.config.state, name) if name else None
            if officer:
                return officers.OfficeSession(officer, self._sso_csrf(officer.name))
        return officers.find_session(self.config.state, request.cookies.get(COOKIE), self.config.now())

    def _sso_csrf(self, name: str) -> str:
        return hmac.new(self.key, f"sso|{name}".encode(), "sha256").hexdigest()

    def secure(self, request: Request) -> bool:
        """Secure cookies exactly when the officer's browser is on https (as a trusted proxy says, if behind one)."""
        if self.config.secure_cookies is not None:
            return self.config.secure_cookies
        if self.from_proxy(request) and request.headers.get("x-forwarded-proto"):
            return request.headers["x-forwarded-proto"].split(",")[-1].strip() == "https"
        return request.url.scheme == "https"

    def render(self, request: Request, template: str, status: int = 200, **context) -> HTMLResponse:
        body = self.env.get_template(template).render(council=self.council_name(), request_path=request.url.path,
                                                      nonce=secrets.token_urlsafe(8), **context)
        response = HTMLResponse(body, status_code=status)
        response.headers["Content-Security-Policy"] = (
            "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
            "frame-ancestors 'none'; base-uri 'none'")
        return response

    def council_name(self) -> str:
        """The council as the published warehouse has it (register/council.yaml), else the configured name."""
        from reports.council import council_at

        return council_at(self.config.warehouse, self.config.council).name

    def message(self, request: Request, status: int, title: str, text: str, who=None) -> HTMLResponse:
        return self.render(request, "message.html", status=status, title=title, text=text, who=who)


def route_name(request: Request) -> str:
    """The route's pattern (``/exceptions/{exception_id}``), so logs never hold an id or a search."""
    return getattr(request.scope.get("route"), "path", None) or ("/static" if request.url.path.startswith(
        "/static/") else "(no route)")


def create_app(config: OfficeConfig) -> FastAPI:
    from web.office import activity, auth, budgets, exceptions

    app = FastAPI(title="Direct payments: officers' workspace", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.office = Office(config)
    for module in (auth, exceptions, budgets, activity):
        app.include_router(module.router)
    # the portal's stylesheet first (the office's own only adds to it); the longer prefix must come first
    app.mount("/static/base", StaticFiles(directory=HERE.parent / "portal" / "static"), name="base")
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")

    @app.middleware("http")
    async def guard(request: Request, call_next):
        if request.method == "POST" and not same_origin(request):
            response: Response = HTMLResponse("This form did not come from this site.", status_code=403)
        else:
            response = await call_next(request)
        response.headers.setdefault("Content-Security-Policy", "default-src 'none'; style-src 'self'; "
                                    "frame-ancestors 'none'")
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "same-origin"
        response.headers["X-Frame-Options"] = "DENY"
        if not request.url.path.startswith("/static/"):
            response.headers["Cache-Control"] = "no-store"
        log.info("%s %s %s", request.method, route_name(request), response.status_code)
        return response

    app.add_middleware(BodyLimit, limit_for=lambda path: FORM_LIMIT)
    return app


__all__ = ["COOKIE", "Office", "OfficeConfig", "create_app", "redirect"]
