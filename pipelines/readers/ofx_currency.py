"""Which currency an OFX transaction is in (the rule itself is
:mod:`pipelines.readers.currency`).

``<CURDEF>`` is the statement's currency. A ``<CURRENCY>`` aggregate on a
transaction means its amount is in that ``<CURSYM>`` instead; an
``<ORIGCURRENCY>`` means the bank has already converted it into the
statement's currency (a £34.20 hotel bill paid in euros on a sterling card
statement loads as -34.20 pounds, with a note).
"""

from __future__ import annotations

from pipelines.readers.currency import currency_code, describe_currency, not_pounds
from pipelines.readers.ofx_clean import Block, Cleaned, Statement


def statement_in_pounds(stmt: Statement) -> bool:
    """Whether the statement's balance is pounds (no ``<CURDEF>`` counts as pounds)."""
    return not_pounds(stmt.values.get("CURDEF"), "") is None


def line_not_pounds(block: Block, stmt: Statement) -> str | None:
    """The currency reason when this transaction's amount is not pounds.

    ``<CURRENCY>`` on the transaction names the currency its amount is in;
    otherwise it is the statement's ``<CURDEF>``. ``<ORIGCURRENCY>`` only
    says where a converted amount came from: it does not change the currency.
    """
    own = block.values.get("CURRENCY/CURSYM")
    if own:
        return not_pounds(own, "this transaction")
    return not_pounds(stmt.values.get("CURDEF"), "this statement")


def currency_notes(cleaned: Cleaned) -> list[str]:
    notes = [
        f"the statement starting on line {s.line} is in "
        f"{describe_currency(currency_code(s.values['CURDEF']) or '')}: its transactions were "
        "set aside and its balance not loaded"
        for s in cleaned.statements
        if not_pounds(s.values.get("CURDEF"), "")
    ]
    converted = sorted(
        {
            currency_code(b.values["ORIGCURRENCY/CURSYM"]) or ""
            for b in cleaned.blocks
            if b.values.get("ORIGCURRENCY/CURSYM") and not b.values.get("CURRENCY/CURSYM")
        }
        - {"GBP"}
    )
    if converted:
        notes.append(
            f"some transactions were converted by the bank from {', '.join(converted)} into the "
            "statement's currency (<ORIGCURRENCY>); their amounts are as the bank converted them"
        )
    return notes
