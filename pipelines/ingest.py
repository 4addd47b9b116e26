"""From validated text rows to typed rows, with nothing lost on the way.

A batch is the text form of one table for every new file of that kind in a
run, with lineage columns ``file_id``, ``source_path`` and ``source_line``.
Validation (Great Expectations, in flows/) says which rows fail and why;
:func:`split_failures` moves those to quarantine. :func:`cast_batch` then
types what is left; a value that passed its pattern but still is not real
(``2026-02-30``) is quarantined too, so every input row ends up either typed
or quarantined: ``rows_in == rows_typed + rows_quarantined``.

Money is cast from text straight to ``Decimal(18, 2)``: ``"-1234.50"`` never
passes through a float.
"""

from __future__ import annotations

import polars as pl

from schemas.core import Kind, Table
from schemas.warehouse import quarantine as quarantine_table

LINEAGE = ("file_id", "source_path", "source_line")
# land.quarantine as a run builds it; the run adds its run_id when it writes
QUARANTINE_SCHEMA = {k: v for k, v in quarantine_table.polars_schema().items() if k != "run_id"}


def raw_text(frame: pl.DataFrame, table: Table) -> pl.Series:
    """A row as the officer would recognise it: its values, comma-separated."""
    cols = [pl.col(c.name).fill_null("") for c in table.columns if c.name in frame.columns]
    return frame.select(pl.concat_str(cols, separator=",").alias("raw")).to_series()


def split_failures(
    table: Table, batch: pl.DataFrame, failures: dict[int, list[str]]
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Return ``(passing rows, quarantine rows)``."""
    if not failures:
        return batch, pl.DataFrame(schema=QUARANTINE_SCHEMA)
    bad_idx = sorted(failures)
    mask = pl.Series("bad", [False] * batch.height)
    mask = mask.scatter(bad_idx, True)
    bad = batch.filter(mask)
    quarantine = pl.DataFrame(
        {
            "file_id": bad["file_id"],
            "path": bad["source_path"],
            "line": bad["source_line"],
            "reason": ["; ".join(dict.fromkeys(failures[i])) for i in bad_idx],
            "raw": raw_text(bad, table),
        },
        schema=QUARANTINE_SCHEMA,
    )
    return batch.filter(~mask), quarantine


def _cast_expr(name: str, kind: Kind) -> pl.Expr:
    col = pl.col(name)
    if kind is Kind.TEXT:
        return col
    if kind is Kind.MONEY or kind is Kind.QUANTITY:
        return col.cast(pl.Decimal(38, 4 if kind is Kind.QUANTITY else 2), strict=False).cast(
            pl.Decimal(18, 4 if kind is Kind.QUANTITY else 2), strict=False
        )
    if kind is Kind.DATE:
        return col.str.strptime(pl.Date, "%Y-%m-%d", strict=False)
    if kind is Kind.INT:
        return col.cast(pl.Int64, strict=False)
    if kind is Kind.BOOL:
        return col.str.to_lowercase().replace_strict(
            {"true": True, "yes": True, "y": True, "1": True, "false": False, "no": False, "n": False, "0": False},
            default=None,
            return_dtype=pl.Boolean,
        )
    if kind is Kind.TIMESTAMP:
        return col.str.to_datetime(strict=False)
    raise ValueError(kind)


def content_hash(frame: pl.DataFrame, cols: list[str]) -> pl.Series:
    """A short fingerprint of each row's values (as text): the same document sent
    again word for word has the same hash, so it is not a new version."""
    import hashlib

    joined = frame.select(pl.concat_str([pl.col(c).cast(pl.String).fill_null("") for c in cols], separator="\x1f"))
    return pl.Series(  # typed even when empty: a file whose every row was set aside must still join
        "content_hash", [hashlib.sha256(v.encode()).hexdigest()[:16] for v in joined.to_series()], dtype=pl.String
    )


def cast_batch(table: Table, batch: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Type the text rows. Returns ``(typed rows with lineage, quarantine rows)``."""
    batch = batch.with_columns([pl.col(c.name).cast(pl.String) for c in table.columns])
    lineage = [c for c in LINEAGE if c in batch.columns]
    extra = [c for c in batch.columns if c not in table.names and c not in lineage]
    typed = batch.with_columns(
        [_cast_expr(c.name, c.kind).alias(c.name) for c in table.columns]
    )
    # a value that was there as text but did not survive typing
    lost = [
        pl.col(c.name).is_null() & batch[c.name].is_not_null().alias(c.name)
        for c in table.columns
        if c.kind is not Kind.TEXT
    ]
    if lost:
        flags = typed.select([e.alias(f"__lost_{i}") for i, e in enumerate(lost)])
        bad_mask = flags.select(pl.any_horizontal(pl.all())).to_series()
    else:
        bad_mask = pl.Series([False] * batch.height)
    if bad_mask.any():
        names = [c.name for c in table.columns if c.kind is not Kind.TEXT]
        reasons = []
        for row in flags.filter(bad_mask).iter_rows():
            cols = [names[i] for i, v in enumerate(row) if v]
            reasons.append(
                "; ".join(f"{c.replace('_', ' ')} is not a real {table.column(c).kind.value}" for c in cols)
            )
        bad = batch.filter(bad_mask)
        quarantine = pl.DataFrame(
            {
                "file_id": bad["file_id"],
                "path": bad["source_path"],
                "line": bad["source_line"],
                "reason": reasons,
                "raw": raw_text(bad, table),
            },
            schema=QUARANTINE_SCHEMA,
        )
    else:
        quarantine = pl.DataFrame(schema=QUARANTINE_SCHEMA)
    good = typed.filter(~bad_mask).select(table.names + lineage + extra)
    return good.cast(table.polars_schema()), quarantine


# ---- what became of a file ----------------------------------------------------


def file_status(file_error: str | None, rows_loaded: int, rows_quarantined: int) -> tuple[str, str | None]:
    """A read file's line in the ingest log: ``(status, reason)``.

    A file that could not be read at all is quarantined with the reader's
    reason; one whose every row was set aside is quarantined too (it added
    nothing); otherwise it is accepted, saying how many rows were set aside.
    Example: 12 rows, 2 with a date such as 2026-02-30 → accepted, "2 row(s)
    set aside"; the 10 others are loaded.
    """
    if file_error:
        return "quarantined", file_error
    if rows_loaded == 0 and rows_quarantined > 0:
        return "quarantined", (f"none of its {rows_quarantined} rows could be used; "
                               "see audit.quarantine for each line")
    return "accepted", (f"{rows_quarantined} row(s) set aside; see audit.quarantine" if rows_quarantined else None)


# ---- which files are new ------------------------------------------------------

EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"  # of no bytes at all


def has_content(sha256: str) -> bool:
    """A hash of real content: not an empty file, not a marker for something never
    opened (``"(fifo)"``). Only such files can be duplicates of one another: two
    empty statements are two empty files, not one statement sent twice."""
    return sha256 != EMPTY_SHA256 and not sha256.startswith("(")


def file_id_for(relpath: str, sha256: str) -> str:
    """Stable id of one file seen: the same path with the same content."""
    import hashlib

    return "F" + hashlib.sha256(f"{relpath}\x00{sha256}".encode()).hexdigest()[:15]


def plan_files(
    seen: list[tuple[str, str]], known: pl.DataFrame
) -> tuple[list[tuple[str, str]], list[tuple[str, str, str]]]:
    """Split ``(relpath, sha256)`` pairs into new files and duplicates.

    ``known`` is the ingest log so far (columns path, sha256, status). A pair
    already logged is skipped silently (the file is simply still there); new
    content goes to be read; content already read under another path is a
    duplicate of that path. An empty file, or something that is not a file,
    is never a duplicate (:func:`has_content`). Returns ``(new, duplicates)``
    where a duplicate is ``(relpath, sha256, original path)``.
    """
    logged = set(zip(known["path"].to_list(), known["sha256"].to_list(), strict=True))
    first_path: dict[str, str] = {}
    for path, sha, status in zip(
        known["path"].to_list(), known["sha256"].to_list(), known["status"].to_list(), strict=True
    ):
        if status != "duplicate" and has_content(sha):
            first_path.setdefault(sha, path)
    new: list[tuple[str, str]] = []
    dups: list[tuple[str, str, str]] = []
    for path, sha in sorted(seen):
        if (path, sha) in logged:
            continue
        if sha in first_path:
            dups.append((path, sha, first_path[sha]))
            continue
        if has_content(sha):
            first_path[sha] = path
        new.append((path, sha))
    return new, dups
