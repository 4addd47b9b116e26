"""The evidence intake: a family's return changes audit.evidence_returns without a nightly run."""

from __future__ import annotations

import shutil
from datetime import timedelta

import pytest

from flows.intake import run_intake
from flows.validation import validate_batch
from pipelines.rules.registry import declared
from tests.flows.helpers import dump_views, query


@pytest.fixture
def council(sim_council, tmp_path):
    inbox = tmp_path / "inbox"
    shutil.copytree(sim_council["inbox"], inbox)
    wh = tmp_path / "warehouse.duckdb"
    shutil.copyfile(sim_council["warehouse"], wh)
    return {"inbox": inbox, "warehouse": wh, "as_of": sim_council["as_of"]}


def overdue_return_with_items(wh):
    """An overdue return that is missing, with payments to evidence, and one of those payments' refs."""
    return query(wh, """
        SELECT r.budget_id, r.period_start, r.items_outstanding, min(t.evidence_ref), min(t.transaction_id)
        FROM audit.evidence_returns r
        JOIN core.transactions t ON t.budget_id = r.budget_id AND t.needs_evidence
             AND t.date BETWEEN r.period_start AND r.period_end
        WHERE r.received_at IS NULL AND r.items_outstanding >= 2
          AND EXISTS (SELECT 1 FROM audit.exceptions x WHERE x.rule_code = 'EVIDENCE_OVERDUE'
                      AND x.budget_id = r.budget_id AND x.period_start = r.period_start AND x.status = 'open')
        GROUP BY ALL ORDER BY 1, 2 LIMIT 1""")[0]


def submit(inbox, name, rows, files=()):
    folder = inbox / "evidence" / name
    folder.mkdir(parents=True)
    for f in files:
        (folder / f).write_bytes(b"%PDF-1.4\n% receipt\n")
    (folder / "manifest.csv").write_text(
        "budget_id,period,transaction_ref,evidence_type,file,amount,note\n" + "".join(r + "\n" for r in rows))
    return folder


def test_a_return_arriving_marks_it_received_and_settles_only_its_overdue_flag(council):
    wh, inbox, as_of = council["warehouse"], council["inbox"], council["as_of"]
    budget, period, outstanding, ref, _txn = overdue_return_with_items(wh)
    intake_codes = ", ".join(f"'{r.code}'" for r in declared() if r.on_intake)  # the rules that look at evidence
    others = ("SELECT exception_id, status, last_seen FROM audit.exceptions "
              f"WHERE rule_code NOT IN ({intake_codes}) ORDER BY 1")
    before = query(wh, others)
    submit(inbox, f"{budget}_{period}", [f"{budget},{period},{ref},receipt,till.pdf,12.50,shopping"], ["till.pdf"])

    later = as_of + timedelta(days=1)
    result = run_intake(inbox, wh, later, validate=validate_batch)

    assert result["new_files"] == 1 and result["ingest"]["accepted"] == 1
    received, evidenced, left = query(wh, f"""
        SELECT received_at, items_evidenced, items_outstanding FROM audit.evidence_returns
        WHERE budget_id = '{budget}' AND period_start = DATE '{period}'""")[0]
    assert received is not None and evidenced >= 1 and left == outstanding - 1
    status = query(wh, f"""SELECT status FROM audit.exceptions WHERE rule_code = 'EVIDENCE_OVERDUE'
                         AND budget_id = '{budget}' AND period_start = DATE '{period}'""")
    assert status == [("resolved",)]
    # every exception that does not look at evidence is exactly as the night left it
    assert query(wh, others) == before
    # the evidence row leads back to its file and line
    assert query(wh, f"SELECT source_path, source_line FROM land.evidence_items WHERE transaction_ref = '{ref}'") == [
        (f"evidence/{budget}_{period}/manifest.csv", 2)]


def test_nothing_new_means_nothing_written(council):
    wh = council["warehouse"]
    before = wh.read_bytes()
    assert run_intake(council["inbox"], wh, council["as_of"], validate=validate_batch) == {"new_files": 0}
    assert wh.read_bytes() == before


def test_a_bad_manifest_is_quarantined_with_a_reason_and_the_rest_is_kept(council):
    wh, inbox = council["warehouse"], council["inbox"]
    budget, period, _n, ref, _txn = overdue_return_with_items(wh)
    submit(inbox, "family-a", [f"{budget},{period},{ref},receipt,../../etc/passwd,1.00,"])
    submit(inbox, "family-b", [f"{budget},{period},{ref},explanation,,,we bought a bus pass"])
    result = run_intake(inbox, wh, council["as_of"], validate=validate_batch)
    assert result["new_files"] == 2
    reasons = query(wh, "SELECT path, reason FROM audit.quarantine WHERE path LIKE 'evidence/family-%'")
    assert len(reasons) == 1 and reasons[0][0] == "evidence/family-a/manifest.csv" and "file name" in reasons[0][1]
    assert query(wh, "SELECT count(*) FROM land.evidence_items WHERE source_path = 'evidence/family-b/manifest.csv'") == [(1,)]


def test_intake_then_nightly_agree(council):
    """The night recomputes everything; it must reach the same returns the intake published."""
    from tests.flows.helpers import run

    wh, inbox, as_of = council["warehouse"], council["inbox"], council["as_of"]
    budget, period, _n, ref, _txn = overdue_return_with_items(wh)
    submit(inbox, "late", [f"{budget},{period},{ref},explanation,,,paid our PA in cash by mistake"])
    run_intake(inbox, wh, as_of, validate=validate_batch)
    after_intake = dump_views(wh)
    run(inbox, wh, as_of)
    after_night = dump_views(wh)
    assert after_night["evidence_returns"] == after_intake["evidence_returns"]
    assert after_night["exceptions"] == after_intake["exceptions"]


def test_receipts_for_cash_settle_the_cash_flag_at_intake_as_the_night_would(council):
    from tests.flows.helpers import run

    wh, inbox, as_of = council["warehouse"], council["inbox"], council["as_of"]
    found = query(wh, "SELECT budget_id, period_start, evidence FROM audit.exceptions "
                      "WHERE rule_code = 'CASH_WITHDRAWAL' AND status = 'open' ORDER BY 1, 2 LIMIT 1")
    assert found, "the simulated council should have cash taken out without receipts"
    budget, period, evidence = found[0]
    submit(inbox, "cash-receipts", [f"{budget},{period},{txn},explanation,,,paid the window cleaner in cash"
                                    for txn in evidence.split()])
    run_intake(inbox, wh, as_of, validate=validate_batch)
    status = f"""SELECT status FROM audit.exceptions WHERE rule_code = 'CASH_WITHDRAWAL'
                 AND budget_id = '{budget}' AND period_start = DATE '{period}'"""
    assert query(wh, status) == [("resolved",)]
    after_intake = dump_views(wh)["exceptions"]
    run(inbox, wh, as_of)
    assert dump_views(wh)["exceptions"] == after_intake


def test_the_intake_scans_once_and_hashes_only_what_the_nights_cache_does_not_know(council, monkeypatch):
    import flows.inbox as inbox_mod
    from flows import ingest as ingest_mod
    from flows import intake as intake_mod
    from flows.inbox import HashCache, hash_cache_path, scan

    wh, inbox = council["warehouse"], council["inbox"]
    night = HashCache(hash_cache_path(wh))  # what the night leaves beside the warehouse
    night.save({f.relpath for f in scan(inbox, hashes=night)})
    budget, period, _n, ref, _txn = overdue_return_with_items(wh)
    folder = submit(inbox, "family-c", [f"{budget},{period},{ref},explanation,,,paid in cash"])

    scans, hashed = [], []
    real_scan, real_sha = inbox_mod.scan, inbox_mod.sha256_of
    for module in (intake_mod, ingest_mod):
        monkeypatch.setattr(module, "scan", lambda *a, **k: scans.append(a) or real_scan(*a, **k))
    monkeypatch.setattr(inbox_mod, "sha256_of", lambda p: hashed.append(p) or real_sha(p))
    result = run_intake(inbox, wh, council["as_of"], validate=validate_batch)
    assert result["new_files"] == 1 and result["ingest"]["accepted"] == 1
    assert len(scans) == 1 and hashed == [folder / "manifest.csv"]

    kept = HashCache(hash_cache_path(wh)).entries
    assert "evidence/family-c/manifest.csv" in kept and "register/budgets.csv" in kept  # the night's entries too
    assert set(night.entries) <= set(kept)
    scans.clear()
    hashed.clear()
    assert run_intake(inbox, wh, council["as_of"], validate=validate_batch) == {"new_files": 0}
    assert len(scans) == 1 and hashed == []
