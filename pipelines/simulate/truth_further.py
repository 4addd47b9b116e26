"""Ground truth for docs/rules.md §12 (the six further checks), from the simulator's own records.

Like ``truth``, this shares no code with ``pipelines/``: it works in whole
pence and day ordinals on what the statement files show, and reads the
definitions of docs/rules.md §12 literally.

Worked example (``EMPLOYER_DUTIES``): a PA paid 13 weekly wages of £260.00
between 6 July and 5 October, a quarter wholly in the term: 338,000p × 7 >
24,200p × 91, so PAYE is due; no line matching ``hmrc_payee_patterns``
between 6 July and 4 November means it is missing.

What §12 leaves open is decided here as the pipeline decides it:

* a day is unknown when it falls in a run of uncovered days longer than
  ``statement_gap_days``; before the first statement every day is uncovered,
  and so is every day after the last one up to the day before the run date;
* the normalised payee is what the file prints: OFX's NAME, a CSV's whole
  description (payee and memo together);
* "a provider the account has paid": the provider ``truth`` attributes a
  payment out to (the shared register first, then the account's own PAs).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from fractions import Fraction

from pipelines.simulate.common import add_months_ord, rhe
from pipelines.simulate.records import Account, Budget, Txn

NEVER = 10**9  # a day ordinal beyond any date: an uncovered run with no end (integers, never floats)


@dataclass
class Seen:
    """What ``truth.evaluate`` already worked out for one account."""

    acct: Account
    as_of: int
    budgets: list[Budget]
    info: list[tuple[Txn, str, Budget | None]]  # visible transactions, their class and budget
    balance: object  # day -> end-of-day balance (pence)
    spans: list[tuple[int, int]]
    provider_of: object  # Txn -> Provider | None
    period_ends: dict[tuple[str, int], tuple[int, int, int, int]]  # (budget, ps) -> (pe, closing, owed, weekly)
    flag: object  # (budget, rule, day, amount, subject="") -> None


def _any(patterns: list[str]) -> re.Pattern:
    return re.compile("|".join(f"(?:{p})" for p in patterns) or r"(?!)", re.IGNORECASE)


def _norm(text: str) -> str:
    words = [w for w in text.upper().split() if not any(c.isdigit() for c in w)]
    return " ".join(re.sub(r"[^A-Z ]+", " ", " ".join(words)).split())


def shown_payee(acct: Account, t: Txn) -> str:
    if acct.channel in ("ofx1", "ofx2"):
        return t.payee
    return f"{t.payee} {t.memo}" if t.memo else t.payee


class Known:
    """Which days the statements let the rules judge."""

    def __init__(self, spans: list[tuple[int, int]], limit: int, as_of: int) -> None:
        self.long: list[tuple[int, int]] = []  # uncovered runs longer than the limit
        if not spans:
            self.first = None
            return
        self.first = min(s for s, _ in spans)
        self.long.append((-NEVER, self.first - 1))
        reach = self.first - 1
        for s, e in sorted(spans):
            if s > reach + 1 and s - 1 - reach > limit:
                self.long.append((reach + 1, s - 1))
            reach = max(reach, e)
        if as_of - 1 - reach > limit:  # after the last statement, up to the day before the run date
            self.long.append((reach + 1, NEVER))
        starts = [lo for lo, _ in self.long if lo > self.first]
        self.known_until = (min(starts) - 1) if starts else NEVER

    def unknown(self, first: int, last: int) -> bool:
        if last < first:
            return False
        if self.first is None:
            return True
        return any(lo <= last and hi >= first for lo, hi in self.long)

    def balance_known(self, day: int) -> bool:
        return self.first is not None and self.first <= day <= self.known_until


def tax_quarters(first: int, last: int) -> list[tuple[int, int]]:
    y0 = date.fromordinal(first).year - 1
    starts = []
    for y in range(y0, date.fromordinal(last).year + 2):
        starts += [date(y, 1, 6).toordinal(), date(y, 4, 6).toordinal(), date(y, 7, 6).toordinal(),
                   date(y, 10, 6).toordinal()]
    starts.sort()
    return [(a, b - 1) for a, b in zip(starts, starts[1:], strict=False) if b - 1 >= first and a <= last]


def judge_further(seen: Seen, policy) -> None:
    acct, as_of, flag = seen.acct, seen.as_of, seen.flag
    known = Known(seen.spans, policy.statement_gap_days, as_of)
    expected = _any(policy.expected_income_patterns)
    hmrc, pension = _any(policy.hmrc_payee_patterns), _any(policy.pension_payee_patterns)

    # LOW_BALANCE
    for b in seen.budgets:
        for ps, (pe, closing, owed, weekly) in ((ps, v) for (bid, ps), v in seen.period_ends.items()
                                               if bid == b.budget_id):
            worst = 0
            for x in range(max(ps, b.start), min(pe, b.end, as_of - 1) + 1):
                if known.balance_known(x):
                    worst = max(worst, -seen.balance(x))
            short = 0
            if pe < as_of and known.balance_known(pe):
                f = Fraction(str(policy.low_balance_weeks)) * weekly
                short = rhe(f.numerator, f.denominator) - (closing - owed)
            amount = max(worst, short)
            if amount > 0:
                flag(b, "LOW_BALANCE", ps, amount)

    # UNEXPECTED_INCOME
    paid_providers, paid_names = set(), set()
    for t, _, _ in seen.info:
        if t.amount < 0:
            p = seen.provider_of(t)
            if p is not None:
                paid_providers.add(p.provider_id)
            n = _norm(shown_payee(acct, t))
            if n:
                paid_names.add(n)
    for t, cls, b in seen.info:
        if t.amount <= 0 or cls != "refund" or b is None:
            continue
        if expected.search(t.payee) or (t.memo and expected.search(t.memo)):
            continue
        p = seen.provider_of(t)
        if p is not None and p.provider_id in paid_providers:
            continue
        who = _norm(shown_payee(acct, t))
        if any(f" {n} " in f" {who} " for n in paid_names):
            continue
        flag(b, "UNEXPECTED_INCOME", t.day, t.amount, who)

    # EMPLOYER_DUTIES
    grace = policy.employer_payment_grace_days
    paye_t, pens_t = _pence(policy.paye_weekly_threshold), _pence(policy.pension_weekly_threshold)
    duty_days = [(t.day, bool(hmrc.search(t.payee) or (t.memo and hmrc.search(t.memo))),
                  bool(pension.search(t.payee) or (t.memo and pension.search(t.memo))))
                 for t, _, _ in seen.info if t.amount < 0]
    duty_days = [x for x in duty_days if x[1] or x[2]]
    pa_ids = {p.provider_id for p in acct.pas}
    last_end = max(b.end for b in seen.budgets)
    for b in seen.budgets:
        wages: dict[str, list[tuple[int, int]]] = {}
        for t, cls, bb in seen.info:
            if bb is b and t.amount < 0 and cls == "spend":
                p = seen.provider_of(t)
                if p is not None and p.provider_id in pa_ids and any(ln.provider_id == p.provider_id for ln in b.lines):
                    wages.setdefault(p.provider_id, []).append((t.day, -t.amount))
        for qs, qe in tax_quarters(b.start, b.end):
            if qe + grace >= as_of:
                continue
            lo, hi = max(qs, b.start), min(qe, b.end)
            days = 91 if (lo, hi) == (qs, qe) else max(28, hi - lo + 1)
            w_end = qe + grace
            if known.unknown(lo, min(w_end, last_end, as_of - 1)):
                continue
            in_window = [(h, p) for d, h, p in duty_days if qs <= d <= w_end]
            for pid, rows in sorted(wages.items()):
                total = sum(a for d, a in rows if lo <= d <= hi)
                if not total:
                    continue
                missing = (total * 7 > paye_t * days and not any(h for h, _ in in_window)) or (
                    total * 7 > pens_t * days and not any(p for _, p in in_window))
                if missing:
                    flag(b, "EMPLOYER_DUTIES", hi, total, f"{pid} {qs}")

    # REVIEW_OVERDUE
    for b in seen.budgets:
        if b.start <= as_of <= b.end:
            due = b.review_date if b.review_date is not None else add_months_ord(b.start, policy.first_review_months)
            if due < as_of:
                flag(b, "REVIEW_OVERDUE", due, 0)

    # RELATED_PAYEE is decided beside UNAPPROVED_PAYEE in truth.evaluate: the same payments

def surname(holder_name: str) -> str:
    words = holder_name.split()
    return _norm(words[-1]) if len(words) > 1 else ""


def _pence(value) -> int:
    return int((value * 100).to_integral_value())

