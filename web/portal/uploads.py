"""What a family may upload, checked by the file's content, never by its name; and where it is kept.

A receipt may be a PDF, a JPEG, a PNG or an iPhone photo (HEIC), at most
10 MB. The first bytes say what a file is (and structure.py then checks the
whole file is built that way, with nothing else inside): ``%PDF-`` is a PDF, ``FF D8 FF``
a JPEG, the eight-byte PNG signature a PNG, an ISO ``ftyp`` box branded
``heic``/``heix``/``mif1`` a HEIC photo. ``receipt.pdf`` that is really a zip,
a web page or a program is refused; ``IMG_0042.jpg`` that is really a PDF is
kept as the PDF it is.

Images must say how big they are, and no side may be over 20,000 pixels nor
the whole over 60 megapixels (a phone photo is about 12): a tiny PNG that
claims to be 100,000 × 100,000 pixels is a decompression bomb, aimed at
whoever opens it later. Archives (zip, gzip, 7z, rar) are refused outright, so
nothing is ever unpacked: a zip bomb is just a refused zip.

A file that passes is written under a random name (32 hex digits, no
extension) in the state folder's ``uploads/``, which the portal never serves,
via a temporary file and a rename: a refused or interrupted upload leaves
nothing behind.
"""

from __future__ import annotations

import os
import re
import secrets
import struct
import tempfile
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from stores.state import fsync_dir

MAX_BYTES = 10 * 1024 * 1024
MAX_SIDE = 20_000
MAX_PIXELS = 60_000_000
UPLOAD_ID = re.compile(r"^[0-9a-f]{32}$")
HEIC_BRANDS = {b"heic", b"heix", b"mif1", b"msf1", b"heim", b"heis", b"hevc", b"hevx"}
ARCHIVES = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08", b"\x1f\x8b", b"7z\xbc\xaf\x27\x1c", b"Rar!\x1a\x07",
            b"BZh", b"\xfd7zXZ\x00")
TYPES = {"pdf": "PDF", "jpg": "JPEG photo", "png": "PNG image", "heic": "HEIC photo"}
ACCEPTED = "Upload a PDF, JPEG, PNG or HEIC file"


class UploadRefused(ValueError):
    """Why a file cannot be accepted, in words for the family."""


@dataclass(frozen=True)
class Sniffed:
    ext: str  # pdf, jpg, png, heic
    width: int | None = None
    height: int | None = None


def sniff(data: bytes, max_bytes: int = MAX_BYTES) -> Sniffed:
    """What the file is, from its bytes, checked through (structure.py); raises UploadRefused with a message
    to show."""
    from web.portal.structure import NotStructured, check

    found = claimed(data, max_bytes)
    try:
        check(found.ext, data)
    except NotStructured as e:
        raise UploadRefused(str(e)) from e
    return found


def claimed(data: bytes, max_bytes: int = MAX_BYTES) -> Sniffed:
    """What the file's first bytes say it is (and its size, for images)."""
    if not data:
        raise UploadRefused("The selected file is empty")
    if len(data) > max_bytes:
        raise UploadRefused(f"The selected file must be smaller than {max_bytes // (1024 * 1024)} MB")
    if data.startswith(ARCHIVES):
        raise UploadRefused("The selected file is a compressed archive (such as a zip file). "
                            "Upload each receipt on its own as a PDF, JPEG, PNG or HEIC file")
    if data.startswith(b"%PDF-"):
        return Sniffed("pdf")
    if data.startswith(b"\xff\xd8\xff"):
        return _sized(Sniffed("jpg", *_jpeg_size(data)))
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return _sized(Sniffed("png", *_png_size(data)))
    if len(data) >= 12 and data[4:8] == b"ftyp":
        return _sized(Sniffed("heic", *_heic_size(data)))
    raise UploadRefused(f"The selected file must be a PDF, JPEG, PNG or HEIC file. {ACCEPTED}")


def _sized(s: Sniffed) -> Sniffed:
    if s.width is None or s.height is None or s.width <= 0 or s.height <= 0:
        raise UploadRefused(f"The selected {TYPES[s.ext]} is damaged or incomplete. {ACCEPTED}")
    if s.width > MAX_SIDE or s.height > MAX_SIDE or s.width * s.height > MAX_PIXELS:
        raise UploadRefused(f"The selected {TYPES[s.ext]} is too large ({s.width:,} by {s.height:,} pixels). "
                            f"Upload a photo no bigger than {MAX_PIXELS // 1_000_000} megapixels")
    return s


def _png_size(data: bytes) -> tuple[int | None, int | None]:
    # the IHDR chunk must come first: length 13, then width and height as big-endian integers
    if len(data) < 24 or data[8:16] != b"\x00\x00\x00\x0dIHDR":
        return None, None
    return struct.unpack(">II", data[16:24])


def _jpeg_size(data: bytes) -> tuple[int | None, int | None]:
    """Walk the JPEG markers to the frame header (SOFn), which holds height then width."""
    i = 2
    while i + 4 <= len(data):
        if data[i] != 0xFF:
            return None, None
        marker = data[i + 1]
        if marker == 0xFF:  # fill byte
            i += 1
            continue
        if marker in (0x01, *range(0xD0, 0xD8)):  # markers without a length
            i += 2
            continue
        (length,) = struct.unpack(">H", data[i + 2:i + 4])
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            if i + 9 > len(data):
                return None, None
            height, width = struct.unpack(">HH", data[i + 5:i + 9])
            return width, height
        if length < 2:
            return None, None
        i += 2 + length
    return None, None


def _heic_size(data: bytes) -> tuple[int | None, int | None]:
    """The ftyp box must name a HEIF brand; the largest image spatial extent (``ispe``) is the size."""
    (box,) = struct.unpack(">I", data[:4])
    if box < 16 or box > min(len(data), 4096) or box % 4:
        raise UploadRefused(f"The selected file is not a photo we can read. {ACCEPTED}")
    brands = {data[8:12]} | {data[i:i + 4] for i in range(16, box, 4)}
    if not brands & HEIC_BRANDS:
        raise UploadRefused(f"The selected file must be a PDF, JPEG, PNG or HEIC file. {ACCEPTED}")
    sizes = []
    start = 0
    head = data[:1024 * 1024]  # the meta box (with ispe) comes before the image data
    while (i := head.find(b"ispe", start)) != -1 and len(sizes) < 64:
        if i + 16 <= len(head):
            sizes.append(struct.unpack(">II", head[i + 8:i + 16]))
        start = i + 4
    if not sizes:
        return None, None
    return max(sizes, key=lambda wh: wh[0] * wh[1])


def display_name(filename: str | None) -> str:
    """The name to show the family (never a path): last part only, no control characters, 100 characters."""
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip()
    return name[:100] or "file"


def new_upload_id() -> str:
    return secrets.token_hex(16)


def store(uploads: Path, data: bytes) -> str:
    """Keep an accepted file under a random name; returns its id."""
    uploads.mkdir(parents=True, exist_ok=True, mode=0o700)
    upload_id = new_upload_id()
    fd, tmp = tempfile.mkstemp(dir=uploads, prefix=".part-")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, uploads / upload_id)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    fsync_dir(uploads)
    return upload_id


def path_of(uploads: Path, upload_id: str) -> Path:
    if not UPLOAD_ID.match(upload_id):
        raise ValueError("not an upload id")
    return uploads / upload_id


def discard(uploads: Path, upload_id: str) -> None:
    path_of(uploads, upload_id).unlink(missing_ok=True)
