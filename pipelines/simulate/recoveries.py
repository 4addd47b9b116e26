"""The recovery loop, simulated: officers ask for money back and families pay it (or not).

After an account is judged, four in five with a suitable exception
(ineligible spending, a surplus, unreceipted cash, an overdue return, spending
outside the term, of £20.00 or more) gets a
:class:`RecoveryPlan`: the officer's ``recover`` decision 60 days after the
period began, a method (the family repays, or the council reduces its
payments) and an outcome: repaid in full, in part, not at all, written off
after a part payment, or under reconsideration. The account is then built
again with those repayments in its money (``apply``) and judged again, so
the exceptions' truth sees them too. The truth of each recovery
(``expected``) counts only what a statement shows: a repayment in a missing
month is not seen, by dprecon or by the truth.

Worked example: £120.00 asked back on 10 July, method repay, outcome part: on
3 August the family pays the council £54.00 (45%); dprecon should report
``part_repaid``, £54.00 repaid on 3 August. With reduce_payments on a budget
paid £400.00 every four weeks and the outcome full: the first payment at least
28 days after the decision (the notice's due date) arrives as £280.00, and
the recovery is ``repaid``.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from pipelines.simulate import names
from pipelines.simulate.common import iso, pounds
from pipelines.simulate.records import Account, Budget
from pipelines.simulate.truth import Expected

RATE = 0.8  # share of accounts with a suitable exception that get a recovery
RULES = ("INELIGIBLE_SPEND", "SURPLUS_BALANCE", "CASH_WITHDRAWAL", "EVIDENCE_OVERDUE", "OUTSIDE_TERM")
MIN_PENCE = 2000
DECIDE_AFTER = 60  # days after the period began
NOTICE_DAYS = 28  # the policy's recovery_due_days: reductions start after it
OUTCOMES = ("full", "part", "none", "written_off", "reconsidering")
OUTCOME_WEIGHTS = (35, 25, 15, 15, 10)
DIRECT_TAG, REDUCED_TAG = "RECOVERY", "RECOVERY_REDUCED"
REVIEWER = "sim-officer"
DECISIONS_HEADER = "budget_id,rule_code,period_start,decision,amount,method,decided_on,reviewer\n"
TRUTH_HEADER = "budget_id,rule_code,period_start,amount,method,outcome,repaid,repaid_on,status\n"


@dataclass
class RecoveryPlan:
    budget_id: str
    rule_code: str
    period_start: int
    amount: int  # pence asked back
    decided_on: int
    method: str  # repay / reduce_payments
    outcome: str
    later: tuple[str, int] | None = None  # (written_off | reconsidering, day)
    direct: list[tuple[int, int]] = field(default_factory=list)  # (day, pence) paid to the council
    status: str = ""
    repaid: int = 0
    repaid_on: int | None = None

    @property
    def key(self) -> tuple[str, str, int]:
        return (self.budget_id, self.rule_code, self.period_start)


def choose(acct: Account, rows: list[Expected], seed: int, as_of: int) -> RecoveryPlan | None:
    """The account's recovery, if it gets one (its own random stream: other accounts are untouched)."""
    rng = random.Random(f"{seed}:{acct.index}:recovery")
    if rng.random() >= RATE:
        return None
    by_id = {b.budget_id: b for b in acct.budgets}
    keys = {}
    for r in rows:  # one exception per key, or the officer's decision would be ambiguous
        keys[(r.budget_id, r.rule_code, r.period_start)] = keys.get((r.budget_id, r.rule_code, r.period_start), 0) + 1
    fits = [r for r in rows if r.rule_code in RULES and r.amount >= MIN_PENCE and not r.subjects
            and keys[(r.budget_id, r.rule_code, r.period_start)] == 1
            and _room(by_id[r.budget_id], r.period_start + DECIDE_AFTER, as_of)]
    if not fits:
        return None
    row = rng.choice(fits)
    b = by_id[row.budget_id]
    reducible = b.uplift is None and acct.channel != "ofx1"  # ofx1 prints the amount in the memo
    method = "reduce_payments" if reducible and rng.random() < 0.35 else "repay"
    outcome = rng.choices(OUTCOMES, OUTCOME_WEIGHTS)[0]
    plan = RecoveryPlan(row.budget_id, row.rule_code, row.period_start, row.amount,
                        row.period_start + DECIDE_AFTER, method, outcome)
    d = plan.decided_on
    if outcome == "written_off":
        plan.later = ("written_off", d + 60)
    elif outcome == "reconsidering":
        plan.later = ("reconsidering", d + 10)
    if method == "repay":
        first = d + rng.randrange(14, 41)
        if outcome == "full":
            if rng.random() < 0.4 and plan.amount >= 2 * MIN_PENCE:
                half = plan.amount // 2
                plan.direct = [(first, half), (first + 28, plan.amount - half)]
            else:
                plan.direct = [(first, plan.amount)]
        elif outcome in ("part", "written_off"):
            plan.direct = [(first, plan.amount * rng.randint(30, 70) // 100)]
    return plan


def _room(b: Budget, decided_on: int, as_of: int) -> bool:
    """Time for a notice, its 28 days and a payment or two, inside the term and before the run."""
    return b.start <= decided_on and decided_on + 60 <= min(b.end, as_of - 1)


def apply(plan: RecoveryPlan, acct: Account, ledger) -> None:
    """Put the plan's money into the account's transactions (before they are finalised)."""
    payee = f"{names.COUNCIL} COUNCIL"
    for day, pence in plan.direct:
        t = ledger.add(day, -pence, payee, f"REPAYMENT {plan.budget_id}", "PAYMENT", kind="recovery")
        if t is not None:
            t.tag, t.evidenced = DIRECT_TAG, False
    if plan.method != "reduce_payments" or plan.outcome in ("none", "reconsidering"):
        return
    b = next(x for x in acct.budgets if x.budget_id == plan.budget_id)
    left = plan.amount
    for t in sorted((t for t in ledger.txns if t.kind == "council" and b.start <= t.day <= b.end
                     and t.day >= plan.decided_on + NOTICE_DAYS), key=lambda t: (t.day, t.seq)):
        if left <= 0:
            break
        cut = min(left, b.payment_amount // 2)
        if plan.outcome != "full":
            cut = min(cut, plan.amount // 2)  # part: one reduction, never the whole
        t.amount -= cut
        t.tag = REDUCED_TAG
        left -= cut
        if plan.outcome != "full":
            break


def expected(plan: RecoveryPlan, acct: Account, rows: list[Expected]) -> RecoveryPlan | None:
    """The recovery's truth from what the statements show; None if its exception is not raised."""
    if plan.key not in {(r.budget_id, r.rule_code, r.period_start) for r in rows}:
        return None
    b = next(x for x in acct.budgets if x.budget_id == plan.budget_id)
    stop = plan.later[1] if plan.later and plan.later[0] == "written_off" else None
    got = 0
    for t in sorted(acct.txns, key=lambda t: (t.day, t.seq)):
        if t.hidden or t.day < plan.decided_on or (stop is not None and t.day > stop) or got >= plan.amount:
            continue
        if t.tag == DIRECT_TAG:
            part = -t.amount
        elif t.tag == REDUCED_TAG and plan.method == "reduce_payments":
            part = b.payment_amount - t.amount
        else:
            continue
        got += min(part, plan.amount - got)
        plan.repaid_on = t.day
    plan.repaid = got
    if got >= plan.amount:
        plan.status = "repaid"
    elif plan.later:
        plan.status = plan.later[0]
    else:
        plan.status = "part_repaid" if got else "notified"
    return plan


def decision_rows(plan: RecoveryPlan) -> str:
    ps = iso(plan.period_start)
    out = [f"{plan.budget_id},{plan.rule_code},{ps},recover,{pounds(plan.amount)},{plan.method},"
           f"{iso(plan.decided_on)},{REVIEWER}\n"]
    if plan.later:
        out.append(f"{plan.budget_id},{plan.rule_code},{ps},{plan.later[0]},,,{iso(plan.later[1])},{REVIEWER}\n")
    return "".join(out)


def truth_row(plan: RecoveryPlan) -> str:
    return (f"{plan.budget_id},{plan.rule_code},{iso(plan.period_start)},{pounds(plan.amount)},{plan.method},"
            f"{plan.outcome},{pounds(plan.repaid)},{iso(plan.repaid_on) if plan.repaid_on else ''},{plan.status}\n")
