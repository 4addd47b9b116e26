"""Reading the inbox folder: which files are there, their hashes, their bytes.

The inbox holds regular files only. Anything else found there is listed with
the reason it is not read, and never opened: a FIFO would block the run for
ever (while it holds the warehouse lock), a device or socket is not a
statement, and a link is followed only when it leads to a regular file inside
the inbox (a link to ``/etc/passwd`` must not put a system file's first line
into ``audit.quarantine``). Files are opened without following links and
without blocking, and checked to be regular once open, so a file swapped for
a FIFO between the listing and the reading is refused too.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from pipelines.ingest import EMPTY_SHA256
from pipelines.model import Parsed
from pipelines.readers.dispatch import classify, is_evidence_attachment, read_file
from schemas.profiles import COUNCIL_FOLDER, ProfileBook, profile_book


@dataclass(frozen=True)
class InboxFile:
    relpath: str
    sha256: str  # of the content; for something that is not read, a marker such as "(fifo)"
    kind: str | None
    siblings: frozenset[str] = frozenset()
    problem: str | None = None  # why it is not read (not a regular file, a link out, empty)
    size: int = 0  # bytes, as listed: how the parse shares files out between its workers


class NotRegularFile(OSError):
    """What was opened is not a regular file (it changed since the listing)."""


def _open_checked(path: str | Path) -> tuple[int, os.stat_result]:
    """A read-only descriptor on a regular file, and its stat: never blocks, never
    follows a last-part link."""
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY | getattr(os, "O_CLOEXEC", 0))
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode):
        os.close(fd)
        raise NotRegularFile(f"{path} is not a regular file")
    return fd, st


def _open_regular(path: str | Path) -> int:
    return _open_checked(path)[0]


def sha256_of(path: Path) -> str:
    """The content's sha256, read straight from the descriptor (no buffered file object:
    the inbox is tens of thousands of small files), in reads of the file's size."""
    fd, st = _open_checked(path)
    try:
        h = hashlib.sha256()
        size = min(st.st_size + 1, 1 << 20)  # one read for a small file, then the empty read at its end
        while chunk := os.read(fd, size):
            h.update(chunk)
    finally:
        os.close(fd)
    return h.hexdigest()


def read_regular(path: str | Path) -> bytes:
    with os.fdopen(_open_regular(path), "rb") as f:
        return f.read()


_KINDS = ((stat.S_ISFIFO, "fifo", "a named pipe (FIFO)"), (stat.S_ISSOCK, "socket", "a socket"),
          (stat.S_ISCHR, "device", "a device"), (stat.S_ISBLK, "device", "a device"))
NOT_READ = " dprecon reads only regular files in the inbox; it was not opened."


def _not_regular(mode: int) -> tuple[str, str] | None:
    """``(marker, words)`` for anything that is not a regular file."""
    for test, marker, words in _KINDS:
        if test(mode):
            return f"({marker})", f"this is {words}, not a file."
    if stat.S_ISDIR(mode):
        return "(folder)", "this is a folder."
    if not stat.S_ISREG(mode):
        return "(special)", "this is not a regular file."
    return None


def _inside(base_real: str, path_real: str) -> bool:
    return path_real == base_real or path_real.startswith(base_real.rstrip(os.sep) + os.sep)


def examine(full: str, base_real: str) -> tuple[str | None, str | None, str]:
    """What a directory entry is, without opening it: ``(marker, problem, readable path)``.

    ``marker`` and ``problem`` are None for a regular file (or a link to one
    inside the inbox); ``readable path`` is where its bytes are.
    """
    marker, problem, readable, _st = _examine(full, base_real)
    return marker, problem, readable


def _examine(full: str, base_real: str) -> tuple[str | None, str | None, str, os.stat_result]:
    """:func:`examine`, and the stat of what would be read (of the entry itself when
    it is not read): the hash cache's key, without asking the file system twice."""
    st = os.lstat(full)
    target = full
    if stat.S_ISLNK(st.st_mode):
        target = os.path.realpath(full)
        if not _inside(base_real, target):
            return "(link out)", "this is a link to somewhere outside the inbox; it was not followed." + NOT_READ, full, st
        try:
            st = os.stat(target)
        except OSError:
            return "(broken link)", "this is a link to a file that is not there." + NOT_READ, full, st
    odd = _not_regular(st.st_mode)
    if odd is not None:
        return odd[0], odd[1] + NOT_READ, full, st
    return None, None, target, st


def hash_cache_path(warehouse: Path) -> Path:
    """Where the inbox's hashes are remembered: beside the warehouse whose runs read them."""
    return warehouse.with_name(warehouse.name + ".hashes.json")


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

    def known(self, rel: str, st: os.stat_result) -> str | None:
        """The remembered sha256 of ``rel`` if its stat is unchanged."""
        hit = self.entries.get(rel)
        if hit is not None and hit[:4] == [st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino]:
            return hit[4]
        return None

    def remember(self, rel: str, st: os.stat_result, sha: str) -> None:
        self.entries[rel] = [st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, sha]

    def save(self, seen: set[str], under: str | None = None) -> None:
        """Keep the entries of the files ``seen``; after a scan of one folder (``under``),
        the entries outside it too, as the last whole scan left them."""
        if self.path is None:
            return
        prefix = f"{under.strip('/')}/" if under else None
        keep = {k: v for k, v in self.entries.items() if k in seen or (prefix and not k.startswith(prefix))}
        tmp = self.path.with_name(self.path.name + ".tmp")
        tmp.write_text(json.dumps(keep), encoding="utf-8")
        os.replace(tmp, self.path)


EMPTY = "this file is empty (0 bytes): there is nothing in it to read."


HASH_THREADS = 4  # looking at a file and reading it release the GIL: several files are in hand at once
HASH_BATCH = 64  # files looked at by one task


def _look_at(full: str, rel: str, base_real: str, hashes: HashCache | None,
             ) -> tuple[str, str | None, os.stat_result | None, int] | None:
    """``(sha256 or marker, problem, stat to remember its hash by, size)`` of one listed
    file (in a thread); None when it has gone since the listing: not there tonight."""
    try:
        marker, problem, readable, st = _examine(full, base_real)
    except FileNotFoundError:
        return None
    if problem is not None:
        return marker or "(special)", problem, None, 0
    size = st.st_size
    sha = hashes.known(rel, st) if hashes else None
    if sha is None:
        try:
            sha = sha256_of(Path(readable))
        except NotRegularFile:  # swapped for something else since it was examined
            return "(special)", "this is not a regular file." + NOT_READ, None, 0
    else:
        st = None  # known already
    return sha, EMPTY if sha == EMPTY_SHA256 else None, st, size


def _look_at_batch(batch: list[tuple[str, str]], base_real: str, hashes: HashCache | None) -> list:
    return [_look_at(full, rel, base_real, hashes) for full, rel in batch]


def _walk(folder: str) -> Iterator[tuple[str, list[str], list[str], set[str]]]:
    """``os.walk(folder)`` (top down, a folder that cannot be listed skipped, links to
    folders listed among the folders and never entered), with which folders are links,
    told by the listing itself rather than by one more ``lstat`` each."""
    try:
        with os.scandir(folder) as listing:
            entries = list(listing)
    except OSError:
        return
    dirs, files, links = [], [], set()
    for entry in entries:
        try:
            is_dir = entry.is_dir()
        except OSError:
            is_dir = False
        if not is_dir:
            files.append(entry.name)
            continue
        dirs.append(entry.name)
        try:
            if entry.is_symlink():
                links.add(entry.name)
        except OSError:
            pass
    yield folder, dirs, files, links
    for d in dirs:  # as the caller left them
        if d not in links:
            yield from _walk(os.path.join(folder, d))


def scan(inbox: Path, under: str | None = None, hashes: HashCache | None = None,
         when_many: tuple[int, Callable[[], object]] | None = None) -> list[InboxFile]:
    """Every file dprecon should account for, sorted by path (only those below
    ``inbox/under`` when given, e.g. ``evidence`` for the intake).

    Evidence attachments are read through their manifest, not listed. Hidden
    files and temporary upload files (``.*``, ``*.part``) are not ours yet.
    Entries that are not read (see the module's docstring) and empty files
    come back with ``problem`` set, to be logged, never opened.

    The walk only lists; each file is looked at (and hashed, when the hash cache
    does not know it) on a few threads, a batch at a time, while the walk goes
    on; the list is put together in walk order. ``when_many``: ``(n, call)``, called
    once as soon as ``n`` files are listed (the ingest starts its validation process).
    """
    top = inbox / under if under else inbox
    if not top.is_dir():
        return []
    listed: list[InboxFile | tuple[str, str | None, frozenset[str]]] = []  # (rel, kind, siblings): to look at
    batches: list[Future[list]] = []
    batch: list[tuple[str, str]] = []
    base = str(inbox)
    base_real = os.path.realpath(base)
    with ThreadPoolExecutor(max_workers=HASH_THREADS, thread_name_prefix="dprecon-scan") as pool:
        for root, dirs, files, links in _walk(str(top)):
            # plain strings, not Path objects: a council's inbox holds tens of thousands of files
            rel_root = os.path.relpath(root, base).replace(os.sep, "/")
            rel_root = "" if rel_root == "." else rel_root
            walk_into = []
            for d in sorted(d for d in dirs if not d.startswith(".")):
                if d in links:
                    rel = f"{rel_root}/{d}" if rel_root else d
                    listed.append(InboxFile(rel, "(link to a folder)", classify(rel), problem=(
                        "this is a link to a folder; it was not followed. Put the files themselves in the inbox.")))
                else:
                    walk_into.append(d)
            dirs[:] = walk_into
            names = sorted(f for f in files if not f.startswith(".") and not f.endswith(".part"))
            for name in names:
                rel = f"{rel_root}/{name}" if rel_root else name
                if rel_root and is_evidence_attachment(rel):
                    continue
                kind = classify(rel)
                listed.append((rel, kind, frozenset(n for n in names if n.lower() != "manifest.csv")
                               if kind == "evidence_manifest" else frozenset()))
                if when_many is not None and len(listed) >= when_many[0]:
                    when_many[1]()
                    when_many = None
                batch.append((os.path.join(root, name), rel))
                if len(batch) >= HASH_BATCH:
                    batches.append(pool.submit(_look_at_batch, batch, base_real, hashes))
                    batch = []
        if batch:
            batches.append(pool.submit(_look_at_batch, batch, base_real, hashes))
        seen = iter([answer for b in batches for answer in b.result()])
    out: list[InboxFile] = []
    for entry in listed:
        if isinstance(entry, InboxFile):
            out.append(entry)
            continue
        answer = next(seen)
        if answer is None:
            continue
        rel, kind, siblings = entry
        sha, problem, st, size = answer
        if hashes and st is not None:
            hashes.remember(rel, st, sha)
        out.append(InboxFile(rel, sha, kind, siblings, problem, size))
    return out


def council_profiles(inbox: Path, work: Path) -> ProfileBook:
    """The bank layouts a run reads statement CSVs with: the shipped ones and the
    council's (``register/profiles/*.toml``), those it cannot use included, so
    the statements they were meant to read are set aside naming the file and key.

    Only regular files are handed to the profile loader (through a private copy
    in ``work``): a FIFO named ``x.toml`` would block it, and a link out of the
    inbox is not the council's; both are logged by :func:`scan` instead.
    """
    folder = inbox / COUNCIL_FOLDER
    if not folder.is_dir():
        return profile_book(None)
    copy = work / "profiles"
    copy.mkdir(parents=True, exist_ok=True)
    base_real = os.path.realpath(inbox)
    for name in sorted(os.listdir(folder)):
        if not name.lower().endswith(".toml") or name.startswith("."):
            continue
        try:
            _marker, problem, readable = examine(os.path.join(folder, name), base_real)
            if problem is None:
                (copy / name).write_bytes(read_regular(readable))
        except OSError:
            continue
    return profile_book(copy)


def parse_one(inbox: str, f: InboxFile, profiles: ProfileBook | None = None) -> tuple[str, Parsed]:
    """Read and parse one file (runs in a worker process); ``profiles``: see :func:`council_profiles`."""
    full = os.path.join(inbox, f.relpath)
    try:
        _marker, problem, readable = examine(full, os.path.realpath(inbox))
        if problem is not None:
            return f.relpath, Parsed.failed(f.kind or "unknown", problem)
        data = read_regular(readable)
    except NotRegularFile:
        return f.relpath, Parsed.failed(f.kind or "unknown", "this is not a regular file." + NOT_READ)
    except OSError as e:
        return f.relpath, Parsed.failed(f.kind or "unknown", f"the file could not be opened ({e.strerror})")
    return f.relpath, read_file(f.kind or "unknown", f.relpath, data, f.siblings, profiles)
