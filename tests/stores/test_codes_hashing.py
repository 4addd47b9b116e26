"""Access codes are hashed on threads (stores.codes.hashing): each code keeps its own hash, in order, at the
full scrypt cost, and a close that stops early leaves no hashing running."""

from __future__ import annotations

import threading
import time
from datetime import UTC, date, datetime

import pytest

from stores import codes
from stores.codes import check_sign_in, digest, draft_codes, hashing, prepare_codes, store_codes

NOW = datetime(2026, 4, 1, 9, 0, tzinfo=UTC)
RETURNS = [(f"DP{i:06d}-1", date(2026, 1, 1)) for i in range(12)] + [("DP000001-1", date(2025, 10, 1))]


def test_every_code_gets_its_own_hash_at_full_cost_in_the_returns_order(tmp_path):
    made = prepare_codes(tmp_path, RETURNS, NOW)
    assert [(m.budget_id, m.period_start) for m in made] == RETURNS
    assert len({m.code for m in made}) == len(made)
    for m in made:
        assert m.cost == codes.COST == 2**14
        assert m.digest == digest(m.code, m.salt, m.cost)
    assert made[1].salt == made[-1].salt  # one salt per budget reference
    store_codes(tmp_path, [m.stored() for m in made])
    for m in made:
        signed = check_sign_in(tmp_path, m.budget_id, m.code, f"c-{m.budget_id}-{m.period_start}", NOW)
        assert (signed.outcome, signed.period_start) == ("ok", m.period_start)


def test_hashes_are_made_on_several_threads_while_the_caller_works(tmp_path, monkeypatch):
    threads: set[str] = set()

    def recording(code, salt, cost):
        threads.add(threading.current_thread().name)
        return digest(code, salt, cost)

    monkeypatch.setattr(codes, "digest", recording)
    drafts = draft_codes(tmp_path, RETURNS, NOW)
    with hashing(drafts, workers=2) as hashed:
        time.sleep(0.3)  # the caller at work: the threads hash meanwhile
        made = hashed()  # then the caller hashes what they have not begun
    assert [(m.budget_id, m.period_start) for m in made] == RETURNS
    assert all(m.digest == digest(m.code, m.salt, m.cost) for m in made)
    assert {"scrypt_0", "scrypt_1"} <= threads <= {"scrypt_0", "scrypt_1", threading.current_thread().name}


def test_leaving_early_drops_the_hashes_not_begun(tmp_path, monkeypatch):
    done: list[str] = []

    def slow(code, salt, cost):
        time.sleep(0.05)
        done.append(code)
        return b"x" * 32

    monkeypatch.setattr(codes, "digest", slow)
    drafts = draft_codes(tmp_path, RETURNS, NOW) * 4
    with pytest.raises(RuntimeError), hashing(drafts, workers=2):
        raise RuntimeError("the letters could not be written")
    settled = len(done)
    assert settled < len(drafts)
    time.sleep(0.2)
    assert len(done) == settled  # nothing still hashing after the block


def test_no_returns_no_threads(tmp_path):
    with hashing([]) as hashed:
        assert hashed() == []
