"""EMPLOYER_DUTIES: a personal assistant paid enough for PAYE or a pension, with no payment for it.

A family employing a personal assistant (PA) is an employer. Per PA and tax
quarter (6 April–5 July, 6 July–5 October, 6 October–5 January, 6 January–
5 April), the wages the budget paid that PA are averaged over the quarter's
13 weeks, or, for a quarter only partly within the term, over the term's
days in it / 7, but never fewer than 4 weeks. Averaging above
``paye_weekly_threshold`` means income tax is due to HMRC; above
``pension_weekly_threshold``, workplace-pension contributions. The duty is
missing when the account makes no payment of that kind (HMRC: text matching
``hmrc_payee_patterns``; pension: ``pension_payee_patterns``) from the
quarter's first day to ``employer_payment_grace_days`` after its last. A
quarter is judged once those grace days are over, and only where the
statements cover the window the payment could fall in (a gap proves
nothing).

A PA is a provider of category ``personal_assistant`` on the register that
one of the budget's plan lines names (the budget employs them); wages are the
budget's outgoing transactions (class ``spend``) attributed to that provider.

Example: 6 July–5 October 2025 lies wholly in the term. Jo Bloggs is paid
£260.00 a week, £3,380.00 in the quarter: £3,380.00 / 13 = £260.00 a week,
above both £242.00 and £192.00. A NEST payment was made on 10 August, but
nothing to HMRC by 4 November (5 October + 30 days): PAYE is missing;
amount £3,380.00, the wages the duty falls on.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import polars as pl

from pipelines.payees import matches_any
from pipelines.payees import search_text as text_expr
from pipelines.rules import Books, day, flag, gbp, period_at
from pipelines.rules.registry import rule
from schemas.money import money

QUARTER_STARTS = ((4, 6), (7, 6), (10, 6), (1, 6))


def tax_quarters(first: date, last: date) -> list[tuple[date, date]]:
    """The tax quarters (start, end) that overlap ``first``..``last``."""
    starts = sorted(date(y, m, d) for y in range(first.year - 1, last.year + 2) for m, d in QUARTER_STARTS)
    quarters = [(s, nxt - timedelta(days=1)) for s, nxt in zip(starts, starts[1:], strict=False)]
    return [(s, e) for s, e in quarters if e >= first and s <= last]


def averaging_days(q: tuple[date, date], term: tuple[date, date]) -> int:
    """Days the quarter's wages are averaged over (a week is 7): 91 (13 weeks) for a
    quarter wholly in the term; else the term's days in it, at least 28 (4 weeks)."""
    lo, hi = max(q[0], term[0]), min(q[1], term[1])
    if (lo, hi) == q:
        return 91
    return max(28, (hi - lo).days + 1)


@rule("EMPLOYER_DUTIES", "medium", money="none",
      next_step="Ask the family (or their payroll service) for proof that PAYE and pension contributions were paid for the quarter; help them register if not.")
def employer_duties(books: Books) -> list[dict]:
    pol = books.policy
    grace = timedelta(days=pol.employer_payment_grace_days)
    pas = books.providers.filter(pl.col("category") == "personal_assistant").select("provider_id", "name")
    employs = books.plan_lines.filter(pl.col("provider_id").is_not_null()).select("budget_id", "provider_id").unique()
    employs = employs.join(pas.select("provider_id"), on="provider_id")
    if employs.height == 0:
        return []
    pa_name = dict(pas.iter_rows())
    out_txns = books.txns.select(  # the columns read here, not a copy of every column: memory at scale
        "account_id", "budget_id", "provider_id", "txn_class", "date", "amount", "transaction_id", "payee", "memo",
    ).filter((pl.col("amount") < 0) & pl.col("account_id").is_not_null())
    wages = out_txns.filter(pl.col("txn_class") == "spend").join(employs, on=["budget_id", "provider_id"])
    if wages.height == 0:
        return []
    text = out_txns.select(text_expr()).to_series()
    duty_pay = out_txns.with_columns(matches_any(text, pol.hmrc_payee_patterns).alias("hmrc"),
                                     matches_any(text, pol.pension_payee_patterns).alias("pension")).filter(
        pl.col("hmrc") | pl.col("pension"))
    paid: dict[str, list[tuple[date, bool, bool]]] = {}
    for a, d, h, p in duty_pay.select("account_id", "date", "hmrc", "pension").iter_rows():
        paid.setdefault(a, []).append((d, h, p))
    last_end = dict(books.budgets.group_by("account_id").agg(pl.col("end_date").max()).iter_rows())
    terms = {b: (a, s, e) for b, a, s, e in books.budgets.select("budget_id", "account_id", "start_date", "end_date").iter_rows()}
    per: dict[tuple[str, str], list[tuple[date, Decimal, str]]] = {}
    for b, pid, d, amt, tid in wages.select("budget_id", "provider_id", "date", "amount", "transaction_id").iter_rows():
        per.setdefault((b, pid), []).append((d, -amt, tid))
    out = []
    for (b, pid), rows in sorted(per.items()):
        account, start, end = terms[b]
        for q in tax_quarters(start, end):
            if q[1] + grace >= books.as_of:
                continue
            mine = [(d, a, t) for d, a, t in rows if max(q[0], start) <= d <= min(q[1], end)]
            if not mine:
                continue
            total = sum((a for _, a, _ in mine), Decimal("0.00"))
            days = averaging_days(q, (start, end))
            window = (q[0], q[1] + grace)
            if books.known.unknown(account, max(q[0], start), min(window[1], last_end[account], books.as_of - timedelta(days=1))):
                continue
            payments = [(h, p) for d, h, p in paid.get(account, []) if window[0] <= d <= window[1]]
            missing = []
            if total * 7 > pol.paye_weekly_threshold * days and not any(h for h, _ in payments):
                missing.append("PAYE")
            if total * 7 > pol.pension_weekly_threshold * days and not any(p for _, p in payments):
                missing.append("pension")
            if not missing:
                continue
            period = period_at(books, b, min(q[1], end))
            which = "both PAYE and pension" if len(missing) == 2 else missing[0]
            duties = {"PAYE": f"income tax through PAYE (above {gbp(pol.paye_weekly_threshold)} a week) but nothing was paid to HMRC",
                      "pension": f"workplace-pension contributions (above {gbp(pol.pension_weekly_threshold)} a week) but nothing was paid to a pension scheme"}
            out.append(flag("EMPLOYER_DUTIES", b, period[0], period[1], total,
                            f"Missing: {which}. Wages to {pa_name.get(pid) or 'the personal assistant'} from {day(q[0])} to"
                            f" {day(q[1])} came to {gbp(total)}, an average of {gbp(money(total * 7 / days))} a week over"
                            f" {_weeks(days)} weeks. That means "
                            + " and ".join(duties[m] for m in missing)
                            + f" between {day(window[0])} and {day(window[1])}.",
                            [t for _, _, t in mine], subject=f"{pid}|{q[0]}"))
    return out


def _weeks(days: int) -> str:
    return str(days // 7) if days % 7 == 0 else f"{Decimal(days) / 7:.1f}"
