"""Reading the inbox folder: which files are there, their hashes, their bytes."""

from __future__ import annotations

import hashlib
import json
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


class HashCache:
    """Each inbox file's sha256, remembered against its (size, mtime, ctime, inode).

    A file whose stat is unchanged is not read again: a quiet night hashes
    nothing. ctime is set by the kernel whenever a file is written and cannot be
    copied or forged by tools such as rsync, so a changed file always misses.
    The cache is only a cache: it lives beside the warehouse, and losing it costs
    one full hashing of the inbox.
    """

    def __init__(self, path: Path | None = None) -> None:
        self.path = path
        self.entries: dict[str, list] = {}
        if path is not None and path.exists():
            try:
                self.entries = json.loads(path.read_text(encoding="utf-8"))
            except (ValueError, OSError):
                self.entries = {}

    def sha256(self, full: str | Path, rel: str) -> str:
        st = os.stat(full)
        key = [st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino]
        hit = self.entries.get(rel)
        if hit is not None and hit[:4] == key:
            return hit[4]
        sha = sha256_of(Path(full))
        self.entries[rel] = [*key, sha]
        return sha

    def save(self, seen: set[str]) -> None:
        if self.path is None:
            return
        keep = {k: v for k, v in self.entries.items() if k in seen}
        tmp = self.path.with_name(self.path.name + ".tmp")
        tmp.write_text(json.dumps(keep), encoding="utf-8")
        os.replace(tmp, self.path)


def scan(inbox: Path, under: str | None = None, hashes: HashCache | None = None) -> list[InboxFile]:
    """Every file dprecon should account for, sorted by path (only those below
    ``inbox/under`` when given, e.g. ``evidence`` for the intake).

    Evidence attachments are read through their manifest, not listed. Hidden
    files and temporary upload files (``.*``, ``*.part``) are not ours yet.
    """
    out: list[InboxFile] = []
    top = inbox / under if under else inbox
    if not top.is_dir():
        return out
    base = str(inbox)
    for root, dirs, files in os.walk(top):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        # plain strings, not Path objects: a council's inbox holds tens of thousands of files
        rel_root = os.path.relpath(root, base).replace(os.sep, "/")
        rel_root = "" if rel_root == "." else rel_root
        names = sorted(f for f in files if not f.startswith(".") and not f.endswith(".part"))
        for name in names:
            rel = f"{rel_root}/{name}" if rel_root else name
            if rel_root and is_evidence_attachment(rel):
                continue
            kind = classify(rel)
            siblings = frozenset(n for n in names if n.lower() != "manifest.csv") if kind == "evidence_manifest" else frozenset()
            full = os.path.join(root, name)
            sha = hashes.sha256(full, rel) if hashes else sha256_of(Path(full))
            out.append(InboxFile(rel, sha, kind, siblings))
    return out


def parse_one(inbox: str, f: InboxFile) -> tuple[str, Parsed]:
    """Read and parse one file (runs in a worker process)."""
    try:
        data = (Path(inbox) / f.relpath).read_bytes()
    except OSError as e:
        return f.relpath, Parsed.failed(f.kind or "unknown", f"the file could not be opened ({e.strerror})")
    return f.relpath, read_file(f.kind or "unknown", f.relpath, data, f.siblings)
