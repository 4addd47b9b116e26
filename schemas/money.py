"""Money, in one place: the types, the penny, rounding and how a sum is written.

Money is ``Decimal`` in Python, ``pl.Decimal(18, 2)`` in Polars and
``DECIMAL(18,2)`` in DuckDB, never a float. Sums that divide (pro-rata
budgets, weekly equivalents) are rounded to the penny half to even, as the
council's ledger does: £1,200.00 every four weeks is 1,200.00 / 4 = £300.00 a
week; £1,000.00 a month is 1,000.00 × 12 / 52 = 230.769… → £230.77 a week.
Written for people: ``£1,234.50``, ``-£12.00`` (the sign before the pound).
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal

import polars as pl

MONEY_DTYPE = pl.Decimal(18, 2)
QUANTITY_DTYPE = pl.Decimal(18, 4)  # units, hours, weeks: exact, four decimals
PENNY = Decimal("0.01")
ZERO = Decimal("0.00")


def money(amount: Decimal) -> Decimal:
    """Round to the penny, half to even: ``money(Decimal("230.765"))`` → ``Decimal("230.76")``."""
    return amount.quantize(PENNY, rounding=ROUND_HALF_EVEN)


def gbp(amount: object, *, none: str = "£0.00") -> str:
    """``Decimal("1234.5")`` → ``"£1,234.50"``; ``-12`` → ``"-£12.00"``; ``None`` → ``none``."""
    if amount is None:
        return none
    d = amount if isinstance(amount, Decimal) else Decimal(str(amount))
    return f"-£{abs(d):,.2f}" if d < 0 else f"£{d:,.2f}"


def pence_expr(column: str) -> pl.Expr:
    """A money column as whole pence (Int64), for exact arithmetic in bulk."""
    return pl.col(column).cast(MONEY_DTYPE).to_physical().cast(pl.Int64)


def from_pence(pence: pl.Expr) -> pl.Expr:
    """Whole pence back to money: 41068 → 410.68."""
    return (pence.cast(pl.Decimal(18, 0)) * pl.lit(PENNY)).cast(MONEY_DTYPE)
