"""Recovery notices: what they say, to the penny, in HTML and PDF; golden files for one of each.

The golden case is a fixed :class:`Notice` (no warehouse), so it changes only when the notice's
wording or layout does. It regenerates only when asked and never overwrites an existing file:

    DPRECON_REGEN_GOLDEN=1 uv run pytest tests/reports/test_notices.py -k golden
"""

from __future__ import annotations

import html
from datetime import date
from decimal import Decimal
from pathlib import Path

from reports.notices.notice import Evidence, Notice
from reports.notices.pdf import notice_pdf
from reports.notices.render import environment, render_notice_files
from schemas.council import Council, CouncilBank
from tests.reports.test_returns import check_golden, normalise_html, pdf_lines

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "notices"
HOSTILE = '<script>alert(1)</script> =HYPERLINK("http://evil.example","Click") {nb}'
COUNCIL = Council(name="Northshire County Council", team="Direct Payments Finance Team",
                  address=["County Hall", "Market Street", "Northshire", "NS1 1AA"], phone="01234 567890",
                  email="directpayments@northshire.gov.uk", portal_url="https://evidence.northshire.gov.uk",
                  bank=CouncilBank(account_name="Northshire CC Income", sort_code="20-00-00",
                                   account_number="12345678"))


def notice(**changes) -> Notice:
    base = dict(council=COUNCIL, as_of=date(2026, 3, 3), recovery_id="R1A2B3C4D5E6F", budget_id="DP000011-1",
                holder_name="Mrs A Example", rule_code="INELIGIBLE_SPEND",
                explanation="£120.00 was spent in 2 transaction(s) between 4 January 2026 and 9 February 2026 at "
                            "BET365, WILLIAM HILL: gambling is not allowed from a direct payment.",
                period_start=date(2026, 1, 1), period_end=date(2026, 3, 31), amount=Decimal("120.00"),
                repaid=Decimal("0.00"), method="repay", due_on=date(2026, 3, 31), payment_amount=Decimal("520.00"),
                exception_id="X0123456789ABCDE",
                evidence=[Evidence(date(2026, 1, 4), "BET365", Decimal("70.00"), "400000000013"),
                          Evidence(date(2026, 2, 9), "WILLIAM HILL", Decimal("50.00"), "400000000021")])
    base.update(changes)
    return Notice(**base)


def page(n: Notice) -> str:
    return environment().get_template("template.html.j2").render(notice=n)


def text(n: Notice) -> str:
    return "\n".join(pdf_lines(notice_pdf(n)))


def test_golden_notice():
    n = notice()
    check_golden(GOLDEN / "repay" / "expected.html", normalise_html(page(n)))
    check_golden(GOLDEN / "repay" / "expected_pdf.txt", text(n) + "\n")


def test_a_repay_notice_says_what_why_how_by_when_and_how_to_ask_again():
    for body in (html.unescape(page(notice())), text(notice())):
        flat = " ".join(body.split())
        assert "Please pay back £120.00 by 31 March 2026" in flat
        assert "20-00-00" in flat and "12345678" in flat and "Northshire CC Income" in flat
        assert "R1A2B3C4D5E6F" in flat  # the reference to quote on the payment
        assert "BET365" in flat and "£70.00" in flat and "£50.00" in flat  # the exception's evidence
        assert "look at it again" in flat and "Contact the Direct Payments Finance Team by 31 March 2026" in flat
        assert "01234 567890" in flat and "directpayments@northshire.gov.uk" in flat


def test_a_part_repaid_notice_asks_only_for_what_is_left():
    flat = " ".join(html.unescape(page(notice(repaid=Decimal("45.50")))).split())
    assert "£45.50 has already come back" in flat and "Please pay back £74.50 by 31 March 2026" in flat
    assert "£120.00" in flat


def test_a_reduce_payments_notice_sends_no_bank_details_and_caps_each_reduction():
    n = notice(method="reduce_payments")
    for body in (html.unescape(page(n)), text(n)):
        flat = " ".join(body.split())
        assert "We will take £120.00 back from the payments we make into the account" in flat
        assert "no more than £260.00 from any one payment" in flat  # half of £520.00
        assert "12345678" not in flat and "How to pay it back" not in flat


def test_bank_and_family_text_is_escaped_in_html_and_literal_in_the_pdf():
    n = notice(holder_name=HOSTILE, explanation=HOSTILE,
               evidence=[Evidence(date(2026, 1, 4), HOSTILE, Decimal("120.00"), "T1")])
    body = page(n)
    assert "<script>" not in body and "&lt;script&gt;" in body
    assert '=HYPERLINK("http://evil.example","Click") {nb}' in text(n)


def test_files_are_named_by_the_recovery_and_a_strange_id_cannot_leave_the_folder(tmp_path):
    written = render_notice_files([notice(), notice(recovery_id="../../etc/passwd")], tmp_path / "out")
    assert sorted(p.name for p in written) == ["R1A2B3C4D5E6F.html", "R1A2B3C4D5E6F.pdf", "_.._etc_passwd.html",
                                               "_.._etc_passwd.pdf"]
    assert all(p.parent == tmp_path / "out" for p in written)
    assert notice_pdf(notice()) == notice_pdf(notice())  # the same notice, the same bytes
