"""A bank's own CSV export, read through its layout profile
(:mod:`schemas.profiles`): which profile a file is, then its rows.

Which profile: the first of the file's top rows that carries every heading of
a profile picks it; when several do, the one with the most headings wins
(Santander's ``Date, Description, Amount, Balance`` over first direct's
``Date, Description, Amount``). A file with no heading row (HSBC) is
recognised by its rows instead: the right number of values, a date where
the date goes and money where the money goes. A council profile that
cannot be used, and that would have read this file, sets the file aside
with its problem.

Worked example, a prepaid-card export::

    Card Number,Transaction Time,Merchant,MCC,Amount,Direction,Currency,Status
    535500******2222,2026-03-29T00:30:00Z,BUS CO,4131,3.20,DR,GBP,SETTLED
    535500******2222,2026-03-29T09:10:00+01:00,CAFE,5814,2.50,DR,GBP,PENDING
    535500******2222,2026-03-30T12:00:00+01:00,REFUND SHOP,5999,"1,250.00",CR,GBP,SETTLED
    535500******2222,2026-03-30T13:00:00+01:00,MUSEE,7991,40.00,DR,EUR,SETTLED

loads -3.20 on 29 March (00:30 GMT, before the clocks went forward) and
1250.00 on 30 March; the pending £2.50 is noted, not loaded (it comes again
once booked); the €40.00 line is quarantined naming the currency.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from pathlib import PurePosixPath

from pipelines.model import Parsed, Quarantined
from pipelines.readers.contract_csv import (
    Unreadable,
    header_key,
    money_text,
    normalise_value,
    trim_trailing,
)
from pipelines.readers.currency import cell_not_pounds, not_pounds
from pipelines.readers.statement_finish import Row, finish
from pipelines.text import clean_cell, normalise_date
from schemas.core import Kind
from schemas.profiles import COLUMN_ROLES, Profile, ProfileBook

_HEADER_SCAN = 30  # a heading row further down than this is not a statement header
_BREAK = re.compile(r"\r\n|\r|\n")
Records = list[tuple[int, list[str]]]


# --- which layout ------------------------------------------------------------------


def find_layout(
    records: Records, book: ProfileBook, generic: str, path: str = ""
) -> tuple[int, Profile] | Parsed:
    """(index of the heading row, profile), or the file's reason it cannot be read."""
    name = PurePosixPath(path).name
    profiles = tuple(
        p for p in book.profiles if p.file_pattern is None or re.search(p.file_pattern, name, re.I)
    )
    found = _by_header(records, profiles) or _by_rows(records, profiles)
    if isinstance(found, str):
        return Parsed.failed("csv", found)
    for problem in book.problems:  # a broken council profile that meant to read this file
        wanted = {header_key(h) for h in problem.header}
        named = found is not None and problem.name == found[1].name
        if named or (wanted and _header_at(records, wanted) is not None):
            return Parsed.failed(
                f"csv:{problem.name}" if problem.name else "csv",
                f"the council's bank layout profile for this file cannot be used: "
                f"{problem.message}",
            )
    if found is None:
        return Parsed.failed("csv", _unknown_layout(records, book, generic))
    return found


def _header_at(records: Records, wanted: set[str]) -> int | None:
    for at, (_, cells) in enumerate(records[:_HEADER_SCAN]):
        if wanted <= {header_key(c) for c in cells}:
            return at
    return None


def _by_header(records: Records, profiles: tuple[Profile, ...]) -> tuple[int, Profile] | None:
    headed = [(p, {header_key(h) for h in p.header}) for p in profiles if p.header_row]
    for at, (_, cells) in enumerate(records[:_HEADER_SCAN]):
        keys = {header_key(c) for c in cells}
        matches = [p for p, wanted in headed if wanted <= keys]
        if matches:  # the most specific layout wins
            return at, max(matches, key=lambda p: len(p.header))
    return None


def _by_rows(records: Records, profiles: tuple[Profile, ...]) -> tuple[int, Profile] | str | None:
    """A layout with no heading row, recognised by its first record's shape."""
    cells = records[0][1]
    if isinstance(cells, Unreadable):
        return None
    matches = [p for p in profiles if not p.header_row and _fits(cells, p)]
    named = [p for p in matches if p.file_pattern]  # picked by its file name too: the closer fit
    if len(matches) > 1 and len(named) == 1:
        matches = named
    if len(matches) > 1:
        names = ", ".join(p.name for p in matches)
        return (
            f"this file has no heading row and its rows fit more than one bank layout ({names}), "
            "so dprecon cannot tell which bank it is from; give the council's layout a "
            "file_pattern (e.g. file_pattern = 'barclaycard') and name its files to match"
        )
    return (-1, matches[0]) if matches else None


def _fits(cells: list[str], p: Profile) -> bool:
    cells = trim_trailing(cells, len(p.header))
    if len(cells) != len(p.header):
        return False
    at = {header_key(h): i for i, h in enumerate(p.header)}
    money = [p.amount] if p.amount else [p.paid_out, p.paid_in]
    readable = [money_text(cells[at[header_key(m)]]) for m in money if m]
    return _read_date(cells[at[header_key(p.date)]], p) is not None and any(readable)


def _unknown_layout(records: Records, book: ProfileBook, generic: str) -> str:
    first = ", ".join(c.strip() for c in records[0][1] if c.strip())
    if len(first) > 200:
        first = first[:200] + "…"
    known = [f"the generic layout ({generic})"] + [
        f"{p.name} ({', '.join(p.header)}{'' if p.header_row else '; no heading row'})"
        for p in book.profiles
    ]
    reason = (
        f"dprecon does not recognise the layout of this CSV file; its first row reads: "
        f"{first or 'nothing readable'}. Known layouts: {'; '.join(known)}. "
        "A bank not listed can be added as a layout profile in register/profiles."
    )
    unread = [p.message for p in book.problems if not p.header]
    if unread:
        reason += " These council layout profiles cannot be used, and one may be meant for " + (
            "this file: " + "; ".join(unread)
        )
    return reason


# --- reading the rows ---------------------------------------------------------------


def read_profile(text: str, records: Records, at: int, p: Profile, path: str) -> Parsed:
    """Rows of ``records`` below the heading row ``at`` (-1: no heading row)."""
    parsed = Parsed(format=f"csv:{p.name}")
    width = len(p.header)
    if at >= 0:
        header_line, header = records[at]
        keys = [header_key(h) for h in header]
        while keys and not keys[-1]:  # "...,Balance," : a trailing comma names no column
            keys.pop()
        width = len(keys)
    else:
        header_line, keys = 0, [header_key(h) for h in p.header]
    pos: dict[str, int] = {}
    for i, k in enumerate(keys):
        pos.setdefault(k, i)
    col = {role: pos[header_key(h)] for role in COLUMN_ROLES if (h := p.column(role))}
    acct_cols = [pos[header_key(h)] for h in p.account.columns]
    lines = _BREAK.split(text)

    account_id, problem = _file_account(records[: max(at, 0)], p, path)
    if problem:
        return Parsed.failed(parsed.format, problem)
    _note_preamble(parsed, records[: max(at, 0)], p, lines)

    rows: list[Row] = []
    trailer = False
    trailer_keys = {header_key(x) for x in p.trailer_labels}
    skip_keys = {header_key(v) for v in p.skip_status}
    prev_line, prev_cells = header_line, header if at >= 0 else []
    for line, cells in records[at + 1 :]:
        if prev_line != header_line and line > prev_line + _span(prev_cells):
            trailer = True  # a blank line after the transactions: what follows is a footer
        prev_line, prev_cells = line, cells
        raw = "\n".join(lines[line - 1 : line - 1 + _span(cells)])
        if isinstance(cells, Unreadable):
            parsed.quarantined.append(Quarantined(line, cells[0], raw))
            break
        cells = trim_trailing(cells, width)
        dated = col["date"] < len(cells) and _read_date(cells[col["date"]], p) is not None
        labelled = header_key(cells[0]) in trailer_keys
        if labelled or (trailer and not dated):
            parsed.notes.append(f"line {line} is a summary, not a transaction: {_short(cells)}")
            continue
        if len(cells) != width:
            reason = f"this row has {len(cells)} values but the column headings have {width}"
            if _span(cells) > 1:  # a stray quote swallowed the lines after it
                reason += f"; a quote on this line runs on to line {line + _span(cells) - 1}"
            parsed.quarantined.append(Quarantined(line, reason, raw))
            continue
        if "status" in col and header_key(cells[col["status"]]) in skip_keys:
            parsed.notes.append(
                f"line {line} is marked {cells[col['status']].strip()} by the bank: not booked "
                f"money, so not loaded (a pending line comes again once booked): {_short(cells)}"
            )
            continue
        row, why = _row(cells, line, p, col, acct_cols, account_id)
        if why:
            parsed.quarantined.append(Quarantined(line, why, raw))
        else:
            rows.append(row)
    finish(parsed, rows, has_balance="balance" in col, newest_first=p.newest_first)
    return parsed


def _file_account(preamble: Records, p: Profile, path: str) -> tuple[str | None, str | None]:
    """The account a whole file is for (None when each row names its own), or a reason."""
    rule = p.account
    if rule.columns:
        return None, None
    if rule.value is not None:
        return rule.clean([rule.value]), None
    if rule.preamble_labels:
        raw = _preamble_value(preamble, rule.preamble_labels)
        found = rule.clean([raw]) if raw else None
        labels = " or ".join(f"'{x}'" for x in rule.preamble_labels)
        where = f"no {labels} line above the column headings"
    elif rule.file_name is not None:
        name = PurePosixPath(path).name
        m = re.search(rule.file_name, name)
        found = rule.clean([m.group(1) if m and m.groups() else m.group(0)]) if m else None
        where = f"its file name '{name}' does not hold the account as the layout expects"
    else:
        parts = PurePosixPath(path).parts
        folder = parts[-2] if len(parts) > 2 else None  # statements/<account>/file.csv
        found = rule.clean([folder]) if folder else None
        where = (
            f"the {p.bank or p.name} export does not name the account, so it is read from the "
            "folder the file is in: put it in statements/<account id>/"
        )
    if found is None:
        return None, f"the file does not say which account it is for: {where}"
    return found, None


def _span(cells: list[str]) -> int:
    """Physical lines a record takes: one, plus any line breaks inside quoted values."""
    return 1 + sum(len(_BREAK.findall(c)) for c in cells)


def _short(cells: list[str]) -> str:
    return ", ".join(c.strip() for c in cells if c.strip())[:120]


def _read_date(value: str | None, p: Profile) -> str | None:
    return normalise_date(value, p.date_formats) or normalise_date(value)


def _preamble_value(preamble: Records, labels: tuple[str, ...]) -> str | None:
    for label in labels:  # the profile's order is its preference
        for _, cells in preamble:
            if header_key(cells[0]) == header_key(label):
                value = next((c for c in cells[1:] if c.strip()), None)
                if value:
                    return value
    return None


def _note_preamble(parsed: Parsed, preamble: Records, p: Profile, lines: list[str]) -> None:
    heading = []
    for line, cells in preamble:
        if _read_date(cells[0], p) and len(cells) > 2:
            raw = "\n".join(lines[line - 1 : line - 1 + _span(cells)])
            why = "this line looks like a transaction but comes above the column headings"
            parsed.quarantined.append(Quarantined(line, why, raw))
        else:
            heading.append(cells[0].strip().rstrip(":"))
    if heading:
        parsed.notes.append(
            f"heading lines above the columns read, not loaded: {', '.join(heading)}"
        )


def _row(
    cells: list[str],
    line: int,
    p: Profile,
    col: dict[str, int],
    acct_cols: list[int],
    account_id: str | None,
) -> tuple[Row, str | None]:
    def get(role: str) -> str | None:
        v = clean_cell(cells[col[role]]) if role in col else None
        if v and v.startswith("'"):  # Excel's text escape: NatWest writes 'WESTSHIRE COUNCIL
            v = clean_cell(v[1:])
        return v

    currency = not_pounds(get("currency"), "this line")
    written = [get(r) for r in ("amount", "paid_out", "paid_in", "balance")]
    foreign = currency or next(
        (why for v in written if (why := cell_not_pounds(v, "this line"))), None
    )
    if foreign:
        return {}, foreign
    if "amount" in col:
        amount, problem = _one_amount(get("amount"), get("direction"), p)
    else:
        amount, problem = _pair_amount(get("paid_out"), get("paid_in"), p)
    if problem:
        return {}, problem
    if acct_cols:
        account_id = p.account.clean([cells[i] for i in acct_cols])
    date_raw = get("date")
    row: Row = {
        "account_id": account_id,
        "transaction_id": get("transaction_id"),
        "id_source": None,
        "date": _read_date(date_raw, p) or date_raw,
        "amount": amount,
        "payee": get("payee"),
        "memo": get("memo"),
        "trntype": get("trntype"),
        "mcc": get("mcc"),
        "balance": normalise_value(Kind.MONEY, get("balance")),
        "source_line": line,
    }
    return row, None


def _one_amount(
    raw: str | None, direction: str | None, p: Profile
) -> tuple[str | None, str | None]:
    """The signed amount from one money column (and a CR/DR column, if any)."""
    if raw is None:
        return None, f"this row has no amount in {p.amount}"
    value = money_text(raw)
    if value is None:
        return raw, None  # left as written: validation shows the officer the bad value
    d = Decimal(value)
    marked = re.search(r"(CR|DR)\s*$", raw.strip(), re.I) or raw.strip().startswith(("+", "-"))
    if p.direction:
        way = (direction or "").strip().upper()
        if way in {m.strip().upper() for m in p.in_markers}:
            d = abs(d)
        elif way in {m.strip().upper() for m in p.out_markers}:
            d = -abs(d)
        else:
            return None, (
                f"the {p.direction} column reads '{direction or ''}', which is neither money in "
                f"({', '.join(p.in_markers)}) nor money out ({', '.join(p.out_markers)})"
            )
    elif p.sign == "out_positive" and not marked:
        d = -d  # a card statement: a bare 12.50 is a purchase
    elif p.sign == "out_positive" and raw.strip().startswith(("+", "-")):
        d = -d  # "-12.50" on a card statement is a refund, "+12.50" a purchase
    try:
        return f"{d.quantize(Decimal('0.01')):f}", None
    except InvalidOperation:
        return raw, None


def _pair_amount(
    out_raw: str | None, in_raw: str | None, p: Profile
) -> tuple[str | None, str | None]:
    """Signed amount from a paid-out / paid-in pair, or a reason it cannot be told."""
    if out_raw is None and in_raw is None:
        return None, f"this row has no amount in either {p.paid_out} or {p.paid_in}"
    out_v, in_v = money_text(out_raw), money_text(in_raw)
    for raw, v in ((out_raw, out_v), (in_raw, in_v)):
        if raw is not None and v is None:
            return raw, None  # left as written: validation shows the officer the bad value
    out_d = abs(Decimal(out_v)) if out_v else Decimal(0)
    in_d = abs(Decimal(in_v)) if in_v else Decimal(0)
    if out_d and in_d:
        return None, (
            f"this row has an amount in both {p.paid_out} and {p.paid_in}, "
            "so it is not clear which way the money went"
        )
    return f"{(in_d - out_d).quantize(Decimal('0.01')):f}", None
