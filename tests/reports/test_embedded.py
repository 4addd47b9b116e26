"""Letters read their main fonts once per process (reports/returns/embedded.py) and still print the
very bytes fpdf2's own ``add_font`` gives: for everyday names (subset from the core of the face), for
names in other scripts (from the whole face, or with a fallback font), and letter after letter."""

from __future__ import annotations

import io
import random

import duckdb
import pytest
from fontTools.ttLib import TTFont

from reports.returns import embedded, fonts
from reports.returns.page import WIDTHS
from reports.returns.pdf import letter_pdf
from reports.returns.render import fetch_letters
from tests.reports.test_letter_council import NAMES, letter

NAMES_TOO = (*NAMES, "A N Other", "Siobhán O'Brien-Ñúñez", "ŁÓDŹ CAFÉ ☕ – Ünïcødé", "Ωmega Smith",
             '<script>alert(1)</script> {nb} **bold**')


def fpdf_own(m: pytest.MonkeyPatch) -> None:
    """Back to fpdf2 reading each font for each letter, and measuring every word afresh."""
    m.setattr(embedded, "add_main_font", lambda pdf, family, style, path: pdf.add_font(family, style, path))
    m.setattr(embedded, "ready_for_output", lambda pdf: None)
    WIDTHS.clear()


@pytest.mark.parametrize("name", NAMES_TOO)
def test_a_letter_is_the_same_bytes_as_with_fpdfs_own_font_reading(name, monkeypatch):
    one = letter(name)
    one.access_code, one.portal_address = "K7QM-3XWD-9HPA", "https://portal.example"
    shared, again = letter_pdf(one), letter_pdf(one)  # the second from a warm process: copies, widths known
    with monkeypatch.context() as m:
        fpdf_own(m)
        own = letter_pdf(one)
    assert shared == again == own


def test_the_councils_letters_are_the_same_bytes_as_with_fpdfs_own_font_reading(sim_council, monkeypatch):
    with duckdb.connect(str(sim_council["warehouse"]), read_only=True) as con:
        letters = fetch_letters(con, sim_council["as_of"], "Demo Council")[:8]
    assert letters
    embedded._COMPILED.clear()
    shared = [letter_pdf(one) for one in letters]
    assert embedded._COMPILED  # from the second letter on, glyphs compiled once are given again
    with monkeypatch.context() as m:
        fpdf_own(m)
        own = [letter_pdf(one) for one in letters]
    assert shared == own


def test_everyday_letters_subset_the_core_and_other_scripts_the_whole_face(monkeypatch):
    opened: list[int] = []
    real = embedded._open
    monkeypatch.setattr(embedded, "_open", lambda data: opened.append(len(data)) or real(data))
    whole = len(fonts.main_faces()[""].path.read_bytes())
    letter_pdf(letter("A N Other"))
    assert len(opened) == 2 and max(opened) < whole / 4  # regular and bold, both from the core
    opened.clear()
    letter_pdf(letter("Ольга Петренко"))  # Cyrillic: outside the core
    assert any(n > whole * 0.9 for n in opened)


@pytest.mark.parametrize("style", ["", "B"])
def test_subsetting_the_core_gives_the_bytes_subsetting_the_whole_face_gives(style):
    from fontTools import subset as ftsubset

    path = fonts.main_faces()[style].path
    core, names = embedded._core(path)
    cmap = TTFont(path, lazy=True).getBestCmap()
    assert {cmap[c] for c in embedded.CORE if c in cmap} <= names

    def cut(data: bytes, glyphs: list[str]) -> bytes:  # as fpdf2's output subsets
        options = ftsubset.Options(notdef_outline=True, recommended_glyphs=True)
        options.drop_tables += embedded.DROPPED
        font = embedded._open(data)
        subsetter = ftsubset.Subsetter(options)
        subsetter.populate(glyphs=glyphs)
        subsetter.subset(font)
        out = io.BytesIO()
        font.save(out)
        return out.getvalue()

    rnd = random.Random(7)
    pool = sorted(names)
    for _ in range(12):
        glyphs = [cmap[0], cmap[0x20], *rnd.sample(pool, rnd.randint(10, 120))]
        assert cut(core, glyphs) == cut(path.read_bytes(), glyphs)
