"""The warehouse file: one writer at a time, published atomically.

Auditors open the published file read-only at any moment. DuckDB lets a
writer and a reader of one file exclude each other, so a run never writes
the published file: it copies it to ``<file>.next``, works there, checkpoints,
closes and ``os.replace``-s it over the published one. A run killed at any
point leaves the published file exactly as it was; the next run deletes the
half-built ``.next`` and starts again.

A lock file beside the warehouse (``<file>.lock``, ``flock``) makes a second
run started at the same time refuse clearly instead of racing.
"""

from __future__ import annotations

import fcntl
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import polars as pl

from schemas.core import Table
from schemas.warehouse import ddl


class WarehouseBusy(RuntimeError):
    """Another run holds the warehouse."""


@contextmanager
def exclusive(warehouse: Path) -> Iterator[None]:
    warehouse.parent.mkdir(parents=True, exist_ok=True)
    lock_path = warehouse.with_name(warehouse.name + ".lock")
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as e:
            raise WarehouseBusy(
                f"another dprecon run is using {warehouse} right now; try again when it has finished"
            ) from e
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        yield
    finally:
        os.close(fd)


def _next_path(warehouse: Path) -> Path:
    return warehouse.with_name(warehouse.name + ".next")


def discard_partial(warehouse: Path) -> None:
    nxt = _next_path(warehouse)
    for p in (nxt, nxt.with_name(nxt.name + ".wal")):
        p.unlink(missing_ok=True)


def open_working_copy(warehouse: Path) -> tuple[duckdb.DuckDBPyConnection, Path]:
    """Copy the published warehouse (if any) and open the copy for writing."""
    discard_partial(warehouse)
    nxt = _next_path(warehouse)
    if warehouse.exists():
        shutil.copyfile(warehouse, nxt)
    con = duckdb.connect(str(nxt))
    for stmt in ddl():
        con.execute(stmt)
    return con, nxt


def publish(con: duckdb.DuckDBPyConnection, nxt: Path, warehouse: Path) -> None:
    con.execute("CHECKPOINT")
    con.close()
    fd = os.open(nxt, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(nxt, warehouse)
    dir_fd = os.open(warehouse.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def append(con: duckdb.DuckDBPyConnection, schema: str, table: Table, frame: pl.DataFrame) -> None:
    """Insert a frame into a declared table, columns in declared order."""
    if frame.height == 0:
        return
    cols = table.names
    missing = [c for c in cols if c not in frame.columns]
    if missing:
        frame = frame.with_columns([pl.lit(None).alias(c) for c in missing])
    frame = frame.select(cols).cast(table.polars_schema())
    con.register("__incoming", frame.to_arrow())
    try:
        quoted = ", ".join(f'"{c}"' for c in cols)
        con.execute(f"INSERT INTO {schema}.{table.name} ({quoted}) SELECT {quoted} FROM __incoming")  # noqa: S608 - names come from schemas/
    finally:
        con.unregister("__incoming")


def replace_table(con: duckdb.DuckDBPyConnection, schema: str, table: Table, frame: pl.DataFrame) -> None:
    con.execute(f"DELETE FROM {schema}.{table.name}")  # noqa: S608
    append(con, schema, table, frame)


def read(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> pl.DataFrame:
    # DuckDB 2: results come from a relation; decimals stay Decimal through Arrow.
    return pl.from_arrow(con.sql(sql, params=params or None).to_arrow_table())
