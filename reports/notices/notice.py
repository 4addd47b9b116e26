"""What one recovery notice says, in plain English, before it becomes HTML or PDF.

A recovery notice asks a family to pay money back (docs/rules.md §7). It
says what is owed and why, with the payments or invoices behind it; how to
pay (the council's bank details from ``register/council.yaml``) or that it
will be taken from future payments; by when; and how to ask for the decision
to be looked at again. The web page and the printed notice are drawn from the
same :class:`Notice`, so they cannot disagree; nothing here is markup.

Example: £120.00 asked back for spending at a bookmaker, notice dated
3 March 2026, ``recovery_due_days`` 28: "Please pay £120.00 by 31 March 2026"
to the council's account, quoting the recovery reference ``R1A2B3C4D5E6F``.
With ``reduce_payments`` instead: "We will take £120.00 back from the
payments we make into the account", no payment reduced by more than half.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from reports.returns.letter import gbp, long_date, short_date
from schemas.council import Council

ZERO = Decimal("0.00")
MOST_TAKEN = Decimal("0.5")  # a reduced payment keeps at least half: the support must go on

# Why, in a family's words, for each kind of exception that can lead to money being asked back.
REASONS = {
    "SURPLUS_BALANCE": "the account holds more money than the support plan needs",
    "UNDERSPEND_LINE": "part of the support plan has not been used",
    "OVERSPEND": "more has been spent than the budget allows so far",
    "INELIGIBLE_SPEND": "money was spent on something a direct payment cannot be used for",
    "CASH_WITHDRAWAL": "cash was taken out and we have no receipts for it",
    "UNAPPROVED_PAYEE": "money was paid to someone who is not in the support plan",
    "OUTSIDE_TERM": "money was spent outside the dates of the direct payment agreement",
    "DUPLICATE_PAYMENT": "the same payment was made twice",
    "EVIDENCE_OVERDUE": "we have not had the evidence of how the money was spent",
    "EVIDENCE_INCOMPLETE": "we have not had evidence for some of the money spent",
}


@dataclass
class Evidence:
    date: date | None
    what: str
    amount: Decimal | None
    reference: str


@dataclass
class Notice:
    council: Council
    as_of: date  # the date of the notice
    recovery_id: str
    budget_id: str
    holder_name: str
    rule_code: str
    explanation: str
    period_start: date | None
    period_end: date | None
    amount: Decimal  # asked back
    repaid: Decimal  # already back
    method: str  # repay / reduce_payments
    due_on: date
    payment_amount: Decimal | None = None  # the council's usual payment, for reduce_payments
    exception_id: str = ""
    evidence: list[Evidence] = field(default_factory=list)

    @property
    def reference(self) -> str:
        """What to quote on a payment or a letter: the recovery's id."""
        return self.recovery_id

    @property
    def outstanding(self) -> Decimal:
        return self.amount - self.repaid

    @property
    def title(self) -> str:
        return "We are asking for money back from your direct payment"

    @property
    def period_text(self) -> str:
        if self.period_start and self.period_end:
            return f"{long_date(self.period_start)} to {long_date(self.period_end)}"
        return ""

    @property
    def reason(self) -> str:
        return REASONS.get(self.rule_code, "the money was not used for the agreed support")

    @property
    def summary(self) -> str:
        ask = (f"Please pay back {gbp(self.outstanding)} by {long_date(self.due_on)}."
               if self.method == "repay" else
               f"We will take {gbp(self.outstanding)} back from the payments we make into the account.")
        return f"We have checked how the direct payment has been used and found that {self.reason}. {ask}"

    @property
    def why(self) -> list[str]:
        out = [f"What we found: {self.explanation}"]
        if self.period_text:
            out.append(f"This was in the period {self.period_text}.")
        if self.repaid > 0:
            out.append(f"We asked for {gbp(self.amount)}. {gbp(self.repaid)} has already come back, thank you, "
                       f"so {gbp(self.outstanding)} is left to pay.")
        return out

    @property
    def how_to_pay(self) -> list[str]:
        if self.method == "reduce_payments":
            most = (self.payment_amount * MOST_TAKEN).quantize(Decimal("0.01")) if self.payment_amount else None
            cap = f" (no more than {gbp(most)} from any one payment)" if most else ""
            return [f"You do not need to send any money. Starting with the next payment after "
                    f"{long_date(self.due_on)}, we will pay less into the account{cap} until "
                    f"{gbp(self.outstanding)} has been taken back.",
                    "Please plan for the smaller payments. Keep paying your support as agreed in your plan.",
                    "If you would rather pay it back in one go, contact us and we will give you our bank details."]
        bank = self.council.bank
        return [f"Please pay {gbp(self.outstanding)} by {long_date(self.due_on)} by bank transfer from the direct "
                f"payment account to {self.council.name}:",
                *([f"Account name: {bank.account_name}", f"Sort code: {bank.sort_code}",
                   f"Account number: {bank.account_number}"] if bank else []),
                f"Payment reference: {self.reference}",
                "If you cannot pay it all at once, contact us before that date: we can agree to take it in smaller "
                "amounts."]

    @property
    def bank_lines(self) -> list[tuple[str, str]]:
        bank = self.council.bank
        if self.method != "repay" or bank is None:
            return []
        return [("Account name", bank.account_name), ("Sort code", bank.sort_code),
                ("Account number", bank.account_number), ("Payment reference", self.reference)]

    @property
    def reconsider(self) -> list[str]:
        who = self.team
        return [f"If you think this decision is wrong, you can ask us to look at it again. Contact {who} by "
                f"{long_date(self.due_on)}, quote {self.reference}, say why you think it is wrong and send anything "
                f"that shows it, such as receipts, invoices or a note.",
                "While we look at it again we will not ask you for the money or reduce any payment. We will write "
                "to tell you what we decide."]

    @property
    def team(self) -> str:
        """Who to contact, as a sentence names it: "the Direct Payments Finance Team"."""
        team = self.council.team
        if not team:
            return f"the direct payments team at {self.council.name}"
        return team if team.lower().startswith("the ") else f"the {team}"

    @property
    def contact(self) -> list[str]:
        return self.council.contact_lines

    @property
    def facts(self) -> list[tuple[str, str, bool]]:
        """(label, value, bold) for the table at the top."""
        out = [("Name", self.holder_name, False), ("Budget reference", self.budget_id, False),
               ("Amount to pay back", gbp(self.outstanding), True)]
        if self.method == "repay":
            out.append(("Please pay by", long_date(self.due_on), True))
        else:
            out.append(("How", "Taken from future payments into the account", True))
        out += [("Reference to quote", self.reference, True), ("Date of this notice", long_date(self.as_of), False)]
        return out


def evidence_rows(rows: list[dict]) -> list[Evidence]:
    return [Evidence(r.get("date"), r.get("party") or "No name on the statement", r.get("amount"), r["ref"])
            for r in rows]


def build_notice(row: dict, evidence: list[dict], council: Council, as_of: date, due_on: date) -> Notice:
    """One notice from its row (``query.sql``'s ``notices``) and the exception's evidence rows."""
    return Notice(council=council, as_of=as_of, recovery_id=row["recovery_id"], budget_id=row["budget_id"],
                  holder_name=row.get("holder_name") or "The account holder", rule_code=row["rule_code"],
                  explanation=row.get("explanation") or "", period_start=row.get("period_start"),
                  period_end=row.get("period_end"), amount=row["amount"], repaid=row.get("repaid") or ZERO,
                  method=row["method"], due_on=due_on, payment_amount=row.get("payment_amount"),
                  exception_id=row.get("exception_id") or "",
                  evidence=evidence_rows(evidence))


__all__ = ["Evidence", "Notice", "build_notice", "gbp", "long_date", "short_date"]
