"""The printed recovery notice: one :class:`Notice` as an A4 PDF, in the evidence letters' style.

It reuses the evidence return's page machinery (``reports/returns/page.py``:
embedded Noto Sans so any name prints, text placed only as plain text, word wrap, tables
that never split a row), with its own title and footer.
"""

from __future__ import annotations

from reports.notices.notice import Notice, gbp, short_date
from reports.returns.page import (
    BLACK,
    GREY,
    LIGHT,
    MID,
    NB,
    RED,
    WHITE,
    Cell,
    Column,
    ReturnPDF,
    printable,
)


class NoticePDF(ReturnPDF):
    def __init__(self, notice: Notice) -> None:  # noqa: D107 - the letter's set-up, with the notice's words
        self.notice = notice
        self.set_up(f"{notice.title} ({notice.reference})", notice.council.name, notice.as_of,
                    f"Recovery notice {notice.reference}")


def notice_pdf(notice: Notice) -> bytes:
    """The notice as PDF bytes (the same notice always gives the same bytes)."""
    pdf = NoticePDF(notice)
    pdf.add_page()
    pdf.set_fill_color(*BLACK)
    pdf.rect(0, 0, pdf.w, 20, style="F")
    pdf.font(17, "B", WHITE)
    pdf.lines_at(pdf.l_margin, 5.5, pdf.epw, pdf.wrap(printable(notice.council.name), pdf.epw)[:1], 9)
    pdf.set_y(26)
    pdf.para("Direct payment recovery notice", color=GREY, after=1)
    pdf.para(notice.title, size=22, style="B", after=4)
    pdf.table([Column("", 56), Column("", pdf.epw - 56)],
              [[Cell(label, bold=True), Cell(value, bold=bold)] for label, value, bold in notice.facts], head=False)
    pdf.set_y(pdf.get_y() + 2)
    pdf.boxed([notice.summary], RED, bold=True)

    pdf.heading("1. Why we are asking", room=50)
    for p in notice.why:
        pdf.para(p)
    if notice.evidence:
        pdf.para("The payments this is about:", style="B", after=1)
        pdf.table([Column("Date", 30), Column("Paid to", 72), Column("Amount", 32, "R"), Column("Reference", 40)],
                  [[Cell(short_date(e.date) if e.date else ""), Cell(e.what),
                    Cell(gbp(e.amount) if e.amount is not None else ""), Cell(e.reference)]
                   for e in notice.evidence])

    pdf.heading("2. How to pay it back" if notice.method == "repay" else "2. How we will take it back", room=45)
    bank = dict(notice.bank_lines)
    for p in notice.how_to_pay:
        label = p.split(":", 1)[0]
        if label in bank:
            continue  # printed in the table below
        pdf.para(p)
        if bank and p.endswith(":"):
            pdf.table([Column("", 56), Column("", pdf.epw - 56)],
                      [[Cell(k, bold=True), Cell(v, bold=True, fill=LIGHT)] for k, v in notice.bank_lines],
                      head=False)

    pdf.heading("3. If you think this is wrong", room=50)
    pdf.boxed(notice.reconsider, MID, bold=False)
    if notice.contact:
        pdf.para("How to reach us", size=14, style="B", after=1)
        for line in notice.contact:
            pdf.para(line, after=0.5)
        pdf.set_y(pdf.get_y() + 3)
    pdf.para(f"Need help, or this notice in large print, easy read or another language? Contact "
             f"{notice.team} and quote {notice.reference}.", color=GREY)
    pdf.str_alias_nb_pages = NB
    return bytes(pdf.output())
