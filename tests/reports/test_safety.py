"""The one defusing for every CSV and XLSX cell (issue 16, finding 7)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reports.safety import dangerous, defuse, defuse_row

FORMULAS = ["=HYPERLINK(\"http://x\",\"y\")", "@SUM(A1)", "+1", "-1", "|cmd", "%0A", "\t=1", "\r=1", "\n=1",
            "＝1+1", "＋1", "－1", "＠SUM(A1)", "﹦1", "﹫SUM(A1)",
            " =1", "\u00a0=1", "\u3000=1", "\u200b=1", "\u200d\u200c@SUM(A1)", "\ufeff=1", "\u2060+1",
            "\u00ad=1", "\u200e\u202e=1", "  \u200b ＝HYPERLINK(1)"]
PLAIN = ["M MILLER", "£42.00 for the window cleaner", "Paid in cash", "", " ", "\u200b", "ＡＢＣ", "1=1",
         "e-mail", "A+B", "42"]


@pytest.mark.parametrize("text", FORMULAS)
def test_every_formula_start_is_defused(text):
    assert defuse(text) == "'" + text


@pytest.mark.parametrize("text", PLAIN)
def test_look_alikes_are_left_as_written(text):
    assert defuse(text) == text


def test_money_and_numbers_are_not_text():
    assert defuse_row({"amount": Decimal("-5.00"), "n": -3, "payee": "=1"}) == {
        "amount": Decimal("-5.00"), "n": -3, "payee": "'=1"}


@given(st.text(max_size=30))
def test_what_is_left_alone_starts_with_no_formula_character_a_spreadsheet_would_see(text):
    out = defuse(text)
    if out == text:
        visible = [ch for ch in text if not (ch.isspace() or ch in "\u200b\u200c\u200d\u2060\ufeff\u00ad")]
        assert not visible or visible[0] not in "=+-@|%＝＋－＠﹦﹢﹣﹫"
    else:
        assert out == "'" + text and dangerous(text)
