"""REVIEW_OVERDUE: the budget's statutory review has not happened when due.

The Care and Support (Direct Payments) Regulations 2014 (reg. 7) ask the
council to review a direct payment within its first six months and at
least every twelve months after. The register's ``review_date`` is the next
planned review; when the register holds none, the first review falls
``first_review_months`` after ``start_date`` (calendar months; a 31st
clamps to the month's end). A budget running on the run date (``start_date``
≤ as_of ≤ ``end_date``) whose review date is before the run date is raised,
in the monitoring period holding that date. An ended term needs no review.

Example: a budget started 31 August 2025 with no review date; policy 6
months. Its first review was due on 28 February 2026; on 1 April 2026 it is
32 days overdue. A budget whose review date is 15 April 2026 is not raised
on 1 April: the review is planned for next month.
"""

from __future__ import annotations

from dateutil.relativedelta import relativedelta

from pipelines.rules import Books, day, flag, period_at
from pipelines.rules.registry import rule


@rule("REVIEW_OVERDUE", "medium", money="none",
      next_step="Book the review with the person and update the review date on the case-management system.")
def review_overdue(books: Books) -> list[dict]:
    months = books.policy.first_review_months
    out = []
    running = books.budgets.filter((books.budgets["start_date"] <= books.as_of) & (books.budgets["end_date"] >= books.as_of))
    for r in running.select("budget_id", "start_date", "review_date").iter_rows(named=True):
        planned = r["review_date"] is not None
        due = r["review_date"] if planned else r["start_date"] + relativedelta(months=months)
        if due >= books.as_of:
            continue
        period = period_at(books, r["budget_id"], due)
        if period is None:
            continue
        late = (books.as_of - due).days
        why = (f"The review planned for {day(due)}" if planned else
               f"No review date is recorded; the first review was due {months} months after the budget started on"
               f" {day(r['start_date'])}, on {day(due)}, and it")
        out.append(flag("REVIEW_OVERDUE", r["budget_id"], period[0], period[1], None,
                        f"{why} has not been recorded as done: it is {late} day(s) overdue. The council must review"
                        " a direct payment within its first six months and at least every year after.",
                        subject=str(due)))
    return out
