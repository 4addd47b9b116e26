"""The rule registry is the one list of rules: it agrees with the contract, the
docs, the simulator and the evidence intake."""

from __future__ import annotations

import re

import pytest

from pipelines.rules.registry import RULES, SEVERITY_RANK, declared, rule
from tests.conftest import ROOT, SHARED

# codes contract §4 names that no issue has built yet; each issue that adds one removes it here
NOT_YET_BUILT: set[str] = set()


def contract_codes() -> set[str]:
    text = (SHARED / "contract.md").read_text()
    section = text[text.index("## 4. Exception rule codes"):]
    return set(re.findall(r"^\| `([A-Z_]+)` \|", section, flags=re.M))


def test_registry_matches_contract_both_ways():
    codes = {r.code for r in declared()}
    assert codes <= contract_codes(), f"codes the contract does not name: {codes - contract_codes()}"
    assert contract_codes() - codes == NOT_YET_BUILT


def test_every_rule_has_a_severity_a_next_step_and_a_section_in_the_docs():
    docs = (ROOT / "docs" / "rules.md").read_text()
    for r in declared():
        assert r.severity in SEVERITY_RANK
        assert r.next_step.endswith(".") and len(r.next_step.split()) >= 5, r.code
        assert f"`{r.code}`" in docs or r.code in docs, f"{r.code} is not defined in docs/rules.md"


def test_declared_is_most_severe_first():
    ranks = [r.rank for r in declared()]
    assert ranks == sorted(ranks)


def test_a_code_cannot_be_declared_twice():
    declared()
    with pytest.raises(ValueError, match="declared twice"):
        rule("SURPLUS_BALANCE", "low", next_step="Nothing at all to do here, really.")(lambda books: [])
    with pytest.raises(ValueError, match="severity"):
        rule("NEW_RULE", "urgent", next_step="x")


def test_simulator_and_intake_read_the_registry():
    from pipelines.simulate import RULE_CODES

    assert set(RULE_CODES) == set(RULES)
    assert {r.code for r in declared() if r.on_intake} == {"EVIDENCE_OVERDUE", "CASH_WITHDRAWAL", "EVIDENCE_INCOMPLETE"}
