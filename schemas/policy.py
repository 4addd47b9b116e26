"""A council's thresholds (contract §1, ``register/policy.yaml``).

Every key is optional; these are the project's defaults. Money is Decimal,
ratios are Decimal too (they multiply money). Beyond the contract the policy
also holds the patterns that recognise council payments and contributions on
a statement, and MCC → category hints.

A policy that cannot be used is an error, never a fallback to defaults
(contract §1): an unknown key (a typo such as ``surplus_week``), a value of
the wrong type (``surplus_weeks: eight``), a number out of range (negative
weeks, a ratio above 1, ``unpaid_grace_days: 1e30``) or a pattern that does
not compile (``bet(365``) each name the key and the value. Example: with
``surplus_weeks: 8`` and a council paying £250.00 a week, an account may hold
£2,000.00 (plus ``contingency``) before ``SURPLUS_BALANCE``; with
``surplus_weeks: -8`` every account would be flagged, so the run stops
instead.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from schemas.inputs import CATEGORIES

# Ranges a council's settings must fall in: beyond them a value is a mistake
# (or would overflow a date or a DECIMAL(18,2) sum), not a policy.
Weeks = Annotated[Decimal, Field(ge=0, le=520)]  # up to ten years of payments
Money = Annotated[Decimal, Field(ge=0, le=Decimal("1000000000"), decimal_places=2)]
Share = Annotated[Decimal, Field(ge=0, le=1)]  # a ratio: 0.25 is a quarter
Days = Annotated[int, Field(ge=0, le=3660)]
Mcc = Annotated[str, Field(pattern=r"^[0-9]{4}$")]

Frequency = Literal["four_weekly", "monthly", "quarterly", "annual"]

DEFAULT_BOOKMAKERS = [
    r"bet ?365",
    r"william ?hill",
    r"ladbrokes",
    r"\bcoral\b",
    r"paddy ?power",
    r"betfair",
    r"sky ?bet",
    r"betfred",
    r"betway",
    r"\bbet ?victor",
    r"\bcasino\b",
    r"\blottery\b|\blotto\b|national lottery",
    r"\bpokerstars",
]


MCC_CATEGORIES: dict[str, list[str]] = {
    "transport": ["4111", "4121", "4131", "4789", "5541", "5542", "7523"],
    "equipment": ["5047", "5200", "5310", "5311", "5712", "5732", "5912", "5943", "5945", "5999"],
    "social_activity": ["5812", "5814", "7832", "7911", "7922", "7941", "7991", "7996", "7997", "7999"],
    "day_activity": ["7032", "8299"],
}


class Policy(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    surplus_weeks: Weeks = Decimal("8")
    contingency: Money = Decimal("0.00")
    underspend_ratio: Share = Decimal("0.5")
    overspend_tolerance: Share = Decimal("0.10")
    cash_allowance_per_period: Money = Decimal("0.00")
    contribution_arrears_weeks: Weeks = Decimal("4")
    unpaid_grace_days: Days = 14
    duplicate_window_days: Days = 3
    statement_gap_days: Days = 7
    return_frequency: Frequency = "quarterly"
    evidence_due_days: Days = 28
    ineligible_mccs: list[Mcc] = Field(default_factory=lambda: ["7995", "5921", "5813", "7273", "5993"])
    ineligible_payee_patterns: list[str] = Field(default_factory=lambda: list(DEFAULT_BOOKMAKERS))
    # Round 2 (contract §1): the six further checks.
    low_balance_weeks: Weeks = Decimal("0")
    expected_income_patterns: list[str] = Field(default_factory=list)
    paye_weekly_threshold: Money = Decimal("242.00")
    pension_weekly_threshold: Money = Decimal("192.00")
    pension_payee_patterns: list[str] = Field(default_factory=lambda: [r"\bnest\b", r"pension"])
    employer_payment_grace_days: Days = 30
    first_review_months: Annotated[int, Field(ge=1, le=120)] = 6
    evidence_incomplete_share: Share = Decimal("0.25")
    related_payee_check: bool = True
    # Round 3 (issue 18): the audit plan and the recovery loop (docs/rules.md §6, §7).
    first_audit_weeks_min: int = Field(6, ge=0, le=520)  # a new budget's first audit: not before this many weeks
    first_audit_weeks_max: int = Field(12, ge=0, le=520)  # ... and not after this many
    audit_interval_months: int = Field(12, ge=1, le=120)  # then yearly, brought forward by risk
    recovery_method: Literal["repay", "reduce_payments"] = "repay"  # the family pays back, or payments shrink
    recovery_due_days: Days = 28  # a recovery notice asks for the money within this many days
    # Beyond the contract: how money *into* the account is recognised.
    council_payee_patterns: list[str] = Field(
        default_factory=lambda: [r"\bcouncil\b", r"direct payment", r"\bdp payment\b"]
    )
    contribution_payee_patterns: list[str] = Field(default_factory=lambda: [r"contrib"])
    # Cash: ATM withdrawals and cash-back.
    cash_mccs: list[Mcc] = Field(default_factory=lambda: ["6010", "6011"])
    cash_payee_patterns: list[str] = Field(default_factory=lambda: [r"\batm\b", r"\bcash\b", r"\blink\b.*withdraw"])
    # Payees that are not suppliers: tax on PA wages, bank charges.
    statutory_payee_patterns: list[str] = Field(default_factory=lambda: [r"\bhmrc\b", r"\bpaye\b", r"bank charge"])
    # Card purchases: merchant category code → plan category (first match wins).
    mcc_categories: dict[str, list[Mcc]] = Field(default_factory=lambda: dict(MCC_CATEGORIES))

    @field_validator("ineligible_mccs", "cash_mccs", mode="before")
    @classmethod
    def _codes_as_text(cls, v: object) -> object:
        if isinstance(v, list):
            return [str(x).zfill(4) if isinstance(x, int | str) and not isinstance(x, bool) else x for x in v]
        return v

    @field_validator("mcc_categories", mode="before")
    @classmethod
    def _category_codes_as_text(cls, v: object) -> object:
        if isinstance(v, dict):
            return {k: cls._codes_as_text(codes) for k, codes in v.items()}
        return v

    @field_validator(
        "surplus_weeks",
        "contingency",
        "underspend_ratio",
        "overspend_tolerance",
        "cash_allowance_per_period",
        "contribution_arrears_weeks",
        "low_balance_weeks",
        "paye_weekly_threshold",
        "pension_weekly_threshold",
        "evidence_incomplete_share",
        mode="before",
    )
    @classmethod
    def _no_float(cls, v: object) -> object:
        # YAML gives 0.5 as a float; go through its shortest repr, never binary.
        if isinstance(v, float):
            return Decimal(repr(v))
        return v


    @field_validator(
        "ineligible_payee_patterns",
        "expected_income_patterns",
        "pension_payee_patterns",
        "council_payee_patterns",
        "contribution_payee_patterns",
        "cash_payee_patterns",
        "statutory_payee_patterns",
    )
    @classmethod
    def _patterns_compile(cls, v: list[str]) -> list[str]:
        # a pattern that does not compile would silently match nothing (and open
        # INELIGIBLE_SPEND exceptions would then "resolve"): refuse it by name
        for p in v:
            try:
                re.compile(p, re.IGNORECASE)
            except re.error as e:
                raise ValueError(f"the pattern {p!r} is not a valid regular expression ({e})") from e
        return v

    @field_validator("mcc_categories")
    @classmethod
    def _known_categories(cls, v: dict[str, list[str]]) -> dict[str, list[str]]:
        unknown = sorted(set(v) - set(CATEGORIES))
        if unknown:
            raise ValueError(f"{', '.join(unknown)} is not a plan category ({', '.join(CATEGORIES)})")
        return v

    @model_validator(mode="after")
    def _audit_window(self) -> Policy:
        if self.first_audit_weeks_min > self.first_audit_weeks_max:
            raise ValueError(f"first_audit_weeks_min ({self.first_audit_weeks_min}) is after "
                             f"first_audit_weeks_max ({self.first_audit_weeks_max})")
        return self


def policy_from_mapping(data: dict | None) -> Policy:
    return Policy.model_validate(data or {})
