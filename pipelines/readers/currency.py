"""Pounds only: the one rule every reader applies to the currency a file or a
line declares (contract §1, statements and invoices).

Direct payments are paid into the account in pounds sterling and spent from
it in pounds, so every amount dprecon loads must be pounds. A statement or an
invoice in another currency is never read as pounds: it is set aside with a
reason that names the currency, and the officer asks for the sterling
statement or a sterling invoice.

Where a file says which currency it is in:

* OFX: ``<CURDEF>`` is the statement's currency. A ``<CURRENCY>`` aggregate
  on a transaction says *that* amount is in its ``<CURSYM>`` instead. An
  ``<ORIGCURRENCY>`` says the amount has already been converted into the
  statement's currency from ``<CURSYM>`` (a card purchase abroad): in a
  sterling statement it is pounds and loads as such.
* UBL: ``cbc:DocumentCurrencyCode`` and the ``currencyID`` of the amounts.
* A bank CSV profile's ``currency`` column, and a currency sign written
  into a money cell (``$12.00``, ``€5``, ``12.00 USD``).

Worked example. A sterling prepaid-card statement holds a £12.50 purchase and
a line ``<TRNAMT>-40.00`` inside ``<CURRENCY><CURSYM>EUR``: the £12.50 loads;
the €40.00 is quarantined with "this transaction is in euros (EUR), not
pounds sterling ...". A statement whose ``<CURDEF>`` is ``USD`` has every
line quarantined with "this statement is in US dollars (USD) ...". A
``<TRNAMT>-34.20`` with ``<ORIGCURRENCY><CURSYM>EUR`` in that sterling
statement loads as -34.20 pounds: the bank converted it.
"""

from __future__ import annotations

import re

POUNDS = "GBP"
NAMES = {
    "AUD": "Australian dollars",
    "BRL": "Brazilian reais",
    "CAD": "Canadian dollars",
    "CHF": "Swiss francs",
    "CNY": "Chinese yuan",
    "DKK": "Danish kroner",
    "EUR": "euros",
    "GBX": "pence (GBX)",
    "HKD": "Hong Kong dollars",
    "INR": "Indian rupees",
    "JPY": "Japanese yen",
    "NOK": "Norwegian kroner",
    "NZD": "New Zealand dollars",
    "PLN": "Polish zloty",
    "SEK": "Swedish kronor",
    "USD": "US dollars",
    "ZAR": "South African rand",
}
# Signs that name a currency other than pounds when written into a money cell.
_SIGNS = {"$": "a dollar currency ($)", "€": "EUR", "¥": "JPY", "₹": "INR", "zł": "PLN"}
_SPELLINGS = {"£": POUNDS, "STERLING": POUNDS, "POUNDS": POUNDS, "UKL": POUNDS}
_CODE_IN_CELL = re.compile(r"(?<![A-Z])([A-Z]{3})(?![A-Z])")
# Digits, signs, separators, brackets and spaces only: no sign of _SIGNS, no letter of a code.
_NO_CURRENCY = re.compile(r"[0-9.,+\-() ]*").fullmatch


def currency_code(value: str | None) -> str | None:
    """The declared currency as an upper-case code; None when nothing is declared.

    >>> currency_code(" gbp "), currency_code("£"), currency_code(""), currency_code("eur")
    ('GBP', 'GBP', None, 'EUR')
    """
    if value is None:
        return None
    v = " ".join(value.split()).upper()
    if not v:
        return None
    return _SPELLINGS.get(v, v)


def describe_currency(code: str) -> str:
    """``USD`` -> ``US dollars (USD)``; an unknown code is shown as written."""
    name = NAMES.get(code)
    if name and "(" in name:
        return name
    return f"{name} ({code})" if name else f"'{code}'"


def not_pounds(currency: str | None, what: str) -> str | None:
    """The reason ``what`` (e.g. "this statement") cannot load, or None when
    it is in pounds (or declares no currency: the contract's default).

    >>> not_pounds("GBP", "this statement") is None
    True
    >>> not_pounds("cad", "this statement")
    'this statement is in Canadian dollars (CAD), not pounds sterling: direct payments are made in pounds, so it was not loaded (ask for the sterling statement or invoice)'
    """
    code = currency_code(currency)
    if code is None or code == POUNDS:
        return None
    return (
        f"{what} is in {describe_currency(code)}, not pounds sterling: direct payments are "
        "made in pounds, so it was not loaded (ask for the sterling statement or invoice)"
    )


def currency_in_cell(text: str | None) -> str | None:
    """The currency a money cell names other than pounds, else None.

    >>> currency_in_cell("$12.00"), currency_in_cell("12.00 EUR"), currency_in_cell("£1,234.50")
    ('a dollar currency ($)', 'EUR', None)
    >>> currency_in_cell("12.50 CR"), currency_in_cell("GBP 3.00")
    (None, None)
    """
    if not text or _NO_CURRENCY(text):  # an amount as most cells hold one: 231.02
        return None
    return _named_currency(text)


def _named_currency(text: str) -> str | None:
    """:func:`currency_in_cell`, looking at every sign and code whatever the text."""
    for sign, code in _SIGNS.items():
        if sign in text:
            return code
    for m in _CODE_IN_CELL.finditer(text.upper()):
        if m.group(1) != POUNDS and m.group(1) in NAMES:
            return m.group(1)
    return None


def cell_not_pounds(text: str | None, what: str) -> str | None:
    """:func:`not_pounds` for a currency written into a money cell."""
    found = currency_in_cell(text)
    if found is None:
        return None
    if found in NAMES:
        return not_pounds(found, what)
    return (
        f"{what} is in {found}, not pounds sterling: direct payments are made in pounds, "
        "so it was not loaded (ask for the sterling statement or invoice)"
    )
