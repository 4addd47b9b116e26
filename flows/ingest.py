"""Ingest: new inbox files → validated, typed rows in ``land``; the rest logged.

Thin I/O around pipelines/: hash and list the inbox, parse new files (fanned
out over processes when there are many), validate each table's rows once as
a whole batch, type them, and append to the working copy of the warehouse.
Every file seen gets one line in ``land.ingest_log``; every row set aside
gets one line in ``land.quarantine``.
"""

from __future__ import annotations

import tempfile
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import duckdb
import polars as pl

from flows.fanout import (
    PARALLEL_THRESHOLD,
    ValidatedOnArrival,
    ValidationProcess,
    give_back_memory,
    parse_files,
    text_form,
)
from flows.inbox import HashCache, InboxFile, council_profiles, scan
from flows.policy import load_policy
from flows.timing import Stopwatch
from flows.warehouse import append, read
from pipelines.corrections import correction_notes, new_transactions, statement_dates
from pipelines.ingest import (
    QUARANTINE_SCHEMA,
    cast_batch,
    content_hash,
    file_id_for,
    file_status,
    plan_files,
    split_failures,
)
from pipelines.ledger import DOCUMENT, invoice_notes, version_invoices
from pipelines.model import Parsed
from pipelines.readers.dispatch import unreadable_reason
from pipelines.register import (
    REGISTERS,
    held_keys,
    merge_failures,
    register_failures,
    unreadable_rows,
)
from schemas import inputs
from schemas.warehouse import LAND

FOLD_EVERY = 64  # chunk frames per table before they are folded into one
SUMMARY_TABLES = {"statement_balances"}


@dataclass
class IngestSummary:
    files_seen: int = 0
    accepted: int = 0
    duplicate: int = 0
    quarantined: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    rows_new: int = 0
    new_files: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if k != "new_files"}


def ingest(
    con: duckdb.DuckDBPyConnection,
    inbox: Path,
    run_id: str,
    validate,
    workers: int = 2,
    now: datetime | None = None,
    under: str | None = None,
    clock: Stopwatch | None = None,
    hash_cache: Path | None = None,
    files: list[InboxFile] | None = None,
) -> IngestSummary:
    """``validate(table, text_frame) -> {row: [reasons]}`` is injected (GX in production).
    ``under`` limits the run to one inbox folder (the evidence intake reads ``evidence``).
    ``files``: the inbox (or ``under``) as the caller has just scanned it, not scanned again."""
    with ValidationProcess(validate) as validation:
        return _ingest(con, inbox, run_id, validation, workers, now or datetime.now(), under,
                       clock or Stopwatch(), hash_cache, files)


def _ingest(con: duckdb.DuckDBPyConnection, inbox: Path, run_id: str, validation: ValidationProcess,
            workers: int, now: datetime, under: str | None, clock: Stopwatch, hash_cache: Path | None,
            files: list[InboxFile] | None) -> IngestSummary:
    summary = IngestSummary()
    known = read(con, "SELECT path, sha256, status FROM land.ingest_log")
    with clock.lap("scan"):
        if files is None:
            hashes = HashCache(hash_cache)
            # more files listed than were ever read: a big load, whose validation process starts now
            looks_big = (known["path"].n_unique() + PARALLEL_THRESHOLD, validation.start) if workers > 1 else None
            files = scan(inbox, under, hashes, looks_big)
            if under is None:
                hashes.save({f.relpath for f in files})
    summary.files_seen = len(files)
    new, dups = plan_files([(f.relpath, f.sha256) for f in files], known)
    by_path = {f.relpath: f for f in files}
    seq0 = read(con, "SELECT coalesce(max(seq), 0) AS s FROM land.ingest_log")["s"][0]
    log_rows: list[dict] = []
    quarantine_frames: list[pl.DataFrame] = []

    def log(path: str, sha: str, kind: str, status: str, reason: str | None, fmt: str | None = None,
            loaded: int = 0, quarantined: int = 0, rows_new: int = 0, notes: str | None = None) -> None:
        log_rows.append(dict(
            file_id=file_id_for(path, sha), path=path, sha256=sha, format=fmt, kind=kind,
            status=status, reason=reason, rows_loaded=loaded, rows_quarantined=quarantined,
            rows_new=rows_new, notes=notes, run_id=run_id, seen_at=now,
            seq=seq0 + len(log_rows) + 1,
        ))

    for path, sha, original in dups:
        log(path, sha, by_path[path].kind or "unknown", "duplicate",
            f"the same content as {original}, which is already loaded; nothing new")

    to_parse: list[InboxFile] = []
    for path, sha in new:
        f = by_path[path]
        if f.problem is not None:  # not a regular file, a link out of the inbox, or empty: never opened
            log(path, sha, f.kind or "unknown", "quarantined", f.problem, quarantined=1)
            quarantine_frames.append(pl.DataFrame(
                [dict(file_id=file_id_for(path, sha), path=path, line=None, reason=f.problem, raw=None)],
                schema=QUARANTINE_SCHEMA))
        elif f.kind in (None, "policy", "council"):  # council.yaml: one that cannot be used stopped the run
            if f.kind == "policy":
                load_policy(inbox)  # a policy that cannot be used stops the run (ConfigError), never logged as fine
            problem = unreadable_reason(path) if f.kind is None else None  # a council.yaml: read by run_job
            log(path, sha, f.kind or "unknown", "quarantined" if problem else "accepted", problem,
                "yaml" if f.kind else None, quarantined=1 if problem else 0)
            if problem:
                quarantine_frames.append(pl.DataFrame(
                    [dict(file_id=file_id_for(path, sha), path=path, line=None, reason=problem, raw=None)],
                    schema=QUARANTINE_SCHEMA))
        else:
            to_parse.append(f)
    summary.new_files = [f.relpath for f in to_parse]

    held: list[pl.DataFrame] = []  # register rows set aside, by id: their last good version stands in
    # Gather text rows per table across files, with lineage, as the chunks arrive.
    batches: dict[str, list[pl.DataFrame]] = defaultdict(list)
    reader_q: Counter[str] = Counter()
    parsed: dict[str, Parsed] = {}
    profiles = None  # the bank layouts, the council's included: read once, handed to every parse
    if any(f.kind == "statement_csv" for f in to_parse):
        with tempfile.TemporaryDirectory(prefix="dprecon-profiles-") as work:
            profiles = council_profiles(inbox, Path(work))
    loaded: Counter[str] = Counter()
    changed: defaultdict[str, list[str]] = defaultdict(list)  # per file: the corrections it brought
    valid_q: Counter[str] = Counter()
    new_rows: Counter[str] = Counter()
    big = len(to_parse) >= PARALLEL_THRESHOLD and workers > 1
    arriving = ValidatedOnArrival(validation.checker(big))  # set up while the files are scanned or parsed
    with clock.lap("parse"):
        for outcomes, tables in parse_files(inbox, to_parse, workers, profiles):
            for relpath, p in outcomes:
                f = by_path[relpath]
                fid = file_id_for(f.relpath, f.sha256)
                parsed[relpath] = p
                if p.file_error:
                    quarantine_frames.append(pl.DataFrame(
                        [dict(file_id=fid, path=f.relpath, line=None, reason=p.file_error, raw=None)],
                        schema=QUARANTINE_SCHEMA))
                elif p.quarantined:
                    quarantine_frames.append(pl.DataFrame(
                        [dict(file_id=fid, path=f.relpath, line=q.line, reason=q.reason, raw=q.raw[:2000])
                         for q in p.quarantined], schema=QUARANTINE_SCHEMA))
                    reader_q[fid] += len(p.quarantined)
                    if f.kind in REGISTERS:
                        held.append(unreadable_rows(f.kind, fid, [(q.line, q.reason) for q in p.quarantined]))
            for name, frame in tables.items():
                arriving.arrived(name, frame)  # validated while the parse goes on
                batches[name].append(frame)
                if len(batches[name]) >= FOLD_EVERY:
                    batches[name] = [pl.concat(batches[name], how="diagonal_relaxed")]
        arriving.parsed()
    set_aside: dict[str, list[pl.DataFrame]] = {}  # per table: its quarantined rows, then its held keys
    for name in arriving.as_answered(list(batches)):  # popped one table at a time, as its answers come in
        table = inputs.ALL_INPUTS[name]
        batch = text_form(table, pl.concat(batches.pop(name), how="diagonal_relaxed"))
        with clock.lap("validate"):
            failures = merge_failures(table, arriving.failures(name), register_failures(table, batch))
        good, bad = split_failures(table, batch, failures)
        typed, bad_cast = cast_batch(table, good)
        set_aside[name] = [q for q in (bad, bad_cast) if q.height]
        for q in set_aside[name]:
            valid_q.update(q["file_id"].to_list())
        set_aside[name].append(held_keys(table, batch, pl.concat([bad, bad_cast])))
        with clock.lap("load"):
            fresh, notes = _load_table(con, name, typed, seq0 + len(log_rows))
        for fid, note in notes.items():
            changed[fid].append(note)
        if name not in SUMMARY_TABLES:  # derived summaries are not lines of the file
            loaded.update(typed["file_id"].to_list())
            new_rows.update(fresh)
    for name in sorted(set_aside):  # in the tables' order, whichever was loaded first
        *rows, keys = set_aside[name]
        quarantine_frames.extend(rows)
        held.append(keys)
    if len(to_parse) >= PARALLEL_THRESHOLD:  # a few files free next to nothing, and a full collection
        give_back_memory()                   # of a process holding Prefect and GX costs about 0.5 s

    with clock.lap("load"):
        for fid, note in _correction_notes(con, [file_id_for(f.relpath, f.sha256) for f in to_parse
                                                 if f.kind == "statement_ofx" or f.kind == "statement_csv"]).items():
            changed[fid].append(note)
    for f in to_parse:
        p = parsed[f.relpath]
        fid = file_id_for(f.relpath, f.sha256)
        rows_q = 1 if p.file_error else reader_q[fid] + valid_q[fid]
        notes = "; ".join([*p.notes, *changed[fid]]) or None
        status, reason = file_status(p.file_error, loaded[fid], rows_q)
        log(f.relpath, f.sha256, f.kind, status, reason, p.format, loaded[fid], rows_q,
            new_rows[fid] if status == "accepted" else 0, notes)

    log_frame = pl.DataFrame(log_rows, schema=LAND["ingest_log"].polars_schema()) if log_rows else None
    if log_frame is not None:
        append(con, "land", LAND["ingest_log"], log_frame)
    kept_back = pl.concat(held) if held else pl.DataFrame()
    if kept_back.height:
        append(con, "land", LAND["register_held"], kept_back.with_columns(pl.lit(run_id).alias("run_id")))
    if quarantine_frames:
        q = pl.concat(quarantine_frames).with_columns(pl.lit(run_id).alias("run_id"))
        append(con, "land", LAND["quarantine"], q)
    for row in log_rows:
        setattr(summary, row["status"], getattr(summary, row["status"]) + 1)
        summary.rows_loaded += row["rows_loaded"]
        summary.rows_quarantined += row["rows_quarantined"]
        summary.rows_new += row["rows_new"]
    return summary


def _load_table(con: duckdb.DuckDBPyConnection, name: str, typed: pl.DataFrame, seq_base: int,
                ) -> tuple[Counter[str], dict[str, str]]:
    """Append typed rows to land; return per file how many rows were new, and per file
    the note saying which documents it brought new versions of."""
    table = LAND[name]
    typed = typed.with_row_index("__i")
    if name == "statement_lines":  # what land knows of these accounts' transactions (no others can match)
        con.register("__accounts", typed.select("account_id").unique().to_arrow())
        try:
            known = read(con, "SELECT DISTINCT account_id, transaction_id FROM land.statement_lines "
                              "WHERE account_id IN (SELECT account_id FROM __accounts)")
        finally:
            con.unregister("__accounts")
        typed = typed.with_columns((pl.col("__i") + seq_base * 1_000_000).cast(pl.Int64).alias("seq"))
        append(con, "land", table, typed)
        return new_transactions(typed, known), {}
    if name == "invoice_lines":
        typed = typed.with_columns(content_hash(typed, [c.name for c in inputs.invoice_lines.columns]))
        known = read(con, f"SELECT {', '.join(DOCUMENT)}, content_hash, version FROM land.invoice_lines")  # noqa: S608
        typed = version_invoices(typed, known).with_columns(
            (pl.col("__i") + seq_base * 1_000_000).cast(pl.Int64).alias("seq"))
        notes: dict[str, str] = {}
        if typed.filter(pl.col("version") > 1).height:
            earlier = read(con, "SELECT * FROM land.invoice_lines")
            notes = invoice_notes(typed, earlier.join(typed.select(DOCUMENT).unique(), on=DOCUMENT, how="semi",
                                                      nulls_equal=True))
        append(con, "land", table, typed)
        return Counter(typed["file_id"].to_list()), notes
    append(con, "land", table, typed)
    return Counter(typed["file_id"].to_list()), {}


def _correction_notes(con: duckdb.DuckDBPyConnection, new_files: list[str]) -> dict[str, str]:
    """What the new files changed in transactions already known (pipelines.corrections):
    only transactions they touch that now exist in more than one version are read."""
    if not new_files:
        return {}
    con.register("__new_files", pl.DataFrame({"file_id": new_files}).to_arrow())
    try:
        contested = read(con, """
            WITH touched AS (SELECT DISTINCT account_id, transaction_id FROM land.statement_lines
                             WHERE file_id IN (SELECT file_id FROM __new_files)),
            contested AS (SELECT account_id, transaction_id FROM land.statement_lines JOIN touched
                          USING (account_id, transaction_id) GROUP BY ALL
                          HAVING count(DISTINCT (date, amount, payee, memo, trntype, mcc)) > 1)
            SELECT l.* FROM land.statement_lines l JOIN contested USING (account_id, transaction_id)""")
        if contested.height == 0:
            return {}
        con.register("__files", contested.select("file_id").unique().to_arrow())
        last_lines = read(con, """SELECT file_id, account_id, max(date) AS date FROM land.statement_lines
                                  WHERE file_id IN (SELECT file_id FROM __files) GROUP BY ALL""")
        balances = read(con, """SELECT file_id, account_id, end_date FROM land.statement_balances
                                WHERE file_id IN (SELECT file_id FROM __files)""")
        con.unregister("__files")
    finally:
        con.unregister("__new_files")
    return correction_notes(contested, statement_dates(last_lines, balances), set(new_files))
