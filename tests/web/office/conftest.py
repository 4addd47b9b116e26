"""The officers' workspace against the simulated council: a private copy of its published warehouse
per test (decisions publish into it), officers added through the store the CLI uses."""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest
from fastapi.testclient import TestClient

from stores import officers
from web.office.app import OfficeConfig, create_app

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
PASSWORD = "correct horse battery"


def csrf_of(page: str) -> str:
    m = CSRF.search(page)
    assert m, "the page has no CSRF token"
    return m[1]


@dataclass
class Office:
    config: OfficeConfig
    app: object

    def client(self, https: bool = False) -> TestClient:
        return TestClient(self.app, base_url="https://testserver" if https else "http://testserver",
                          follow_redirects=False)

    def signed_in(self, name: str = "jsmith", password: str = PASSWORD) -> TestClient:
        c = self.client()
        sign_in(c, name, password)
        return c


def sign_in(client: TestClient, name: str, password: str, expect: int = 303):
    page = client.get("/sign-in")
    assert page.status_code == 200
    res = client.post("/sign-in", data={"csrf_token": csrf_of(page.text), "name": name, "password": password})
    assert res.status_code == expect, res.text[:2000]
    return res


def make_office(folder: Path, warehouse: Path, inbox: Path | None = None, **kw) -> Office:
    folder.mkdir(parents=True, exist_ok=True)
    wh = folder / "warehouse.duckdb"
    shutil.copy(warehouse, wh)
    from flows.cli.office import publish_decisions

    kw.setdefault("on_decision", publish_decisions)  # as `dprecon office` wires it
    config = OfficeConfig(warehouse=wh, inbox=inbox, council="Northshire County Council", **kw)
    officers.add(config.state, "jsmith", "officer", PASSWORD)
    officers.add(config.state, "aauditor", "auditor", PASSWORD)
    return Office(config, create_app(config))


@pytest.fixture
def office(sim_council, tmp_path) -> Office:
    return make_office(tmp_path / "council", sim_council["warehouse"], sim_council["inbox"])


def open_exception(warehouse: Path, rule: str | None = None) -> dict:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        cur = con.execute("SELECT exception_id, rule_code, budget_id, amount, evidence FROM audit.exceptions "
                          "WHERE status = 'open' AND amount > 0 AND evidence IS NOT NULL"
                          + (" AND rule_code = ?" if rule else "") + " ORDER BY exception_id LIMIT 1",
                          [rule] if rule else [])
        cols = [d[0] for d in cur.description]
        return dict(zip(cols, cur.fetchone(), strict=True))
