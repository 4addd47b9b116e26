"""Planted problems and look-alikes for docs/rules.md §12 (all but one after the ledger has run).

* ``UNEXPECTED_INCOME``: the person's benefits or savings paid into the
  account; look-alike: an NHS integrated care board's agreed joint funding
  (the simulated policy lists it in ``expected_income_patterns``).
* ``RELATED_PAYEE``: transfers to someone sharing the holder's surname who is
  on no register; look-alike: the plan's own PA sharing it (``account.py``).
* ``EMPLOYER_DUTIES``: the family stops paying HMRC, NEST or both from some
  day; look-alikes: a PA on a few hours a week (nothing is due) and a payroll
  service paying HMRC once a quarter (``ledger.hmrc``).
* ``REVIEW_OVERDUE`` (before the ledger runs: it is the register's): a
  running budget's review not held; look-alike: a review planned next month.
* ``LOW_BALANCE``: a large bill paid before the council's one-off top-up
  arrives, overdrawing the account for a few days; look-alike: the same, but
  leaving a few pounds in the account.

Worked example (``LOW_BALANCE``): the account holds £412.60 at the end of
14 May; a £480.00 hoist is paid that day (−£67.40 overnight) and the
council's £480.00 top-up arrives on 19 May. Overdrawn 14–18 May, deepest
£67.40 plus whatever else went out those days.
"""

from __future__ import annotations

import bisect
import random
from datetime import date

from pipelines.simulate import names
from pipelines.simulate.common import add_months_ord, iso, pounds
from pipelines.simulate.records import Account, Plant

PAYERS = ("DWP PIP", "DWP ATTENDANCE ALLOWANCE", "FROM SAVINGS ACCOUNT", "PENSION CREDIT DWP", "GIFT FROM FRIEND")


def _pick(rng: random.Random, items: list):
    return items[rng.randrange(len(items))] if items else None


def _budget_at(acct: Account, day: int):
    best = None
    for b in acct.budgets:
        if b.start <= day <= b.end:
            best = b
    return best


def reviews(acct: Account, rng: random.Random, a: int) -> None:
    """REVIEW_OVERDUE: a running budget whose review never happened; and a review planned for next month."""
    running = [b for b in acct.budgets if b.start <= a <= b.end]
    b = _pick(rng, running)
    if b is None:
        return
    if "REVIEW_OVERDUE" in acct.wants and a - b.start > 40:
        if rng.random() < 0.4 and add_months_ord(b.start, 6) < a:
            b.review_date = None
            what = f"no review date recorded, first review due {iso(add_months_ord(b.start, 6))} not held"
        else:
            b.review_date = max(b.start + 30, a - rng.randint(7, 150))
            what = f"review planned for {iso(b.review_date)} not held"
        acct.plants.append(Plant("REVIEW_OVERDUE", b.budget_id, what, b.review_date or 0))
    elif "LOOKALIKE_REVIEW_NEXT_MONTH" in acct.wants:
        b.review_date = a + rng.randint(1, 30)
        acct.lookalikes.append(Plant("LOOKALIKE_REVIEW_NEXT_MONTH", b.budget_id,
                                     f"review planned for {iso(b.review_date)}, after the run date", b.review_date))


def money_in(acct: Account, world, rng: random.Random, ledger) -> None:
    a = world.as_of
    if "UNEXPECTED_INCOME" in acct.wants:
        b = _pick(rng, acct.budgets)
        s, e = b.start, min(b.end, a - 1)
        if e - s > 20:
            payer = _pick(rng, list(PAYERS))
            days = _one_or_two(ledger, rng, "UNEXPECTED_INCOME", (s + 3, e), (5000, 40001, 10), payer, "CREDIT",
                               "income")
            if days:
                acct.plants.append(Plant("UNEXPECTED_INCOME", b.budget_id,
                                         f"money paid in by {payer} ({', '.join(map(iso, days))})", min(days)))
    if "LOOKALIKE_JOINT_FUNDER" in acct.wants:
        b = _pick(rng, acct.budgets)
        s, e = b.start, min(b.end, a - 1)
        if e - s > 40:
            payer = f"NHS {names.TOWNS[acct.index % len(names.TOWNS)]} ICB"
            for k in range(rng.randint(1, 2)):
                t = ledger.add(s + 10 + 28 * k, rng.randrange(3000, 12001, 100), payer, "PHB JOINT FUNDING",
                               "CREDIT", kind="income")
                if t:
                    t.tag = "LOOKALIKE_JOINT_FUNDER"
            acct.lookalikes.append(Plant("LOOKALIKE_JOINT_FUNDER", b.budget_id,
                                         f"joint funding from {payer}, an agreed funder", s + 10))


def _one_or_two(ledger, rng: random.Random, code: str, between: tuple[int, int], pence: tuple[int, int, int],
                payee: str, trntype: str, kind: str, *, out: bool = False) -> list[int]:
    """One or two lines to or from ``payee`` on random days ``between`` and of random sizes
    (``pence``: a ``randrange``'s arguments; money out when ``out``), tagged ``code``; their days."""
    days = []
    for _ in range(rng.randint(1, 2)):
        t = ledger.add(rng.randint(*between), (-1 if out else 1) * rng.randrange(*pence), payee, "", trntype,
                       kind=kind)
        if t:
            t.tag = code
            days.append(t.day)
    return days


def related(acct: Account, rng: random.Random, ledger) -> None:
    if "RELATED_PAYEE" in acct.wants:
        b = _pick(rng, acct.budgets)
        s, e = b.start, min(b.end, ledger.world.as_of - 1)
        surname = b.holder_name.split()[-1].upper()
        taken = {pa.printed[0].split()[0] for pa in acct.pas if pa.printed[0].endswith(f" {surname}")}
        letter = _pick(rng, [c for c in "ABDEGJKLMPRST" if c not in taken])
        if e - s > 20:
            payee = f"FP {letter} {surname}"
            days = _one_or_two(ledger, rng, "RELATED_PAYEE", (s + 3, e), (3000, 15001, 500), payee, "PAYMENT",
                               "spend", out=True)
            if days:
                acct.plants.append(Plant("RELATED_PAYEE", b.budget_id,
                                         f"transfers to {payee}, who shares the holder's surname", min(days)))
    if "LOOKALIKE_RELATED_PA" in acct.wants and acct.pas:
        surname = acct.budgets[0].holder_name.split()[-1].upper()
        if acct.pas[0].printed[0].endswith(f" {surname}") and ledger.wages:
            for b in acct.budgets:
                acct.lookalikes.append(Plant("LOOKALIKE_RELATED_PA", b.budget_id,
                                             f"the plan's PA {acct.pas[0].name} shares the holder's surname"))


def duties(acct: Account, rng: random.Random, ledger) -> None:
    a = ledger.world.as_of
    pa_budgets = [b.budget_id for b in acct.budgets if any(ln.category == "personal_assistant" for ln in b.lines)]
    if "EMPLOYER_DUTIES" in acct.wants and ledger.duties:
        kinds = sorted({t.kind for _, t in ledger.duties})
        which = _pick(rng, kinds + (["both"] if len(kinds) == 2 else []))
        stop = set(kinds) if which == "both" else {which}
        # from the start of a tax quarter whose grace days are over by the run date,
        # every such payment stops: that quarter has none in its window
        quarters = sorted({q for q, t in ledger.duties if t.kind in stop and quarter_end(q) + 31 < a})
        q = _pick(rng, quarters[1:] or quarters)
        if q is not None:
            first = quarter_start(q)
            gone = [t for _, t in ledger.duties if t.kind in stop and t.day >= first]
            for t in gone:
                ledger.txns.remove(t)
            ledger.duties = [(k, t) for k, t in ledger.duties if t not in gone]
            what = {"hmrc": "HMRC (PAYE)", "pension": "the pension (NEST)", "both": "HMRC and the pension"}[which]
            b = _budget_at(acct, min(quarter_end(q), max(x.end for x in acct.budgets))) or acct.budgets[0]
            acct.plants.append(Plant("EMPLOYER_DUTIES", b.budget_id,
                                     f"the family stopped paying {what} for its PA from {iso(first)}", first))
    if "LOOKALIKE_PA_BELOW_THRESHOLD" in acct.wants and ledger.wages and not ledger.duties:
        for b in pa_budgets:
            acct.lookalikes.append(Plant("LOOKALIKE_PA_BELOW_THRESHOLD", b,
                                         "a PA paid below both thresholds: no HMRC or pension payment due"))
    if "LOOKALIKE_PAYROLL_SERVICE" in acct.wants and any(t.kind == "hmrc" for _, t in ledger.duties):
        for b in pa_budgets:
            acct.lookalikes.append(Plant("LOOKALIKE_PAYROLL_SERVICE", b,
                                         "HMRC paid once a quarter through a payroll service"))


def quarter_start(q: int) -> int:
    """The first day of tax quarter ``q`` (``ledger.tax_quarter``'s numbering)."""
    year, k = divmod(q, 4)
    month = 4 + 3 * k
    return date(year + (month - 1) // 12, (month - 1) % 12 + 1, 6).toordinal()


def quarter_end(q: int) -> int:
    return quarter_start(q + 1) - 1


def _balances(ledger) -> tuple[list[int], list[int]]:
    by_day: dict[int, int] = {}
    for t in ledger.txns:
        by_day[t.day] = by_day.get(t.day, 0) + t.amount
    days = sorted(by_day)
    running, total = [], 0
    for d in days:
        total += by_day[d]
        running.append(total)
    return days, running


def _balance(days: list[int], running: list[int], day: int) -> int:
    i = bisect.bisect_right(days, day)
    return running[i - 1] if i else 0


def _period_ends(b) -> set[int]:
    out, k = set(), 1
    while True:
        ps = add_months_ord(b.start, 3 * k)
        if ps > b.end:
            out.add(b.end)
            return out
        out.add(ps - 1)
        k += 1


def balances(acct: Account, world, rng: random.Random, ledger) -> None:
    """A big bill before the council's one-off top-up: overdrawn (LOW_BALANCE) or only nearly (look-alike)."""
    a = world.as_of
    for code in ("LOW_BALANCE", "LOOKALIKE_NEAR_LOW"):
        if code not in acct.wants:
            continue
        b = _pick(rng, acct.budgets)
        lo, hi = b.start + 14, min(b.end, a - 1) - 14
        if code == "LOOKALIKE_NEAR_LOW":
            lo = (b.start + b.end) // 2  # late in the term and small, so the bill does not overspend
        if hi <= lo:
            continue
        days, running = _balances(ledger)
        gap = rng.randint(3, 9)
        ends = _period_ends(b)
        # a day the account is already fairly low (£50 to £600 to spare until the top-up)
        # and no period end in the dip (it would be judged with what is owed)
        options = [x for x in range(lo, hi + 1) if not ends & set(range(x, x + gap))
                   and 5000 <= min(_balance(days, running, y) for y in range(x, x + gap)) <= 60000]
        if not options:
            continue
        d = _pick(rng, options)
        u = d + gap
        if code == "LOW_BALANCE":
            amount = _balance(days, running, d) + rng.randrange(2000, 20001, 10)
        else:
            amount = min(_balance(days, running, x) for x in range(d, u)) - rng.randrange(100, 1501)
        if amount < 5000 or (code == "LOOKALIKE_NEAR_LOW" and amount * 100 > b.agreed_amount * 5):
            continue
        if acct.channel == "prepaid":
            name, mcc = _pick(rng, list(names.MERCHANTS["equipment"]))
            t = ledger.add(d, -amount, f"{name} {names.TOWNS[0]}", "", "POS", mcc, kind="card")
        else:
            provider = _pick(rng, ledger.world.approved("equipment"))
            t = ledger.add(d, -amount, provider.printed[0], "ORDER", "PAYMENT", kind="transfer")
        top = ledger.add(u, amount, f"{names.COUNCIL} COUNCIL", f"DP ONE-OFF {b.budget_id}", "CREDIT", kind="council")
        if t is None or top is None:
            continue
        t.tag = top.tag = code
        if code == "LOW_BALANCE":
            acct.plants.append(Plant(code, b.budget_id, f"{pounds(amount)} bill on {iso(d)} before the council's "
                                     f"top-up on {iso(u)}: overdrawn", d))
        else:
            acct.lookalikes.append(Plant(code, b.budget_id, f"{pounds(amount)} bill on {iso(d)} leaves a few pounds "
                                         f"until the council's top-up on {iso(u)}", d))
