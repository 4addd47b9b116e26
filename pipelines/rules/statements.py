"""STATEMENT_GAP: days no statement covers, and running balances that jump.

Example: statements for account 40001234 cover 1 April–30 April and
1 June–30 June. The 31 days of May are covered by none, longer than the
policy's 7 days: May's money cannot be checked.
"""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl

from pipelines.periods import assign_period
from pipelines.rules import Books, day, flag, gbp
from pipelines.rules.registry import rule


def uncovered_runs(intervals: list[tuple[date, date]], start: date, end: date) -> list[tuple[date, date]]:
    """Maximal runs of days in [start, end] that no interval covers."""
    runs = []
    cursor = start
    for s, e in sorted(intervals):
        if e < cursor:
            continue
        if s > cursor:
            runs.append((cursor, min(s - timedelta(days=1), end)))
        cursor = max(cursor, e + timedelta(days=1))
        if cursor > end:
            break
    if cursor <= end:
        runs.append((cursor, end))
    return [r for r in runs if r[0] <= r[1]]


class Coverage:
    """What the statements let a rule conclude about an account's days.

    No exception rests on missing data (contract §3): a day is *unknown* when
    it lies in a run of uncovered days longer than ``statement_gap_days`` (days
    before an account's first statement, and from its last to the day before
    the run date, count as uncovered). A run that short is a quiet spell
    between statements, not missing money.

    Example: statements cover 1 April–30 April and 1 June–30 June, limit 7
    days. Nothing can be concluded about 10 May (inside the 31-day gap), nor
    about any balance after it; 3 June–30 June is covered, but a balance on
    15 June still rests on May's unknown money.
    """

    def __init__(self, coverage: pl.DataFrame, limit: int, as_of: date) -> None:
        self.limit = limit
        self.last_day = as_of - timedelta(days=1)
        self.spans: dict[str, list[tuple[date, date]]] = {}
        if coverage.height:
            for a, s, e in coverage.select("account_id", "start_date", "end_date").iter_rows():
                self.spans.setdefault(a, []).append((s, e))

    def first(self, account: str) -> date | None:
        spans = self.spans.get(account)
        return min(s for s, _ in spans) if spans else None

    def unknown(self, account: str, first: date, last: date) -> bool:
        """Does a gap longer than the limit touch any day from ``first`` to ``last``?"""
        if last < first:
            return False
        spans = self.spans.get(account)
        if not spans:
            return True
        hi = min(last + timedelta(days=self.limit), max(self.last_day, last))
        for g0, g1 in uncovered_runs(spans, first - timedelta(days=self.limit), hi):
            if (g1 - g0).days + 1 > self.limit and g1 >= first and g0 <= last:
                return True
        return False

    def balance_known(self, account: str, day: date) -> bool:
        """A running balance is known on ``day`` when no gap lies between the first statement and that day."""
        start = self.first(account)
        return start is not None and start <= day and not self.unknown(account, start, day)


GAP_SCHEMA = {"budget_id": pl.String, "gap_start": pl.Date, "gap_end": pl.Date}


def gap_spans(books: Books) -> pl.DataFrame:
    """Each budget's runs of uncovered days longer than ``statement_gap_days``, within
    its term up to the last day any statement of its account covers: one row per run."""
    if books.coverage.height == 0 or books.budgets.height == 0:
        return pl.DataFrame(schema=GAP_SCHEMA)
    limit = books.policy.statement_gap_days
    cov: dict[str, list[tuple[date, date]]] = {}
    for a, s, e in books.coverage.select("account_id", "start_date", "end_date").iter_rows():
        cov.setdefault(a, []).append((s, e))
    gaps = []
    for b, a, s, e in books.budgets.select("budget_id", "account_id", "start_date", "end_date").iter_rows():
        intervals = cov.get(a, [])
        if not intervals:
            continue
        last = min(e, books.as_of, max(x[1] for x in intervals))
        for g0, g1 in uncovered_runs(intervals, s, last):
            if (g1 - g0).days + 1 > limit:
                gaps.append(dict(budget_id=b, gap_start=g0, gap_end=g1))
    return pl.DataFrame(gaps, schema=GAP_SCHEMA, orient="row") if gaps else pl.DataFrame(schema=GAP_SCHEMA)


@rule("STATEMENT_GAP", "low",
      next_step="Ask the family or the bank for the missing statements.")
def statement_gap(books: Books) -> list[dict]:
    gaps = gap_spans(books).rename({"gap_start": "date"})
    out = []
    if gaps.height:
        frame = assign_period(gaps, books.periods).join(
            books.periods.select("budget_id", "period_start", "period_end"), on=["budget_id", "period_start"])
        for r in frame.iter_rows(named=True):
            days = (r["gap_end"] - r["date"]).days + 1
            out.append(flag("STATEMENT_GAP", r["budget_id"], r["period_start"], r["period_end"], None,
                            f"No statement covers {day(r['date'])} to {day(r['gap_end'])} ({days} days):"
                            f" the money in that time cannot be checked, and nothing is concluded from it"
                            f" (no payment, contribution or refund is taken as missing) until it arrives.",
                            subject=f"gap|{r['date']}"))
    breaks = books.balance_breaks
    if breaks.height:
        terms = books.budgets.select("budget_id", "account_id", "start_date", "end_date")
        b2 = breaks.join(terms, on="account_id").filter(
            (pl.col("date") >= pl.col("start_date")) & (pl.col("date") <= pl.col("end_date")))
        b2 = assign_period(b2, books.periods).join(
            books.periods.select("budget_id", "period_start", "period_end"), on=["budget_id", "period_start"])
        for r in b2.iter_rows(named=True):
            out.append(flag("STATEMENT_GAP", r["budget_id"], r["period_start"], r["period_end"], r["difference"],
                            f"On {day(r['date'])} the statement {r['source_path']} (line {r['source_line']}) shows a"
                            f" balance that does not follow from the line before: {gbp(r['difference'])} is unexplained.",
                            [r["transaction_id"]], subject=f"balance|{r['source_path']}|{r['source_line']}"))
    return out
