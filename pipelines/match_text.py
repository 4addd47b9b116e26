"""Reading bank text for payment matching: invoice references, payee patterns, names.

Three questions are asked of a payment's payee and memo, all of them
vectorised over frames (no payment is compared with every invoice):

* **Which invoice ids does it name?** Text and ids are reduced to upper-case
  runs of letters and digits ("tokens"). An id is named when a run of 1..N
  consecutive tokens of one field, glued together, equals the id glued
  together, so ``INV-000123``, ``inv000123`` and ``INV 000123`` all name
  invoice ``INV-000123``, while ``INV-0001234`` does not (token boundary).
  A field the bank cut short may end in the *start* of an id
  (``ACME CARE INV-0001``): that names the one document of the budget whose
  id begins so, if exactly one does and the cut keeps at least
  :data:`MIN_TRUNCATED_CHARS` characters including a digit.
* **Does it match a provider's ``payee_patterns``?** Asked of
  :mod:`pipelines.payees`, the one payee matcher classification uses too.
* **How close is it to a provider's name?** ``fuzz.token_set_ratio`` on
  upper-case text stripped of digits and punctuation.
"""

from __future__ import annotations

import re

import polars as pl
from rapidfuzz import fuzz

# An id shorter than this, or without a digit, is not looked for in free
# text: "7" or "MARCH" would be found in far too many memos.
MIN_REFERENCE_CHARS = 4
MIN_TRUNCATED_CHARS = 6
MAX_TOKENS = 6
TOKEN = r"[A-Z0-9]+"

REFERENCE_SLICE = 50_000  # payments whose tokens are read at once

REF_SCHEMA = {"p": pl.UInt32, "i": pl.UInt32, "truncated": pl.Boolean}


def id_key(col: str) -> pl.Expr:
    """An id as bank text would carry it: upper case, letters and digits only."""
    return pl.col(col).str.to_uppercase().str.replace_all(r"[^A-Z0-9]", "")


def _tokens(pays: pl.DataFrame) -> pl.DataFrame:
    """One row per token of each payee and memo: ``f`` (the field), ``p, budget_id, tok``.

    Rows of one field are consecutive, so a run of tokens is a plain shift.
    """
    long = pl.concat(
        [
            pays.select("p", "budget_id", pl.col("payee").alias("text")),
            pays.select("p", "budget_id", pl.col("memo").alias("text")),
        ]
    )
    return (
        long.filter(pl.col("text").is_not_null())
        .with_row_index("f")
        .select(
            "f",
            "p",
            "budget_id",
            pl.col("text").str.to_uppercase().str.extract_all(TOKEN).alias("tok"),
        )
        .explode("tok")
        .drop_nulls("tok")
    )


def _runs(tokens: pl.DataFrame, n: int) -> pl.DataFrame:
    """Every run of ``n`` consecutive tokens of a field glued together (``gram``),
    and whether it ends the field (``tail``)."""
    same_field = pl.col("f").shift(-(n - 1)) == pl.col("f")
    return tokens.select(
        "p",
        "budget_id",
        pl.concat_str([pl.col("tok").shift(-k) for k in range(n)]).alias("gram"),
        pl.col("f").shift(-n).ne_missing(pl.col("f")).alias("tail"),
        same_field.alias("keep"),
    ).filter(pl.col("keep"))


def find_references(pays: pl.DataFrame, docs: pl.DataFrame) -> pl.DataFrame:
    """Which invoices each payment names: ``p, i, truncated``, one row per pair.

    ``pays``: ``p, budget_id, payee, memo``. ``docs``: every invoice and credit
    note with ``invoice_id, budget_id`` and ``i`` (null for credit notes, which
    cannot be paid but still make a cut-short id ambiguous).
    """
    keys = docs.select(
        "i",
        "budget_id",
        id_key("invoice_id").alias("key"),
        pl.col("invoice_id").str.to_uppercase().str.extract_all(TOKEN).list.len().alias("parts"),
    ).filter(
        pl.col("key").str.len_chars() >= MIN_REFERENCE_CHARS, pl.col("key").str.contains("[0-9]")
    )
    if keys.height == 0 or pays.height == 0:
        return pl.DataFrame(schema=REF_SCHEMA)
    # The bank may split an id once more than the id itself is split ("INV 000123").
    n_max = min(MAX_TOKENS, int(keys["parts"].max() or 1) + 1)
    named = keys.filter(pl.col("i").is_not_null())

    # Cut-short ids: the prefixes of each id that no other document of the
    # budget shares (an id's full key counts as one of its prefixes).
    prefixes = (
        keys.with_columns(
            pl.int_ranges(MIN_TRUNCATED_CHARS, pl.col("key").str.len_chars() + 1).alias("n")
        )
        .explode("n")
        .drop_nulls("n")
        .with_columns(pl.col("key").str.slice(0, pl.col("n")).alias("prefix"))
        .with_columns(pl.len().over("budget_id", "prefix").alias("docs"))
        .filter(
            pl.col("docs") == 1,
            pl.col("prefix") != pl.col("key"),
            pl.col("prefix").str.contains("[0-9]"),
            pl.col("i").is_not_null(),
        )
        .select("i", "budget_id", "prefix")
    )
    # One run length at a time, keeping only what names an id: every run of every
    # length at once held some 220 MiB for a council of 2,000 accounts (issue 20).
    # And the payments a slice at a time (a field's tokens never span two payments):
    # every payment's tokens at once were some 180 MiB at 5,000 accounts.
    found = []
    for start in range(0, pays.height, REFERENCE_SLICE):
        tokens = _tokens(pays.slice(start, REFERENCE_SLICE))
        for n in range(1, n_max + 1):
            runs = _runs(tokens, n).filter(pl.col("gram").str.len_chars() >= MIN_REFERENCE_CHARS)
            found.append(runs.join(named, left_on=["budget_id", "gram"], right_on=["budget_id", "key"])
                         .select("p", "i", pl.lit(False).alias("truncated")))
            found.append(runs.filter(pl.col("tail"), pl.col("gram").str.len_chars() >= MIN_TRUNCATED_CHARS)
                         .join(prefixes, left_on=["budget_id", "gram"], right_on=["budget_id", "prefix"])
                         .select("p", "i", pl.lit(True).alias("truncated")))
        del tokens, runs
    both = pl.concat(found).cast(REF_SCHEMA)
    # Named in full somewhere beats named cut short elsewhere.
    return both.group_by("p", "i").agg(pl.col("truncated").all()).sort("p", "i").cast(REF_SCHEMA)


# ---- names, for the fuzzy pass ----------------------------------------------

_REGEX_ESCAPE = re.compile(r"\\[A-Za-z]")
_NOT_LETTER = re.compile(r"[^A-Z]+")


def name_text(text: str | None) -> str:
    """Upper-case letters only: ``"Acme Care Ltd 0421"`` → ``"ACME CARE LTD"``."""
    if not text:
        return ""
    return " ".join(_NOT_LETTER.sub(" ", _REGEX_ESCAPE.sub(" ", text).upper()).split())


def name_score(texts: list[str], names: list[str]) -> int:
    """Best ``token_set_ratio`` between any of the texts and any of the names, in
    hundredths of a point (0..10000): whole numbers, so a score of exactly 90
    is never a hair under it."""
    best = 0
    for t in texts:
        if not t:
            continue
        for n in names:
            if n:
                best = max(best, round(fuzz.token_set_ratio(t, n, processor=None) * 100))
    return best
