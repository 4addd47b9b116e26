"""The workspace in Debian's Chromium, by keyboard alone: sign in, filter, open an exception, decide,
see it in the history; at phone width too; and axe-core finds no serious accessibility problem.

axe-core comes from the npm registry (``.ci/run`` installs it into ``~/.cache/dprecon-axe``, or set
``DPRECON_AXE_JS``); on a machine without it or Chromium the test skips and says why, except in CI.
"""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import pytest

from tests.web.office.conftest import PASSWORD, make_office
from tests.web.portal.test_browser import Server, chromium_or_skip, is_png

AXE = Path(os.environ.get("DPRECON_AXE_JS") or
           Path.home() / ".cache" / "dprecon-axe" / "node_modules" / "axe-core" / "axe.min.js")


def axe_or_skip() -> Path:
    if not AXE.exists():
        message = (f"axe-core is not at {AXE}: npm install --prefix ~/.cache/dprecon-axe axe-core@4 "
                   "(.ci/run does this)")
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return AXE


def serious_violations(page) -> list[str]:
    page.add_script_tag(path=str(AXE))
    found = page.evaluate("""async () => {
        const r = await axe.run(document, {resultTypes: ['violations']});
        return r.violations.filter(v => ['serious', 'critical'].includes(v.impact))
                .map(v => v.id + ': ' + v.nodes.map(n => n.target.join(' ')).join(', '));
    }""")
    return found


@pytest.mark.slow
def test_an_officer_works_the_queue_by_keyboard_and_axe_finds_nothing_serious(sim_council, tmp_path):
    executable = chromium_or_skip()
    axe_or_skip()
    from playwright.sync_api import expect, sync_playwright

    office = make_office(tmp_path / "council", sim_council["warehouse"], sim_council["inbox"])
    with duckdb.connect(str(office.config.warehouse), read_only=True) as con:
        budget = con.execute("SELECT budget_id FROM audit.exceptions WHERE rule_code = 'SURPLUS_BALANCE' "
                             "AND status = 'open' ORDER BY amount DESC LIMIT 1").fetchone()[0]
    shots = Path(os.environ.get("DPRECON_SCREENSHOTS") or tmp_path / "screenshots")
    shots.mkdir(parents=True, exist_ok=True)

    with Server(office.app) as base, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=executable, args=["--no-sandbox", "--headless"])
        try:
            ctx = browser.new_context(viewport={"width": 1200, "height": 900}, java_script_enabled=False)
            page = ctx.new_page()
            page.goto(base)
            # sign in with the keyboard alone
            page.get_by_label("User name").focus()
            page.keyboard.type("jsmith")
            page.keyboard.press("Tab")
            page.keyboard.type(PASSWORD)
            page.keyboard.press("Enter")
            expect(page.get_by_role("heading", level=1)).to_have_text("Exceptions")
            page.screenshot(path=shots / "1-queue.png", full_page=True)
            # filter to one rule: type-ahead on the focused select, then Enter on the button
            page.locator("#rule").focus()
            page.keyboard.type("SURPLUS_BALANCE")
            page.get_by_role("button", name="Filter").focus()
            page.keyboard.press("Enter")
            expect(page.locator("#rule")).to_have_value("SURPLUS_BALANCE")
            rows = page.locator("table.office-table tbody tr")
            assert rows.count() >= 1
            for i in range(rows.count()):
                expect(rows.nth(i)).to_contain_text("Surplus balance")
            page.screenshot(path=shots / "2-filtered.png", full_page=True)
            # open the first exception with Enter
            rows.first.get_by_role("link").first.focus()
            page.keyboard.press("Enter")
            expect(page.locator("h1")).to_contain_text("Surplus balance")
            expect(page.locator(".govuk-inset-text")).to_contain_text("Next step:")
            page.screenshot(path=shots / "3-exception.png", full_page=True)
            # decide: space on a radio, type a note, Enter on the button
            page.get_by_role("radio", name="Confirmed", exact=True).focus()
            page.keyboard.press("Space")
            page.get_by_label("Note", exact=True).focus()
            page.keyboard.type("Spoke to the family; agreed to recover next month.")
            page.get_by_role("button", name="Record decision").focus()
            page.keyboard.press("Enter")
            expect(page.locator(".govuk-panel__title")).to_contain_text("Decision recorded")
            expect(page.locator("body")).to_contain_text("jsmith decided confirmed: Spoke to the family")
            page.screenshot(path=shots / "4-decided.png", full_page=True)
            ctx.close()

            # at phone width: nothing wider than the screen, tables scroll in their own box
            phone = browser.new_context(viewport={"width": 375, "height": 740}, java_script_enabled=True,
                                        bypass_csp=True)
            page = phone.new_page()
            page.goto(f"{base}/sign-in")
            problems = serious_violations(page)
            page.get_by_label("User name").fill("aauditor")
            page.get_by_label("Password").fill(PASSWORD)
            page.get_by_role("button", name="Sign in").click()
            for i, path in enumerate(["/", f"/budgets/{budget}", "/portal"]):
                page.goto(base + path)
                assert page.evaluate("document.documentElement.scrollWidth") <= 375 + 1, path
                page.screenshot(path=shots / f"{5 + i}-phone{path.replace('/', '-')}.png", full_page=True)
                problems += serious_violations(page)
            page.goto(base + "/")
            page.locator("table.office-table tbody tr a").first.click()
            problems += serious_violations(page)
            page.screenshot(path=shots / "8-phone-exception.png", full_page=True)
            phone.close()
            assert problems == [], problems
        finally:
            browser.close()
    assert all(is_png(p) for p in shots.glob("*.png")) and len(list(shots.glob("*.png"))) == 8
    with duckdb.connect(str(office.config.warehouse), read_only=True) as con:
        assert con.execute("SELECT reviewer, decision FROM audit.reviews").fetchall() == [("jsmith", "confirmed")]
