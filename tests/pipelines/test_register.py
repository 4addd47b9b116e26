"""pipelines.register: register rows that cannot be right, and the last good version standing in."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from pipelines.register import (
    current_register,
    held_keys,
    merge_failures,
    register_failures,
    unreadable_rows,
)
from schemas import inputs

B = inputs.budgets
GOOD = dict(budget_id="B1", person_ref="P1", holder_name="A N Other", managed_by="self", cohort="adult",
            account_id="ACC1", start_date="2025-04-01", end_date="2026-03-31", estimated_amount=None,
            agreed_amount="5200.00", payment_frequency="monthly", payment_amount="433.33",
            weekly_contribution="0.00", review_date=None, status="active")


def text_batch(*rows, file_id="F2"):
    return pl.DataFrame([dict(r, file_id=file_id, source_path="register/budgets.csv", source_line=i + 2)
                         for i, r in enumerate(rows)],
                        schema={**{c.name: pl.String for c in B.columns}, "file_id": pl.String,
                                "source_path": pl.String, "source_line": pl.Int64})


def test_a_good_row_passes():
    assert register_failures(B, text_batch(GOOD, dict(GOOD, budget_id="B2"))) == {}


def test_duplicates_name_their_lines():
    got = register_failures(B, text_batch(GOOD, dict(GOOD, budget_id="B2"), dict(GOOD, agreed_amount="6000.00")))
    assert sorted(got) == [0, 2]
    assert got[0] == ["budget B1 is on more than one line of this file (lines 2 and 4); "
                      "neither is used until the register is put right"]


def test_end_before_start_but_not_a_one_day_term():
    got = register_failures(B, text_batch(dict(GOOD, end_date="2025-03-31"),
                                          dict(GOOD, budget_id="B2", end_date="2025-04-01")))
    assert got == {0: ["the term ends (2025-03-31) before it starts (2025-04-01)"]}


def test_amounts_zero_or_negative_but_a_zero_contribution_is_fine():
    got = register_failures(B, text_batch(dict(GOOD, agreed_amount="0.00"),
                                          dict(GOOD, budget_id="B2", weekly_contribution="-0.01"),
                                          dict(GOOD, budget_id="B3", weekly_contribution="0.00", agreed_amount="0.01")))
    assert got == {0: ["agreed amount must be more than £0.00 (found 0.00)"],
                   1: ["weekly contribution cannot be negative (found -0.01)"]}


def test_values_validation_refuses_are_left_to_it():
    # "12,00" is not a number validation accepts: it gives that reason, not this module
    assert register_failures(B, text_batch(dict(GOOD, agreed_amount="-12,00"), dict(GOOD, budget_id="B2",
                                                                                  end_date="soon"))) == {}


def test_the_generic_duplicate_reason_gives_way_to_the_one_naming_lines():
    validated = {0: ["budget id appears more than once in the file (found 'B1' in budget_id)", "cohort must be one of"]}
    merged = merge_failures(B, validated, {0: ["budget B1 is on more than one line of this file (lines 2 and 4); x"]})
    assert merged == {0: ["cohort must be one of", "budget B1 is on more than one line of this file (lines 2 and 4); x"]}


TYPED = {"budget_id": pl.String, "agreed_amount": pl.Decimal(18, 2), "file_id": pl.String, "source_line": pl.Int64}


def land(*rows):
    return pl.DataFrame(rows, schema=TYPED, orient="row")


ORDER = pl.DataFrame({"file_id": ["F1", "F2"], "seq": [1, 2]})


def test_the_last_good_version_stands_in_for_a_row_set_aside():
    rows = land(("B1", Decimal("15600.00"), "F1", 2), ("B2", Decimal("5200.00"), "F1", 3),
                ("B2", Decimal("5300.00"), "F2", 3), ("B9", Decimal("100.00"), "F1", 4))
    held = held_keys(B, text_batch(GOOD, dict(GOOD, budget_id="B2"), GOOD),
                     pl.DataFrame({"file_id": ["F2", "F2"], "line": [2, 4], "reason": ["dup", "dup"]}))
    assert held["key"].to_list() == ["B1", "B1"]
    out = current_register(B, rows, ORDER, held).sort("budget_id")
    assert out.select("budget_id", "agreed_amount", "file_id").rows() == [
        ("B1", Decimal("15600.00"), "F1"), ("B2", Decimal("5300.00"), "F2")]  # B9 left the register: gone


def test_no_earlier_version_means_not_in_the_books():
    rows = land(("B2", Decimal("5300.00"), "F2", 3))
    held = pl.DataFrame({"file_id": ["F2"], "register": ["budgets"], "key": ["B7"], "line": [5], "reason": ["x"]})
    assert current_register(B, rows, ORDER, held)["budget_id"].to_list() == ["B2"]


def test_a_wholly_quarantined_file_leaves_the_register_before_it():
    rows = land(("B1", Decimal("15600.00"), "F1", 2))
    order = pl.DataFrame({"file_id": ["F1"], "seq": [1]})  # F2 was quarantined whole: not an accepted file
    assert current_register(B, rows, order, held_keys(B, text_batch(), pl.DataFrame()))["budget_id"].to_list() == ["B1"]


@settings(max_examples=80, deadline=None)
@given(st.dates(date(1990, 1, 1), date(2099, 12, 31)), st.dates(date(1990, 1, 1), date(2099, 12, 31)))
def test_a_term_is_refused_exactly_when_it_ends_before_it_starts(start, end):
    got = register_failures(B, text_batch(dict(GOOD, start_date=start.isoformat(), end_date=end.isoformat())))
    assert bool(got) == (end < start)


def test_a_row_whose_id_cannot_be_read_keeps_everything_the_file_before_had():
    rows = land(("B1", Decimal("15600.00"), "F1", 2), ("B2", Decimal("5200.00"), "F1", 3),
                ("B1", Decimal("15600.00"), "F2", 2))
    held = unreadable_rows("budgets", "F2", [(3, "this row has 16 values but the header has 15"), (None, "x")])
    assert held.height == 1
    out = current_register(B, rows, ORDER, held).sort("budget_id")
    assert out.select("budget_id", "file_id").rows() == [("B1", "F2"), ("B2", "F1")]
