"""OFX and QFX bank statements (OFX 1 SGML and OFX 2 XML) read into text rows.

Who does what. **ofxparse is the parser of record**: its statement and
transaction parsers (``parseStmtrs``, ``parseStatement``,
``parseTransaction``) decide every amount (``toDecimal``: ``10.000,50``,
``null``), date, type, payee, memo, merchant code, the statement's dates and
its ledger balance, and which transactions are unreadable (its complaint
becomes the reason they are set aside). **dprecon's cleaner**
(:mod:`pipelines.readers.ofx_clean`) decodes the bytes and walks the file's
tags once, repairing what ofxparse gets wrong (below), and builds in that
same walk the element tree ofxparse reads (:mod:`pipelines.readers.ofx_tree`):
ofxparse's own text pass and BeautifulSoup's HTML parse are not run, so the
file is tokenised once, not three times. This reader then pairs what ofxparse
read with each ``<STMTTRN>``, checks its shape and writes the rows.

What the cleaner repairs before ofxparse reads anything:

* **Charsets.** ofxparse splits every header line on ``:`` (a stray line
  crashes it), looks ``CHARSET:NONE`` up as a codec called ``cpNONE``, and
  decodes an OFX 2 file as ASCII, so ``Café`` or ``£`` in an XML export
  sinks the file. The reader decodes the bytes itself (CP1252, Latin-1,
  UTF-8 even when the header says otherwise); ofxparse never sees a header.
* **Time zones.** ofxparse turns ``20260701000000[+1:BST]`` into 30 June
  23:00 (UTC). The contract wants the holder's own date, 1 July, so the
  cleaner converts every zoned time to UK local time itself before ofxparse
  sees it (``20260630230000[0:GMT]`` is also 1 July; see
  :mod:`pipelines.timezones`); a time with no zone is taken as written, and
  a zone that cannot be read sets the transaction aside.
* **Entities.** ``&amp;`` is ``&``; ``M&S`` written bare stays ``M&S``;
  a bank that escapes twice (``&amp;lt;``) gets the ``<`` it meant.
* **Empty tags.** An empty ``<NAME>``, ``<SIC>`` or ``<TRNTYPE>`` makes
  ofxparse discard the whole transaction, silently (``fail_fast=False``).
  Empty elements are dropped instead; the payee is then simply blank.
* **Missing or repeated FITIDs.** ofxparse discards a transaction without
  one. Every transaction instead carries a tag (``<FITID>dprecon-7</FITID>``)
  through ofxparse, so each result leads back to its ``<STMTTRN>`` line;
  the bank's FITID is read beside it. Where it is missing, or repeated for
  one account within the file, the id is made from the content
  (:func:`pipelines.text.content_id`) and a note says so.
* **Sections a statement does not need** (sign-on, status, ``<DTUSER>``)
  are left out of what ofxparse sees: it crashes on a ``<STATUS>`` with no
  numeric ``<CODE>`` and discards a transaction over a bad ``<DTUSER>``.
* **Broken transactions** (no amount, ``12,3,4``, 31 February) come back as
  quarantine items with their line and the reason, never dropped.
* **Truncation.** A file cut short parses "fine" with no transactions; a
  file without ``</OFX>``, or with a ``<STMTTRN>`` never closed, is
  quarantined whole. Every ``<STMTTRN>`` in the file ends up as exactly one
  row or one quarantine item, or the file is quarantined with the counts.
* **Speed.** ofxparse closes SGML elements by searching a list of every end
  tag for each start tag (5,000 transactions take seconds), then parses the
  text again as HTML. Reading the cleaner's tree instead costs 0.3 to 0.6 times
  what ``OfxParser.parse`` alone costs on the same files (benchmarks/README.md).

Worked example: a prepaid-card file for account 5355000011112222, declaring
``CHARSET:1252``, holds

    <STMTTRN><TRNTYPE>POS<DTPOSTED>20260701000000[+1:BST]<TRNAMT>-12.5
    <FITID><NAME>Caf\xe9 M&amp;S<SIC>5812</STMTTRN>

(``\xe9`` is one byte: é in CP1252) and closes on ``<BALAMT>240``.
ofxparse alone discards the purchase ("Empty FIT id"). This reader gives one
``statement_lines`` row: date ``2026-07-01`` (not 30 June), amount
``-12.50``, payee ``Café M&S``, trntype ``POS``, mcc ``5812``, id_source
``content`` and transaction_id ``C5b21287dffd68426-1`` (made from account,
date, amount, payee and memo; ``-1`` as the first such purchase in the
file), plus a ``statement_balances`` row closing on ``240.00``.
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from pipelines.model import Parsed, Quarantined
from pipelines.readers.contract_csv import money_text, rows_to_frame
from pipelines.readers.ofx_clean import (
    LONGEST,
    MARKER,
    OFX_CLOSE,
    OFX_OPEN,
    STMTTRN_OPEN,
    Block,
    Cleaned,
    Decoded,
    Statement,
    clean_ofx,
    decode_ofx,
    local_time,
    local_time_of,
)
from pipelines.readers.ofx_currency import currency_notes, line_not_pounds, statement_in_pounds
from pipelines.readers.ofx_tree import read_accounts
from pipelines.text import clean_cell, content_id, repeated_bank_ids
from schemas.inputs import statement_balances, statement_lines

ASK_AGAIN = "ask the bank or card provider for a fresh download"


def read_ofx(data: bytes, path: str) -> Parsed:
    """Read one OFX/QFX file. Never raises: a fault becomes a reason."""
    fmt = "ofx1"
    try:
        decoded = decode_ofx(data)
        fmt = decoded.format
        return _read(decoded.text, fmt, _charset_notes(decoded))
    except Exception as e:  # noqa: BLE001 - bad input must never crash a run
        return Parsed.failed(
            fmt, f"dprecon could not read this OFX file ({type(e).__name__}: {e}); {ASK_AGAIN}"
        )


def _charset_notes(decoded: Decoded) -> list[str]:
    if decoded.text.isascii():
        return []
    used = decoded.charset.replace("-sig", "")
    if decoded.declared and decoded.declared != used:
        return [f"the header says the text is {decoded.declared} but it is {used}; read as {used}"]
    return [f"text read as {used}"]


def _read(text: str, fmt: str, notes: list[str]) -> Parsed:
    if not text.strip():
        return Parsed.failed(fmt, "the file is empty")
    opening = OFX_OPEN.search(text)
    if opening is None:
        return Parsed.failed(
            fmt,
            "this is not an OFX file (there is no <OFX> tag in it); statements must be "
            "downloaded from the bank as OFX, QFX or the dprecon CSV layout",
        )
    if OFX_CLOSE.search(text, opening.end()) is None:
        return Parsed.failed(
            fmt,
            f"the file ends part-way through (no closing </OFX>): it looks truncated; {ASK_AGAIN}",
        )
    cleaned = clean_ofx(text, opening.start())
    if cleaned.problem:
        return Parsed.failed(
            fmt, f"{cleaned.problem}: the file looks damaged or cut short; {ASK_AGAIN}"
        )
    tags = len(STMTTRN_OPEN.findall(text))
    if tags != len(cleaned.blocks):
        return Parsed.failed(
            fmt,
            f"the file has {tags} <STMTTRN> transaction tags but dprecon could only pick out "
            f"{len(cleaned.blocks)} of them; the file looks damaged; {ASK_AGAIN}",
        )
    if not cleaned.statements:
        return Parsed.failed(
            fmt,
            "the file holds no bank or credit-card statement (<STMTRS> or <CCSTMTRS>); "
            "dprecon reads bank and card statements only",
        )
    try:
        accounts = read_accounts(cleaned.tree)
    except Exception as e:  # noqa: BLE001 - ofxparse raises whatever it meets
        return Parsed.failed(fmt, f"the OFX parser could not read this file ({e}); {ASK_AGAIN}")
    results, read, fault = _match(cleaned, accounts)
    if fault:
        return Parsed.failed(fmt, fault)
    parsed = Parsed(format=fmt, notes=notes)
    _fill(parsed, text, cleaned, results, read)
    return parsed


def _marker(value: object) -> int | None:
    text = str(value or "").strip()
    if not text.startswith(MARKER) or not text[len(MARKER) :].isdigit():
        return None
    return int(text[len(MARKER) :])


def _match(
    cleaned: Cleaned, accounts: list[Any]
) -> tuple[dict[int, Any], dict[int, Any], str | None]:
    """Pair each statement with its ofxparse account and each block with its result.

    ofxparse lists ``<STMTRS>`` accounts first, then ``<CCSTMTRS>``, each in
    document order. Returns ``(block -> Transaction or error message,
    statement -> ofxparse account, fault)``.
    """
    from ofxparse.ofxparse import AccountType

    order = [s for s in cleaned.statements if s.kind == "bank"]
    order += [s for s in cleaned.statements if s.kind == "creditcard"]
    wanted = [AccountType.Bank if s.kind == "bank" else AccountType.CreditCard for s in order]
    got = [getattr(a, "type", None) for a in accounts[: len(order)]]
    if got != wanted:
        fault = f"the file has {len(order)} statements but the OFX parser read {len(accounts)}"
        return {}, {}, f"{fault}; the file looks damaged; {ASK_AGAIN}"
    results: dict[int, Any] = {}
    read: dict[int, Any] = {}
    for stmt, account in zip(order, accounts, strict=False):
        read[stmt.index] = account
        st = account.statement
        found: list[int | None] = [_marker(getattr(t, "id", None)) for t in st.transactions]
        for t, m in zip(st.transactions, found, strict=True):
            results[m if m is not None else -1] = t
        for entry in st.discarded_entries:
            tag = entry.get("content") if isinstance(entry, dict) else None
            fitid = tag.find("fitid") if tag is not None and hasattr(tag, "find") else None
            m = _marker(fitid.get_text() if fitid is not None else None)
            found.append(m)
            results[m if m is not None else -1] = str(entry.get("error", "")).strip()
        expected = sorted(b.index for b in cleaned.blocks if b.statement == stmt.index)
        if sorted(x if x is not None else -1 for x in found) != expected:
            fault = (
                f"the statement starting on line {stmt.line} has {len(expected)} transactions "
                f"but the OFX parser read {len(found)}"
            )
            return {}, {}, f"{fault}; the file looks damaged; {ASK_AGAIN}"
    return results, read, None


# What a bank amount and an OFX date look like. ofxparse is laxer: it reads
# "1E5" as 100000.00, and strptime reads "202671" as 1 July 2026.
_AMOUNT_SHAPE = re.compile(r"[+-]?(?:[0-9][0-9., ]*|\.[0-9]+)|-?null")
_DATE_SHAPE = re.compile(r"[0-9]{8}(?:[0-9]{4}(?:[0-9]{2})?)?")
_OFX_DATES = "OFX writes dates YYYYMMDD, e.g. 20260701"


def _plain_amount(raw: str | None) -> bool:
    return raw is not None and _AMOUNT_SHAPE.fullmatch(raw) is not None


def _plain_date(raw: str | None) -> bool:
    return raw is not None and _DATE_SHAPE.fullmatch(local_time(raw)) is not None


def _money(value: object, raw: str | None) -> str | None:
    """ofxparse's Decimal in the contract's spelling; else the text as written."""
    if _plain_amount(raw) and isinstance(value, int | Decimal) and not isinstance(value, bool):
        text = money_text(format(Decimal(value), "f"))
        if text is not None:
            return "0.00" if text == "-0.00" else text
    return clean_cell(raw)


def _day(value: object, raw: str | None) -> str | None:
    if _plain_date(raw) and isinstance(value, datetime | date):
        return value.isoformat()[:10]
    return clean_cell(raw)


def _mcc(value: str | None) -> str | None:
    v = clean_cell(value)
    return v.zfill(4) if v and v.isdigit() and len(v) < 4 else v


def _why(block: Block, result: object) -> str | None:
    """Why a transaction cannot load, in an officer's words; None when it can.

    ``result`` is ofxparse's Transaction, or its complaint when it discarded it.
    """
    huge = next((k for k, v in block.values.items() if len(v) > LONGEST), None)
    if huge:
        return (
            f"its <{huge}> is {len(block.values[huge]):,} characters long, far longer than any "
            f"bank writes: the file looks damaged; {ASK_AGAIN}"
        )
    if result is None:
        return "the OFX parser returned nothing for this transaction"
    amount, when = block.values.get("TRNAMT"), block.values.get("DTPOSTED")
    shown = {k: v if len(v) <= 40 else v[:40] + "..." for k, v in block.values.items()}
    complaint = result.lower() if isinstance(result, str) else ""
    if not amount:
        return "this transaction has no amount (its <TRNAMT> is missing or empty)"
    if "amount" in complaint or not _plain_amount(amount):
        return f"the amount '{shown['TRNAMT']}' cannot be read as pounds and pence"
    if not when:
        return "this transaction has no date (its <DTPOSTED> is missing or empty)"
    other = any(w in complaint for w in ("name", "type", "fit", "sic", "check"))
    read = isinstance(getattr(result, "date", None), datetime)
    if not _plain_date(when) or (complaint and not other) or not (complaint or read):
        return f"the date '{shown['DTPOSTED']}' is not a real date ({_OFX_DATES})"
    zone_problem = local_time_of(when)[1]
    if zone_problem:
        return zone_problem
    if complaint:
        return f"this transaction could not be read ({result})"
    return None


def _fill(
    parsed: Parsed, text: str, cleaned: Cleaned, results: dict[int, Any], read: dict[int, Any]
) -> None:
    statements = {s.index: s for s in cleaned.statements}
    rows: list[dict[str, Any]] = []
    for block in cleaned.blocks:
        stmt = statements.get(block.statement) if block.statement is not None else None
        result = results.get(block.index)
        if stmt is None:
            why = (
                "this transaction sits outside any bank or credit-card statement "
                "(<STMTRS> or <CCSTMTRS>), so dprecon cannot tell which account it belongs to"
            )
        else:
            why = line_not_pounds(block, stmt) or _why(block, result)
            if why is None:
                rows.append(_row(block, _account(stmt, read.get(stmt.index)), result))
                continue
        parsed.quarantined.append(Quarantined(block.line, why, block.raw(text)))
    parsed.notes += _assign_ids(rows) + currency_notes(cleaned)
    parsed.tables["statement_lines"] = rows_to_frame(statement_lines, rows)
    parsed.tables["statement_balances"] = rows_to_frame(
        statement_balances,
        [
            _balance(s, read.get(s.index))
            for s in cleaned.statements
            if statement_in_pounds(s)
        ],
    )


def _account(stmt: Statement, account: Any) -> str | None:
    """The ``*ACCTFROM`` account: ofxparse takes the first ``<ACCTID>`` it meets."""
    v = stmt.values
    return (
        clean_cell(v.get("BANKACCTFROM/ACCTID") or v.get("CCACCTFROM/ACCTID"))
        or clean_cell(getattr(account, "account_id", None))
        or clean_cell(v.get("ACCTID"))
    )


def _row(block: Block, account_id: str | None, txn: Any) -> dict[str, Any]:
    v = block.values
    trntype = clean_cell(getattr(txn, "type", None))
    return {
        "account_id": account_id,
        "transaction_id": clean_cell(v.get("FITID")),
        "id_source": "bank",
        "date": _day(getattr(txn, "date", None), v.get("DTPOSTED")),
        "amount": _money(getattr(txn, "amount", None), v.get("TRNAMT")),
        "payee": clean_cell(getattr(txn, "payee", None)),
        "memo": clean_cell(getattr(txn, "memo", None)),
        "trntype": trntype.upper() if trntype else None,
        "mcc": _mcc(getattr(txn, "sic", None) or v.get("MCC")),
        "balance": None,
        "source_line": block.line,
    }


def _assign_ids(rows: list[dict[str, Any]]) -> list[str]:
    """Made-up ids where the bank's FITID is missing or not unique for the account."""
    repeated, notes = repeated_bank_ids(rows, "FITID")
    missing = sum(1 for r in rows if not r["transaction_id"])
    if missing:
        notes.append(
            f"{missing} transaction(s) had no bank id (FITID); dprecon gave them ids made "
            "from their content"
        )
    occurrences: Counter[tuple[Any, ...]] = Counter()
    for r in rows:
        content = (r["account_id"], r["date"], r["amount"], r["payee"], r["memo"])
        occurrences[content] += 1
        if not r["transaction_id"] or (r["account_id"], r["transaction_id"]) in repeated:
            r["transaction_id"] = content_id(*content, occurrence=occurrences[content])
            r["id_source"] = "content"
    return notes


def _balance(stmt: Statement, account: Any) -> dict[str, Any]:
    st, v = getattr(account, "statement", None), stmt.values
    return {
        "account_id": _account(stmt, account),
        "start_date": _day(getattr(st, "start_date", None), v.get("DTSTART")),
        "end_date": _day(getattr(st, "end_date", None), v.get("DTEND")),
        "closing_balance": _money(getattr(st, "balance", None), v.get("LEDGERBAL/BALAMT")),
        "closing_date": _day(getattr(st, "balance_date", None), v.get("LEDGERBAL/DTASOF")),
        "source_line": stmt.line,
    }
