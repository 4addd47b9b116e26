"""pipelines/incremental.py: last night's rows spliced with tonight's, or None when last night lacks one."""

from __future__ import annotations

from decimal import Decimal

import polars as pl

from pipelines import incremental

TXNS = pl.DataFrame({"account_id": ["A", "B", "A"], "transaction_id": ["1", "2", "3"], "budget_id": ["BA", "BB", "BA"]})


def test_classes_come_from_tonight_for_the_named_accounts_and_from_last_night_for_the_others():
    fresh = pl.DataFrame({"account_id": ["A", "A"], "transaction_id": ["1", "3"], "budget_id": ["BA", "BA"],
                          "txn_class": ["spend", "refund"], "evidence_ref": ["E1", "E3"]})
    standing = pl.DataFrame({"account_id": ["B", "A"], "transaction_id": ["2", "1"],
                             "txn_class": ["cash", "old"], "evidence_ref": ["E2", "E1"]})
    out = incremental.splice_classes(TXNS, fresh, standing, {"A"})
    assert out.columns == [*TXNS.columns, "txn_class", "evidence_ref"]
    assert out["txn_class"].to_list() == ["spend", "cash", "refund"]  # in the night's order


def test_classes_missing_from_last_night_mean_the_full_path():
    fresh = pl.DataFrame({"account_id": ["A", "A"], "transaction_id": ["1", "3"],
                          "txn_class": ["spend", "refund"], "evidence_ref": ["E1", "E3"]})
    standing = pl.DataFrame({"account_id": ["C"], "transaction_id": ["2"], "txn_class": ["cash"],
                             "evidence_ref": ["E2"]})
    assert incremental.splice_classes(TXNS, fresh, standing, {"A"}) is None


def test_invoices_in_scope_include_those_filed_under_a_named_account():
    budgets = pl.DataFrame({"budget_id": ["BA", "BB"], "account_id": ["A", "B"]})
    invoices = pl.DataFrame({"budget_id": ["BA", "BB", "A", None]})
    assert incremental.invoices_in_scope(invoices, budgets, {"A"}).to_list() == [True, False, True, False]


def test_invoice_figures_missing_from_last_night_mean_the_full_path():
    invoices = pl.DataFrame({"provider_id": ["P", "Q"], "kind": ["invoice", "invoice"], "invoice_id": ["1", "2"],
                             "budget_id": ["BA", "BB"]})
    in_scope = pl.Series([True, False])
    fresh = invoices.head(1).with_columns(pl.lit(Decimal("0.00")).alias("credited_amount"),
                                          pl.lit(Decimal("5.00")).alias("paid_amount"),
                                          pl.lit("paid").alias("payment_status"))
    standing = fresh.with_columns(pl.lit("Q").alias("provider_id"), pl.lit("2").alias("invoice_id"),
                                  pl.lit("unpaid").alias("payment_status"))
    out = incremental.splice_invoices(invoices, fresh, standing, in_scope)
    assert out["payment_status"].to_list() == ["paid", "unpaid"]
    assert incremental.splice_invoices(invoices, fresh, standing.head(0), in_scope) is None
