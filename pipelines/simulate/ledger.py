"""Money flows, day by day, on one direct-payment account.

What really moves on the account, whatever the statements later show:

* the council's payments (weekly, four-weekly or monthly, in advance);
* the person's weekly contribution by standing order;
* a PA's wages every week (hours vary with the timesheet) and HMRC PAYE
  once a quarter (on the 22nd after each tax quarter ending the 5th);
* agencies, day centres and short-break providers invoicing every four
  weeks in arrears, due 28 days later, paid within a fortnight of issue -
  sometimes two invoices in one payment, sometimes in two parts, now and
  then with a credit note for missed visits, usually quoting the invoice
  number and sometimes only the provider's name;
* clubs and community transport paid by transfer after each four weeks;
* card purchases at merchants with their MCC, and the odd cash withdrawal.

Worked example: an agency line of 7.5 hours a week at £25.00 from 15 April
accrues 7.5 × 28 / 7 = 30 hours by 12 May; the invoice of 12 May bills
30.0 hours = £750.00, due 9 June, paid about 20 May. Billing is cumulative
and rounded to the half hour, so a 92% delivery rate bills 27.5 hours for
the first four weeks and 55.0 (27.5 more) by 9 June.
"""

from __future__ import annotations

import random

from pipelines.simulate import names
from pipelines.simulate.common import (
    add_months_ord,
    gbp,
    iso,
    month_end,
    month_start,
    rhe,
    weekday,
)
from pipelines.simulate.payroll import Payroll
from pipelines.simulate.records import Account, Budget, Invoice, PlanLine, Provider, Txn
from pipelines.simulate.world import World, payment_schedule

MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")


class Ledger(Payroll):
    """Builds the account's transactions and invoices; ``problems`` edits them after
    (a PA's wages and the employer's duties on them: pipelines/simulate/payroll.py)."""

    def __init__(self, acct: Account, world: World, rng: random.Random) -> None:
        self.acct = acct
        self.world = world
        self.rng = rng
        self.txns: list[Txn] = []
        self.invoices: list[Invoice] = []
        self.wages: list[tuple[int, int]] = []
        self.duties: list[tuple[int, Txn]] = []  # (tax quarter, HMRC or pension payment)
        self.opening_credit: tuple[int, str, str] | None = None
        self.counters: dict[str, int] = {}
        self.terms = [(b.start, b.end) for b in acct.budgets]

    # -- helpers -----------------------------------------------------------
    def add(self, day: int, amount: int, payee: str, memo: str = "", trntype: str = "",
            mcc: str = "", kind: str = "", line_id: str = "",
            pays: tuple[tuple[str, int], ...] = ()) -> Txn | None:
        if day >= self.world.as_of or day < self.world.start:
            return None
        t = Txn(day, amount, payee, memo, trntype, mcc, kind, line_id, pays, seq=len(self.txns))
        self.txns.append(t)
        return t

    def covered(self, day: int) -> bool:
        return any(s <= day <= e for s, e in self.terms)

    @staticmethod
    def settle_day(wanted: int, earliest: int, budget: Budget) -> int:
        """Bills of a term are settled within it: one due after it is paid on its last day."""
        return max(earliest, min(wanted, budget.end))

    @staticmethod
    def paused(line: PlanLine, budget: Budget, day: int) -> bool:
        p = budget.pauses.get(line.line_id)
        return p is not None and p[0] <= day <= p[1]

    def printed(self, provider: Provider) -> str:
        return provider.printed[self.acct.style % len(provider.printed)]

    # -- the flows -----------------------------------------------------------
    def run(self, pa: Provider | None) -> None:
        for b in self.acct.budgets:
            self.council(b)
            if b.weekly_contribution:
                self.contributions(b)
            for line in b.lines:
                if line.channel == "wages" and pa is not None:
                    self.wage_run(b, line, pa)
                elif line.channel == "invoice":
                    self.invoiced(b, line, self.world.by_id[line.provider_id])
                elif line.channel == "transfer":
                    self.transfers(b, line, self.world.by_id[line.provider_id])
                elif line.channel == "card":
                    self.card(b, line)
                elif line.channel in ("oneoff_card", "oneoff_transfer"):
                    self.oneoff(b, line)
        if self.wages:
            self.hmrc()

    def council(self, b: Budget) -> None:
        c = names.COUNCIL
        style = self.acct.style
        if style == 0:
            payee, memo = f"{c} COUNCIL", f"DP PAYMENT REF {b.budget_id}"
        elif style == 1:
            payee, memo = f"{c} CC DIRECT PAYMENT", b.budget_id
        else:
            team = "CHILDRENS SERVICES" if b.cohort == "child" else "ASC"
            payee, memo = f"{c} COUNTY COUNCIL", f"{team} DP {b.budget_id}"
        extra = 0
        if b.uplift is not None:
            u_day, line_id, pct = b.uplift
            line = next(ln for ln in b.lines if ln.line_id == line_id)
            extra_week = rhe(line.weekly_units_x100 * line.unit_rate * pct, 100 * 100)
            extra = {"weekly": extra_week, "four_weekly": 4 * extra_week}.get(
                b.payment_frequency, rhe(extra_week * 52, 12)
            )
        pound_sign = self.acct.channel == "ofx1"  # this bank prints the amount, £ and all
        schedule = payment_schedule(b.start, b.end, b.payment_frequency)
        if b is self.acct.budgets[0]:
            self.opening_credit = (b.start, payee, f"{memo} FLOAT")
        for day in schedule:
            amount = b.payment_amount
            if b.uplift is not None and day >= b.uplift[0]:
                amount += extra
            self.add(day, amount, payee, f"{memo} {gbp(amount)}" if pound_sign else memo, "CREDIT",
                     kind="council")

    def contributions(self, b: Budget) -> None:
        who = b.contributor
        style = self.acct.style
        if style == 0:
            payee, memo = f"SO {who} CONTRIB", ""
        elif style == 1:
            payee, memo = who, f"DP CONTRIBUTION {b.budget_id}"
        else:
            payee, memo = f"{who} CONTRIB", ""
        wd = self.acct.index % 7
        day = b.start + (wd - weekday(b.start)) % 7
        stop = b.contribution_stops
        while day <= b.end:
            if stop is not None and day >= stop:
                break
            self.add(day, b.weekly_contribution, payee, memo, "CREDIT", kind="contribution")
            day += 7

    def float_if_short(self) -> None:
        """A council sizes a new account's first payment so its bills never wait:
        where the plan's timing (four-weekly payments against weekly wages, a
        month of five weeks, cash on top) would overdraw the account, it starts
        with a float of that much and a little more."""
        low, total = 0, 0
        for t in sorted(self.txns, key=lambda t: (t.day, t.amount < 0)):
            total += t.amount
            low = min(low, total)
        if low < 0 and self.opening_credit:
            day, payee, memo = self.opening_credit
            self.add(day, -low + self.rng.randrange(2000, 5001, 100), payee, memo, "CREDIT", kind="council")

    def _accrued(self, b: Budget, line: PlanLine, upto: int, step: int) -> int:
        """Units delivered from the term's start to ``upto``, rounded to the billing step."""
        active = upto - b.start + 1
        p = b.pauses.get(line.line_id)
        if p is not None:
            active -= max(0, min(p[1], upto) - max(p[0], b.start) + 1)
        up = b.uplift if b.uplift and b.uplift[1] == line.line_id else None
        extra = 0
        if up and upto >= up[0]:
            extra = (upto - max(up[0], b.start) + 1) * up[2]
            if p is not None:
                extra -= max(0, min(p[1], upto) - max(p[0], up[0]) + 1) * up[2]
        num = line.weekly_units_x100 * (active * 100 + extra) * line.spend_ratio
        return rhe(num, 7 * 100 * 100 * step) * step

    def invoiced(self, b: Budget, line: PlanLine, provider: Provider) -> None:
        rng = self.rng
        step = 50 if provider.unit == "hour" else 100
        last = min(b.end, self.world.as_of - 1)
        billed = 0
        docs: list[tuple[Invoice, int, int]] = []  # (invoice, net, day it is paid)
        seg_start = b.start
        while seg_start <= last:
            seg_end = min(seg_start + 27, b.end)
            nxt_start = seg_start + 28
            if seg_end > last:
                break  # the four weeks are not over on the run date: not invoiced yet
            target = self._accrued(b, line, seg_end, step)
            units = target - billed
            this_start, seg_start = seg_start, nxt_start
            if units <= 0:
                continue
            billed = target
            rate = line.unit_rate
            if b.rate_bump and b.rate_bump[0] == line.line_id and seg_end >= b.rate_bump[1]:
                rate += b.rate_bump[2]
            n = self.counters[provider.code] = self.counters.get(provider.code, 0) + 1
            inv = Invoice(
                invoice_id=f"{provider.code}-{self.acct.index + 1:05d}-{n:03d}",
                provider_id=provider.provider_id, budget_id=b.budget_id, issue=seg_end,
                due=seg_end + 28, period_start=this_start, period_end=seg_end,
                category=line.category, units_x100=units, unit_rate=rate,
                amount=rhe(units * rate, 100), item=_item(provider),
            )
            self.invoices.append(inv)
            net = inv.amount
            ready = inv.issue
            lag = rng.randrange(3, 13)
            if inv.issue + lag > b.end:
                docs.append((inv, net, self.settle_day(inv.issue + lag, inv.issue, b)))
                continue
            if rng.random() < 0.07 and units >= 8 * step:
                # a credit note for a few missed visits: never more than an eighth of the bill
                cn_units = max(step, units * rng.randint(4, 12) // 100 // step * step)
                cn = Invoice(
                    invoice_id=f"{inv.invoice_id}-CR", provider_id=inv.provider_id,
                    budget_id=b.budget_id, issue=inv.issue + rng.randint(1, 3), due=inv.issue + 28,
                    period_start=this_start, period_end=seg_end, category=line.category,
                    units_x100=cn_units, unit_rate=line.unit_rate,
                    amount=rhe(cn_units * line.unit_rate, 100), kind="credit_note",
                    corrects=inv.invoice_id, item=inv.item,
                )
                self.invoices.append(cn)
                net -= cn.amount
                ready = cn.issue
            docs.append((inv, net, ready + lag))
        self._pay(b, line, provider, docs)

    def _pay(self, b: Budget, line: PlanLine, provider: Provider,
             docs: list[tuple[Invoice, int, int]]) -> None:
        rng = self.rng
        payee = self.printed(provider)
        a = self.world.as_of
        j = 0
        while j < len(docs):
            inv, net, day = docs[j]
            if day >= a:
                break
            r = rng.random()
            nxt = docs[j + 1] if j + 1 < len(docs) else None
            # two invoices in one payment: only where that keeps the money in the same quarter
            if r < 0.08 and nxt is not None and nxt[2] < a and self.covered(nxt[2]) \
                    and _quarter(b, nxt[2]) == _quarter(b, day):
                ids = f"{inv.invoice_id} {nxt[0].invoice_id}"
                self.add(nxt[2], -(net + nxt[1]), payee, ids, "PAYMENT", kind="invoice_payment",
                         line_id=line.line_id, pays=((inv.invoice_id, net), (nxt[0].invoice_id, nxt[1])))
                j += 2
                continue
            second = day + rng.randrange(7, 13)
            if r < 0.13 and second <= min(inv.due, b.end) and second < a and net > 2000:
                part = rhe(net * rng.randint(50, 70), 100)
                self.add(day, -part, payee, inv.invoice_id, "PAYMENT", kind="invoice_payment",
                         line_id=line.line_id, pays=((inv.invoice_id, part),))
                self.add(second, -(net - part), payee, inv.invoice_id, "PAYMENT",
                         kind="invoice_payment", line_id=line.line_id,
                         pays=((inv.invoice_id, net - part),))
            else:
                memo = "" if r > 0.85 else inv.invoice_id
                self.add(day, -net, payee, memo, "PAYMENT", kind="invoice_payment",
                         line_id=line.line_id, pays=((inv.invoice_id, net),))
            j += 1

    def transfers(self, b: Budget, line: PlanLine, provider: Provider) -> None:
        """A club or transport scheme paid by transfer after each month, no invoice."""
        rng = self.rng
        last = min(b.end, self.world.as_of - 1)
        payee = self.printed(provider)
        billed = 0
        seg_start = b.start
        while seg_start <= last:
            seg_end = min(seg_start + 27, b.end)
            month = MONTHS[int(_month_of(seg_end)) - 1]
            seg_start += 28
            if seg_end > last:
                break
            target = self._accrued(b, line, seg_end, 100)
            units = target - billed
            if units <= 0:
                continue
            billed = target
            day = self.settle_day(seg_end + rng.randint(1, 4), seg_end, b)
            self.add(day, -rhe(units * line.unit_rate, 100), payee, f"SESSIONS TO {iso(seg_end)[8:]}{month}", "PAYMENT",
                     kind="transfer", line_id=line.line_id)

    def card(self, b: Budget, line: PlanLine) -> None:
        rng = self.rng
        per_week = max(1, line.weekly_units_x100 // 100)
        every_other = line.weekly_units_x100 < 100
        base = line.unit_rate * line.spend_ratio // 100
        lo, hi = base * 85 // 100, base * 115 // 100
        towns = names.TOWNS
        merchants = line.merchants
        end = min(b.end, self.world.as_of - 1)
        week_start = b.start
        k = 0
        offset = (line.weekday - weekday(b.start)) % 7
        while week_start <= end:
            if not (every_other and k % 2):
                for j in range(per_week):
                    day = week_start + (offset if j == 0 else rng.randrange(7))
                    if day > end or self.paused(line, b, day):
                        continue
                    name, mcc = merchants[0] if len(merchants) == 1 else rng.choice(merchants)
                    town = towns[(self.acct.index + len(name)) % len(towns)]
                    self.add(day, -rng.randint(lo, hi), f"{name} {town}", "", "POS", mcc,
                             kind="card", line_id=line.line_id)
            week_start += 7
            k += 1

    def oneoff(self, b: Budget, line: PlanLine) -> None:
        days = b.end - b.start + 1
        day = b.start + days * self.rng.randint(35, 60) // 100
        if line.channel == "oneoff_card":
            name, mcc = line.merchants[0]
            self.add(day, -line.planned_amount, f"{name} {names.TOWNS[0]}", "", "POS", mcc,
                     kind="card", line_id=line.line_id)
        else:
            provider = self.world.by_id[line.provider_id]
            self.add(day, -line.planned_amount, self.printed(provider), "ORDER", "PAYMENT",
                     kind="transfer", line_id=line.line_id)

    def cash_habit(self) -> None:
        """A little cash each month for things paid in cash (evidenced by receipts)."""
        rng = self.rng
        for b in self.acct.budgets:
            ms = month_start(b.start)
            while ms <= b.end:
                day = ms + rng.randrange(28)
                if b.start <= day <= b.end:
                    self.add_cash(day, rng.randrange(2000, 4001, 1000))
                ms = month_end(ms) + 1

    def add_cash(self, day: int, pence: int) -> Txn | None:
        text = names.ATM_TEXTS[(self.acct.index + day) % len(names.ATM_TEXTS)]
        mcc = "6011" if self.acct.channel == "prepaid" else ""
        return self.add(day, -pence, text, "", "ATM", mcc, kind="cash")


def _quarter(b: Budget, day: int) -> int:
    k = 0
    while add_months_ord(b.start, 3 * (k + 1)) <= day:
        k += 1
    return k


def _month_of(day: int) -> str:
    return iso(day)[5:7]


def _item(provider: Provider) -> str:
    return {
        "agency_care": "Home care visits",
        "day_activity": "Day centre sessions",
        "short_break": "Short break nights" if provider.unit == "night" else "Short break sessions",
    }.get(provider.category, "Support")
