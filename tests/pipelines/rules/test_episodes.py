"""One exception per problem: findings in consecutive periods merge into one episode."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from pipelines.periods import monitoring_periods
from pipelines.rules import exception_id, flag
from pipelines.rules.episodes import merge_episodes
from pipelines.rules.gaps import UNKNOWN_SCHEMA, unknown_periods, withhold
from pipelines.rules.registry import RULES, declared
from pipelines.rules.run import FLAGS

declared()
BUDGETS = pl.DataFrame({"budget_id": ["B1"], "start_date": [date(2025, 4, 1)], "end_date": [date(2026, 3, 31)]})
AS_OF = date(2026, 4, 30)
PERIODS = monitoring_periods(BUDGETS, "quarterly", 28, AS_OF)  # Apr, Jul, Oct, Jan: all closed
Q = [date(2025, 4, 1), date(2025, 7, 1), date(2025, 10, 1), date(2026, 1, 1)]
ENDS = [date(2025, 6, 30), date(2025, 9, 30), date(2025, 12, 31), date(2026, 3, 31)]
NONE = pl.DataFrame(schema=UNKNOWN_SCHEMA)


def flags(*rows: dict) -> pl.DataFrame:
    return pl.DataFrame([dict(r, episode=r.get("episode", r.get("subject"))) for r in rows], schema=FLAGS, orient="row")


def surplus(k: int, pounds: str) -> dict:
    return flag("SURPLUS_BALANCE", "B1", Q[k], ENDS[k], Decimal(pounds), f"surplus {pounds}")


def merge(found: pl.DataFrame, unknown: pl.DataFrame = NONE):
    return merge_episodes(found, PERIODS, unknown, dict(RULES))


def test_a_surplus_held_three_quarters_is_one_exception_of_its_size_now():
    ex, periods = merge(flags(surplus(1, "1500.00"), surplus(2, "1750.00"), surplus(3, "900.00")))
    assert ex.height == 1
    row = ex.row(0, named=True)
    assert row["amount"] == Decimal("900.00")  # not 4,150.00
    assert row["period_start"] == Q[1] and row["period_end"] == ENDS[3] and row["current"]
    assert row["exception_id"] == exception_id("SURPLUS_BALANCE", "B1", Q[1], None)  # the first finding's id
    assert periods.height == 3 and set(periods["exception_id"]) == {row["exception_id"]}


def test_a_surplus_that_cleared_is_resolved_and_its_return_is_a_new_exception():
    ex, _ = merge(flags(surplus(0, "100.00"), surplus(1, "200.00"), surplus(3, "50.00")))
    ex = ex.sort("period_start")
    assert ex.height == 2
    assert ex["current"].to_list() == [False, True]
    assert ex["amount"].to_list() == [Decimal("200.00"), Decimal("50.00")]
    assert ex["exception_id"][0] != ex["exception_id"][1]


def test_an_episode_that_stopped_before_the_last_quarter_is_not_current():
    ex, _ = merge(flags(surplus(1, "10.00"), surplus(2, "20.00")))
    assert ex["current"].to_list() == [False]


def test_a_quarter_a_gap_leaves_unknown_neither_continues_nor_ends_an_episode():
    unknown = pl.DataFrame([("SURPLUS_BALANCE", "B1", Q[2])], schema=UNKNOWN_SCHEMA, orient="row")
    ex, _ = merge(flags(surplus(1, "10.00"), surplus(3, "30.00")), unknown)
    assert ex.height == 1 and ex["amount"][0] == Decimal("30.00") and ex["period_start"][0] == Q[1]


def test_each_plan_line_is_its_own_problem():
    a = flag("UNDERSPEND_LINE", "B1", Q[0], ENDS[0], Decimal("300.00"), "L1", subject="L1")
    b = flag("UNDERSPEND_LINE", "B1", Q[1], ENDS[1], Decimal("310.00"), "L1", subject="L1")
    c = flag("UNDERSPEND_LINE", "B1", Q[1], ENDS[1], Decimal("99.00"), "L2", subject="L2")
    ex, _ = merge(flags(a, b, c))
    assert sorted(ex["subject"].to_list()) == ["L1", "L2"]


def rate(k: int, invoice: str, unit_rate: str, extra: str) -> dict:
    return flag("RATE_ABOVE_AGREED", "B1", Q[k], ENDS[k], Decimal(extra), f"invoice {invoice}", [invoice],
                subject=invoice, episode=f"P1|{unit_rate}|100.00")


def test_a_provider_charging_above_the_rate_is_one_exception_per_rate_its_invoices_as_evidence():
    ex, periods = merge(flags(rate(0, "I1", "110.00", "40.00"), rate(0, "I2", "110.00", "40.00"),
                              rate(1, "I3", "110.00", "30.00"), rate(1, "I4", "120.00", "80.00")))
    ex = ex.sort("amount")
    assert ex.height == 2
    assert ex["amount"].to_list() == [Decimal("80.00"), Decimal("110.00")]  # each invoice's extra is new money
    assert ex["evidence"].to_list() == ["I4", "I1 I2 I3"]
    assert ex["current"].all()
    assert periods.height == 4


def test_rules_that_do_not_persist_pass_through_one_for_one():
    a = flag("INELIGIBLE_SPEND", "B1", Q[0], ENDS[0], Decimal("20.00"), "bet")
    b = flag("INELIGIBLE_SPEND", "B1", Q[1], ENDS[1], Decimal("25.00"), "bet")
    ex, _ = merge(flags(a, b))
    assert ex.height == 2 and ex["amount"].sum() == Decimal("45.00")


def test_withholding_over_a_hand_made_statement_gap():
    """No statement covers August: the contribution arrears and the surplus (which rest on
    everything to date) are withheld from the July quarter on; the April quarter's surplus,
    the ineligible payment seen in October and the underspend of January stand."""
    gaps = pl.DataFrame({"budget_id": ["B1"], "gap_start": [date(2025, 8, 1)], "gap_end": [date(2025, 8, 31)]})
    unknown = unknown_periods(gaps, PERIODS, BUDGETS, AS_OF, declared())
    found = flags(
        surplus(0, "100.00"), surplus(1, "200.00"), surplus(3, "300.00"),
        flag("CONTRIBUTION_MISSING", "B1", Q[2], ENDS[2], Decimal("80.00"), "arrears"),
        flag("UNDERSPEND_LINE", "B1", Q[1], ENDS[1], Decimal("50.00"), "L1", subject="L1"),
        flag("UNDERSPEND_LINE", "B1", Q[3], ENDS[3], Decimal("60.00"), "L1", subject="L1"),
        flag("INELIGIBLE_SPEND", "B1", Q[2], ENDS[2], Decimal("20.00"), "bet"),
        flag("INVOICE_UNPAID", "B1", Q[0], ENDS[0], Decimal("400.00"), "unpaid", ["INV1"], subject="INV1"),
        flag("EVIDENCE_OVERDUE", "B1", Q[1], ENDS[1], Decimal("70.00"), "late"),
    )
    kept = withhold(found, unknown)
    got = sorted((r, p) for r, p in kept.select("rule_code", "period_start").iter_rows())
    assert got == [("INELIGIBLE_SPEND", Q[2]), ("SURPLUS_BALANCE", Q[0]), ("UNDERSPEND_LINE", Q[3])]


def test_no_gap_withholds_nothing():
    found = flags(surplus(0, "100.00"))
    assert withhold(found, unknown_periods(pl.DataFrame(schema={"budget_id": pl.String, "gap_start": pl.Date,
                                                                 "gap_end": pl.Date}),
                                           PERIODS, BUDGETS, AS_OF, declared())).height == 1


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["SURPLUS_BALANCE", "UNDERSPEND_LINE", "INELIGIBLE_SPEND"]),
                          st.integers(0, 3), st.sampled_from(["L1", "L2"]),
                          st.decimals(min_value=1, max_value=5000, places=2)),
                max_size=12), st.randoms())
def test_every_finding_belongs_to_one_exception_whatever_the_order(found, rnd):
    rows = {}
    for code, k, line, pounds in found:
        subject = line if code == "UNDERSPEND_LINE" else None
        f = flag(code, "B1", Q[k], ENDS[k], pounds, "x", subject=subject)
        rows[f["exception_id"]] = f
    frame = flags(*rows.values()) if rows else pl.DataFrame(schema=FLAGS)
    ex, periods = merge(frame)
    shuffled, _ = merge(frame.sample(fraction=1.0, shuffle=True, seed=rnd.randint(0, 999)))
    assert ex.equals(shuffled)
    assert sorted(periods["flag_id"].to_list()) == sorted(rows)  # each finding once
    assert set(periods["exception_id"]) == set(ex["exception_id"])
    for e in ex.iter_rows(named=True):  # an exception's amount is its last period's (these rules restate)
        mine = periods.filter(pl.col("exception_id") == e["exception_id"]).sort("period_start")
        if e["rule_code"] != "INELIGIBLE_SPEND":
            assert e["amount"] == mine["amount"][-1] and e["period_start"] == mine["period_start"][0]
            starts = [Q.index(d) for d in mine["period_start"].to_list()]
            assert starts == list(range(starts[0], starts[0] + len(starts)))  # consecutive quarters


def test_every_persistent_and_gap_sensitive_rule_is_defined_in_the_docs():
    """docs/rules.md §12 names every rule declared ``persists``, §9 every rule that rests on statements,
    §10 every rule whose money is not its own."""
    from tests.conftest import ROOT

    docs = (ROOT / "docs" / "rules.md").read_text()
    six, seven, eight = (docs[docs.index(f"## {n}."):docs.index(f"## {n + 1}.")] for n in (8, 9, 10))
    for r in declared():
        if r.persists:
            assert f"| `{r.code}` |" in six, r.code
        if r.rests_on:
            assert f"`{r.code}`" in seven.split("| rests on |")[1].split("\n\n")[0], r.code
        if r.money != "own":
            assert f"`{r.code}`" in eight, r.code
