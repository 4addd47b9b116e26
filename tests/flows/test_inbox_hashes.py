"""The inbox hash cache: a quiet night reads no file, a changed file is always read again."""

from __future__ import annotations

import os
from pathlib import Path

import flows.inbox as inbox_mod
from flows.inbox import HashCache, scan
from tests.conftest import SAMPLE_INBOX
from tests.flows.helpers import copy_inbox


def hashed_files(monkeypatch):
    calls = []
    real = inbox_mod.sha256_of
    monkeypatch.setattr(inbox_mod, "sha256_of", lambda p: calls.append(p) or real(p))
    return calls


def test_unchanged_files_are_not_read_again_and_a_rewrite_is_caught(tmp_path, monkeypatch):
    inbox = copy_inbox(SAMPLE_INBOX, tmp_path / "inbox")
    cache = tmp_path / "hashes.json"
    h = HashCache(cache)
    first = scan(inbox, hashes=h)
    h.save({f.relpath for f in first})

    calls = hashed_files(monkeypatch)
    again = scan(inbox, hashes=HashCache(cache))
    assert calls == [] and again == first

    # same size, mtime put back as it was: only ctime tells, and it must
    target = inbox / first[-1].relpath
    st = target.stat()
    data = target.read_bytes()
    while target.stat().st_ctime_ns == st.st_ctime_ns:  # until the clock has ticked for the file system
        target.write_bytes(data[:-2] + bytes([data[-2] ^ 1]) + data[-1:])
        os.utime(target, ns=(st.st_atime_ns, st.st_mtime_ns))
    changed = scan(inbox, hashes=HashCache(cache))
    assert [p.name for p in calls] == [target.name]
    assert {f.relpath: f.sha256 for f in changed} != {f.relpath: f.sha256 for f in first}


def test_a_corrupt_cache_costs_only_a_full_hash(tmp_path, monkeypatch):
    inbox = copy_inbox(SAMPLE_INBOX, tmp_path / "inbox")
    cache = tmp_path / "hashes.json"
    cache.write_text("{not json")
    calls = hashed_files(monkeypatch)
    files = scan(inbox, hashes=HashCache(cache))
    assert len(calls) == len(files) > 0


def test_files_hashed_on_threads_come_back_in_walk_order_with_their_own_hashes(tmp_path, monkeypatch):
    import hashlib

    inbox = copy_inbox(SAMPLE_INBOX, tmp_path / "inbox")
    for folder in ("statements/a", "statements/b", "invoices/c"):
        (inbox / folder).mkdir(parents=True)
        for i in range(23):
            (inbox / folder / f"f{i:02}.csv").write_text(f"{folder} {i}\n" * i, encoding="utf-8")
    monkeypatch.setattr(inbox_mod, "HASH_BATCH", 5)  # many batches, finishing in any order
    cache = HashCache(tmp_path / "hashes.json")
    files = scan(inbox, hashes=cache)
    expected = []
    for root, dirs, names in os.walk(inbox):
        dirs.sort()
        for name in sorted(names):
            rel = os.path.relpath(os.path.join(root, name), inbox).replace(os.sep, "/")
            if not rel.startswith("evidence/") or rel.endswith("manifest.csv"):
                expected.append(rel)
    assert [f.relpath for f in files] == expected
    for f in files:
        assert f.sha256 == hashlib.sha256((inbox / f.relpath).read_bytes()).hexdigest()
        assert cache.entries[f.relpath][4] == f.sha256
    assert sorted(f.relpath for f in files if f.problem) == [f"{d}/f00.csv" for d in ("invoices/c", "statements/a",
                                                                                     "statements/b")]  # empty


def test_the_scan_calls_when_many_files_are_listed_once(tmp_path: Path) -> None:
    for k in range(7):
        (tmp_path / "statements").mkdir(exist_ok=True)
        (tmp_path / "statements" / f"s{k}.csv").write_text(f"account_id,date,amount\nA,2025-04-0{k + 1},1.00\n")
    calls: list[int] = []
    files = scan(tmp_path, None, None, (5, lambda: calls.append(1)))
    assert len(files) == 7 and calls == [1]
    assert scan(tmp_path, None, None, (8, lambda: calls.append(2))) == files and calls == [1]
