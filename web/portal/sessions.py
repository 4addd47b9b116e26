"""Signed-in sessions and the tokens that protect every form from cross-site requests.

After a good sign-in the browser holds one random token in an HttpOnly,
SameSite=Strict cookie (Secure when the portal is reached over TLS); the state
database keeps only the token's SHA-256, with the return it opens and the
session's CSRF token. Nothing personal is in the cookie. A session ends on
sign-out, after 30 minutes without use, or 4 hours after sign-in; the draft is
saved on every step, so nothing is lost when it does.

Forms shown to a signed-in family carry the session's CSRF token. The sign-in
form, shown before there is a session, carries a token signed with the
portal's key (itsdangerous) and bound to a random value in a short-lived
cookie of its own: a page on another site can neither read nor forge it.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

from itsdangerous import BadSignature, URLSafeTimedSerializer

from stores.state import database

IDLE = timedelta(minutes=30)
LIFETIME = timedelta(hours=4)
SIGN_IN_FORM_AGE = 2 * 3600  # seconds a sign-in page's token stays good


@dataclass(frozen=True)
class Session:
    budget_id: str
    period_start: date
    csrf: str


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start(state_dir: Path, budget_id: str, period_start: date, now: datetime) -> str:
    """A new session for one return; the caller sets the returned token as the cookie."""
    token = secrets.token_urlsafe(32)
    with database(state_dir) as con:
        con.execute("DELETE FROM sessions WHERE last_seen < ?", [(now - IDLE).isoformat()])
        con.execute("INSERT INTO sessions VALUES (?, ?, ?, ?, ?, ?)",
                    [_hash(token), budget_id, period_start.isoformat(), secrets.token_urlsafe(32),
                     now.isoformat(), now.isoformat()])
    return token


def find(state_dir: Path, token: str | None, now: datetime) -> Session | None:
    """The live session a cookie names (and note it was used), or None."""
    if not token or len(token) > 200:
        return None
    with database(state_dir) as con:
        row = con.execute("SELECT budget_id, period_start, csrf, created_at, last_seen FROM sessions "
                          "WHERE token_hash = ?", [_hash(token)]).fetchone()
        if row is None:
            return None
        created, seen = datetime.fromisoformat(row[3]), datetime.fromisoformat(row[4])
        if now - seen > IDLE or now - created > LIFETIME:
            con.execute("DELETE FROM sessions WHERE token_hash = ?", [_hash(token)])
            return None
        con.execute("UPDATE sessions SET last_seen = ? WHERE token_hash = ?", [now.isoformat(), _hash(token)])
    return Session(row[0], date.fromisoformat(row[1]), row[2])


def end(state_dir: Path, token: str | None) -> None:
    if token:
        with database(state_dir) as con:
            con.execute("DELETE FROM sessions WHERE token_hash = ?", [_hash(token)])


def same(expected: str, given: object) -> bool:
    return isinstance(given, str) and bool(given) and hmac.compare_digest(expected.encode(), given.encode())


class SignInTokens:
    """The sign-in form's CSRF token: signed, timed, and bound to the visitor's own nonce cookie."""

    def __init__(self, key: bytes) -> None:
        self.serializer = URLSafeTimedSerializer(key, salt="dprecon-portal-sign-in")

    @staticmethod
    def nonce() -> str:
        return secrets.token_urlsafe(16)

    def token(self, nonce: str) -> str:
        return self.serializer.dumps(nonce)

    def valid(self, nonce: str | None, token: object) -> bool:
        if not nonce or not isinstance(token, str) or not token:
            return False
        try:
            signed = self.serializer.loads(token, max_age=SIGN_IN_FORM_AGE)
        except BadSignature:
            return False
        return same(nonce, signed)
