"""No exception rests on missing statements: where no statement covers a span,
the gap is the exception, and nothing is concluded from the silence in it.

A rule that reads "no money moved" as "it did not happen" declares which span
of statements its finding rests on (``rests_on`` in the registry):

* ``period``: the flag's own monitoring period (no spend on a plan line, a
  return's money needing evidence);
* ``to_date``: everything from the term's start to the period's end (the
  balance, spending to date, contributions in arrears);
* ``to_run``: from the period's start up to the run date (an invoice never paid);
  a flag may reach further back with its own ``rests_from`` day (an unpaid
  invoice rests on every statement since the provider's first bill, because a
  payment naming only the provider pays the oldest bill first).

A finding whose span a statement gap touches is withheld: the gap is raised
instead (``STATEMENT_GAP``), and the finding comes back once the missing
statement arrives.

Example: a £20.00-a-week contribution, quarters from 1 April. No statement
covers 1–31 August. At 30 September the statements show £180.00 paid against
£260.00 due, £80.00 behind: but the August payments may simply be on the
missing statement, so no ``CONTRIBUTION_MISSING`` is raised for that quarter
nor, since arrears are counted from the start of the term, for any later one
until August's statement comes in. A payment to a bookmaker on 3 September
is still ``INELIGIBLE_SPEND``: it was seen, not inferred.
"""

from __future__ import annotations

from datetime import date

import polars as pl

from pipelines.rules.registry import Rule

UNKNOWN_SCHEMA = {"rule_code": pl.String, "budget_id": pl.String, "period_start": pl.Date}


def unknown_periods(gaps: pl.DataFrame, periods: pl.DataFrame, budgets: pl.DataFrame, as_of: date,
                    rules: tuple[Rule, ...]) -> pl.DataFrame:
    """``(rule_code, budget_id, period_start)`` for every period a rule cannot judge
    because a statement gap touches the span its finding rests on."""
    if gaps.height == 0:
        return pl.DataFrame(schema=UNKNOWN_SCHEMA)
    spans: dict[str, list[tuple[date, date]]] = {}
    for b, g0, g1 in gaps.select("budget_id", "gap_start", "gap_end").iter_rows():
        spans.setdefault(b, []).append((g0, g1))
    term_start = dict(budgets.select("budget_id", "start_date").iter_rows())
    rows = []
    for b, ps, pe in periods.filter(pl.col("budget_id").is_in(list(spans))).select(
            "budget_id", "period_start", "period_end").iter_rows():
        for r in rules:
            if not r.rests_on:
                continue
            lo, hi = {"period": (ps, pe), "to_date": (term_start.get(b, ps), pe), "to_run": (ps, max(pe, as_of))}[r.rests_on]
            if any(g0 <= hi and g1 >= lo for g0, g1 in spans[b]):
                rows.append((r.code, b, ps))
    return pl.DataFrame(rows, schema=UNKNOWN_SCHEMA, orient="row") if rows else pl.DataFrame(schema=UNKNOWN_SCHEMA)


def withhold(flags: pl.DataFrame, unknown: pl.DataFrame, gaps: pl.DataFrame | None = None,
             as_of: date | None = None) -> pl.DataFrame:
    """The flags whose finding does not rest on a span no statement covers, without
    the ``rests_from`` column: a flag that names the day its finding rests on from
    (earlier than its period, e.g. an unpaid invoice's provider's first bill) is
    also withheld where a gap touches that day to the run date."""
    if flags.height and "rests_from" in flags.columns and gaps is not None and gaps.height:
        early = flags.filter(pl.col("rests_from").is_not_null()).select(
            "exception_id", "budget_id", "rests_from", pl.max_horizontal("period_end", pl.lit(as_of)).alias("hi"))
        touched = early.join(gaps.select("budget_id", "gap_start", "gap_end"), on="budget_id").filter(
            (pl.col("gap_start") <= pl.col("hi")) & (pl.col("gap_end") >= pl.col("rests_from")))
        flags = flags.join(touched.select("exception_id").unique(), on="exception_id", how="anti")
    flags = flags.drop("rests_from", strict=False)
    if unknown.height == 0 or flags.height == 0:
        return flags
    return flags.join(unknown, on=["rule_code", "budget_id", "period_start"], how="anti")
