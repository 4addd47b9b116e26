"""The contract's own CSV layouts (register files, generic statements,
invoices, evidence manifests) read into the text form of a schema table.

Accepts more than the contract says: a BOM, Windows-1252 bytes, header names
in any case or with spaces, extra columns (ignored), CRLF. Refuses, by
quarantining the whole file, only what cannot be read at all: no header, or
a required column missing. A row with the wrong number of fields is
quarantined on its own with its line number; the rest of the file loads.
Light normalisation (``£1,234.50`` → ``1234.50``, ``13/06/2025`` →
``2025-06-13``) happens here; anything still malformed is left as written
for validation to quarantine with the value in view.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from decimal import InvalidOperation
from functools import lru_cache

import polars as pl

from pipelines.model import Parsed, Quarantined
from pipelines.readers.currency import cell_not_pounds, not_pounds
from pipelines.text import (
    CANONICAL_MONEY,
    ISO_DAY_SHAPE,
    clean_cell,
    decode_text,
    normalise_date,
    normalise_money,
)
from schemas.core import Kind, Table

_HEADER_CLEAN = re.compile(r"[^a-z0-9]+")


class Unreadable(list):
    """csv_records' stand-in for a record csv cannot read: one item, the reason.

    A type of its own, not a marker value: a file may hold any text, and one
    holding the marker would have passed for an error (atheris found that)."""


def header_key(name: str) -> str:
    """``" Paid out (£)"`` -> ``paid_out``: a heading as the layouts name it."""
    return _header_key(name) if type(name) is str and len(name) <= 64 else _header_key.__wrapped__(name)


@lru_cache(maxsize=4096)
def _header_key(name: str) -> str:
    # remembered: each statement is matched against every bank layout's headings
    return _HEADER_CLEAN.sub("_", name.strip().lower()).strip("_")


def money_text(value: str | None) -> str | None:
    """:func:`pipelines.text.normalise_money`, except that a number of more than
    28 digits (too long for Decimal to round to pence) is unreadable, not a crash."""
    try:
        return normalise_money(value)
    except InvalidOperation:
        return None


def normalise_value(kind: Kind, value: str | None) -> str | None:
    v = clean_cell(value)
    if v is None:
        return None
    if kind is Kind.MONEY:
        return money_text(v) or v
    if kind is Kind.DATE:
        return v if ISO_DAY_SHAPE(v) else normalise_date(v) or v
    if kind is Kind.BOOL:
        return v.lower()
    return v


def _money_cell(cell: str) -> str | None:
    return cell if CANONICAL_MONEY(cell) else normalise_value(Kind.MONEY, cell)


def _date_cell(cell: str) -> str | None:
    return cell if ISO_DAY_SHAPE(cell) else normalise_value(Kind.DATE, cell)


def _bool_cell(cell: str) -> str | None:
    return normalise_value(Kind.BOOL, cell)


def _text_cell(cell: str) -> str | None:
    return cell.strip() or None


def cell_reader(kind: Kind) -> Callable[[str], str | None]:
    """:func:`normalise_value` for ``kind``, for a cell csv read (always a string), with
    the cells already in the contract's spelling (``231.02``, ``2025-10-02``) passed
    straight through: a prepaid card's month is 40,000 lines of them."""
    return {Kind.MONEY: _money_cell, Kind.DATE: _date_cell, Kind.BOOL: _bool_cell}.get(kind, _text_cell)


def csv_records(text: str) -> list[tuple[int, list[str]]]:
    """Rows with their 1-based physical line numbers; blank lines skipped.

    csv.reader tracks line_num across quoted newlines, so the number given is
    the line on which the record starts. A record csv cannot read ends the
    list as ``(line, Unreadable([reason]))``: nothing after it can be trusted.
    """
    out: list[tuple[int, list[str]]] = []
    reader = csv.reader(io.StringIO(text, newline=""))
    start = 1
    try:
        for row in reader:
            if "".join(row).strip():  # some cell is not blank
                out.append((start, row))
            start = reader.line_num + 1
    except csv.Error as e:
        out.append((start, Unreadable([_csv_problem(e)])))
    return out


def _csv_problem(e: csv.Error) -> str:
    if "field limit" in str(e):
        return (
            f"a value on this line is longer than {csv.field_size_limit():,} characters, far longer "
            "than any bank or provider writes: the file looks damaged and the rest of it cannot be read"
        )
    return f"this line cannot be read as CSV ({e}), so the rest of the file cannot be read"


def trim_trailing(cells: list[str], width: int) -> list[str]:
    """Drop empty cells beyond ``width`` at the end of a row ("a,b," exports).

    One slice: trimming a cell at a time copied the row each time, and a row
    of 150,000 commas took half a minute."""
    end = len(cells)
    while end > width and not cells[end - 1].strip():
        end -= 1
    return cells if end == len(cells) else cells[:end]


def rows_to_frame(table: Table, rows: list[dict[str, str | None]]) -> pl.DataFrame:
    schema = table.text_schema()
    if not rows:
        return pl.DataFrame(schema=schema)
    return pl.DataFrame(rows, schema=schema, orient="row")


def read_contract_csv(
    data: bytes,
    path: str,
    table: Table,
    *,
    format: str,
    defaults: dict[str, str] | None = None,
    aliases: dict[str, str] | None = None,
) -> Parsed:
    """Read one CSV whose header names the table's columns.

    ``defaults`` fills columns the file does not carry (e.g. ``id_source``);
    ``aliases`` maps other header spellings onto column names.
    """
    text, charset = decode_text(data)
    parsed, rows = contract_rows(
        csv_records(text), charset, table, format=format, defaults=defaults, aliases=aliases
    )
    if not parsed.file_error:
        parsed.tables[table.name] = rows_to_frame(table, rows)
    return parsed


def contract_rows(
    records: list[tuple[int, list[str]]],
    charset: str,
    table: Table,
    *,
    format: str,
    defaults: dict[str, str] | None = None,
    aliases: dict[str, str] | None = None,
) -> tuple[Parsed, list[dict[str, str | None]]]:
    """:func:`read_contract_csv` of a file already read into ``records`` (its
    :func:`csv_records`, decoded as ``charset``), the rows left as dicts for a reader
    with more to do to them than build a frame: the reader builds it once, at the end."""
    if not records:
        return Parsed.failed(format, "the file is empty"), []
    header_line, header = records[0]
    keys = [header_key(h) for h in header]
    aliases = {header_key(k): v for k, v in (aliases or {}).items()}
    keys = [aliases.get(k, k) for k in keys]
    defaults = defaults or {}
    wanted = {c.name for c in table.columns}
    missing = [
        c.name
        for c in table.columns
        if c.required and c.name not in keys and c.name not in defaults
    ]
    if missing:
        return Parsed.failed(
            format,
            f"the header row has no column named {', '.join(missing)} "
            f"(found: {', '.join(h.strip() for h in header if h.strip()) or 'nothing'})",
        ), []
    positions = {k: i for i, k in enumerate(keys) if k in wanted}
    # per column, in the table's order: where it is in a row and how to read it, or its default
    plan = [(c.name, positions.get(c.name), cell_reader(c.kind), defaults.get(c.name)) for c in table.columns]
    parsed = Parsed(format=format)
    if charset not in ("utf-8", "utf-8-sig"):
        parsed.notes.append(f"read as {charset}")
    rows: list[dict[str, str | None]] = []
    width = len(header)
    for line, cells in records[1:]:
        if isinstance(cells, Unreadable):
            parsed.quarantined.append(Quarantined(line, cells[0]))
            continue
        if len(cells) != width:
            cells = trim_trailing(cells, width)  # a trailing empty cell from "a,b," exports is harmless
            if len(cells) != width:
                parsed.quarantined.append(
                    Quarantined(
                        line,
                        f"this row has {len(cells)} values but the header has {width}",
                        ",".join(cells),
                    )
                )
                continue
        row: dict = {n: default if at is None else read(cells[at]) for n, at, read, default in plan}
        row["source_line"] = line
        rows.append(row)
    return parsed, rows


def keep_pounds(
    parsed: Parsed,
    rows: list[dict],
    text: str,
    money: tuple[str, ...],
    what: str,
    records: list[tuple[int, list[str]]],
) -> list[dict]:
    """The rows in pounds (:mod:`pipelines.readers.currency`); the others go to
    ``parsed``'s quarantine with their line as written: a money cell written with
    another currency's sign or code (``$12.00``, ``12.00 EUR``), or, beyond the
    contract's columns, a ``currency`` column naming one. ``records``: ``text``'s
    :func:`csv_records`."""
    if not rows:
        return rows
    keys = [header_key(h) for h in records[0][1]] if records else []
    at = keys.index("currency") if "currency" in keys else None
    declared = {
        line: cells[at]
        for line, cells in records[1:]
        if at is not None and not isinstance(cells, Unreadable) and at < len(cells)
    }
    lines: list[str] | None = None  # the file's lines, split only when one is set aside
    kept = []
    for row in rows:
        line = row["source_line"]
        why = not_pounds(declared.get(line), what) if declared else None
        if why is None:
            for c in money:
                if why := cell_not_pounds(row[c], what):
                    break
        if why:
            if lines is None:
                lines = re.split(r"\r\n|\r|\n", text)
            raw = lines[line - 1] if 0 < line <= len(lines) else ""
            parsed.quarantined.append(Quarantined(line, why, raw))
        else:
            kept.append(row)
    return kept
