"""What a family reads on a letter: any name as written, every council detail that is set, and
wording that matches the date it was judged on. Built from one return's rows, no warehouse."""

from __future__ import annotations

import io
import shutil
import subprocess
import unicodedata
from collections import Counter
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pypdf import PdfReader

from reports.returns.letter import build_letter, eligibility
from reports.returns.pdf import letter_pdf
from reports.returns.render import environment
from schemas.council import Council

FULL = Council(name="Northshire County Council", team="Direct Payments Finance Team",
               address=["County Hall", "Market Street", "Northshire", "NS1 1AA"], phone="01234 567890",
               email="directpayments@northshire.example.gov.uk", portal_url="https://evidence.northshire.example.gov.uk")
NAMES = ("محمد علي", "Zoë Łukasiewicz", "陈伟", "Siân Llŷr ap Gwilym", "Ольга Петренко")


def row(holder: str = "A N Other", due: date = date(2026, 4, 28), status: str = "ok") -> dict:
    return dict(budget_id="QQ123456-1", period_start=date(2026, 1, 1), period_end=date(2026, 3, 31), due_date=due,
                items_evidenced=1, items_outstanding=1, eligibility_status=status, holder_name=holder,
                cohort="adult", managed_by="self", weekly_contribution=Decimal("0.00"),
                opening_balance=Decimal("100.00"), council_paid=Decimal("900.00"), contributions_due=Decimal("0.00"),
                contributions_paid=Decimal("0.00"), spent=Decimal("850.00"), closing_balance=Decimal("150.00"))


PAYMENTS = [dict(date=date(2026, 1, 5), payee="Bright Homecare Ltd", paid=Decimal("800.00"), evidence_ref="E1A2B3C4",
                 transaction_id="T1", evidenced=False),
            dict(date=date(2026, 2, 9), payee="Corner Shop", paid=Decimal("50.00"), evidence_ref="E5D6C7B8",
                 transaction_id="T2", evidenced=True)]


def letter(holder: str = "A N Other", council: Council = FULL, as_of: date = date(2026, 4, 1), **kw):
    return build_letter(row(holder, **kw), [], PAYMENTS, ["daily_living"], as_of, council)


def letters(r: dict) -> str:
    return unicodedata.normalize("NFKC", "".join(ch for ch in r if ch.isalpha()))


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


@pytest.mark.parametrize("name", NAMES)
def test_any_name_prints_in_the_pdf_as_written(name):
    text = pdf_text(letter_pdf(letter(name)))
    line = next(ln for ln in text.splitlines() if ln.startswith("Name"))
    printed = "".join(ch for ch in line[4:] if ch.isprintable()).strip()
    if any("\u0600" <= ch <= "\u06ff" for ch in name):
        # shaped right to left: every letter is there (the words in visual order)
        assert sorted(letters(printed)) == sorted(letters(name)), printed
    else:
        assert printed == name
    assert "?" not in line


def test_an_arabic_name_is_shaped_and_read_back_by_pdftotext():
    if not shutil.which("pdftotext"):
        pytest.skip("pdftotext (poppler-utils) is not installed; pypdf covers the text")
    data = letter_pdf(letter("محمد علي"))
    text = subprocess.run(["pdftotext", "-", "-"], input=data, capture_output=True, check=True).stdout.decode()
    assert "محمد" in text


def test_a_latin_letter_needs_no_fallback_font():
    data = letter_pdf(letter("Zoë Łukasiewicz"))
    assert b"NotoSansArabic" not in data and b"NotoSansSC" not in data
    assert b"NotoSansArabic" in letter_pdf(letter("محمد علي"))


def test_every_council_detail_that_is_set_is_printed_on_both_copies():
    one = letter()
    page = environment().get_template("template.html.j2").render(letter=one)
    text = pdf_text(letter_pdf(one))
    for detail in ("Northshire County Council", "Direct Payments Finance Team", "County Hall", "Market Street",
                   "NS1 1AA", "01234 567890", "directpayments@northshire.example.gov.uk",
                   "https://evidence.northshire.example.gov.uk"):
        assert detail in page and detail in text, detail
    assert "by email to directpayments@northshire.example.gov.uk or by post to County Hall" in page


def test_a_council_with_only_a_name_prints_no_empty_details():
    one = letter(council=Council(name="Eastmoor Borough Council"))
    page = environment().get_template("template.html.j2").render(letter=one)
    text = pdf_text(letter_pdf(one))
    for words in ("Phone:", "Email:", "Online:", " on None", "None"):
        assert words not in page and words not in text, words
    assert "Direct payments team, Eastmoor Borough Council" in page
    assert "by email or post to the direct payments team at Eastmoor Borough Council" in page


def test_an_overdue_return_is_never_asked_for_by_a_date_that_has_passed():
    # judged after the due date with the status still "ok" (an intake judged on an earlier day)
    paras, _ = eligibility("adult", "ok", date(2026, 4, 28), overdue=True)
    assert not any("by 28 April 2026" in p for p in paras)
    paras, _ = eligibility("child", "ok", date(2026, 4, 28), overdue=True)
    assert not any("by 28 April 2026" in p for p in paras)
    # on the due date itself it is due, not overdue
    assert not letter(as_of=date(2026, 4, 28)).overdue and letter(as_of=date(2026, 4, 29)).overdue
    assert eligibility("adult", "ok", date(2026, 4, 28), overdue=False)[0][1].startswith(
        "If nothing reaches us by 28 April 2026")


def test_a_letter_issued_later_is_dated_that_day_but_judged_on_its_run():
    one = letter(as_of=date(2026, 4, 1))
    one.dated = date(2026, 4, 3)
    page = environment().get_template("template.html.j2").render(letter=one)
    assert "<dt>Date of this letter</dt><dd>3 April 2026</dd>" in page and "this date has passed" not in page


def test_the_online_summary_does_not_name_the_letters_tags():
    one = letter()
    assert "marked" not in one.payments_summary_online
    assert one.payments_summary_online.startswith("2 payments in this period need evidence. We still need "
                                                  "evidence for 1 of them (£800.00 in total)")
    assert "\u201cPlease send\u201d" in one.payments_summary  # the letter's own tag


SCRIPTS = st.sampled_from([
    "abcdefghijklmnopqrstuvwxyz ÀÉÎÕÜçñøåæœ", "ąćęłńóśźż ĄĆĘŁŃÓŚŹŻ", "ŵŷâêîôû ŴŶ", "абвгдежзийклмнопрстуфхцчшщыэюя",
    "αβγδεζηθικλμνξοπρστυφχψω", "ابتثجحخدذرزسشصضطظعغفقكلمنهوي", "ٹڈڑںھےۓ", "陈伟王芳李娜张敏刘洋", "ひらがなカタカナ",
])


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(SCRIPTS.flatmap(lambda chars: st.text(st.sampled_from(chars), min_size=1, max_size=12)),
                min_size=1, max_size=3))
def test_a_name_in_any_of_these_scripts_prints_every_letter(words):
    name = " ".join(w.strip() or "x" for w in words)
    text = pdf_text(letter_pdf(letter(name)))
    shown = text[text.index("Name") + 4:text.index("Budget reference")]  # shaped text may sit on its own line
    # every letter of the name is in the PDF's text, in whatever order the script is drawn
    assert Counter(letters(name)) <= Counter(letters(shown)), (name, shown)
