"""Officer accounts for the officers' workspace: passwords, lockout and sessions.

The workspace keeps its state beside the warehouse, like the portal and the
officers' decisions, never in the rebuilt file::

    data/warehouse.duckdb
    data/office/office.sqlite3   officers (salted scrypt hashes), sign-in attempts, sessions
    data/office/secret.key       the key that signs the sign-in form's token

Accounts are managed from the command line (``dprecon officers add NAME
--role officer|auditor``, ``reset``, ``disable``). A password is stored only as
a salted scrypt hash (16-byte salt, N=2^14). Guessing is cut off: five wrong
passwords for one name in 15 minutes lock that name for 15 minutes, twenty
wrong passwords from one address in an hour lock the address for an hour; a
name that does not exist costs the same work and gives the same answer as
one that does. ``reset`` sets a new password and lifts the name's lock.

Example: ``dprecon officers add jsmith --role officer`` prints a new
password once; jsmith signs in with it at the workspace.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Literal

from stores.state import ensure, transaction

Role = Literal["officer", "auditor"]
ROLES: tuple[str, ...] = ("officer", "auditor")
COST = 2**14
NAME_FAILURES, NAME_WINDOW, NAME_LOCK = 5, timedelta(minutes=15), timedelta(minutes=15)
CLIENT_FAILURES, CLIENT_WINDOW, CLIENT_LOCK = 20, timedelta(hours=1), timedelta(hours=1)
IDLE, LIFETIME = timedelta(minutes=30), timedelta(hours=10)
MIN_PASSWORD = 12
_NAME = re.compile(r"[a-z0-9][a-z0-9._-]{1,39}")
_DUMMY = (b"\x00" * 16, hashlib.scrypt(b"x", salt=b"\x00" * 16, n=COST, r=8, p=1))

SCHEMA = """
CREATE TABLE IF NOT EXISTS officers (
    name TEXT PRIMARY KEY, role TEXT NOT NULL, salt BLOB NOT NULL, digest BLOB NOT NULL,
    disabled INTEGER NOT NULL DEFAULT 0, created_at TEXT NOT NULL, changed_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS attempts (
    key TEXT PRIMARY KEY, failures INTEGER NOT NULL, window_start TEXT NOT NULL, locked_until TEXT);
CREATE TABLE IF NOT EXISTS sessions (
    token_hash TEXT PRIMARY KEY, officer TEXT NOT NULL, csrf TEXT NOT NULL,
    created_at TEXT NOT NULL, last_seen TEXT NOT NULL);
"""


@dataclass(frozen=True)
class Officer:
    name: str
    role: str
    disabled: bool = False

    @property
    def can_act(self) -> bool:
        """Officers decide and act; auditors read everything and change nothing."""
        return self.role == "officer" and not self.disabled


@dataclass(frozen=True)
class OfficeSession:
    officer: Officer
    csrf: str


def office_dir_for(warehouse: Path) -> Path:
    """``data/warehouse.duckdb`` → ``data/office``."""
    return warehouse.with_name("office")


def utcnow() -> datetime:
    return datetime.now(UTC)


@contextmanager
def database(state_dir: Path) -> Iterator[sqlite3.Connection]:
    """One short write transaction (BEGIN IMMEDIATE): checking and recording an attempt cannot interleave."""
    ensure(state_dir)
    with transaction(state_dir / "office.sqlite3", SCHEMA) as con:
        yield con


def valid_name(name: str) -> str:
    name = name.strip().lower()
    if not _NAME.fullmatch(name):
        raise ValueError("a name is 2 to 40 lower-case letters, digits, dots, dashes or underscores, e.g. jsmith")
    return name


def _digest(password: str, salt: bytes) -> bytes:
    return hashlib.scrypt(password.encode(), salt=salt, n=COST, r=8, p=1)


def new_password() -> str:
    return secrets.token_urlsafe(12)


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise ValueError(f"a password has at least {MIN_PASSWORD} characters")


def add(state_dir: Path, name: str, role: str, password: str | None = None, now: datetime | None = None) -> str:
    """Create an officer; returns the password (a fresh one unless given)."""
    name = valid_name(name)
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    password = password or new_password()
    _check_password(password)
    salt, at = secrets.token_bytes(16), (now or utcnow()).isoformat()
    with database(state_dir) as con:
        if con.execute("SELECT 1 FROM officers WHERE name = ?", [name]).fetchone():
            raise ValueError(f"there is already an officer called {name}; use 'dprecon officers reset {name}'")
        con.execute("INSERT INTO officers VALUES (?, ?, ?, ?, 0, ?, ?)", [name, role, salt, _digest(password, salt), at, at])
    return password


def reset(state_dir: Path, name: str, password: str | None = None, now: datetime | None = None) -> str:
    """A new password (and the account enabled, its lock lifted, its sessions ended)."""
    name = valid_name(name)
    password = password or new_password()
    _check_password(password)
    salt = secrets.token_bytes(16)
    with database(state_dir) as con:
        if not con.execute("UPDATE officers SET salt = ?, digest = ?, disabled = 0, changed_at = ? WHERE name = ?",
                           [salt, _digest(password, salt), (now or utcnow()).isoformat(), name]).rowcount:
            raise ValueError(f"there is no officer called {name}")
        con.execute("DELETE FROM attempts WHERE key = ?", [f"name:{name}"])
        con.execute("DELETE FROM sessions WHERE officer = ?", [name])
    return password


def disable(state_dir: Path, name: str, now: datetime | None = None) -> None:
    """Stop an officer signing in; their sessions end at once."""
    name = valid_name(name)
    with database(state_dir) as con:
        if not con.execute("UPDATE officers SET disabled = 1, changed_at = ? WHERE name = ?",
                           [(now or utcnow()).isoformat(), name]).rowcount:
            raise ValueError(f"there is no officer called {name}")
        con.execute("DELETE FROM sessions WHERE officer = ?", [name])


def listing(state_dir: Path) -> list[Officer]:
    with database(state_dir) as con:
        rows = con.execute("SELECT name, role, disabled FROM officers ORDER BY name").fetchall()
    return [Officer(n, r, bool(d)) for n, r, d in rows]


def find_officer(state_dir: Path, name: str) -> Officer | None:
    """An enabled officer by name (the single sign-on path: the proxy has already authenticated them)."""
    try:
        name = valid_name(name)
    except ValueError:
        return None
    with database(state_dir) as con:
        row = con.execute("SELECT name, role, disabled FROM officers WHERE name = ?", [name]).fetchone()
    return Officer(row[0], row[1], bool(row[2])) if row and not row[2] else None


def sign_in(state_dir: Path, name_typed: str, password: str, client: str, now: datetime | None = None
            ) -> tuple[str, Officer | None]:
    """``("ok", officer)``, ``("wrong", None)`` or ``("locked", None)``. The same scrypt work whatever the name.

    The check and the record of a failure happen in one transaction, so parallel
    guesses cannot get past the limits."""
    now = now or utcnow()
    name = name_typed.strip().lower()[:40]
    keys = (f"name:{name}", f"client:{client}")
    with database(state_dir) as con:
        row = con.execute("SELECT role, salt, digest, disabled FROM officers WHERE name = ?", [name]).fetchone()
        salt, digest = (row[1], row[2]) if row else _DUMMY
        good = hmac.compare_digest(_digest(password[:200], salt), digest) and row is not None and not row[3]
        if any(_locked(con, k, now) for k in keys):
            return "locked", None
        if not good:
            _fail(con, keys[0], now, NAME_FAILURES, NAME_WINDOW, NAME_LOCK)
            _fail(con, keys[1], now, CLIENT_FAILURES, CLIENT_WINDOW, CLIENT_LOCK)
            return "wrong", None
        con.execute("DELETE FROM attempts WHERE key = ?", [keys[0]])
    return "ok", Officer(name, row[0])


def _locked(con: sqlite3.Connection, key: str, now: datetime) -> bool:
    row = con.execute("SELECT locked_until FROM attempts WHERE key = ?", [key]).fetchone()
    return bool(row and row[0] and datetime.fromisoformat(row[0]) > now)


def _fail(con: sqlite3.Connection, key: str, now: datetime, limit: int, window: timedelta, lock: timedelta) -> None:
    row = con.execute("SELECT failures, window_start FROM attempts WHERE key = ?", [key]).fetchone()
    failures, start = (row[0], datetime.fromisoformat(row[1])) if row else (0, now)
    if now - start > window:
        failures, start = 0, now
    failures += 1
    locked = (now + lock).isoformat() if failures >= limit else None
    con.execute("INSERT OR REPLACE INTO attempts VALUES (?, ?, ?, ?)",
                [key, 0 if locked else failures, (now if locked else start).isoformat(), locked])


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(state_dir: Path, officer: Officer, now: datetime | None = None) -> str:
    now = now or utcnow()
    token = secrets.token_urlsafe(32)
    with database(state_dir) as con:
        con.execute("DELETE FROM sessions WHERE last_seen < ? OR created_at < ?",
                    [(now - IDLE).isoformat(), (now - LIFETIME).isoformat()])
        con.execute("INSERT INTO sessions VALUES (?, ?, ?, ?, ?)",
                    [_hash(token), officer.name, secrets.token_urlsafe(32), now.isoformat(), now.isoformat()])
    return token


def find_session(state_dir: Path, token: str | None, now: datetime | None = None) -> OfficeSession | None:
    """The live session a cookie names, its officer still enabled (and note it was used)."""
    if not token or len(token) > 200:
        return None
    now = now or utcnow()
    with database(state_dir) as con:
        row = con.execute(
            "SELECT s.officer, s.csrf, s.created_at, s.last_seen, o.role, o.disabled FROM sessions s "
            "JOIN officers o ON o.name = s.officer WHERE s.token_hash = ?", [_hash(token)]).fetchone()
        if not row:
            return None
        expired = (now - datetime.fromisoformat(row[3]) > IDLE or now - datetime.fromisoformat(row[2]) > LIFETIME)
        if expired or row[5]:
            con.execute("DELETE FROM sessions WHERE token_hash = ?", [_hash(token)])
            return None
        con.execute("UPDATE sessions SET last_seen = ? WHERE token_hash = ?", [now.isoformat(), _hash(token)])
    return OfficeSession(Officer(row[0], row[4]), row[1])


def end_session(state_dir: Path, token: str | None) -> None:
    if token:
        with database(state_dir) as con:
            con.execute("DELETE FROM sessions WHERE token_hash = ?", [_hash(token)])
