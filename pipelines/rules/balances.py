"""Rules on positions: surplus, overspend, underspend, contributions.

Example (SURPLUS_BALANCE): weekly payment £300.00, policy 8 weeks, no
contingency. The quarter closes at £4,150.00 with £250.00 of invoices owed:
4,150.00 − 250.00 − 8 × 300.00 = £1,500.00 to recover.

Example (OVERSPEND): £15,600.00 agreed for 1 April 2026 – 31 March 2027 (365
days). By 30 June (91 days) the pro-rata budget is 15,600.00 × 91 / 365 =
£3,889.32; with the 10% tolerance up to £4,278.25 may be spent, so £4,300.00
spent is £410.68 ahead.

Example (CONTRIBUTION_MISSING): £25.00 a week assessed; over the 91-day
first quarter £325.00 was due and £200.00 paid in: £125.00 behind, more than
4 weeks (£100.00).

Example (UNDERSPEND_LINE): plan line L1 plans £7,800.00 over the term,
£1,944.66 pro rata for the first quarter; £900.00 spent on it is under half:
£1,044.66 short.
"""

from __future__ import annotations

import polars as pl

from pipelines.positions import weekly_payment
from pipelines.rules import Books, day, flag, gbp
from pipelines.rules.registry import rule
from schemas.money import money


def _closed_positions(books: Books) -> pl.DataFrame:
    return books.positions.join(
        books.periods.select("budget_id", "period_start", "closed"), on=["budget_id", "period_start"]
    ).filter(pl.col("closed")).join(books.budgets, on="budget_id")


@rule("SURPLUS_BALANCE", "medium", persists=True, rests_on="to_date", money="position",
      next_step="Agree with the family what the account should keep and ask for the rest back (decide 'recover' with the amount).")
def surplus_balance(books: Books) -> list[dict]:
    out = []
    pol = books.policy
    for r in _closed_positions(books).iter_rows(named=True):
        weekly = weekly_payment(r["payment_frequency"], r["payment_amount"])
        allowed = money(pol.surplus_weeks * weekly)
        excess = r["closing_balance"] - r["owed"] - pol.contingency - allowed
        if excess > 0:
            out.append(flag("SURPLUS_BALANCE", r["budget_id"], r["period_start"], r["period_end"], excess,
                            f"On {day(r['period_end'])} the account held {gbp(r['closing_balance'])}"
                            f" with {gbp(r['owed'])} still owed to providers. The council's payments are"
                            f" {gbp(weekly)} a week and the account may keep {pol.surplus_weeks} weeks"
                            f" ({gbp(allowed)}){' plus ' + gbp(pol.contingency) if pol.contingency else ''}."
                            f" {gbp(excess)} is surplus the council may recover."))
    return out


@rule("OVERSPEND", "medium", persists=True, rests_on="to_date", money="position",
      next_step="Ask the family what the extra spending was for; review the support plan if needs have grown.")
def overspend(books: Books) -> list[dict]:
    out = []
    tol = books.policy.overspend_tolerance
    pos = _closed_positions(books).sort("budget_id", "period_start").with_columns(
        pl.col("spent").cum_sum().over("budget_id").alias("cum_spent"))
    for r in pos.iter_rows(named=True):
        term = (r["end_date"] - r["start_date"]).days + 1
        elapsed = (r["period_end"] - r["start_date"]).days + 1
        pro_rata = money(r["agreed_amount"] * elapsed / term)
        if r["cum_spent"] > pro_rata * (1 + tol):
            over = r["cum_spent"] - pro_rata
            out.append(flag("OVERSPEND", r["budget_id"], r["period_start"], r["period_end"], over,
                            f"By {day(r['period_end'])} {gbp(r['cum_spent'])} had been spent, against"
                            f" {gbp(pro_rata)} of the {gbp(r['agreed_amount'])} budget for that point in"
                            f" the term: {gbp(over)} ahead, more than the {tol:.0%} allowed."))
    return out


@rule("CONTRIBUTION_MISSING", "medium", persists=True, rests_on="to_date",
      next_step="Write to the person about the unpaid contributions and agree how the arrears will be paid.")
def contribution_missing(books: Books) -> list[dict]:
    out = []
    weeks = books.policy.contribution_arrears_weeks
    pos = (_closed_positions(books).filter(pl.col("weekly_contribution") > 0).sort("budget_id", "period_start")
           .with_columns(pl.col("contributions_due").cum_sum().over("budget_id").alias("cum_due"),
                         pl.col("contributions_paid").cum_sum().over("budget_id").alias("cum_paid")))
    for r in pos.iter_rows(named=True):
        arrears = r["cum_due"] - r["cum_paid"]
        if arrears > weeks * r["weekly_contribution"]:
            out.append(flag("CONTRIBUTION_MISSING", r["budget_id"], r["period_start"], r["period_end"], arrears,
                            f"The assessed contribution is {gbp(r['weekly_contribution'])} a week. From"
                            f" {day(r['start_date'])} to {day(r['period_end'])} {gbp(r['cum_due'])} was due"
                            f" and {gbp(r['cum_paid'])} was paid into the account: {gbp(arrears)} behind."))
    return out


@rule("UNDERSPEND_LINE", "low", persists=True, rests_on="period", money="none",
      next_step="Ask whether the support on this plan line is still needed and arranged; review the plan if not.")
def underspend_line(books: Books) -> list[dict]:
    out = []
    ratio = books.policy.underspend_ratio
    rows = books.lines.filter(pl.col("closed") & (pl.col("days") >= 28) & (pl.col("weekly_units") > 0)
                              & (pl.col("planned_amount") > 0))
    for r in rows.iter_rows(named=True):
        if r["spent"] < ratio * r["planned"]:
            gap = r["planned"] - r["spent"]
            out.append(flag("UNDERSPEND_LINE", r["budget_id"], r["period_start"], r["period_end"], gap,
                            f"Plan line {r['line_id']} ({r['category'].replace('_', ' ')}, for"
                            f" {r['outcome_domain'].replace('_', ' ')}) planned {gbp(r['planned'])} from"
                            f" {day(r['period_start'])} to {day(r['period_end'])} but {gbp(r['spent'])} was"
                            f" spent on it: the agreed outcome may not be being pursued.",
                            subject=r["line_id"]))
    return out
