"""GX quarantines a key repeated within one file, not the same key in two files."""

from __future__ import annotations

import polars as pl

from flows.validation import validate_batch
from schemas import inputs


def _plan_rows(*keys: tuple[str, str, str]) -> pl.DataFrame:
    return pl.DataFrame([dict(budget_id=b, line_id=line, need="x", outcome_domain="wellbeing", category="other",
                              provider_id=None, weekly_units="1", unit_rate="10.00", planned_amount="100.00",
                              file_id=f) for f, b, line in keys])


def test_a_plan_line_twice_in_one_file_is_set_aside_with_its_key_named():
    batch = _plan_rows(("F1", "B1", "L1"), ("F1", "B1", "L1"), ("F2", "B1", "L1"), ("F1", "B1", "L2"))
    failures = validate_batch(inputs.plan_lines, batch)
    assert sorted(failures) == [0, 1]
    assert failures[0] == ["the same budget id, line id appears more than once in the file"
                           " (budget_id 'B1', line_id 'L1')"]


def test_evidence_rows_without_a_reference_are_not_a_clash():
    row = dict.fromkeys(inputs.evidence_items.names) | dict(
        budget_id="B1", period="2026-04-01", evidence_type="explanation", note="n", file_present="false",
        file_id="F1")
    rows = [row, row]
    assert validate_batch(inputs.evidence_items, pl.DataFrame(rows)) == {}
