"""Bytes of an OFX statement turned into the element tree ofxparse reads correctly.

This is the cleaning half of :mod:`pipelines.readers.ofx`; see that module
for why each repair is needed. Here, in order:

1. :func:`decode_ofx` decodes the bytes with the charset the header declares
   (``CHARSET:1252`` -> cp1252, ``CHARSET:8859-1`` -> Latin-1, an XML
   ``encoding=`` attribute), trusting the bytes over a header that lies.
2. :func:`clean_ofx` walks the tags once and builds the tree ofxparse reads
   (:class:`pipelines.readers.ofx_tree.Node`): every element closed, empty
   elements dropped, times turned into UK local time without their zone
   (:mod:`pipelines.timezones`), the sign-on and status sections left out,
   and each ``<STMTTRN>`` given a tag (``<FITID>dprecon-7</FITID>``) so that
   whatever ofxparse returns, or discards, leads back to the transaction it
   came from. Along the way it notes where every transaction and statement
   starts (file line), the text of its elements and the bank's own FITID.

Nothing here raises on bad input; a structural fault (a transaction or
statement that is never closed) comes back as ``Cleaned.problem``.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass, field
from functools import lru_cache

from pipelines.readers.ofx_tokens import events as ofx_events
from pipelines.readers.ofx_tree import Node, as_read
from pipelines.text import decode_text
from pipelines.timezones import ofx_local_time, split_ofx_zone

# ASCII rules only: under Unicode rules "\xa0" is a space and "ſ" an "s", so a
# count on the text could differ from a count on the bytes.
OFX_OPEN = re.compile(r"<OFX\s*>", re.I | re.A)
OFX_CLOSE = re.compile(r"</OFX\s*>", re.I | re.A)
STMTTRN_OPEN = re.compile(r"<STMTTRN\s*>", re.I | re.A)
MARKER = "dprecon-"

_MILLIS = re.compile(r"^([0-9]{8,14})\.[0-9]+$")
# No bank writes a value this long (OFX allows 32 characters for a payee, 255
# for a memo). Longer ones are kept from ofxparse, whose number and date
# regexes take time in the square or cube of a value's length: one damaged
# 150,000-digit amount would hold the nightly run for hours.
LONGEST = 1000

STATEMENTS = {"STMTRS": "bank", "CCSTMTRS": "creditcard"}
_STRUCTURAL = {"OFX", "STMTTRN", *STATEMENTS}
# Aggregates: never read as an element even when junk text follows the tag.
_AGGREGATES = {
    "SIGNONMSGSRSV1",
    "SONRS",
    "STATUS",
    "FI",
    "BANKMSGSRSV1",
    "CREDITCARDMSGSRSV1",
    "STMTTRNRS",
    "CCSTMTTRNRS",
    "BANKACCTFROM",
    "CCACCTFROM",
    "BANKACCTTO",
    "CCACCTTO",
    "BANKTRANLIST",
    "LEDGERBAL",
    "AVAILBAL",
    "PAYEE",
    "CURRENCY",
    "ORIGCURRENCY",
}
# Elements (leaves): an empty one followed by another tag is dropped, not
# mistaken for an aggregate that swallows its neighbours.
_ELEMENTS = {
    "TRNTYPE",
    "DTPOSTED",
    "DTUSER",
    "DTAVAIL",
    "DTSTART",
    "DTEND",
    "DTASOF",
    "DTSERVER",
    "DTPROFUP",
    "DTACCTUP",
    "TRNAMT",
    "FITID",
    "CORRECTFITID",
    "CORRECTACTION",
    "SRVRTID",
    "NAME",
    "EXTDNAME",
    "MEMO",
    "SIC",
    "MCC",
    "CHECKNUM",
    "REFNUM",
    "PAYEEID",
    "BALAMT",
    "CURDEF",
    "ACCTID",
    "BANKID",
    "BRANCHID",
    "ACCTTYPE",
    "ACCTKEY",
    "CODE",
    "SEVERITY",
    "MESSAGE",
    "LANGUAGE",
    "ORG",
    "FID",
    "TRNUID",
    "CURRATE",
    "CURSYM",
    "INTU.BID",
    "INTU.USERID",
}
# Left out of what ofxparse sees: nothing dprecon reads is in them, and
# ofxparse throws away the whole file (a STATUS without a numeric CODE, a bad
# investment balance) or a whole transaction (a bad DTUSER) over them.
_SIGNON = {"SIGNONMSGSRSV1", "SONRS", "STATUS"}
_DROPPED_AGGREGATES = _SIGNON | {"INVSTMTMSGSRSV1", "SECLISTMSGSRSV1"}
_DROPPED_ELEMENTS = {"DTUSER"}


@dataclass
class Decoded:
    text: str  # newlines normalised to "\n"
    charset: str
    declared: str | None
    format: str  # "ofx1" (SGML) or "ofx2" (XML)


@dataclass
class Block:
    """One ``<STMTTRN>``: where it is and the text of its elements."""

    index: int
    line: int
    statement: int | None
    start: int
    end: int | None = None
    values: dict[str, str] = field(default_factory=dict)  # first value of each element

    def raw(self, text: str, limit: int = 500) -> str:
        return text[self.start : self.end if self.end is not None else self.start + limit][:limit]


@dataclass
class Statement:
    """One ``<STMTRS>`` / ``<CCSTMTRS>``; values keyed ``TAG`` and ``PARENT/TAG``."""

    index: int
    kind: str
    line: int
    values: dict[str, str] = field(default_factory=dict)


@dataclass
class Cleaned:
    tree: Node  # what ofxparse reads (pipelines.readers.ofx_tree)
    blocks: list[Block]
    statements: list[Statement]
    problem: str | None = None


def _codec(name: str | None) -> str | None:
    if not name:
        return None
    try:
        return codecs.lookup(name).name
    except (LookupError, ValueError):  # unknown, or junk such as a NUL in the name
        return None


def declared_charset(head: str) -> str | None:
    """The codec an OFX 1 header or an XML declaration names, if Python knows it."""
    xml = re.search(r"<\?xml[^>]*encoding\s*=\s*[\"']([A-Za-z0-9_.:\-]+)", head, re.I)
    if xml:
        return _codec(xml.group(1))
    fields: dict[str, str] = {}
    for line in head.splitlines():
        key, sep, value = line.partition(":")
        if sep:
            fields[key.strip().upper()] = value.strip().upper()
    if fields.get("ENCODING") in ("UTF-8", "UNICODE"):
        return "utf-8"
    charset = fields.get("CHARSET", "")
    if charset in ("8859-1", "ISO-8859-1", "LATIN-1", "LATIN1"):
        return "latin-1"
    if charset.isdigit():
        return _codec(f"cp{charset}")
    return _codec(charset) if charset not in ("", "NONE") else None


def decode_ofx(data: bytes) -> Decoded:
    cut = data[:65536].upper().find(b"<OFX")
    head = data[: cut if cut >= 0 else 4096].decode("latin-1")
    declared = declared_charset(head)
    text, charset = decode_text(data, declared)
    text = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    xml = re.search(r"<\?(?:xml|OFX)\b|OFXHEADER\s*[:=]\s*\"?2", head, re.I)
    return Decoded(text, charset, declared, "ofx2" if xml else "ofx1")


def local_time(value: str) -> str:
    """``20260701000000.000[+1:BST]`` -> ``20260701000000``: the time without its
    zone or milliseconds, as written (the shape check; see :func:`uk_time`)."""
    value = split_ofx_zone(value)[0]
    m = _MILLIS.match(value)
    return m.group(1) if m else value


def uk_time(value: str) -> str:
    """The time ofxparse is given: converted to UK local time when it carries a
    zone (``20260630230000[0:GMT]`` -> ``20260701000000``), else as written."""
    converted, problem = local_time_of(value)
    return local_time(value) if problem else converted


def local_time_of(value: str) -> tuple[str, str | None]:
    """:func:`pipelines.timezones.ofx_local_time`, remembered for time-sized texts: a
    statement's lines share a few dozen stamps, and each conversion costs a strptime."""
    return _local_time_of(value) if len(value) <= 64 else ofx_local_time(value)


_local_time_of = lru_cache(maxsize=4096)(ofx_local_time)


class _Writer:
    """The single pass that builds the tree and records blocks and statements."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.root = Node("[document]")
        # (tag, its node, whether it is left out of the tree when it closes)
        self.stack: list[tuple[str, Node, bool]] = []
        self.blocks: list[Block] = []
        self.statements: list[Statement] = []
        self.block: Block | None = None
        self.statement: Statement | None = None
        self.problem: str | None = None
        self._pos, self._line = 0, 1

    def line_at(self, pos: int) -> int:
        self._line += self.text.count("\n", self._pos, pos)
        self._pos = pos
        return self._line

    def fail(self, why: str) -> None:
        self.problem = self.problem or why

    def _parent(self) -> Node:
        return self.stack[-1][1] if self.stack else self.root

    def open(self, name: str, pos: int) -> None:
        if name in _STRUCTURAL:
            self.close_signon(pos)
        node = Node(name.lower())
        self._parent().contents.append(node)
        if name == "STMTTRN":
            line = self.line_at(pos)
            if self.block is not None:
                self.fail(
                    f"the transaction starting on line {self.block.line} has no closing "
                    f"</STMTTRN> before the next one on line {line}"
                )
            where = self.statement.index if self.statement else None
            self.block = Block(len(self.blocks), line, where, pos)
            self.blocks.append(self.block)
            self.stack.append((name, node, False))
            node.contents.append(Node("fitid", [f"{MARKER}{self.block.index}"]))
            return
        if name in STATEMENTS:
            line = self.line_at(pos)
            if self.statement is not None:
                self.fail(
                    f"the statement starting on line {self.statement.line} has no closing "
                    f"</{name}> before the next one on line {line}"
                )
            self.statement = Statement(len(self.statements), STATEMENTS[name], line)
            self.statements.append(self.statement)
        self.stack.append((name, node, name in _DROPPED_AGGREGATES))

    def close_signon(self, pos: int) -> None:
        """A sign-on or status section still open when a statement starts was never closed."""
        for tag, _, _ in self.stack:
            if tag in _SIGNON:
                self.close(tag, pos)
                return

    def close(self, name: str, end: int) -> None:
        if all(tag != name for tag, _, _ in self.stack):
            return  # a stray end tag (an element closed twice): nothing to close
        while self.stack:
            tag, node, dropped = self.stack.pop()
            if tag == "STMTTRN" and self.block is not None:
                if tag != name:
                    self.fail(
                        f"the transaction starting on line {self.block.line} has no closing </STMTTRN>"
                    )
                self.block.end = end
                self.block = None
            if tag in STATEMENTS and self.statement is not None:
                if tag != name:
                    self.fail(
                        f"the statement starting on line {self.statement.line} has no closing </{tag}>"
                    )
                self.statement = None
            if dropped:  # left out, with everything in it: it is the last thing its parent holds
                self._parent().contents.pop()
            if tag == name:
                return

    def element(self, name: str, value: str) -> None:
        if not value:
            return
        parent = self.stack[-1][0] if self.stack else ""
        if self.block is not None:
            self.block.values.setdefault(name, value)  # too long: the reader sets the block aside
            if parent in ("CURRENCY", "ORIGCURRENCY"):  # which currency the amount is in
                self.block.values.setdefault(f"{parent}/{name}", value)
            if name == "FITID":
                return  # the block's marker stands in for it
        elif self.statement is not None:
            self.statement.values.setdefault(name, value)
            self.statement.values.setdefault(f"{parent}/{name}", value)
            if len(value) > LONGEST:
                self.fail(
                    f"the <{name}> of the statement starting on line {self.statement.line} is "
                    f"{len(value):,} characters long, far longer than any bank writes"
                )
        if len(value) > LONGEST:
            return
        if name in _DROPPED_ELEMENTS or name in _DROPPED_AGGREGATES:
            return
        if name.startswith("DT"):
            value = uk_time(value)
        self._parent().contents.append(Node(name.lower(), [as_read(value)]))


def clean_ofx(text: str, start: int) -> Cleaned:
    """Read ``text`` from offset ``start`` (its ``<OFX>`` tag) into the tree ofxparse reads."""
    w = _Writer(text)
    events = ofx_events(text, start)
    i, n = 0, len(events)
    while i < n:
        kind, name, pos, end = events[i]
        i += 1
        if kind == "close":
            w.close(name, end)
        if kind != "open":
            continue  # loose text in an aggregate, or an empty <TAG/>
        has_text = i < n and events[i][0] == "text"
        text_value = events[i][1] if has_text else ""
        j = i + 1 if has_text else i
        closes_itself = j < n and events[j][0] == "close" and events[j][1] == name
        value = text_value.strip()
        if name in _STRUCTURAL or (name in _AGGREGATES and not closes_itself):
            w.open(name, pos)
            i = j
        elif closes_itself or value or name in _ELEMENTS:
            w.element(name, value)
            i = j + 1 if closes_itself else j
        else:
            w.open(name, pos)
            i = j
    if w.block is not None:
        w.fail(f"the transaction starting on line {w.block.line} has no closing </STMTTRN>")
    if w.statement is not None:
        w.fail(f"the statement starting on line {w.statement.line} is never closed")
    while w.stack:
        w.close(w.stack[-1][0], len(text))
    return Cleaned(w.root, w.blocks, w.statements, w.problem)
