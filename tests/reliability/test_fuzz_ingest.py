"""Mutated files through the whole of ingest: reader, Great Expectations
validation, typing, loading. Every file gets an ingest_log line; one set aside
has a reason; every row the reader gave is loaded or quarantined with a
reason, so rows_loaded + rows_quarantined is what the reader counted (plus,
for an OFX statement, a closing balance that fails validation: ingest counts
it as set aside though it is not a line of the file).

Each example is an inbox of one to three mutated files of each kind; the
number of inboxes follows ``DPRECON_FUZZ_EXAMPLES`` (one per 50 files, at
least 6). No shrinking: with validation in the loop it takes many minutes,
and the failing inbox is printed as it is.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import duckdb
from hypothesis import Phase, given, settings
from hypothesis import strategies as st

from flows.ingest import ingest
from flows.validation import validate_batch
from pipelines.readers.dispatch import classify, read_file
from schemas.warehouse import ddl
from tests.reliability.mutate import EXAMPLES, fuzz_settings, mutated
from tests.reliability.test_fuzz_readers import (
    INVOICE_CSV_SEEDS,
    MANIFEST_SEEDS,
    OFX_SEEDS,
    STATEMENT_SEEDS,
    UBL_SEEDS,
)

KINDS = {
    "statements/s{}.ofx": OFX_SEEDS,
    "statements/s{}.csv": STATEMENT_SEEDS,
    "invoices/i{}.xml": UBL_SEEDS,
    "invoices/i{}.csv": INVOICE_CSV_SEEDS,
    "evidence/B001_2025-04-01_{}/manifest.csv": MANIFEST_SEEDS,
}
SUMMARY_TABLES = {"statement_balances"}  # derived, not lines of the file


inboxes = st.fixed_dictionaries(
    {pattern: st.lists(mutated(seeds), min_size=1, max_size=3) for pattern, seeds in KINDS.items()}
)


def reader_count(relpath: str, data: bytes) -> tuple[int, int]:
    """Rows the reader gave plus rows it set aside (1 for a file set aside
    whole), and the summary rows it derived."""
    parsed = read_file(classify(relpath), relpath, data)
    if parsed.file_error:
        return 1, 0
    rows = sum(f.height for name, f in parsed.tables.items() if name not in SUMMARY_TABLES)
    summaries = sum(f.height for name, f in parsed.tables.items() if name in SUMMARY_TABLES)
    return rows + len(parsed.quarantined), summaries


@settings(fuzz_settings, max_examples=max(6, EXAMPLES // 50),
          phases=[Phase.explicit, Phase.reuse, Phase.generate])
@given(inboxes)
def test_fuzz_ingest_accounts_for_every_file_and_row(files: dict[str, list[bytes]]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        inbox = Path(tmp)
        written: dict[str, bytes] = {}
        for pattern, contents in files.items():
            for i, data in enumerate(contents):
                path = inbox / pattern.format(i)
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(data)
                written[pattern.format(i)] = data
        con = duckdb.connect()
        for stmt in ddl():
            con.execute(stmt)
        summary = ingest(con, inbox, "fuzz", validate_batch, workers=1)
        log = {r[0]: r[1:] for r in con.execute(
            "SELECT path, status, reason, rows_loaded, rows_quarantined FROM land.ingest_log").fetchall()}
        quarantine = con.execute("SELECT path, line, reason FROM land.quarantine").fetchall()
    assert summary.files_seen == len(written) and sorted(log) == sorted(written)
    for path, (status, reason, loaded, set_aside) in log.items():
        assert status in ("accepted", "quarantined", "duplicate"), (path, status)
        if status == "duplicate":
            assert reason and written[path] in [d for p, d in written.items() if p != path]
            continue
        if status == "quarantined":
            assert reason and reason.strip() and "unexpected" not in reason, (path, reason)
        lines, summaries = reader_count(path, written[path])
        assert lines <= loaded + set_aside <= lines + summaries, (path, status, reason)
        assert sum(1 for q in quarantine if q[0] == path) == set_aside, path
    assert all(reason and reason.strip() for _, _, reason in quarantine)


def test_an_invoice_file_whose_every_row_is_set_aside_does_not_stop_ingest(tmp_path):
    (tmp_path / "invoices").mkdir()
    (tmp_path / "invoices/bad.csv").write_text(
        "invoice_id,provider_id,budget_id,issue_date,due_date,period_start,period_end,category,units,"
        "unit_rate,amount,kind\nINV-9,SB01,B002,2025-13-45,2025-05-14,,,short_break,4,110.00,440.00,invoice\n")
    con = duckdb.connect()
    for stmt in ddl():
        con.execute(stmt)
    summary = ingest(con, tmp_path, "one-bad-invoice", validate_batch, workers=1)
    assert summary.quarantined == 1
