"""The family's return as the published warehouse has it, read briefly and read-only per request.

The nightly run and the intake publish a new warehouse file by renaming it over
the old one, and a DuckDB reader and writer of one file shut each other out, so
the portal never keeps a connection: it opens the file read-only, runs the
printed letter's own queries for this one return (``fetch_letter``), and
closes it. If the file is busy for a moment it tries again, then says so; a
file that is not a warehouse, or one whose schema is missing or half there
(a half-restored copy, a wrong file put in place), is "unavailable" at once:
the family gets the 503 page, never a stack trace.
The answer is remembered for as long as the same file is published (a
publish is a rename, so the file's inode and mtime say when it changed).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path

import duckdb

from reports.returns.letter import Letter
from reports.returns.render import fetch_letter


class WarehouseUnavailable(RuntimeError):
    """The warehouse could not be read just now."""


@dataclass(frozen=True)
class ReturnView:
    letter: Letter | None  # None once the warehouse no longer lists the return as awaited
    received_at: date | None
    known: bool  # audit.evidence_returns has this return at all


def look_up(warehouse: Path, budget_id: str, period_start: date, today: date, council: str,
            tries: int = 5) -> ReturnView:
    """This return as the published warehouse has it, remembered until the file is replaced."""
    try:
        st = warehouse.stat()
    except OSError as e:
        raise WarehouseUnavailable(str(e)) from e
    # a publish renames a new file into place: a new inode (and mtime), so the key changes with it
    return _cached(str(warehouse), (st.st_ino, st.st_mtime_ns, st.st_size), budget_id, period_start, today,
                   council, tries)


@lru_cache(maxsize=512)
def _cached(warehouse: str, _version: tuple, budget_id: str, period_start: date, today: date, council: str,
            tries: int) -> ReturnView:
    return _read(Path(warehouse), budget_id, period_start, today, council, tries)


def _read(warehouse: Path, budget_id: str, period_start: date, today: date, council: str,
          tries: int) -> ReturnView:
    for attempt in range(tries):
        try:
            with duckdb.connect(str(warehouse), read_only=True) as con:
                row = con.execute("SELECT received_at FROM audit.evidence_returns WHERE budget_id = ? "
                                  "AND period_start = ?", [budget_id, period_start]).fetchone()
                if row is None:
                    return ReturnView(None, None, False)
                letter = fetch_letter(con, budget_id, period_start, today, council) if row[0] is None else None
                return ReturnView(letter, row[0], True)
        except duckdb.IOException as e:
            if attempt == tries - 1:
                raise WarehouseUnavailable(str(e)) from e
            time.sleep(0.1 * (attempt + 1))
        except duckdb.Error as e:  # no audit schema, a view whose table is gone, not a DuckDB file
            raise WarehouseUnavailable(type(e).__name__) from e
    raise WarehouseUnavailable("no tries")
