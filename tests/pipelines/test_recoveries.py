"""The recovery loop on small frames: what counts as money back, to the penny, and what does not."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from pipelines.classify import classify_transactions
from pipelines.recoveries import recoveries, recovery_id
from schemas.policy import Policy
from schemas.warehouse import reviews as reviews_table
from stores.notices import SCHEMA as NOTICES_SCHEMA

D = Decimal
POLICY = Policy()
BUDGETS = pl.DataFrame({"budget_id": ["B1", "B2"], "account_id": ["A1", "A2"],
                        "payment_amount": [D("520.00"), D("400.00")]},
                       schema={"budget_id": pl.String, "account_id": pl.String, "payment_amount": pl.Decimal(18, 2)})
EXCEPTIONS = pl.DataFrame({"exception_id": ["X1", "X2", "X3", "X9"], "budget_id": ["B1", "B1", "B2", None]})
TXN_SCHEMA = {"account_id": pl.String, "budget_id": pl.String, "transaction_id": pl.String, "date": pl.Date,
              "amount": pl.Decimal(18, 2), "txn_class": pl.String}
AS_OF = date(2026, 6, 1)


def decision(exception_id: str, day: date, decision: str, amount: str | None = None, method: str | None = None,
             recovered: str | None = None) -> dict:
    return dict(exception_id=exception_id, reviewer="jsmith", decided_at=datetime.combine(day, datetime.min.time()),
                decision=decision, note=None, amount_recovered=D(recovered) if recovered else None,
                amount_asked=D(amount) if amount else None, method=method)


def decisions(*rows: dict) -> pl.DataFrame:
    return pl.DataFrame(list(rows), schema=reviews_table.polars_schema(), orient="row")


def txns(*rows: tuple) -> pl.DataFrame:
    return pl.DataFrame([dict(zip(TXN_SCHEMA, r, strict=True)) for r in rows], schema=TXN_SCHEMA, orient="row")


def no_notices() -> pl.DataFrame:
    return pl.DataFrame(schema=NOTICES_SCHEMA)


def one(frame: pl.DataFrame, exception_id: str = "X1") -> dict:
    return frame.filter(pl.col("exception_id") == exception_id).to_dicts()[0]


def run(dec: pl.DataFrame, t: pl.DataFrame | None = None, notices: pl.DataFrame | None = None,
        policy: Policy = POLICY) -> pl.DataFrame:
    return recoveries(dec, EXCEPTIONS, BUDGETS, t if t is not None else txns(), notices if notices is not None
                      else no_notices(), policy, AS_OF)


def test_a_recover_decision_creates_one_recovery_with_a_stable_id():
    out = run(decisions(decision("X1", date(2026, 3, 10), "recover", "300.00")))
    r = one(out)
    assert out.height == 1 and r["recovery_id"] == recovery_id("X1") == recovery_id("X1")
    assert (r["amount"], r["repaid"], r["status"], r["method"]) == (D("300.00"), D("0.00"), "notified", "repay")
    assert r["notified_on"] is None and r["due_on"] is None  # no notice issued yet


def test_repayments_to_the_council_count_from_the_decision_day_to_the_penny():
    t = txns(("A1", "B1", "T0", date(2026, 3, 9), D("-50.00"), "repayment"),  # before the decision: not for it
             ("A1", "B1", "T1", date(2026, 3, 20), D("-120.00"), "repayment"),
             ("A1", "B1", "T2", date(2026, 4, 20), D("-179.99"), "repayment"))
    r = one(run(decisions(decision("X1", date(2026, 3, 10), "recover", "300.00")), t))
    assert (r["repaid"], r["status"], r["repaid_on"], r["evidence"]) == (D("299.99"), "part_repaid",
                                                                         date(2026, 4, 20), "T1 T2")
    t = t.vstack(txns(("A1", "B1", "T3", date(2026, 5, 1), D("-40.00"), "repayment")))
    r = one(run(decisions(decision("X1", date(2026, 3, 10), "recover", "300.00")), t))
    assert (r["repaid"], r["status"], r["repaid_on"]) == (D("300.00"), "repaid", date(2026, 5, 1))


def test_reduced_council_payments_count_only_when_the_recovery_is_by_reduced_payments():
    t = txns(("A1", "B1", "C1", date(2026, 3, 24), D("370.00"), "council_payment"),
             ("A1", "B1", "C2", date(2026, 4, 21), D("370.00"), "council_payment"),
             ("A1", "B1", "C3", date(2026, 5, 19), D("520.00"), "council_payment"))  # paid in full: nothing back
    reduce = one(run(decisions(decision("X1", date(2026, 3, 10), "recover", "300.00", "reduce_payments")), t))
    assert (reduce["repaid"], reduce["status"], reduce["repaid_on"]) == (D("300.00"), "repaid", date(2026, 4, 21))
    repay = one(run(decisions(decision("X1", date(2026, 3, 10), "recover", "300.00", "repay")), t))
    assert (repay["repaid"], repay["status"]) == (D("0.00"), "notified")


def test_the_policy_method_applies_when_the_decision_names_none():
    t = txns(("A1", "B1", "C1", date(2026, 3, 24), D("420.00"), "council_payment"))
    r = one(run(decisions(decision("X1", date(2026, 3, 10), "recover", "300.00")), t,
                policy=Policy(recovery_method="reduce_payments")))
    assert (r["method"], r["repaid"], r["status"]) == ("reduce_payments", D("100.00"), "part_repaid")


def test_repayments_go_to_the_oldest_recovery_of_the_account_first():
    dec = decisions(decision("X1", date(2026, 3, 10), "recover", "100.00"),
                    decision("X2", date(2026, 3, 12), "recover", "80.00"))
    t = txns(("A1", "B1", "T1", date(2026, 3, 20), D("-150.00"), "repayment"))
    out = run(dec, t)
    assert (one(out, "X1")["repaid"], one(out, "X1")["status"]) == (D("100.00"), "repaid")
    assert (one(out, "X2")["repaid"], one(out, "X2")["status"]) == (D("50.00"), "part_repaid")


def test_another_accounts_repayment_is_not_this_ones():
    t = txns(("A2", "B2", "T1", date(2026, 3, 20), D("-150.00"), "repayment"))
    assert one(run(decisions(decision("X1", date(2026, 3, 10), "recover", "100.00")), t))["status"] == "notified"


def test_write_off_and_reconsider_set_the_status_and_a_write_off_stops_the_count():
    t = txns(("A1", "B1", "T1", date(2026, 3, 20), D("-40.00"), "repayment"),
             ("A1", "B1", "T2", date(2026, 5, 20), D("-60.00"), "repayment"))
    off = one(run(decisions(decision("X1", date(2026, 3, 10), "recover", "100.00"),
                            decision("X1", date(2026, 4, 1), "written_off")), t))
    assert (off["status"], off["repaid"]) == ("written_off", D("40.00"))
    again = one(run(decisions(decision("X1", date(2026, 3, 10), "recover", "100.00"),
                              decision("X1", date(2026, 3, 15), "reconsidering")), t))
    assert (again["status"], again["repaid"]) == ("repaid", D("100.00"))  # paid anyway: repaid wins
    pending = one(run(decisions(decision("X1", date(2026, 3, 10), "recover", "100.00"),
                                decision("X1", date(2026, 3, 15), "reconsidering"))))
    assert pending["status"] == "reconsidering"
    resumed = one(run(decisions(decision("X1", date(2026, 3, 10), "recover", "100.00"),
                                decision("X1", date(2026, 3, 15), "reconsidering"),
                                decision("X1", date(2026, 4, 15), "recover", "70.00"))))
    assert (resumed["status"], resumed["amount"], resumed["decided_on"]) == ("notified", D("70.00"), date(2026, 3, 10))


def test_money_an_officer_records_as_recovered_counts():
    r = one(run(decisions(decision("X1", date(2026, 3, 10), "recover", "100.00"),
                          decision("X1", date(2026, 3, 30), "recovered", recovered="100.00"))))
    assert (r["status"], r["repaid"], r["repaid_on"]) == ("repaid", D("100.00"), date(2026, 3, 30))


def test_recorded_and_statement_money_count_in_date_order():
    t = txns(("A1", "B1", "T1", date(2026, 3, 20), D("-60.00"), "repayment"))
    r = one(run(decisions(decision("X1", date(2026, 3, 10), "recover", "100.00"),
                          decision("X1", date(2026, 4, 1), "recovered", recovered="50.00")), t))
    assert (r["repaid"], r["repaid_on"], r["evidence"]) == (D("100.00"), date(2026, 4, 1), "T1 decision 2026-04-01")


def test_no_recovery_without_a_recover_decision_or_a_budget():
    assert run(decisions(decision("X1", date(2026, 3, 10), "confirmed"))).height == 0
    assert run(decisions(decision("X1", date(2026, 3, 10), "recovered", recovered="10.00"))).height == 0
    assert run(decisions(decision("X9", date(2026, 3, 10), "recover", "10.00"))).height == 0


def test_the_notice_gives_notified_on_and_the_due_date():
    notices = pl.DataFrame([(recovery_id("X1"), "X1", "B1", D("100.00"), date(2026, 3, 11), "b1")],
                           schema=NOTICES_SCHEMA, orient="row")
    r = one(run(decisions(decision("X1", date(2026, 3, 10), "recover", "100.00")), notices=notices))
    assert (r["notified_on"], r["due_on"]) == (date(2026, 3, 11), date(2026, 4, 8))  # 28 days


def test_money_out_to_the_council_is_a_repayment_but_council_tax_is_not():
    frame = pl.DataFrame({"payee": ["NORTHSHIRE COUNCIL", "NORTHSHIRE COUNCIL TAX", "NORTHSHIRE COUNCIL",
                                    "TESCO"],
                          "memo": ["REPAYMENT DP1", "DD", "DP PAYMENT", ""],
                          "amount": [D("-50.00"), D("-120.00"), D("400.00"), D("-5.00")],
                          "mcc": [None, None, None, "5411"], "trntype": [None, None, None, None]},
                         schema={"payee": pl.String, "memo": pl.String, "amount": pl.Decimal(18, 2), "mcc": pl.String,
                                 "trntype": pl.String})
    assert classify_transactions(frame, POLICY)["txn_class"].to_list() == ["repayment", "spend", "council_payment",
                                                                          "spend"]


pence = st.integers(min_value=1, max_value=50_000).map(lambda p: D(p).scaleb(-2))


@settings(max_examples=60, deadline=None)
@given(asked=st.lists(pence, min_size=1, max_size=3), paid=st.lists(pence, max_size=6), seed=st.randoms())
def test_money_back_is_conserved_and_row_order_does_not_matter(asked, paid, seed):
    """Counted never exceeds what was asked nor what came in; shuffling the statement changes nothing."""
    ids = [f"X{i}" for i in range(len(asked))]
    exc = pl.DataFrame({"exception_id": ids, "budget_id": ["B1"] * len(ids)})
    dec = decisions(*[decision(x, date(2026, 1, 1 + i), "recover", str(a)) for i, (x, a) in enumerate(zip(ids, asked,
                                                                                                            strict=True))])
    rows = [("A1", "B1", f"T{i:02d}", date(2026, 2, 1 + i), -p, "repayment") for i, p in enumerate(paid)]
    t = txns(*rows)
    out = recoveries(dec, exc, BUDGETS, t, no_notices(), POLICY, AS_OF)
    shuffled = rows[:]
    seed.shuffle(shuffled)
    again = recoveries(dec, exc, BUDGETS, txns(*shuffled), no_notices(), POLICY, AS_OF)
    assert out.equals(again)
    counted = sum(out["repaid"].to_list(), D("0.00"))
    assert counted == min(sum(asked, D("0.00")), sum(paid, D("0.00")))
    for r in out.iter_rows(named=True):
        assert D("0.00") <= r["repaid"] <= r["amount"]
        assert (r["status"] == "repaid") == (r["repaid"] == r["amount"])
