"""Where the portal keeps its state, and the small SQLite store for codes, sign-in attempts and sessions.

The warehouse is rebuilt and swapped in every night, so nothing a family types
may live in it. The state folder sits beside the warehouse::

    data/warehouse.duckdb
    data/portal/portal.sqlite3     access codes (hashed), sign-in attempts (guesses), sessions
    data/portal/drafts/<key>.json  each return's draft, replaced atomically
    data/portal/uploads/<hex>      uploaded files under random names, never served
    data/portal/secret.key         the key that signs the sign-in form's token

SQLite transactions make each change to codes, sign-in attempts and sessions atomic;
``write_atomic`` does the same for a file (write a temporary file, fsync,
rename over the old one).
"""

from __future__ import annotations

import os
import secrets
import sqlite3
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS codes (
    budget_id TEXT NOT NULL, period_start TEXT NOT NULL,
    salt BLOB NOT NULL, digest BLOB NOT NULL, cost INTEGER NOT NULL,
    issued_at TEXT NOT NULL, expires_at TEXT NOT NULL,
    PRIMARY KEY (budget_id, period_start));
CREATE TABLE IF NOT EXISTS guesses (
    key TEXT NOT NULL, at TEXT NOT NULL, attempt TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS guesses_by_key ON guesses (key, at);
CREATE TABLE IF NOT EXISTS sessions (
    token_hash TEXT PRIMARY KEY, budget_id TEXT NOT NULL, period_start TEXT NOT NULL,
    csrf TEXT NOT NULL, created_at TEXT NOT NULL, last_seen TEXT NOT NULL);
"""


def state_dir_for(warehouse: Path) -> Path:
    """``data/warehouse.duckdb`` → ``data/portal`` (beside it, as reviews.jsonl is)."""
    return warehouse.with_name("portal")


def ensure(state_dir: Path) -> Path:
    for sub in ("", "drafts", "uploads"):
        (state_dir / sub).mkdir(parents=True, exist_ok=True, mode=0o700)
    return state_dir


@contextmanager
def database(state_dir: Path) -> Iterator[sqlite3.Connection]:
    """One short transaction on the state database (BEGIN IMMEDIATE: writers queue, never interleave)."""
    ensure(state_dir)
    with transaction(state_dir / "portal.sqlite3", SCHEMA) as con:
        yield con


@contextmanager
def transaction(path: Path, schema: str) -> Iterator[sqlite3.Connection]:
    """One short write transaction on a SQLite store beside the warehouse (the portal's, the
    workspace's), its tables made if new: ``BEGIN IMMEDIATE``, so a check and the record it
    leads to can never interleave with another writer's; rolled back on any error."""
    con = sqlite3.connect(path, timeout=15, isolation_level=None)
    try:
        con.execute("PRAGMA journal_mode=WAL")
        con.executescript(schema)
        con.execute("BEGIN IMMEDIATE")
        try:
            yield con
        except BaseException:
            con.execute("ROLLBACK")
            raise
        con.execute("COMMIT")
    finally:
        con.close()


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so a reader sees the old file or the new one, never half of one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)


def fsync_files(paths: Iterable[Path]) -> None:
    """Each file's bytes on disk (before anything may say the files exist)."""
    for path in paths:
        with open(path, "rb") as f:
            os.fsync(f.fileno())


def fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def secret_key(state_dir: Path) -> bytes:
    """The portal's signing key: ``DPRECON_PORTAL_SECRET`` or one made once and kept (mode 0600)."""
    env = os.environ.get("DPRECON_PORTAL_SECRET")
    if env:
        return env.encode()
    path = ensure(state_dir) / "secret.key"
    if not path.exists():
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return path.read_bytes()
        with os.fdopen(fd, "wb") as f:
            f.write(secrets.token_hex(32).encode())
    return path.read_bytes()
