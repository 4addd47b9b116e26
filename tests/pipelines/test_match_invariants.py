"""Payment ↔ invoice matching: the invariants over random worlds (Hypothesis)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from pipelines.match import match_payments
from schemas.warehouse import matches as matches_table
from tests.pipelines.match_cases import (
    INV_SCHEMA,
    PROVIDERS,
    invs,
    run,
    txns,
)

# ---- invariants ----------------------------------------------------------------------

AMOUNTS = [3000, 5000, 7500, 10000, 12550, 20000]  # pence
PAYEES = ["ACME HOME CARE", "Acme Care", "BRIGHT DAYS", "BRIGHTDAYS CIC", "CARE CO", "TESCO", None]
PAYEE_OF = {
    "ACME": ["ACME HOME CARE", "Acme Care"],
    "BRIGHT": ["BRIGHT DAYS", "BRIGHTDAYS CIC"],
    "CARECO": ["CARE CO"],
}


@st.composite
def worlds(draw) -> tuple[pl.DataFrame, pl.DataFrame]:
    """A few invoices and payments over two budgets; half the payments are drawn
    to look like they pay an invoice (its payee, budget, a nearby date, its amount,
    a sum with another, or a part), so every pass gets exercised."""
    inv_rows = []
    for k in range(draw(st.integers(0, 8))):
        issue = draw(st.integers(0, 60))
        inv_rows.append(
            (
                f"INV-{k:04d}",
                draw(st.sampled_from(["ACME", "BRIGHT", "CARECO"])),
                issue,
                draw(st.sampled_from(AMOUNTS)),
                draw(st.sampled_from(["invoice"] * 5 + ["credit_note"])),
                draw(st.sampled_from(["B1", "B2"])),
                issue + draw(st.integers(0, 30)),
            )
        )
    tx_rows = []
    for k in range(draw(st.integers(0, 12))):
        budget = draw(st.sampled_from(["B1", "B1", "B2", None]))
        payee = draw(st.sampled_from(PAYEES))
        when = draw(st.integers(-10, 120))
        pence = draw(st.one_of(st.sampled_from(AMOUNTS), st.integers(1, 30000)))
        if inv_rows and draw(st.booleans()):
            iid, provider, issue, amount, _, budget, _ = draw(st.sampled_from(inv_rows))
            payee = draw(st.sampled_from(PAYEE_OF[provider]))
            when = issue + draw(st.integers(-10, 70))
            kin = [r[3] for r in inv_rows if r[1] == provider and r[5] == budget and r[0] != iid]
            pence = draw(st.sampled_from([amount, amount - 1000, amount // 2]))
            if kin and draw(st.booleans()):
                pence = amount + draw(st.sampled_from(kin))
        memo = None
        if inv_rows and draw(st.integers(0, 3)) == 0:
            named = draw(st.lists(st.integers(0, len(inv_rows) - 1), min_size=1, max_size=3))
            memo = " ".join(
                draw(st.sampled_from([f"INV-{j:04d}", f"INV{j:04d}", f"INV {j:04d}"]))
                for j in named
            )
        sign = draw(st.sampled_from([-1, -1, -1, 1]))
        tx_rows.append(
            (
                f"T{k:03d}",
                when,
                f"{Decimal(sign * pence) / 100:.2f}",
                payee,
                memo,
                budget,
                draw(st.sampled_from(["ACC1", "ACC2"])),
            )
        )
    inv_rows = [(i, p, d, f"{Decimal(a) / 100:.2f}", *rest) for i, p, d, a, *rest in inv_rows]
    return txns(*tx_rows), invs(*inv_rows) if inv_rows else pl.DataFrame(schema=INV_SCHEMA)


def _pence(d: Decimal) -> int:
    return int(d * 100)


@settings(max_examples=100, deadline=None)
@given(worlds())
def test_money_is_conserved(world):
    bank, invoice = world
    result = run(bank, invoice)
    m = result.matches
    assert m.schema == matches_table.polars_schema()
    assert (m["amount"] > 0).all()
    matched = {
        (r["account_id"], r["transaction_id"]): _pence(r["amount"])
        for r in m.group_by("account_id", "transaction_id")
        .agg(pl.col("amount").sum())
        .iter_rows(named=True)
    }
    outgoing = unmatched = 0
    for r in bank.iter_rows(named=True):
        key = (r["account_id"], r["transaction_id"])
        out = max(-_pence(r["amount"]), 0)
        got = matched.pop(key, 0)
        assert got <= out, key
        if r["budget_id"] is None:
            assert got == 0
        outgoing += out
        unmatched += out - got
    assert not matched, "a match names a transaction that is not in the input"
    assert int(m["amount"].sum() * 100 if m.height else 0) + unmatched == outgoing


@settings(max_examples=100, deadline=None)
@given(worlds())
def test_nothing_is_paid_beyond_its_amount_except_by_naming_it(world):
    bank, invoice = world
    result = run(bank, invoice)
    rows = result.matches.join(
        bank.select(
            "account_id", "transaction_id", pl.col("budget_id").alias("tb"), "date", "memo"
        ),
        on=["account_id", "transaction_id"],
    )
    rows = rows.join(invoice, on="invoice_id")
    docs = {r["invoice_id"]: r for r in result.invoices.iter_rows(named=True)}
    for r in rows.iter_rows(named=True):
        assert r["tb"] == r["budget_id"]
        assert r["kind"] == "invoice"
        if r["method"] == "reference":
            assert r["invoice_id"].replace("-", "") in (r["memo"] or "").replace("-", "").replace(
                " ", ""
            )
        else:
            assert (
                r["issue_date"] - timedelta(days=7)
                <= r["date"]
                <= r["due_date"] + timedelta(days=45)
            )
    for iid, d in docs.items():
        on_it = rows.filter(pl.col("invoice_id") == iid)
        total = _pence(on_it["amount"].sum()) if on_it.height else 0
        non_ref = on_it.filter(pl.col("method") != "reference")
        net = _pence(d["amount"]) - _pence(d["credited_amount"])
        assert _pence(d["paid_amount"]) == total
        assert 0 <= _pence(d["credited_amount"]) <= _pence(d["amount"])
        assert (_pence(non_ref["amount"].sum()) if non_ref.height else 0) <= net
        if total > net:
            assert (on_it["method"] == "reference").any()
        owed = net - total
        want = (
            "credited"
            if d["kind"] == "credit_note"
            else "overpaid"
            if owed < 0
            else "paid"
            if owed == 0
            else "part_paid"
            if total > 0
            else "unpaid"
        )
        assert d["payment_status"] == want
    notes = result.invoices.filter(pl.col("kind") == "credit_note")
    credits_given = notes["credited_amount"].sum() if notes.height else 0
    bills = result.invoices.filter(pl.col("kind") == "invoice")
    assert (bills["credited_amount"].sum() if bills.height else 0) == credits_given


@settings(max_examples=100, deadline=None)
@given(worlds(), st.randoms(use_true_random=False))
def test_row_order_does_not_matter_and_runs_repeat(world, rnd):
    bank, invoice = world
    first = run(bank, invoice)
    again = run(bank, invoice)
    assert_frame_equal(first.matches, again.matches)
    assert_frame_equal(first.invoices, again.invoices)

    def shuffled(frame: pl.DataFrame) -> pl.DataFrame:
        order = list(range(frame.height))
        rnd.shuffle(order)
        return frame[order] if order else frame

    other = match_payments(shuffled(bank), shuffled(invoice), shuffled(PROVIDERS))
    assert_frame_equal(first.matches, other.matches)
    assert_frame_equal(first.invoices.sort("invoice_id"), other.invoices.sort("invoice_id"))
