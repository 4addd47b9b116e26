"""Real, minimal files for upload tests: a PDF built object by object with a correct cross-reference table."""

from __future__ import annotations


def pdf(extra_catalog: bytes = b"", pad: int = 0, objects: tuple[bytes, ...] = (), text: bytes = b"Receipt") -> bytes:
    """A one-page PDF; ``extra_catalog`` goes into the catalog dictionary, ``objects`` are added as 5 0 obj
    onwards, ``pad`` bytes of filler go into the page's content stream (a comment, so it still draws)."""
    content = b"BT /F1 12 Tf 72 720 Td (" + text + b") Tj ET\n" + (b"%" + b"0" * (pad - 2) + b"\n" if pad > 1 else b"")
    body = [
        b"<< /Type /Catalog /Pages 2 0 R " + extra_catalog + b" >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>",
        b"<< /Length " + str(len(content)).encode() + b" >>\nstream\n" + content + b"\nendstream",
        *objects,
    ]
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for n, obj in enumerate(body, start=1):
        offsets.append(len(out))
        out += f"{n} 0 obj\n".encode() + obj + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(body) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    out += f"trailer\n<< /Size {len(body) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)
