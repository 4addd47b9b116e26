"""What the ground truth knows before it looks at an account: the policy compiled once,
the register's payee patterns, each budget's monitoring periods, and exact arithmetic.

Like the rest of the truth (:mod:`pipelines.simulate.truth`) it shares no code
with ``pipelines/``: the periods are stepped here from docs/rules.md (a budget
starting 31 January has quarterly periods from 31 Jan, 30 Apr, 31 Jul …),
pounds are whole pence, and rounding is half to even on exact fractions
(£1,000.00 a month is 100000 × 12 / 52 = 23076.9… → 23077 pence a week).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction

from pipelines.simulate.common import add_months_ord, rhe
from pipelines.simulate.records import Budget, Provider
from schemas.policy import Policy


@dataclass(frozen=True)
class Expected:
    budget_id: str
    rule_code: str
    period_start: int
    amount: int
    subjects: tuple[str, ...]


def _any(patterns: list[str]) -> re.Pattern:
    return re.compile("|".join(f"(?:{p})" for p in patterns) or r"(?!)", re.IGNORECASE)


class Judge:
    """The policy compiled once, and the shared register's payee patterns."""

    def __init__(self, policy: Policy, providers: list[Provider]) -> None:
        self.policy = policy
        self.council = _any(policy.council_payee_patterns)
        self.contribution = _any(policy.contribution_payee_patterns)
        self.cash = _any(policy.cash_payee_patterns)
        # workplace pensions are an employer's duty like PAYE (docs/rules.md §3)
        self.statutory = _any(policy.statutory_payee_patterns + policy.pension_payee_patterns)
        self.ineligible = _any(policy.ineligible_payee_patterns)
        self.cash_mccs = frozenset(policy.cash_mccs)
        self.ineligible_mccs = frozenset(policy.ineligible_mccs)
        self.mcc_category = {m: c for c, ms in reversed(list(policy.mcc_categories.items())) for m in ms}
        self.providers = providers
        self.register = _groups(providers)
        self.surplus_weeks = Fraction(str(policy.surplus_weeks))
        self.overspend_factor = 1 + Fraction(str(policy.overspend_tolerance))
        self.arrears_weeks = Fraction(str(policy.contribution_arrears_weeks))
        self.underspend_ratio = Fraction(str(policy.underspend_ratio))
        self.contingency = _pence(policy.contingency)
        self.cash_allowance = _pence(policy.cash_allowance_per_period)
        self.incomplete_share = Fraction(str(policy.evidence_incomplete_share))
        self._texts: dict[tuple[str, str], tuple[bool, ...]] = {}

    def text_tests(self, payee: str, memo: str) -> tuple[bool, ...]:
        """(council, contribution, cash, statutory, ineligible) on the payee or the memo."""
        key = (payee, memo)
        hit = self._texts.get(key)
        if hit is None:
            if len(self._texts) > 50_000:  # bounded: memory stays flat over many accounts
                self._texts.clear()
            hit = self._texts[key] = tuple(
                bool(p.search(payee) or (memo and p.search(memo)))
                for p in (self.council, self.contribution, self.cash, self.statutory, self.ineligible)
            )
        return hit

    def periods(self, b: Budget) -> list[tuple[int, int]]:
        step = {"four_weekly": 0, "monthly": 1, "quarterly": 3, "annual": 12}[self.policy.return_frequency]

        def start_of(k: int) -> int:
            return b.start + 28 * k if step == 0 else add_months_ord(b.start, step * k)

        out = []
        k = 0
        while start_of(k) <= b.end:
            out.append((start_of(k), min(start_of(k + 1) - 1, b.end)))
            k += 1
        return out


def _groups(providers: list[Provider]) -> tuple[re.Pattern, list[Provider]]:
    parts = [f"(?P<p{n}>{'|'.join(f'(?:{x})' for x in p.patterns)})" for n, p in enumerate(providers)]
    return re.compile("|".join(parts) or r"(?!)", re.IGNORECASE), list(providers)


def _period_of(periods: list[tuple[int, int]], day: int) -> int:
    for ps, pe in periods:
        if ps <= day <= pe:
            return ps
    return periods[0][0] if day < periods[0][0] else periods[-1][0]


def _norm(payee: str) -> str:
    """docs/rules.md's normalised payee: upper case, references (tokens with a
    digit) dropped, punctuation removed, spaces collapsed."""
    words = [w for w in payee.upper().split() if not any(c.isdigit() for c in w)]
    return " ".join(re.sub(r"[^A-Z ]+", " ", " ".join(words)).split())


def _pence(value) -> int:
    return int((value * 100).to_integral_value())


def _round(value: Fraction) -> int:
    return rhe(value.numerator, value.denominator)
