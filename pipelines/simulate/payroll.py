"""A PA's weekly wages and the employer's duties on them (PAYE to HMRC, pension to
NEST), as the family's payroll works them out: part of the account's
:class:`~pipelines.simulate.ledger.Ledger`.

Worked example: a PA paid £230.00 a week for a whole tax quarter (6 April to
5 July) averages above £200 a week, so the family pays HMRC about 22 August;
being above £160 it also pays NEST 3% of each month's wages about the 10th of
the next month, so HMRC gets the plan's 8% employer costs less that 3%:
5% of £2,990.00 = £149.50.
"""

from __future__ import annotations

import random
from datetime import date

from pipelines.simulate.common import d, month_end, month_start, rhe, weekday
from pipelines.simulate.records import Account, Budget, PlanLine, Provider, Txn


class Payroll:
    """The wages and duties half of the ledger; ``add``, ``covered`` and ``paused``, and
    the rest of the account's money flows, are the ledger's."""

    acct: Account
    rng: random.Random
    terms: list[tuple[int, int]]
    wages: list[tuple[int, int]]
    duties: list[tuple[int, Txn]]

    def wage_run(self, b: Budget, line: PlanLine, pa: Provider) -> None:
        rng = self.rng
        first = b.start if any(e == b.start - 1 for _, e in self.terms) else b.start + 1
        day = first + (line.weekday - weekday(first)) % 7
        fixed = self.acct.index % 5 < 2  # some PAs work the same hours every week
        style = self.acct.style
        up = b.uplift if b.uplift and b.uplift[1] == line.line_id else None
        week = 0
        while day <= b.end:
            week += 1
            if not self.paused(line, b, day):
                hours = line.weekly_units_x100
                if not fixed:
                    hours += rng.choice((-100, -50, -50, 0, 0, 0, 0, 50))
                if up and day >= up[0]:
                    hours = hours * (100 + up[2]) // 100 // 50 * 50
                amount = rhe(max(hours, 50) * line.unit_rate, 100)
                if style == 0:
                    payee, memo = f"{pa.printed[0]} WAGES", ""
                elif style == 1:
                    payee, memo = f"FP {pa.printed[1]}", "WAGES"
                else:
                    payee, memo = pa.printed[0], f"PA WAGES WK{week:02d}"
                t = self.add(day, -amount, payee, memo, "PAYMENT", kind="wages", line_id=line.line_id)
                if t is not None:
                    self.wages.append((day, amount))
            day += 7

    def hmrc(self) -> None:
        """PAYE and pension on the PA's wages, as the family's payroll works them out.

        Per tax quarter (6 Apr - 5 Jul, ...) the payroll averages the wages over
        13 weeks (a part quarter over its weekly wages, at least 4). Above £200 a
        week the family pays HMRC after the quarter (on the 22nd of the month after
        it ends; through a payroll service for some); above £160 it pays NEST each
        month, on about the 10th, for the month before. Below both it pays neither:
        a PA on a few hours a week owes no PAYE.
        """
        by_quarter: dict[int, list[tuple[int, int]]] = {}
        for day, amount in self.wages:
            by_quarter.setdefault(tax_quarter(day), []).append((day, amount))
        ref = f"475PA{self.acct.index:08d}"
        bureau = "LOOKALIKE_PAYROLL_SERVICE" in self.acct.wants
        for q, rows in sorted(by_quarter.items()):
            total = sum(a for _, a in rows)
            weeks = 13 if len(rows) >= 12 else max(4, len(rows))
            last_wage = max(day for day, _ in rows)
            pension = total > 16000 * weeks
            if total > 20000 * weeks:
                months = q * 3 + 4 + 3  # the month after the quarter ends
                year, month = divmod(months - 1, 12)
                pay = self._duty_day(date(year, month + 1, 22).toordinal() - self.rng.randrange(4), last_wage)
                if pay is not None:
                    payee, memo = ("MOORSIDE PAYROLL LTD", f"HMRC PAYE {ref}") if bureau else ("HMRC PAYE", ref)
                    # the plan's employer costs are 8% of wages: tax and NI, less the pension's 3%
                    t = self.add(pay, -rhe(total * (5 if pension else 8), 100), payee, memo, "PAYMENT", kind="hmrc")
                    if t is not None:
                        self.duties.append((q, t))
            if pension:
                by_month: dict[int, int] = {}
                for day, amount in rows:
                    by_month[month_start(day)] = by_month.get(month_start(day), 0) + amount
                for ms, wages in sorted(by_month.items()):
                    pay = self._duty_day(month_end(ms) + 10 - self.rng.randrange(3), ms)
                    if pay is not None:
                        t = self.add(pay, -rhe(wages * 3, 100), "NEST PENSIONS", f"EMPLOYER {ref}", "PAYMENT",
                                     kind="pension")
                        if t is not None:
                            self.duties.append((q, t))

    def _duty_day(self, wanted: int, after: int) -> int | None:
        """A payment after a term has ended is made on its last day instead."""
        if self.covered(wanted):
            return wanted
        ends = [e for _, e in self.terms if after <= e < wanted]
        return min(ends) if ends else None


def tax_quarter(day: int) -> int:
    """A running number for the tax quarter holding ``day`` (6 Apr - 5 Jul is one)."""
    x = d(day)
    return (x.year * 12 + x.month - 4 - (1 if x.day <= 5 else 0)) // 3
