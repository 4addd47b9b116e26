"""The printed evidence return: one :class:`Letter` as an A4 PDF, with fpdf2, section by section.

The page machinery (fonts, word wrap, paragraphs, boxes, tables) is ``page.py``'s, shared with
the recovery notices; this module says what goes on the pages, in what order.
"""

from __future__ import annotations

from reports.returns.letter import Letter, gbp, long_date, short_date
from reports.returns.page import (
    BLACK,
    BODY,
    BROWN,
    GREEN,
    GREEN_BG,
    GREY,
    LIGHT,
    MID,
    NB,
    ORANGE_BG,
    RED,
    WHITE,
    Cell,
    Column,
    ReturnPDF,
    printable,
)

__all__ = ["ReturnPDF", "letter_pdf", "printable"]


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
    if letter.actions:
        pdf.para("Please also sort out", size=14, style="B", after=1)
        for a in letter.actions:
            pdf.room(30)  # keep a heading with its box
            pdf.para(a.heading, style="B", after=1)
            pdf.boxed([a.found, a.ask], RED, bold=False)


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
