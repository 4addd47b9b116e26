"""Validate text-form batches with Great Expectations.

GX has no Polars engine, so the whole batch of one table (every new file of
that kind in this run, concatenated) is handed over in its pandas form: once,
or for a council-sized first load in slices of about ``CHUNK_ROWS`` rows made
of whole files (a key is unique within its file), so memory stays bounded (a
table with a uniqueness check across the batch is always validated whole).
The answer comes back as data: for each failing row, the reasons.
"""

from __future__ import annotations

import ctypes
import logging
from collections import defaultdict

import polars as pl

from schemas.core import FILE_ID, Table
from schemas.expectations import build_suite, gx_module, reason_key

_CONTEXT = None
CHUNK_ROWS = 50_000


def _context():
    global _CONTEXT
    if _CONTEXT is None:
        gx = gx_module()
        from great_expectations.data_context.types.base import ProgressBarsConfig

        # GX announces its temporary docs site at INFO; nothing in it is for a finance officer
        for name in [n for n in logging.root.manager.loggerDict if n.startswith("great_expectations")] + [
                "great_expectations"]:
            logging.getLogger(name).setLevel(logging.ERROR)
        ctx = gx.get_context(mode="ephemeral")
        ctx.variables.progress_bars = ProgressBarsConfig(globally=False)
        _CONTEXT = ctx
    return _CONTEXT


def validate_batch(table: Table, frame: pl.DataFrame, chunk_rows: int = CHUNK_ROWS) -> dict[int, list[str]]:
    """Map row position (0-based, in ``frame``) → reasons it failed.

    ``frame`` is the text form of ``table`` (all String columns) plus any
    extra lineage columns, which GX does not look at.
    """
    if any(c.unique for c in table.columns) or frame.height <= chunk_rows:
        return _validate(table, frame)
    failures: dict[int, list[str]] = {}
    for offset, length in whole_file_slices(frame, chunk_rows):
        for row, reasons in _validate(table, frame.slice(offset, length)).items():
            failures[offset + row] = reasons
        _give_back_memory()
    return failures


def whole_file_slices(frame: pl.DataFrame, chunk_rows: int) -> list[tuple[int, int]]:
    """``(offset, length)`` slices of about ``chunk_rows`` rows that never cut a file in two
    (a key is checked within its file); a frame without ``file_id`` is one file."""
    if FILE_ID not in frame.columns or frame.height == 0:
        return [(0, frame.height)]
    ids = frame[FILE_ID]
    starts = ids.ne_missing(ids.shift(1)).fill_null(True).arg_true().to_list()[1:] + [frame.height]
    out, begin = [], 0
    for start in starts:
        if start - begin >= chunk_rows or start == frame.height:
            out.append((begin, start - begin))
            begin = start
    return out


def _give_back_memory() -> None:
    """The pandas form is millions of small Python strings; once freed, hand the
    pages back to the system (glibc keeps them otherwise), so peak memory is one slice."""
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


def _validate(table: Table, frame: pl.DataFrame) -> dict[int, list[str]]:
    if frame.height == 0:
        return {}
    ctx = _context()
    suite, reasons = build_suite(table)
    name = f"batch_{table.name}"
    try:
        ds = ctx.data_sources.get(name)
    except Exception:  # noqa: BLE001 - GX raises its own lookup errors
        ds = ctx.data_sources.add_pandas(name)
    try:
        asset = ds.get_asset("rows")
    except LookupError:
        asset = ds.add_dataframe_asset("rows")
    try:
        definition = asset.get_batch_definition("whole")
    except KeyError:
        definition = asset.add_batch_definition_whole_dataframe("whole")
    if FILE_ID not in frame.columns:  # one file: a key is unique within its file (schemas.core)
        frame = frame.with_columns(pl.lit("").alias(FILE_ID))
    columns = [c.name for c in table.columns] + [FILE_ID]
    pdf = frame.select(columns).to_pandas(use_pyarrow_extension_array=False)
    pdf = pdf.astype(object).where(pdf.notna(), None)
    batch = definition.get_batch(batch_parameters={"dataframe": pdf})
    result = batch.validate(
        suite, result_format={"result_format": "COMPLETE", "partial_unexpected_count": 0}
    )
    failures: dict[int, list[str]] = defaultdict(list)
    for res in result.results:
        if res.success:
            continue
        cfg = res.expectation_config
        reason = reasons.get(reason_key(cfg.type, cfg.kwargs), cfg.type)
        column = cfg.kwargs.get("column")
        values = res.result.get("unexpected_list") or []
        for i, idx in enumerate(res.result.get("unexpected_index_list") or []):
            shown = values[i] if i < len(values) else None
            if isinstance(shown, dict):  # a key across columns: name each part, not the file
                parts = ", ".join(f"{k} {v!r}" for k, v in shown.items() if k != FILE_ID)
                text = f"{reason} ({parts})"
            else:
                text = reason if shown is None else f"{reason} (found {shown!r} in {column})"
            failures[int(idx)].append(text)
    return dict(failures)
