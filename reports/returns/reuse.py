"""Letters an earlier run already wrote: copy their bytes when nothing in them has changed.

A family's letter (PDF and HTML) is drawn from its :class:`Letter` alone (every
figure, name and date in it, the council's details) by the code, template and
fonts in this folder. So two letters with the same *fingerprint* (a hash of
that code, the libraries' versions and the Letter's whole content) are the same
bytes, and a night that brings one day's statements need draw only the letters
those statements touched. Example: 106 returns are awaited on 1 April; tonight's
files move the figures of three of them, so three letters are drawn and 103 are
copied from the reports already written for 1 April. A letter is dated and
judged on the run's day, so on a new day every letter is drawn again.

The nightly run keeps a record beside the warehouse (``<warehouse>.letters.json``,
a cache like the inbox's hashes): the reports folder it last wrote and, for each
letter in it, its fingerprint and the SHA-256 of the two files. A letter is copied
only when its fingerprint is recorded and the files in that folder still hash to
what was recorded, so the record needs no other trust: a file edited, damaged or
replaced since (a later run for that day, a run that failed before publishing)
is drawn again, and a record lost or unreadable means every letter is drawn.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import os
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from pydantic import BaseModel

from schemas.fingerprint import code_fingerprint

HERE = Path(__file__).parent
# what draws a letter besides this folder's files (schemas.money formats the amounts)
SOURCES = (HERE.parent.parent / "schemas" / "money.py", HERE.parent.parent / "schemas" / "council.py")
LIBRARIES = ("fpdf2", "fonttools", "jinja2", "markupsafe", "uharfbuzz", "fontpkg-noto-sans",
             "fontpkg-noto-sans-arabic", "pylopdf-fonts-zh-cn", "pydantic")


@functools.cache
def drawing() -> str:
    """A hash of everything that turns a Letter into bytes: this folder's code, template and
    queries, the money and council schemas, and the drawing libraries' versions."""
    return code_fingerprint(sorted(p for p in HERE.iterdir() if p.suffix in (".py", ".j2", ".sql")) + list(SOURCES),
                            LIBRARIES)


def content(value: object) -> object:
    """A Letter as plain JSON, every field named and every value typed (Decimal('1.50') is not 1.5)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return [type(value).__name__, {f.name: content(getattr(value, f.name)) for f in dataclasses.fields(value)}]
    if isinstance(value, BaseModel):
        return [type(value).__name__, {k: content(getattr(value, k)) for k in type(value).model_fields}]
    if isinstance(value, list | tuple):
        return [type(value).__name__, [content(v) for v in value]]
    if isinstance(value, dict):
        return ["dict", [[content(k), content(v)] for k, v in value.items()]]
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, Decimal | float | date | datetime):
        return [type(value).__name__, repr(value)]
    raise TypeError(f"a letter holds a {type(value).__name__}, which its fingerprint does not know")


def fingerprint(letter: object) -> str:
    text = json.dumps([drawing(), content(letter)], separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class Drawn:
    """The letters of the reports folder a run last wrote, by fingerprint, and the record of tonight's."""

    def __init__(self, record: Path | None = None, reports: Path | None = None) -> None:
        self.path = record
        self.earlier: Path | None = None
        self.known: dict[str, dict] = {}
        self.record: dict[str, dict] = {}
        if record is None or reports is None:
            return
        try:
            kept = json.loads(record.read_text(encoding="utf-8"))
            day = date.fromisoformat(kept["day"]).isoformat()
            letters = kept["letters"]
        except (OSError, ValueError, TypeError, KeyError):
            return
        if isinstance(letters, dict):
            self.earlier = reports / day
            self.known = {v["fingerprint"]: dict(v, stem=stem) for stem, v in letters.items()
                          if isinstance(v, dict) and isinstance(v.get("fingerprint"), str)}

    def copy(self, print_: str) -> tuple[bytes, bytes] | None:
        """The earlier PDF and HTML with this fingerprint, when both still hash as recorded."""
        seen = self.known.get(print_)
        if seen is None or self.earlier is None:
            return None
        try:
            pdf = (self.earlier / "returns" / f"{seen['stem']}.pdf").read_bytes()
            html = (self.earlier / "returns" / f"{seen['stem']}.html").read_bytes()
        except (OSError, ValueError):
            return None
        return (pdf, html) if sha(pdf) == seen.get("pdf") and sha(html) == seen.get("html") else None

    def note(self, stem: str, print_: str, pdf: bytes, html: bytes) -> None:
        self.record[stem] = {"fingerprint": print_, "pdf": sha(pdf), "html": sha(html)}

    def save(self, day: date) -> None:
        """Keep tonight's record (once its folder is published: until then the last one stands)."""
        if self.path is None:
            return
        part = self.path.with_name(self.path.name + ".part")
        part.write_text(json.dumps({"day": day.isoformat(), "letters": self.record}, sort_keys=True),
                        encoding="utf-8")
        os.replace(part, self.path)
