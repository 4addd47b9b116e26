"""Small exact helpers the simulator shares: pence, day numbers, calendar steps.

Inside the simulator money is whole pence in an ``int`` (exact and fast: a
5,000-account year is over a million transactions) and a date is its
proleptic ordinal (``date.toordinal()``). Both turn into the contract's text
only when a file is rendered: ``pounds(-123450)`` is ``"-1234.50"``,
``iso(739343)`` is ``"2025-04-01"``.

A division that produces money rounds to the penny, half to even, as
docs/rules.md asks: ``rhe(2500 * 3, 7)`` (£25 a week for three days) is
1071p, because 7500 / 7 = 1071.43.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

from dateutil.relativedelta import SU, relativedelta

from schemas import money

_ISO: dict[int, str] = {}


def rhe(num: int, den: int) -> int:
    """``num / den`` rounded to a whole number, half to even (``den > 0``)."""
    q, r = divmod(num, den)
    twice = 2 * r
    if twice > den or (twice == den and q & 1):
        return q + 1
    return q


def pounds(pence: int) -> str:
    sign = "-" if pence < 0 else ""
    p = -pence if pence < 0 else pence
    return f"{sign}{p // 100}.{p % 100:02d}"


def gbp(pence: int) -> str:
    """As UK banks print it: ``£1,234.50``, ``-£12.00``."""
    return money.gbp(Decimal(pence).scaleb(-2))


def iso(day: int) -> str:
    s = _ISO.get(day)
    if s is None:
        s = date.fromordinal(day).isoformat()
        _ISO[day] = s
    return s


def ymd(day: int) -> str:
    return iso(day).replace("-", "")


def d(day: int) -> date:
    return date.fromordinal(day)


def ordinal(value: date) -> int:
    return value.toordinal()


def add_months(value: date, months: int) -> date:
    """Calendar months; a 31st clamps to the month's last day (31 Jan + 1 → 28 Feb)."""
    return value + relativedelta(months=months)


def add_months_ord(day: int, months: int) -> int:
    return add_months(date.fromordinal(day), months).toordinal()


def month_start(day: int) -> int:
    x = date.fromordinal(day)
    return date(x.year, x.month, 1).toordinal()


def month_end(day: int) -> int:
    return (date.fromordinal(month_start(day)) + relativedelta(months=1, days=-1)).toordinal()


def month_key(day: int) -> str:
    return iso(day)[:7]


def months_between(first: int, last: int) -> list[int]:
    """Month starts of every calendar month touching ``first``..``last``."""
    out = []
    m = month_start(first)
    while m <= last:
        out.append(m)
        m = month_end(m) + 1
    return out


def weekday(day: int) -> int:
    """Monday 0 .. Sunday 6."""
    return (day - 1) % 7


def money_weeks(units_x100: int, rate: int, days: int) -> int:
    """Cost of ``units/100`` a week at ``rate`` pence over ``days`` days, to the penny."""
    return rhe(units_x100 * rate * days, 700)


def units_text(units_x100: int) -> str:
    """``1250`` → ``"12.5"``, ``100`` → ``"1"``, ``25`` → ``"0.25"``."""
    whole, frac = divmod(units_x100, 100)
    if frac == 0:
        return str(whole)
    return f"{whole}.{frac:02d}".rstrip("0")


_NEEDS_QUOTES = re.compile(r'[,"\n\r]')
_QUOTE_OR_BREAK = re.compile(r'["\n\r]')


def csv_line(values: list[str]) -> str:
    """One CSV record, quoting only where the value needs it."""
    line = ",".join(values)
    if line.count(",") == len(values) - 1 and not _QUOTE_OR_BREAK.search(line):
        return line + "\n"  # the common case: nothing to quote
    out = []
    for v in values:
        if _NEEDS_QUOTES.search(v):
            v = '"' + v.replace('"', '""') + '"'
        out.append(v)
    return ",".join(out) + "\n"


def last_sunday(year: int, month: int) -> int:
    return (date(year, month, 1) + relativedelta(day=31, weekday=SU(-1))).toordinal()


def is_bst_midnight(day: int) -> bool:
    """Is 00:00 local time on ``day`` in British Summer Time?

    The clocks go forward at 01:00 GMT on the last Sunday of March and back
    at 01:00 GMT on the last Sunday of October, so midnight of the March
    Sunday is still GMT and midnight of the October Sunday is still BST.
    """
    y = date.fromordinal(day).year
    return last_sunday(y, 3) < day <= last_sunday(y, 10)


def is_bst_evening(day: int) -> bool:
    """Is 23:59 local time on ``day`` in British Summer Time?"""
    y = date.fromordinal(day).year
    return last_sunday(y, 3) <= day < last_sunday(y, 10)
