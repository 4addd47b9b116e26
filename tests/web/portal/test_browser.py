"""End to end in a real headless Chromium: sign in → upload → explain → outcomes → send, then the intake.

Debian's ``chromium`` package (``/usr/bin/chromium``) is driven by Playwright
through ``executable_path``; Playwright's own browser download is never used.
``.ci/run`` installs chromium where it is missing, so CI never skips this; on
a machine without it the test skips and says why. The main run has
JavaScript switched off: the portal must work without it. Screenshots land
in the test's temporary folder, or in ``$DPRECON_SCREENSHOTS`` when set.
"""

from __future__ import annotations

import os
import shutil
import socket
import struct
import threading
import time
from pathlib import Path

import duckdb
import pytest

from stores.codes import issue_code
from tests.web.portal.conftest import COUNCIL, open_returns
from tests.web.portal.helpers import PDF
from tests.web.portal.test_uploads import png
from web.portal.app import PortalConfig, create_app

CHROMIUM = os.environ.get("DPRECON_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"


def chromium_or_skip() -> str:
    if not Path(CHROMIUM).exists():
        pytest.skip("Chromium is not installed here (Debian: apt-get install -y chromium); "
                    ".ci/run installs it, so CI runs this test")
    pytest.importorskip("playwright.sync_api", reason="playwright is a dev dependency: uv sync")
    return CHROMIUM


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """uvicorn serving the portal on a loopback port, in a thread, for one test."""

    def __init__(self, app) -> None:
        import uvicorn

        self.port = free_port()
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning",
                                                    access_log=False, lifespan="off"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> str:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            assert time.monotonic() < deadline and self.thread.is_alive(), "the portal did not start"
            time.sleep(0.05)
        return f"http://127.0.0.1:{self.port}"

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


def is_png(path: Path) -> bool:
    data = path.read_bytes()
    return data.startswith(b"\x89PNG\r\n\x1a\n") and struct.unpack(">II", data[16:24])[0] > 300


@pytest.mark.slow
def test_a_family_sends_a_return_in_a_real_browser_and_the_intake_receives_it(sim_council, tmp_path):
    executable = chromium_or_skip()
    from playwright.sync_api import expect, sync_playwright

    from flows.intake import run_intake
    from flows.validation import validate_batch

    inbox, warehouse = tmp_path / "inbox", tmp_path / "warehouse.duckdb"
    shutil.copytree(sim_council["inbox"], inbox)
    shutil.copy(sim_council["warehouse"], warehouse)
    family = next(r for r in open_returns(warehouse) if len(r.refs) >= 2)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        evidenced_before = con.execute("SELECT items_evidenced FROM audit.evidence_returns WHERE budget_id = ? "
                                       "AND period_start = ?", [family.budget_id, family.period_start]).fetchone()[0]
    config = PortalConfig(warehouse=warehouse, inbox=inbox, council=COUNCIL, today=lambda: sim_council["as_of"])
    code = issue_code(config.state, family.budget_id, family.period_start)
    shots = Path(os.environ.get("DPRECON_SCREENSHOTS") or tmp_path / "screenshots")
    shots.mkdir(parents=True, exist_ok=True)
    receipt, photo = tmp_path / "till receipt.pdf", tmp_path / "IMG_0042.PNG"
    receipt.write_bytes(PDF)
    photo.write_bytes(png(1200, 900))
    ref1, ref2 = family.refs[:2]

    with Server(create_app(config)) as base, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=executable, args=["--no-sandbox", "--headless"])
        try:
            # a phone, with JavaScript: the sign-in page and its error summary; no CSP complaints
            phone = browser.new_context(viewport={"width": 375, "height": 740}, device_scale_factor=1)
            page = phone.new_page()
            problems: list[str] = []
            page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
            page.goto(f"{base}/sign-in")
            page.get_by_role("button", name="Sign in").click()
            expect(page.locator(".govuk-error-summary")).to_contain_text("Enter your budget reference")
            page.screenshot(path=shots / "1-sign-in-errors-phone.png", full_page=True)
            assert not [m for m in problems if "Content Security Policy" in m or "Refused" in m or "Uncaught" in m]
            assert [m for m in problems if "404" in m] == []
            phone.close()

            # the whole return on a laptop with JavaScript switched off
            ctx = browser.new_context(viewport={"width": 1100, "height": 900}, java_script_enabled=False)
            page = ctx.new_page()
            page.goto(base)
            page.screenshot(path=shots / "2-start.png", full_page=True)
            page.get_by_role("button", name="Start now").click()
            # sign in with the keyboard alone
            page.get_by_label("Budget reference").focus()
            page.keyboard.type(family.budget_id)
            page.keyboard.press("Tab")
            page.keyboard.type(code)
            page.keyboard.press("Enter")
            expect(page.get_by_role("heading", level=1)).to_contain_text("Your evidence return")
            expect(page.locator("#statement-table")).to_be_visible()
            page.screenshot(path=shots / "3-your-return.png", full_page=True)

            # upload a receipt and a photo against the first payment
            page.get_by_role("link", name=f"Reference {ref1}").or_(page.locator(f'a[href="/return/payments/{ref1}"]')).first.click()
            expect(page.locator(".govuk-caption-l")).to_have_text(f"Payment {ref1}")
            page.get_by_role("radio", name="Receipt", exact=True).check()
            page.get_by_label("Upload a file").set_input_files(str(receipt))
            page.get_by_role("button", name="Upload file").click()
            page.get_by_role("radio", name="Invoice", exact=True).check()
            page.get_by_label("Upload a file").set_input_files(str(photo))
            page.get_by_role("button", name="Upload file").click()
            expect(page.locator("#file-list")).to_contain_text("till receipt.pdf")
            expect(page.locator("#file-list")).to_contain_text("IMG_0042.PNG")
            page.screenshot(path=shots / "4-payment-with-files.png", full_page=True)
            # a zip is refused with an error summary that links to the field
            zipped = tmp_path / "receipts.zip"
            zipped.write_bytes(b"PK\x03\x04" + b"\x00" * 100)
            page.get_by_label("Upload a file").set_input_files(str(zipped))
            page.get_by_role("button", name="Upload file").click()
            expect(page.locator(".govuk-error-summary")).to_contain_text("compressed archive")
            page.screenshot(path=shots / "5-zip-refused.png", full_page=True)

            # explain the second payment instead
            page.goto(f"{base}/return/payments/{ref2}")
            page.get_by_label("What was this payment for").fill("Cash for the swimming club, paid on the door")
            page.get_by_role("button", name="Save explanation").click()
            expect(page.locator(".govuk-task-list__item", has_text=f"Reference {ref2}")).to_contain_text(
                "Explanation given")
            expect(page.locator(".govuk-task-list__item", has_text=f"Reference {ref1}")).to_contain_text(
                "Evidence added (2 files)")

            # outcomes: the first answer by keyboard (space on a focused radio), the rest by clicking
            page.goto(f"{base}/return/outcomes")
            page.locator("#outcome-1").focus()
            page.keyboard.press("Space")
            expect(page.locator("#outcome-1")).to_be_checked()
            fieldsets = page.locator("fieldset").count()
            for i in range(2, fieldsets + 1):
                page.locator(f"#outcome-{i}-2").check(force=True)
            page.get_by_label("Is there anything else").fill("The new PA is working out well.")
            page.screenshot(path=shots / "6-outcomes.png", full_page=True)
            page.get_by_role("button", name="Save and continue").click()
            expect(page.get_by_role("heading", level=1)).to_have_text("Check your return before sending it")
            page.screenshot(path=shots / "7-check.png", full_page=True)
            page.get_by_role("button", name="Send return").click()
            expect(page.locator(".govuk-panel__title")).to_have_text("Return sent")
            expect(page.locator("#sent-items")).to_contain_text("till receipt.pdf")
            expect(page.locator("#sent-when")).to_contain_text("We received your return on")
            page.screenshot(path=shots / "8-sent.png", full_page=True)
            ctx.close()
        finally:
            browser.close()

    for shot in shots.glob("*.png"):
        assert is_png(shot), shot
    assert len(list(shots.glob("*.png"))) == 8

    [folder] = [p for p in (inbox / "evidence").iterdir() if "_portal_" in p.name]
    result = run_intake(inbox, warehouse, sim_council["as_of"], validate=validate_batch)
    assert result["new_files"] == 1, result
    with duckdb.connect(str(warehouse), read_only=True) as con:
        received, evidenced = con.execute(
            "SELECT received_at, items_evidenced FROM audit.evidence_returns WHERE budget_id = ? AND period_start = ?",
            [family.budget_id, family.period_start]).fetchone()
        quarantined = con.execute("SELECT count(*) FROM audit.quarantine WHERE path LIKE ?",
                                  [f"evidence/{folder.name}/%"]).fetchone()[0]
    assert received is not None and quarantined == 0
    assert evidenced == evidenced_before + 2  # the receipt and photo for one payment, the explanation for another
