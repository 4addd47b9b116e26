"""The tree the OFX cleaner hands ofxparse is the tree ofxparse would have built
itself from the cleaned document, and ofxparse reads the same statements from it.

The reader used to write the cleaned document out and let ofxparse parse it
again (BeautifulSoup's HTML parser); it now hands ofxparse the tree from the
cleaner's own walk (pipelines/readers/ofx_tree.py). These tests pin the two
paths together on real files and on mutated ones.
"""

from __future__ import annotations

import io
import warnings
from decimal import Decimal
from typing import Any

from bs4 import BeautifulSoup, NavigableString, Tag
from bs4.builder import HTMLTreeBuilder
from hypothesis import assume, given

from pipelines.readers.ofx_clean import OFX_OPEN, clean_ofx, decode_ofx
from pipelines.readers.ofx_tree import Node, as_read, read_accounts, render
from tests.conftest import ROOT, SHARED
from tests.reliability.mutate import fuzz_settings, mutated

SEEDS = [
    p.read_bytes()
    for p in sorted(
        [
            *(SHARED / "realworld" / "ofx").glob("*.*fx"),
            *(ROOT / "tests" / "golden" / "ofx").glob("*/input.ofx"),
        ]
    )
]
# Tag names HTML gives a meaning of its own: an empty <BR> holds nothing and
# <SCRIPT> swallows the tags after it. No bank writes them; the cleaner's tree
# reads them as plain OFX aggregates, so the HTML parser is no reference there.
HTML_SPECIAL = set(HTMLTreeBuilder.DEFAULT_EMPTY_ELEMENT_TAGS) | {"script", "style"}


def cleaned_tree(data: bytes) -> Node | None:
    text = decode_ofx(data).text
    opening = OFX_OPEN.search(text)
    return None if opening is None else clean_ofx(text, opening.start()).tree


def shape(item: Any) -> Any:
    """A tree as nested tuples: BeautifulSoup's or the cleaner's."""
    if isinstance(item, Tag | Node):
        return (item.name, tuple(shape(c) for c in item.contents))
    assert isinstance(item, NavigableString | str)
    return str(item)


def names(node: Node) -> set[str]:
    return {node.name}.union(*(names(c) for c in node.contents if isinstance(c, Node)))


def read_back(accounts: list[Any]) -> list[Any]:
    """What the reader uses from ofxparse's accounts."""
    out = []
    for a in accounts:
        st = getattr(a, "statement", None)
        out.append(
            (
                a.type,
                getattr(a, "account_id", None),
                [
                    (t.id, t.type, t.date, t.amount, t.payee, t.memo, t.sic)
                    for t in getattr(st, "transactions", [])
                ],
                [
                    (e["error"], e["content"].find("fitid").get_text())
                    for e in getattr(st, "discarded_entries", [])
                ],
                [
                    getattr(st, k, None)
                    for k in ("start_date", "end_date", "balance", "balance_date")
                ],
            )
        )
    return out


def ofxparse_alone(document: str) -> list[Any]:
    from bs4 import XMLParsedAsHTMLWarning
    from ofxparse import OfxParser

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", XMLParsedAsHTMLWarning)
        ofx = OfxParser.parse(io.BytesIO(document.encode("ascii")), fail_fast=False)
    return list(ofx.accounts)


def comparable(data: bytes) -> bool:
    tree = cleaned_tree(data)
    return tree is not None and not names(tree) & HTML_SPECIAL


def check_same(data: bytes) -> None:
    tree = cleaned_tree(data)
    assert tree is not None
    document = render(tree)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        soup = BeautifulSoup(document, "html.parser")
    assert shape(tree)[1] == shape(soup)[1]
    try:
        expected: Any = read_back(ofxparse_alone(document))
    except Exception as e:  # noqa: BLE001 - then the tree must fail the same way
        expected = ("raises", str(e))
    try:
        got: Any = read_back(read_accounts(cleaned_tree(data) or Node("[document]")))
    except Exception as e:  # noqa: BLE001
        got = ("raises", str(e))
    assert got == expected


def test_realworld_and_golden_files_read_the_same_through_the_tree() -> None:
    compared = [check_same(data) for data in SEEDS if comparable(data)]
    assert len(compared) >= len(SEEDS) - 3


@fuzz_settings
@given(mutated(SEEDS))
def test_mutated_files_read_the_same_through_the_tree(data: bytes) -> None:
    assume(comparable(data))
    check_same(data)


def test_a_statement_tree_by_hand() -> None:
    data = (
        b"OFXHEADER:100\nCHARSET:1252\n\n<OFX><BANKMSGSRSV1><STMTTRNRS><STMTRS><CURDEF>GBP"
        b"<BANKACCTFROM><ACCTID>12345678</BANKACCTFROM><BANKTRANLIST>"
        b"<STMTTRN><TRNTYPE>POS<DTPOSTED>20260701000000[+1:BST]<TRNAMT>-12.5<FITID>A1"
        b"<NAME>Caf\xe9 M&amp;S<MEMO></STMTTRN></BANKTRANLIST>"
        b"<LEDGERBAL><BALAMT>240<DTASOF>20260731</LEDGERBAL></STMTRS></STMTTRNRS></BANKMSGSRSV1></OFX>"
    )
    tree = cleaned_tree(data)
    assert tree is not None
    stmttrn = tree.find("stmttrn")
    assert stmttrn is not None
    # the cleaner's tag stands in for the bank's FITID; the empty MEMO is dropped
    assert shape(stmttrn) == (
        "stmttrn",
        (
            ("fitid", ("dprecon-0",)),
            ("trntype", ("POS",)),
            ("dtposted", ("20260701000000",)),
            ("trnamt", ("-12.5",)),
            ("name", ("Café M&S",)),
        ),
    )
    [account] = read_accounts(tree)
    [txn] = account.statement.transactions
    assert (txn.amount, txn.payee, txn.date.day) == (Decimal("-12.50"), "Café M&S", 1)
    assert account.statement.balance == Decimal("240.00")
    assert [n.name for n in tree.findAll("fitid")] == ["fitid"]


def test_c1_controls_read_as_the_cp1252_characters_they_stand_for() -> None:
    assert as_read("A\x96B\x81") == "A\u2013B\x81"
    assert as_read("plain") == "plain"
