"""How well the exceptions raised match a simulated council's ground truth.

Compared on ``(budget_id, rule_code, period_start)`` (docs/rules.md §5).
Precision = flags that are in the truth / flags raised; recall = truth rows
that were flagged / truth rows. A rule with nothing raised and nothing
expected scores 1.0 on both.
"""

from __future__ import annotations

import polars as pl

KEY = ["budget_id", "rule_code", "period_start"]


def _keys(frame: pl.DataFrame) -> pl.DataFrame:
    return as_dates(frame).select(pl.col("budget_id").cast(pl.String), pl.col("rule_code").cast(pl.String),
                                  "period_start").unique()


def as_dates(frame: pl.DataFrame) -> pl.DataFrame:
    if frame.schema["period_start"] == pl.String:
        return frame.with_columns(pl.col("period_start").str.to_date())
    return frame


def score(expected: pl.DataFrame, raised: pl.DataFrame) -> pl.DataFrame:
    e, r = _keys(expected), _keys(raised)
    tp = e.join(r, on=KEY, how="inner").group_by("rule_code").len("tp")
    ne = e.group_by("rule_code").len("expected")
    nr = r.group_by("rule_code").len("raised")
    rules = pl.concat([e.select("rule_code"), r.select("rule_code")]).unique()
    out = (rules.join(ne, on="rule_code", how="left").join(nr, on="rule_code", how="left")
           .join(tp, on="rule_code", how="left").fill_null(0))
    return out.with_columns(
        pl.when(pl.col("raised") > 0).then(pl.col("tp") / pl.col("raised")).otherwise(1.0).round(3).alias("precision"),
        pl.when(pl.col("expected") > 0).then(pl.col("tp") / pl.col("expected")).otherwise(1.0).round(3).alias("recall"),
    ).sort("rule_code")


def misses(expected: pl.DataFrame, raised: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(truth rows not flagged, flags not in the truth) for looking into."""
    e, r = as_dates(expected), as_dates(raised)
    return e.join(r.select(KEY), on=KEY, how="anti"), r.join(e.select(KEY), on=KEY, how="anti")


RECOVERY_KEY = ["budget_id", "rule_code", "period_start"]


def recovery_accuracy(expected: pl.DataFrame, got: pl.DataFrame) -> dict:
    """How many of the simulation's recoveries dprecon found, and with the right status and repaid sum.

    ``expected``: ``expected_recoveries.csv`` (money as text, to the penny); ``got``:
    ``audit.recoveries`` joined to its exception's ``rule_code`` and ``period_start``."""
    e = as_dates(expected).select(*RECOVERY_KEY, pl.col("status").alias("want_status"),
                                  pl.col("repaid").cast(pl.String).alias("want_repaid"))
    g = as_dates(got).select(*RECOVERY_KEY, "status", pl.col("repaid").cast(pl.String).alias("repaid"))
    both = e.join(g, on=RECOVERY_KEY, how="left")
    found = both.filter(pl.col("status").is_not_null())
    return {
        "recoveries": e.height,
        "found": found.height,
        "status_right": found.filter(pl.col("status") == pl.col("want_status")).height,
        "repaid_right": found.filter(pl.col("repaid") == pl.col("want_repaid")).height,
        "extra": g.join(e, on=RECOVERY_KEY, how="anti").height,
    }
