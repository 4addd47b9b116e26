"""The readers' short cuts for cells already in the contract's spelling (``231.02``,
``2025-10-02``, an amount with no currency sign) answer exactly what the long way
answers, for any text: they only skip work, never change a value."""

from __future__ import annotations

from decimal import InvalidOperation

from hypothesis import example, given
from hypothesis import strategies as st

from pipelines.readers.contract_csv import cell_reader, csv_records, normalise_value
from pipelines.readers.currency import _named_currency, currency_in_cell
from pipelines.readers.statement_csv import read_statement_csv
from pipelines.text import (
    CANONICAL_MONEY,
    ISO_DAY_SHAPE,
    _spelled_money,
    clean_cell,
    normalise_date,
    normalise_money,
)
from schemas.core import Kind

# texts near the short cuts' edges: signs, spaces, leading zeros, too many digits, odd days
moneyish = st.from_regex(r"\A[-+ (]?[0-9]{0,20}(\.[0-9]{0,3})?[ )-]?\Z", fullmatch=True)
dayish = st.from_regex(r"\A[ ]?[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}[ T]?\Z", fullmatch=True)
bankish = st.text(alphabet="0123456789.,-+()£$€ CRDGBPEURusdxyzł\u00a0\t", max_size=24)
anything = st.text(max_size=40)
cells = st.one_of(moneyish, dayish, bankish, anything)


def slow_money(text: str | None) -> str | None | type:
    try:
        return _spelled_money(text)
    except InvalidOperation:
        return InvalidOperation


def quick_money(text: str | None) -> str | None | type:
    try:
        return normalise_money(text)
    except InvalidOperation:
        return InvalidOperation


def slow_value(kind: Kind, value: str) -> str | None:
    """normalise_value as it was written before the short cuts."""
    v = clean_cell(value)
    if v is None:
        return None
    if kind is Kind.MONEY:
        try:
            return _spelled_money(v) or v
        except InvalidOperation:
            return v
    if kind is Kind.DATE:
        return normalise_date(v) or v
    if kind is Kind.BOOL:
        return v.lower()
    return v


@given(cells)
@example("-0.00")
@example("0.00")
@example("007.50")
@example("9999999999999999.99")
@example("1" * 27 + ".00")
@example("231.02\n")
def test_money_short_cut_answers_as_the_long_way(text):
    assert quick_money(text) == slow_money(text)
    if CANONICAL_MONEY(text):
        assert slow_money(text) == text


@given(cells)
@example("2025-02-30")
@example("0000-01-01")
@example("2025-10-02")
@example("9999-12-31")
@example("2025-13-01")
def test_cell_readers_answer_as_normalise_value_did(text):
    for kind in Kind:
        assert cell_reader(kind)(text) == slow_value(kind, text) == normalise_value(kind, text)
    if ISO_DAY_SHAPE(text):
        assert slow_value(Kind.DATE, text) == text


@given(cells)
@example("12.00 EUR")
@example("$12.00")
@example("(1,234.50)")
@example("-12.00-")
def test_currency_short_cut_answers_as_the_long_way(text):
    assert currency_in_cell(text) == (_named_currency(text) if text else None)


@given(st.lists(st.lists(st.sampled_from(["", " ", "\t", "a", " x ", "\u00a0", "\u2003"]), max_size=4), max_size=6))
def test_blank_rows_are_the_rows_whose_cells_are_all_blank(rows):
    text = "\n".join(",".join(r) for r in rows)
    kept = {line for line, _ in csv_records(text)}
    for line, cells in enumerate(text.split("\n"), start=1):
        if cells.split(","):
            assert (line in kept) == any(c.strip() for c in cells.split(",")), (line, cells)


def test_generic_statement_reads_canonical_and_bank_spellings_alike():
    header = "account_id,date,description,amount,balance,transaction_id,mcc\n"
    canonical = header + "A1,2025-10-02,SHOP,-14.70,456.06,,\nA1,2025-10-03,PAY,231.02,687.08,,\n"
    spelled = header + "A1,02/10/2025,SHOP,-£14.70,£456.06,,\nA1,3 Oct 2025,PAY,£231.02,687.080,,\n"
    a = read_statement_csv(canonical.encode(), "a.csv")
    b = read_statement_csv(spelled.encode(), "b.csv")
    assert a.tables["statement_lines"].equals(b.tables["statement_lines"])
    assert a.tables["statement_balances"].equals(b.tables["statement_balances"])
    assert a.tables["statement_lines"]["amount"].to_list() == ["-14.70", "231.02"]
