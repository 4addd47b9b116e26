"""Small steps a family takes, as HTTP requests (shared by the API and security tests)."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from tests.web.portal.conftest import csrf_of
from tests.web.portal.samples import pdf
from tests.web.portal.test_uploads import png

PDF = pdf()
PNG = png(640, 480)


def token(client: TestClient) -> str:
    page = client.get("/return")
    assert page.status_code == 200, page.text[:500]
    return csrf_of(page.text)


def upload(client: TestClient, ref: str, name: str, data: bytes, kind: str = "receipt", csrf: str | None = None,
           content_type: str = "application/octet-stream"):
    return client.post(f"/return/payments/{ref}/upload", data={"csrf_token": csrf or token(client),
                                                                "evidence_type": kind},
                       files={"file": (name, data, content_type)})


def explain(client: TestClient, ref: str, text: str, csrf: str | None = None):
    return client.post(f"/return/payments/{ref}/explanation",
                       data={"csrf_token": csrf or token(client), "explanation": text})


def answer_outcomes(client: TestClient, answer: str = "better", action: str = "continue", anything: str = ""):
    page = client.get("/return/outcomes")
    n = len(set(re.findall(r'name="outcome-(\d+)"', page.text)))
    data = {"csrf_token": csrf_of(page.text), "action": action, "anything_else": anything}
    data.update({f"outcome-{i}": answer for i in range(1, n + 1)})
    return client.post("/return/outcomes", data=data), n


def send(client: TestClient):
    page = client.get("/return/check")
    return client.post("/return/check", data={"csrf_token": csrf_of(page.text)})


def upload_ids(page: str) -> list[str]:
    return re.findall(r"/files/([0-9a-f]{32})/remove", page)
