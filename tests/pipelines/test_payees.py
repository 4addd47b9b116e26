"""The one payee matcher: search text, patterns (good and bad), and the agreement
between classification and matching on which provider a payment names."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from pipelines.classify import categorise
from pipelines.match import match_payments
from pipelines.payees import (
    matches_any,
    normalise_payee,
    payee_expr,
    payee_providers,
    provider_pairs,
    search_text,
    split_patterns,
)
from schemas.policy import Policy

MONEY = pl.Decimal(18, 2)
D0 = date(2026, 3, 1)


def test_search_text_is_payee_then_memo_either_may_be_missing():
    frame = pl.DataFrame({"payee": ["FP C TAYLOR", None, "ACME", None],
                          "memo": ["WAGES WK 12", "ACME CARE", None, None]})
    assert frame.select(search_text())["text"].to_list() == [
        "FP C TAYLOR WAGES WK 12", " ACME CARE", "ACME ", " "]


def test_split_patterns_drops_blanks():
    assert split_patterns(" acme care| |acme ltd ") == ["acme care", "acme ltd"]
    assert split_patterns(None) == []


def test_a_pattern_that_is_not_a_regex_is_read_as_its_plain_text_everywhere():
    texts = pl.Series(["CARE (UK) LTD", "CARE UK LTD", None])
    assert matches_any(texts, ["care (uk"]).to_list() == [True, False, False]
    providers = pl.DataFrame({"provider_id": ["P1"], "payee_patterns": ["care (uk"]})
    assert payee_providers(texts, providers).to_list() == [["P1"], [], []]


def test_a_leading_global_flag_holds_for_its_own_pattern_only():
    texts = pl.Series(["ACME LTD", "LTD ACME"])
    assert matches_any(texts, ["(?i)ltd$", "zzz"]).to_list() == [True, False]
    providers = pl.DataFrame({"provider_id": ["P1"], "payee_patterns": ["(?i)ltd$|zzz"]})
    assert payee_providers(texts, providers).to_list() == [["P1"], []]


def test_word_bounded_patterns_do_not_fire_inside_a_longer_name():
    providers = pl.DataFrame({"provider_id": ["PA1", "PA2"],
                              "payee_patterns": [r"\bJ SHAW\b", r"SUNNY\s+DAYS|(?i:acme)(?!\s*reef)"]})
    texts = pl.Series(["FP J SHAW WAGES", "J SHAWCROSS", "sunny  days", "ACME REEF", "ACME HOME"])
    assert payee_providers(texts, providers).to_list() == [["PA1"], [], ["PA2"], [], ["PA2"]]


def test_provider_pairs_keeps_only_the_candidate_providers_the_text_names():
    providers = pl.DataFrame({"provider_id": ["A", "B"], "payee_patterns": ["acme", "bright"]})
    cands = pl.DataFrame({"p": [0, 0, 1], "provider_id": ["A", "B", "B"],
                          "text": ["ACME CARE ", "ACME CARE ", "ACME CARE "]})
    got = provider_pairs(cands, providers)
    assert got.to_dicts() == [{"p": 0, "provider_id": "A"}]


def test_normalise_payee_drops_references_and_punctuation():
    assert normalise_payee("WILLOWS SHORT BREAKS WIL-00341-013") == "WILLOWS SHORT BREAKS"
    assert normalise_payee("m. miller 0423") == "M MILLER"
    assert normalise_payee(None) == ""
    frame = pl.DataFrame({"payee": [None, "O'Brien"], "memo": ["M MILLER 0423", None]})
    assert frame.select(payee_expr())["payee"].to_list() == ["M MILLER", "O BRIEN"]


# ---- classification and matching agree ------------------------------------------

WORDS = ["ACME", "CARE", "HOME", "J", "SHAW", "SHAWCROSS", "SUNNY", "DAYS", "(UK)", "LTD", "REEF",
         "WAGES", "INV", "0421", "FP", "M", "PARKER", "C", "TAYLOR"]
PIECES = ["acme", "acme care", r"\bJ SHAW\b", "care (uk", r"acme(?!\s*reef)", r"SUNNY\s+DAYS",
          "[", "M.PARKER", r"\bc taylor\b", "home|care", "shaw", "(?i)ltd$", r"^fp\b", "a+b"]

patterns = st.lists(st.sampled_from(PIECES), min_size=0, max_size=3).map("|".join)
texts = st.lists(st.sampled_from(WORDS), min_size=0, max_size=5).map(" ".join)


def _txn(payee: str, memo: str) -> pl.DataFrame:
    return pl.DataFrame(
        [("T1", "ACC1", "B1", D0 + timedelta(days=5), Decimal("-50.00"), payee or None, memo or None,
          None, None, "spend")],
        schema={"transaction_id": pl.String, "account_id": pl.String, "budget_id": pl.String,
                "date": pl.Date, "amount": MONEY, "payee": pl.String, "memo": pl.String,
                "mcc": pl.String, "trntype": pl.String, "txn_class": pl.String},
        orient="row")


INVOICE = pl.DataFrame(
    [("I1", "P1", "B1", D0, D0 + timedelta(days=14), Decimal("50.00"), "invoice", "agency_care")],
    schema={"invoice_id": pl.String, "provider_id": pl.String, "budget_id": pl.String,
            "issue_date": pl.Date, "due_date": pl.Date, "amount": MONEY, "kind": pl.String,
            "category": pl.String}, orient="row")
PLAN_LINES = pl.DataFrame(schema={"budget_id": pl.String, "line_id": pl.String, "category": pl.String,
                                  "provider_id": pl.String})


@settings(max_examples=150, deadline=None)
@given(p1=patterns, p2=patterns, payee=texts, memo=texts)
def test_classification_and_matching_agree_on_the_provider_a_payment_names(p1, p2, payee, memo):
    # names that read nothing like the bank text, so the fuzzy pass stays out of it
    providers = pl.DataFrame({"provider_id": ["P1", "P2"], "name": ["Qxv", "Zwy"],
                              "payee_patterns": [p1 or None, p2 or None],
                              "category": ["agency_care", "day_activity"], "approved": [True, True]})
    txn = _txn(payee, memo)
    matched = match_payments(txn, INVOICE, providers).matches
    by_amount_and_payee = matched.filter(pl.col("method") == "amount_payee").height == 1

    empty = matched.clear().select("account_id", "transaction_id", "invoice_id", "amount")
    classified = categorise(txn, empty, INVOICE, providers, PLAN_LINES, Policy())["provider_id"][0]

    named = payee_providers(txn.select(search_text())["text"], providers)[0].to_list()
    assert by_amount_and_payee == ("P1" in named)
    assert classified == (named[0] if named else None)
