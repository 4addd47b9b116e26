"""The family's return as the published warehouse has it, read briefly and read-only per request.

The nightly run and the intake publish a new warehouse file by renaming it over
the old one, and a DuckDB reader and writer of one file shut each other out, so
the portal never keeps a connection: it opens the file read-only, runs the
printed letter's own queries for this one return (``fetch_letter``), and
closes it. If the file is busy for a moment it tries again, then says so.
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

from reports.council import council_of
from reports.returns.letter import Letter
from reports.returns.render import fetch_letter, judged_on
from schemas.council import Council


class WarehouseUnavailable(RuntimeError):
    """The warehouse could not be read just now."""


@dataclass(frozen=True)
class ReturnView:
    letter: Letter | None  # None once the warehouse no longer lists the return as awaited (unless asked)
    received_at: date | None
    known: bool  # audit.evidence_returns has this return at all


@dataclass(frozen=True)
class Published:
    """What every page shows whoever is signed in: the council, and the day the figures were judged on."""
    council: Council
    as_of: date


def _version(warehouse: Path) -> tuple:
    try:
        st = warehouse.stat()
    except OSError as e:
        raise WarehouseUnavailable(str(e)) from e
    # a publish renames a new file into place: a new inode (and mtime), so the key changes with it
    return st.st_ino, st.st_mtime_ns, st.st_size


def published(warehouse: Path, fallback: str | None, today: date, tries: int = 5) -> Published:
    """The council (``fallback`` names it when the warehouse has none recorded) and the as-of date
    of the last run (``today`` before any run), remembered until the file is replaced."""
    return _published(str(warehouse), _version(warehouse), fallback, today, tries)


def look_up(warehouse: Path, budget_id: str, period_start: date, today: date, council: str | None = None,
            tries: int = 5, received_too: bool = False) -> ReturnView:
    """This return as the published warehouse has it, remembered until the file is replaced.

    "Due" and "overdue" are judged on the as-of date of the run that published it, as its
    letter was (``today`` only before any run). ``received_too``: the letter even once the
    return is received (a family adding evidence to a return already sent)."""
    return _cached(str(warehouse), _version(warehouse), budget_id, period_start, today, council, tries,
                   received_too)


@lru_cache(maxsize=8)
def _published(warehouse: str, _version: tuple, fallback: str | None, today: date, tries: int) -> Published:
    return _with_retries(Path(warehouse), tries, lambda con: Published(
        council_of(con, Council(name=fallback) if fallback else None), judged_on(con) or today))


@lru_cache(maxsize=512)
def _cached(warehouse: str, _version: tuple, budget_id: str, period_start: date, today: date,
            council: str | None, tries: int, received_too: bool) -> ReturnView:
    def read(con) -> ReturnView:
        row = con.execute("SELECT received_at FROM audit.evidence_returns WHERE budget_id = ? "
                          "AND period_start = ?", [budget_id, period_start]).fetchone()
        if row is None:
            return ReturnView(None, None, False)
        letter = None
        if row[0] is None or received_too:
            letter = fetch_letter(con, budget_id, period_start, judged_on(con) or today,
                                  council_of(con, Council(name=council) if council else None), received_too)
        return ReturnView(letter, row[0], True)

    return _with_retries(Path(warehouse), tries, read)


def _with_retries(warehouse: Path, tries: int, read):
    for attempt in range(tries):
        try:
            with duckdb.connect(str(warehouse), read_only=True) as con:
                return read(con)
        except duckdb.IOException as e:
            if attempt == tries - 1:
                raise WarehouseUnavailable(str(e)) from e
            time.sleep(0.1 * (attempt + 1))
    raise WarehouseUnavailable("no tries")
