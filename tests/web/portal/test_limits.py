"""The portal under attack: sign-in limits that cannot lock a family out, forwarded addresses believed only
from the configured proxy, slow clients cut off, and a broken warehouse answered with the 503 page."""

from __future__ import annotations

import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

import duckdb
import pytest
from fastapi.testclient import TestClient

from flows.settings import Settings
from schemas.config import ConfigError
from stores import codes
from stores.codes import issue_code
from tests.web.portal.conftest import csrf_of
from web.portal.app import PortalConfig, create_app
from web.portal.serve import Limits, uvicorn_options

PROXY = "10.0.4.7"


def attempt(client: TestClient, budget: str, code: str, address: str | None = None) -> int:
    headers = {"X-Forwarded-For": address} if address else {}
    page = client.get("/sign-in", headers=headers)
    return client.post("/sign-in", headers=headers, data={"csrf_token": csrf_of(page.text),
                                                          "budget_reference": budget, "access_code": code}).status_code


def app_for(portal, **changes):
    config = PortalConfig(**{"warehouse": portal.config.warehouse, "inbox": portal.config.inbox,
                             "state_dir": portal.config.state, "today": portal.config.today, **changes})
    return create_app(config)


def client(app, host: str = PROXY) -> TestClient:
    return TestClient(app, client=(host, 40000), follow_redirects=False)


def test_parallel_wrong_codes_from_several_addresses_while_the_right_code_still_signs_in(portal):
    app = app_for(portal, trusted_proxies=(PROXY,))
    family = portal.a
    attackers = [f"198.51.100.{i}" for i in range(1, 5)]

    def guess(i: int) -> int:
        return attempt(client(app), family.budget_id, f"WRONG-{i:04d}", attackers[i % len(attackers)])

    with ThreadPoolExecutor(8) as pool:
        guessing = [pool.submit(guess, i) for i in range(4 * (codes.PAIR_FAILURES + 2))]
        time.sleep(0.3)
        assert attempt(client(app), family.budget_id, family.code, "203.0.113.9") == 303  # while they guess
        statuses = [f.result() for f in guessing]
    assert statuses.count(429) >= 4 * 2 and set(statuses) <= {400, 429}  # each attacker was stopped
    assert attempt(client(app), family.budget_id, family.code, "203.0.113.9") == 303  # and after


def test_forwarded_addresses_are_ignored_unless_they_come_from_a_configured_proxy(portal):
    """Finding 4: X-Forwarded-For from anyone on loopback was believed, so the per-address limit was spoofed."""
    untrusted = client(app_for(portal), "127.0.0.1")
    for i in range(codes.PAIR_FAILURES):
        assert attempt(untrusted, portal.b.budget_id, "WRONG", f"192.0.2.{i}") == 400
    assert attempt(untrusted, portal.b.budget_id, "WRONG", "192.0.2.200") == 429  # a new header buys nothing

    behind_proxy = client(app_for(portal, trusted_proxies=(PROXY,)))
    assert attempt(behind_proxy, portal.b.budget_id, portal.b.code, "192.0.2.201") == 303


def test_trusted_proxies_must_be_addresses(monkeypatch):
    monkeypatch.setenv("DPRECON_PORTAL_TRUSTED_PROXIES", "127.0.0.1, 10.0.4.0/24")
    assert Settings().trusted_proxies() == ("127.0.0.1", "10.0.4.0/24")
    monkeypatch.setenv("DPRECON_PORTAL_TRUSTED_PROXIES", "*")
    with pytest.raises(ConfigError, match="DPRECON_PORTAL_TRUSTED_PROXIES"):
        Settings().trusted_proxies()


@pytest.mark.parametrize("damage", ["no schema", "a view without its table", "not a DuckDB file"])
def test_a_warehouse_with_a_missing_or_partial_schema_gives_the_503_page_with_its_headers(portal, tmp_path, damage):
    """Finding 10: a CatalogException under the running portal was a 500 without the security headers."""
    broken = tmp_path / "broken.duckdb"
    if damage == "not a DuckDB file":
        broken.write_bytes(b"this is not a warehouse\n" * 100)
    else:
        with duckdb.connect(str(broken)) as con:
            if damage == "a view without its table":
                con.execute("CREATE SCHEMA audit; CREATE SCHEMA core; CREATE TABLE core.r (budget_id TEXT); "
                            "CREATE VIEW audit.evidence_returns AS SELECT * FROM core.r; DROP TABLE core.r")
    app = app_for(portal, warehouse=broken, state_dir=tmp_path / "state")
    code = issue_code(tmp_path / "state", portal.a.budget_id, portal.a.period_start)
    c = TestClient(app, follow_redirects=False)
    assert attempt(c, portal.a.budget_id, code) == 303
    page = c.get("/return")
    assert page.status_code == 503, page.text[:300]
    assert "problem with the service" in page.text
    assert "default-src 'none'" in page.headers["content-security-policy"]
    assert page.headers["x-content-type-options"] == "nosniff" and page.headers["x-frame-options"] == "DENY"
    assert page.headers["cache-control"] == "no-store"


def test_an_unexpected_error_is_a_plain_page_with_the_security_headers(portal, monkeypatch):
    from web.portal import routes

    def broken(*args, **kwargs):
        raise RuntimeError("some detail that must not be shown")

    monkeypatch.setattr(routes.drafts, "load", broken)
    c = TestClient(portal.app, follow_redirects=False, raise_server_exceptions=False)
    assert attempt(c, portal.a.budget_id, portal.a.code) == 303
    page = c.get("/return")
    assert page.status_code == 500 and "must not be shown" not in page.text
    assert page.headers["x-frame-options"] == "DENY" and "default-src 'none'" in page.headers["content-security-policy"]


# ---- slow clients, against a real uvicorn ------------------------------------------------------------


@pytest.fixture
def server(portal):
    import uvicorn

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    app = app_for(portal, body_timeout=2.0, body_idle_timeout=1.0)
    config = uvicorn.Config(app, host="127.0.0.1", port=port,
                            **{**uvicorn_options(Limits(header_timeout=1.0, max_connections=20)), "log_level": "warning"})
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not srv.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield port
    srv.should_exit = True
    thread.join(10)


def closed_within(sock: socket.socket, seconds: float) -> tuple[bool, bytes]:
    sock.settimeout(seconds)
    got = b""
    try:
        while chunk := sock.recv(4096):
            got += chunk
    except TimeoutError:
        return False, got
    return True, got


def get(port: int, path: str = "/healthz") -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
        return closed_within(s, 5)[1]


def test_slow_headers_are_cut_off_and_the_portal_keeps_serving(server):
    """Finding 5: fifty connections sending headers slowly were held for ever."""
    slow = [socket.create_connection(("127.0.0.1", server), timeout=5) for _ in range(30)]
    for s in slow:
        s.sendall(b"GET /sign-in HTTP/1.1\r\nHost: x\r\n")  # and never the blank line
    try:
        closed = [closed_within(s, 4)[0] for s in slow]
    finally:
        for s in slow:
            s.close()
    assert all(closed)
    assert get(server).startswith(b"HTTP/1.1 200")


def test_a_body_that_trickles_in_gets_408(server):
    with socket.create_connection(("127.0.0.1", server), timeout=5) as s:
        s.sendall(b"POST /sign-in HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                  b"Content-Length: 5000\r\n\r\nbudget_reference=")
        closed, got = closed_within(s, 6)
    assert got.startswith(b"HTTP/1.1 408"), got[:200]
    assert b"x-frame-options: DENY" in got.lower().replace(b"deny", b"DENY")


def test_serve_uses_the_limits(monkeypatch, tmp_path):
    import uvicorn

    from web.portal.serve import serve

    seen = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: seen.update(kw))
    serve(PortalConfig(warehouse=tmp_path / "w.duckdb", inbox=tmp_path / "inbox"), "127.0.0.1", 8123,
          replace(Limits(), max_connections=50))
    assert seen["limit_concurrency"] == 50 and seen["timeout_keep_alive"] == 5
    assert seen["proxy_headers"] is False and seen["h11_max_incomplete_event_size"] == 16 * 1024
