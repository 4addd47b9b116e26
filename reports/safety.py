"""Making bank and family text safe to put in front of people: the one defusing for every CSV and XLSX we write.

Payee names come from banks and families: ``=HYPERLINK("http://evil","Click")``
is a real payee string, and a family's note may start ``@SUM(…)``. In a CSV
or spreadsheet a cell starting with ``=``, ``+``, ``-``, ``@``, ``|`` or
``%``, or with a tab, carriage return or line feed, may run as a formula, so
such text cells get a leading apostrophe (OWASP's advice; Excel shows the
text as written). Spreadsheets are more forgiving than that list: they skip
spaces and invisible characters before a formula, and some read the
full-width ``＝＋－＠`` (and the small ``﹦﹢﹣﹫``) as their plain forms. So the
check looks past any leading whitespace (a no-break or ideographic space
too) and invisible format characters (zero-width space and joiners, word
joiner, byte-order mark, soft hyphen, direction marks), and compares the
first visible character in its compatibility form (NFKC).

Examples: ``=1+1`` → ``'=1+1``; ``\u200b=1+1`` → ``'\u200b=1+1``; ``＠SUM(A1)`` →
``'＠SUM(A1)``; ``  +44 20…`` → ``'  +44 20…``; ``M MILLER`` and ``£42.00 for
the window cleaner`` unchanged. Money stays a number, never text, so it is
not touched. HTML is escaped by Jinja's autoescape, never by hand.
"""

from __future__ import annotations

import unicodedata
from decimal import Decimal

FORMULA_FIRST = frozenset("=+-@|%")
CONTROL_FIRST = ("\t", "\r", "\n")


def dangerous(text: str) -> bool:
    """Whether a spreadsheet could take this text for a formula."""
    if text.startswith(CONTROL_FIRST):
        return True
    for ch in text:
        if ch.isspace() or unicodedata.category(ch) in ("Cf", "Cc"):
            continue  # invisible: a spreadsheet looks past it
        return bool(FORMULA_FIRST & set(unicodedata.normalize("NFKC", ch)[:1]))
    return False


def defuse(value: object) -> object:
    if isinstance(value, str) and dangerous(value):
        return "'" + value
    return value


def defuse_row(row: dict) -> dict:
    return {k: (v if isinstance(v, Decimal | int) else defuse(v)) for k, v in row.items()}
