"""The letters' main fonts as fpdf2 embeds them, read once per process rather than once per letter.

fpdf2's ``add_font`` reads the whole font file for every document (Noto Sans
has 4,515 glyphs: about 28 ms a face), and at output its subsetter cuts the
font it read down to the glyphs the document used, changing it as it goes
(about 18 ms a face). Two faces a letter made those about 90 ms of the 115 ms
a letter took, so 1,000 letters at period close spent a minute and a half on
reading fonts. Here instead:

* each face is read once per process (:func:`template`), and every letter
  gets a light copy of it with its own record of the glyphs it uses
  (:func:`add_main_font`); the widths, character map and descriptor are
  shared, as fpdf2's own ``FPDFRecorder`` shares them;
* just before output each copy is given a fresh font to subset, from bytes
  already in memory (:func:`ready_for_output`): the *core* of the face
  (:data:`CORE`: Latin, Latin-1, Latin Extended-A, punctuation and the euro;
  329 glyphs, cut once per process, glyph names kept) when the letter used
  no glyph outside it, as nearly every letter does, else the whole face.
  Subsetting the core to a letter's glyphs gives the bytes subsetting the
  whole face gives, since the subsetter keeps the glyphs' order, outlines and
  metrics and rebuilds the rest from them (tests/reports/test_embedded.py
  checks it, letter by letter, against fpdf2's own ``add_font``), in under
  half the time.

Saving a letter's subset recompiles every glyph it keeps (fontTools unpacks each
outline to recompute its bounds and packs it again: a third of the fonts' time).
A simple glyph's compiled bytes depend on its stored bytes alone, so a core
glyph's are kept per process (:class:`_Remembered`) and given again, unchanged.
Composite glyphs (an accented letter: its parts are named by their place in the
subset) are compiled each time.

Fallback fonts (Arabic, Chinese) are rare and still go through ``add_font``.
"""

from __future__ import annotations

import copy
import functools
import io
from pathlib import Path

from fontTools import subset as ftsubset
from fontTools.ttLib import TTFont
from fontTools.ttLib.tables._g_l_y_f import Glyph
from fpdf import FPDF
from fpdf.fonts import SubsetMap, TTFFont

# the characters of the core: printable ASCII, Latin-1, Latin Extended-A, general punctuation, the euro
CORE = (*range(0x20, 0x7F), *range(0xA0, 0x180), *range(0x2010, 0x2028), 0x20AC, 0x2212)
# what fpdf2's output (fpdf/output.py, _add_fonts) drops when it subsets a font, so the core is cut the same way
DROPPED = ["FFTM", "GDEF", "GPOS", "GSUB", "MATH", "hdmx", "meta", "sbix", "CBDT", "CBLC", "EBDT", "EBLC", "EBSC",
           "SVG ", "CPAL", "COLR"]


_SHARED: dict[tuple[str, Path], TTFont] = {}  # (font key, file) -> the face as read, never to be subset


def _open(data: bytes) -> TTFont:
    """A font object to subset, as fpdf2 opens one (the timestamp in its head table kept)."""
    return TTFont(io.BytesIO(data), recalcTimestamp=False, lazy=True)


@functools.cache
def _whole(path: Path) -> bytes:
    return path.read_bytes()


@functools.cache
def _core(path: Path) -> tuple[bytes, frozenset[str]]:
    """The face cut down to :data:`CORE`'s glyphs, glyph names kept; and those names.

    Cut twice: first to find the glyphs (with their components and the four every font keeps), then
    asking for all of those, so that the core maps every character the whole face maps to them
    (U+0000 to the null glyph, for one). The subsetter keeps a character only when its glyph was asked
    for, and a letter's subset must keep the same characters from the core as from the whole face."""
    cmap = _open(_whole(path)).getBestCmap()
    glyphs = {cmap[c] for c in CORE if c in cmap}
    for _ in range(2):
        font = _open(_whole(path))
        options = ftsubset.Options(notdef_outline=True, recommended_glyphs=True, glyph_names=True)
        options.drop_tables += DROPPED
        subsetter = ftsubset.Subsetter(options)
        subsetter.populate(glyphs=sorted(glyphs))
        subsetter.subset(font)
        glyphs = set(font.getGlyphOrder())
    out = io.BytesIO()
    font.save(out)
    return out.getvalue(), frozenset(glyphs)


@functools.cache
def template(family: str, style: str, path: Path) -> TTFFont:
    """fpdf2's reading of the face, made once per process; letters copy it (:func:`add_main_font`)."""
    font = TTFFont(FPDF(), path, f"{family.lower()}{style}", style)
    _SHARED[(font.fontkey, path)] = font.ttfont
    return font


def add_main_font(pdf: FPDF, family: str, style: str, path: Path) -> None:
    """What ``pdf.add_font(family, style, path)`` does, from the face read once per process."""
    shared = template(family, style, path)
    font = TTFFont.__new__(TTFFont)
    for name in TTFFont.__slots__:
        if hasattr(shared, name):
            setattr(font, name, getattr(shared, name))
    font.i = len(pdf.fonts) + 1
    font.cw = copy.copy(shared.cw)  # a defaultdict: a character it lacks is added when measured
    font.desc = copy.copy(shared.desc)  # output names it and numbers it
    font.missing_glyphs = []
    font.biggest_size_pt = 0
    font._hbfont = None  # noqa: SLF001 - made from the file when shaping needs it
    # the face as read, for shaping to name glyphs by; output subsets a fresh one (ready_for_output)
    font.ttfont = shared.ttfont
    font.subset = SubsetMap(font)
    pdf.fonts[font.fontkey] = font


def ready_for_output(pdf: FPDF) -> None:
    """Give each main font a fresh font object to subset (the subsetter changes the one it gets, and
    the face as read is every letter's): the core when the letter's glyphs are all in it."""
    for font in pdf.fonts.values():
        if isinstance(font, TTFFont) and font.ttfont is _SHARED.get((font.fontkey, font.ttffile)):
            core, names = _core(font.ttffile)
            used = set(font.subset.get_all_glyph_names())
            font.ttfont = _open(core if used <= names else _whole(font.ttffile))
            if used <= names:
                for glyph in font.ttfont["glyf"].glyphs.values():
                    if type(glyph) is Glyph:
                        glyph.__class__ = _Remembered


_COMPILED: dict[bytes, bytes] = {}  # a simple glyph's stored bytes (from the core) -> its compiled bytes


class _Remembered(Glyph):
    """A core glyph whose compiled bytes, when it is a simple one, are remembered by its stored bytes.

    ``Glyph.compile`` with bounds recalculated unpacks the outline, recomputes its bounds from its
    points and packs the points again: for a simple glyph (one or more contours, no components) all
    of that follows from the stored bytes alone. Tables saved after ``glyf`` that read the glyph
    unpack it from the same stored bytes."""

    def compile(self, glyfTable, recalcBBoxes=True, *, boundsDone=None, optimizeSize=True):  # noqa: ANN001, ANN201, N803 - fontTools'
        data = self.__dict__.get("data")
        simple = recalcBBoxes and data is not None and len(data) >= 2 and int.from_bytes(data[:2], "big", signed=True) > 0
        data = bytes(data) if simple else data
        if simple and (known := _COMPILED.get(data)) is not None:
            return known
        compiled = super().compile(glyfTable, recalcBBoxes, boundsDone=boundsDone, optimizeSize=optimizeSize)
        if simple:
            _COMPILED[data] = compiled
        return compiled
