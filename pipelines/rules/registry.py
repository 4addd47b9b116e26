"""The one declaration of every exception rule: code, severity, when it runs,
what an officer does next, and its function.

A rule module declares each of its rules beside the function::

    @rule("SURPLUS_BALANCE", "medium",
          next_step="Agree with the family what to keep as contingency and ask for the rest back.")
    def surplus_balance(books: Books) -> list[dict]: ...

Everything else (the severity on each flag, the order rules run and reports
sort in, the simulator's list of codes, the evidence intake's subset, the docs
check) reads :data:`RULES` through :func:`declared`, so adding a rule is one
function with its declaration, its tests and its line in docs/rules.md.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

Severity = Literal["high", "medium", "low"]
SEVERITY_RANK: dict[str, int] = {"high": 0, "medium": 1, "low": 2}

# What span of statements a rule's "this did not happen" rests on (docs/rules.md §9):
# ""        the rule concludes only from what is there (a payment to a bookmaker);
# "period"  from the absence of money in the flag's own period (no evidence, no spend on a line);
# "to_date" from everything since the term began (a balance, arrears, spending to date);
# "to_run"  from everything since the flag's period began, up to the run date (an invoice never paid).
RestsOn = Literal["", "period", "to_date", "to_run"]

# Which pounds an exception's amount measures, for "money at stake" (pipelines/stake.py):
# "own"       its own money (transactions, invoices, arrears): counted as it is;
# "position"  a reading of the budget's account against its budget: of one budget's
#             open position exceptions only the largest counts;
# "evidence"  the period's money waiting for evidence: less what spending rules of the
#             same budget and period already count;
# "none"      no money of its own (a gap in the statements, a plan line not used).
Money = Literal["own", "position", "evidence", "none"]


@dataclass(frozen=True)
class Rule:
    code: str
    severity: Severity
    next_step: str  # one sentence: what an officer should do next
    fn: Callable  # Books -> list[flag rows]
    on_intake: bool = False  # also re-evaluated by the evidence intake between nights (it looks at evidence)
    persists: bool = False  # one exception per episode of consecutive periods (pipelines/rules/episodes.py)
    sums: bool = False  # an episode's amount is the sum of its periods' (new money each time), not the latest
    rests_on: RestsOn = ""  # withheld where a statement gap leaves that span unknown (pipelines/rules/gaps.py)
    money: Money = "own"  # how its amount enters "money at stake" (pipelines/stake.py)

    @property
    def rank(self) -> int:
        return SEVERITY_RANK[self.severity]


RULES: dict[str, Rule] = {}


def rule(code: str, severity: Severity, *, next_step: str, on_intake: bool = False, persists: bool = False,
         sums: bool = False, rests_on: RestsOn = "", money: Money = "own") -> Callable:
    """Declare ``fn`` as the rule ``code``. A code is declared once.

    ``persists``: a condition that can hold period after period (a surplus) is one
    exception while it lasts; ``sums`` with it: each period adds new money (a rate
    charged on every invoice) rather than restating a running total.
    ``rests_on``: the span of statements whose silence the rule reads as "did not
    happen". ``money``: how the amount enters money at stake.
    """
    if severity not in SEVERITY_RANK:
        raise ValueError(f"{code}: severity {severity!r} is not one of {list(SEVERITY_RANK)}")
    if rests_on not in ("", "period", "to_date", "to_run"):
        raise ValueError(f"{code}: rests_on {rests_on!r} is not one of '', 'period', 'to_date', 'to_run'")
    if money not in ("own", "position", "evidence", "none"):
        raise ValueError(f"{code}: money {money!r} is not one of 'own', 'position', 'evidence', 'none'")

    def declare(fn: Callable) -> Callable:
        if code in RULES and RULES[code].fn is not fn:
            raise ValueError(f"rule {code} is declared twice ({RULES[code].fn.__qualname__}, {fn.__qualname__})")
        RULES[code] = Rule(code, severity, next_step.strip(), fn, on_intake, persists, sums, rests_on, money)
        return fn

    return declare


def declared() -> tuple[Rule, ...]:
    """Every rule, most severe first (declaration order within a severity)."""
    import pipelines.rules.catalogue  # noqa: F401  (importing the rule modules declares them)

    return tuple(sorted(RULES.values(), key=lambda r: r.rank))


def codes() -> tuple[str, ...]:
    return tuple(r.code for r in declared())


def severity_of(code: str) -> str:
    declared()
    return RULES[code].severity


def next_step(code: str) -> str:
    declared()
    return RULES[code].next_step


def rank_of(severity: str | None) -> int:
    """Sort key of a severity: high, medium, low, then anything unknown."""
    return SEVERITY_RANK.get(severity or "", len(SEVERITY_RANK))
