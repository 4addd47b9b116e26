"""The audit plan on small frames: the score's points, the tier, and when the next audit falls."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from pipelines.audit_plan import MONEY_CAP, MONEY_STEP, SEVERITY_POINTS, audit_plan, tier_of
from schemas.policy import Policy
from schemas.warehouse import audits as audits_table
from schemas.warehouse import recoveries as recoveries_table

D = Decimal
POLICY = Policy()


def budgets(*rows: tuple) -> pl.DataFrame:
    return pl.DataFrame([dict(budget_id=b, start_date=s, end_date=e, review_date=r) for b, s, e, r in rows],
                        schema={"budget_id": pl.String, "start_date": pl.Date, "end_date": pl.Date,
                                "review_date": pl.Date}, orient="row")


def exceptions(*rows: tuple) -> pl.DataFrame:
    return pl.DataFrame([dict(budget_id=b, rule_code=c, severity=s, amount=a, status=st_) for b, c, s, a, st_ in rows],
                        schema={"budget_id": pl.String, "rule_code": pl.String, "severity": pl.String,
                                "amount": pl.Decimal(18, 2), "status": pl.String}, orient="row")


def returns(*rows: tuple) -> pl.DataFrame:
    return pl.DataFrame([dict(budget_id=b, due_date=d, received_at=r, items_outstanding=n) for b, d, r, n in rows],
                        schema={"budget_id": pl.String, "due_date": pl.Date, "received_at": pl.Date,
                                "items_outstanding": pl.Int64}, orient="row")


def positions(*rows: tuple) -> pl.DataFrame:
    return pl.DataFrame([dict(budget_id=b, period_end=e, weeks_held=w) for b, e, w in rows],
                        schema={"budget_id": pl.String, "period_end": pl.Date, "weeks_held": pl.Decimal(18, 4)},
                        orient="row")


def audits(*rows: tuple) -> pl.DataFrame:
    return pl.DataFrame([dict(budget_id=b, audited_on=d, reviewer="jsmith", note=None, recorded_at=None)
                         for b, d in rows], schema=audits_table.polars_schema(), orient="row")


def plan(b, as_of, exc=None, ret=None, pos=None, aud=None, rec=None, policy=POLICY) -> dict[str, dict]:
    out = audit_plan(b, exc if exc is not None else exceptions(), ret if ret is not None else returns(),
                     pos if pos is not None else positions(), aud if aud is not None else audits(),
                     rec if rec is not None else recoveries_table.empty(), policy, as_of)
    return {r["budget_id"]: r for r in out.iter_rows(named=True)}


NEW = ("B1", date(2026, 4, 1), date(2027, 3, 31), None)


def test_the_worked_example_of_the_docstring_to_the_day():
    quiet = plan(budgets(NEW), date(2026, 4, 20))["B1"]
    assert (quiet["risk_score"], quiet["tier"], quiet["next_audit_due"]) == (5, "light touch", date(2026, 6, 24))
    assert (quiet["first_audit_from"], quiet["first_audit_by"]) == (date(2026, 5, 13), date(2026, 6, 24))
    assert quiet["risk_reasons"] == "new budget (started 2026-04-01) (+5)"
    assert quiet["review_due"] == date(2026, 10, 1)  # first_review_months after the start
    flagged = plan(budgets(NEW), date(2026, 4, 20),
                   exc=exceptions(("B1", "UNAPPROVED_PAYEE", "high", D("1200.00"), "open")))["B1"]
    assert (flagged["risk_score"], flagged["tier"], flagged["next_audit_due"]) == (17, "standard", date(2026, 6, 3))
    assert "1 open high-severity exception (+10)" in flagged["risk_reasons"]
    assert "£1,200.00 at stake (+2)" in flagged["risk_reasons"]


def test_intensive_brings_the_first_audit_to_the_start_of_its_window():
    exc = exceptions(*[("B1", "INELIGIBLE_SPEND", "high", D("10.00"), "open")] * 3)
    row = plan(budgets(NEW), date(2026, 4, 20), exc=exc)["B1"]
    assert (row["risk_score"], row["tier"], row["next_audit_due"]) == (35, "intensive", date(2026, 5, 13))


def test_settled_and_evidence_exceptions_do_not_score_as_exceptions():
    exc = exceptions(("B1", "UNAPPROVED_PAYEE", "high", D("900.00"), "dismissed"),
                     ("B1", "UNAPPROVED_PAYEE", "high", D("900.00"), "resolved"),
                     ("B1", "INELIGIBLE_SPEND", "high", D("900.00"), "recovered"),
                     ("B1", "EVIDENCE_OVERDUE", "high", D("900.00"), "open"))
    assert plan(budgets(NEW), date(2026, 4, 20), exc=exc)["B1"]["risk_score"] == 5


def test_evidence_returns_missing_late_and_incomplete():
    ret = returns(("B1", date(2026, 5, 1), None, 4),  # not received: 8
                  ("B1", date(2026, 6, 1), date(2026, 6, 5), 0),  # late: 3
                  ("B1", date(2026, 7, 1), date(2026, 6, 20), 2),  # on time, 2 items missing: 3
                  ("B1", date(2026, 9, 1), None, 3))  # not yet due: nothing
    row = plan(budgets(NEW), date(2026, 8, 1), ret=ret, aud=audits(("B1", date(2026, 5, 20))))["B1"]
    assert row["risk_score"] == 14
    assert "evidence return due 2026-05-01 not received (+8)" in row["risk_reasons"]
    assert "evidence return due 2026-06-01 sent late (2026-06-05) (+3)" in row["risk_reasons"]
    assert "evidence return due 2026-07-01 missing 2 items (+3)" in row["risk_reasons"]


def test_surplus_periods_score_and_a_balance_at_the_threshold_does_not():
    pos = positions(("B1", date(2026, 6, 30), D("8.0000")),  # at the threshold: no
                    ("B1", date(2026, 9, 30), D("8.0100")),
                    ("B1", date(2026, 12, 31), D("12.0000")),
                    ("B1", date(2027, 3, 31), D("20.0000")))  # not closed yet on the run date
    row = plan(budgets(NEW), date(2027, 1, 15), pos=pos, aud=audits(("B1", date(2026, 5, 20))))["B1"]
    assert (row["risk_score"], row["risk_reasons"]) == (6, "surplus held in 2 periods (+6)")


def test_after_an_audit_the_next_is_yearly_brought_forward_by_risk():
    b = budgets(("B1", date(2025, 1, 1), date(2027, 12, 31), date(2026, 1, 1)))
    done = audits(("B1", date(2025, 2, 20)), ("B1", date(2026, 2, 20)), ("B1", date(2026, 9, 1)))  # the future one
    light = plan(b, date(2026, 3, 1), aud=done)["B1"]
    assert (light["last_audit"], light["tier"], light["next_audit_due"]) == (date(2026, 2, 20), "light touch",
                                                                           date(2027, 2, 20))
    assert light["review_due"] == date(2026, 1, 1) and light["first_audit_by"] is None
    exc = exceptions(("B1", "OVERSPEND", "medium", D("100.00"), "open"), ("B1", "OVERSPEND", "medium", None, "open"))
    assert plan(b, date(2026, 3, 1), aud=done, exc=exc)["B1"]["next_audit_due"] == date(2026, 11, 20)  # 9 months
    exc = exceptions(*[("B1", "OVERSPEND", "high", D("100.00"), "open")] * 3)
    assert plan(b, date(2026, 3, 1), aud=done, exc=exc)["B1"]["next_audit_due"] == date(2026, 5, 20)  # 3 months


def test_a_missed_first_audit_and_a_stale_audit_score_and_an_ended_budget_has_no_next_audit():
    b = budgets(("B1", date(2025, 1, 1), date(2027, 12, 31), None), ("B2", date(2025, 1, 1), date(2025, 12, 31), None))
    rows = plan(b, date(2026, 3, 1))
    assert rows["B1"]["risk_score"] == 10 and "no audit yet: the first was due by 2025-03-26" in rows["B1"]["risk_reasons"]
    assert rows["B2"]["next_audit_due"] is None and rows["B2"]["risk_score"] == 0
    stale = plan(b, date(2026, 3, 1), aud=audits(("B1", date(2025, 2, 1))))["B1"]
    assert (stale["risk_score"], stale["risk_reasons"]) == (5, "last audit 2025-02-01, over 12 months ago (+5)")


def test_an_overdue_recovery_scores():
    rec = recoveries_table.empty().vstack(pl.DataFrame([dict(
        recovery_id="R1", exception_id="X1", budget_id="B1", amount=D("10.00"), notified_on=date(2026, 4, 1),
        due_on=date(2026, 4, 29), repaid=D("0.00"), repaid_on=None, status="notified", method="repay",
        decided_on=date(2026, 4, 1), evidence=None)], schema=recoveries_table.polars_schema()))
    assert plan(budgets(NEW), date(2026, 4, 29), rec=rec)["B1"]["risk_score"] == 5  # due today: not yet
    row = plan(budgets(NEW), date(2026, 4, 30), rec=rec)["B1"]
    assert row["risk_score"] == 10 and "1 recovery overdue (+5)" in row["risk_reasons"]


def test_tiers_at_their_boundaries():
    assert [tier_of(n) for n in (0, 9, 10, 29, 30, 99)] == ["light touch", "light touch", "standard", "standard",
                                                            "intensive", "intensive"]


@settings(max_examples=80, deadline=None)
@given(start=st.dates(date(2024, 1, 1), date(2027, 12, 31)), days_in=st.integers(-30, 200),
       highs=st.integers(0, 5), lo=st.integers(0, 10), extra=st.integers(0, 10))
def test_a_never_audited_budget_is_always_due_inside_its_first_audit_window(start, days_in, highs, lo, extra):
    policy = Policy(first_audit_weeks_min=lo, first_audit_weeks_max=lo + extra)
    b = budgets(("B1", start, start + timedelta(days=400), None))
    exc = exceptions(*[("B1", "INELIGIBLE_SPEND", "high", D("50.00"), "open")] * highs)
    row = plan(b, start + timedelta(days=days_in), exc=exc, policy=policy)["B1"]
    assert start + timedelta(weeks=lo) <= row["next_audit_due"] <= start + timedelta(weeks=lo + extra)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["B1", "B2", "B3"]),
                          st.sampled_from(["UNPLANNED_SPEND", "SURPLUS", "EVIDENCE_OVERDUE", "EVIDENCE_INCOMPLETE"]),
                          st.sampled_from(["high", "medium", "low"]),
                          st.one_of(st.none(), st.decimals(min_value=-5000, max_value=5000, places=2)),
                          st.sampled_from(["open", "reopened", "resolved", "dismissed", "recovered", "written_off"])),
                max_size=25))
def test_each_budgets_exceptions_score_their_count_by_severity_and_the_money_at_stake(rows):
    """The exceptions' points counted by hand, one budget at a time: per severity, the open
    (not settled, not evidence) exceptions; and the positive amounts at stake, a point a step."""
    old = (date(2025, 4, 1), date(2027, 3, 31), None)  # audited last month: no audit points
    got = plan(budgets(*[(b, *old) for b in ("B1", "B2", "B3")]), date(2026, 4, 1), exc=exceptions(*rows),
               aud=audits(*[(b, date(2026, 3, 1)) for b in ("B1", "B2", "B3")]))
    for b in ("B1", "B2", "B3"):
        live = [r for r in rows if r[0] == b and r[4] not in ("resolved", "dismissed", "recovered", "written_off")
                and not r[1].startswith("EVIDENCE_")]
        expected = []
        for sev, each in SEVERITY_POINTS.items():
            n = sum(1 for r in live if r[2] == sev)
            if n:
                expected.append((n * each, f"{n} open {sev}-severity exception{'' if n == 1 else 's'}"))
        stake = sum((r[3] for r in live if r[3] is not None and r[3] > 0), D("0.00"))
        if stake >= MONEY_STEP:
            expected.append((min(MONEY_CAP, int(stake // MONEY_STEP)), f"£{stake:,.2f} at stake"))
        assert got[b]["risk_score"] == sum(p for p, _ in expected)
        assert got[b]["risk_reasons"] == ("; ".join(f"{why} (+{p})" for p, why in sorted(expected, key=lambda x: (-x[0], x[1])))
                                          or "nothing of note")
