"""Uploads are checked all the way through, not only by their first bytes (issue 16, finding 8).

Before: a file starting ``%PDF-`` followed by a web page, or a PDF with a JavaScript open action, was accepted.
"""

from __future__ import annotations

import io
import zipfile

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pypdf import PdfWriter
from pypdf.actions import JavaScript

from tests.web.portal.samples import pdf
from tests.web.portal.test_uploads import heic, jpeg, png
from web.portal.uploads import UploadRefused, sniff


def written_by_pypdf(password: str | None = None, user: str = "") -> bytes:
    w = PdfWriter()
    w.add_blank_page(595, 842)
    if password:
        w.encrypt(user_password=user, owner_password=password, algorithm="AES-128")
    buf = io.BytesIO()
    w.write(buf)
    return buf.getvalue()


def with_javascript() -> bytes:
    w = PdfWriter()
    w.add_blank_page(595, 842)
    w.add_open_action(JavaScript("app.alert('hello');"))
    buf = io.BytesIO()
    w.write(buf)
    return buf.getvalue()


def zipped() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("x.html", "<p>hi</p>")
    return buf.getvalue()


ACCEPTED = [
    ("pdf", pdf()),
    ("pdf", written_by_pypdf()),
    ("pdf", written_by_pypdf(password="owner-only")),  # a bank's PDF: opens without a password
    ("pdf", pdf(b"/OpenAction [3 0 R /XYZ null null 0]")),  # LibreOffice's: open at page 1
    ("pdf", pdf(b"/OpenAction << /S /GoTo /D [3 0 R /Fit] >>")),
    ("pdf", pdf(text=b"Paid to JS Window Cleaning /AA Batteries")),  # words in the page text are not keys
    ("jpg", jpeg(3024, 4032) + b"SEFHtrailer from a Samsung phone"),
    ("png", png(800, 600)),
    ("heic", heic(4032, 3024)),
]

REFUSED = [
    ("%PDF then a web page", b"%PDF-1.7\n<html><body><script>alert(1)</script></body></html>\n%%EOF\n", "web page"),
    ("a PDF carrying a web page", pdf(objects=(b"<< /Length 30 >>\nstream\n<!DOCTYPE html><script>x</script>\n"
                                               b"endstream",)), "web page"),
    ("JavaScript open action", pdf(b"/OpenAction << /S /JavaScript /JS (app.alert(1)) >>"), "scripts"),
    ("document JavaScript", with_javascript(), "scripts"),
    ("escaped name", pdf(b"/OpenAction << /S /Java#53cript /J#53 (app.alert(1)) >>"), "scripts"),
    ("automatic action", pdf(b"/AA << /O << /S /Launch /F (cmd.exe) >> >>"), "scripts"),
    ("launch by reference", pdf(b"/OpenAction 5 0 R", objects=(b"<< /S /Launch /F (calc.exe) >>",)), "scripts"),
    ("attached file", pdf(b"/Names << /EmbeddedFiles << /Names [(a.exe) 5 0 R] >> >>",
                          objects=(b"<< /Type /Filespec /F (a.exe) >>",)), "attached files"),
    ("URI open action", pdf(b"/OpenAction << /S /URI /URI (http://evil.example) >>"), "scripts"),
    ("PDF that is also a zip", pdf(objects=(b"<< /Length 200 >>\nstream\n" + zipped() + b"\nendstream",)), "archive"),
    ("a cut-off PDF", pdf()[:-200], "damaged"),
    ("a PDF with no pages", b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n", "damaged"),
    ("a password to open", written_by_pypdf(password="owner", user="secret"), "password"),
    ("photo that is also a PDF", b"\xff\xd8\xff\xfe\x00\x0a%PDF-1.7" + jpeg(100, 100)[2:], "also a PDF"),
    ("PNG with a web page inside", png(10, 10)[:33] + b"\x00\x00\x00\x10tEXt<script>x</scr" + b"\x00" * 4
     + png(10, 10)[33:], "web page"),
    ("PNG with something after its end", png(10, 10) + b"more", "damaged"),
    ("PNG with a bad checksum", png(10, 10)[:29] + b"\x00\x00\x00\x00" + png(10, 10)[33:], "damaged"),
    ("HEIC with bytes outside its boxes", heic(100, 100) + b"\x01\x02\x03", "damaged"),
]


@pytest.mark.parametrize(("ext", "data"), ACCEPTED)
def test_plain_files_of_each_kind_are_accepted(ext, data):
    assert sniff(data).ext == ext


@pytest.mark.parametrize(("case", "data", "words"), REFUSED, ids=[c for c, _, _ in REFUSED])
def test_files_that_are_more_than_they_claim_are_refused_plainly(case, data, words):
    with pytest.raises(UploadRefused) as e:
        sniff(data)
    assert words in str(e.value), str(e.value)
    assert "upload" in str(e.value).lower()  # says what to do instead


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.sampled_from([pdf(), png(40, 30), jpeg(40, 30), heic(40, 30)]), st.data())
def test_a_mutated_file_is_accepted_or_refused_never_a_crash(base, data):
    at = data.draw(st.integers(0, len(base) - 1))
    mutation = data.draw(st.sampled_from(["flip", "cut", "insert"]))
    if mutation == "flip":
        mutated = base[:at] + bytes([base[at] ^ data.draw(st.integers(1, 255))]) + base[at + 1:]
    elif mutation == "cut":
        mutated = base[:at]
    else:
        mutated = base[:at] + data.draw(st.binary(min_size=1, max_size=40)) + base[at:]
    try:
        sniff(mutated)
    except UploadRefused:
        pass
