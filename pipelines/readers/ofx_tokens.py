"""The tags and text of an OFX file, in order: the tokeniser under
:mod:`pipelines.readers.ofx_clean`.

OFX 1 is SGML (``<NAME>Café`` with no end tag), OFX 2 is XML; both may hold
comments, CDATA sections and entities. :func:`events` turns the text into a
flat list of open, close, empty-element and text events, with the text
already unescaped: ``<NAME>M&amp;S</NAME>`` is open ``NAME``, text ``M&S``,
close ``NAME``. The cleaner decides from these what is an element and what
an aggregate.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

_DECLARATION = re.compile(r"<[?!][^<>]*>")
_TAG = re.compile(r"<(?P<close>/?)(?P<name>[A-Za-z][A-Za-z0-9_.]*)\s*(?P<empty>/?)>", re.A)
_ENTITY = re.compile(r"&(#[0-9]{1,8}|#[xX][0-9a-fA-F]{1,7}|lt|gt|amp|quot|apos|nbsp);")
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"', "apos": "'", "nbsp": "\u00a0"}
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def unescape(text: str) -> str:
    """OFX's own entities only (``&amp;`` ``&lt;`` ``&#233;`` ...): ``M&S`` stays ``M&S``.

    Twice, because some banks escape twice: ``PAY &amp;lt;DEFTPYMT&amp;gt;``
    means ``PAY <DEFTPYMT>``.
    """

    def one(m: re.Match[str]) -> str:
        ref = m.group(1)
        if ref[0] != "#":
            return _NAMED[ref]
        code = int(ref[2:], 16) if ref[1] in "xX" else int(ref[1:])
        ok = 0 < code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF
        return chr(code) if ok else "\ufffd"

    if "&" not in text:  # no entity to expand (most of a file's text)
        return _CONTROL.sub("", text)
    return _CONTROL.sub("", _ENTITY.sub(one, _ENTITY.sub(one, text)))


def _tokens(text: str, start: int) -> Iterator[tuple[int, int, str | None, re.Match[str] | None]]:
    """``(start, end, cdata, tag)`` for each CDATA section, comment, declaration
    (``tag`` None) or tag from ``start`` on; text between them is not a token.

    A scan from ``<`` to ``<`` rather than one regex: with ``<!--.*?-->`` in
    it, every unclosed ``<!--`` searched to the end of the file, so a file
    of 40,000 of them took minutes.
    """
    found: dict[str, int] = {}  # where each closer was last found (-1: nowhere further on)

    def closer(mark: str, at: int) -> int:
        j = found.get(mark)
        if j is None or 0 <= j < at:
            j = found[mark] = text.find(mark, at)
        return j

    i = text.find("<", start)
    while i >= 0:
        end, cdata, tag = -1, None, None
        # a tag first, as most are: "<" and a letter or "/" is never one of the "<!" or "<?" kinds
        if tag := _TAG.match(text, i):
            end = tag.end()
        elif text.startswith("<![CDATA[", i) and (j := closer("]]>", i + 9)) >= 0:
            end, cdata = j + 3, text[i + 9 : j]
        elif text.startswith("<!--", i) and (j := closer("-->", i + 4)) >= 0:
            end = j + 3
        elif m := _DECLARATION.match(text, i):
            end = m.end()
        if end < 0:
            i = text.find("<", i + 1)
            continue
        yield i, end, cdata, tag
        i = text.find("<", end)


def events(text: str, start: int) -> list[tuple[str, str, int, int]]:
    """``(kind, name-or-text, start, end)`` with kind open/close/empty/text."""
    out: list[tuple[str, str, int, int]] = []
    pending: list[str] = []
    pos = start
    for at, end, cdata, tag in _tokens(text, start):
        if at > pos:
            pending.append(unescape(text[pos:at]))
        pos = end
        if cdata is not None:
            pending.append(_CONTROL.sub("", cdata))
            continue
        if tag is None:  # comment, processing instruction, declaration
            continue
        if pending:
            out.append(("text", "".join(pending), at, at))
            pending = []
        kind = "close" if tag.group("close") else "empty" if tag.group("empty") else "open"
        out.append((kind, tag.group("name").upper(), at, end))
    return out
