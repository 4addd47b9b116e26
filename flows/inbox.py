"""Reading the inbox folder: which files are there, their hashes, their bytes."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from pipelines.model import Parsed
from pipelines.readers.dispatch import classify, is_evidence_attachment, read_file


@dataclass(frozen=True)
class InboxFile:
    relpath: str
    sha256: str
    kind: str | None
    siblings: frozenset[str] = frozenset()


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def scan(inbox: Path, under: str | None = None) -> list[InboxFile]:
    """Every file dprecon should account for, sorted by path (only those below
    ``inbox/under`` when given, e.g. ``evidence`` for the intake).

    Evidence attachments are read through their manifest, not listed. Hidden
    files and temporary upload files (``.*``, ``*.part``) are not ours yet.
    """
    out: list[InboxFile] = []
    top = inbox / under if under else inbox
    if not top.is_dir():
        return out
    for root, dirs, files in os.walk(top):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        rel_root = Path(root).relative_to(inbox)
        names = sorted(f for f in files if not f.startswith(".") and not f.endswith(".part"))
        for name in names:
            rel = (rel_root / name).as_posix()
            if is_evidence_attachment(rel):
                continue
            kind = classify(rel)
            siblings = frozenset(n for n in names if n.lower() != "manifest.csv") if kind == "evidence_manifest" else frozenset()
            out.append(InboxFile(rel, sha256_of(Path(root) / name), kind, siblings))
    return out


def parse_one(inbox: str, f: InboxFile) -> tuple[str, Parsed]:
    """Read and parse one file (runs in a worker process)."""
    try:
        data = (Path(inbox) / f.relpath).read_bytes()
    except OSError as e:
        return f.relpath, Parsed.failed(f.kind or "unknown", f"the file could not be opened ({e.strerror})")
    return f.relpath, read_file(f.kind or "unknown", f.relpath, data, f.siblings)
