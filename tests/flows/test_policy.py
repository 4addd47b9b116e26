"""register/policy.yaml is loud (contract §1): a policy that cannot be used stops
the run with a message naming the key and the value, and changes nothing."""

from __future__ import annotations

import hashlib
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from flows.cli import app
from flows.policy import load_policy
from schemas.config import ConfigError
from tests.conftest import SAMPLE_INBOX
from tests.flows.helpers import copy_inbox, run


def write(inbox: Path, text: str) -> Path:
    (inbox / "register").mkdir(parents=True, exist_ok=True)
    (inbox / "register" / "policy.yaml").write_text(text, encoding="utf-8")
    return inbox


def test_no_file_means_the_defaults(tmp_path):
    assert load_policy(tmp_path).surplus_weeks == Decimal("8")


def test_a_good_file_is_read_exactly(tmp_path):
    p = load_policy(write(tmp_path, "surplus_weeks: 6\nunderspend_ratio: 0.35\ncontingency: 250.50\n"
                                    "ineligible_mccs: [7995, 5921]\nmcc_categories: {transport: [4111]}\n"
                                    "ineligible_payee_patterns: ['bet ?365', '(?<!mr )coral']\n"))
    assert p.surplus_weeks == Decimal("6") and p.underspend_ratio == Decimal("0.35")
    assert p.contingency == Decimal("250.50") and p.ineligible_mccs == ["7995", "5921"]
    assert p.mcc_categories == {"transport": ["4111"]}


@pytest.mark.parametrize(("text", "named"), [
    ("surplus_week: 6\n", "unknown key 'surplus_week'"),  # a typo is not ignored
    ("surplus_weeks: eight\n", "surplus_weeks = 'eight'"),
    ("surplus_weeks: -2\n", "surplus_weeks = -2"),
    ("underspend_ratio: 1.5\n", "underspend_ratio = 1.5"),
    ("overspend_tolerance: -0.1\n", "overspend_tolerance = -0.1"),
    ("evidence_incomplete_share: 2\n", "evidence_incomplete_share = 2"),
    ("unpaid_grace_days: 100000000000000000000000000000\n", "unpaid_grace_days = 100000000000000000000000000000"),
    ("duplicate_window_days: 1.5\n", "duplicate_window_days = 1.5"),
    ("surplus_weeks: 1e400\n", "surplus_weeks"),  # YAML reads it as infinity
    ("contingency: 10.005\n", "contingency"),
    ("first_review_months: 0\n", "first_review_months = 0"),
    ("return_frequency: fortnightly\n", "return_frequency = 'fortnightly'"),
    ("ineligible_payee_patterns: ['bet(365']\n", "bet(365"),
    ("pension_payee_patterns: ['[nest']\n", "[nest"),
    ("ineligible_mccs: [79950]\n", "ineligible_mccs.0 = '79950'"),
    ("ineligible_payee_patterns: bet365\n", "ineligible_payee_patterns = 'bet365'"),
    ("mcc_categories: {travel: [4111]}\n", "travel is not a plan category"),
    ("related_payee_check: perhaps\n", "related_payee_check = 'perhaps'"),
    ("- surplus_weeks\n", "must be a mapping"),
    ("surplus_weeks: [\n", "not readable YAML"),
])
def test_a_policy_that_cannot_be_used_names_the_key_and_the_value(tmp_path, text, named):
    with pytest.raises(ConfigError) as e:
        load_policy(write(tmp_path, text))
    assert "register/policy.yaml" in str(e.value)
    assert named in str(e.value)


def test_every_problem_is_named_not_only_the_first(tmp_path):
    with pytest.raises(ConfigError) as e:
        load_policy(write(tmp_path, "surplus_weeks: eight\nstatement_gap_days: -1\nsurplus_wekes: 3\n"))
    lines = str(e.value).splitlines()
    assert len(lines) == 3 and any("statement_gap_days = -1" in x for x in lines)


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_the_run_stops_and_the_published_warehouse_is_unchanged(tmp_path):
    inbox = copy_inbox(SAMPLE_INBOX, tmp_path / "inbox")
    wh = tmp_path / "w.duckdb"
    run(inbox, wh)
    before = _digest(wh)
    write(inbox, "surplus_weeks: 6\nunderspend_ratio: 5\n")
    with pytest.raises(ConfigError, match="underspend_ratio = 5"):
        run(inbox, wh)
    assert _digest(wh) == before
    assert not wh.with_name(wh.name + ".next").exists()


def test_dprecon_run_exits_non_zero_with_the_plain_message(tmp_path):
    inbox = write(tmp_path / "inbox", "surplus_weeks: eight\nineligible_payee_patterns: ['bet(365']\n")
    wh = tmp_path / "w.duckdb"
    res = CliRunner().invoke(app, ["run", "--inbox", str(inbox), "--warehouse", str(wh),
                                   "--reports", str(tmp_path / "r"), "--as-of", str(date(2025, 6, 30))])
    assert res.exit_code != 0
    assert "register/policy.yaml: surplus_weeks = 'eight'" in res.output
    assert "register/policy.yaml: ineligible_payee_patterns" in res.output and "bet(365" in res.output
    assert "Traceback" not in res.output
    assert not wh.exists()
