"""The last step of reading a statement CSV, whichever its layout: lines put
oldest first per account, ids given to lines the bank sent without one, and
the dates and closing balance the file covers.

Worked example: a bank lists, newest first, "2 May -4.00 balance 91.00" and
"1 May 100.00 balance 100.00" with no transaction ids. The lines load as
1 May then 2 May, each with a content id (``C…-1``) made from account, date,
amount, payee and memo, and one ``statement_balances`` row covers 1-2 May
and closes on 91.00 (the balance after the latest line, not the last line
written).
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import date
from decimal import Decimal

from pipelines.model import Parsed
from pipelines.readers.contract_csv import rows_to_frame
from pipelines.text import content_id, repeated_bank_ids
from schemas.core import TEXT_PATTERNS, Kind
from schemas.inputs import statement_balances, statement_lines

_ISO_DATE = re.compile(TEXT_PATTERNS[Kind.DATE])
_MONEY = re.compile(TEXT_PATTERNS[Kind.MONEY])
Row = dict[str, str | int | None]



def finish(parsed: Parsed, rows: list[Row], *, has_balance: bool, newest_first: bool) -> None:
    """Put each account's lines oldest first (in the slots its lines held, so
    accounts stay interleaved as the file had them), give ids, add coverage."""
    slots: dict[str | None, list[int]] = {}
    for i, row in enumerate(rows):
        slots.setdefault(row["account_id"], []).append(i)  # type: ignore[arg-type]
    # each date cell judged once: a month's statement spells a few dozen days, 40,000 times
    days = {d: _iso(d) for d in {row["date"] for row in rows}}
    ordered = list(rows)
    balances: list[Row] = []
    reversed_any = False
    for account, idxs in slots.items():
        group = [rows[i] for i in idxs]
        if _is_newest_first(group, newest_first, days):
            group = group[::-1]
            reversed_any = reversed_any or len(group) > 1
            for i, row in zip(idxs, group, strict=True):
                ordered[i] = row
        cover = _coverage(account, group, has_balance, days)
        if cover:
            balances.append(cover)
    if reversed_any:
        parsed.notes.append("the file lists the newest transactions first; loaded oldest first")
    parsed.notes.extend(_assign_ids(ordered))
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


def _is_newest_first(group: list[Row], default: bool, days: dict) -> bool:
    """Judge the file's order from its dates; on one day only, from its balances.
    ``days``: :func:`_iso` of every date cell."""
    dates = [d for r in group if (d := days[r["date"]])]
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


def _coverage(account: str | None, group: list[Row], has_balance: bool, days: dict) -> Row | None:
    dated = [(d, r) for r in group if (d := days[r["date"]])]
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


def _assign_ids(rows: list[Row]) -> list[str]:
    """The bank's id where it gives one to one transaction; otherwise (none given, or one
    given to several rows of an account) an id made from the content and its occurrence
    among the rows so made."""
    repeated, notes = repeated_bank_ids(rows, "transaction id")
    seen: Counter[tuple] = Counter()
    for row in rows:
        if row["transaction_id"] and (row["account_id"], row["transaction_id"]) not in repeated:
            row["id_source"] = "bank"
            continue
        content = (row["account_id"], row["date"], row["amount"], row["payee"], row["memo"])
        seen[content] += 1
        row["transaction_id"] = content_id(*content, occurrence=seen[content])
        row["id_source"] = "content"
    return notes
