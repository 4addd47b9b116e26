"""File status and row counting, and which files are new (pure: pipelines/ingest.py)."""

from __future__ import annotations

import polars as pl

from pipelines.ingest import EMPTY_SHA256, file_status, has_content, plan_files

KNOWN = pl.DataFrame({"path": ["statements/a.csv", "statements/empty.csv"], "sha256": ["aa", EMPTY_SHA256],
                      "status": ["accepted", "quarantined"]})


def test_a_file_read_whole_is_accepted_without_a_reason():
    assert file_status(None, 12, 0) == ("accepted", None)


def test_rows_set_aside_are_counted_in_the_reason():
    assert file_status(None, 10, 2) == ("accepted", "2 row(s) set aside; see audit.quarantine")


def test_a_file_whose_every_row_was_set_aside_is_quarantined():
    status, reason = file_status(None, 0, 3)
    assert status == "quarantined" and "none of its 3 rows" in reason


def test_an_unreadable_file_keeps_the_readers_reason():
    assert file_status("not OFX", 0, 1) == ("quarantined", "not OFX")


def test_an_empty_file_is_not_a_file_with_no_rows():
    assert file_status(None, 0, 0) == ("accepted", None)


def test_new_files_duplicates_and_files_still_there():
    new, dups = plan_files([("statements/a.csv", "aa"), ("statements/b.csv", "aa"), ("statements/c.csv", "cc")], KNOWN)
    assert new == [("statements/c.csv", "cc")]
    assert dups == [("statements/b.csv", "aa", "statements/a.csv")]


def test_empty_files_and_things_never_opened_are_never_duplicates():
    seen = [("statements/empty.csv", EMPTY_SHA256), ("statements/empty2.csv", EMPTY_SHA256),
            ("statements/empty3.csv", EMPTY_SHA256), ("statements/f1", "(fifo)"), ("statements/f2", "(fifo)")]
    new, dups = plan_files(seen, KNOWN)
    assert dups == []
    assert [p for p, _ in new] == ["statements/empty2.csv", "statements/empty3.csv", "statements/f1", "statements/f2"]


def test_has_content():
    assert has_content("ab12") and not has_content(EMPTY_SHA256) and not has_content("(link out)")


def test_the_content_hash_is_the_same_for_the_same_values_and_differs_otherwise():
    from decimal import Decimal

    from pipelines.ingest import content_hash

    f = pl.DataFrame({"a": ["INV-7", "INV-7", "INV-7"], "b": [Decimal("110.00"), Decimal("110.00"), Decimal("120.00")]},
                     schema={"a": pl.String, "b": pl.Decimal(18, 2)})
    h = content_hash(f, ["a", "b"]).to_list()
    assert h[0] == h[1] != h[2] and len(h[0]) == 16
