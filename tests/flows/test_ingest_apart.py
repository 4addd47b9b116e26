"""A big load is parsed over worker processes and validated in a process of its own
(issue 20: Great Expectations and pandas stay out of the run's process). The
auditors' views are the same as when everything runs in one process, and every
row handed back by a worker still names the file it came from.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from flows import fanout
from flows import ingest as ingest_mod
from flows.inbox import parse_one, scan
from flows.job import run_job
from flows.simulate import write_simulation
from flows.validation import validate_batch
from pipelines.ingest import file_id_for
from pipelines.simulate import SimParams
from schemas import inputs
from tests.flows.test_ofx_path_audit_views import audit_views


@pytest.fixture(scope="module")
def inbox(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, date]:
    out = tmp_path_factory.mktemp("apart") / "inbox"
    summary = write_simulation(out, SimParams(accounts=30, months=6, seed=5))
    return out, date.fromisoformat(str(summary["as_of"]))


def test_each_row_handed_back_names_its_file(inbox: tuple[Path, date]) -> None:
    root, _ = inbox
    files = [f for f in scan(root) if f.kind and f.problem is None][:300]
    assert {f.kind for f in files} >= {"evidence_manifest", "invoice_ubl", "statement_ofx"}
    _outcomes, tables = fanout.parse_chunk(str(root), files)
    for f in files:
        _, parsed = parse_one(str(root), f)
        for name, frame in parsed.tables.items():
            got = tables[name].filter(pl.col("source_path") == f.relpath)
            assert got["file_id"].unique().to_list() in ([file_id_for(f.relpath, f.sha256)], [])
            if name == "evidence_items":
                assert set(got["return_dir"]) <= {Path(f.relpath).parent.as_posix()}
            assert_frame_equal(got.select(frame.columns), frame)


def test_audit_views_are_the_same_validated_apart_and_in_process(
    inbox: tuple[Path, date], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root, as_of = inbox
    apart: list[bool] = []
    started: list[str] = []
    real_checker, real_start = fanout.ValidationProcess.checker, fanout.ValidationProcess.start

    def checker(self, big):  # type: ignore[no-untyped-def]
        apart.append(big)
        return real_checker(self, big)

    def start(self):  # type: ignore[no-untyped-def]
        if self.pool is None:
            started.append("during the scan" if scanning else "after it")
        return real_start(self)

    real_scan, scanning = ingest_mod.scan, False

    def scan(*args):  # type: ignore[no-untyped-def]
        nonlocal scanning
        scanning = True
        try:
            return real_scan(*args)
        finally:
            scanning = False

    monkeypatch.setattr(fanout.ValidationProcess, "checker", checker)
    monkeypatch.setattr(fanout.ValidationProcess, "start", start)
    monkeypatch.setattr(ingest_mod, "scan", scan)
    views = {}
    for workers in (1, 2):
        work = tmp_path / str(workers)
        run_job(root, work / "w.duckdb", work / "reports", as_of, validate=validate_batch, workers=workers)
        views[workers] = audit_views(work / "w.duckdb")
    assert apart == [False, True]
    # one worker validates here; with two, the process starts as soon as the scan has listed enough files
    assert started == ["during the scan"]
    work = tmp_path / "2"
    run_job(root, work / "w.duckdb", work / "reports", as_of, validate=validate_batch, workers=2)
    assert started == ["during the scan"]  # nothing new the second time: no process started
    assert len(views[1]["transactions"]) > 1000 and views[1]["quarantine"]
    for view in views[1]:
        assert views[1][view] == views[2][view], view


def test_a_validate_that_cannot_be_sent_runs_in_process() -> None:
    seen = []
    with fanout.ValidationProcess(lambda table, frame: seen.append(frame.height) or {}) as process:
        assert process.checker(True).send(None, pl.DataFrame({"a": [1, 2]}))() == {}
        assert process.pool is None  # not started: the closure cannot be sent
    assert seen == [2]


def test_the_validation_process_warms_up_on_one_empty_row_and_ignores_its_answer() -> None:
    seen = []

    def validate(table, frame):  # type: ignore[no-untyped-def]
        seen.append((table.name, frame.height, frame["file_id"].to_list()))
        raise ValueError("a warm-up's failure is left for the real batches")

    fanout._warm_up(validate)
    assert len(seen) == 1 and seen[0][1:] == (1, ["warm-up"])
    assert fanout._warm_up(validate_batch) is None  # Great Expectations set up, nothing kept


def test_big_files_are_parsed_in_chunks_of_their_own_and_the_order_is_kept(inbox: tuple[Path, date]) -> None:
    root, _ = inbox
    files = [f for f in scan(root) if f.kind and f.problem is None]
    assert all(f.size == (root / f.relpath).stat().st_size for f in files)
    big = max(files, key=lambda f: f.size)
    chunks = fanout.share_out(files, 50, most_bytes=big.size - 1)
    assert [f for c in chunks for f in c] == files  # every file once, in order
    assert [big] in chunks  # heavier than a chunk may be: alone
    for c in chunks:
        assert len(c) <= 50
        assert len(c) == 1 or sum(f.size for f in c) <= big.size - 1
    assert fanout.share_out([], 50) == []


def _lines(file_id: str, rows: list[tuple[str, str, str]], mcc: bool) -> pl.DataFrame:
    frame = pl.DataFrame({"account_id": ["A1"] * len(rows), "transaction_id": [r[0] for r in rows],
                          "date": [r[1] for r in rows], "amount": [r[2] for r in rows],
                          "id_source": ["bank"] * len(rows), "source_line": [str(i + 2) for i in range(len(rows))]})
    if mcc:  # one file carries a column the others do not
        frame = frame.with_columns(pl.lit("5411").alias("mcc"))
    return frame.with_columns(pl.lit(file_id).alias("file_id"), pl.lit(f"{file_id}.csv").alias("source_path"))


def test_rows_validated_as_they_arrive_fail_as_the_whole_batch_does() -> None:
    files = [
        _lines("F1", [("T1", "2025-04-01", "1.00"), ("T2", "2025-04-02", "2.00")], mcc=False),
        _lines("F2", [("T1", "2025-04-01", "1.00"), ("T1", "2025-04-03", "3.00")], mcc=True),  # a key twice
        _lines("F3", [("T3", "not a date", "4.00"), ("T4", "2025-04-04", "£5x")], mcc=False),
        _lines("F4", [("T5", "2025-04-05", "5.00")], mcc=True),
        _lines("F5", [("T6", "2025-04-06", "-")], mcc=False),
    ]
    registers = [pl.DataFrame({"budget_id": [b], "source_line": ["2"], "file_id": [f"R{k}"],
                               "source_path": [f"R{k}.csv"]}) for k, b in enumerate(["B1", "B2", "B1"])]
    table, budgets = inputs.ALL_INPUTS["statement_lines"], inputs.ALL_INPUTS["budgets"]
    whole = validate_batch(table, fanout.text_form(table, pl.concat(files, how="diagonal_relaxed")))
    whole_budgets = validate_batch(budgets, fanout.text_form(budgets, pl.concat(registers, how="diagonal_relaxed")))
    assert sorted(whole) == [2, 3, 4, 5, 7]
    twice = sorted(row for row, reasons in whole_budgets.items() if any("more than once" in r for r in reasons))
    assert twice == [0, 2]
    for apart in (False, True):
        with fanout.ValidationProcess(validate_batch) as process:
            arriving = fanout.ValidatedOnArrival(process.checker(apart), rows=3)  # F1+F2 sent, then F3+F4, then F5
            for frame in files:
                arriving.arrived("statement_lines", frame)
            for frame in registers:  # a budget id unique across the register: never sent in parts
                arriving.arrived("budgets", frame)
            assert [offset for offset, _ in arriving.answers["statement_lines"]] == [0, 4]
            assert "budgets" not in arriving.answers
            arriving.parsed()
            assert arriving.failures("statement_lines") == whole
            assert arriving.failures("budgets") == whole_budgets
            assert arriving.failures("providers") == {}


def test_a_parse_worker_collects_garbage_seldom() -> None:
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-c", "import gc; from flows.fanout import collect_seldom; collect_seldom(); "
                          "print(gc.get_threshold()[0], gc.get_freeze_count() > 1000)"],
                         capture_output=True, text=True, check=True).stdout.split()
    assert out == [str(fanout.PARSE_GC_THRESHOLD), "True"]


def test_tables_are_taken_as_their_answers_come_in_alphabetical_among_the_ready() -> None:
    import threading
    from concurrent.futures import Future

    slow, quick = Future(), Future()
    arriving = fanout.ValidatedOnArrival(fanout.Checker(lambda table, frame: {}))
    arriving.answers["budgets"] = [(0, fanout.Answer(slow))]
    arriving.answers["evidence_items"] = [(0, fanout.Answer(answer={})), (5, fanout.Answer(quick))]
    arriving.answers["invoice_lines"] = [(0, fanout.Answer(answer={2: ["a reason"]}))]
    order = arriving.as_answered(["invoice_lines", "evidence_items", "budgets", "providers"])
    assert next(order) == "invoice_lines"  # budgets and evidence_items still being validated
    assert next(order) == "providers"  # nothing sent: nothing to wait for
    threading.Timer(0.2, quick.set_result, [{1: ["late"]}]).start()
    assert next(order) == "evidence_items"  # the first to be ready
    slow.set_result({})
    assert list(order) == ["budgets"]
    assert arriving.failures("evidence_items") == {6: ["late"]}
