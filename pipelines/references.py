"""The short reference printed on a family's evidence return for one payment.

Bank ids are long and repeat across accounts (``202507050001`` is a date and
a counter), so each payment gets its own: ``E`` and seven hex characters of a
hash of its account and bank id. The £415.00 payment ``T123`` on account
``40001234`` is always printed as the same reference, night after night, and
a family quoting it on a receipt names that payment and no other.
"""

from __future__ import annotations

import hashlib

import polars as pl


def evidence_ref(account_id: str, transaction_id: str) -> str:
    return "E" + hashlib.sha256(f"{account_id}|{transaction_id}".encode()).hexdigest()[:7].upper()


def with_evidence_refs(txns: pl.DataFrame) -> pl.DataFrame:
    """Add ``evidence_ref`` to transactions with ``account_id, transaction_id``."""
    refs = [evidence_ref(a, t) for a, t in txns.select("account_id", "transaction_id").iter_rows()]
    return txns.with_columns(pl.Series("evidence_ref", refs, dtype=pl.String))
