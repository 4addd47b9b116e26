"""One-time access codes for the families' portal, stored hashed, expiring, and rate-limited.

Each evidence return gets its own code, printed on the letter when the period
closes, e.g. ``K7QM-3XWD-9HPA`` for budget DP000011-1's quarter starting
1 January 2026. A family signs in with the budget reference and that code: no
account, no password to remember. The code opens that one return until it
expires (120 days by default: the return is due 28 days after the period ends,
and late returns are still welcome); 30 days after that it is deleted.

Only a salted scrypt hash is kept (``hashlib.scrypt``), so a copy of the state
folder does not give anyone a way in. A code is 12 characters from 30 that
cannot be mistaken for one another (no 0/O, 1/I/L, U): about 2^59
possibilities. All the codes of one budget reference share that reference's
salt, so checking an attempt costs exactly one scrypt whether the reference
has no code, one, or one for each of eight quarters: the time an answer takes
tells no one which references exist.

Guessing is throttled where the guesses come from, never where they are aimed,
so nobody can lock a family out of its own return (docs/operations.md argues
this): five wrong codes for one reference from one address in 15 minutes
stop that address trying that reference until the oldest of them is 15
minutes old, and twenty wrong codes from one address in an hour stop that
address altogether for the rest of the hour. The family at home, at another
address, signs in with the code on its letter while a stranger's guesses are
being refused. Each attempt is counted *before* its code is checked, in the
same SQLite transaction (BEGIN IMMEDIATE) that looks at the count: 48
guesses sent at once from one address get at most five codes checked. A
correct code then takes its own attempt off the count.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from stores.state import database, state_dir_for

ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
LENGTH = 12
COST = 2**14  # scrypt N: about 50 ms a check on one core
VALID_DAYS = 120
EXPIRED_KEPT = timedelta(days=30)  # an expired code still says "expired" (not "wrong") for this long
PAIR_FAILURES, PAIR_WINDOW = 5, timedelta(minutes=15)  # one reference from one address
CLIENT_FAILURES, CLIENT_WINDOW = 20, timedelta(hours=1)  # one address, any reference
BUDGET_FAILURES = PAIR_FAILURES  # the name earlier code used
_DUMMY_SALT = b"\x00" * 16


@dataclass(frozen=True)
class SignIn:
    """What a sign-in attempt came to: ``ok``, ``wrong``, ``expired`` or ``locked``."""

    outcome: str
    budget_id: str | None = None
    period_start: date | None = None


@dataclass(frozen=True)
class Draft:
    """A code chosen for one return, its hash not yet made (:func:`hashing` makes it)."""

    budget_id: str
    period_start: date
    code: str
    salt: bytes
    cost: int
    issued_at: str
    expires_at: str

    def hashed(self, digest: bytes) -> NewCode:
        return NewCode(self.budget_id, self.period_start, self.code, self.salt, digest, self.cost, self.issued_at,
                       self.expires_at)


@dataclass(frozen=True)
class NewCode:
    """A code made for one return and not yet stored: ``code`` is printed, the rest is kept."""

    budget_id: str
    period_start: date
    code: str
    salt: bytes
    digest: bytes
    cost: int
    issued_at: str
    expires_at: str

    def stored(self) -> dict:
        """What the state database keeps (and a period close's journal holds): never the code."""
        return {"budget_id": normalise_budget(self.budget_id), "period_start": self.period_start.isoformat(),
                "salt": self.salt.hex(), "digest": self.digest.hex(), "cost": self.cost,
                "issued_at": self.issued_at, "expires_at": self.expires_at}


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

    A return that already has a live code keeps it (its letter was printed with
    it) unless ``replace``; only the returns given a new code are in the answer.
    ``state_dir`` may also be the warehouse file: its state folder beside it is used.
    (Period close makes its codes with :func:`prepare_codes` and stores them
    with :func:`store_codes` only once its letters are safely written.)
    """
    made = prepare_codes(state_dir, returns, now, valid_days, replace)
    store_codes(state_dir, [m.stored() for m in made])
    return {(m.budget_id, m.period_start): m.code for m in made}


def prepare_codes(state_dir: Path, returns: list[tuple[str, date]], now: datetime | None = None,
                  valid_days: int = VALID_DAYS, replace: bool = False) -> list[NewCode]:
    """New codes for the returns that need one, made but not stored (nothing changes yet)."""
    drafts = draft_codes(state_dir, returns, now, valid_days, replace)
    with hashing(drafts) as made:
        return made()


def draft_codes(state_dir: Path, returns: list[tuple[str, date]], now: datetime | None = None,
                valid_days: int = VALID_DAYS, replace: bool = False) -> list[Draft]:
    """The codes :func:`prepare_codes` would make, chosen but not yet hashed."""
    state_dir = state_folder(state_dir)
    now = aware(now)
    expires = (now + timedelta(days=valid_days)).isoformat()
    with database(state_dir) as con:
        live = {(b, p) for b, p in con.execute(
            "SELECT budget_id, period_start FROM codes WHERE expires_at > ?", [now.isoformat()])}
        salts = {b: (bytes(salt), cost) for b, salt, cost in con.execute(
            "SELECT budget_id, salt, cost FROM codes ORDER BY issued_at")}  # the newest wins
    out: list[Draft] = []
    for budget_id, period_start in dict.fromkeys(returns):
        budget = normalise_budget(budget_id)
        if (budget, period_start.isoformat()) in live and not replace:
            continue
        salt, cost = salts.setdefault(budget, (secrets.token_bytes(16), COST))
        out.append(Draft(budget_id, period_start, new_code(), salt, cost, now.isoformat(), expires))
    return out


@contextmanager
def hashing(drafts: list[Draft], workers: int | None = None) -> Iterator[Callable[[], list[NewCode]]]:
    """Hash the drafts' codes on ``workers`` threads (default: one fewer than the cores) while the caller
    does other work, such as rendering the letters; the function yielded gives the :class:`NewCode` s,
    in the drafts' order, the caller's thread hashing what no thread has begun.

    ``hashlib.scrypt`` lets go of the GIL while OpenSSL works (CPython's ``_hashopenssl.c``), so the
    threads hash on the other cores, beside the caller's. Leaving the block early drops the hashes not
    yet begun."""
    if not drafts:
        yield list
        return
    pool = ThreadPoolExecutor(max_workers=min(len(drafts), workers or max(1, (os.cpu_count() or 2) - 1)),
                              thread_name_prefix="scrypt")

    def made() -> list[NewCode]:
        out = []
        for d, f in reversed(list(zip(drafts, futures, strict=True))):  # from the end: the threads work from the start
            out.append(d.hashed(digest(d.code, d.salt, d.cost) if f.cancel() else f.result()))
        return out[::-1]

    try:
        futures = [pool.submit(digest, d.code, d.salt, d.cost) for d in drafts]
        yield made
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def store_codes(state_dir: Path, rows: list[dict]) -> None:
    """Store made codes (``NewCode.stored()``) in one transaction: all of them work, or none.

    Storing the same rows again changes nothing, so a period close that was
    killed can store its journal's codes a second time safely."""
    if not rows:
        return
    with database(state_folder(state_dir)) as con:
        for r in rows:
            con.execute("INSERT OR REPLACE INTO codes VALUES (?, ?, ?, ?, ?, ?, ?)",
                        [r["budget_id"], r["period_start"], bytes.fromhex(r["salt"]), bytes.fromhex(r["digest"]),
                         r["cost"], r["issued_at"], r["expires_at"]])


def revoke(state_dir: Path, budget_id: str, period_start: date) -> None:
    with database(state_folder(state_dir)) as con:
        con.execute("DELETE FROM codes WHERE budget_id = ? AND period_start = ?",
                    [normalise_budget(budget_id), period_start.isoformat()])


def check_sign_in(state_dir: Path, budget_typed: str, code_typed: str, client: str,
                  now: datetime | None = None) -> SignIn:
    """Check a budget reference and code, throttling wrong codes per (reference, client) and per client.

    ``client`` is an opaque key for where the attempt came from (the portal
    passes a keyed hash of the address, never the address itself).
    """
    now = aware(now)
    budget = normalise_budget(budget_typed)
    limits = ((f"pair:{budget}|{client}", PAIR_FAILURES, PAIR_WINDOW),
              (f"client:{client}", CLIENT_FAILURES, CLIENT_WINDOW))
    attempt = secrets.token_hex(8)
    with database(state_dir) as con:  # check and count in one transaction: parallel guesses queue here
        _purge(con, now)
        for key, limit, window in limits:
            (n,) = con.execute("SELECT count(*) FROM guesses WHERE key = ? AND at > ?",
                               [key, (now - window).isoformat()]).fetchone()
            if n >= limit:
                return SignIn("locked")
        con.executemany("INSERT INTO guesses VALUES (?, ?, ?)", [(k, now.isoformat(), attempt) for k, _, _ in limits])
        rows = con.execute("SELECT period_start, salt, digest, cost, expires_at FROM codes WHERE budget_id = ? "
                           "ORDER BY issued_at DESC, period_start DESC", [budget]).fetchall()
    matched = _match(code_typed, rows)
    if matched is None:
        return SignIn("wrong")
    with database(state_dir) as con:  # the right code: not a failure, and the family's typos are forgiven
        con.execute("DELETE FROM guesses WHERE attempt = ? OR key = ?", [attempt, limits[0][0]])
    period, expires_at = matched
    if datetime.fromisoformat(expires_at) <= now:
        return SignIn("expired", budget, date.fromisoformat(period))
    return SignIn("ok", budget, date.fromisoformat(period))


def _match(code_typed: str, rows: list) -> tuple[str, str] | None:
    """The (period, expiry) whose code this is; one scrypt per salt, and every reference has one salt.

    A reference with no code costs the same one scrypt, against a dummy salt.
    (Codes stored before salts were shared per reference may need one more
    each; they expire within 120 days.)"""
    by_salt: dict[tuple[bytes, int], list] = {}
    for period, salt, stored, cost, expires_at in rows:
        by_salt.setdefault((bytes(salt), cost), []).append((period, bytes(stored), expires_at))
    if not by_salt:
        by_salt[(_DUMMY_SALT, COST)] = []
    found = None
    for (salt, cost), candidates in by_salt.items():
        typed = digest(code_typed, salt, cost)
        for period, stored, expires_at in candidates:  # compare with all: no early exit to time
            if hmac.compare_digest(typed, stored) and found is None:
                found = (period, expires_at)
    return found


def _purge(con, now: datetime) -> None:
    """Forget counts older than the longest window, and codes long expired."""
    con.execute("DELETE FROM guesses WHERE at <= ?", [(now - max(PAIR_WINDOW, CLIENT_WINDOW)).isoformat()])
    con.execute("DELETE FROM codes WHERE expires_at <= ?", [(now - EXPIRED_KEPT).isoformat()])


def locked_references(state_dir: Path, now: datetime | None = None) -> list[tuple[str, datetime]]:
    """References some address may not try just now (five wrong codes), each with when that ends:
    what officers see. The family at another address is not held up by these."""
    now = aware(now)
    since = (now - PAIR_WINDOW).isoformat()
    with database(state_folder(state_dir)) as con:
        rows = con.execute("SELECT key, min(at), count(*) FROM guesses WHERE key LIKE 'pair:%' AND at > ? "
                           "GROUP BY key", [since]).fetchall()
    out: dict[str, datetime] = {}
    for key, first, n in rows:
        if n >= PAIR_FAILURES:
            budget = key[len("pair:"):].rsplit("|", 1)[0]
            until = datetime.fromisoformat(first) + PAIR_WINDOW
            out[budget] = max(out.get(budget, until), until)
    return sorted(out.items())


def lift_locks(state_dir: Path, budget_id: str) -> None:
    """Forget the wrong codes typed for one reference, from every address (an officer's action)."""
    budget = normalise_budget(budget_id)
    with database(state_folder(state_dir)) as con:
        con.execute("DELETE FROM guesses WHERE key LIKE ? ESCAPE '\\'",
                    ["pair:" + budget.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "|%"])
