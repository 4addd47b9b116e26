"""Monitoring periods of each budget (docs/rules.md §1).

Periods are counted from the budget's start date in steps of the policy's
``return_frequency``; the last one ends with the term. Calendar steps are
added to the *start date* each time (never chained), so a budget starting on
31 January has monthly periods starting 31 Jan, 28 Feb, 31 Mar, 30 Apr …

Example: budget B1, 2026-01-15 → 2026-12-31, quarterly, judged on
2026-07-20: periods 01-15→04-14 (closed, return due 05-12), 04-15→07-14
(closed, due 08-11), 07-15→10-14 (open), 10-15→12-31 (open).
"""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl
from dateutil.relativedelta import relativedelta

STEP_MONTHS = {"monthly": 1, "quarterly": 3, "annual": 12}


def add_months(d: date, months: int) -> date:
    """Calendar months from ``d``; a 31st clamps to the month's last day (31 Jan + 1 → 28 Feb)."""
    return d + relativedelta(months=months)


def period_starts(start: date, end: date, frequency: str) -> list[date]:
    out: list[date] = []
    k = 0
    while True:
        s = start + timedelta(days=28 * k) if frequency == "four_weekly" else add_months(start, STEP_MONTHS[frequency] * k)
        if s > end:
            return out
        out.append(s)
        k += 1


PERIOD_SCHEMA = {
    "budget_id": pl.String,
    "period_no": pl.Int64,
    "period_start": pl.Date,
    "period_end": pl.Date,
    "days": pl.Int64,
    "due_date": pl.Date,
    "closed": pl.Boolean,
    "is_last": pl.Boolean,
}


def monitoring_periods(budgets: pl.DataFrame, frequency: str, evidence_due_days: int, as_of: date) -> pl.DataFrame:
    """One row per budget and period, with its return due date and whether it has closed."""
    rows = []
    for b, start, end in budgets.select("budget_id", "start_date", "end_date").iter_rows():
        if start is None or end is None or end < start:
            continue
        starts = period_starts(start, end, frequency)
        for i, s in enumerate(starts):
            e = starts[i + 1] - timedelta(days=1) if i + 1 < len(starts) else end
            rows.append((b, i, s, e, (e - s).days + 1, e + timedelta(days=evidence_due_days), e < as_of,
                         i + 1 == len(starts)))
    return pl.DataFrame(rows, schema=PERIOD_SCHEMA, orient="row")


def assign_period(frame: pl.DataFrame, periods: pl.DataFrame, date_col: str = "date") -> pl.DataFrame:
    """Add ``period_start`` to rows with a ``budget_id`` and a date inside one of its periods
    (``frame`` has no ``period_start`` or ``period_end`` of its own: callers drop them first)."""
    if frame.height == 0:
        return frame.with_columns(pl.lit(None, pl.Date).alias("period_start"))
    p = periods.select("budget_id", "period_start", "period_end").sort("period_start")
    # only the two columns the join needs are sorted and joined, then the answer is put
    # beside the frame in its own order: not two sorted copies of every column of it
    keyed = frame.select("budget_id", date_col).with_row_index("__r").sort(date_col)
    joined = keyed.join_asof(
        p, left_on=date_col, right_on="period_start", by="budget_id", strategy="backward",
        check_sortedness=False,
    ).with_columns(
        pl.when(pl.col(date_col) <= pl.col("period_end")).then(pl.col("period_start")).otherwise(None).alias("period_start")
    )
    return frame.with_columns(joined.sort("__r")["period_start"])
