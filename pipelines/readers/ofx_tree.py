"""The statement tree the OFX cleaner builds and ofxparse reads.

ofxparse reads a statement by asking an element tree for tags by name:
``stmt.find('ledgerbal')``, ``stmt.findAll('stmttrn')``,
``txn.find('trnamt').contents[0]``. It builds that tree itself by running
BeautifulSoup's HTML parser over the whole file, after a pass of its own
that closes SGML elements. dprecon's cleaner (:mod:`pipelines.readers.ofx_clean`)
already walks every tag of the file once to repair it, so it builds the
tree in that same walk and hands it to ofxparse's own statement and
transaction parsers (:func:`read_accounts`): the file is tokenised once,
not three times, and ofxparse still decides what every amount, date, type,
payee, memo and balance is, and which transactions it refuses.

:class:`Node` answers the part of BeautifulSoup's interface ofxparse uses
(``find``, ``findAll``, ``contents``, ``name``, ``get_text``) and holds what
BeautifulSoup would have built from the cleaned document (:func:`render`
writes that document; a property test checks the two trees agree). Names
are lower case, as the HTML parser gives them, and an element's text is the
one string in its ``contents``.

Worked example: ``<STMTTRN><TRNAMT>-12.50<NAME>Caf\\xe9 M&amp;S</STMTTRN>``
becomes ``stmttrn`` holding ``fitid`` (``dprecon-0``, the cleaner's tag),
``trnamt`` (``-12.50``) and ``name`` (``Café M&S``); ofxparse's
``parseTransaction`` turns it into a Transaction of ``Decimal('-12.50')``
paid to ``Café M&S``.
"""

from __future__ import annotations

from functools import cache, lru_cache
from typing import Any

# C1 control characters (U+0080 to U+009F) appear when a CP1252 file has to
# be read as Latin-1. An HTML parser reads them as the CP1252 characters
# they stand for (U+0096 is "–"), and so does the tree, so that what
# ofxparse reads is what it read when it parsed the text itself.
_AS_READ: dict[int, str] = {}
for _code in range(0x80, 0xA0):
    try:
        _AS_READ[_code] = bytes([_code]).decode("cp1252")
    except UnicodeDecodeError:  # five bytes CP1252 leaves undefined stay as they are
        pass
_AS_READ.update(dict.fromkeys(range(0xD800, 0xE000), "\ufffd"))


def as_read(value: str) -> str:
    """An element's text as ofxparse reads it (see ``_AS_READ``)."""
    return value if value.isascii() else value.translate(_AS_READ)


class Node:
    """One element of the tree: an aggregate (child nodes) or an element
    (``contents`` is ``[text]``)."""

    __slots__ = ("name", "contents", "_index")

    def __init__(self, name: str, contents: list[Any] | None = None) -> None:
        self.name = name
        self.contents: list[Any] = [] if contents is None else contents
        self._index: dict[str, list[Node]] | None = None

    def __bool__(self) -> bool:  # an element is there even when it holds nothing
        return True

    def __repr__(self) -> str:
        return f"<{self.name}: {len(self.contents)} item(s)>"

    def _descendants_by_name(self) -> dict[str, list[Node]]:
        # ofxparse asks each node for a handful of names: one walk, then lookups.
        # Document order: a child, then what it holds, then its next sibling. An element
        # holding only its text has nothing below it to list, so it is not walked into.
        if self._index is None:
            index: dict[str, list[Node]] = {}
            stack = [iter(self.contents)]
            while stack:
                for child in stack[-1]:
                    if child is None:  # ends its level, as next(..., None) always made it
                        stack.pop()
                        break
                    if isinstance(child, Node):
                        index.setdefault(child.name, []).append(child)
                        held = child.contents
                        if held and not (len(held) == 1 and isinstance(held[0], str)):
                            stack.append(iter(held))
                            break
                else:
                    stack.pop()
            self._index = index
        return self._index

    def find(self, name: str) -> Node | None:
        """The first element of this name below this one, in document order."""
        found = self._descendants_by_name().get(name)
        return found[0] if found else None

    def findAll(self, name: str) -> list[Node]:  # noqa: N802 - ofxparse's (BeautifulSoup's) name
        """Every element of this name below this one, in document order."""
        return list(self._descendants_by_name().get(name, ()))

    find_all = findAll

    def get_text(self) -> str:
        return "".join(c.get_text() if isinstance(c, Node) else c for c in self.contents)


def render(node: Node) -> str:
    """The tree as the plain-ASCII OFX document it stands for (for tests and
    for reading: the reader itself never writes it out)."""
    out: list[str] = []

    def write(n: Node) -> None:
        out.append(f"<{n.name.upper()}>")
        for c in n.contents:
            if isinstance(c, Node):
                write(c)
            else:
                out.append(c.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;"))
        out.append(f"</{n.name.upper()}>")

    for child in node.contents:
        write(child)
    return "".join(out).encode("ascii", "xmlcharrefreplace").decode("ascii")


def read_accounts(root: Node) -> list[Any]:
    """ofxparse's accounts for the tree, as ``OfxParser.parse`` lists them:
    bank statements, then card statements, then any investment statements
    and account-information records, each in document order.

    ``fail_fast=False``: a transaction ofxparse cannot read is listed in its
    statement's ``discarded_entries`` with its complaint; anything else it
    raises on fails the file.
    """
    from ofxparse.ofxparse import AccountType, OfxParserException

    parser = _parser()
    if root.find("ofx") is None:
        raise OfxParserException("The ofx file is empty!")
    accounts: list[Any] = []
    for name, kind in (("stmtrs", AccountType.Bank), ("ccstmtrs", AccountType.CreditCard)):
        found = root.findAll(name)
        if found:
            accounts += parser.parseStmtrs(found, kind)
    investments = root.findAll("invstmtrs")
    if investments:
        accounts += parser.parseInvstmtrs(investments)
        seclist = root.find("seclist")
        if seclist:
            parser.parseSeclist(seclist)
    acctinfors = root.find("acctinfors")
    if acctinfors:
        accounts += parser.parseAcctinfors(acctinfors, root)
    fi = root.find("fi")
    if fi:
        for account in accounts:
            account.institution = parser.parseOrg(fi)
    return accounts


@cache
def _parser() -> Any:
    """ofxparse's parser with its settings for dprecon, without touching the
    settings ``OfxParser.parse`` leaves on the class for other callers."""
    from ofxparse import OfxParser

    parser = type("DpreconOfxParser", (OfxParser,), {"fail_fast": False, "custom_date_format": None})
    read_time = OfxParser.parseOfxDateTime.__func__
    # ofxparse's own reading of each time, remembered: a statement's lines share a few dozen
    # stamps, and each reading costs a strptime or two (a datetime is immutable: sharing is safe)
    remembered = lru_cache(maxsize=4096)(lambda value: read_time(parser, value))

    def parse_time(cls: type, value: Any) -> Any:
        if cls is parser and isinstance(value, str) and len(value) <= 64:
            return remembered(value)
        return read_time(cls, value)

    parser.parseOfxDateTime = classmethod(parse_time)
    return parser
