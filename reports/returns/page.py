"""The page machinery of the printed letters (evidence returns, and recovery notices): fpdf2 with
the letters' fonts, word wrap, paragraphs, boxes and tables. What a return says is in pdf.py.

The text is set in embedded subsets of Noto Sans (``reports/returns/fonts.py``),
so every name prints as written, whatever its script: "Zoë Łukasiewicz",
"محمد علي" (joined and right to left) and "陈伟" alike. A line the main font
covers is placed with ``FPDF.text`` (fast: thousands of letters a night); a
line that needs a fallback font or shaping goes through ``FPDF.cell``, which
knows both. The main fonts are read once per process (``embedded.py``).

Bank and family text is only ever placed as plain text (``text``, or ``cell``
with markdown off), never through markdown or HTML, so ``**bold**``,
``<script>`` or ``=HYPERLINK(...)`` is printed as typed. The page-count alias
``{nb}`` is switched on only while the footer is drawn, so a payee containing
``{nb}`` is printed literally too.

Lines are wrapped here, word by word, rather than by ``multi_cell`` and
``table``: the letter looks the same and renders about ten times faster.
Body text is 12 pt; headings 14–22 pt.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from fpdf import FPDF

from reports.returns import embedded, fonts
from reports.returns.letter import Letter

BLACK, GREY, MID, LIGHT = (11, 12, 12), (80, 90, 95), (177, 180, 182), (243, 242, 241)
WHITE, RED = (255, 255, 255), (212, 53, 28)
GREEN_BG, GREEN, ORANGE_BG, BROWN = (204, 226, 216), (0, 90, 48), (252, 214, 195), (110, 54, 25)
BODY = 12  # pt
NB = "{nb}"
WIDTHS: dict[tuple[str, float, str], float] = {}  # (main font, size in pt, text) -> width in mm


def printable(text: object) -> str:
    """Text as a letter prints it: control characters (tabs, line breaks, bidi controls) become spaces."""
    s = str(text)
    if s.isprintable():
        return s
    return "".join(" " if unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") else ch for ch in s)


@dataclass
class Cell:
    text: str
    bold: bool = False
    color: tuple = BLACK
    fill: tuple | None = None


@dataclass
class Column:
    title: str
    width: float
    align: str = "L"


class ReturnPDF(FPDF):
    def __init__(self, letter: Letter) -> None:
        self.letter = letter
        self.set_up(f"Your direct payment: what we need from you ({letter.reference})", letter.council.name,
                    letter.as_of, f"Evidence return {letter.reference}")

    def set_up(self, title: str, author: str, as_of: date, footer_label: str) -> None:
        """An A4 page in the letters' style (the recovery notices' too): fonts, margins, the
        document's title, author and date, and the label its footer prints with the page number."""
        FPDF.__init__(self, format="A4", unit="mm")
        self.footer_label = footer_label
        self.embed_fonts()
        self.alias_nb_pages(None)  # only the footer uses it (see module docstring)
        self.set_margins(18, 16, 18)
        self.set_auto_page_break(True, margin=22)
        self.set_title(printable(title))
        self.set_author(printable(author))
        self.set_lang("en-GB")
        self.set_creation_date(datetime.combine(as_of, time(), tzinfo=UTC))

    def embed_fonts(self) -> None:
        """Noto Sans, regular and bold (reports/returns/fonts.py), read once per process (embedded.py);
        fallbacks are added as text needs them."""
        for style, face in fonts.main_faces().items():
            embedded.add_main_font(self, fonts.MAIN_FAMILY, style, face.path)
        self.fallbacks: list[str] = []

    def output(self, *args, **kwargs):  # noqa: ANN002, ANN003, ANN201 - FPDF.output's
        embedded.ready_for_output(self)
        return super().output(*args, **kwargs)

    def footer(self) -> None:
        self.set_y(-16)
        self.font(BODY, color=GREY)
        saved, self.str_alias_nb_pages = self.str_alias_nb_pages, NB
        self.cell(0, 6, printable(f"{self.footer_label} - page {self.page_no()} of {NB}"), align="C")
        self.str_alias_nb_pages = saved

    def font(self, size: float = BODY, style: str = "", color: tuple = BLACK) -> None:
        self.set_font(fonts.MAIN_FAMILY, style, size)
        self.set_text_color(*color)

    def complex(self, text: str) -> bool:
        """Whether ``text`` needs a fallback font or shaping; if so, make both ready."""
        if fonts.covered(text):
            return False
        for face in fonts.fallbacks_for(text):
            if face.family not in self.fallbacks:
                self.add_font(face.family, "", face.path)
                self.fallbacks.append(face.family)
                self.set_fallback_fonts(self.fallbacks, exact_match=False)
        if fonts.needs_shaping(text):
            self.set_text_shaping(True)
        else:
            self.set_text_shaping(False)
        return True

    def width(self, text: str) -> float:
        """Width in mm of printable text in the current font (for the main font alone, without
        ``get_string_width``'s per-call styling machinery, which cost most of the render time).
        Words recur from letter to letter: the main font's widths are kept, per font and size."""
        font, size = self.current_font, self.font_size_pt
        key = (font.fontkey, size, text)
        if (known := WIDTHS.get(key)) is not None:
            font.biggest_size_pt = max(font.biggest_size_pt, size)  # as get_text_width keeps it
            return known
        if self.complex(text):
            return self.get_string_width(text, markdown=False)
        if len(WIDTHS) > 200_000:
            WIDTHS.clear()
        WIDTHS[key] = w = font.get_text_width(self.normalize_text(text), size, None)[1] / self.k
        return w

    def wrap(self, text: str, width: float) -> list[str]:
        """Greedy word wrap of printable text in the current font; a word too long for a line is cut."""
        out: list[str] = []
        space = self.width(" ")
        for para in text.split("\n"):
            line, used = "", 0.0
            for word in para.split(" "):
                w = self.width(word)
                while w > width:  # cut an unbreakable word (a long reference) to fit
                    if line:
                        out.append(line)
                        line, used = "", 0.0
                    cut = max(1, int(len(word) * width / w))
                    while cut > 1 and self.width(word[:cut]) > width:
                        cut -= 1
                    while self.width(word[:cut + 1]) <= width:
                        cut += 1
                    out.append(word[:cut])
                    word = word[cut:]
                    w = self.width(word)
                if line and used + space + w > width:
                    out.append(line)
                    line, used = word, w
                else:
                    line, used = (f"{line} {word}", used + space + w) if line else (word, w)
            out.append(line)
        return out

    def lines_at(self, x: float, y: float, width: float, lines: list[str], lh: float, align: str = "L") -> None:
        for i, line in enumerate(lines):
            if self.complex(line):  # fallback fonts, shaping and right-to-left order: cell knows them
                saved, self.c_margin = (self.x, self.y, self.c_margin), 0
                self.set_xy(x, y + i * lh)
                self.cell(width, lh, line, align=align, markdown=False)
                self.x, self.y, self.c_margin = saved
                continue
            dx = width - self.width(line) if align == "R" else 0.0
            self.text(x + dx, y + i * lh + 0.5 * lh + 0.3 * self.font_size, line)

    def room(self, height: float) -> None:
        """Start a new page unless ``height`` mm still fit above the bottom margin."""
        if self.get_y() + height > self.page_break_trigger:
            self.add_page()

    def para(self, text: str, size: float = BODY, style: str = "", color: tuple = BLACK,
             after: float = 3, indent: float = 0) -> None:
        self.font(size, style, color)
        lh = 0.52 * size
        for line in self.wrap(printable(text), self.epw - indent):
            self.room(lh)
            self.lines_at(self.l_margin + indent, self.get_y(), self.epw - indent, [line], lh)
            self.set_y(self.get_y() + lh)
        self.set_y(self.get_y() + after)

    def rule(self, color: tuple = MID, width: float = 0.3) -> None:
        self.set_draw_color(*color)
        self.set_line_width(width)
        self.line(self.l_margin, self.get_y(), self.w - self.r_margin, self.get_y())

    def heading(self, text: str, size: float = 16, room: float = 40) -> None:
        self.room(room)
        self.set_y(self.get_y() + 4)
        self.rule(MID, 0.5)
        self.set_y(self.get_y() + 3)
        self.para(text, size=size, style="B", after=2)

    def boxed(self, paragraphs: list[str], bar: tuple, bold: bool) -> None:
        """GOV.UK inset / warning text: a thick bar to the left of the paragraphs."""
        self.font(BODY, "B" if bold else "")
        lh, gap = 0.52 * BODY, 2
        height = sum(len(self.wrap(printable(p), self.epw - 7)) * lh + gap for p in paragraphs) - gap
        self.room(height)
        top = self.get_y()
        for i, p in enumerate(paragraphs):
            self.para(p, style="B" if bold else "", after=0 if i == len(paragraphs) - 1 else gap, indent=7)
        self.set_fill_color(*bar)
        self.rect(self.l_margin, top, 2.5, self.get_y() - top, style="F")
        self.set_y(self.get_y() + 4)

    def table(self, columns: list[Column], rows: list[list[Cell]], head: bool = True, lh: float = 6.2,
              pad: float = 1.6, total: bool = False) -> None:
        """Rows with a rule below each (a heavy one under a last ``total`` row); a row never splits,
        and the heading repeats on a new page."""
        heading = [Cell(c.title, bold=True, fill=LIGHT) for c in columns] if head else None
        if heading:
            self.row(columns, heading, self.layout(columns, heading, lh, pad), lh, pad)
        for cells in rows:
            wrapped = self.layout(columns, cells, lh, pad)
            if self.get_y() + len(max(wrapped, key=len)) * lh + 2 * pad > self.page_break_trigger:
                self.add_page()
                if heading:
                    self.row(columns, heading, self.layout(columns, heading, lh, pad), lh, pad)
            self.row(columns, cells, wrapped, lh, pad)
        if total:
            self.rule(BLACK, 0.8)
        self.set_y(self.get_y() + 3)

    def layout(self, columns: list[Column], cells: list[Cell], lh: float, pad: float) -> list[list[str]]:
        wrapped = []
        for col, cell in zip(columns, cells, strict=True):
            self.font(BODY, "B" if cell.bold else "", cell.color)
            text = "\n".join(printable(part) for part in cell.text.split("\n"))
            wrapped.append(self.wrap(text, col.width - 2 * pad))
        return wrapped

    def row(self, columns: list[Column], cells: list[Cell], wrapped: list[list[str]], lh: float,
            pad: float) -> None:
        height = len(max(wrapped, key=len)) * lh + 2 * pad
        x, y = self.l_margin, self.get_y()
        for col, cell, lines in zip(columns, cells, wrapped, strict=True):
            if cell.fill:
                self.set_fill_color(*cell.fill)
                self.rect(x, y, col.width, height, style="F")
            self.font(BODY, "B" if cell.bold else "", cell.color)
            self.lines_at(x + pad, y + pad, col.width - 2 * pad, lines, lh, col.align)
            x += col.width
        self.set_y(y + height)
        self.rule(MID, 0.3)
