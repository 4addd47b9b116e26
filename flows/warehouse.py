"""The warehouse file: one writer at a time, published atomically.

Auditors open the published file read-only at any moment. DuckDB lets a
writer and a reader of one file exclude each other, so a run never writes
the published file: it copies it to ``<file>.next``, works there, checkpoints,
closes and ``os.replace``-s it over the published one. A run killed at any
point leaves the published file exactly as it was; the next run deletes the
half-built ``.next`` and starts again. Because the published file is never
written again, the outgoing one is kept as its night in ``history/`` by a
hard link as it is replaced (flows/history.py).

A lock file beside the warehouse (``<file>.lock``, ``flock``) makes a second
run started at the same time refuse clearly instead of racing. A run that
fails deletes its ``.next`` at once: on a full disk the space is wanted back.

Report folders are published with the warehouse (:func:`staged_folder`):
written in full beside their final place and renamed into it by
:func:`publish`, once the new warehouse is safely on disk and just before it
is swapped in. A run that fails or is killed never leaves ``REPORTS/<as-of>/``
half-written, nor replaced by reports of a warehouse that was never
published. When a run cannot complete, :func:`failure_message` says why in
words an operator can act on.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import re
import secrets
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import polars as pl

from schemas.config import ConfigError
from schemas.core import Table
from schemas.warehouse import ddl
from stores.state import fsync_dir, fsync_files


class WarehouseBusy(RuntimeError):
    """Another run holds the warehouse."""


class RunFailed(RuntimeError):
    """A run could not complete, for a reason given in an operator's words."""


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
        try:
            yield
        except BaseException:
            with contextlib.suppress(OSError):
                discard_partial(warehouse)
                _drop_pending(_next_path(warehouse))
            raise
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
    try:
        for stmt in ddl():
            con.execute(stmt)
    except BaseException:
        con.close()
        raise
    return con, nxt


def publish(con: duckdb.DuckDBPyConnection, nxt: Path, warehouse: Path) -> None:
    """Checkpoint and close the working copy, put the run's report folders in
    place, and swap the working copy in for the published warehouse."""
    try:
        con.execute("CHECKPOINT")
    finally:
        con.close()
    if nxt.with_name(nxt.name + ".wal").exists():  # changes not in the file: it must not go out
        raise RunFailed(f"the new warehouse {nxt} was not written out in full")
    fsync_files([nxt])
    # Reports first: killed between the two renames, the next run still finds
    # tonight's files unpublished and writes the reports again.
    pending = _PENDING.pop(_key(nxt), [])
    try:
        for staged, final, what in pending:
            _swap_in(staged, final, what)
    except BaseException:
        for staged, _, _ in pending:
            shutil.rmtree(staged, ignore_errors=True)
        raise
    from flows.history import keep

    keep(warehouse)  # the outgoing file, as its night (a hard link: it is never written again)
    os.replace(nxt, warehouse)
    fsync_dir(warehouse.parent)


APPEND_ROWS = 100_000


def append(con: duckdb.DuckDBPyConnection, schema: str, table: Table, frame: pl.DataFrame) -> None:
    """Insert a frame into a declared table, columns in declared order."""
    if frame.height == 0:
        return
    cols = table.names
    missing = [c for c in cols if c not in frame.columns]
    if missing:
        frame = frame.with_columns([pl.lit(None).alias(c) for c in missing])
    quoted = ", ".join(f'"{c}"' for c in cols)
    _in_slices(con, frame.select(cols).cast(table.polars_schema()),
               f"INSERT INTO {schema}.{table.name} ({quoted}) SELECT {quoted} FROM __incoming")  # noqa: S608 - names come from schemas/


def _in_slices(con: duckdb.DuckDBPyConnection, frame: pl.DataFrame, sql: str) -> None:
    """``sql`` run on each slice of ``frame`` in turn, as the table ``__incoming``: the Arrow
    copy DuckDB reads from is then one slice, not the whole frame."""
    for offset in range(0, frame.height, APPEND_ROWS):
        con.register("__incoming", frame.slice(offset, APPEND_ROWS).to_arrow())
        try:
            con.execute(sql)
        finally:
            con.unregister("__incoming")


def replace_table(con: duckdb.DuckDBPyConnection, schema: str, table: Table, frame: pl.DataFrame) -> None:
    """The table as declared, holding ``frame`` and nothing else.

    Dropped and created again from its declaration rather than emptied with
    DELETE, which DuckDB does row by row: emptying the core tables that way
    cost 2.6 s of CPU a night at 2,000 accounts (core.transactions, 215,000
    rows), dropping them 0.03 s. The audit views name the table and are bound
    when read, so they see the new one."""
    con.execute(f"DROP TABLE IF EXISTS {schema}.{table.name}")
    con.execute(table.duckdb_ddl(schema))
    append(con, schema, table, frame)


def update_rows(con: duckdb.DuckDBPyConnection, schema: str, table: Table, frame: pl.DataFrame,
                key: tuple[str, ...] | list[str]) -> None:
    """Every other column of ``frame``'s rows set where they stand in the table (found by ``key``,
    unique there): the table's other rows, and the order of all, as they were."""
    if frame.height == 0:
        return
    cols = table.names
    sets = ", ".join(f'"{c}" = i."{c}"' for c in cols if c not in key)
    on = " AND ".join(f't."{c}" = i."{c}"' for c in key)
    _in_slices(con, frame.select(cols).cast(table.polars_schema()),
               f"UPDATE {schema}.{table.name} AS t SET {sets} FROM __incoming AS i WHERE {on}")  # noqa: S608 - names come from schemas/


def read(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> pl.DataFrame:
    # DuckDB 2: results come from a relation; decimals stay Decimal through Arrow.
    return pl.from_arrow(con.sql(sql, params=params or None).to_arrow_table())


# ---- report folders ----------------------------------------------------------------

_STAGED = re.compile(r"\.(?:partial|old)-([0-9]+)-[0-9a-f]+$")


@contextmanager
def staged_folder(
    final: Path, what: str = "the reports", publish_with: duckdb.DuckDBPyConnection | None = None
) -> Iterator[Path]:
    """A folder written in full before it takes ``final``'s place: ``final`` is as it was, or complete.

    The caller writes into a hidden sibling (``.<name>.partial-<pid>-<token>``).
    With ``publish_with`` (a run's working copy) it is renamed into place by
    :func:`publish` with that warehouse, and dropped if the run fails; without,
    as soon as the block ends. An older folder (an earlier run for the same day)
    is moved aside, then removed. A failure, a full disk included, raises
    :class:`RunFailed`; a killed run leaves a hidden folder the next removes.
    """
    parent = final.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        if final.exists() and not final.is_dir():
            raise NotADirectoryError(errno.ENOTDIR, os.strerror(errno.ENOTDIR), str(final))
        for left in parent.glob(f".{final.name}.*"):
            if _abandoned(left):
                shutil.rmtree(left, ignore_errors=True)
        work = parent / f".{final.name}.partial-{os.getpid()}-{secrets.token_hex(4)}"
        work.mkdir()
    except OSError as e:
        raise RunFailed(_cannot_write(what, final, e)) from e
    try:
        yield work
    except BaseException as e:
        shutil.rmtree(work, ignore_errors=True)
        cause = _os_error(e)
        if cause is not None and not isinstance(e, RunFailed):
            raise RunFailed(_cannot_write(what, final, cause)) from e
        raise
    if publish_with is None:
        _swap_in(work, final, what)
    else:
        _PENDING.setdefault(_key(_database_path(publish_with)), []).append((work, final, what))


# Folders waiting for their run's warehouse to be published, by working copy.
_PENDING: dict[str, list[tuple[Path, Path, str]]] = {}


def _key(path: Path) -> str:
    return os.path.abspath(path)


def _database_path(con: duckdb.DuckDBPyConnection) -> Path:
    rows = con.execute(
        "SELECT path FROM duckdb_databases() WHERE database_name = current_database()"
    ).fetchall()
    return Path(rows[0][0])


def _drop_pending(nxt: Path) -> None:
    for staged, _, _ in _PENDING.pop(_key(nxt), []):
        shutil.rmtree(staged, ignore_errors=True)


def _swap_in(work: Path, final: Path, what: str) -> None:
    old = final.with_name(f".{final.name}.old-{os.getpid()}-{secrets.token_hex(4)}")
    try:
        if final.exists():
            os.rename(final, old)
        os.rename(work, final)
    except OSError as e:
        shutil.rmtree(work, ignore_errors=True)
        if old.exists() and not final.exists():
            os.rename(old, final)
        raise RunFailed(_cannot_write(what, final, e)) from e
    shutil.rmtree(old, ignore_errors=True)


def _abandoned(folder: Path) -> bool:
    """A staging folder whose run is no longer alive."""
    m = _STAGED.search(folder.name)
    if m is None or any(folder == staged for waiting in _PENDING.values() for staged, _, _ in waiting):
        return False
    pid = int(m.group(1))
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


# ---- when a run cannot complete ----------------------------------------------------

_FULL = {errno.ENOSPC, errno.EFBIG, errno.EDQUOT}
_FULL_WORDS = ("no space left", "file too large", "disk quota", "disk is full")
_REFUSED = {errno.EACCES, errno.EPERM, errno.EROFS}


def _os_error(e: BaseException | None) -> OSError | None:
    """The operating system's error behind ``e``, however it was wrapped."""
    seen = set()
    while e is not None and id(e) not in seen:
        seen.add(id(e))
        if isinstance(e, OSError):
            return e
        wrapped = next((a for a in getattr(e, "args", ()) if isinstance(a, OSError)), None)
        e = wrapped or e.__cause__ or e.__context__
    return None


def _disk_full(e: BaseException) -> bool:
    cause = _os_error(e)
    return (cause is not None and cause.errno in _FULL) or any(
        w in str(e).lower() for w in _FULL_WORDS
    )


def _cannot_write(what: str, final: Path, e: OSError) -> str:
    where = Path(e.filename) if e.filename else final
    if e.errno in _FULL:
        why = "the disk is full (or the files would be larger than this process may write)"
    elif e.errno in (errno.ENOTDIR, errno.EEXIST):
        blocker = next((p for p in (where, *where.parents) if p.exists() and not p.is_dir()), where)
        why = f"{blocker} is a file, not a folder"
    elif e.errno in _REFUSED:
        why = f"dprecon is not allowed to write to {where}"
    else:
        why = f"{e.strerror or e} ({where})"
    return f"{what} could not be written to {final}: {why}"


def failure_message(e: BaseException, warehouse: Path) -> str:
    """What an operator reads when a run could not complete (``dprecon run`` then exits non-zero)."""
    if isinstance(e, ConfigError):  # already names the file, key and value: every problem, one a line
        return (f"The run could not start: the council's settings cannot be used.\n{e}\n"
                f"Nothing was changed: the warehouse {warehouse} and the reports of earlier runs are exactly "
                "as they were. Put the settings right and run dprecon again.")
    if isinstance(e, RunFailed):
        why = str(e)
    elif _disk_full(e):
        why = "the disk is full (or the warehouse would be larger than this process may write)"
    elif (cause := _os_error(e)) is not None and cause.errno in _REFUSED:
        why = f"dprecon is not allowed to write to {cause.filename or warehouse.parent}"
    else:
        detail = (str(e).strip().splitlines() or [""])[0][:300]
        why = f"{type(e).__name__}: {detail}" if detail else type(e).__name__
    return (
        f"The run could not complete: {why}. Nothing was published: the warehouse {warehouse} "
        "and the reports of earlier runs are exactly as they were before this run. "
        "Put the problem right and run dprecon again."
    )
