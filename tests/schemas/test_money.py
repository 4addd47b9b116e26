"""The one money module: the penny, rounding half to even, and £ as people read it."""

from __future__ import annotations

from decimal import Decimal

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from schemas.money import MONEY_DTYPE, ZERO, from_pence, gbp, money, pence_expr


def test_gbp_writes_pounds_with_the_sign_before_the_pound():
    assert gbp(Decimal("1234.5")) == "£1,234.50"
    assert gbp(Decimal("-12")) == "-£12.00"
    assert gbp(Decimal("0.00")) == "£0.00"
    assert gbp(None) == "£0.00" and gbp(None, none="") == ""
    assert gbp("1000000.01") == "£1,000,000.01"


def test_money_rounds_half_to_even_to_the_penny():
    assert money(Decimal("230.765")) == Decimal("230.76")
    assert money(Decimal("230.775")) == Decimal("230.78")
    assert money(Decimal(1000) * 12 / 52) == Decimal("230.77")
    assert money(ZERO) == ZERO


@settings(deadline=None)
@given(st.lists(st.integers(-10**12, 10**12), max_size=20))
def test_pence_round_trip_exactly(pence):
    frame = pl.DataFrame({"p": pence}, schema={"p": pl.Int64})
    back = frame.select(from_pence(pl.col("p")).alias("amount"))
    assert back.schema["amount"] == MONEY_DTYPE
    assert back.select(pence_expr("amount"))["amount"].to_list() == pence
    assert [gbp(a).replace("£", "").replace(",", "") for a in back["amount"]] == [
        f"{Decimal(p).scaleb(-2):.2f}" for p in pence]
