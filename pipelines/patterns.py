"""Policy patterns (case-insensitive Python regular expressions) over bank text.

Councils write patterns the way Python reads them (look-arounds included),
so they are evaluated with ``re`` — once per distinct text, not per row. A
pattern that does not compile matches nothing rather than stopping the run.
"""

from __future__ import annotations

import re
from functools import lru_cache

import polars as pl


@lru_cache(maxsize=256)
def compiled(patterns: tuple[str, ...]) -> re.Pattern[str] | None:
    good = []
    for p in patterns:
        try:
            re.compile(p)
            good.append(f"(?:{p})")
        except re.error:
            continue
    return re.compile("|".join(good), re.IGNORECASE) if good else None


def matches_any(texts: pl.Series, patterns: list[str] | tuple[str, ...]) -> pl.Series:
    """Boolean per text: does any pattern match (``re.search``)?"""
    rx = compiled(tuple(patterns))
    if rx is None or len(texts) == 0:
        return pl.Series(texts.name, [False] * len(texts), dtype=pl.Boolean)
    uniq = texts.fill_null("").unique()
    hit = {t: bool(rx.search(t)) for t in uniq.to_list()}
    return texts.fill_null("").replace_strict(hit, return_dtype=pl.Boolean)
