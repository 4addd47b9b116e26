"""Upload checks by content: the four accepted kinds, and everything refused with a clear message."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib

import pytest

from tests.web.portal.samples import pdf
from web.portal import uploads
from web.portal.uploads import UploadRefused, display_name, sniff


def png(width: int, height: int) -> bytes:
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    chunk = struct.pack(">I", 13) + b"IHDR" + ihdr + struct.pack(">I", zlib.crc32(b"IHDR" + ihdr))
    idat = zlib.compress(b"\x00" * 16)
    return (b"\x89PNG\r\n\x1a\n" + chunk + struct.pack(">I", len(idat)) + b"IDAT" + idat
            + struct.pack(">I", zlib.crc32(b"IDAT" + idat)) + b"\x00\x00\x00\x00IEND\xaeB`\x82")


def jpeg(width: int, height: int) -> bytes:
    app0 = b"\xff\xe0" + struct.pack(">H", 16) + b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    sof = b"\xff\xc0" + struct.pack(">HBHHB", 11, 8, height, width, 1) + b"\x01\x11\x00"
    return b"\xff\xd8" + app0 + sof + b"\xff\xda\x00\x08\x01\x01\x00\x00\x3f\x00" + b"\x00" * 32 + b"\xff\xd9"


def heic(width: int, height: int, brand: bytes = b"heic") -> bytes:
    ftyp = struct.pack(">I", 24) + b"ftyp" + brand + b"\x00\x00\x00\x00" + b"mif1" + brand
    ispe = struct.pack(">I", 20) + b"ispe" + b"\x00\x00\x00\x00" + struct.pack(">II", width, height)
    return ftyp + struct.pack(">I", 8 + len(ispe)) + b"meta" + ispe + struct.pack(">I", 72) + b"mdat" + b"\x00" * 64


def zip_bomb() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("receipt.pdf", b"\x00" * (50 * 1024 * 1024))  # 50 MB of zeros, ~50 KB packed
    return buf.getvalue()


GOOD = [("pdf", pdf()), ("pdf", pdf(b"/OpenAction [3 0 R /XYZ null null 0]")),
        ("pdf", pdf(b"/OpenAction << /S /GoTo /D [3 0 R /Fit] >>")), ("jpg", jpeg(3024, 4032)), ("png", png(800, 600)),
        ("heic", heic(4032, 3024)), ("heic", heic(1000, 800, b"mif1"))]


@pytest.mark.parametrize(("ext", "data"), GOOD)
def test_accepted_kinds_are_told_by_their_bytes(ext, data):
    assert sniff(data).ext == ext


@pytest.mark.parametrize(("data", "words"), [
    (b"", "empty"),
    (zip_bomb(), "compressed archive"),
    (b"\x1f\x8b\x08\x00" + b"\x00" * 20, "compressed archive"),
    (b"<html><script>alert(1)</script></html>", "must be a PDF, JPEG, PNG or HEIC"),
    (b"MZ\x90\x00" + b"\x00" * 60, "must be a PDF, JPEG, PNG or HEIC"),
    (b"GIF89a" + b"\x00" * 20, "must be a PDF, JPEG, PNG or HEIC"),
    (png(100_000, 100_000), "too large"),
    (png(20_001, 10), "too large"),
    (jpeg(30_000, 30_000), "too large"),
    (heic(50_000, 50_000), "too large"),
    (b"\x89PNG\r\n\x1a\n" + b"\x00" * 30, "damaged"),
    (b"\xff\xd8\xff\xe0\x00\x10JFIF", "damaged"),
    (struct.pack(">I", 16) + b"ftypisom" + b"\x00" * 4 + b"\x00" * 40, "must be a PDF"),  # an MP4, not HEIC
])
def test_refused_with_a_message_a_family_can_act_on(data, words):
    with pytest.raises(UploadRefused) as e:
        sniff(data)
    assert words in str(e.value)


def test_size_limit():
    data = pdf()
    assert sniff(data, max_bytes=len(data)).ext == "pdf"
    with pytest.raises(UploadRefused, match="smaller than"):
        sniff(data + b"\n", max_bytes=len(data))


def test_stored_under_a_random_name_and_nothing_else_left(tmp_path):
    ids = {uploads.store(tmp_path, b"%PDF-1") for _ in range(5)}
    assert len(ids) == 5 and all(uploads.UPLOAD_ID.match(i) for i in ids)
    assert {p.name for p in tmp_path.iterdir()} == ids
    with pytest.raises(ValueError):
        uploads.path_of(tmp_path, "../../etc/passwd")


@pytest.mark.parametrize(("given", "shown"), [
    ("../../etc/passwd", "passwd"), ("..\\..\\boot.ini", "boot.ini"), ("/abs/receipt.pdf", "receipt.pdf"),
    ("a\x00b\nc.pdf", "abc.pdf"), ("", "file"), ("x" * 300, "x" * 100)])
def test_display_name_is_never_a_path(given, shown):
    assert display_name(given) == shown
