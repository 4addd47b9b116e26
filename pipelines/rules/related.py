"""RELATED_PAYEE: payments to someone who shares the account holder's surname.

Regulation 3 of the Care and Support (Direct Payments) Regulations 2014
limits paying a close family member living in the same household from a
direct payment. dprecon cannot know who is family, so this is a prompt to
check, not a finding: a payment the UNAPPROVED_PAYEE test picks out (to a
payee neither approved nor named by the plan) whose normalised payee
contains the holder's surname as whole words. Raised per payee and period,
low severity; off when the policy's ``related_payee_check`` is false. An
approved PA (named by the plan) who shares the surname is not raised.

Example: holder "Mrs J Okafor"; £120.00 by transfer to "FP D OKAFOR" on
1 and 15 May, a payee on no register: £240.00 for a check. "OKAFORS
GARAGE" does not share the surname as a word, so it is not raised here.
"""

from __future__ import annotations

import polars as pl

from pipelines.rules import Books, flag, gbp, normalise_payee, span
from pipelines.rules.registry import rule
from pipelines.rules.spending import unapproved_rows


def surname(holder_name: str | None) -> str:
    """The holder's surname, normalised like a payee: ``"Mr A O'Neil"`` → ``"O NEIL"``."""
    words = (holder_name or "").split()
    return normalise_payee(words[-1]) if len(words) > 1 else ""


@rule("RELATED_PAYEE", "low", money="none",
      next_step="Check whether the payee is a family member living with the person; if so, confirm the council agreed it (reg. 3).")
def related_payee(books: Books) -> list[dict]:
    if not books.policy.related_payee_check:
        return []
    rows = unapproved_rows(books)
    if rows.height == 0:
        return []
    names = {b: surname(h) for b, h in books.budgets.select("budget_id", "holder_name").iter_rows()}
    keep = [bool(names.get(b)) and f" {names[b]} " in f" {who or ''} "
            for b, who in rows.select("budget_id", "who").iter_rows()]
    rows = rows.filter(pl.Series(keep, dtype=pl.Boolean))
    out = []
    for (budget, start, who), g in rows.group_by("budget_id", "period_start", "who", maintain_order=True):
        total = -g["amount"].sum()
        out.append(flag("RELATED_PAYEE", budget, start, g["period_end"][0], total,
                        f"{gbp(total)} was paid to {who} in {g.height} payment(s) {span(g['date'].min(), g['date'].max())}."
                        f" {who} shares the account holder's surname and is not on the approved register. This is a"
                        " check, not a finding: a close relative living with the person may only be paid if the"
                        " council has agreed it.", g["transaction_id"].to_list(), subject=who))
    return out
