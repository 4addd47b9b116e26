"""What one evidence return says, in plain English, before it becomes HTML or PDF.

Both outputs are drawn from the same :class:`Letter`, so the web page and the
printed letter cannot disagree. Every sentence the letter derives from its own
fields is here; nothing here is markup (the HTML template escapes it, the PDF
prints it as text). How a letter is filled in from a return's warehouse rows
(the words for the warehouse's codes, and the rules that choose the paragraphs)
is ``letter.py``'s :func:`~reports.returns.letter.build_letter`.

The statement must add up the way the family can check it with a pencil.
Example, a quarter 1 January to 31 March 2026:

    money at the start        £1,250.00
    + paid in by the council  £3,900.00
    + your contributions        £370.50
    - spent                   £4,102.35
    = money at the end        £1,418.15

``opening + council_paid + contributions_paid - spent = closing`` holds for
every period (docs/rules.md §4); if a position ever failed it, the letter says
we are checking the figures instead of printing a sum that is wrong.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from schemas.council import Council
from schemas.money import ZERO, gbp

MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December")


@dataclass
class Action:
    heading: str
    found: str  # the exception's explanation
    ask: str


WHAT_TO_SEND = (
    "receipts for things you bought",
    "invoices from agencies or other providers",
    "timesheets for your personal assistant's hours",
    "payslips, if you employ a personal assistant",
    "an explanation, if you do not have a receipt (a short note is fine)",
)


def long_date(d: date) -> str:
    return f"{d.day} {MONTHS[d.month - 1]} {d.year}"


def short_date(d: date) -> str:
    return f"{d.day} {MONTHS[d.month - 1][:3]} {d.year}"


@dataclass
class Statement:
    opening: Decimal
    council_paid: Decimal
    contributions_due: Decimal
    contributions_paid: Decimal
    spent: Decimal
    closing: Decimal

    @property
    def adds_up(self) -> bool:
        return self.opening + self.council_paid + self.contributions_paid - self.spent == self.closing

    @property
    def sum_text(self) -> str:
        return (f"{gbp(self.opening)} + {gbp(self.council_paid)} + {gbp(self.contributions_paid)}"
                f" - {gbp(self.spent)} = {gbp(self.closing)}")


@dataclass
class Line:
    support: str  # what it buys, in words
    need: str  # the need in the person's words (from the support plan)
    outcome: str
    planned: Decimal
    spent: Decimal


@dataclass
class Payment:
    date: date
    payee: str
    amount: Decimal
    reference: str
    evidenced: bool


@dataclass
class Letter:
    council: Council
    as_of: date  # the day the figures were judged on: the run whose data this letter shows
    budget_id: str
    holder_name: str
    period_start: date
    period_end: date
    due_date: date
    statement: Statement | None
    lines: list[Line] = field(default_factory=list)
    other_spent: Decimal = ZERO
    payments: list[Payment] = field(default_factory=list)
    outcomes: list[tuple[str, str]] = field(default_factory=list)  # (label, question)
    contribution_note: str = ""
    eligibility: list[str] = field(default_factory=list)
    warning: bool = False  # show the eligibility paragraphs as a warning
    helpers: str = ""
    access_code: str = ""  # the one-time code for the families' portal, printed only when issued
    portal_address: str = ""  # where the portal is, printed with the code
    actions: list[Action] = field(default_factory=list)  # other things the family must sort out
    dated: date | None = None  # the date printed on the letter, when it is issued later than as_of

    @property
    def letter_date(self) -> date:
        return self.dated or self.as_of

    @property
    def team(self) -> str:
        """Who families write to: ``the Direct Payments Finance Team at Northshire County Council``."""
        return f"the {self.council.team} at {self.council.name}" if self.council.team else \
            f"the direct payments team at {self.council.name}"

    @property
    def team_line(self) -> str:
        """The first line of the contact block: ``Direct Payments Finance Team, Northshire County Council``."""
        return f"{self.council.team or 'Direct payments team'}, {self.council.name}"

    @property
    def help_line(self) -> str:
        """The closing line of every letter, with the phone and email when council.yaml gives them."""
        c = self.council
        how = (f" on {c.phone}" if c.phone else "") + (f" or at {c.email}" if c.email else "")
        return (f"Need help, or this letter in large print, easy read or another language? Contact "
                f"{self.team}{how} and quote {self.reference}.")

    @property
    def contact(self) -> list[str]:
        """Every way to reach the council that council.yaml sets, in print order."""
        return self.council.contact_lines

    @property
    def online(self) -> list[str]:
        """How to send the return online, when this letter carries an access code."""
        if not self.access_code:
            return []
        address = self.portal_address or self.council.portal_url
        where = f"at {address}" if address else "on the council's website"
        return [
            f"You can send this return online {where}. Sign in with your budget reference "
            f"{self.budget_id} and your access code {self.access_code}. You can upload photos or "
            f"scans of your receipts, save and come back later, and then send it.",
            "Keep the access code private: it is only for this return.",
        ]

    @property
    def reference(self) -> str:
        """What to quote: the same ``<budget_id>_<period start>`` an evidence folder is named by."""
        return f"{self.budget_id}_{self.period_start.isoformat()}"

    @property
    def period_text(self) -> str:
        return f"{long_date(self.period_start)} to {long_date(self.period_end)}"

    @property
    def overdue(self) -> bool:
        return self.due_date < self.as_of

    @property
    def outstanding(self) -> list[Payment]:
        return [p for p in self.payments if not p.evidenced]

    @property
    def outstanding_total(self) -> Decimal:
        return sum((p.amount for p in self.outstanding), ZERO)

    @property
    def lines_planned(self) -> Decimal:
        return sum((ln.planned for ln in self.lines), ZERO)

    @property
    def what_to_send(self) -> tuple[str, ...]:
        return WHAT_TO_SEND

    @property
    def how_to_send(self) -> list[str]:
        c = self.council
        ways = ([f"by email to {c.email}"] if c.email else []) + (
            [f"by post to {', '.join(c.address)}"] if c.address else [])
        by = " or ".join(ways)
        return [
            "Send copies or clear photos of your evidence, with the outcomes page of this letter, "
            + (f"{by}, addressed to {self.team}." if by else f"by email or post to {self.team}."),
            f"Please write the return reference {self.reference} on everything you send, and the "
            f"payment reference (for example {self.example_ref}) next to each receipt.",
            ("Sending what you have counts as a reply" if self.overdue else
             "Sending what you have by the date counts as a reply")
            + ", even if some receipts are missing: tell us what is missing and why.",
        ]

    @property
    def intro(self) -> str:
        return ("We check how direct payments are spent a few times a year. This letter shows the money that "
                f"went in and out of the account from {self.period_text}, lists the payments we need to see "
                "evidence for, and asks how the support is going.")

    @property
    def balance_note(self) -> str:
        if self.statement is None or self.statement.closing >= 0:
            return ""
        return ("The account was overdrawn at the end of this period (the minus sign above). If that is not "
                "what your bank statement shows, please tell us when you reply.")

    @property
    def consequence_heading(self) -> str:
        return "What happens now" if self.warning and self.overdue else "If we do not hear from you"

    @property
    def ask(self) -> str:
        """One sentence: everything this letter asks for."""
        n, q = len(self.outstanding), len(self.outcomes)
        questions = f"your answers to {q} short question{'' if q == 1 else 's'} about how the support is going"
        if n:
            return (f"We need evidence for {n} payment{'' if n == 1 else 's'} ({gbp(self.outstanding_total)} "
                    f"in total)" + (f" and {questions}." if q else "."))
        return f"We do not need any receipts this time, only {questions}." if q else "We do not need any receipts this time."

    @property
    def _how_many_need(self) -> str:
        """The opening sentence of both summaries: how many of the period's payments need evidence."""
        n = len(self.payments)
        return f"{n} payment{'' if n == 1 else 's'} in this period need{'s' if n == 1 else ''} evidence. "

    @property
    def payments_summary(self) -> str:
        n, k = len(self.payments), len(self.outstanding)
        if not n:
            return "No payments in this period need evidence. Please still send back the outcomes page."
        text = self._how_many_need
        if not k:
            return text + "We already have evidence for all of them, thank you. Please still send back the outcomes page."
        text += f"Please send evidence for the {k} marked \u201cPlease send\u201d ({gbp(self.outstanding_total)} in total)"
        return text + (": we already have evidence for the others, thank you." if k < n else ".")

    @property
    def payments_summary_online(self) -> str:
        """The same, for the portal, whose tags say how far each payment has got (not "Please send")."""
        n, k = len(self.payments), len(self.outstanding)
        if not n:
            return "No payments in this period need evidence. Please still answer the questions about the support."
        text = self._how_many_need
        if not k:
            return text + "We already have evidence for all of them, thank you."
        still = "all of them" if k == n else f"{k} of them"
        return (text + f"We still need evidence for {still} ({gbp(self.outstanding_total)} in total): "
                "choose a payment to add a receipt, or an explanation if you have no receipt.")

    @property
    def example_ref(self) -> str:
        refs = [p.reference for p in self.outstanding] or [p.reference for p in self.payments]
        return refs[0] if refs else "E1234ABC"

