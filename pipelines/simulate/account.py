"""One account's life, from the plan to the ground truth, in memory.

Order matters and is fixed (so the same seed gives the same bytes): draw
the problems the account will carry, pick its channel and cohort, lay out
its terms and plans, run the money, plant what changes the money, decide
which statements arrive, collect the evidence returns, then judge.
"""

from __future__ import annotations

import random

from pipelines.simulate import problems
from pipelines.simulate.evidence import build_returns
from pipelines.simulate.ledger import Ledger
from pipelines.simulate.posting import finalise
from pipelines.simulate.problems import LOOKALIKE_RULES
from pipelines.simulate.records import Account, Budget
from pipelines.simulate.recoveries import RecoveryPlan
from pipelines.simulate.recoveries import apply as apply_recovery
from pipelines.simulate.statements import build_statements
from pipelines.simulate.truth import Expected, Judge, evaluate
from pipelines.simulate.world import (
    PA_WANTS,
    World,
    _line_specs,
    account_ids,
    cost_plan,
    make_budget,
    make_pa,
    make_person,
    plan_terms,
    weekly_cost,
)

CHANNELS = ("prepaid", "ofx1", "ofx2", "bankcsv", "nationwide")
CHANNEL_WEIGHTS = (60, 10, 12, 9, 9)
COHORTS = ("adult", "child", "mental_health", "health")
COHORT_WEIGHTS = (50, 20, 15, 15)


def _channel(rng: random.Random, wants: set[str]) -> str:
    channel = rng.choices(CHANNELS, CHANNEL_WEIGHTS)[0]
    if "LOOKALIKE_TWIN_PURCHASE" in wants:
        return "prepaid"
    if "LOOKALIKE_EVIDENCED_CASH" in wants and channel == "nationwide":
        return "bankcsv"
    return channel


def _cohort(rng: random.Random, wants: set[str]) -> str:
    cohort = rng.choices(COHORTS, COHORT_WEIGHTS)[0]
    if wants & ({"SURPLUS_BALANCE", "OVERSPEND"} | PA_WANTS):
        return cohort if cohort in ("adult", "health") else "adult"
    if "OUTSIDE_TERM" in wants:
        return "mental_health"
    if "CONTRIBUTION_MISSING" in wants and cohort in ("child", "health"):
        return "adult"
    return cohort


def build_account(world: World, i: int, recovery: RecoveryPlan | None = None) -> Account:
    """One account's life; with ``recovery``, the same life with that recovery's money in it."""
    rng = random.Random(f"{world.seed}:{i}")
    wants = problems.choose_wants(rng, world)
    channel = _channel(rng, wants)
    cohort = _cohort(rng, wants)
    account_id, sort_code = account_ids(world, i, channel)
    terms = plan_terms(rng, world, cohort, wants)
    person = make_person(rng, world, i, cohort)
    card = channel == "prepaid"
    specs = _line_specs(rng, world, cohort, card, wants)
    has_pa = any(s.get("category") == "personal_assistant" for s in specs)
    same_name = person["holder"].split()[-1].upper() if "LOOKALIKE_RELATED_PA" in wants else None
    pa = make_pa(rng, i, accented=channel in ("ofx1", "nationwide") and rng.random() < 0.3,
                 surname=same_name) if has_pa else None

    frequency = rng.choices(("weekly", "four_weekly", "monthly"), (30, 40, 30))[0]
    contribution = 0
    if cohort in ("adult", "mental_health"):
        draw = rng.random()
        forced = "CONTRIBUTION_MISSING" in wants
        if forced or draw < (0.45 if cohort == "adult" else 0.2):
            cap = 0
            if terms:
                days = terms[0][1] - terms[0][0] + 1
                cap = weekly_cost(cost_plan(rng, world, specs, "x", days, card)) // 5 // 50 * 50
            contribution = min(rng.randrange(500, 4001, 50), cap)
            if forced:
                contribution = max(contribution, 300)
            elif contribution < 300:
                contribution = 0
    if channel in ("bankcsv", "nationwide") and not contribution and not has_pa:
        frequency = "weekly"  # a line every week keeps a CSV statement's coverage whole

    budgets: list[Budget] = []
    for k, term in enumerate(terms):
        budget_id = f"DP{i + 1:06d}-{k + 1}"
        lines = cost_plan(rng, world, specs, budget_id, term[1] - term[0] + 1, card)
        for ln in lines:
            if ln.category == "personal_assistant" and pa is not None:
                ln.provider_id = pa.provider_id
        budgets.append(make_budget(rng, world, budget_id=budget_id, person=person, cohort=cohort,
                                   account_id=account_id, term=term, lines=lines,
                                   frequency=frequency, contribution=contribution))
    acct = Account(index=i, account_id=account_id, channel=channel, budgets=budgets,
                   pas=[pa] if pa else [], wants=frozenset(wants), style=rng.randrange(3),
                   bank_code=sort_code)
    if not budgets:
        return acct
    problems.bind_before(acct, world, rng)
    ledger = Ledger(acct, world, rng)
    ledger.run(pa)
    if channel != "nationwide" and rng.random() < 0.12 and weekly_cost(budgets[0].lines) >= 15000:
        ledger.cash_habit()
    ledger.float_if_short()
    problems.apply_after(acct, world, rng, ledger)
    if recovery is not None:
        apply_recovery(recovery, acct, ledger)
    acct.txns = ledger.txns
    acct.invoices = ledger.invoices
    finalise(acct)
    build_statements(acct, world.as_of, rng)
    build_returns(acct, world.as_of, rng)
    return acct


def judge_account(acct: Account, judge: Judge, as_of: int) -> list[Expected]:
    if not acct.budgets:
        return []
    rows = evaluate(acct, judge, acct.invoices, as_of)
    flagged = {(r.budget_id, r.rule_code, r.period_start) for r in rows}
    flagged_budget_rules = {(r.budget_id, r.rule_code) for r in rows}
    # a look-alike only counts as one while nothing else made its budget flag that way
    keep = []
    for la in acct.lookalikes:
        rules = LOOKALIKE_RULES[la.code]
        if la.code == "LOOKALIKE_EVIDENCED_CASH":
            if (la.budget_id, rules[0], la.detail["period"]) in flagged or not any(
                r.budget_id == la.budget_id and r.period == la.detail["period"] for r in acct.returns
            ):
                continue
        elif any((la.budget_id, rule) in flagged_budget_rules for rule in rules):
            continue
        keep.append(la)
    acct.lookalikes = keep
    return rows
