"""Run every rule and settle each exception's status against history and reviews.

Status: ``open`` while the condition holds; ``resolved`` when a flag raised on
an earlier night is no longer raised; an officer's latest decision
(``confirmed``, ``dismissed``, ``recovered``, ``referred``) overrides both.
``first_seen`` is the run date it was first raised; ``last_seen`` the run date
it was last raised.
"""

from __future__ import annotations

from datetime import date

import polars as pl

from pipelines.decisions import apply_decisions
from pipelines.rules import Books
from pipelines.rules.registry import declared
from schemas.warehouse import exceptions as exceptions_table

RAISED = {k: v for k, v in exceptions_table.polars_schema().items()
          if k not in ("first_seen", "last_seen", "status")}


def raise_all(books: Books) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Return ``(exceptions raised now, evidence returns)``."""
    return raise_rules(books, declared()), books.returns


def raise_rules(books: Books, rules) -> pl.DataFrame:
    """The flags the given rules raise now, one row per exception id."""
    rows: list[dict] = []
    for rule in rules:
        rows.extend(rule.fn(books))
    raised = pl.DataFrame(rows, schema=RAISED, orient="row") if rows else pl.DataFrame(schema=RAISED)
    # one row per id: the same subject raised twice in one night is one flag
    return raised.unique("exception_id", keep="first", maintain_order=True).sort("exception_id")


def settle(raised: pl.DataFrame, history: pl.DataFrame, reviews: pl.DataFrame, as_of: date) -> pl.DataFrame:
    """Merge tonight's flags with earlier ones (and, if given, officers' decisions)."""
    schema = exceptions_table.polars_schema()
    prior = history.select(list(schema)).cast(schema) if history.height else pl.DataFrame(schema=schema)
    now = raised.join(prior.select("exception_id", "first_seen"), on="exception_id", how="left").with_columns(
        pl.col("first_seen").fill_null(as_of), pl.lit(as_of).alias("last_seen"), pl.lit("open").alias("status"))
    gone = prior.join(raised.select("exception_id"), on="exception_id", how="anti").with_columns(
        pl.lit("resolved").alias("status"))
    merged = pl.concat([now.select(list(schema)).cast(schema), gone.select(list(schema)).cast(schema)])
    return apply_decisions(merged, reviews).sort("exception_id")
