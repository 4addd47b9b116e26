"""Bank CSV layout profiles: data that tells the statement reader how to read
one bank's export (contract §1, ``register/profiles/*.toml``).

The profiles dprecon ships live in ``schemas/profiles/``; a council adds its
own in the inbox's ``register/profiles/`` (no code release), and a council
profile with the same ``name`` as a shipped one replaces it. Every file is
validated through :class:`ProfileModel` (pydantic); a profile that cannot be
used is a :class:`ProfileError` (a ``schemas.config.ConfigError``) whose
message names the file and the key, and the statements it would have read
are set aside with that reason rather than read by a guess.

A profile says:

* ``header``: the column headings exactly as the bank writes them; a file is
  recognised when one of its first rows carries all of them. With
  ``header_row = false`` (HSBC's download has no heading row) they name the
  columns by position, and a file is recognised by the shape of its rows.
* ``[columns]``: which column holds the ``date``, ``payee``, ``memo``,
  ``trntype``, ``balance``, ``transaction_id``, ``mcc``; the money as one
  ``amount`` or a ``paid_out`` / ``paid_in`` pair; optionally ``direction``
  (a ``CR``/``DR`` column), ``currency`` (lines not in pounds are set aside,
  :mod:`pipelines.readers.currency`) and ``status`` (see ``[skip]``).
* ``[amount]``: ``sign = "signed"`` (money out negative, ``+ £5.00``,
  ``12.00 CR``/``DR`` suffixes) or ``"out_positive"`` (a card statement: a
  bare 12.50 is a purchase), and the ``in_markers`` / ``out_markers`` a
  ``direction`` column uses.
* ``[skip] status_values``: rows not yet booked (``PENDING``), noted and not
  loaded: they come again, booked, in a later statement.
* ``[account]``: where the account id comes from: ``columns`` on every row,
  ``preamble_labels`` (a line above the headings), ``file_name`` (a regular
  expression on the file's name), ``folder = true`` (the folder the file
  sits in: ``statements/<account>/...``) or a fixed ``value``; then
  ``pattern``, ``keep`` and ``join`` clean what was found.
* ``file_pattern``: a regular expression the file's name must match for this
  layout to read it (case-insensitive), to tell apart two layouts with no
  heading row that look alike (HSBC's and a card's ``date, text, amount``).
* ``date_formats`` (``strftime`` codes, day first; ISO timestamps with a zone
  are always read, as UK dates), ``newest_first``, ``[trailer] labels``.

Account ids, worked through. Lloyds writes the sort code Excel-escaped and
the account number on every row: ``'99-88-74`` and ``1515152252``. With
``keep = "digits"`` and ``join = "-"`` they become ``998874-1515152252``.
Barclays writes both in one cell, ``20-32-06 13152170``; ``keep =
"sort_code"`` gives ``203206-13152170``, dprecon's normal form (a bare
14-digit number would lose its leading zero in any spreadsheet that opens
budgets.csv). Nationwide names the account above the headings, masked:
``Foo current ****12345``; ``pattern`` picks ``****12345`` out of it.

A paid-out cell of £52.00 is read as -52.00 and a paid-in cell of £5.00 as
5.00; with ``sign = "out_positive"`` a card line of ``45.00`` is -45.00 and
``45.00 CR`` (a refund) is 45.00.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from pydantic import ValidationError

from schemas.config import ConfigError, describe
from schemas.profile_model import AmountModel, ProfileModel

BUNDLED_DIR = Path(__file__).with_name("profiles")
COUNCIL_FOLDER = "register/profiles"
KEEP_RULES = ("text", "digits", "digits_and_mask", "sort_code")
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
    "currency",
    "direction",
    "status",
)


class ProfileError(ConfigError, ValueError):
    """A profile file that cannot be used; the message names the file and the key."""


# --- what the reader uses -----------------------------------------------------------


@dataclass(frozen=True)
class AccountRule:
    """Where a file names its account and how to clean it into an account id."""

    preamble_labels: tuple[str, ...] = ()
    columns: tuple[str, ...] = ()
    pattern: str | None = None  # a regular expression; its first group (or the match) is kept
    keep: str = "text"  # text | digits | digits_and_mask | sort_code
    join: str = "-"
    file_name: str | None = None
    folder: bool = False
    value: str | None = None

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
            elif self.keep in ("digits_and_mask", "sort_code"):
                v = re.sub(r"[^0-9*]", "", v)
                if self.keep == "sort_code" and len(v) == 14 and v.isdigit():
                    v = f"{v[:6]}-{v[6:]}"  # 20-32-06 13152170 -> 203206-13152170
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
    currency: str | None = None
    direction: str | None = None
    status: str | None = None
    header_row: bool = True
    file_pattern: str | None = None
    sign: str = "signed"
    in_markers: tuple[str, ...] = AmountModel().in_markers
    out_markers: tuple[str, ...] = AmountModel().out_markers
    skip_status: tuple[str, ...] = ()
    date_formats: tuple[str, ...] = ()
    newest_first: bool = False
    trailer_labels: tuple[str, ...] = ()
    source: str = field(default="", compare=False)

    def column(self, role: str) -> str | None:
        """The heading that holds ``role`` (one of COLUMN_ROLES), if any."""
        return getattr(self, role)


@dataclass(frozen=True)
class ProfileProblem:
    """A profile file that cannot be used: the message names the file and the
    key; ``name`` and ``header`` are what could still be read of it, so the
    statements it was meant to read can be set aside with this reason."""

    source: str
    message: str
    name: str | None = None
    header: tuple[str, ...] = ()

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True)
class ProfileBook:
    """The profiles a run reads statements with, and the council's unusable ones."""

    profiles: tuple[Profile, ...]
    problems: tuple[ProfileProblem, ...] = ()
    notes: tuple[str, ...] = ()


def parse_profile(text: str, source: str = "") -> Profile:
    """Build a Profile from TOML text; raise ProfileError naming the file and the key."""
    where = source or "profile"
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ProfileError(f"{where}: not valid TOML ({exc})") from None
    try:
        model = ProfileModel.model_validate(raw)
    except ValidationError as exc:
        raise ProfileError(describe(exc, where)) from None
    return _profile(model, source)


def _profile(m: ProfileModel, source: str) -> Profile:
    a = m.account
    return Profile(
        name=m.name,
        bank=m.bank,
        description=m.description,
        header=m.header,
        header_row=m.header_row,
        file_pattern=m.file_pattern,
        account=AccountRule(
            a.preamble_labels, a.columns, a.pattern, a.keep, a.join, a.file_name, a.folder, a.value
        ),
        sign=m.amount.sign,
        in_markers=m.amount.in_markers,
        out_markers=m.amount.out_markers,
        skip_status=m.skip.status_values if m.skip else (),
        date_formats=m.date_formats,
        newest_first=m.newest_first,
        trailer_labels=m.trailer.labels,
        source=source,
        **m.columns.model_dump(),
    )


def _what_is_left(text: str) -> tuple[str | None, tuple[str, ...]]:
    """The name and header of a broken profile, when its TOML still parses."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return None, ()
    name = raw.get("name") if isinstance(raw.get("name"), str) else None
    header = raw.get("header")
    ok = isinstance(header, list) and header and all(isinstance(h, str) for h in header)
    return name, tuple(header) if ok else ()


def _read_folder(folder: Path, label: str) -> tuple[list[Profile], list[ProfileProblem]]:
    profiles: list[Profile] = []
    problems: list[ProfileProblem] = []
    for path in sorted(folder.glob("*.toml")) if folder.is_dir() else []:
        source = f"{label}/{path.name}"
        if not path.is_file():  # a FIFO would block the read, a device never end: not a profile
            problems.append(ProfileProblem(source, f"{source}: is not a regular file, so it was not read"))
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            problems.append(ProfileProblem(source, f"{source}: could not be read ({exc})"))
            continue
        try:
            profiles.append(parse_profile(text, source))
        except ProfileError as exc:
            problems.append(ProfileProblem(source, str(exc), *_what_is_left(text)))
    names = [p.name for p in profiles]
    for dup in sorted({n for n in names if names.count(n) > 1}):
        files = ", ".join(p.source for p in profiles if p.name == dup)
        problems.append(
            ProfileProblem(
                label,
                f"{label}: name = {dup!r}: more than one profile has this name ({files})",
                dup,
                next(p.header for p in profiles if p.name == dup),
            )
        )
        profiles = [p for p in profiles if p.name != dup]
    return profiles, problems


def load_profiles(
    shipped_dir: Path, council_dir: Path | None = None
) -> tuple[list[Profile], list[ProfileProblem]]:
    """The profiles a run uses, and every one that cannot be used.

    ``shipped_dir``'s profiles, with the council's (``council_dir``, the
    inbox's ``register/profiles``) added; a council profile named like a
    shipped one replaces it. A council profile that cannot be used withdraws
    the shipped one of the same name too: its statements are set aside with
    the problem rather than read by the layout the council meant to replace.
    """
    shipped, problems = _read_folder(shipped_dir, str(shipped_dir))
    if council_dir is None:
        return shipped, problems
    council, council_problems = _read_folder(council_dir, COUNCIL_FOLDER)
    replaced = {p.name for p in council} | {p.name for p in council_problems if p.name}
    kept = [p for p in shipped if p.name not in replaced]
    return kept + council, problems + council_problems


def profile_book(council_dir: Path | None = None) -> ProfileBook:
    """The shipped profiles with ``council_dir``'s (may be None or missing):
    what ``read_statement_csv`` is handed for one council's run."""
    profiles, problems = load_profiles(BUNDLED_DIR, council_dir)
    shipped = {p.name for p in bundled_profiles()}
    notes = tuple(
        f"{p.source}: the council's profile {p.name!r} replaces the one dprecon ships"
        for p in profiles
        if p.source.startswith(COUNCIL_FOLDER) and p.name in shipped
    )
    return ProfileBook(tuple(profiles), tuple(problems), notes)


@cache
def _bundled() -> tuple[Profile, ...]:
    profiles, problems = load_profiles(BUNDLED_DIR)
    if problems:  # a shipped profile is code: fail loudly in tests, not quietly at night
        raise ProfileError("; ".join(map(str, problems)))
    return tuple(profiles)


def bundled_profiles() -> list[Profile]:
    """The profiles shipped with dprecon (UK banks and card platforms)."""
    return list(_bundled())
