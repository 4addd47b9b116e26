"""What a family types reaches the officers' manifest.csv defused (issue 16, finding 7)."""

from __future__ import annotations

import csv
import io

import pytest

from tests.web.portal.helpers import answer_outcomes, explain, send


@pytest.mark.parametrize("note", ['=HYPERLINK("http://evil.example","Click")', "@SUM(A1:A9)", "＝1+1",
                                  "\u200b+44 20 7946 0000", "-5 for the bus"])
def test_a_typed_note_starting_like_a_formula_is_defused_in_the_manifest(portal, note):
    family = portal.signed_in(portal.a)
    assert explain(family, portal.a.refs[0], note).status_code == 303
    answer_outcomes(family, anything="=cmd|' /C calc'!A0")
    assert send(family).status_code == 303
    [folder] = list((portal.config.inbox / "evidence").iterdir())
    rows = list(csv.DictReader(io.StringIO((folder / "manifest.csv").read_text(encoding="utf-8"))))
    typed = next(r for r in rows if r["transaction_ref"] == portal.a.refs[0])
    assert typed["note"] == "'" + note.strip()
    assert typed["amount"] and not typed["amount"].startswith("'")  # money is left a number
    assert all(not r["note"] or r["note"][0] not in "=+-@" for r in rows)
