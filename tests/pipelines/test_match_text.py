"""Which invoices a payment's payee and memo name (pipelines.match_text.find_references).

Runs of one, two and three tokens are looked for one length at a time (issue 20:
all of them at once held hundreds of MiB); the answer must not depend on that.
"""

from __future__ import annotations

import polars as pl
from polars.testing import assert_frame_equal

from pipelines.match_text import REF_SCHEMA, find_references


def pays(*rows: tuple[int, str, str | None, str | None]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema={"p": pl.UInt32, "budget_id": pl.String, "payee": pl.String,
                                      "memo": pl.String}, orient="row")


def docs(*rows: tuple[int | None, str, str]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema={"i": pl.UInt32, "invoice_id": pl.String, "budget_id": pl.String},
                        orient="row")


def refs(*rows: tuple[int, int, bool]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=REF_SCHEMA, orient="row")


def test_ids_split_into_runs_of_different_lengths_are_all_found() -> None:
    found = find_references(
        pays((0, "B1", "ACME CARE", "INV 2025 0042"),   # three tokens: INV20250042
             (1, "B1", "ACME CARE INV-20250043", None),  # one token, within a longer payee
             (2, "B1", "HOME HELP", "REF 20250044 THANKS"),  # two tokens
             (3, "B2", "ACME CARE", "INV 2025 0042")),  # another budget's invoice: not named
        docs((0, "INV-2025-0042", "B1"), (1, "INV-20250043", "B1"), (2, "REF20250044", "B1"),
             (None, "CN-0001", "B1")),
    )
    assert_frame_equal(found, refs((0, 0, False), (1, 1, False), (2, 2, False)))


def test_named_in_full_anywhere_beats_cut_short_elsewhere() -> None:
    two_docs = docs((0, "INV-20250042", "B1"), (1, "XYZ-998877", "B1"))
    # cut short at the end of the memo only: a truncated reference
    assert_frame_equal(find_references(pays((0, "B1", "ACME", "PAYMENT INV2025")), two_docs),
                       refs((0, 0, True)))
    # cut short in the memo (a one-token run) but in full in the payee (a two-token run)
    assert_frame_equal(find_references(pays((0, "B1", "INV 20250042 ACME", "PAYMENT INV2025")), two_docs),
                       refs((0, 0, False)))
