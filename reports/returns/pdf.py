"""The printed evidence return: one :class:`Letter` as an A4 PDF, with fpdf2.

The text is set in embedded subsets of Noto Sans (``reports/returns/fonts.py``),
so every name prints as written, whatever its script: "Zoë Łukasiewicz",
"محمد علي" (joined and right to left) and "陈伟" alike. A line the main font
covers is placed with ``FPDF.text`` (fast: thousands of letters a night); a
line that needs a fallback font or shaping goes through ``FPDF.cell``, which
knows both.

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
from datetime import UTC, datetime, time

from fpdf import FPDF

from reports.returns import fonts
from reports.returns.letter import Letter, gbp, long_date, short_date

BLACK, GREY, MID, LIGHT = (11, 12, 12), (80, 90, 95), (177, 180, 182), (243, 242, 241)
WHITE, RED = (255, 255, 255), (212, 53, 28)
GREEN_BG, GREEN, ORANGE_BG, BROWN = (204, 226, 216), (0, 90, 48), (252, 214, 195), (110, 54, 25)
BODY = 12  # pt
NB = "{nb}"


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
        super().__init__(format="A4", unit="mm")
        self.letter = letter
        self.embed_fonts()
        self.alias_nb_pages(None)  # only the footer uses it (see module docstring)
        self.set_margins(18, 16, 18)
        self.set_auto_page_break(True, margin=22)
        self.set_title(printable(f"Your direct payment: what we need from you ({letter.reference})"))
        self.set_author(printable(letter.council.name))
        self.set_lang("en-GB")
        self.set_creation_date(datetime.combine(letter.as_of, time(), tzinfo=UTC))

    def embed_fonts(self) -> None:
        """Noto Sans, regular and bold (reports/returns/fonts.py); fallbacks are added as text needs them."""
        for style, face in fonts.main_faces().items():
            self.add_font(fonts.MAIN_FAMILY, style, face.path)
        self.fallbacks: list[str] = []

    def footer(self) -> None:
        self.set_y(-16)
        self.font(BODY, color=GREY)
        saved, self.str_alias_nb_pages = self.str_alias_nb_pages, NB
        self.cell(0, 6, printable(f"Evidence return {self.letter.reference} - page {self.page_no()} of {NB}"),
                  align="C")
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
        ``get_string_width``'s per-call styling machinery, which cost most of the render time)."""
        if self.complex(text):
            return self.get_string_width(text, markdown=False)
        return self.current_font.get_text_width(self.normalize_text(text), self.font_size_pt, None)[1] / self.k

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


def letter_pdf(letter: Letter) -> bytes:
    """The letter as PDF bytes (compressed; the same letter always gives the same bytes)."""
    pdf = ReturnPDF(letter)
    pdf.add_page()
    first_page(pdf, letter)
    statement(pdf, letter)
    payments(pdf, letter)
    what_to_send(pdf, letter)
    outcomes(pdf, letter)
    pdf.str_alias_nb_pages = NB  # substitute the footers' page counts on output
    return bytes(pdf.output())


def first_page(pdf: ReturnPDF, letter: Letter) -> None:
    pdf.set_fill_color(*BLACK)
    pdf.rect(0, 0, pdf.w, 20, style="F")
    pdf.font(17, "B", WHITE)
    pdf.lines_at(pdf.l_margin, 5.5, pdf.epw, pdf.wrap(printable(letter.council.name), pdf.epw)[:1], 9)
    pdf.set_y(26)
    pdf.para("Direct payment evidence return", color=GREY, after=1)
    pdf.para("Your direct payment: what we need from you", size=20, style="B", after=4)
    facts = [("Name", letter.holder_name, False), ("Budget reference", letter.budget_id, False),
             ("Period", letter.period_text, False),
             ("Please reply by", long_date(letter.due_date) + (" (this date has passed)" if letter.overdue else ""),
              True),
             ("Reference to quote", letter.reference, True),
             ("Date of this letter", long_date(letter.letter_date), False)]
    if letter.access_code:
        facts.insert(5, ("Your access code", letter.access_code, True))
        if letter.portal_address:
            facts.insert(6, ("Send it online at", letter.portal_address, False))
    pdf.table([Column("", 52), Column("", pdf.epw - 52)],
              [[Cell(label, bold=True), Cell(value, bold=bold)] for label, value, bold in facts], head=False)
    pdf.set_y(pdf.get_y() + 2)
    if letter.warning:
        pdf.boxed(letter.eligibility, RED, bold=True)
    else:
        pdf.boxed([f"{letter.eligibility[0]} {letter.ask}"], MID, bold=False)
    pdf.para(letter.intro)
    if letter.helpers:
        pdf.para(letter.helpers)
    contact(pdf, letter)


def contact(pdf: ReturnPDF, letter: Letter) -> None:
    """Every way to reach the council that council.yaml sets, on the first page."""
    lines = [letter.team_line, *letter.contact]
    pdf.room(0.52 * BODY * len(lines) + 12)
    pdf.para("Contact us", size=14, style="B", after=1)
    for i, line in enumerate(lines):
        pdf.para(line, after=0 if i < len(lines) - 1 else 3)


def statement(pdf: ReturnPDF, letter: Letter) -> None:
    pdf.heading(f"1. Your statement for {letter.period_text}", room=70)
    s = letter.statement
    if s is None:
        pdf.para("We could not prepare the statement for this period. The direct payments team will send it "
                 "to you separately.")
        return
    money = [Column("", pdf.epw - 40), Column("", 40, "R")]
    pdf.table(money, [
        [Cell(f"Money in the account at the start ({long_date(letter.period_start)})"), Cell(gbp(s.opening))],
        [Cell(f"+ Paid in by {letter.council.name}"), Cell(gbp(s.council_paid))],
        [Cell("+ Your contributions paid in"), Cell(gbp(s.contributions_paid))],
        [Cell("- Spent (payments out, less any refunds)"), Cell(gbp(s.spent))],
        [Cell(f"= Money in the account at the end ({long_date(letter.period_end)})", bold=True),
         Cell(gbp(s.closing), bold=True)],
    ], head=False, total=True)
    if s.adds_up:
        pdf.room(24)  # keep the label with its sum
        pdf.para("How it adds up:", after=1)
        pdf.table([Column("", pdf.epw)], [[Cell(s.sum_text, bold=True, fill=LIGHT)]], head=False, pad=2.2)
    else:
        pdf.para("These figures do not add up as they should. We are checking them: you do not need to do "
                 "anything about this.", style="B")
    for note in (letter.balance_note, letter.contribution_note):
        if note:
            pdf.para(note)
    pdf.room(40)
    pdf.para("What the money was spent on, by your support plan", size=14, style="B", after=1)
    rows = [[Cell(printable(ln.support) + (f"\n{printable(ln.need)}" if ln.need else "")), Cell(ln.outcome),
             Cell(gbp(ln.planned)), Cell(gbp(ln.spent))] for ln in letter.lines]
    if letter.other_spent != 0:
        rows.append([Cell("Other spending not linked to a line of your plan"
                          + (" (refunds)" if letter.other_spent < 0 else "")),
                     Cell(""), Cell(""), Cell(gbp(letter.other_spent))])
    rows.append([Cell("Total", bold=True), Cell(""), Cell(gbp(letter.lines_planned), bold=True),
                 Cell(gbp(s.spent), bold=True)])
    pdf.table([Column("Support", 78), Column("Outcome", 36), Column("Planned", 30, "R"),
               Column("Spent", 30, "R")], rows, total=True)


def payments(pdf: ReturnPDF, letter: Letter) -> None:
    pdf.heading("2. Payments we need evidence for", room=60)
    pdf.para(letter.payments_summary)
    if not letter.payments:
        return
    rows = [[Cell(short_date(p.date)), Cell(p.payee), Cell(gbp(p.amount)), Cell(p.reference, bold=True),
             Cell("Received", color=GREEN, fill=GREEN_BG) if p.evidenced
             else Cell("Please send", bold=True, color=BROWN, fill=ORANGE_BG)]
            for p in letter.payments]
    pdf.table([Column("Date", 29), Column("Paid to", 57), Column("Amount", 28, "R"),
               Column("Reference", 30), Column("Evidence", 30)], rows)


def what_to_send(pdf: ReturnPDF, letter: Letter) -> None:
    pdf.heading("3. What to send and by when", room=60)
    pdf.para(f"Please reply by {long_date(letter.due_date)}. For each payment marked \u201cPlease send\u201d, "
             "send one of these:", style="B", after=1)
    for item in letter.what_to_send:
        pdf.font(BODY)
        pdf.room(0.52 * BODY)
        pdf.lines_at(pdf.l_margin + 3, pdf.get_y(), 5, ["\u2022"], 0.52 * BODY)
        pdf.para(item, after=0, indent=8)
    pdf.set_y(pdf.get_y() + 2)
    if letter.online:
        pdf.room(40)
        pdf.para("Send it online", size=14, style="B", after=1)
        pdf.boxed(letter.online, MID, bold=False)
        pdf.para("Or send it by email or post", size=14, style="B", after=1)
    for p in letter.how_to_send:
        pdf.para(p)
    pdf.room(30)
    pdf.para(letter.consequence_heading, size=14, style="B", after=1)
    pdf.boxed(letter.eligibility[1:], RED if letter.warning else MID, bold=letter.warning)
    pdf.para("If you are finding this hard, or something has changed, please tell us. We are here to help.")


def outcomes(pdf: ReturnPDF, letter: Letter) -> None:
    pdf.add_page()  # a page of its own, to send back: it names the return it belongs to
    pdf.para(f"Outcomes page for {letter.holder_name}, return reference {letter.reference}", color=GREY, after=0)
    pdf.heading("4. How is the support going?", room=80)
    pdf.para("These questions are about the person the direct payment is for. Tick one box for each and send "
             "this page back with your evidence.")
    for _label, question in letter.outcomes:
        pdf.font(BODY, "B")
        pdf.room(len(pdf.wrap(printable(question), pdf.epw)) * 6.24 + 14)
        pdf.para(question, style="B", after=2)
        y, x = pdf.get_y(), pdf.l_margin
        pdf.set_draw_color(*BLACK)
        pdf.set_line_width(0.5)
        pdf.font(BODY)
        for choice in ("Got better", "Stayed the same", "Got worse"):
            pdf.rect(x, y, 7, 7)
            pdf.lines_at(x + 9, y, 45, [choice], 7)
            x += 56
        pdf.set_y(y + 12)
    pdf.room(77)
    pdf.para("Is there anything else you would like to tell us about the support, or about this letter?",
             style="B", after=2)
    y = pdf.get_y()
    pdf.set_draw_color(*BLACK)
    pdf.set_line_width(0.5)
    pdf.rect(pdf.l_margin, y, pdf.epw, 60)
    pdf.set_y(y + 65)
    pdf.para(letter.help_line, color=GREY)
