"""What one evidence return says, in plain English, before it becomes HTML or PDF.

Both outputs are drawn from the same :class:`Letter`, so the web page and the
printed letter cannot disagree. Every sentence is built here from warehouse
values; nothing here is markup (the HTML template escapes it, the PDF prints
it as text).

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

__all__ = ["gbp"]  # the portal's templates format money with the letters' filter
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December")

# outcome_domain -> (short label for tables, phrase for "has ... got better?")
OUTCOMES: dict[str, tuple[str, str]] = {
    "daily_living": ("daily living", "managing daily living (such as washing, dressing and meals)"),
    "wellbeing": ("wellbeing", "wellbeing (how things feel day to day)"),
    "social_participation": ("getting out and seeing people", "getting out and seeing people"),
    "confidence_skills": ("confidence and skills", "confidence and skills"),
    "physical_health": ("physical health", "physical health"),
    "carer_break": ("breaks from caring", "getting a break from caring"),
    "work_learning": ("work and learning", "work, volunteering or learning"),
    "safety": ("feeling safe", "feeling safe and staying safe"),
}

CATEGORIES = {
    "personal_assistant": "Personal assistant (PA) wages",
    "agency_care": "Care from an agency",
    "short_break": "Short breaks",
    "day_activity": "Day activities",
    "social_activity": "Social activities",
    "equipment": "Equipment",
    "transport": "Transport",
    "employer_costs": "Employer costs (payroll, tax, insurance)",
    "other": "Other support",
}

# Exceptions a family must act on, and what the letter asks of them (docs/rules.md §12).
# The exception's own explanation says what was found; this says what to do.
FAMILY_ACTIONS: dict[str, tuple[str, str]] = {
    "LOW_BALANCE": ("Your account ran low", "Please check that wages and bills can be paid, and call us straight away"
                    " if a payment is late or money has gone missing."),
    "UNEXPECTED_INCOME": ("Money paid into your account", "Please tell us what this money is. If it is not for"
                          " your support plan, move it out of the direct-payment account."),
    "EMPLOYER_DUTIES": ("Tax and pension for your personal assistant", "Please send proof that the tax (PAYE) and"
                        " pension payments were made, or call us: we can help you set up payroll."),
    "EVIDENCE_INCOMPLETE": ("Evidence still missing from an earlier return", "Please send receipts, timesheets or"
                            " an explanation for these payments with this return."),
}


@dataclass
class Action:
    heading: str
    found: str  # the exception's explanation
    ask: str


# Budgets whose eligibility depends on returns arriving (docs/rules.md, evidence returns).
DEPENDS_ON_RETURNS = {
    "child": "children's short-break budget",
    "mental_health": "time-limited mental health budget",
}

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


def outcome_words(domain: str | None) -> str:
    return OUTCOMES.get(domain or "", (str(domain or "other").replace("_", " "), ""))[0]


def outcome_phrase(domain: str) -> str:
    return OUTCOMES.get(domain, ("", domain.replace("_", " ")))[1] or domain.replace("_", " ")


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
    def payments_summary(self) -> str:
        n, k = len(self.payments), len(self.outstanding)
        if not n:
            return "No payments in this period need evidence. Please still send back the outcomes page."
        text = f"{n} payment{'' if n == 1 else 's'} in this period need{'s' if n == 1 else ''} evidence. "
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
        text = f"{n} payment{'' if n == 1 else 's'} in this period need{'s' if n == 1 else ''} evidence. "
        if not k:
            return text + "We already have evidence for all of them, thank you."
        still = "all of them" if k == n else f"{k} of them"
        return (text + f"We still need evidence for {still} ({gbp(self.outstanding_total)} in total): "
                "choose a payment to add a receipt, or an explanation if you have no receipt.")

    @property
    def example_ref(self) -> str:
        refs = [p.reference for p in self.outstanding] or [p.reference for p in self.payments]
        return refs[0] if refs else "E1234ABC"


def contribution_note(s: Statement) -> str:
    if s.contributions_due <= 0:
        return "" if s.contributions_paid <= 0 else (
            f"You paid {gbp(s.contributions_paid)} of your own money into the account. Thank you.")
    note = (f"Your contribution for this period was {gbp(s.contributions_due)}. "
            f"{gbp(s.contributions_paid)} was paid into the account.")
    short = s.contributions_due - s.contributions_paid
    if short > 0:
        note += (f" {gbp(short)} has not been paid in yet. Please pay it into the account, or tell "
                 f"us if paying it is difficult: we can talk about it.")
    return note


def eligibility(cohort: str | None, status: str, due: date, overdue: bool) -> tuple[list[str], bool]:
    """The paragraphs on what happens if nothing comes, and whether to show them as a warning."""
    kind = DEPENDS_ON_RETURNS.get(cohort or "")
    when = long_date(due)
    first = (f"This return was due on {when} and has not reached us yet. Please send it as soon as "
             f"you can." if overdue else f"Please reply by {when}.")
    if status == "lapsed":
        rest = ([f"This return and the one before it have not reached us, so your eligibility for this "
                 f"{kind} has lapsed. Please contact the direct payments team as soon as you can: we will talk "
                 f"with you about what happens next and how we can help."] if kind else
                ["This return and the one before it have not reached us. Please contact the direct payments team "
                 "as soon as you can so we can talk about what happens next and how we can help."])
        return [first, *rest], True
    if status == "at_risk":
        rest = ([f"Because this return is late, your eligibility for this {kind} is at risk. A {kind} "
                 f"depends on these returns: if two returns in a row are missed, eligibility lapses and "
                 f"the payments may stop. Sending this return, even if some receipts are missing, is the "
                 f"best way to keep your support going."] if kind else
                ["Because this return is late, we will contact you to talk about it. We may have to ask "
                 "for money that cannot be accounted for to be paid back."])
        return [first, *rest], True
    rest = ([f"A {kind} depends on these returns. If this return does not reach us "
             + ("soon" if overdue else f"by {when}") + ", your eligibility will be at risk, and if two returns in a row are missed it will lapse and "
             "the payments may stop."] if kind else
            [("If it does not reach us soon" if overdue else f"If nothing reaches us by {when}")
             + ", we will contact you. We may have to ask for money that cannot be accounted for to be paid back."])
    return [first, *rest], bool(kind) or overdue


def helpers(managed_by: str | None) -> str:
    if managed_by == "managed_account":
        return ("A managed account provider runs this account for you. They may send the evidence "
                "for you, so please check with them first.")
    if managed_by in ("family", "representative"):
        return "If someone looks after the account for you, they can reply for you."
    return ""


def build_letter(ret: dict, lines: list[dict], payments: list[dict], domains: list[str],
                 as_of: date, council: Council | str, actions: list[dict] | None = None) -> Letter:
    """One return's letter from its rows (as the five queries in query.sql give them), judged
    on ``as_of``. ``council`` as a name alone is a council with no contact details."""
    if isinstance(council, str):
        council = Council(name=council)
    statement = None
    if ret.get("opening_balance") is not None:
        statement = Statement(ret["opening_balance"], ret["council_paid"], ret["contributions_due"],
                              ret["contributions_paid"], ret["spent"], ret["closing_balance"])
    paras, warn = eligibility(ret.get("cohort"), ret["eligibility_status"], ret["due_date"],
                              ret["due_date"] < as_of)
    letter = Letter(
        council=council, as_of=as_of, budget_id=ret["budget_id"],
        holder_name=ret.get("holder_name") or "The account holder",
        period_start=ret["period_start"], period_end=ret["period_end"], due_date=ret["due_date"],
        statement=statement,
        lines=[Line(CATEGORIES.get(ln["category"], str(ln["category"]).replace("_", " ")),
                    ln.get("need") or "", outcome_words(ln["outcome_domain"]), ln["planned"], ln["spent"])
               for ln in lines],
        payments=[Payment(p["date"], p["payee"] or "No name on the statement", p["paid"],
                          p["evidence_ref"] or p["transaction_id"], bool(p["evidenced"]))
                  for p in payments],
        outcomes=[(outcome_words(d), f"Since {long_date(ret['period_start'])}, has "
                   f"{outcome_phrase(d)} got better, stayed the same or got worse?")
                  for d in sorted(set(domains), key=domain_order)],
        eligibility=paras, warning=warn, helpers=helpers(ret.get("managed_by")),
        actions=[Action(FAMILY_ACTIONS[a["rule_code"]][0], a["explanation"], FAMILY_ACTIONS[a["rule_code"]][1])
                 for a in actions or [] if a["rule_code"] in FAMILY_ACTIONS],
    )
    if statement is not None:
        letter.other_spent = statement.spent - sum((ln.spent for ln in letter.lines), ZERO)
        letter.contribution_note = contribution_note(statement)
    return letter


def domain_order(domain: str) -> tuple[int, str]:
    keys = list(OUTCOMES)
    return (keys.index(domain) if domain in keys else len(keys), domain)
