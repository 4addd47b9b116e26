"""The audit plan's and the recovery loop's policy keys: defaults, and values that cannot be used."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from schemas.config import describe
from schemas.policy import Policy, policy_from_mapping


def test_defaults():
    p = Policy()
    assert (p.first_audit_weeks_min, p.first_audit_weeks_max, p.audit_interval_months) == (6, 12, 12)
    assert (p.recovery_method, p.recovery_due_days) == ("repay", 28)


@pytest.mark.parametrize("data, words", [
    ({"recovery_method": "by cheque"}, "recovery_method = 'by cheque'"),
    ({"recovery_due_days": -1}, "recovery_due_days = -1"),
    ({"first_audit_weeks_min": 13}, "first_audit_weeks_min (13) is after first_audit_weeks_max (12)"),
    ({"audit_interval_months": 0}, "audit_interval_months = 0"),
])
def test_a_value_that_cannot_be_used_is_named(data, words):
    with pytest.raises(ValidationError) as e:
        policy_from_mapping(data)
    assert words in describe(e.value, "register/policy.yaml")


def test_a_council_may_choose_reduced_payments_and_a_wider_window():
    p = policy_from_mapping({"recovery_method": "reduce_payments", "first_audit_weeks_min": 4,
                             "first_audit_weeks_max": 16})
    assert (p.recovery_method, p.first_audit_weeks_min, p.first_audit_weeks_max) == ("reduce_payments", 4, 16)
