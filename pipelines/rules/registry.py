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


@dataclass(frozen=True)
class Rule:
    code: str
    severity: Severity
    next_step: str  # one sentence: what an officer should do next
    fn: Callable  # Books -> list[flag rows]
    on_intake: bool = False  # also re-evaluated by the evidence intake between nights (it looks at evidence)

    @property
    def rank(self) -> int:
        return SEVERITY_RANK[self.severity]


RULES: dict[str, Rule] = {}


def rule(code: str, severity: Severity, *, next_step: str, on_intake: bool = False) -> Callable:
    """Declare ``fn`` as the rule ``code``. A code is declared once."""
    if severity not in SEVERITY_RANK:
        raise ValueError(f"{code}: severity {severity!r} is not one of {list(SEVERITY_RANK)}")

    def declare(fn: Callable) -> Callable:
        if code in RULES and RULES[code].fn is not fn:
            raise ValueError(f"rule {code} is declared twice ({RULES[code].fn.__qualname__}, {fn.__qualname__})")
        RULES[code] = Rule(code, severity, next_step.strip(), fn, on_intake)
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
