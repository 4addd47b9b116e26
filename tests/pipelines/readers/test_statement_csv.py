"""Statement CSV reader: generic layout, bank profiles, goldens, properties."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipelines.model import Parsed
from pipelines.readers.statement_csv import UNEXPECTED, read_statement_csv
from schemas.inputs import statement_balances, statement_lines
from schemas.profiles import ProfileError, bundled_profiles, load_profiles, parse_profile
from tests.pipelines.readers.support import mutated, regen_module

HERE = Path(__file__).resolve()
SHARED = HERE.parents[3].parent / "shared"
REALWORLD = SHARED / "realworld" / "csv"
GOLDEN = HERE.parents[2] / "golden"


REGEN = regen_module()
CASES = [c for c in REGEN.cases() if c.name.startswith(("csv/realworld/", "csv/statements/", "csv/banks/"))]

# Counted by hand from the files: every transaction line and where it sits.
REALWORLD_LINES = {
    "lloyds__statement.csv": range(2, 8),  # header on line 1, 6 transactions
    "nationwide__midata.csv": range(4, 12),  # preamble 1-2, header 3, 8 rows, footer 13
    "nationwide__statement.csv": range(6, 12),  # preamble 1-4, header 5, 6 rows
}


def read(text: str | bytes, **kw) -> Parsed:
    data = text.encode("utf-8") if isinstance(text, str) else text
    return read_statement_csv(data, "statements/test.csv", **kw)


def lines(p: Parsed) -> list[dict]:
    return p.tables["statement_lines"].to_dicts()


def assert_text_schemas(p: Parsed) -> None:
    tables = {"statement_lines": statement_lines, "statement_balances": statement_balances}
    for name, frame in p.tables.items():
        assert dict(frame.schema) == tables[name].text_schema(), name


# --- real-world files and goldens ---------------------------------------------------


def test_shared_realworld_is_beside_the_repo():
    assert REALWORLD.is_dir(), f"expected shared/ beside the repo at {SHARED}"
    assert {f.name for f in REALWORLD.glob("*.csv")} == set(REALWORLD_LINES)


@pytest.mark.parametrize("name", sorted(REALWORLD_LINES))
def test_realworld_every_transaction_line_loaded(name):
    p = read_statement_csv((REALWORLD / name).read_bytes(), f"statements/{name}")
    assert p.file_error is None
    loaded = sorted(r["source_line"] for r in lines(p))
    quarantined = sorted(q.line for q in p.quarantined)
    assert quarantined == []
    assert loaded == list(REALWORLD_LINES[name])
    assert all(r["id_source"] == "content" for r in lines(p))
    assert len({r["transaction_id"] for r in lines(p)}) == len(loaded)
    assert_text_schemas(p)


def test_realworld_accounts_and_closing_balances():
    def balances(name):
        p = read_statement_csv((REALWORLD / name).read_bytes(), name)
        return p.tables["statement_balances"].to_dicts()

    [lloyds] = balances("lloyds__statement.csv")
    assert lloyds["account_id"] == "998874-1515152252"
    assert (lloyds["start_date"], lloyds["end_date"]) == ("2023-12-01", "2024-01-15")
    assert (lloyds["closing_balance"], lloyds["closing_date"]) == ("2040.59", "2024-01-15")
    [midata] = balances("nationwide__midata.csv")
    assert midata["account_id"] == "****12345"
    assert (midata["closing_balance"], midata["closing_date"]) == ("-2.00", "2025-07-19")
    [statement] = balances("nationwide__statement.csv")
    assert statement["account_id"] == "****12345"  # same account as the midata export
    assert (statement["closing_balance"], statement["closing_date"]) == ("100.00", "2025-08-20")


def test_midata_footer_is_noted_not_lost():
    p = read_statement_csv((REALWORLD / "nationwide__midata.csv").read_bytes(), "x.csv")
    assert any("line 13" in n and "Arranged Overdraft Limit" in n for n in p.notes)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_golden(case):
    assert case.expected.exists(), (
        f"no golden file: run uv run python {GOLDEN / 'regen_readers.py'}"
    )
    expected = json.loads(case.expected.read_text(encoding="utf-8"))
    assert REGEN.render(case.run()) == expected


def test_regen_refuses_to_overwrite_without_force(tmp_path, monkeypatch, capsys):
    target = tmp_path / "expected.json"
    target.write_text("old\n")
    case = REGEN.Case("csv/statements/tmp", target, lambda: Parsed.failed("csv", "new"))
    monkeypatch.setattr(REGEN, "cases", lambda: [case])
    assert REGEN.main([]) == 0
    assert target.read_text() == "old\n"
    assert "kept" in capsys.readouterr().out
    REGEN.main(["--force"])
    assert json.loads(target.read_text())["file_error"] == "new"


# --- the generic layout -------------------------------------------------------------

GENERIC = "account_id,date,description,amount,balance,transaction_id,mcc\n"


def test_generic_with_mcc_and_bank_ids():
    p = read(
        GENERIC + "PC1,2025-04-03,CAFE,-2.50,97.50,T2,5814\nPC1,2025-04-01,PAY,100.00,100.00,T1,\n"
    )
    assert p.format == "csv:generic"
    rows = lines(p)
    assert [(r["transaction_id"], r["id_source"], r["mcc"]) for r in rows] == [
        ("T1", "bank", None),
        ("T2", "bank", "5814"),
    ]
    [bal] = p.tables["statement_balances"].to_dicts()
    assert (bal["start_date"], bal["end_date"], bal["closing_balance"]) == (
        "2025-04-01",
        "2025-04-03",
        "97.50",
    )


def test_a_bank_id_given_to_two_rows_of_one_file_keeps_both_payments():
    """A careless export numbers two different payments T7: read as given, the second would
    pass for a correction of the first and £30.00 would vanish. Both load, with ids made from
    their content, and the file says why; T1, given once, stays the bank's. PC2's T7 is its own."""
    p = read(GENERIC + "PC1,2025-04-01,PAY,100.00,100.00,T1,\nPC1,2025-04-02,ACME,-20.00,80.00,T7,\n"
             "PC1,2025-04-02,ACME,-30.00,50.00,T7,\nPC2,2025-04-02,ACME,-30.00,,T7,\n")
    rows = lines(p)
    assert [(r["account_id"], r["amount"], r["id_source"]) for r in rows] == [
        ("PC1", "100.00", "bank"), ("PC1", "-20.00", "content"), ("PC1", "-30.00", "content"), ("PC2", "-30.00", "bank")]
    assert len({(r["account_id"], r["transaction_id"]) for r in rows}) == 4
    assert [r["transaction_id"] for r in rows][::3] == ["T1", "T7"]
    assert p.notes == ["the bank id (transaction id) 'T7' appears 2 times for account PC1; "
                       "those transactions were given ids made from their content"]
    assert [r["transaction_id"] for r in lines(read(GENERIC + "PC1,2025-04-01,PAY,100.00,100.00,T1,\n"
                                                    "PC1,2025-04-02,ACME,-20.00,80.00,T7,\n"
                                                    "PC1,2025-04-02,ACME,-30.00,50.00,T7,\n"
                                                    "PC2,2025-04-02,ACME,-30.00,,T7,\n"))] == [
        r["transaction_id"] for r in rows]  # the same file read again: the same ids


def test_generic_without_optional_columns_gets_content_ids():
    p = read(
        "account_id,date,description,amount\nPC1,2025-04-02,TESCO,-1.00\nPC1,2025-04-02,TESCO,-1.00\n"
    )
    ids = [r["transaction_id"] for r in lines(p)]
    assert ids[0].endswith("-1") and ids[1].endswith("-2") and ids[0][:-2] == ids[1][:-2]
    assert {r["id_source"] for r in lines(p)} == {"content"}
    [bal] = p.tables["statement_balances"].to_dicts()
    assert bal["closing_balance"] is None and bal["closing_date"] is None


def test_bad_date_and_bad_amount_left_as_written_for_validation():
    p = read(GENERIC + "PC1,31/02/2025,X,-1.00,,T1,\nPC1,2025-04-01,Y,-12.5O,,T2,\n")
    rows = lines(p)
    assert (rows[0]["date"], rows[1]["amount"]) == ("31/02/2025", "-12.5O")
    [bal] = p.tables["statement_balances"].to_dicts()
    assert (
        bal["start_date"] == bal["end_date"] == "2025-04-01"
    )  # the impossible date covers nothing


def test_formula_like_payee_kept_verbatim():
    p = read(GENERIC + 'PC1,2025-04-01,"=HYPERLINK(""x"")",-1.00,,T1,\n')
    assert lines(p)[0]["payee"] == '=HYPERLINK("x")'


def test_crlf_bom_and_windows_1252():
    text = "\ufeffaccount_id,date,description,amount\r\nPC1,13/06/2025,CAF\u00c9 \u00a3 SHOP,\u00a3-3.00\r\n"
    for data in (text.encode("utf-8"), text[1:].encode("cp1252")):
        p = read(data)
        assert p.file_error is None
        [row] = lines(p)
        assert (row["date"], row["amount"], row["payee"], row["source_line"]) == (
            "2025-06-13",
            "-3.00",
            "CAF\u00c9 \u00a3 SHOP",
            2,
        )
    assert "read as cp1252" in read(text[1:].encode("cp1252")).notes


def test_unknown_layout_lists_what_was_found_and_what_is_known():
    p = read("Posting date,Details,Money out\n01/04/2025,X,1.00\n")
    assert p.format == "csv" and p.rows == 0
    assert "Posting date, Details, Money out" in p.file_error
    for name in ("generic", "lloyds", "nationwide_midata", "nationwide_statement"):
        assert name in p.file_error


def test_empty_file():
    assert read(b"").file_error == "the file is empty"
    assert read(b"\n\r\n ,,\n").file_error == "the file is empty"


def test_same_day_order_decided_by_file_when_newest_first():
    p = read(
        "account_id,date,description,amount,balance\n"
        "A,2025-05-02,LATE,-4.00,91.00\nA,2025-05-02,EARLY,-5.00,95.00\nA,2025-05-01,PAY,100.00,100.00\n"
    )
    assert [r["payee"] for r in lines(p)] == ["PAY", "EARLY", "LATE"]
    assert p.tables["statement_balances"]["closing_balance"].to_list() == ["91.00"]


def test_one_day_file_order_judged_from_balances():
    newest_first = "account_id,date,description,amount,balance\nA,2025-05-02,B,-4.00,91.00\nA,2025-05-02,A,-5.00,95.00\n"
    oldest_first = "account_id,date,description,amount,balance\nA,2025-05-02,A,-5.00,95.00\nA,2025-05-02,B,-4.00,91.00\n"
    for text in (newest_first, oldest_first):
        assert read(text).tables["statement_balances"]["closing_balance"].to_list() == ["91.00"]


def test_interleaved_accounts_keep_their_slots():
    p = read(
        "account_id,date,description,amount\nA,2025-05-01,a1,-1\nB,2025-05-03,b2,-1\nA,2025-05-02,a2,-1\nB,2025-05-01,b1,-1\n"
    )
    assert [r["payee"] for r in lines(p)] == ["a1", "b1", "a2", "b2"]


MIDATA_HEADER = '"Date","Type","Merchant/Description","Debit/Credit","Balance"\n'


def test_profile_file_that_names_no_account_fails_with_a_reason():
    p = read(MIDATA_HEADER + '"19/07/2025","Visa purchase","SHOP","-£1.00","£2.00"\n')
    assert p.format == "csv:nationwide_midata"
    assert "does not say which account" in p.file_error and "Account Number:" in p.file_error


def test_unclosed_quote_in_a_profile_file_is_quarantined_where_it_starts():
    p = read(
        '"Account Number:","****1"\n'
        + MIDATA_HEADER
        + '"19/07/2025","Visa","SHOP","-£1.00","£2.00"\n"20/07/2025","Visa,SHOP\n"21/07/2025",x\n'
    )
    assert lines(p)[0]["amount"] == "-1.00"
    [q] = p.quarantined
    assert q.line == 4 and "runs on to line 5" in q.reason and "SHOP" in q.raw


# --- content ids: stable, order-free ------------------------------------------------

MINIMAL_ROWS = [
    "PC1,2025-04-01,PAY,600.00",
    "PC1,2025-04-02,TESCO,-12.40",
    "PC1,2025-04-02,TESCO,-12.40",
    "PC1,2025-04-02,TESCO,-12.40",
    "PC2,2025-04-02,TESCO,-12.40",
    "PC1,2025-04-03,WAGES,-150.00",
]


@settings(max_examples=50, deadline=None)
@given(st.permutations(MINIMAL_ROWS))
def test_content_ids_do_not_depend_on_row_order(rows):
    def ids(rs):
        p = read("account_id,date,description,amount\n" + "\n".join(rs) + "\n")
        return sorted(
            (r["transaction_id"], r["account_id"], r["date"], r["amount"]) for r in lines(p)
        )

    assert ids(rows) == ids(MINIMAL_ROWS)


def test_redownload_gives_the_same_ids():
    header = "account_id,date,description,amount\n"
    first = read(header + "\n".join(MINIMAL_ROWS[:4]) + "\n")
    again = read(header + "\n".join(MINIMAL_ROWS[:4]) + "\n")
    assert lines(first) == lines(again)


# --- profiles: data, not code --------------------------------------------------------

CO_OP = """
name = "example_bank"
header = ["Date", "Payee", "Amount", "Balance", "Account"]
date_formats = ["%d/%m/%Y"]
[columns]
date = "Date"
payee = "Payee"
amount = "Amount"
balance = "Balance"
[account]
columns = ["Account"]
keep = "digits"
"""


def test_a_council_can_add_its_bank_by_dropping_in_a_toml(tmp_path):
    (tmp_path / "example_bank.toml").write_text(CO_OP)
    extra, problems = load_profiles(tmp_path)
    assert problems == []
    data = b"Date,Payee,Amount,Balance,Account\n01/05/2025,SHOP,-1.00,9.00,'12-34-56 1234\n"
    assert read(data).file_error is not None  # not known by default
    p = read(data, profiles=bundled_profiles() + extra)
    assert p.format == "csv:example_bank"
    assert lines(p)[0]["account_id"] == "1234561234"


def test_broken_profiles_come_back_as_reasons(tmp_path):
    (tmp_path / "bad.toml").write_text(CO_OP.replace('amount = "Amount"', 'amount = "Amt"'))
    (tmp_path / "worse.toml").write_text("name = [")
    profiles, problems = load_profiles(tmp_path)
    assert profiles == [] and len(problems) == 2
    assert "columns.amount = 'Amt' is not one of the header columns" in str(problems[0])
    assert str(problems[0]).startswith(f"{tmp_path}/bad.toml: ")
    assert problems[0].name == "example_bank"  # what could still be read of it
    assert str(problems[1]).startswith(f"{tmp_path}/worse.toml: not valid TOML")


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (('name = "example_bank"', 'name = "Example Bank"'), "name = 'Example Bank'"),
        (('amount = "Amount"', 'paid_out = "Amount"'), "columns = .*either amount"),
        (('keep = "digits"', 'keep = "numbers"'), "account.keep = 'numbers'"),
        (('date_formats = ["%d/%m/%Y"]', 'date_formats = ["dd/mm/yyyy"]'), "cannot read a date"),
        (("[account]", "colour = 1\n[account]"), "unknown key 'columns.colour'"),
    ],
)
def test_profile_validation(change, reason):
    with pytest.raises(ProfileError, match=reason):
        parse_profile(CO_OP.replace(*change))


def test_bundled_profiles_load():
    assert {p.name for p in bundled_profiles()} >= {
        "lloyds",
        "nationwide_midata",
        "nationwide_statement",
    }


# --- never crash ----------------------------------------------------------------------

SEEDS = [f.read_bytes() for f in sorted(REALWORLD.glob("*.csv"))] + [
    (d / "input.csv").read_bytes() for d in sorted((GOLDEN / "csv" / "statements").iterdir())
] + [(d / "input.csv").read_bytes() for d in sorted((GOLDEN / "csv" / "banks").iterdir())]
SPICE = [
    b'"',
    b",",
    b"\n",
    b"\r\n",
    b"\r",
    b"\x00",
    b"\xa3",
    b"\xc2\xa3",
    b"\xef\xbb\xbf",
    b"\xff\xfe",
    b"'",
    b"-",
]




@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated(SEEDS, SPICE))
def test_mutated_statements_never_crash(data):
    p = read_statement_csv(data, "statements/fuzz.csv")
    assert isinstance(p, Parsed)
    assert not (p.file_error or "").startswith(UNEXPECTED)
    assert_text_schemas(p)
    for frame in p.tables.values():
        assert isinstance(frame, pl.DataFrame)
