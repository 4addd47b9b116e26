"""From landed rows to the ledger the reconciliation works on.

* The register is whatever the council sent last (``budgets.csv`` is
  replaced wholesale, not merged), except that a row it had to set aside
  keeps its last good version: :mod:`pipelines.register`.
* A transaction is counted once however many statements carry it: the same
  ``(account_id, transaction_id)`` in an overlapping re-download is the same
  money. The first file that brought it keeps the lineage; a bank's
  correction (same id, other content) is :mod:`pipelines.corrections`.
* A document is its provider, its kind and its number: an invoice resent
  with different content is a new version of it, and the latest version is
  the one that counts (earlier ones stay in ``land``); a credit note never
  replaces an invoice that shares its number, nor one provider's invoice
  another's. Example: provider P1's invoice INV-7 for £120.00, then P1's
  credit note INV-7 for £20.00: two documents, £100.00 owed; P1 resending
  invoice INV-7 at £110.00 makes version 2 of the invoice, and £90.00 owed.
* A transaction belongs to the budget of its account whose term covers its
  date (the later start wins if two do), see docs/rules.md §2.

Example: account 12345678 has budget B1 (2025-04-01 → 2026-03-31) and its
renewal B2 (2026-04-01 → 2027-03-31). A £40.00 payment on 2026-04-02 belongs
to B2; one on 2027-04-10 belongs to no term (``budget_id`` empty; the
``OUTSIDE_TERM`` rule attributes it to B2).
"""

from __future__ import annotations

from decimal import Decimal

import polars as pl

from pipelines.rules import gbp
from schemas.core import Table


def attach_budgets(txns: pl.DataFrame, budgets: pl.DataFrame) -> pl.DataFrame:
    """Add ``budget_id``: the budget of the account whose term covers the date."""
    terms = budgets.select("budget_id", "account_id", "start_date", "end_date")
    if txns.height == 0 or terms.height == 0:
        return txns.with_columns(pl.lit(None, pl.String).alias("budget_id"))
    keyed = txns.with_row_index("__row")
    cand = (
        keyed.select("__row", "account_id", "date")
        .join(terms, on="account_id", how="inner")
        .filter((pl.col("date") >= pl.col("start_date")) & (pl.col("date") <= pl.col("end_date")))
        .sort(["__row", "start_date"], descending=[False, True])
        .unique("__row", keep="first")
        .select("__row", "budget_id")
    )
    return keyed.join(cand, on="__row", how="left").sort("__row").drop("__row")


DOCUMENT = ["provider_id", "kind", "invoice_id"]  # what makes one invoice or credit note


def current_invoices(lines: pl.DataFrame) -> pl.DataFrame:
    """The latest version of each document (provider, kind, number)."""
    if lines.height == 0:
        return lines
    return lines.sort([*DOCUMENT, "version"]).unique(DOCUMENT, keep="last", maintain_order=True)


def version_invoices(incoming: pl.DataFrame, known: pl.DataFrame) -> pl.DataFrame:
    """The incoming invoice rows that are new content, numbered as versions.

    ``incoming`` carries ``content_hash`` (of all its columns); ``known`` is
    what land holds (``DOCUMENT`` columns, content_hash, version). A row whose
    document already has that very content is not new (a resent file); the
    others become the next versions of their document, in arrival order.
    """
    key = [*DOCUMENT, "content_hash"]
    fresh = (incoming.join(known.select(key), on=key, how="anti", nulls_equal=True)
             .unique(key, keep="first", maintain_order=True))
    top = known.group_by(DOCUMENT).agg(pl.col("version").max().alias("__v0"))
    return (fresh.join(top, on=DOCUMENT, how="left", nulls_equal=True)
            .with_columns((pl.col("__v0").fill_null(0) + pl.col("invoice_id").cum_count().over(DOCUMENT))
                          .cast(pl.Int64).alias("version"))
            .drop("__v0"))


INVOICE_FIELDS = ("budget_id", "issue_date", "due_date", "period_start", "period_end", "category",
                  "units", "unit_rate", "amount", "billing_reference")


def invoice_notes(fresh: pl.DataFrame, earlier: pl.DataFrame) -> dict[str, str]:
    """For each file (file_id) that brought a new version of a document already
    known, the sentence its log carries: which document, from which file, what changed.

    ``fresh`` is :func:`version_invoices`' answer; ``earlier`` the versions
    land already held of those documents (any columns of land.invoice_lines).
    """
    later = fresh.filter(pl.col("version") > 1)
    if later.height == 0:
        return {}
    cols = [c for c in (*DOCUMENT, "version", *INVOICE_FIELDS, "source_path") if c in fresh.columns]
    every = pl.concat([earlier.select(cols), fresh.select(cols)], how="diagonal_relaxed")
    before = every.with_columns((pl.col("version") + 1).alias("version"))
    pairs = later.join(before, on=[*DOCUMENT, "version"], how="inner", suffix="__was", nulls_equal=True)
    by_file: dict[str, dict[str, list[str]]] = {}
    for r in pairs.iter_rows(named=True):
        changed = [f"{c.replace('_', ' ')} {_shown(r[f'{c}__was'])} → {_shown(r[c])}"
                   for c in INVOICE_FIELDS if f"{c}__was" in r and r[c] != r[f"{c}__was"]]
        what = f"{r['kind'].replace('_', ' ')} {r['invoice_id']} of {r['provider_id']}"
        by_file.setdefault(r["file_id"], {}).setdefault(r["source_path__was"], []).append(
            f"{what} ({', '.join(changed) or 'content changed'})")
    return {fid: "; ".join(f"replaces {len(items)} document(s) loaded from {src}: {', '.join(sorted(items))}"
                           for src, items in sources.items())
            for fid, sources in by_file.items()}


def _shown(v: object) -> str:
    if isinstance(v, Decimal) and v.as_tuple().exponent == -2:
        return gbp(v)
    return "(none)" if v is None else str(v)


def conform(frame: pl.DataFrame, table: Table) -> pl.DataFrame:
    """Select and type exactly the declared columns (missing ones as nulls)."""
    missing = [c for c in table.names if c not in frame.columns]
    if missing:
        frame = frame.with_columns([pl.lit(None).alias(c) for c in missing])
    return frame.select(table.names).cast(table.polars_schema())
