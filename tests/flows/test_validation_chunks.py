"""Validating a council-sized batch in slices gives exactly the answer of validating it whole."""

from __future__ import annotations

import polars as pl

from flows.inbox import scan
from flows.validation import validate_batch, whole_file_slices
from pipelines.readers.dispatch import read_file
from schemas import inputs
from tests.conftest import SAMPLE_INBOX


def test_slices_find_the_same_bad_rows_at_the_same_positions():
    f = next(f for f in scan(SAMPLE_INBOX) if f.relpath.endswith("cards-2025-04.csv"))
    parsed = read_file(f.kind, f.relpath, (SAMPLE_INBOX / f.relpath).read_bytes())
    [(name, good)] = [(n, t) for n, t in parsed.tables.items() if n == "statement_lines"]
    table = inputs.ALL_INPUTS[name]
    # four files with the same lines (a key is unique within its file, so slices never cut one)
    frame = pl.concat([good.with_columns(pl.lit(f"F{k}").alias("file_id")) for k in range(4)]).with_columns(
        [pl.col(c.name).cast(pl.String) for c in table.columns if c.name in good.columns])
    n = frame.height
    bad = [0, n // 2, n - 1]
    frame = frame.with_row_index("__i").with_columns(
        pl.when(pl.col("__i").is_in(bad)).then(pl.lit("not a date")).otherwise(pl.col("date")).alias("date"),
        pl.when(pl.col("__i") == n // 3).then(pl.lit("£12x")).otherwise(pl.col("amount")).alias("amount"),
    ).drop("__i")
    whole = validate_batch(table, frame, chunk_rows=n + 1)
    sliced = validate_batch(table, frame, chunk_rows=3)
    assert sliced == whole
    assert sorted(whole) == sorted([*bad, n // 3])


def test_slices_are_made_of_whole_files():
    frame = pl.DataFrame({"file_id": ["A"] * 5 + ["B"] * 2 + ["C"] * 4 + ["D"]})
    assert whole_file_slices(frame, 3) == [(0, 5), (5, 6), (11, 1)]
    assert whole_file_slices(frame, 100) == [(0, 12)]
    assert whole_file_slices(frame.drop("file_id"), 3) == [(0, 12)]
