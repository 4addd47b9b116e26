"""Bank statements as CSV: the contract's generic layout, or a bank's own
export described by a layout profile (``schemas/profiles/*.toml`` and the
council's ``register/profiles/*.toml``; reading one is
:mod:`pipelines.readers.bank_csv`).

Both become ``statement_lines`` (one row per transaction, money out negative)
and ``statement_balances`` (per account: the dates the file covers and the
balance it closes on). Worked example, a Nationwide download::

    "Account Name:","Foo current ****12345"
    "Date","Transaction type","Description","Paid out","Paid in","Balance"
    "13 Jun 2025","Visa purchase","ABC RESTAURANT","£50.00","","£150.00"
    "25 Jun 2025","Visa Credit","ABC SUPERMARKET","","£10.00","£130.00"

loads two lines on account ``****12345``: -50.00 on 2025-06-13 and 10.00 on
2025-06-25, and one balance row covering 2025-06-13 to 2025-06-25 that closes
on 130.00. Had the bank listed the newest line first, the closing balance
would still be the one after the latest transaction (£130.00): rows are put
oldest first per account, and among lines of the same day the file's own
order decides. ``source_line`` always names the physical line in the file.

A bank gives no transaction ids in these exports, so each line gets a content
id built from account, date, amount, payee and memo, numbered by occurrence:
two genuine £2.50 coffees on one day stay two lines, and downloading the same
statement again yields the same ids.

Nothing is dropped silently. Lines above the headings are read for the
account and noted; summary lines below the transactions ("Arranged Overdraft
Limit") are noted; a line that looks like a transaction but cannot be read is
quarantined with its line number.
"""

from __future__ import annotations

from pipelines.model import Parsed
from pipelines.readers.bank_csv import find_layout, read_profile
from pipelines.readers.contract_csv import contract_rows, csv_records, header_key, keep_pounds
from pipelines.readers.statement_finish import finish
from pipelines.text import decode_text
from schemas.inputs import statement_lines
from schemas.profiles import Profile, ProfileBook, bundled_profiles

GENERIC_HEADER = "account_id, date, description, amount, balance, transaction_id, mcc"
UNEXPECTED = "dprecon hit an unexpected problem reading this file"


def read_statement_csv(
    data: bytes, path: str, profiles: list[Profile] | ProfileBook | None = None
) -> Parsed:
    """Read one statement CSV. Never raises: problems come back as data.

    ``profiles``: the layouts to know (default: those dprecon ships), or a
    :class:`~schemas.profiles.ProfileBook` with the council's own and any
    council profile that cannot be used.
    """
    if profiles is None:
        book = ProfileBook(tuple(bundled_profiles()))
    elif isinstance(profiles, ProfileBook):
        book = profiles
    else:
        book = ProfileBook(tuple(profiles))
    try:
        return _read(data, path, book)
    except Exception as exc:  # noqa: BLE001 - a bad file must never stop the run
        return Parsed.failed("csv", f"{UNEXPECTED} ({type(exc).__name__})")


def _read(data: bytes, path: str, book: ProfileBook) -> Parsed:
    text, charset = decode_text(data)
    records = csv_records(text)
    if not records:
        return Parsed.failed("csv", "the file is empty")
    if _is_generic(records[0][1]):
        return _read_generic(text, charset, records)
    found = find_layout(records, book, GENERIC_HEADER, path)
    if isinstance(found, Parsed):
        return found
    at, profile = found
    parsed = read_profile(text, records, at, profile, path)
    if charset not in ("utf-8", "utf-8-sig") and not parsed.file_error:
        parsed.notes.insert(0, f"read as {charset}")
    return parsed


def _is_generic(header: list[str]) -> bool:
    keys = {header_key(h) for h in header}
    return {"account_id", "date", "amount"} <= keys


def _read_generic(text: str, charset: str, records: list[tuple[int, list[str]]]) -> Parsed:
    """The contract's layout: the file decoded and read as CSV once (``text`` and its
    ``records``), its rows kept as dicts until :func:`finish` builds the frame."""
    parsed, rows = contract_rows(
        records,
        charset,
        statement_lines,
        format="csv:generic",
        defaults={"transaction_id": "", "id_source": ""},
        aliases={"description": "payee"},
    )
    if parsed.file_error:
        return parsed
    rows = keep_pounds(parsed, rows, text, ("amount", "balance"), "this line", records)
    has_balance = any(r["balance"] is not None for r in rows)
    finish(parsed, rows, has_balance=has_balance, newest_first=False)
    return parsed
