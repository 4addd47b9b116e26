"""Planted problems, and the look-alikes that must not be flagged.

Each account draws, at realistic rates, the problems finance officers find
in direct-payment audits: money piling up unused, a plan line nobody uses,
spending running ahead of the budget, a bookmaker or an off-licence, cash
with no receipt, a payment to someone nobody approved, a card still used
after a time-limited budget ended, an invoice paid twice, an agency
charging above the agreed rate, an invoice never paid, a standing order
cancelled, a statement month never sent, an evidence return never made.

Each plant is recorded (``Plant``) so the ground truth can say what caused
each expected exception. Knock-on effects are not planted separately: a
paused agency also leaves its plan line unused, a missing statement month
also hides that month's contributions. ``truth`` finds them by the rules'
definitions and names the plant they arise from.

Look-alikes are ordinary life that a careless check would flag: two
genuine same-day, same-amount card purchases; a refund; an invoice paid
after its due date; cash with a receipt on the evidence return.
"""

from __future__ import annotations

import random

from pipelines.simulate import names
from pipelines.simulate.common import add_months_ord, iso, pounds, rhe
from pipelines.simulate.further import balances, duties, money_in, related, reviews
from pipelines.simulate.records import Account, Budget, Plant, Txn
from pipelines.simulate.world import World, weekly_cost

RULE_RATES = {
    "CASH_WITHDRAWAL": 0.04,
    "CONTRIBUTION_MISSING": 0.04,
    "DUPLICATE_PAYMENT": 0.035,
    "EMPLOYER_DUTIES": 0.04,
    "EVIDENCE_INCOMPLETE": 0.04,
    "EVIDENCE_OVERDUE": 0.04,
    "LOW_BALANCE": 0.035,
    "RELATED_PAYEE": 0.035,
    "REVIEW_OVERDUE": 0.04,
    "UNEXPECTED_INCOME": 0.04,
    "INELIGIBLE_SPEND": 0.045,
    "INVOICE_UNPAID": 0.035,
    "OUTSIDE_TERM": 0.035,
    "OVERSPEND": 0.035,
    "RATE_ABOVE_AGREED": 0.035,
    "STATEMENT_GAP": 0.06,
    "SURPLUS_BALANCE": 0.035,
    "UNAPPROVED_PAYEE": 0.04,
    "UNDERSPEND_LINE": 0.04,
}
LOOKALIKE_RATES = {
    "LOOKALIKE_EVIDENCED_CASH": 0.04,
    "LOOKALIKE_JOINT_FUNDER": 0.04,
    "LOOKALIKE_LATE_PAID": 0.04,
    "LOOKALIKE_NEAR_LOW": 0.07,
    "LOOKALIKE_PAYROLL_SERVICE": 0.04,
    "LOOKALIKE_PA_BELOW_THRESHOLD": 0.04,
    "LOOKALIKE_REFUND": 0.05,
    "LOOKALIKE_RELATED_PA": 0.03,
    "LOOKALIKE_REVIEW_NEXT_MONTH": 0.04,
    "LOOKALIKE_TWIN_PURCHASE": 0.04,
}
# the rules each look-alike must not raise (on its budget)
LOOKALIKE_RULES = {
    "LOOKALIKE_EVIDENCED_CASH": ("CASH_WITHDRAWAL",),
    "LOOKALIKE_JOINT_FUNDER": ("UNEXPECTED_INCOME",),
    "LOOKALIKE_LATE_PAID": ("INVOICE_UNPAID",),
    "LOOKALIKE_NEAR_LOW": ("LOW_BALANCE",),
    "LOOKALIKE_PAYROLL_SERVICE": ("EMPLOYER_DUTIES",),
    "LOOKALIKE_PA_BELOW_THRESHOLD": ("EMPLOYER_DUTIES",),
    "LOOKALIKE_REFUND": ("DUPLICATE_PAYMENT", "UNEXPECTED_INCOME"),
    "LOOKALIKE_RELATED_PA": ("RELATED_PAYEE",),
    "LOOKALIKE_REVIEW_NEXT_MONTH": ("REVIEW_OVERDUE",),
    "LOOKALIKE_TWIN_PURCHASE": ("DUPLICATE_PAYMENT",),
}


def choose_wants(rng: random.Random, world: World) -> set[str]:
    """Which problems this account will carry (one draw per code, always all drawn)."""
    draws = {code: rng.random() for code in sorted(RULE_RATES | LOOKALIKE_RATES)}
    wants = {c for c, r in draws.items() if r < (RULE_RATES | LOOKALIKE_RATES)[c]}
    if wants & {"SURPLUS_BALANCE", "OVERSPEND"}:
        wants.discard("OUTSIDE_TERM")
    if "SURPLUS_BALANCE" in wants and "OVERSPEND" in wants:
        wants.discard("OVERSPEND")
    if world.months < 4:
        wants -= {"SURPLUS_BALANCE", "OVERSPEND", "UNDERSPEND_LINE", "EVIDENCE_OVERDUE"}
    return wants


def _closed_periods(b: Budget, as_of: int) -> list[tuple[int, int]]:
    out = []
    k = 0
    while True:
        ps = add_months_ord(b.start, 3 * k)
        if ps > b.end:
            return out
        pe = min(add_months_ord(b.start, 3 * (k + 1)) - 1, b.end)
        if pe < as_of:
            out.append((ps, pe))
        k += 1


def _pick(rng: random.Random, items: list):
    return items[rng.randrange(len(items))] if items else None


def bind_before(acct: Account, world: World, rng: random.Random) -> None:
    """Plants that change how the plan is lived: set the budget's hooks."""
    a = world.as_of
    wants = acct.wants
    reviews(acct, rng, a)
    first = acct.budgets[0]
    council_week = {
        "weekly": first.payment_amount,
        "four_weekly": first.payment_amount // 4,
        "monthly": first.payment_amount * 12 // 52,
    }[first.payment_frequency] or 1
    majors = [ln for ln in first.lines if ln.category in ("personal_assistant", "agency_care")]
    if "SURPLUS_BALANCE" in wants and majors and first.end - first.start > 300:
        line = max(majors, key=lambda ln: ln.weekly_units_x100 * ln.unit_rate)
        share = rhe(line.weekly_units_x100 * line.unit_rate, 100) * 100 // council_week
        weeks = -(-1100 // max(share, 20))  # enough paused weeks to pass 8 weeks' payments
        d0 = first.start + rng.randrange(21, 50)
        d1 = min(d0 + 7 * weeks, first.end - 21)
        if d0 + 7 * weeks < a - 20:
            first.pauses[line.line_id] = (d0, d1)
            acct.plants.append(Plant("SURPLUS_BALANCE", first.budget_id,
                                     f"{line.category} {line.line_id} paused {iso(d0)} to {iso(d1)} "
                                     "while the council kept paying (surplus build-up)", d0))
    if "OVERSPEND" in wants and majors and first.end - first.start > 300:
        line = max(majors, key=lambda ln: ln.weekly_units_x100 * ln.unit_rate)
        share = rhe(line.weekly_units_x100 * line.unit_rate, 100) * 100 // max(weekly_cost(first.lines), 1)
        pct = min(150, max(50, -(-35 * 100 // max(share, 1))))
        u = first.start + rng.randrange(14, 40)
        if u < a - 120:
            first.uplift = (u, line.line_id, pct)
            acct.plants.append(Plant("OVERSPEND", first.budget_id,
                                     f"needs rose: {line.category} {line.line_id} +{pct}% from {iso(u)} "
                                     "on an interim council uplift, budget record not updated", u))
    if "UNDERSPEND_LINE" in wants:
        options = []
        for b in acct.budgets:
            minor = [ln for ln in b.lines if ln.weekly_units_x100 and ln.category not in
                     ("personal_assistant", "agency_care") and ln.line_id not in b.pauses]
            for ps, pe in _closed_periods(b, a):
                if pe - ps + 1 >= 28 and minor:
                    options.append((b, ps, pe, minor))
        choice = _pick(rng, options)
        if choice:
            b, ps, pe, minor = choice
            line = _pick(rng, minor)
            d0 = max(b.start, ps - rng.randrange(0, 20))
            b.pauses[line.line_id] = (d0, pe)
            acct.plants.append(Plant("UNDERSPEND_LINE", b.budget_id,
                                     f"plan line {line.line_id} ({line.category}) unused "
                                     f"{iso(d0)} to {iso(pe)}", d0))
    if "RATE_ABOVE_AGREED" in wants:
        options = [(b, ln) for b in acct.budgets for ln in b.lines
                   if ln.channel == "invoice" and b.start + 40 < a - 35]
        choice = _pick(rng, options)
        if choice:
            b, line = choice
            day = b.start + rng.randrange(20, max(21, min(120, a - 35 - b.start)))
            extra = max(50, rhe(line.unit_rate * rng.randint(6, 15), 1000) * 10)
            if day < b.end:
                b.rate_bump = (line.line_id, day, extra)
                acct.plants.append(Plant("RATE_ABOVE_AGREED", b.budget_id,
                                         f"{line.category} provider {line.provider_id} charging "
                                         f"{pounds(extra)} a unit above the agreed rate from {iso(day)}", day))
    if "CONTRIBUTION_MISSING" in wants:
        options = [b for b in acct.budgets if b.weekly_contribution and b.start + 100 < a]
        b = _pick(rng, options)
        if b is not None:
            stop = b.start + rng.randrange(14, min(90, max(15, a - b.start - 70)))
            if stop < b.end - 35:
                b.contribution_stops = stop
                acct.plants.append(Plant("CONTRIBUTION_MISSING", b.budget_id,
                                         f"standing order for the {pounds(b.weekly_contribution)} "
                                         f"weekly contribution cancelled {iso(stop)}", stop))


def _in_term(b: Budget, a: int) -> tuple[int, int]:
    return b.start, min(b.end, a - 1)


def apply_after(acct: Account, world: World, rng: random.Random, ledger) -> None:
    """Plants and look-alikes that add, copy, move or remove money movements."""
    a = world.as_of
    wants = acct.wants
    txns = ledger.txns
    card = acct.channel == "prepaid"

    if "INELIGIBLE_SPEND" in wants:
        b = _pick(rng, acct.budgets)
        s, e = _in_term(b, a)
        if e - s > 20:
            for _ in range(rng.randint(1, 3)):
                day = rng.randint(s + 3, e)
                if card:
                    name, mcc = _pick(rng, list(names.INELIGIBLE_MERCHANTS))
                    t = ledger.add(day, -rng.randrange(500, 6001, 5), f"{name} {names.TOWNS[1]}",
                                   "", "POS", mcc, kind="card")
                else:
                    t = ledger.add(day, -rng.randrange(1000, 5001, 500), _pick(rng, list(names.BANK_BOOKMAKERS)),
                                   "", "PAYMENT", kind="spend")
                if t:
                    t.tag = "INELIGIBLE_SPEND"
            acct.plants.append(Plant("INELIGIBLE_SPEND", b.budget_id,
                                     "spending at a bookmaker / off-licence / bar the policy rules out"))
    if "CASH_WITHDRAWAL" in wants:
        options = [(b, ps, pe) for b in acct.budgets for ps, pe in _closed_periods(b, a) if pe + 28 <= a]
        choice = _pick(rng, options)
        if choice:
            b, ps, pe = choice
            for _ in range(rng.randint(1, 2)):
                t = ledger.add_cash(rng.randint(ps, pe), rng.randrange(5000, 25001, 1000))
                if t:
                    t.tag, t.evidenced = "CASH_WITHDRAWAL", False
            acct.plants.append(Plant("CASH_WITHDRAWAL", b.budget_id,
                                     f"cash withdrawn in the period from {iso(ps)} with no receipt", ps))
    if "UNAPPROVED_PAYEE" in wants:
        b = _pick(rng, acct.budgets)
        s, e = _in_term(b, a)
        if e - s > 20:
            day = rng.randint(s + 3, e)
            if rng.random() < 0.6:
                first = rng.choice(names.FIRST_NAMES)
                payee = f"FP {first[0]} {rng.choice(names.STRANGER_SURNAMES)}"
                what = "a person on no register"
            else:
                provider = _pick(rng, [p for p in world.providers if not p.approved])
                payee = provider.printed[0]
                what = f"{provider.name}, an agency not on the framework"
            t = ledger.add(day, -rng.randrange(4000, 30001, 500), payee, "", "PAYMENT", kind="spend")
            if t:
                t.tag = "UNAPPROVED_PAYEE"
                acct.plants.append(Plant("UNAPPROVED_PAYEE", b.budget_id, f"payment to {what}", day))
    if "OUTSIDE_TERM" in wants:
        b = acct.budgets[-1]
        if b.end < a - 10:
            for _ in range(rng.randint(2, 4)):
                day = rng.randint(b.end + 2, min(b.end + 45, a - 1))
                if card:
                    name, mcc = _pick(rng, list(names.MERCHANTS["social_activity"]))
                    t = ledger.add(day, -rng.randrange(800, 4001, 5), f"{name} {names.TOWNS[2]}",
                                   "", "POS", mcc, kind="card")
                else:
                    provider = _pick(rng, world.approved("social_activity"))
                    t = ledger.add(day, -rng.randrange(1500, 6001, 100), provider.printed[0],
                                   "SESSIONS", "PAYMENT", kind="transfer")
                if t:
                    t.tag = "OUTSIDE_TERM"
            acct.plants.append(Plant("OUTSIDE_TERM", b.budget_id,
                                     f"account still spent after the term ended {iso(b.end)}", b.end))
    if "DUPLICATE_PAYMENT" in wants:
        _duplicate(acct, ledger, rng, a)
    if "INVOICE_UNPAID" in wants:
        _unpaid(acct, ledger, rng, a)
    if "LOOKALIKE_LATE_PAID" in wants:
        _late_paid(acct, ledger, rng, a)
    if "LOOKALIKE_TWIN_PURCHASE" in wants and card:
        options = [t for t in txns if t.kind == "card" and t.mcc and not t.tag]
        t = _pick(rng, options)
        if t is not None:
            twin = ledger.add(t.day, t.amount, t.payee, t.memo, t.trntype, t.mcc, kind="card", line_id=t.line_id)
            t.tag = twin.tag = "LOOKALIKE_TWIN_PURCHASE"
            acct.lookalikes.append(Plant("LOOKALIKE_TWIN_PURCHASE", _budget_of(acct, t.day),
                                         f"two genuine {pounds(-t.amount)} purchases at {t.payee} on {iso(t.day)}",
                                         t.day))
    if "LOOKALIKE_REFUND" in wants:
        options = [t for t in txns if t.kind in ("card", "transfer") and not t.tag and t.amount < -500]
        t = _pick(rng, options)
        if t is not None and t.day + 10 < a:
            back = rhe(-t.amount * rng.randint(30, 100), 100)
            day = t.day + rng.randint(2, 9)
            if _budget_of(acct, day):
                r = ledger.add(day, back, f"REFUND {t.payee}", "", "CREDIT", t.mcc, kind="refund")
                r.tag = "LOOKALIKE_REFUND"
                acct.lookalikes.append(Plant("LOOKALIKE_REFUND", _budget_of(acct, day),
                                             f"refund of {pounds(back)} from {t.payee}", day))
    money_in(acct, world, rng, ledger)
    related(acct, rng, ledger)
    duties(acct, rng, ledger)
    if "LOOKALIKE_EVIDENCED_CASH" in wants and acct.channel != "nationwide":
        options = [(b, ps, pe) for b in acct.budgets for ps, pe in _closed_periods(b, a)
                   if pe < a - 40 and b.agreed_amount >= 300000]
        choice = _pick(rng, options)
        if choice:
            b, ps, pe = choice
            cap = max(2000, b.agreed_amount // 100 // 1000 * 1000)
            t = ledger.add_cash(rng.randint(ps, pe), rng.randrange(2000, min(10000, cap) + 1, 1000))
            if t:
                t.tag = "LOOKALIKE_EVIDENCED_CASH"
                acct.lookalikes.append(Plant("LOOKALIKE_EVIDENCED_CASH", b.budget_id,
                                             f"cash {pounds(-t.amount)} on {iso(t.day)} with a receipt on the return",
                                             t.day, {"period": ps}))
    balances(acct, world, rng, ledger)  # last: it reads the balance every other plant left


def _budget_of(acct: Account, day: int) -> str:
    best = ""
    for b in acct.budgets:
        if b.start <= day <= b.end:
            best = b.budget_id
    return best


def _single_payments(ledger) -> dict[str, list[Txn]]:
    by_invoice: dict[str, list[Txn]] = {}
    for t in ledger.txns:
        for inv_id, _ in t.pays:
            by_invoice.setdefault(inv_id, []).append(t)
    return by_invoice


def _duplicate(acct: Account, ledger, rng: random.Random, a: int) -> None:
    paid = _single_payments(ledger)
    full = [ts[0] for ts in paid.values() if len(ts) == 1 and len(ts[0].pays) == 1 and ts[0].memo
            and not ts[0].tag]
    full = [t for t in full if ledger.covered(t.day + 20) and t.day + 20 < a]
    if full and rng.random() < 0.6:
        t = _pick(rng, full)
        day = t.day + rng.randint(5, 20)
        copy = ledger.add(day, t.amount, t.payee, t.memo, t.trntype, kind="invoice_payment",
                          line_id=t.line_id, pays=t.pays)
        copy.tag = "DUPLICATE_PAYMENT"
        acct.plants.append(Plant("DUPLICATE_PAYMENT", _budget_of(acct, day),
                                 f"invoice {t.pays[0][0]} paid twice ({iso(t.day)} and {iso(day)})", day))
        return
    options = [t for t in ledger.txns if t.kind in ("wages", "transfer") and not t.tag and not t.mcc]
    t = _pick(rng, options)
    if t is not None:
        day = t.day + rng.choice((0, 0, 1))
        if _budget_of(acct, day) and day < a:
            copy = ledger.add(day, t.amount, t.payee, t.memo, t.trntype, kind=t.kind, line_id=t.line_id)
            copy.tag = "DUPLICATE_PAYMENT"
            acct.plants.append(Plant("DUPLICATE_PAYMENT", _budget_of(acct, day),
                                     f"{t.payee} {pounds(-t.amount)} paid twice on {iso(t.day)}/{iso(day)}", day))


def _unpaid(acct: Account, ledger, rng: random.Random, a: int) -> None:
    paid = _single_payments(ledger)
    budgets = {b.budget_id: b for b in acct.budgets}
    options = []
    for inv in ledger.invoices:
        b = budgets[inv.budget_id]
        ts = paid.get(inv.invoice_id, [])
        if inv.kind == "invoice" and inv.due + 14 < a - 1 and inv.due <= b.end and ts \
                and all(len(t.pays) == 1 and not t.tag for t in ts) and not _look_alike_bill(inv, ledger, paid):
            options.append((inv, ts))
    choice = _pick(rng, options)
    if choice:
        inv, ts = choice
        for t in ts:
            ledger.txns.remove(t)
        acct.plants.append(Plant("INVOICE_UNPAID", inv.budget_id,
                                 f"invoice {inv.invoice_id} ({pounds(inv.amount)}, due {iso(inv.due)}) never paid",
                                 inv.due, {"invoice_id": inv.invoice_id}))


def _look_alike_bill(inv, ledger, paid) -> bool:
    """Would the next bill's payment read as this one's? A later invoice of the same provider
    and amount paid by name only (no invoice number) is, to anyone reading the statement, as
    likely the payment of this one: leaving this one unpaid would plant nothing the files show."""
    for other in ledger.invoices:
        if other is not inv and other.kind == "invoice" and other.provider_id == inv.provider_id \
                and other.amount == inv.amount and other.issue > inv.issue:
            if any(other.invoice_id not in t.memo for t in paid.get(other.invoice_id, [])):
                return True
    return False


def _late_paid(acct: Account, ledger, rng: random.Random, a: int) -> None:
    paid = _single_payments(ledger)
    options = []
    for inv in ledger.invoices:
        ts = paid.get(inv.invoice_id, [])
        if inv.kind == "invoice" and inv.due + 20 < a - 1 and len(ts) == 1 and len(ts[0].pays) == 1 \
                and not ts[0].tag:
            options.append((inv, ts[0]))
    rng.shuffle(options)
    for inv, t in options:
        day = inv.due + rng.randint(3, 25)
        if day >= a or not ledger.covered(day):
            continue
        clash = any(o is not t and o.amount == t.amount and abs(o.day - day) < 4 and o.payee == t.payee
                    for o in ledger.txns)
        if clash:
            continue
        t.day = day
        t.tag = "LOOKALIKE_LATE_PAID"
        acct.lookalikes.append(Plant("LOOKALIKE_LATE_PAID", inv.budget_id,
                                     f"invoice {inv.invoice_id} due {iso(inv.due)} paid late on {iso(day)}",
                                     day, {"invoice_id": inv.invoice_id}))
        return
