"""One evidence return's letter, filled in from its warehouse rows.

:func:`build_letter` turns the rows query.sql gives (the return, its plan
lines, payments, outcome domains and family actions) into a
:class:`~reports.returns.wording.Letter`: it puts the warehouse's codes into
words (plan categories, outcome domains, the exceptions a family must act on)
and chooses the paragraphs a return's cohort, status and figures call for
(eligibility, contributions, who may reply). What the letter then says,
sentence by sentence, is ``wording.py``; the letter's names are re-exported
here, where the rest of the code has always imported them from.
"""

from __future__ import annotations

from datetime import date

from reports.returns.wording import (
    Action,
    Letter,
    Line,
    Payment,
    Statement,
    long_date,
    short_date,
)
from schemas.council import Council
from schemas.money import ZERO, gbp

# the portal's templates format money with the letters' filter; the rest is the letter's
__all__ = ["Action", "Letter", "Line", "Payment", "Statement", "build_letter", "eligibility", "gbp",
           "long_date", "outcome_words", "short_date"]

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

# Budgets whose eligibility depends on returns arriving (docs/rules.md, evidence returns).
DEPENDS_ON_RETURNS = {
    "child": "children's short-break budget",
    "mental_health": "time-limited mental health budget",
}


def outcome_words(domain: str | None) -> str:
    return OUTCOMES.get(domain or "", (str(domain or "other").replace("_", " "), ""))[0]


def outcome_phrase(domain: str) -> str:
    return OUTCOMES.get(domain, ("", domain.replace("_", " ")))[1] or domain.replace("_", " ")


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
