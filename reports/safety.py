"""Making bank text safe to put in front of people.

Payee names come from banks and families: ``=HYPERLINK("http://evil","Click")``
is a real payee string. In a CSV or spreadsheet a cell starting with ``=``,
``+``, ``-``, ``@``, a tab or a carriage return may run as a formula, so such
text cells get a leading apostrophe (OWASP's advice; Excel shows the text
as written). Money stays a number, never text, so it is not touched. HTML is
escaped by Jinja's autoescape, never by hand.
"""

from __future__ import annotations

from decimal import Decimal

DANGEROUS_FIRST = ("=", "+", "-", "@", "\t", "\r", "\n", "|", "%")


def defuse(value: object) -> object:
    if isinstance(value, str) and value.startswith(DANGEROUS_FIRST):
        return "'" + value
    return value


def defuse_row(row: dict) -> dict:
    return {k: (v if isinstance(v, Decimal | int) else defuse(v)) for k, v in row.items()}
