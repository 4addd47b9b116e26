"""Bank statements as CSV: the contract's generic layout, or a bank's own
export described by a layout profile (``schemas/profiles/*.toml``).

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

import re
from collections import Counter
from datetime import date
from decimal import Decimal

from pipelines.model import Parsed, Quarantined
from pipelines.readers.contract_csv import (
    Unreadable,
    csv_records,
    header_key,
    money_text,
    normalise_value,
    read_contract_csv,
    rows_to_frame,
    trim_trailing,
)
from pipelines.text import clean_cell, content_id, decode_text, normalise_date
from schemas.core import TEXT_PATTERNS, Kind
from schemas.inputs import statement_balances, statement_lines
from schemas.profiles import COLUMN_ROLES, Profile, bundled_profiles

GENERIC_HEADER = "account_id, date, description, amount, balance, transaction_id, mcc"
UNEXPECTED = "dprecon hit an unexpected problem reading this file"
_HEADER_SCAN = 30  # a heading row further down than this is not a statement header
_ISO_DATE = re.compile(TEXT_PATTERNS[Kind.DATE])
_MONEY = re.compile(TEXT_PATTERNS[Kind.MONEY])
_BREAK = re.compile(r"\r\n|\r|\n")
Row = dict[str, str | int | None]


def read_statement_csv(data: bytes, path: str, profiles: list[Profile] | None = None) -> Parsed:
    """Read one statement CSV. Never raises: problems come back as data."""
    try:
        return _read(data, path, bundled_profiles() if profiles is None else profiles)
    except Exception as exc:  # noqa: BLE001 - a bad file must never stop the run
        return Parsed.failed("csv", f"{UNEXPECTED} ({type(exc).__name__})")


def _read(data: bytes, path: str, profiles: list[Profile]) -> Parsed:
    text, charset = decode_text(data)
    records = csv_records(text)
    if not records:
        return Parsed.failed("csv", "the file is empty")
    if _is_generic(records[0][1]):
        return _read_generic(data, path)
    found = _find_header(records, profiles)
    if found is None:
        return Parsed.failed("csv", _unknown_layout(records, profiles))
    at, profile = found
    parsed = _read_profile(text, records, at, profile)
    if charset not in ("utf-8", "utf-8-sig") and not parsed.file_error:
        parsed.notes.insert(0, f"read as {charset}")
    return parsed


# --- which layout ------------------------------------------------------------------


def _is_generic(header: list[str]) -> bool:
    keys = {header_key(h) for h in header}
    return {"account_id", "date", "amount"} <= keys


def _find_header(
    records: list[tuple[int, list[str]]], profiles: list[Profile]
) -> tuple[int, Profile] | None:
    for at, (_, cells) in enumerate(records[:_HEADER_SCAN]):
        keys = {header_key(c) for c in cells}
        matches = [p for p in profiles if {header_key(h) for h in p.header} <= keys]
        if matches:  # the most specific layout wins
            return at, max(matches, key=lambda p: len(p.header))
    return None


def _unknown_layout(records: list[tuple[int, list[str]]], profiles: list[Profile]) -> str:
    first = ", ".join(c.strip() for c in records[0][1] if c.strip())
    if len(first) > 200:
        first = first[:200] + "…"
    known = [f"the generic layout ({GENERIC_HEADER})"] + [
        f"{p.name} ({', '.join(p.header)})" for p in profiles
    ]
    return (
        f"dprecon does not recognise the layout of this CSV file; its first row reads: "
        f"{first or 'nothing readable'}. Known layouts: {'; '.join(known)}. "
        "A bank not listed can be added as a layout profile."
    )


# --- the contract's generic layout --------------------------------------------------


def _read_generic(data: bytes, path: str) -> Parsed:
    parsed = read_contract_csv(
        data,
        path,
        statement_lines,
        format="csv:generic",
        defaults={"transaction_id": "", "id_source": ""},
        aliases={"description": "payee"},
    )
    if parsed.file_error:
        return parsed
    frame = parsed.tables[statement_lines.name]
    has_balance = frame.height > 0 and frame["balance"].is_not_null().any()
    _finish(parsed, frame.to_dicts(), has_balance=has_balance, newest_first=False)
    return parsed


# --- a bank's own layout ------------------------------------------------------------


def _read_profile(
    text: str, records: list[tuple[int, list[str]]], at: int, profile: Profile
) -> Parsed:
    parsed = Parsed(format=f"csv:{profile.name}")
    header_line, header = records[at]
    keys = [header_key(h) for h in header]
    while keys and not keys[-1]:  # "...,Balance," : a trailing comma names no column
        keys.pop()
    width = len(keys)
    pos: dict[str, int] = {}
    for i, k in enumerate(keys):
        pos.setdefault(k, i)
    col = {role: pos[header_key(h)] for role in COLUMN_ROLES if (h := profile.column(role))}
    acct_cols = [pos[header_key(h)] for h in profile.account.columns]
    lines = _BREAK.split(text)

    account_id: str | None = None
    if profile.account.preamble_labels:
        raw = _preamble_value(records[:at], profile.account.preamble_labels)
        account_id = profile.account.clean([raw]) if raw else None
        if account_id is None:
            labels = " or ".join(f"'{x}'" for x in profile.account.preamble_labels)
            return Parsed.failed(
                parsed.format,
                f"the file does not say which account it is for: no {labels} line above the column headings",
            )
    _note_preamble(parsed, records[:at], profile, lines)

    rows: list[Row] = []
    trailer = False
    prev_line, prev_cells = header_line, header
    for line, cells in records[at + 1 :]:
        if prev_line != header_line and line > prev_line + _span(prev_cells):
            trailer = True  # a blank line after the transactions: what follows is a footer
        prev_line, prev_cells = line, cells
        raw = "\n".join(lines[line - 1 : line - 1 + _span(cells)])
        if isinstance(cells, Unreadable):
            parsed.quarantined.append(Quarantined(line, cells[0], raw))
            break
        cells = trim_trailing(cells, width)
        dated = col["date"] < len(cells) and _read_date(cells[col["date"]], profile) is not None
        labelled = header_key(cells[0]) in {header_key(x) for x in profile.trailer_labels}
        if labelled or (trailer and not dated):
            parsed.notes.append(f"line {line} is a summary, not a transaction: {_short(cells)}")
            continue
        if len(cells) != width:
            reason = f"this row has {len(cells)} values but the column headings have {width}"
            if _span(cells) > 1:  # a stray quote swallowed the lines after it
                reason += f"; a quote on this line runs on to line {line + _span(cells) - 1}"
            parsed.quarantined.append(Quarantined(line, reason, raw))
            continue
        row, problem = _profile_row(cells, line, profile, col, acct_cols, account_id)
        if problem:
            parsed.quarantined.append(Quarantined(line, problem, raw))
        else:
            rows.append(row)
    _finish(parsed, rows, has_balance="balance" in col, newest_first=profile.newest_first)
    return parsed


def _span(cells: list[str]) -> int:
    """Physical lines a record takes: one, plus any line breaks inside quoted values."""
    return 1 + sum(len(_BREAK.findall(c)) for c in cells)


def _short(cells: list[str]) -> str:
    return ", ".join(c.strip() for c in cells if c.strip())[:120]


def _read_date(value: str | None, profile: Profile) -> str | None:
    return normalise_date(value, profile.date_formats) or normalise_date(value)


def _preamble_value(preamble: list[tuple[int, list[str]]], labels: tuple[str, ...]) -> str | None:
    for label in labels:  # the profile's order is its preference
        for _, cells in preamble:
            if header_key(cells[0]) == header_key(label):
                value = next((c for c in cells[1:] if c.strip()), None)
                if value:
                    return value
    return None


def _note_preamble(
    parsed: Parsed, preamble: list[tuple[int, list[str]]], profile: Profile, lines: list[str]
) -> None:
    if not preamble:
        return
    heading = []
    for line, cells in preamble:
        if _read_date(cells[0], profile) and len(cells) > 2:
            raw = "\n".join(lines[line - 1 : line - 1 + _span(cells)])
            parsed.quarantined.append(
                Quarantined(
                    line,
                    "this line looks like a transaction but comes above the column headings",
                    raw,
                )
            )
        else:
            heading.append(cells[0].strip().rstrip(":"))
    if heading:
        parsed.notes.append(
            f"heading lines above the columns read, not loaded: {', '.join(heading)}"
        )


def _profile_row(
    cells: list[str],
    line: int,
    profile: Profile,
    col: dict[str, int],
    acct_cols: list[int],
    account_id: str | None,
) -> tuple[Row, str | None]:
    def get(role: str) -> str | None:
        return clean_cell(cells[col[role]]) if role in col else None

    date_raw = get("date")
    if "amount" in col:
        amount, problem = normalise_value(Kind.MONEY, get("amount")), None
        if amount is None:
            problem = f"this row has no amount in {profile.amount}"
    else:
        amount, problem = _pair_amount(get("paid_out"), get("paid_in"), profile)
    if problem:
        return {}, problem
    if acct_cols:
        account_id = profile.account.clean([cells[i] for i in acct_cols])
    row: Row = {
        "account_id": account_id,
        "transaction_id": get("transaction_id"),
        "id_source": None,
        "date": _read_date(date_raw, profile) or date_raw,
        "amount": amount,
        "payee": get("payee"),
        "memo": get("memo"),
        "trntype": get("trntype"),
        "mcc": get("mcc"),
        "balance": normalise_value(Kind.MONEY, get("balance")),
        "source_line": line,
    }
    return row, None


def _pair_amount(
    out_raw: str | None, in_raw: str | None, profile: Profile
) -> tuple[str | None, str | None]:
    """Signed amount from a paid-out / paid-in pair, or a reason it cannot be told."""
    if out_raw is None and in_raw is None:
        return None, f"this row has no amount in either {profile.paid_out} or {profile.paid_in}"
    out_v, in_v = money_text(out_raw), money_text(in_raw)
    for raw, v in ((out_raw, out_v), (in_raw, in_v)):
        if raw is not None and v is None:
            return raw, None  # left as written: validation shows the officer the bad value
    out_d = abs(Decimal(out_v)) if out_v else Decimal(0)
    in_d = abs(Decimal(in_v)) if in_v else Decimal(0)
    if out_d and in_d:
        return None, (
            f"this row has an amount in both {profile.paid_out} and {profile.paid_in}, "
            "so it is not clear which way the money went"
        )
    return f"{(in_d - out_d).quantize(Decimal('0.01')):f}", None


# --- shared by both layouts: order, ids, what the statement covers ------------------


def _finish(parsed: Parsed, rows: list[Row], *, has_balance: bool, newest_first: bool) -> None:
    """Put each account's lines oldest first (in the slots its lines held, so
    accounts stay interleaved as the file had them), give ids, add coverage."""
    slots: dict[str | None, list[int]] = {}
    for i, row in enumerate(rows):
        slots.setdefault(row["account_id"], []).append(i)  # type: ignore[arg-type]
    ordered = list(rows)
    balances: list[Row] = []
    reversed_any = False
    for account, idxs in slots.items():
        group = [rows[i] for i in idxs]
        if _is_newest_first(group, newest_first):
            group = group[::-1]
            reversed_any = reversed_any or len(group) > 1
            for i, row in zip(idxs, group, strict=True):
                ordered[i] = row
        cover = _coverage(account, group, has_balance)
        if cover:
            balances.append(cover)
    if reversed_any:
        parsed.notes.append("the file lists the newest transactions first; loaded oldest first")
    _assign_ids(ordered)
    parsed.tables[statement_lines.name] = rows_to_frame(statement_lines, ordered)
    if balances:
        parsed.tables[statement_balances.name] = rows_to_frame(statement_balances, balances)


def _iso(value: object) -> str | None:
    """The value if it is a real ISO date (2025-04-31 matches the shape, not the calendar)."""
    if not isinstance(value, str) or not _ISO_DATE.match(value):
        return None
    try:
        date.fromisoformat(value)
    except ValueError:
        return None
    return value


def _money(value: object) -> Decimal | None:
    return Decimal(value) if isinstance(value, str) and _MONEY.match(value) else None


def _is_newest_first(group: list[Row], default: bool) -> bool:
    """Judge the file's order from its dates; on one day only, from its balances."""
    dates = [d for r in group if (d := _iso(r["date"]))]
    if dates and dates[0] != dates[-1]:
        return dates[0] > dates[-1]
    forward = backward = 0
    for prev, cur in zip(group, group[1:], strict=False):
        pb, cb, pa, ca = (
            _money(prev["balance"]),
            _money(cur["balance"]),
            _money(prev["amount"]),
            _money(cur["amount"]),
        )
        if None in (pb, cb, pa, ca):
            continue
        forward += cb == pb + ca
        backward += pb == cb + pa
    if forward != backward:
        return backward > forward
    return default


def _coverage(account: str | None, group: list[Row], has_balance: bool) -> Row | None:
    dated = [(d, r) for r in group if (d := _iso(r["date"]))]
    if not account or not dated:
        return None
    end = max(d for d, _ in dated)
    latest = [r for d, r in dated if d == end][-1]  # group is oldest first: last of the day
    closing = latest["balance"] if has_balance and _money(latest["balance"]) is not None else None
    return {
        "account_id": account,
        "start_date": min(d for d, _ in dated),
        "end_date": end,
        "closing_balance": closing,
        "closing_date": end if closing is not None else None,
        "source_line": latest["source_line"],
    }


def _assign_ids(rows: list[Row]) -> None:
    seen: Counter[tuple] = Counter()
    for row in rows:
        if row["transaction_id"]:
            row["id_source"] = "bank"
            continue
        content = (row["account_id"], row["date"], row["amount"], row["payee"], row["memo"])
        seen[content] += 1
        row["transaction_id"] = content_id(*content, occurrence=seen[content])
        row["id_source"] = "content"
