"""The six further rules (docs/rules.md §12): each docstring's worked example to the
penny, and the look-alikes that must not fire."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from pipelines.rules.employer import averaging_days, employer_duties, tax_quarters
from pipelines.rules.evidence import evidence_incomplete
from pipelines.rules.low_balance import low_balance
from pipelines.rules.money_in import unexpected_income
from pipelines.rules.related import related_payee, surname
from pipelines.rules.reviews import review_overdue
from schemas.policy import Policy
from tests.pipelines.rules.mini_books import budget, evidence, line, mini_books, plan_line, provider

COUNCIL = "NORTHSHIRE COUNCIL"


def _weekly_council(account: str, first: str, weeks: int, amount: str = "300.00") -> list[dict]:
    start = date.fromisoformat(first)
    return [line(account, f"C{k:03d}", (start.fromordinal(start.toordinal() + 7 * k)).isoformat(), amount, COUNCIL)
            for k in range(weeks)]


# -- LOW_BALANCE -------------------------------------------------------------

def _low_books(bill: str, policy: Policy | None = None, as_of: date = date(2025, 7, 2)):
    """£300.00 from the council every Tuesday from 1 April, £250.00 spent every Thursday; on Tuesday
    10 June (£800.00 after the council's payment) a bill, and the council's one-off payment of the same
    sum the next day; £420.00 more spent on 27 June, so 30 June closes at £230.00."""
    rows = _weekly_council("A1", "2025-04-01", 14)
    start = date(2025, 4, 3)
    rows += [line("A1", f"S{k:03d}", date.fromordinal(start.toordinal() + 7 * k).isoformat(), "-250.00", "TESCO STORES")
             for k in range(13)]
    rows += [line("A1", "BILL", "2025-06-10", f"-{bill}", "MOBILITY SHOP LTD"),
             line("A1", "TOP", "2025-06-11", bill, COUNCIL, "DP ONE-OFF"),
             line("A1", "S999", "2025-06-27", "-420.00", "TESCO STORES")]
    return mini_books(as_of=as_of, budgets=[budget("B1", "A1", "2025-04-01", "2026-03-31")], lines=rows,
                      policy=policy, coverage=[("A1", "2025-04-01", "2025-07-01")])


def test_low_balance_overdrawn_to_the_penny():
    out = low_balance(_low_books("862.40"))
    assert [(f["period_start"], f["amount"]) for f in out] == [(date(2025, 4, 1), Decimal("62.40"))]
    assert out[0]["evidence"] == "BILL"
    assert "overdrawn on 10 June 2025" in out[0]["explanation"] and "£62.40" in out[0]["explanation"]


def test_low_balance_dip_near_but_not_below_is_not_raised():
    assert low_balance(_low_books("796.90")) == []  # £3.10 left on 10 June


def test_low_balance_period_end_shortfall_with_low_balance_weeks():
    # 30 June: £230.00 held, one week's payments is £300.00: £70.00 short, more than the £62.40 overdraft
    out = low_balance(_low_books("862.40", policy=Policy(low_balance_weeks=Decimal("1"))))
    assert [(f["period_start"], f["amount"]) for f in out] == [(date(2025, 4, 1), Decimal("70.00"))]
    assert "£70.00 less than the £300.00" in out[0]["explanation"] and "£62.40" in out[0]["explanation"]
    assert low_balance(_low_books("796.90", policy=Policy(low_balance_weeks=Decimal("0.5")))) == []


def test_low_balance_not_judged_after_a_statement_gap():
    rows = _weekly_council("A1", "2025-04-01", 14)
    rows += [line("A1", "BILL", "2025-06-10", "-5000.00", "MOBILITY SHOP LTD")]
    books = mini_books(as_of=date(2025, 7, 2), budgets=[budget("B1", "A1", "2025-04-01", "2026-03-31")], lines=rows,
                       coverage=[("A1", "2025-04-01", "2025-04-30"), ("A1", "2025-06-01", "2025-07-01")])
    assert low_balance(books) == []


# -- UNEXPECTED_INCOME -------------------------------------------------------

def _income_books(*extra: dict):
    rows = _weekly_council("A1", "2025-04-01", 10)
    rows += [line("A1", "P1", "2025-05-06", "-120.00", "SUNNY DAYS LTD", "SUN-00001-003"),
             line("A1", "P2", "2025-05-13", "-45.00", "TESCO STORES LEEDS")]
    return mini_books(as_of=date(2025, 7, 1), budgets=[budget("B1", "A1", "2025-04-01", "2026-03-31")],
                      lines=rows + list(extra),
                      providers=[provider("PR1", "Sunny Days Ltd", "SUNNY DAYS", "agency_care", True)],
                      policy=Policy(expected_income_patterns=[r"\bICB\b"]))


def test_unexpected_income_per_payer_to_the_penny():
    books = _income_books(line("A1", "I1", "2025-06-03", "184.30", "DWP PIP"),
                          line("A1", "I2", "2025-06-17", "184.30", "DWP PIP"))
    out = unexpected_income(books)
    assert [(f["amount"], f["subject"], f["evidence"]) for f in out] == [(Decimal("368.60"), "DWP PIP", "I1 I2")]


def test_refunds_and_an_agreed_funder_are_not_unexpected():
    books = _income_books(line("A1", "R1", "2025-05-20", "42.00", "REFUND SUNNY DAYS"),
                          line("A1", "R2", "2025-05-21", "12.00", "REFUND TESCO STORES LEEDS"),
                          line("A1", "J1", "2025-06-01", "250.00", "NHS WEST YORKSHIRE ICB", "PHB JOINT FUNDING"))
    assert unexpected_income(books) == []


# -- EMPLOYER_DUTIES ---------------------------------------------------------

def _pa_books(weekly: str, *duty: dict, start: str = "2025-04-07", budget_start: str = "2025-04-01"):
    """Wages every Monday (13 in each of the first two tax quarters) to Jo Bloggs, the plan's PA."""
    first = date.fromisoformat(start)
    wages = [line("A1", f"W{k:03d}", date.fromordinal(first.toordinal() + 7 * k).isoformat(), f"-{weekly}",
                  "J BLOGGS WAGES") for k in range(30) if first.toordinal() + 7 * k <= date(2025, 10, 5).toordinal()]
    rows = _weekly_council("A1", "2025-04-01", 32, "400.00") + wages + list(duty)
    return mini_books(as_of=date(2025, 11, 5), budgets=[budget("B1", "A1", budget_start, "2026-03-31")], lines=rows,
                      providers=[provider("PA1", "Jo Bloggs", r"\bJ BLOGGS\b", "personal_assistant")],
                      plan_lines=[plan_line("B1", "L1", "personal_assistant", "PA1")])


def test_tax_quarters_and_averaging():
    assert tax_quarters(date(2025, 4, 1), date(2025, 10, 1)) == [
        (date(2025, 1, 6), date(2025, 4, 5)), (date(2025, 4, 6), date(2025, 7, 5)),
        (date(2025, 7, 6), date(2025, 10, 5))]
    q = (date(2025, 7, 6), date(2025, 10, 5))
    assert averaging_days(q, (date(2025, 4, 1), date(2026, 3, 31))) == 91
    assert averaging_days(q, (date(2025, 8, 20), date(2026, 3, 31))) == 47
    assert averaging_days(q, (date(2025, 9, 25), date(2026, 3, 31))) == 28  # never fewer than 4 weeks


def test_employer_duties_paye_missing_to_the_penny():
    books = _pa_books("260.00", line("A1", "N1", "2025-08-10", "-23.40", "NEST PENSIONS"),
                      line("A1", "H1", "2025-07-22", "-500.00", "HMRC PAYE"))
    out = employer_duties(books)
    # 13 wages of £260.00 = £3,380.00 a quarter. HMRC's 22 July payment falls in both quarters' windows
    # and NEST's 10 August only in the second's: the first (6 April-4 August) misses its pension
    by_q = {f["subject"]: f for f in out}
    assert set(by_q) == {"PA1|2025-04-06"}
    assert by_q["PA1|2025-04-06"]["amount"] == Decimal("3380.00")
    assert "Missing: pension" in by_q["PA1|2025-04-06"]["explanation"]


def test_employer_duties_says_which_duty_is_missing():
    books = _pa_books("260.00", line("A1", "N1", "2025-05-10", "-23.40", "NEST PENSIONS"),
                      line("A1", "N2", "2025-08-10", "-23.40", "NEST PENSIONS"))
    out = {f["subject"]: f["explanation"] for f in employer_duties(books)}
    assert out["PA1|2025-07-06"].startswith("Missing: PAYE.")
    assert "£260.00 a week over 13 weeks" in out["PA1|2025-07-06"]
    assert employer_duties(_pa_books("260.00"))[0]["explanation"].startswith("Missing: both PAYE and pension.")


def test_pa_below_the_thresholds_owes_nothing():
    assert employer_duties(_pa_books("180.00")) == []


def test_payroll_service_paying_hmrc_quarterly_counts():
    books = _pa_books("260.00",
                      line("A1", "H1", "2025-07-22", "-700.00", "MOORSIDE PAYROLL LTD", "HMRC PAYE 475PA1"),
                      line("A1", "H2", "2025-10-22", "-700.00", "MOORSIDE PAYROLL LTD", "HMRC PAYE 475PA1"),
                      line("A1", "N1", "2025-05-10", "-23.40", "NEST PENSIONS"),
                      line("A1", "N2", "2025-08-10", "-23.40", "NEST PENSIONS"))
    assert employer_duties(books) == []


def test_part_quarter_averages_over_the_terms_weeks():
    # term from 20 August: 7 wages of £200.00 = £1,400.00 over 47 days = £208.51 a week: pension due, not PAYE
    books = _pa_books("200.00", start="2025-08-20", budget_start="2025-08-20")
    out = employer_duties(books)
    assert [(f["subject"], f["amount"]) for f in out] == [("PA1|2025-07-06", Decimal("1400.00"))]
    assert out[0]["explanation"].startswith("Missing: pension.") and "£208.51 a week" in out[0]["explanation"]


def test_no_conclusion_about_a_quarter_the_statements_do_not_cover():
    books = _pa_books("260.00")
    gap = mini_books(as_of=books.as_of, budgets=books.budgets.to_dicts(), lines=[
        line("A1", "W1", "2025-07-10", "-260.00", "J BLOGGS WAGES")] * 1 + _weekly_council("A1", "2025-04-01", 32, "400.00"),
        providers=books.providers.to_dicts(), plan_lines=books.plan_lines.to_dicts(),
        coverage=[("A1", "2025-04-01", "2025-07-31"), ("A1", "2025-09-01", "2025-11-04")])
    assert [f for f in employer_duties(gap) if f["subject"] == "PA1|2025-07-06"] == []


# -- REVIEW_OVERDUE ----------------------------------------------------------

def _review_books(review: str | None, start: str = "2025-08-31"):
    return mini_books(as_of=date(2026, 4, 1), budgets=[budget("B1", "A1", start, "2026-08-30", review=review)],
                      lines=_weekly_council("A1", start, 2))


def test_review_overdue_without_a_review_date():
    out = review_overdue(_review_books(None))
    assert len(out) == 1 and out[0]["amount"] is None
    assert "28 February 2026" in out[0]["explanation"] and "32 day(s) overdue" in out[0]["explanation"]
    assert out[0]["period_start"] == date(2026, 2, 28)  # the period holding 28 February


def test_review_overdue_with_a_passed_review_date_and_not_next_month():
    assert len(review_overdue(_review_books("2026-03-01"))) == 1
    assert review_overdue(_review_books("2026-04-15")) == []
    assert review_overdue(_review_books("2026-04-01")) == []  # due today is not yet overdue


def test_review_not_due_for_an_ended_term():
    books = mini_books(as_of=date(2026, 4, 1), budgets=[budget("B1", "A1", "2025-04-01", "2026-03-31")],
                       lines=_weekly_council("A1", "2025-04-01", 2))
    assert review_overdue(books) == []


# -- EVIDENCE_INCOMPLETE -----------------------------------------------------

def _evidence_books(refs: list[str], as_of: str = "2025-07-29"):
    rows = _weekly_council("A1", "2025-04-01", 13, "400.00")
    rows += [line("A1", f"W{k}", f"2025-05-{10 + k:02d}", "-260.00", "J BLOGGS WAGES") for k in range(5)]
    rows += [line("A1", "T1", "2025-06-02", "-700.00", "TESCO STORES")]
    ev = [evidence("B1", "2025-04-01", r, "2025-07-20") for r in refs]
    return mini_books(as_of=date.fromisoformat(as_of), budgets=[budget("B1", "A1", "2025-04-01", "2026-03-31")],
                      lines=rows, evidence_rows=ev)


def test_evidence_incomplete_to_the_penny():
    # £2,000.00 needs evidence; timesheets for £1,300.00 of wages; £700.00 (35%) is left
    books = _evidence_books([f"W{k}" for k in range(5)])
    out = evidence_incomplete(books)
    assert [(f["period_start"], f["amount"], f["evidence"]) for f in out] == [(date(2025, 4, 1), Decimal("700.00"), "T1")]
    ret = books.returns.row(0, named=True)
    assert ret["eligibility_status"] == "at_risk"


def test_evidence_within_the_share_or_before_the_due_date_is_not_incomplete():
    just_over = evidence_incomplete(_evidence_books(["T1", "W0", "W1", "W2"]))  # £520.00 = 26% left
    assert [f["amount"] for f in just_over] == [Decimal("520.00")]
    assert evidence_incomplete(_evidence_books([f"W{k}" for k in range(5)], as_of="2025-07-28")) == []
    books = _evidence_books(["T1", "W0", "W1", "W2", "W3"])  # £260.00 = 13% left
    assert evidence_incomplete(books) == []
    assert books.returns.row(0, named=True)["eligibility_status"] == "ok"


# -- RELATED_PAYEE -----------------------------------------------------------

def _related_books(policy: Policy | None = None):
    rows = _weekly_council("A1", "2025-04-01", 8)
    rows += [line("A1", "F1", "2025-05-01", "-120.00", "FP D OKAFOR"), line("A1", "F2", "2025-05-15", "-120.00", "FP D OKAFOR"),
             line("A1", "W1", "2025-05-02", "-200.00", "T OKAFOR WAGES"),
             line("A1", "G1", "2025-05-03", "-80.00", "OKAFORS GARAGE")]
    return mini_books(as_of=date(2025, 7, 1), budgets=[budget("B1", "A1", "2025-04-01", "2026-03-31")], lines=rows,
                      providers=[provider("PA1", "Tola Okafor", r"\bT OKAFOR\b", "personal_assistant")],
                      plan_lines=[plan_line("B1", "L1", "personal_assistant", "PA1")], policy=policy)


def test_related_payee_to_the_penny_and_not_the_approved_pa():
    out = related_payee(_related_books())
    assert [(f["subject"], f["amount"], f["evidence"], f["severity"]) for f in out] == [
        ("FP D OKAFOR", Decimal("240.00"), "F1 F2", "low")]


def test_related_payee_off_by_policy_and_surnames():
    assert related_payee(_related_books(Policy(related_payee_check=False))) == []
    assert surname("Mr A O'Neil") == "O NEIL" and surname("Okafor") == ""


# -- what the statements let a rule conclude ---------------------------------

def test_coverage_knows_quiet_spells_but_not_gaps():
    import polars as pl

    from pipelines.rules.statements import Coverage

    cov = Coverage(pl.DataFrame({"account_id": ["A1", "A1"], "start_date": [date(2025, 4, 1), date(2025, 6, 1)],
                                 "end_date": [date(2025, 4, 30), date(2025, 6, 25)]}), 7, date(2025, 7, 1))
    assert cov.unknown("A1", date(2025, 5, 10), date(2025, 5, 10))  # inside May's 31-day gap
    assert not cov.unknown("A1", date(2025, 6, 2), date(2025, 6, 30))  # 26-30 June: 5 quiet days, not a gap
    assert cov.balance_known("A1", date(2025, 4, 30)) and not cov.balance_known("A1", date(2025, 6, 15))
    assert cov.unknown("A1", date(2025, 3, 30), date(2025, 4, 2))  # before the first statement
    stale = Coverage(pl.DataFrame({"account_id": ["A1"], "start_date": [date(2025, 6, 1)],
                                   "end_date": [date(2025, 6, 20)]}), 7, date(2025, 7, 1))
    assert stale.unknown("A1", date(2025, 6, 25), date(2025, 6, 25))  # 10 days since the last statement
