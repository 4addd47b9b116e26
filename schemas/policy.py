"""A council's thresholds (contract §1, ``register/policy.yaml``).

Every key is optional; these are the project's defaults. Money is Decimal,
ratios are Decimal too (they multiply money). Extra keys beyond the contract
are accepted: the patterns that recognise council payments and contributions
on a statement, and MCC → category hints.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

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
    model_config = ConfigDict(extra="ignore", frozen=True)

    surplus_weeks: Decimal = Decimal("8")
    contingency: Decimal = Decimal("0.00")
    underspend_ratio: Decimal = Decimal("0.5")
    overspend_tolerance: Decimal = Decimal("0.10")
    cash_allowance_per_period: Decimal = Decimal("0.00")
    contribution_arrears_weeks: Decimal = Decimal("4")
    unpaid_grace_days: int = 14
    duplicate_window_days: int = 3
    statement_gap_days: int = 7
    return_frequency: Frequency = "quarterly"
    evidence_due_days: int = 28
    ineligible_mccs: list[str] = Field(default_factory=lambda: ["7995", "5921", "5813", "7273", "5993"])
    ineligible_payee_patterns: list[str] = Field(default_factory=lambda: list(DEFAULT_BOOKMAKERS))
    # Round 2 (contract §1): the six further checks.
    low_balance_weeks: Decimal = Decimal("0")
    expected_income_patterns: list[str] = Field(default_factory=list)
    paye_weekly_threshold: Decimal = Decimal("242.00")
    pension_weekly_threshold: Decimal = Decimal("192.00")
    pension_payee_patterns: list[str] = Field(default_factory=lambda: [r"\bnest\b", r"pension"])
    employer_payment_grace_days: int = 30
    first_review_months: int = 6
    evidence_incomplete_share: Decimal = Decimal("0.25")
    related_payee_check: bool = True
    # Round 3 (issue 18): the audit plan and the recovery loop (docs/rules.md §6, §7).
    first_audit_weeks_min: int = Field(6, ge=0)  # a new budget's first audit: not before this many weeks
    first_audit_weeks_max: int = Field(12, ge=0)  # ... and not after this many
    audit_interval_months: int = Field(12, ge=1)  # then yearly, brought forward by risk
    recovery_method: Literal["repay", "reduce_payments"] = "repay"  # the family pays back, or payments shrink
    recovery_due_days: int = Field(28, ge=0)  # a recovery notice asks for the money within this many days
    # Beyond the contract: how money *into* the account is recognised.
    council_payee_patterns: list[str] = Field(
        default_factory=lambda: [r"\bcouncil\b", r"direct payment", r"\bdp payment\b"]
    )
    contribution_payee_patterns: list[str] = Field(default_factory=lambda: [r"contrib"])
    # Cash: ATM withdrawals and cash-back.
    cash_mccs: list[str] = Field(default_factory=lambda: ["6010", "6011"])
    cash_payee_patterns: list[str] = Field(default_factory=lambda: [r"\batm\b", r"\bcash\b", r"\blink\b.*withdraw"])
    # Payees that are not suppliers: tax on PA wages, bank charges.
    statutory_payee_patterns: list[str] = Field(default_factory=lambda: [r"\bhmrc\b", r"\bpaye\b", r"bank charge"])
    # Card purchases: merchant category code → plan category (first match wins).
    mcc_categories: dict[str, list[str]] = Field(default_factory=lambda: dict(MCC_CATEGORIES))

    @field_validator("ineligible_mccs", "cash_mccs", mode="before")
    @classmethod
    def _codes_as_text(cls, v: object) -> object:
        if isinstance(v, list):
            return [str(x).zfill(4) for x in v]
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


    @model_validator(mode="after")
    def _audit_window(self) -> Policy:
        if self.first_audit_weeks_min > self.first_audit_weeks_max:
            raise ValueError(f"first_audit_weeks_min ({self.first_audit_weeks_min}) is after "
                             f"first_audit_weeks_max ({self.first_audit_weeks_max})")
        return self


def policy_from_mapping(data: dict | None) -> Policy:
    return Policy.model_validate(data or {})
