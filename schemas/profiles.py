"""Bank CSV layout profiles: data that tells the statement reader how to read
one bank's export.

A profile is a TOML file (the bundled ones live in ``schemas/profiles/``). A
council whose bank is not covered copies one, edits the column names and
drops it into its own profile folder; no code changes. A profile says:

* ``header``: the column headings exactly as the bank writes them; a file is
  recognised when one of its first rows carries all of them;
* ``[columns]``: which heading holds the date, the payee, the balance, and
  either one signed ``amount`` or a ``paid_out`` / ``paid_in`` pair;
* ``[account]``: where the account is named, either a line above the
  headings (``preamble_labels``) or columns on every row (``columns``), and
  how to clean what is found into the account id the register uses;
* ``date_formats`` (``strftime`` codes, day first), ``newest_first`` and
  ``[trailer] labels`` (summary lines below the transactions).

Account ids, worked through. Lloyds writes the sort code Excel-escaped and
the account number on every row: ``'99-88-74`` and ``1515152252``. With
``keep = "digits"`` and ``join = "-"`` they become ``998874-1515152252``:
sort-code digits, a hyphen, account-number digits. That is dprecon's normal
form for a UK sort code and account number (a bare 14-digit number would be
turned into a number, and lose its leading zero, by any spreadsheet that
opens budgets.csv). Nationwide names the account above the headings,
masked: ``Foo current ****12345``; ``pattern`` picks ``****12345`` out of it,
and the register must use that same masked form.

A paid-out cell of £52.00 is read as -52.00 and a paid-in cell of £5.00 as
5.00, so a Nationwide statement line "Visa purchase, ABC RESTAURANT, Paid out
£50.00, Balance £150.00" loads as amount -50.00, balance 150.00.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from pathlib import Path

BUNDLED_DIR = Path(__file__).with_name("profiles")
KEEP_RULES = ("text", "digits", "digits_and_mask")
COLUMN_ROLES = (
    "date",
    "amount",
    "paid_out",
    "paid_in",
    "payee",
    "memo",
    "trntype",
    "balance",
    "transaction_id",
    "mcc",
)
_NAME = re.compile(r"^[a-z0-9][a-z0-9_]*$")
_TOP_KEYS = {
    "name",
    "bank",
    "description",
    "header",
    "date_formats",
    "newest_first",
    "columns",
    "account",
    "trailer",
}
_ACCOUNT_KEYS = {"preamble_labels", "columns", "pattern", "keep", "join"}
_TRAILER_KEYS = {"labels"}


class ProfileError(ValueError):
    """A profile file that cannot be used, with a reason its author can act on."""


@dataclass(frozen=True)
class AccountRule:
    """Where a file names its account and how to clean it into an account id."""

    preamble_labels: tuple[str, ...] = ()
    columns: tuple[str, ...] = ()
    pattern: str | None = None  # a regular expression; its first group (or the match) is kept
    keep: str = "text"  # text | digits | digits_and_mask
    join: str = "-"

    def clean(self, values: Sequence[str | None]) -> str | None:
        """The account id from the raw value(s), or None when any part is blank."""
        parts: list[str] = []
        for value in values:
            v = (value or "").strip().lstrip("'").strip()  # Excel's text escape: '99-88-74
            if self.pattern:
                m = re.search(self.pattern, v)
                if m:
                    v = m.group(1) if m.groups() else m.group(0)
            if self.keep == "digits":
                v = re.sub(r"[^0-9]", "", v)
            elif self.keep == "digits_and_mask":
                v = re.sub(r"[^0-9*]", "", v)
            else:
                v = " ".join(v.split())
            if not v:
                return None
            parts.append(v)
        return self.join.join(parts) if parts else None


@dataclass(frozen=True)
class Profile:
    name: str
    header: tuple[str, ...]
    date: str
    account: AccountRule
    bank: str = ""
    description: str = ""
    amount: str | None = None
    paid_out: str | None = None
    paid_in: str | None = None
    payee: str | None = None
    memo: str | None = None
    trntype: str | None = None
    balance: str | None = None
    transaction_id: str | None = None
    mcc: str | None = None
    date_formats: tuple[str, ...] = ()
    newest_first: bool = False
    trailer_labels: tuple[str, ...] = ()
    source: str = field(default="", compare=False)

    def column(self, role: str) -> str | None:
        """The heading that holds ``role`` (one of COLUMN_ROLES), if any."""
        return getattr(self, role)


def _strings(value: object, what: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise ProfileError(f"{what} must be a list of non-empty texts")
    return tuple(value)


def _check_keys(table: object, allowed: set[str], what: str) -> dict:
    if not isinstance(table, dict):
        raise ProfileError(f"{what} must be a table")
    unknown = sorted(set(table) - allowed)
    if unknown:
        raise ProfileError(f"{what} has unknown setting(s): {', '.join(unknown)}")
    return table


def _check_date_format(fmt: str) -> None:
    sample = datetime(2025, 6, 13)
    try:
        ok = "%" in fmt and datetime.strptime(sample.strftime(fmt), fmt).date() == sample.date()
    except ValueError:
        ok = False
    if not ok:
        raise ProfileError(f"date format {fmt!r} cannot read a date such as 13 June 2025 back")


def parse_profile(text: str, source: str = "") -> Profile:
    """Build a Profile from TOML text; raise ProfileError saying what is wrong."""
    where = source or "profile"
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ProfileError(f"{where}: not valid TOML ({exc})") from None
    try:
        return _build(raw, source)
    except ProfileError as exc:
        raise ProfileError(f"{where}: {exc}") from None


def _build(raw: dict, source: str) -> Profile:
    _check_keys(raw, _TOP_KEYS, "the profile")
    name = raw.get("name")
    if not isinstance(name, str) or not _NAME.match(name):
        raise ProfileError(
            "name must be lower-case letters, digits and underscores, e.g. lloyds_current"
        )
    header = _strings(raw.get("header"), "header")
    columns = _check_keys(raw.get("columns", {}), set(COLUMN_ROLES), "[columns]")
    for role, heading in columns.items():
        if heading not in header:
            raise ProfileError(f"[columns] {role} = {heading!r} is not one of the header columns")
    if "date" not in columns:
        raise ProfileError("[columns] must say which column holds the date")
    signed = "amount" in columns
    pair = "paid_out" in columns and "paid_in" in columns
    if signed == pair or (not pair and ("paid_out" in columns or "paid_in" in columns)):
        raise ProfileError(
            "[columns] needs either amount (one signed column) or both paid_out and paid_in"
        )
    acct = _check_keys(raw.get("account", {}), _ACCOUNT_KEYS, "[account]")
    labels = (
        _strings(acct["preamble_labels"], "[account] preamble_labels")
        if "preamble_labels" in acct
        else ()
    )
    acct_cols = _strings(acct["columns"], "[account] columns") if "columns" in acct else ()
    if bool(labels) == bool(acct_cols):
        raise ProfileError("[account] needs either preamble_labels or columns (not both)")
    for heading in acct_cols:
        if heading not in header:
            raise ProfileError(f"[account] column {heading!r} is not one of the header columns")
    pattern = acct.get("pattern")
    if pattern is not None:
        try:
            if not isinstance(pattern, str) or re.compile(pattern).groups > 1:
                raise ProfileError(
                    "[account] pattern must be a regular expression with at most one group"
                )
        except re.error as exc:
            raise ProfileError(
                f"[account] pattern is not a valid regular expression ({exc})"
            ) from None
    keep = acct.get("keep", "text")
    if keep not in KEEP_RULES:
        raise ProfileError(f"[account] keep must be one of: {', '.join(KEEP_RULES)}")
    join = acct.get("join", "-")
    if not isinstance(join, str):
        raise ProfileError("[account] join must be a text")
    formats = _strings(raw.get("date_formats", ["%d/%m/%Y"]), "date_formats")
    for fmt in formats:
        _check_date_format(fmt)
    newest_first = raw.get("newest_first", False)
    if not isinstance(newest_first, bool):
        raise ProfileError("newest_first must be true or false")
    trailer = _check_keys(raw.get("trailer", {}), _TRAILER_KEYS, "[trailer]")
    trailer_labels = (
        _strings(trailer["labels"], "[trailer] labels") if trailer.get("labels") else ()
    )
    for key in ("bank", "description"):
        if not isinstance(raw.get(key, ""), str):
            raise ProfileError(f"{key} must be a text")
    return Profile(
        name=name,
        bank=raw.get("bank", ""),
        description=raw.get("description", ""),
        header=header,
        account=AccountRule(labels, acct_cols, pattern, keep, join),
        date_formats=formats,
        newest_first=newest_first,
        trailer_labels=trailer_labels,
        source=source,
        **columns,
    )


def load_profiles(folder: Path) -> tuple[list[Profile], list[str]]:
    """Every ``*.toml`` profile in ``folder``, and a reason for each one that is unusable."""
    profiles: list[Profile] = []
    problems: list[str] = []
    for path in sorted(folder.glob("*.toml")):
        try:
            profiles.append(parse_profile(path.read_text(encoding="utf-8"), str(path)))
        except (ProfileError, OSError, UnicodeDecodeError) as exc:
            problems.append(str(exc))
    names = [p.name for p in profiles]
    for dup in sorted({n for n in names if names.count(n) > 1}):
        problems.append(f"{folder}: more than one profile is named {dup}")
    return profiles, problems


@cache
def _bundled() -> tuple[Profile, ...]:
    profiles, problems = load_profiles(BUNDLED_DIR)
    if problems:  # a shipped profile is code: fail loudly in tests, not quietly at night
        raise ProfileError("; ".join(problems))
    return tuple(profiles)


def bundled_profiles() -> list[Profile]:
    """The profiles shipped with dprecon (UK banks seen so far)."""
    return list(_bundled())
