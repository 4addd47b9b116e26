"""The portal against the simulated council: its published warehouse (read-only, shared), and a
private inbox and state folder per test."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import duckdb
import pytest
from fastapi.testclient import TestClient

from stores.codes import issue_code
from web.portal.app import PortalConfig, create_app

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
COUNCIL = "Demo Council"


def csrf_of(page: str) -> str:
    m = CSRF.search(page)
    assert m, "the page has no CSRF token"
    return m[1]


@dataclass
class Return:
    budget_id: str
    period_start: date
    refs: list[str]  # payments needing evidence and not yet evidenced, as the letter lists them
    holder: str
    payees: list[str]
    code: str = ""


@dataclass
class Portal:
    config: PortalConfig
    app: object
    a: Return
    b: Return
    others: list[Return] = field(default_factory=list)

    def client(self, https: bool = False) -> TestClient:
        return TestClient(self.app, base_url="https://testserver" if https else "http://testserver",
                          follow_redirects=False)

    def signed_in(self, r: Return, https: bool = False) -> TestClient:
        c = self.client(https)
        sign_in(c, r.budget_id, r.code)
        return c


def sign_in(client: TestClient, budget: str, code: str, expect: int = 303):
    page = client.get("/sign-in")
    assert page.status_code == 200
    res = client.post("/sign-in", data={"csrf_token": csrf_of(page.text), "budget_reference": budget,
                                        "access_code": code})
    assert res.status_code == expect, res.text[:2000]
    return res


def open_returns(warehouse: Path) -> list[Return]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = con.execute("""
            SELECT r.budget_id, r.period_start, list(t.evidence_ref ORDER BY t.date, t.transaction_id),
                   any_value(b.holder_name), list(t.payee ORDER BY t.date, t.transaction_id)
            FROM audit.evidence_returns r
            JOIN audit.budgets b USING (budget_id)
            JOIN audit.transactions t ON t.budget_id = r.budget_id
                 AND t.date BETWEEN r.period_start AND r.period_end AND t.needs_evidence
            WHERE r.received_at IS NULL
            GROUP BY 1, 2 ORDER BY 1, 2""").fetchall()
    return [Return(b, p, refs, h, payees) for b, p, refs, h, payees in rows]


@pytest.fixture(scope="session")
def council_returns(sim_council) -> list[Return]:
    found = open_returns(sim_council["warehouse"])
    assert len({r.budget_id for r in found}) >= 3, "the simulated council should have several open returns"
    return found


@pytest.fixture
def portal(sim_council, council_returns, tmp_path) -> Portal:
    """Two families, A and B (different budgets, each with at least two payments to evidence), with codes."""
    with_two = [r for r in council_returns if len(r.refs) >= 2]
    a = with_two[0]
    b = next(r for r in with_two if r.budget_id != a.budget_id)
    config = PortalConfig(warehouse=sim_council["warehouse"], inbox=tmp_path / "inbox",
                          state_dir=tmp_path / "portal", council=COUNCIL, today=lambda: sim_council["as_of"])
    a = Return(**{**a.__dict__, "code": issue_code(config.state, a.budget_id, a.period_start)})
    b = Return(**{**b.__dict__, "code": issue_code(config.state, b.budget_id, b.period_start)})
    others = [r for r in council_returns if (r.budget_id, r.period_start) not in
              {(a.budget_id, a.period_start), (b.budget_id, b.period_start)}]
    return Portal(config, create_app(config), a, b, others)
