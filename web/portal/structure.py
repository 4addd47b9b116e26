"""Whether an upload is built like the kind of file its first bytes claim, and nothing else besides.

The first bytes say what a file claims to be (uploads.py); this module checks
the claim all the way through, because a file can start ``%PDF-`` and carry a
web page after it, or be a PDF that runs JavaScript when an officer opens it,
or be two files at once (a "polyglot": a PDF that is also a zip, a photo
that is also a PDF). Refused, each with a reason a family can act on:

* anything holding a web page (``<html``, ``<script``, ``<!doctype`` …), a zip
  archive's directory near its end, or a PDF header inside a photo;
* a PDF that pypdf cannot read through (its cross-reference table, every
  object), that has no page or more than 500, that needs a password to open,
  or that holds JavaScript, a Launch / SubmitForm / ImportData / remote-go-to
  action, an automatic action (``/AA``), attached or embedded files, rich
  media or an XFA form. An ``/OpenAction`` that only opens a page (as
  LibreOffice writes: ``[3 0 R /XYZ null null 0]``) is harmless and allowed;
  an ``/OpenAction`` that is any other action is refused. Names are compared
  after undoing PDF's ``#xx`` escapes (``/Java#53cript`` is ``/JavaScript``);
* a PNG whose chunks do not run, CRC-checked, from ``IHDR`` to ``IEND`` with
  nothing after it; a JPEG whose markers do not run from its start to the
  image data; a HEIC whose boxes do not tile the file from ``ftyp`` to its
  last byte.

Phones add things a check must let through: data after a JPEG's end (Samsung's
trailer, the depth map of a portrait photo), encrypted-but-openable bank PDFs
(no password needed to read, only to edit).
"""

from __future__ import annotations

import io
import re
import struct
import zlib

HTML_MARKERS = (b"<html", b"<!doctype", b"<script", b"<body", b"<iframe", b"<svg", b"<object", b"<embed",
                b"<meta ", b"<head>", b"javascript:")
ZIP_DIRECTORY = b"PK\x05\x06"
MAX_PAGES = 500
MAX_OBJECTS = 50_000
MAX_DEPTH = 12
RISKY_KEYS = {"/JavaScript", "/JS", "/Launch", "/EmbeddedFile", "/EmbeddedFiles", "/RichMedia", "/XFA", "/AA",
              "/SubmitForm", "/ImportData", "/GoToE", "/GoToR"}
RISKY_ACTIONS = {"/JavaScript", "/Launch", "/SubmitForm", "/ImportData", "/GoToE", "/GoToR", "/RichMediaExecute",
                 "/Rendition", "/Sound", "/Movie"}
NAME = re.compile(rb"/[A-Za-z0-9#_.+-]{2,40}")
STREAM = re.compile(rb"stream\r?\n.*?endstream", re.S)
PLAIN_KINDS = "Upload a PDF, JPEG, PNG or HEIC file"


class NotStructured(ValueError):
    """Why the file is refused, in words for the family."""


def check(ext: str, data: bytes) -> None:
    """Raise NotStructured unless ``data`` is a plain, whole file of kind ``ext``."""
    _no_second_file(ext, data)
    {"pdf": _pdf, "png": _png, "jpg": _jpeg, "heic": _heic}[ext](data)


def _no_second_file(ext: str, data: bytes) -> None:
    lowered = data.lower()
    if any(m in lowered for m in HTML_MARKERS):
        raise NotStructured("The selected file contains a web page as well as a receipt, so we cannot accept it. "
                            f"{PLAIN_KINDS} that is only the receipt")
    if ZIP_DIRECTORY in data[-(66 * 1024):]:
        raise NotStructured("The selected file has another file (an archive) hidden inside it, so we cannot accept "
                            f"it. {PLAIN_KINDS} that is only the receipt")
    if ext != "pdf" and b"%PDF-" in data[:1024]:
        raise NotStructured("The selected photo is also a PDF, so we cannot accept it. "
                            f"{PLAIN_KINDS} that is only the receipt")


# ---- PDF ----------------------------------------------------------------------------------------

DAMAGED_PDF = ("The selected PDF is damaged or is not a real PDF. Open it and save or print it as a new PDF, "
               "or take a photo of the receipt, and upload that")
ACTIVE_PDF = ("The selected PDF contains scripts, actions or attached files, which we cannot accept. Print it to a "
              "new PDF, or take a photo of the receipt, and upload that")


def _pdf(data: bytes) -> None:
    if not re.match(rb"%PDF-[12]\.[0-9]", data) or b"%%EOF" not in data[-1024:]:
        raise NotStructured(DAMAGED_PDF)  # no end marker near the end: cut off, or something hangs after it
    outside_streams = STREAM.sub(b"stream endstream", data)  # stream bytes are content or packed: pypdf reads those
    if any(_risky_name(m.group()) for m in NAME.finditer(outside_streams)):
        raise NotStructured(ACTIVE_PDF)  # in the file's own text, escaped names included
    from pypdf import PdfReader
    from pypdf.generic import IndirectObject

    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted and not reader.decrypt(""):
            raise NotStructured("The selected PDF is protected with a password. Save it without the password, "
                                "or take a photo of the receipt, and upload that")
        pages = len(reader.pages)
        numbers = [(num, gen) for gen, objs in reader.xref.items() for num in objs] + [
            (num, 0) for num in reader.xref_objStm]
        if len(numbers) > MAX_OBJECTS:
            raise NotStructured(DAMAGED_PDF)
        for num, gen in numbers:  # every object, those packed in object streams too
            _scan(reader.get_object(IndirectObject(num, gen, reader)), 0)
        _scan(reader.trailer, 0)
    except NotStructured:
        raise
    except Exception as e:  # noqa: BLE001 - any failure to read it through means it is not a PDF we accept
        raise NotStructured(DAMAGED_PDF) from e
    if not 1 <= pages <= MAX_PAGES:
        raise NotStructured(DAMAGED_PDF if pages < 1 else
                            f"The selected PDF has more than {MAX_PAGES} pages. Upload just the receipt")


def _risky_name(raw: bytes) -> bool:
    name = re.sub(rb"#([0-9A-Fa-f]{2})", lambda m: bytes([int(m.group(1), 16)]), raw).decode("latin-1")
    return name in RISKY_KEYS


def _scan(obj, depth: int) -> None:
    """Refuse risky keys and actions in one object and the direct objects inside it (references are
    scanned as objects of their own)."""
    from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject

    if depth > MAX_DEPTH or isinstance(obj, IndirectObject):
        return
    if isinstance(obj, DictionaryObject):
        if RISKY_KEYS & set(obj.keys()) or obj.get("/S") in RISKY_ACTIONS:
            raise NotStructured(ACTIVE_PDF)
        opening = obj.get("/OpenAction")
        if opening is not None:
            action = opening.get_object()
            if isinstance(action, DictionaryObject) and action.get("/S") != "/GoTo":
                raise NotStructured(ACTIVE_PDF)  # a destination array (open at a page) is harmless
        for value in obj.values():
            _scan(value, depth + 1)
    elif isinstance(obj, ArrayObject):
        for value in obj:
            _scan(value, depth + 1)


# ---- images -------------------------------------------------------------------------------------

def _damaged(kind: str) -> NotStructured:
    return NotStructured(f"The selected {kind} is damaged or incomplete. {PLAIN_KINDS}")


def _png(data: bytes) -> None:
    """Chunks from IHDR to IEND, each with its length and a right CRC, and nothing after IEND."""
    i, first = 8, True
    while True:
        if i + 12 > len(data):
            raise _damaged("PNG image")
        length, kind = struct.unpack(">I4s", data[i:i + 8])
        end = i + 12 + length
        if end > len(data) or (first and kind != b"IHDR"):
            raise _damaged("PNG image")
        if zlib.crc32(data[i + 4:end - 4]) != struct.unpack(">I", data[end - 4:end])[0]:
            raise _damaged("PNG image")
        first, i = False, end
        if kind == b"IEND":
            break
    if data[i:].strip(b"\x00"):
        raise _damaged("PNG image")


def _jpeg(data: bytes) -> None:
    """Marker segments from the start of image to the start of the image data, each the length it says."""
    i = 2
    while True:
        if i + 4 > len(data) or data[i] != 0xFF:
            raise _damaged("JPEG photo")
        marker = data[i + 1]
        if marker == 0xFF:
            i += 1
            continue
        if marker in (0x01, *range(0xD0, 0xD8)):
            i += 2
            continue
        if marker == 0xD9:
            raise _damaged("JPEG photo")  # the end before any image data
        (length,) = struct.unpack(">H", data[i + 2:i + 4])
        if length < 2 or i + 2 + length > len(data):
            raise _damaged("JPEG photo")
        if marker == 0xDA:
            return  # the image data follows; phones may add their own data after its end
        i += 2 + length


def _heic(data: bytes) -> None:
    """ISO boxes, ftyp first, each a four-letter type, tiling the file exactly."""
    i, first = 0, True
    while i < len(data):
        if i + 8 > len(data):
            raise _damaged("HEIC photo")
        size, kind = struct.unpack(">I4s", data[i:i + 8])
        if size == 1:
            if i + 16 > len(data):
                raise _damaged("HEIC photo")
            (size,) = struct.unpack(">Q", data[i + 8:i + 16])
        elif size == 0:
            size = len(data) - i  # the last box runs to the end
        if size < 8 or i + size > len(data) or not re.fullmatch(rb"[A-Za-z0-9 ]{4}", kind) or (
                first and kind != b"ftyp"):
            raise _damaged("HEIC photo")
        first, i = False, i + size
