"""Run every rule, withhold what rests on missing statements, merge persisting
conditions into one exception each, and settle each exception's status against
history and reviews.

Status: ``open`` while the condition holds; ``resolved`` when a flag raised on
an earlier night is no longer raised, or an episode whose condition has since
cleared (pipelines/rules/episodes.py); an officer's latest decision
(``confirmed``, ``dismissed``, ``recovered``, ``referred``) overrides both.
``first_seen`` is the run date it was first raised; ``last_seen`` the run date
it was last raised.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import polars as pl

from pipelines.decisions import apply_decisions
from pipelines.rules import Books
from pipelines.rules.episodes import merge_episodes
from pipelines.rules.gaps import unknown_periods, withhold
from pipelines.rules.registry import RULES, declared
from pipelines.rules.statements import gap_spans
from schemas.warehouse import exception_history as exceptions_table

RAISED = {k: v for k, v in exceptions_table.polars_schema().items()
          if k not in ("first_seen", "last_seen", "status")}
FLAGS = {**RAISED, "episode": pl.String}
# a finding may rest on statements from before its period (``rests_from``: pipelines/rules/gaps.py)
RAISING = {**FLAGS, "rests_from": pl.Date}


@dataclass(frozen=True)
class Judged:
    """What the rules found tonight: one row per exception (with ``current``), each
    period's finding naming its exception, and the statement gaps nothing rests on."""

    exceptions: pl.DataFrame
    findings: pl.DataFrame
    gaps: pl.DataFrame


def raise_all(books: Books) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Return ``(exceptions raised now, evidence returns)``."""
    return judge(books, declared()).exceptions, books.returns


def judge(books: Books, rules, gaps: pl.DataFrame | None = None) -> Judged:
    """The given rules' findings, withheld over statement gaps, merged into episodes.
    ``gaps`` defaults to the books' own (the evidence intake passes the night's)."""
    gaps = gap_spans(books) if gaps is None else gaps
    flags = raise_rules(books, rules)
    unknown = unknown_periods(gaps, books.periods, books.budgets, books.as_of, tuple(rules))
    kept = withhold(flags, unknown, gaps, books.as_of)
    exceptions, findings = merge_episodes(kept, books.periods, unknown, dict(RULES))
    return Judged(exceptions, findings, gaps)


def raise_rules(books: Books, rules) -> pl.DataFrame:
    """The flags the given rules raise now, one row per period's finding (per-period id)."""
    rows: list[dict] = []
    for rule in rules:
        rows.extend(dict(r, episode=r.get("episode", r.get("subject"))) for r in rule.fn(books))
    raised = pl.DataFrame(rows, schema=RAISING, orient="row") if rows else pl.DataFrame(schema=RAISING)
    # one row per id: the same subject raised twice in one night is one flag
    return raised.unique("exception_id", keep="first", maintain_order=True).sort("exception_id")


def settle(raised: pl.DataFrame, history: pl.DataFrame, reviews: pl.DataFrame, as_of: date) -> pl.DataFrame:
    """Merge tonight's flags with earlier ones (and, if given, officers' decisions)."""
    schema = exceptions_table.polars_schema()
    prior = history.select(list(schema)).cast(schema) if history.height else pl.DataFrame(schema=schema)
    current = pl.col("current") if "current" in raised.columns else pl.lit(True)
    now = raised.join(prior.select("exception_id", "first_seen"), on="exception_id", how="left").with_columns(
        pl.col("first_seen").fill_null(as_of), pl.lit(as_of).alias("last_seen"),
        pl.when(current).then(pl.lit("open")).otherwise(pl.lit("resolved")).alias("status"))
    gone = prior.join(raised.select("exception_id"), on="exception_id", how="anti").with_columns(
        pl.lit("resolved").alias("status"))
    merged = pl.concat([now.select(list(schema)).cast(schema), gone.select(list(schema)).cast(schema)])
    return apply_decisions(merged, reviews).sort("exception_id")
