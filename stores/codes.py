"""One-time access codes for the families' portal, stored hashed, expiring, and rate-limited.

Each evidence return gets its own code, printed on the letter when the period
closes, e.g. ``K7QM-3XWD-9HPA`` for budget DP000011-1's quarter starting
1 January 2026. A family signs in with the budget reference and that code: no
account, no password to remember. The code opens that one return until it
expires (120 days by default: the return is due 28 days after the period ends,
and late returns are still welcome).

Only a salted scrypt hash is kept (``hashlib.scrypt``, a fresh 16-byte salt per
code), so a copy of the state folder does not give anyone a way in. A code is
12 characters from 30 that cannot be mistaken for one another (no 0/O, 1/I/L,
U): about 2^59 possibilities. Guessing is cut off long before that matters:
five wrong codes for a budget reference lock it for 15 minutes, and twenty
wrong codes from one address in an hour lock that address for an hour. A
reference that does not exist is treated exactly like one that does, so the
form tells no one which references are real.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from stores.state import database, state_dir_for

ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
LENGTH = 12
COST = 2**14  # scrypt N: about 50 ms a check on one core
VALID_DAYS = 120
BUDGET_FAILURES, BUDGET_WINDOW, BUDGET_LOCK = 5, timedelta(minutes=15), timedelta(minutes=15)
CLIENT_FAILURES, CLIENT_WINDOW, CLIENT_LOCK = 20, timedelta(hours=1), timedelta(hours=1)
_DUMMY_SALT = b"\x00" * 16


@dataclass(frozen=True)
class SignIn:
    """What a sign-in attempt came to: ``ok``, ``wrong``, ``expired`` or ``locked``."""

    outcome: str
    budget_id: str | None = None
    period_start: date | None = None


def new_code() -> str:
    raw = "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))
    return "-".join(raw[i:i + 4] for i in range(0, LENGTH, 4))


def normalise_code(typed: str) -> str:
    """What a person types (``k7qm 3xwd-9hpa``) as the code's 12 characters."""
    return "".join(ch for ch in typed.upper() if ch.isalnum())


def normalise_budget(typed: str) -> str:
    return typed.strip().upper()


def digest(code: str, salt: bytes, cost: int) -> bytes:
    return hashlib.scrypt(normalise_code(code).encode(), salt=salt, n=cost, r=8, p=1, dklen=32)


def utcnow() -> datetime:
    return datetime.now(UTC)


def aware(now: datetime | None) -> datetime:
    """``now`` in UTC; a naive datetime is taken as this machine's local time."""
    if now is None:
        return utcnow()
    return now.astimezone(UTC)


def state_folder(path: Path) -> Path:
    """The portal's state folder, given that folder or the warehouse file it sits beside."""
    return state_dir_for(path) if path.suffix == ".duckdb" or path.is_file() else path


def issue_code(state_dir: Path, budget_id: str, period_start: date, now: datetime | None = None,
               valid_days: int = VALID_DAYS) -> str:
    """A fresh code for one return; any earlier code for it stops working."""
    return issue_codes(state_dir, [(budget_id, period_start)], now, valid_days, replace=True)[(budget_id, period_start)]


def issue_codes(state_dir: Path, returns: list[tuple[str, date]], now: datetime | None = None,
                valid_days: int = VALID_DAYS, replace: bool = False) -> dict[tuple[str, date], str]:
    """Codes for the returns that need one, to print on their letters.

    The period-close flow calls this with the returns whose letters it is about
    to render and passes the answer to ``render_returns(access_codes=...)``.
    A return that already has a live code keeps it (its letter was printed with
    it) unless ``replace``; only the returns given a new code are in the answer.
    ``state_dir`` may also be the warehouse file: its state folder beside it is used.
    """
    state_dir = state_folder(state_dir)
    now = aware(now)
    expires = now + timedelta(days=valid_days)
    out: dict[tuple[str, date], str] = {}
    with database(state_dir) as con:
        live = {(b, p) for b, p in con.execute(
            "SELECT budget_id, period_start FROM codes WHERE expires_at > ?", [now.isoformat()])}
        for budget_id, period_start in dict.fromkeys(returns):
            key = (normalise_budget(budget_id), period_start.isoformat())
            if key in live and not replace:
                continue
            code, salt, cost = new_code(), secrets.token_bytes(16), COST
            con.execute("INSERT OR REPLACE INTO codes VALUES (?, ?, ?, ?, ?, ?, ?)",
                        [*key, salt, digest(code, salt, cost), cost, now.isoformat(), expires.isoformat()])
            out[(budget_id, period_start)] = code
    return out


def revoke(state_dir: Path, budget_id: str, period_start: date) -> None:
    with database(state_folder(state_dir)) as con:
        con.execute("DELETE FROM codes WHERE budget_id = ? AND period_start = ?",
                    [normalise_budget(budget_id), period_start.isoformat()])


def check_sign_in(state_dir: Path, budget_typed: str, code_typed: str, client: str,
                  now: datetime | None = None) -> SignIn:
    """Check a budget reference and code, counting failures per reference and per client.

    ``client`` is an opaque key for where the attempt came from (the portal
    passes a keyed hash of the address, never the address itself).
    """
    now = aware(now)
    budget = normalise_budget(budget_typed)
    keys = (f"budget:{budget}", f"client:{client}")
    with database(state_dir) as con:
        if any(_locked(con, k, now) for k in keys):
            return SignIn("locked")
        rows = con.execute("SELECT period_start, salt, digest, cost, expires_at FROM codes WHERE budget_id = ? "
                           "ORDER BY period_start DESC", [budget]).fetchall()
    # hash once even when there is nothing to compare with, so a made-up reference takes as long
    matched = None
    for period_start, salt, stored, cost, expires_at in rows or [(None, _DUMMY_SALT, b"", COST, "")]:
        if hmac.compare_digest(digest(code_typed, salt, cost), stored) and period_start is not None:
            matched = (period_start, datetime.fromisoformat(expires_at))
            break
    with database(state_dir) as con:
        if matched is None:
            _fail(con, keys[0], now, BUDGET_FAILURES, BUDGET_WINDOW, BUDGET_LOCK)
            _fail(con, keys[1], now, CLIENT_FAILURES, CLIENT_WINDOW, CLIENT_LOCK)
            return SignIn("wrong")
        con.execute("DELETE FROM attempts WHERE key = ?", [keys[0]])
    period, expires_at = matched
    if expires_at <= now:
        return SignIn("expired", budget, date.fromisoformat(period))
    return SignIn("ok", budget, date.fromisoformat(period))


def _locked(con, key: str, now: datetime) -> bool:
    row = con.execute("SELECT locked_until FROM attempts WHERE key = ?", [key]).fetchone()
    return bool(row and row[0] and datetime.fromisoformat(row[0]) > now)


def _fail(con, key: str, now: datetime, limit: int, window: timedelta, lock: timedelta) -> None:
    row = con.execute("SELECT failures, window_start FROM attempts WHERE key = ?", [key]).fetchone()
    if row is None or datetime.fromisoformat(row[1]) + window <= now:
        failures, start = 1, now
    else:
        failures, start = row[0] + 1, datetime.fromisoformat(row[1])
    locked = (now + lock).isoformat() if failures >= limit else None
    con.execute("INSERT OR REPLACE INTO attempts VALUES (?, ?, ?, ?)",
                [key, 0 if locked else failures, (now if locked else start).isoformat(), locked])
