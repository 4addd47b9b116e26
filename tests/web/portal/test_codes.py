"""Access codes: stored hashed, expiring, replaced on reissue, and rate-limited per reference and per client."""

from __future__ import annotations

import sqlite3
from datetime import UTC, date, datetime, timedelta

from stores import codes
from stores.codes import check_sign_in, issue_code, issue_codes, normalise_code

NOW = datetime(2026, 4, 1, 9, 0, tzinfo=UTC)
Q1 = date(2026, 1, 1)


def test_a_code_is_twelve_unambiguous_characters_and_opens_its_return(tmp_path):
    code = issue_code(tmp_path, "DP000011-1", Q1, NOW)
    raw = normalise_code(code)
    assert len(raw) == 12 and set(raw) <= set(codes.ALPHABET) and not set(raw) & set("01ILOU")
    ok = check_sign_in(tmp_path, "dp000011-1 ", code.lower().replace("-", " "), "c1", NOW)
    assert (ok.outcome, ok.budget_id, ok.period_start) == ("ok", "DP000011-1", Q1)


def test_only_a_salted_hash_is_stored(tmp_path):
    code_a = issue_code(tmp_path, "DP1", Q1, NOW)
    code_b = issue_code(tmp_path, "DP2", Q1, NOW)
    raw = b"".join(p.read_bytes() for p in tmp_path.glob("portal.sqlite3*"))
    for code in (code_a, code_b):
        assert code.encode() not in raw and normalise_code(code).encode() not in raw
    con = sqlite3.connect(tmp_path / "portal.sqlite3")
    salts = [r[0] for r in con.execute("SELECT salt FROM codes")]
    assert len(set(salts)) == 2 and all(len(s) == 16 for s in salts)


def test_wrong_code_unknown_reference_and_another_budgets_code_are_refused_alike(tmp_path):
    code_a = issue_code(tmp_path, "DP1", Q1, NOW)
    issue_code(tmp_path, "DP2", Q1, NOW)
    assert check_sign_in(tmp_path, "DP2", code_a, "c", NOW).outcome == "wrong"
    assert check_sign_in(tmp_path, "NOSUCH", code_a, "c", NOW).outcome == "wrong"
    assert check_sign_in(tmp_path, "DP1", "AAAA-AAAA-AAAA", "c", NOW).outcome == "wrong"


def test_codes_expire(tmp_path):
    code = issue_code(tmp_path, "DP1", Q1, NOW, valid_days=10)
    assert check_sign_in(tmp_path, "DP1", code, "c", NOW + timedelta(days=9)).outcome == "ok"
    assert check_sign_in(tmp_path, "DP1", code, "c", NOW + timedelta(days=10, seconds=1)).outcome == "expired"


def test_reissuing_replaces_the_old_code(tmp_path):
    old = issue_code(tmp_path, "DP1", Q1, NOW)
    new = issue_code(tmp_path, "DP1", Q1, NOW)
    assert old != new
    assert check_sign_in(tmp_path, "DP1", old, "c", NOW).outcome == "wrong"
    assert check_sign_in(tmp_path, "DP1", new, "c", NOW).outcome == "ok"


def test_issue_codes_skips_returns_with_a_live_code_and_accepts_the_warehouse_path(tmp_path):
    wh = tmp_path / "warehouse.duckdb"
    first = issue_codes(wh, [("DP1", Q1), ("DP2", Q1)], NOW)
    assert set(first) == {("DP1", Q1), ("DP2", Q1)} and (tmp_path / "portal" / "portal.sqlite3").exists()
    again = issue_codes(wh, [("DP1", Q1), ("DP3", Q1)], datetime(2026, 4, 2, 9, 0))  # naive: local time
    assert set(again) == {("DP3", Q1)}
    assert check_sign_in(tmp_path / "portal", "DP1", first[("DP1", Q1)], "c", NOW).outcome == "ok"
    later = issue_codes(wh, [("DP1", Q1)], NOW + timedelta(days=codes.VALID_DAYS + 1))
    assert set(later) == {("DP1", Q1)}  # the old one has expired: a new letter gets a new code


def test_five_wrong_codes_stop_that_address_trying_that_reference_for_15_minutes(tmp_path):
    code = issue_code(tmp_path, "DP1", Q1, NOW)
    for _ in range(codes.PAIR_FAILURES):
        assert check_sign_in(tmp_path, "DP1", "WRONG", "stranger", NOW).outcome == "wrong"
    assert check_sign_in(tmp_path, "DP1", code, "stranger", NOW + timedelta(minutes=1)).outcome == "locked"
    assert check_sign_in(tmp_path, "dp1", code, "stranger", NOW + timedelta(minutes=14)).outcome == "locked"
    assert check_sign_in(tmp_path, "DP1", code, "stranger", NOW + timedelta(minutes=16)).outcome == "ok"


def test_wrong_codes_from_anywhere_else_never_lock_the_family_out(tmp_path):
    """Finding 2: five wrong codes from anywhere used to lock the reference, the right code then got 429."""
    code = issue_code(tmp_path, "DP1", Q1, NOW)
    for i in range(3 * codes.PAIR_FAILURES):
        assert check_sign_in(tmp_path, "DP1", "WRONG", f"elsewhere{i % 3}", NOW).outcome in ("wrong", "locked")
    assert check_sign_in(tmp_path, "DP1", code, "family-home", NOW).outcome == "ok"
    assert check_sign_in(tmp_path, "DP1", "WRONG", "elsewhere0", NOW).outcome == "locked"  # they are still stopped


def test_a_good_sign_in_resets_the_count(tmp_path):
    code = issue_code(tmp_path, "DP1", Q1, NOW)
    for _ in range(codes.PAIR_FAILURES - 1):
        check_sign_in(tmp_path, "DP1", "WRONG", "c", NOW)
    assert check_sign_in(tmp_path, "DP1", code, "c", NOW).outcome == "ok"
    for _ in range(codes.PAIR_FAILURES - 1):
        check_sign_in(tmp_path, "DP1", "WRONG", "c", NOW)
    assert check_sign_in(tmp_path, "DP1", code, "c", NOW).outcome == "ok"  # the typos before were forgiven
    for _ in range(codes.PAIR_FAILURES - 1):
        check_sign_in(tmp_path, "DP1", "WRONG", "c", NOW)
    assert check_sign_in(tmp_path, "DP1", code, "c", NOW).outcome == "ok"
    for _ in range(codes.PAIR_FAILURES - 1):
        check_sign_in(tmp_path, "DP1", "WRONG", "c", NOW)
    assert check_sign_in(tmp_path, "DP1", code, "c", NOW).outcome == "ok"  # the typos before were forgiven


def test_one_client_guessing_across_many_references_is_locked_out(tmp_path, monkeypatch):
    monkeypatch.setattr(codes, "COST", 2**10)  # many guesses: keep the test quick
    code = issue_code(tmp_path, "DP1", Q1, NOW)
    for i in range(codes.CLIENT_FAILURES):
        assert check_sign_in(tmp_path, f"DP-GUESS-{i}", "WRONG", "attacker", NOW).outcome == "wrong"
    assert check_sign_in(tmp_path, "DP1", code, "attacker", NOW).outcome == "locked"
    assert check_sign_in(tmp_path, "DP1", code, "someone-else", NOW).outcome == "ok"
    assert check_sign_in(tmp_path, "DP1", code, "attacker", NOW + timedelta(hours=1, minutes=1)).outcome == "ok"


def test_failures_outside_the_window_do_not_add_up(tmp_path):
    code = issue_code(tmp_path, "DP1", Q1, NOW)
    for i in range(codes.PAIR_FAILURES - 1):
        check_sign_in(tmp_path, "DP1", "WRONG", "c", NOW + timedelta(minutes=i))
    later = NOW + timedelta(minutes=30)
    check_sign_in(tmp_path, "DP1", "WRONG", "c", later)
    assert check_sign_in(tmp_path, "DP1", code, "c", later).outcome == "ok"


class Counting:
    """``stores.codes.digest`` that counts its calls (one call is one scrypt)."""

    def __init__(self, monkeypatch) -> None:
        import threading

        self.calls, self.lock, real = 0, threading.Lock(), codes.digest

        def counted(*args):
            with self.lock:
                self.calls += 1
            return real(*args)

        monkeypatch.setattr(codes, "digest", counted)


def test_48_parallel_guesses_from_one_address_get_at_most_the_limit_checked(tmp_path, monkeypatch):
    """Finding 3: the lock was checked before hashing and written after: 48 at once, 40 evaluated."""
    from concurrent.futures import ThreadPoolExecutor

    issue_code(tmp_path, "DP1", Q1, NOW)
    counting = Counting(monkeypatch)
    with ThreadPoolExecutor(48) as pool:
        outcomes = list(pool.map(lambda i: check_sign_in(tmp_path, "DP1", f"WRONG{i}", "attacker", NOW).outcome,
                                 range(48)))
    assert counting.calls <= codes.PAIR_FAILURES
    assert outcomes.count("wrong") == counting.calls == codes.PAIR_FAILURES
    assert outcomes.count("locked") == 48 - codes.PAIR_FAILURES


def test_one_scrypt_per_attempt_whatever_the_reference(tmp_path, monkeypatch):
    """Finding 6: one scrypt per stored code let the time tell which references exist (and how many returns)."""
    for quarter in (date(2025, 4, 1), date(2025, 7, 1), date(2025, 10, 1), Q1):
        issue_code(tmp_path, "MANY", quarter, NOW)
    issue_code(tmp_path, "ONE", Q1, NOW)
    counting = Counting(monkeypatch)
    for i, ref in enumerate(("MANY", "ONE", "NOSUCH")):
        before = counting.calls
        assert check_sign_in(tmp_path, ref, "WRONG", f"c{i}", NOW).outcome == "wrong"
        assert counting.calls - before == 1, ref


def test_every_quarters_code_of_one_reference_still_opens_its_own_return(tmp_path):
    quarters = (date(2025, 10, 1), Q1)
    made = {q: issue_code(tmp_path, "DP1", q, NOW) for q in quarters}
    for q in quarters:
        assert check_sign_in(tmp_path, "DP1", made[q], "c", NOW).period_start == q


def test_expired_codes_and_old_attempts_are_purged(tmp_path):
    issue_code(tmp_path, "OLD", Q1, NOW, valid_days=10)
    check_sign_in(tmp_path, "X", "WRONG", "c", NOW)
    con = sqlite3.connect(tmp_path / "portal.sqlite3")
    assert con.execute("SELECT count(*) FROM guesses").fetchone()[0] == 2
    later = NOW + timedelta(days=10) + codes.EXPIRED_KEPT + timedelta(seconds=1)
    check_sign_in(tmp_path, "Y", "WRONG", "d", later)
    assert con.execute("SELECT count(*) FROM codes").fetchone()[0] == 0
    assert con.execute("SELECT count(*) FROM guesses WHERE key LIKE '%|c' OR key = 'client:c'").fetchone()[0] == 0


def test_officers_see_the_references_being_guessed_at_and_can_lift_the_limit(tmp_path):
    code = issue_code(tmp_path, "DP_1", Q1, NOW)
    for _ in range(codes.PAIR_FAILURES):
        check_sign_in(tmp_path, "DP_1", "WRONG", "stranger", NOW)
    check_sign_in(tmp_path, "DPX1", "WRONG", "stranger", NOW)  # a look-alike reference, one wrong code
    assert codes.locked_references(tmp_path, NOW) == [("DP_1", NOW + codes.PAIR_WINDOW)]
    codes.lift_locks(tmp_path, "dp_1")
    assert codes.locked_references(tmp_path, NOW) == []
    assert check_sign_in(tmp_path, "DP_1", code, "stranger", NOW).outcome == "ok"
