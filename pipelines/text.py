"""Turning bank-ish text into the contract's spelling, without ever using float.

Banks write money as ``£1,234.50``, ``-£52.00``, ``+£5.00``, ``(12.00)`` or
``1234,5``; dates as ``13 Jun 2025``, ``15/01/2024`` or ``2025-06-13``.
These helpers return the contract's text form (``-1234.50``, ``2025-06-13``)
or ``None`` when the value cannot be read with certainty; a reader then keeps
the original text so validation quarantines the row with the value in view.

>>> normalise_money("-£1,234.5")
'-1234.50'
>>> normalise_date("13 Jun 2025")
'2025-06-13'
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from datetime import date, datetime
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from functools import lru_cache

from pipelines.timezones import london_date
from schemas.money import PENNY

# Only pounds are stripped: "$12.00" or "€5" is not read as pounds (pipelines.readers.currency).
_MONEY_JUNK = re.compile(r"[£\s\u00a0,]|GBP", re.IGNORECASE)
_MONEY_SHAPE = re.compile(r"^[+-]?[0-9]+(\.[0-9]+)?$")
# Already in the contract's spelling: normalise_money returns these unchanged. At most 16
# whole digits, so the slow path's Decimal never overflows where this one answers.
CANONICAL_MONEY = re.compile(r"-?(?:0|[1-9][0-9]{0,15})\.[0-9]{2}").fullmatch
# Shaped like an ISO day: a reader keeps these as written, whatever normalise_date says (a
# real day reads back as itself; "2025-02-30" is unreadable, so kept as written anyway).
ISO_DAY_SHAPE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}").fullmatch


def decode_text(data: bytes, declared: str | None = None) -> tuple[str, str]:
    """Decode file bytes, trusting the bytes over a declared charset.

    Order: a BOM; strict UTF-8 (a header claiming CP1252 often lies about a
    UTF-8 export); the declared charset; CP1252; Latin-1 (never fails).
    Returns ``(text, charset_used)``.
    """
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace"), "utf-8-sig"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace"), "utf-16"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    for enc in (declared, "cp1252"):
        if not enc:
            continue
        try:
            return data.decode(enc), enc
        except (UnicodeDecodeError, LookupError):
            continue
    return data.decode("latin-1"), "latin-1"


def to_money(value: str | int | Decimal) -> Decimal:
    """Exact pounds and pence. Raises on floats: they have no place near money."""
    if isinstance(value, float):
        raise TypeError("money must not be a float")
    return Decimal(value).quantize(PENNY, rounding=ROUND_HALF_EVEN)


def normalise_money(text: str | None) -> str | None:
    if text is not None and CANONICAL_MONEY(text):  # most cells of a council's files
        return text
    return _spelled_money(text)


def _spelled_money(text: str | None) -> str | None:
    """:func:`normalise_money`, taking the text apart whatever it is."""
    if text is None:
        return None
    s = text.strip()
    if not s:
        return None
    negative = False
    if s.startswith("(") and s.endswith(")"):
        negative, s = True, s[1:-1]
    if s.upper().endswith("CR"):
        s = s[:-2]
    elif s.upper().endswith("DR"):
        negative, s = not negative, s[:-2]
    s = _MONEY_JUNK.sub("", s)
    # a sign may sit either side of the pound sign: "-£5" and "£-5"
    if s.count("-") == 1 and s.endswith("-"):
        s = "-" + s[:-1]
    if not _MONEY_SHAPE.match(s):
        return None
    try:
        d = Decimal(s)
    except InvalidOperation:
        return None
    if d != d.quantize(PENNY):  # fractions of a penny: not a bank amount
        return None
    if negative:
        d = -d
    return f"{d.quantize(PENNY):f}"


_DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d %b %Y", "%d-%b-%Y", "%d %B %Y", "%d/%m/%y", "%Y%m%d")


def normalise_date(text: str | None, formats: tuple[str, ...] = _DATE_FORMATS) -> str | None:
    """Read a UK-style date. Day-first always: ``01/02/2026`` is 1 February.

    An ISO timestamp with a zone is the UK date of that moment
    (``2026-10-24T23:30:00Z`` is 25 October: :mod:`pipelines.timezones`).
    """
    if text is None:
        return None
    s = " ".join(text.strip().split())
    # only date-sized texts are remembered: a damaged file's megabyte cell is not kept
    return _normalised_date(s, formats) if len(s) <= 64 else _normalised_date.__wrapped__(s, formats)


@lru_cache(maxsize=16_384)
def _normalised_date(s: str, formats: tuple[str, ...]) -> str | None:
    """:func:`normalise_date` of a trimmed text, remembered: a council's files spell the
    same few hundred days again and again, and ``strptime`` is slow (a tenth of the
    time a worker spends reading evidence manifests)."""
    if not s:
        return None
    stamped = london_date(s)
    if stamped is not None:
        return stamped
    for fmt in formats:
        try:
            return datetime.strptime(s, fmt).date().isoformat()
        except ValueError:
            continue
    return None


def parse_date(text: str) -> date:
    return date.fromisoformat(text)


def content_id(*parts: object, occurrence: int = 1) -> str:
    """A stable id for a transaction that came without one.

    Built from what the bank printed (account, date, amount, payee, memo) and
    the occurrence of that same content within the file, so that two genuine
    identical purchases on one day stay two, and a re-download of the same
    statement yields the same ids.
    """
    h = hashlib.sha256("\x1f".join("" if p is None else str(p) for p in parts).encode()).hexdigest()
    return f"C{h[:16]}-{occurrence}"


def repeated_bank_ids(rows: list[dict], id_name: str) -> tuple[set[tuple], list[str]]:
    """The ``(account_id, transaction_id)`` pairs a statement file gives more than one
    transaction, and a note for each. A bank id is one transaction's: read as given, the
    second row would look like a correction of the first and one payment would vanish,
    so the readers give those rows ids made from their content instead."""
    seen = Counter([(r["account_id"], r["transaction_id"]) for r in rows if r["transaction_id"]])
    repeated = {key for key, k in seen.items() if k > 1}
    if not repeated:
        return repeated, []
    notes = [f"the bank id ({id_name}) '{tid}' appears {seen[(acct, tid)]} times for account {acct}; "
             "those transactions were given ids made from their content" for acct, tid in seen if (acct, tid) in repeated]
    return repeated, notes


def clean_cell(value: str | None) -> str | None:
    """Trim and fold blank to None; keep inner text exactly."""
    if value is None:
        return None
    v = value.strip()
    return v or None
