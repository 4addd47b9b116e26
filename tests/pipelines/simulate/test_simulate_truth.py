"""The ground truth: every rule appears, and each row is consistent with the ledger."""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from decimal import Decimal
from fractions import Fraction
from functools import lru_cache

from pipelines.simulate import RULE_CODES, SIM_POLICY, SimParams, simulate
from pipelines.simulate.account import build_account, judge_account
from pipelines.simulate.common import add_months
from pipelines.simulate.problems import LOOKALIKE_RULES
from pipelines.simulate.truth import Judge
from pipelines.simulate.world import build_world
from schemas.policy import Policy

PARAMS = SimParams(accounts=200, months=12, seed=1)


@lru_cache(maxsize=4)
def _files(params: SimParams = PARAMS) -> dict[str, bytes]:
    out: dict[str, bytearray] = {}
    for chunk in simulate(params):
        out.setdefault(chunk.relpath, bytearray()).extend(chunk.data)
    return {k: bytes(v) for k, v in out.items()}


@lru_cache(maxsize=2)
def _accounts(params: SimParams = PARAMS):
    world = build_world(params.seed, params.start.toordinal(), params.as_of.toordinal(), params.months)
    judge = Judge(SIM_POLICY, world.providers)
    out = []
    for i in range(params.accounts):
        acct = build_account(world, i)
        out.append((acct, judge_account(acct, judge, world.as_of)))
    return world, out


def _expected(params: SimParams = PARAMS) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(_files(params)["expected_exceptions.csv"].decode())))


def _budgets(params: SimParams = PARAMS) -> dict[str, dict[str, str]]:
    rows = csv.DictReader(io.StringIO(_files(params)["register/budgets.csv"].decode()))
    return {r["budget_id"]: r for r in rows}


def test_every_rule_code_appears_at_200_accounts() -> None:
    for seed in (1, 2, 3):
        params = SimParams(accounts=200, months=12, seed=seed)
        codes = {r["rule_code"] for r in _expected(params)}
        assert codes == set(RULE_CODES), f"seed {seed}: missing {set(RULE_CODES) - codes}"
        summary = json.loads(_files(params)["simulation.json"])
        for kind in ("LOOKALIKE_TWIN_PURCHASE", "LOOKALIKE_REFUND", "LOOKALIKE_LATE_PAID",
                     "LOOKALIKE_EVIDENCED_CASH"):
            assert summary["lookalikes"].get(kind), f"seed {seed}: no {kind}"


def test_rates_are_realistic() -> None:
    summary = json.loads(_files()["simulation.json"])
    budgets = summary["budgets"]
    for code in RULE_CODES:
        share = summary["budgets_flagged"][code] / budgets
        assert 0.005 <= share <= 0.12, (code, share)
    # rule hits nobody planted are rare
    assert sum(summary["unplanted_rows"].values()) <= 0.01 * budgets


def test_header_order_and_keys() -> None:
    text = _files()["expected_exceptions.csv"].decode()
    assert text.splitlines()[0] == "budget_id,rule_code,period_start,amount,note"
    rows = _expected()
    keys = [(r["budget_id"], r["rule_code"], r["period_start"]) for r in rows]
    assert keys == sorted(keys)
    assert len(keys) == len(set(keys))
    for r in rows:
        assert r["rule_code"] in RULE_CODES
        assert r["note"].startswith(("planted: ", "arises from ", "baseline: "))
        assert Decimal(r["amount"]) >= 0


def test_every_period_start_is_a_period_of_its_budget() -> None:
    budgets = _budgets()
    for r in _expected():
        b = budgets[r["budget_id"]]
        start, end = date.fromisoformat(b["start_date"]), date.fromisoformat(b["end_date"])
        starts = []
        k = 0
        while add_months(start, 3 * k) <= end:
            starts.append(add_months(start, 3 * k).isoformat())
            k += 1
        assert r["period_start"] in starts, r


def test_contribution_rows_need_a_contribution() -> None:
    budgets = _budgets()
    rows = [r for r in _expected() if r["rule_code"] == "CONTRIBUTION_MISSING"]
    assert rows
    for r in rows:
        assert budgets[r["budget_id"]]["weekly_contribution"] != "0.00"


def test_surplus_rows_hold_more_than_eight_weeks() -> None:
    world, accounts = _accounts()
    checked = 0
    for acct, rows in accounts:
        visible = {id(t) for f in acct.statements if not f.corrupt for t in f.lines}
        for r in rows:
            if r.rule_code != "SURPLUS_BALANCE":
                continue
            b = next(b for b in acct.budgets if b.budget_id == r.budget_id)
            assert r.amount > 0
            pe = next(pe for ps, pe in Judge(Policy(), []).periods(b) if ps == r.period_start)
            closing = sum(t.amount for t in acct.txns if id(t) in visible and t.day <= pe)
            weekly = {"weekly": Fraction(b.payment_amount), "four_weekly": Fraction(b.payment_amount, 4),
                      "monthly": Fraction(b.payment_amount * 12, 52)}[b.payment_frequency]
            assert closing > 8 * weekly
            assert pe < world.as_of
            checked += 1
    assert checked


def test_evidence_overdue_rows_are_due_before_the_run_date() -> None:
    world, accounts = _accounts()
    for acct, rows in accounts:
        received = {(ret.budget_id, ret.period) for ret in acct.returns}
        for r in rows:
            if r.rule_code == "EVIDENCE_OVERDUE":
                b = next(b for b in acct.budgets if b.budget_id == r.budget_id)
                pe = next(pe for ps, pe in Judge(Policy(), []).periods(b) if ps == r.period_start)
                assert pe + 28 < world.as_of
                assert (r.budget_id, r.period_start) not in received


def test_outside_term_rows_sit_in_the_first_or_last_period() -> None:
    _, accounts = _accounts()
    for acct, rows in accounts:
        for r in rows:
            if r.rule_code == "OUTSIDE_TERM":
                b = next(b for b in acct.budgets if b.budget_id == r.budget_id)
                periods = Judge(Policy(), []).periods(b)
                assert r.period_start in (periods[0][0], periods[-1][0])


def test_planted_problems_are_all_found() -> None:
    """A plant that the rules do not flag would be a plant in name only."""
    _, accounts = _accounts()
    missed = []
    for acct, rows in accounts:
        flagged = {(r.budget_id, r.rule_code) for r in rows}
        gapped = {r.budget_id for r in rows if r.rule_code == "STATEMENT_GAP"}
        for p in acct.plants:
            # a finding that rests on a statement gap is withheld: the gap is the exception (§9)
            if (p.budget_id, p.code) not in flagged and p.budget_id not in gapped:
                missed.append((p.code, p.budget_id, p.desc))
    assert len(missed) <= 3, missed


def test_lookalikes_are_not_flagged() -> None:
    _, accounts = _accounts()
    seen = set()
    for acct, rows in accounts:
        keys = {(r.budget_id, r.rule_code) for r in rows}
        for la in acct.lookalikes:
            seen.add(la.code)
            if la.code != "LOOKALIKE_EVIDENCED_CASH":
                for rule in LOOKALIKE_RULES[la.code]:
                    assert (la.budget_id, rule) not in keys, (la.code, la.budget_id)
            else:
                assert (la.budget_id, "CASH_WITHDRAWAL", la.detail["period"]) not in {
                    (r.budget_id, r.rule_code, r.period_start) for r in rows}
    assert seen == set(LOOKALIKE_RULES), set(LOOKALIKE_RULES) - seen


def test_no_baseline_near_duplicates() -> None:
    """Outside planted duplicates, no two no-MCC payments of one amount to a similar payee
    fall within three days: so any sensible payee normalisation agrees with the truth."""
    _, accounts = _accounts()
    for acct, _rows in accounts:
        if any(p.code == "DUPLICATE_PAYMENT" for p in acct.plants):
            continue
        seen: dict[tuple[str, int], list[int]] = {}
        for t in acct.txns:
            if t.amount >= 0 or t.mcc or t.hidden:
                continue
            key = (t.payee.split()[0], t.amount)
            for day in seen.get(key, []):
                assert t.day - day >= 3, (acct.account_id, t.payee, t.amount, t.day)
            seen.setdefault(key, []).append(t.day)
