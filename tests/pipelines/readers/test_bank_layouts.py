"""Shipped bank layouts pick their own samples and nobody else's; council
profiles (register/profiles) replace shipped ones or are set aside loudly."""

from __future__ import annotations

import os
import threading
from decimal import Decimal
from itertools import combinations
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipelines.readers.contract_csv import header_key
from pipelines.readers.dispatch import classify, read_file
from pipelines.readers.statement_csv import read_statement_csv
from schemas.config import ConfigError
from schemas.profiles import (
    BUNDLED_DIR,
    ProfileError,
    bundled_profiles,
    load_profiles,
    profile_book,
)
from tests.pipelines.readers.support import regen_module

BANKS = Path(__file__).resolve().parents[2] / "golden" / "csv" / "banks"
REGEN = regen_module()
# sample folder -> the profile that must read it (Lloyds Banking Group and TSB
# share one export; NatWest and RBS share one platform)
PICKS = {
    "bank_of_scotland": "lloyds",
    "barclays": "barclays",
    "co_operative": "co_operative",
    "first_direct": "first_direct",
    "halifax": "lloyds",
    "hsbc": "hsbc",
    "lloyds": "lloyds",
    "metro": "metro",
    "monzo": "monzo",
    "nationwide": "nationwide_midata",
    "natwest": "natwest",
    "prepaid_card": "prepaid_card",
    "rbs": "natwest",
    "santander": "santander",
    "starling": "starling",
    "tsb": "lloyds",
}


def sample(bank: str) -> tuple[bytes, str]:
    return (BANKS / bank / "input.csv").read_bytes(), REGEN.bank_sample_path(BANKS / bank)


def test_every_sample_is_listed_and_every_profile_has_a_sample():
    assert {d.name for d in BANKS.iterdir() if d.is_dir()} == set(PICKS)
    shipped = {p.name for p in bundled_profiles()}
    assert set(PICKS.values()) | {"nationwide_statement"} == shipped  # that one: shared/realworld


@pytest.mark.parametrize("bank", sorted(PICKS))
def test_each_sample_picks_its_own_profile_and_loads_whole(bank):
    parsed = read_statement_csv(*sample(bank))
    assert parsed.format == f"csv:{PICKS[bank]}"
    assert parsed.file_error is None
    lines = parsed.tables["statement_lines"]
    assert lines.height > 0 and lines["account_id"].null_count() == 0


def test_no_two_profiles_claim_the_same_header():
    profiles = [p for p in bundled_profiles() if p.header_row]  # hsbc: columns by position
    for a, b in combinations(profiles, 2):
        assert {header_key(h) for h in a.header} != {header_key(h) for h in b.header}, (a.name, b.name)


@pytest.mark.parametrize("profile", bundled_profiles(), ids=lambda p: p.name)
def test_a_profiles_own_header_picks_it(profile):
    if not profile.header_row:
        pytest.skip("recognised by its rows")
    data = (",".join(profile.header) + "\n").encode()
    assert read_statement_csv(data, "statements/ACC/x.csv").format == f"csv:{profile.name}"


def test_a_headerless_layout_does_not_claim_look_alikes():
    # three values, but the middle one is the amount: not HSBC's shape
    assert read_statement_csv(b"03/06/2026,-23.45,TESCO\n", "statements/A/x.csv").file_error
    # the generic layout is never taken for a headerless bank file
    generic = b"account_id,date,description,amount\nA,2026-06-03,TESCO,-1.00\n"
    assert read_statement_csv(generic, "statements/A/x.csv").format == "csv:generic"


def test_money_to_the_penny():
    parsed = read_statement_csv(*sample("prepaid_card"))
    amounts = parsed.tables["statement_lines"]["amount"].to_list()
    assert amounts == ["1250.00", "-3.20", "-12.99"]  # CR in, DR out, thousands comma
    dates = parsed.tables["statement_lines"]["date"].to_list()
    assert dates == ["2026-03-27", "2026-03-29", "2026-10-25"]  # 23:30Z on 24 Oct is BST
    reasons = {q.line: q.reason for q in parsed.quarantined}
    assert "euros (EUR)" in reasons[6] and "'DC'" in reasons[9]
    assert any("line 5" in n and "PENDING" in n for n in parsed.notes)
    coop = read_statement_csv(*sample("co_operative")).tables["statement_balances"]
    assert coop["closing_balance"].to_list() == ["-45.10"]  # "45.10 DR": overdrawn


def test_account_from_the_folder_needs_a_folder():
    data, _ = sample("monzo")
    parsed = read_statement_csv(data, "statements/monzo.csv")
    assert "statements/<account id>/" in parsed.file_error


def test_account_from_the_file_name_must_be_there():
    data, _ = sample("first_direct")
    assert "does not hold the account" in read_statement_csv(data, "statements/fd.csv").file_error


CARD_PLATFORM = """
name = "westshire_card"
bank = "Westshire card platform"
header = ["Posted", "Details", "Value", "Sign", "Ccy"]
date_formats = ["%Y%m%d"]
[columns]
date = "Posted"
payee = "Details"
amount = "Value"
direction = "Sign"
currency = "Ccy"
[amount]
in_markers = ["+"]
out_markers = ["-"]
[account]
value = "WCARD-0001"
"""


def test_council_profile_with_a_fixed_account(tmp_path):
    (tmp_path / "card.toml").write_text(CARD_PLATFORM)
    book = profile_book(tmp_path)
    assert book.problems == ()
    data = b"Posted,Details,Value,Sign,Ccy\n20260601,SHOP,12.00,-,GBP\n20260602,COUNCIL,300.00,+,GBP\n"
    parsed = read_statement_csv(data, "statements/w.csv", book)
    rows = parsed.tables["statement_lines"].to_dicts()
    assert [(r["account_id"], r["date"], r["amount"]) for r in rows] == [
        ("WCARD-0001", "2026-06-01", "-12.00"),
        ("WCARD-0001", "2026-06-02", "300.00"),
    ]
    assert read_statement_csv(data, "statements/w.csv").file_error  # not known without it


def test_council_profile_of_the_same_name_replaces_the_shipped_one(tmp_path):
    lloyds = (BUNDLED_DIR / "lloyds.toml").read_text()
    (tmp_path / "our_lloyds.toml").write_text(lloyds.replace('keep = "digits"', 'keep = "text"'))
    book = profile_book(tmp_path)
    assert [p.source for p in book.profiles if p.name == "lloyds"] == ["register/profiles/our_lloyds.toml"]
    assert any("replaces" in n for n in book.notes)
    parsed = read_statement_csv(*sample("lloyds"), book)
    assert parsed.tables["statement_lines"]["account_id"][0] == "30-96-26-01234567"


def test_unusable_council_profile_sets_its_statements_aside_naming_file_and_key(tmp_path):
    lloyds = (BUNDLED_DIR / "lloyds.toml").read_text()
    (tmp_path / "lloyds.toml").write_text(lloyds.replace('keep = "digits"', 'keep = "numbers"'))
    book = profile_book(tmp_path)
    [problem] = book.problems
    assert str(problem).startswith("register/profiles/lloyds.toml: account.keep = 'numbers'")
    assert all(p.name != "lloyds" for p in book.profiles)  # not quietly read the shipped way
    for bank in ("lloyds", "halifax", "tsb"):
        parsed = read_statement_csv(*sample(bank), book)
        assert parsed.rows == 0
        assert "register/profiles/lloyds.toml: account.keep" in parsed.file_error
    assert read_statement_csv(*sample("barclays"), book).file_error is None  # others unaffected


def test_council_profile_that_is_not_toml_is_named_when_a_file_is_unknown(tmp_path):
    (tmp_path / "mybank.toml").write_text("name = [")
    book = profile_book(tmp_path)
    parsed = read_statement_csv(b"When,What,How much\n01/06/2026,X,1.00\n", "statements/A/x.csv", book)
    assert "register/profiles/mybank.toml: not valid TOML" in parsed.file_error


def test_two_council_profiles_with_one_name(tmp_path):
    (tmp_path / "a.toml").write_text(CARD_PLATFORM)
    (tmp_path / "b.toml").write_text(CARD_PLATFORM)
    profiles, problems = load_profiles(BUNDLED_DIR, tmp_path)
    assert "westshire_card" not in {p.name for p in profiles}
    assert "name = 'westshire_card'" in str(problems[0]) and "a.toml" in str(problems[0])


def test_a_fifo_among_the_council_profiles_is_named_not_opened(tmp_path):
    """Opening a FIFO with no writer blocks for ever: the folder is read without opening it
    (in a thread, so that a regression fails here instead of hanging the suite)."""
    (tmp_path / "card.toml").write_text(CARD_PLATFORM)
    os.mkfifo(tmp_path / "pipe.toml")
    got: list = []
    reader = threading.Thread(target=lambda: got.append(load_profiles(BUNDLED_DIR, tmp_path)), daemon=True)
    reader.start()
    reader.join(timeout=30)
    assert got, "reading the council's profiles blocked on a FIFO"
    profiles, problems = got[0]
    assert "westshire_card" in {p.name for p in profiles}
    assert [str(p) for p in problems] == ["register/profiles/pipe.toml: is not a regular file, so it was not read"]


def test_profile_errors_are_config_errors():
    assert issubclass(ProfileError, ConfigError)


@pytest.mark.parametrize(
    ("change", "key"),
    [
        (('value = "WCARD-0001"', 'value = "W"\nfolder = true'), "account"),
        (('value = "WCARD-0001"', 'file_name = "(a)(b)"'), "account.file_name"),
        (('out_markers = ["-"]', 'out_markers = ["-"]\nsign = "upside_down"'), "amount.sign"),
        (('currency = "Ccy"', 'currency = "Currency"'), "columns.currency = 'Currency'"),
        (('direction = "Sign"', 'direction = "Sign"\nstatus = "Ccy"'), "status needs"),
        (('header = ["Posted",', 'header_row = "no"\nheader = ["Posted",'), "header_row"),
    ],
)
def test_profile_language_errors_name_the_key(tmp_path, change, key):
    (tmp_path / "card.toml").write_text(CARD_PLATFORM.replace(*change))
    [problem] = profile_book(tmp_path).problems
    assert str(problem).startswith("register/profiles/card.toml: ") and key in str(problem)


def test_inbox_profile_files_are_read_and_logged():
    assert classify("register/profiles/card.toml") == "bank_profile"
    assert classify("register/profiles/sub/card.toml") is None
    ok = read_file("bank_profile", "register/profiles/card.toml", CARD_PLATFORM.encode())
    assert ok.file_error is None and ok.rows == 0
    bad = read_file("bank_profile", "register/profiles/card.toml", b"name = 'X'")
    assert bad.file_error.startswith("register/profiles/card.toml: ")


CARD_NO_HEADER = """
name = "council_credit_card"
bank = "A credit card with no heading row"
header = ["Date", "Description", "Amount"]
header_row = false
file_pattern = "card"
[columns]
date = "Date"
payee = "Description"
amount = "Amount"
[amount]
sign = "out_positive"
[account]
file_name = '([0-9]{4})'
"""


def test_a_council_headerless_card_layout_beside_hsbc(tmp_path):
    (tmp_path / "card.toml").write_text(CARD_NO_HEADER)
    book = profile_book(tmp_path)
    card = b'03/06/2026,"GARDEN CENTRE",12.50\n04/06/2026,"GARDEN CENTRE REFUND",5.00 CR\n05/06/2026,PAYMENT,-100.00\n'
    parsed = read_statement_csv(card, "statements/card_9876_june.csv", book)
    assert parsed.format == "csv:council_credit_card"
    rows = parsed.tables["statement_lines"].to_dicts()
    assert [(r["account_id"], r["amount"]) for r in rows] == [
        ("9876", "-12.50"),  # a bare amount on a card statement is a purchase
        ("9876", "5.00"),  # CR: a refund
        ("9876", "100.00"),  # a payment to the card
    ]
    hsbc = read_statement_csv(*sample("hsbc"), book)  # TransactionHistory.csv: not "card"
    assert hsbc.format == "csv:hsbc" and hsbc.file_error is None
    no_pattern = profile_book(_write(tmp_path / "b", CARD_NO_HEADER.replace('file_pattern = "card"\n', "")))
    both = read_statement_csv(*sample("hsbc"), no_pattern)
    assert "more than one bank layout (hsbc, council_credit_card)" in both.file_error


def _write(folder: Path, text: str) -> Path:
    folder.mkdir()
    (folder / "card.toml").write_text(text)
    return folder


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.decimals(min_value=-(10**9), max_value=10**9, places=2, allow_nan=False).filter(
            lambda d: d != 0
        ),
        min_size=1,
        max_size=6,
    )
)
def test_any_amount_reads_to_the_penny_in_every_money_style(amounts):
    def grouped(d):
        return f'"{abs(d):,.2f}"'

    barclays = "Number,Date,Account,Amount,Subcategory,Memo\n" + "".join(
        f',01/06/2026,20-32-06 13152170,"{d:,.2f}",X,Y\n' for d in amounts
    )
    lloyds = "Transaction Date,Transaction Type,Sort Code,Account Number,Transaction Description,Debit Amount,Credit Amount,Balance\n" + "".join(
        f"01/06/2026,X,'30-96-26,01234567,Y,{grouped(d) if d < 0 else ''},{grouped(d) if d > 0 else ''},\n"
        for d in amounts
    )
    card = "Card Number,Transaction Time,Merchant,MCC,Amount,Direction,Currency,Status,Available Balance,Reference\n" + "".join(
        f"5355,2026-06-01T12:00:00Z,M,5999,{grouped(d)},{'DR' if d < 0 else 'CR'},GBP,SETTLED,,R{i}\n"
        for i, d in enumerate(amounts)
    )
    for text, fmt in ((barclays, "barclays"), (lloyds, "lloyds"), (card, "prepaid_card")):
        parsed = read_statement_csv(text.encode(), "statements/A/x.csv")
        assert parsed.format == f"csv:{fmt}" and parsed.quarantined == []
        got = parsed.tables["statement_lines"]["amount"].to_list()
        assert sorted(Decimal(a) for a in got) == sorted(amounts), fmt


def test_a_missing_key_is_named(tmp_path):
    (tmp_path / "card.toml").write_text("name = 'ours'\nheader = ['A', 'B']\n[account]\nfolder = true\n")
    [problem] = profile_book(tmp_path).problems
    assert str(problem) == "register/profiles/card.toml: columns is missing (it is required)"
