"""Who is this payee? The one place bank text is read for names and patterns.

Classification (``pipelines/classify.py``), payment matching
(``pipelines/match.py``) and the rules all ask it here, so one register row
can never pay an invoice in matching yet count as unapproved in
classification.

* **The search text** of a transaction is its payee and memo joined by a
  space (either may carry the name): payee ``"FP C TAYLOR"``, memo
  ``"WAGES WK 12"`` → ``"FP C TAYLOR WAGES WK 12"``.
* **Patterns** (the register's ``payee_patterns``, split on ``|``, and the
  policy's ``*_payee_patterns``) are case-insensitive Python regular
  expressions searched anywhere in that text. A pattern that is not a valid
  regular expression (``care (uk``, a register typo) is read as the plain
  text it spells, everywhere: it never stops the run and never silently
  matches nothing in one place but something in another.
* **Which providers** a text names: every provider with a pattern that
  matches, lowest id first. Names collide on large registers ("M PARKER
  WAGES" can match several personal assistants), so all are kept and the
  caller picks (the one the budget's plan names, else the lowest id).
* **The payee as a person reads it** (``normalise_payee``): for grouping
  payments to one payee, references dropped: ``"M MILLER 0423"`` and
  ``"M Miller"`` are both ``"M MILLER"``.

Example: provider PA01 has ``payee_patterns`` ``\\bC TAYLOR\\b|CTAYLOR``.
A −£150.00 payment "C TAYLOR WAGES" names PA01, so classification puts the
£150.00 on the plan line naming PA01 and matching may settle PA01's £150.00
invoice with it; "C TAYLORSON" names nobody in either.
"""

from __future__ import annotations

import re
from functools import lru_cache

import polars as pl

TEXT = "text"
_REGEX_META = re.compile(r"[\\^$.|?*+()\[\]{}]")
_BOUNDED = re.compile(r"\\b([^\\^$.|?*+()\[\]{}]+)\\b")
_PAYEE_JUNK = re.compile(r"[^A-Z ]+")
_GLOBAL_FLAGS = re.compile(r"\(\?([imsx]+)\)")


# ---- the search text ---------------------------------------------------------


def search_text() -> pl.Expr:
    """Payee and memo as one searchable text, named ``text``."""
    return pl.concat_str(
        [pl.col("payee").fill_null(""), pl.col("memo").fill_null("")], separator=" "
    ).alias(TEXT)


# ---- patterns ----------------------------------------------------------------


def split_patterns(text: str | None) -> list[str]:
    """``"acme care|acme ltd "`` → ``["acme care", "acme ltd"]``; blanks dropped."""
    if not text:
        return []
    return [p.strip() for p in text.split("|") if p.strip()]


def _scoped(pattern: str) -> str:
    """``(?i)ltd$`` → ``(?i:ltd$)``: a leading global flag, kept for this pattern alone
    (patterns are joined with ``|``, where a global flag is not allowed)."""
    m = _GLOBAL_FLAGS.match(pattern)
    return f"(?{m.group(1)}:{pattern[m.end():]})" if m else pattern


@lru_cache(maxsize=1 << 16)
def valid_regex(pattern: str) -> bool:
    """Can the pattern be read as a regular expression (among others, joined with ``|``)?

    Remembered: a council's register has thousands of patterns, read on every night, and
    more than ``re``'s own cache holds, so each was compiled again every time it was asked."""
    try:
        re.compile(f"(?:{_scoped(pattern)})")
    except re.error:
        return False
    return True


def as_regex(pattern: str) -> str:
    """The regular expression a pattern stands for: itself, or its plain text if it is not one."""
    return _scoped(pattern) if valid_regex(pattern) else re.escape(pattern)


@lru_cache(maxsize=1 << 16)
def _ignoring_case(pattern: str) -> re.Pattern[str]:
    return re.compile(as_regex(pattern), re.IGNORECASE)


@lru_cache(maxsize=4096)
def compiled(patterns: tuple[str, ...]) -> re.Pattern[str] | None:
    """One case-insensitive regex for any of the patterns (None when there are none)."""
    parts = [f"(?:{as_regex(p)})" for p in patterns if p]
    return re.compile("|".join(parts), re.IGNORECASE) if parts else None


def matches_any(texts: pl.Series, patterns: list[str] | tuple[str, ...]) -> pl.Series:
    """Boolean per text: does any pattern match? Each distinct text is searched once."""
    rx = compiled(tuple(patterns))
    if rx is None or len(texts) == 0:
        return pl.Series(texts.name, [False] * len(texts), dtype=pl.Boolean)
    filled = texts.cast(pl.String).fill_null("")
    hit = {t: bool(rx.search(t)) for t in filled.unique().to_list()}
    return filled.replace_strict(hit, return_dtype=pl.Boolean)


# ---- which providers a text names --------------------------------------------


def provider_patterns(providers: pl.DataFrame) -> list[tuple[str, str]]:
    """(provider_id, pattern) pairs of the register, lowest provider_id first."""
    out = []
    rows = providers.sort("provider_id").select("provider_id", "payee_patterns").iter_rows()
    for pid, patterns in rows:
        out += [(str(pid), p) for p in split_patterns(patterns)]
    return out


def payee_providers(texts: pl.Series, providers: pl.DataFrame) -> pl.Series:
    """Every provider whose payee pattern each text matches, lowest provider_id first.

    Plain-text patterns (and word-bounded ones like ``\\bJ SHAW\\b``) go through
    one Aho-Corasick pass over all texts; a word-bounded hit is then confirmed
    with its regex. Other regexes are searched once per distinct text.
    """
    pairs = provider_patterns(providers)
    result: list[set[str]] = [set() for _ in range(len(texts))]
    if pairs and len(texts):
        literal: dict[str, list[tuple[str, re.Pattern[str] | None]]] = {}
        regexes: list[tuple[str, str]] = []
        for pid, p in pairs:
            core = _BOUNDED.fullmatch(p)
            if not valid_regex(p) or not _REGEX_META.search(p):
                literal.setdefault(p.upper(), []).append((pid, None))
            elif core:
                literal.setdefault(core.group(1).upper(), []).append((pid, _ignoring_case(p)))
            else:
                regexes.append((pid, p))
        upper = texts.cast(pl.String).fill_null("").str.to_uppercase()
        if literal:
            found = upper.str.extract_many(
                list(literal), overlapping=True, ascii_case_insensitive=True
            )
            for i, (hits, text) in enumerate(zip(found.to_list(), upper.to_list(), strict=True)):
                for h in hits or []:
                    for pid, rx in literal[h.upper()]:
                        if rx is None or rx.search(text):
                            result[i].add(pid)
        for pid, p in regexes:
            for i, m in enumerate(matches_any(upper, [p]).to_list()):
                if m:
                    result[i].add(pid)
    return pl.Series("providers", [sorted(r) for r in result], dtype=pl.List(pl.String))


def provider_pairs(cands: pl.DataFrame, providers: pl.DataFrame) -> pl.DataFrame:
    """Keep the ``(p, provider_id)`` rows of ``cands`` whose ``text`` names that provider.

    Each distinct text is read once (statements repeat the same payee week
    after week), by :func:`payee_providers`, as classification reads it.
    """
    schema = {"p": pl.UInt32, "provider_id": pl.String}
    distinct = cands.select(TEXT).unique()
    if distinct.height == 0:
        return pl.DataFrame(schema=schema)
    named = (
        distinct.with_columns(payee_providers(distinct[TEXT], providers).alias("provider_id"))
        .explode("provider_id")
        .drop_nulls("provider_id")
    )
    return (
        cands.with_columns(pl.col("provider_id").cast(pl.String))
        .join(named, on=[TEXT, "provider_id"])
        .select(pl.col("p").cast(pl.UInt32), "provider_id")
        .unique()
        .sort("p", "provider_id")
    )


# ---- the payee as a person reads it --------------------------------------------


def normalise_payee(text: str | None) -> str:
    """Upper case; references (any token with a digit) dropped; punctuation removed.

    ``"WILLOWS SHORT BREAKS WIL-00341-013"`` and ``"Willows Short Breaks"`` are
    the same payee; so are ``"M MILLER 0423"`` and ``"M MILLER"``.
    """
    words = [w for w in (text or "").upper().split() if not any(c.isdigit() for c in w)]
    return " ".join(_PAYEE_JUNK.sub(" ", " ".join(words)).split())


def payee_expr() -> pl.Expr:
    """The payee (else the memo) as :func:`normalise_payee` reads it."""
    return (
        pl.col("payee")
        .fill_null(pl.col("memo"))
        .fill_null("")
        .map_batches(_normalise_each, return_dtype=pl.String)
    )


def _normalise_each(texts: pl.Series) -> pl.Series:
    """:func:`normalise_payee` once per distinct text: a year's 200,000 transactions
    have a few thousand payees, and a Python call per row was most of the cost."""
    read = {t: normalise_payee(t) for t in texts.unique().to_list()}
    return texts.replace_strict(read, return_dtype=pl.String)
