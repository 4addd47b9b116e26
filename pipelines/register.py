"""The council's register (budgets, plan lines, providers): checked row by row,
and never allowed to make a budget vanish.

The register is whatever the council sent last (``budgets.csv`` replaces the
one before). A row that cannot be right is set aside with a reason an officer
can act on, beyond what validation already checks (a code not in the
contract's list, a date that is not a date):

* the same id on two lines (``budget_id``; ``budget_id`` + ``line_id`` for a
  plan line; ``provider_id``): neither line is used, since nobody can tell
  which is right;
* a budget whose term ends before it starts;
* a budget whose agreed amount or council payment is zero or less, or whose
  estimate or weekly contribution is negative; a plan line with negative
  units, rate or planned amount.

A budget set aside this way is not dropped from the books: the **last good
version** of it (the latest row for that id in an earlier register file that
passed) is kept until the council puts the register right, and the officers'
report says so at the top. Example: budgets.csv of 1 June lists B001 with
£15,600.00 agreed; the 1 July file lists B001 twice (£15,600.00 and
£16,000.00). Both July lines are set aside ("budget B001 is on lines 2 and 5
…"), and B001 stays in the books at £15,600.00 from the June file, line 2,
rather than disappearing with its returns, letters and portal access.
"""

from __future__ import annotations

import re
from collections import defaultdict
from decimal import Decimal, InvalidOperation

import polars as pl

from schemas.core import TEXT_PATTERNS, Kind, Table

REGISTERS = ("budgets", "plan_lines", "providers")
KEY_SEPARATOR = " / "

HELD_SCHEMA = {"file_id": pl.String, "register": pl.String, "key": pl.String, "line": pl.Int64,
               "reason": pl.String}

_POSITIVE = {"budgets": ("agreed_amount", "payment_amount")}
_NOT_NEGATIVE = {"budgets": ("estimated_amount", "weekly_contribution"),
                 "plan_lines": ("weekly_units", "unit_rate", "planned_amount"),
                 "providers": ("agreed_rate",)}
_WHAT = {"budgets": "budget", "plan_lines": "plan line", "providers": "provider"}


def _number(text: str | None, kind: Kind) -> Decimal | None:
    """A number that validation will accept, else None (validation gives that reason)."""
    if text is None or not re.match(TEXT_PATTERNS[kind], text):
        return None
    try:
        return Decimal(text)
    except InvalidOperation:
        return None


def key_text(table: Table, row: dict) -> str | None:
    values = [row.get(k) for k in table.key]
    return None if any(v is None for v in values) else KEY_SEPARATOR.join(values)


def register_failures(table: Table, batch: pl.DataFrame) -> dict[int, list[str]]:
    """Row position → reasons, for the checks above, on the text form of a register
    table (lineage columns ``file_id`` and ``source_line`` included)."""
    if table.name not in REGISTERS or batch.height == 0:
        return {}
    failures: dict[int, list[str]] = defaultdict(list)
    rows = batch.to_dicts()
    what = _WHAT[table.name]
    lines_of: dict[tuple[str, str], list[int]] = defaultdict(list)
    for i, r in enumerate(rows):
        key = key_text(table, r)
        if key is not None:
            lines_of[(r.get("file_id") or "", key)].append(i)
    for (_fid, key), idx in lines_of.items():
        if len(idx) > 1:
            lines = [str(rows[i].get("source_line")) for i in idx]
            where = ", ".join(lines[:-1]) + " and " + lines[-1]
            for i in idx:
                failures[i].append(f"{what} {key} is on more than one line of this file (lines {where}); "
                                   "neither is used until the register is put right")
    for i, r in enumerate(rows):
        if table.name == "budgets":
            start, end = r.get("start_date"), r.get("end_date")
            date_ok = TEXT_PATTERNS[Kind.DATE]
            if start and end and re.match(date_ok, start) and re.match(date_ok, end) and end < start:
                failures[i].append(f"the term ends ({end}) before it starts ({start})")
        for col in _POSITIVE.get(table.name, ()):
            v = _number(r.get(col), table.column(col).kind)
            if v is not None and v <= 0:
                failures[i].append(f"{col.replace('_', ' ')} must be more than £0.00 (found {r.get(col)})")
        for col in _NOT_NEGATIVE.get(table.name, ()):
            v = _number(r.get(col), table.column(col).kind)
            if v is not None and v < 0:
                failures[i].append(f"{col.replace('_', ' ')} cannot be negative (found {r.get(col)})")
    return dict(failures)


def merge_failures(table: Table, validated: dict[int, list[str]],
                   register: dict[int, list[str]]) -> dict[int, list[str]]:
    """Validation's reasons and the register's, per row; where the register names the
    lines a duplicate id is on, validation's general "appears more than once" goes."""
    generic = {s["reason"] for s in table.expectations()
               if s["type"] in ("ExpectColumnValuesToBeUnique", "ExpectCompoundColumnsToBeUnique")}
    out: dict[int, list[str]] = {i: list(r) for i, r in validated.items()}
    for i, reasons in register.items():
        kept = out.get(i, [])
        if any("more than one line" in r for r in reasons):
            kept = [r for r in kept if not any(r.startswith(g) for g in generic)]
        out[i] = kept + reasons
    return out


def held_keys(table: Table, batch: pl.DataFrame, set_aside: pl.DataFrame) -> pl.DataFrame:
    """The register rows set aside, by the id they carry (when they carry one):
    ``file_id, register, key, line, reason``. ``set_aside`` is quarantine rows
    (file_id, line, reason) of this batch."""
    if table.name not in REGISTERS or set_aside.height == 0 or batch.height == 0:
        return pl.DataFrame(schema=HELD_SCHEMA)
    keys = batch.select(
        "file_id", pl.col("source_line").alias("line"),
        pl.concat_str([pl.col(k) for k in table.key], separator=KEY_SEPARATOR).alias("key"))
    return (set_aside.select("file_id", "line", "reason")
            .join(keys, on=["file_id", "line"], how="inner")
            .filter(pl.col("key").is_not_null())
            .with_columns(pl.lit(table.name).alias("register"))
            .select(list(HELD_SCHEMA)).cast(HELD_SCHEMA))


def unreadable_rows(register: str, file_id: str, lines: list[tuple[int | None, str]]) -> pl.DataFrame:
    """Register rows the reader could not even split into values (a name with an
    unquoted comma: "Morgan, Alex"): set aside with no id that can be read."""
    return pl.DataFrame([dict(file_id=file_id, register=register, key=None, line=line, reason=reason)
                         for line, reason in lines if line is not None], schema=HELD_SCHEMA)


def current_register(table: Table, rows: pl.DataFrame, file_order: pl.DataFrame,
                     held: pl.DataFrame) -> pl.DataFrame:
    """The register as it stands: the rows of the latest accepted file, plus, for
    each id that file had set aside, the last good version from an earlier file.

    ``rows`` is every version land holds (with ``file_id``), ``file_order``
    (file_id, seq) the accepted files, ``held`` from :func:`held_keys` and
    :func:`unreadable_rows`. When the latest file set aside a row whose id
    cannot be read, every row of the file before that this one lacks is kept
    too: better a budget kept a night too long than one lost.
    """
    if rows.height == 0:
        return rows
    ranked = rows.join(file_order, on="file_id", how="inner")
    if ranked.height == 0:
        return rows.clear()
    last = ranked["seq"].max()
    latest = ranked.filter(pl.col("seq") == last)
    latest_file = latest["file_id"][0]
    wanted = held.filter((pl.col("file_id") == latest_file) & (pl.col("register") == table.name))
    keyed = ranked.with_columns(
        pl.concat_str([pl.col(k) for k in table.key], separator=KEY_SEPARATOR).alias("__key"))
    earlier = keyed.filter(pl.col("seq") < last)
    keys = wanted.filter(pl.col("key").is_not_null()).select(pl.col("key").alias("__key"))
    if wanted["key"].null_count() and earlier.height:
        keys = pl.concat([keys, earlier.filter(pl.col("seq") == earlier["seq"].max()).select("__key")])
    kept = (earlier.join(keys.unique(), on="__key", how="semi")
            .join(keyed.filter(pl.col("seq") == last).select("__key"), on="__key", how="anti")
            .sort("seq").unique("__key", keep="last", maintain_order=True))
    return pl.concat([latest, kept.drop("__key")], how="vertical_relaxed").drop("seq")
