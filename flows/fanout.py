"""The ingest's work done in other processes: parsing the inbox's files on the
workers, a chunk at a time, and validating each table's rows in a process of
its own (Great Expectations and pandas never sit in the run's process).
"""

from __future__ import annotations

import ctypes
import gc
import multiprocessing
import pickle
import tempfile
from collections import defaultdict
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from pathlib import Path

import polars as pl

from flows.inbox import InboxFile, parse_one
from pipelines.ingest import file_id_for
from pipelines.model import Parsed
from schemas import inputs
from schemas.core import Table
from schemas.profiles import ProfileBook

PARALLEL_THRESHOLD = 64
CHUNK_FILES = 256  # files a worker parses before handing their rows back as one frame per table
CHUNK_BYTES = 1 << 20  # and the bytes: a prepaid card's month of 40,000 lines is a chunk of its own
EARLY_ROWS = 50_000  # a table's rows handed to validation while the parse goes on


Gathered = tuple[list[tuple[str, Parsed]], dict[str, pl.DataFrame]]


def parse_chunk(inbox: str, files: list[InboxFile], profiles: ProfileBook | None = None) -> Gathered:
    """Parse some files (in a worker process) and hand back each file's outcome without
    its rows, plus the rows of all of them as one frame per table, lineage attached:
    a few hundred messages for a council, not tens of thousands of one-file frames.

    Lineage is added once per table, after the files' frames are stacked: a Polars
    expression on a one-row frame costs milliseconds, far more than reading the file."""
    outcomes: list[tuple[str, Parsed]] = []
    frames: dict[str, list[pl.DataFrame]] = defaultdict(list)
    lineage: dict[str, list[tuple[str, str, int]]] = defaultdict(list)  # per table: (file_id, path, rows)
    for f in files:
        relpath, p = parse_one(inbox, f, profiles)
        if not p.file_error:
            fid = file_id_for(f.relpath, f.sha256)
            for name, frame in p.tables.items():
                frames[name].append(frame)
                lineage[name].append((fid, f.relpath, frame.height))
        p.tables = {}
        outcomes.append((relpath, p))
    return outcomes, {name: _with_lineage(name, pl.concat(fs, how="diagonal_relaxed"), lineage[name])
                      for name, fs in frames.items()}


def _with_lineage(name: str, stacked: pl.DataFrame, sources: list[tuple[str, str, int]]) -> pl.DataFrame:
    """``file_id`` and ``source_path`` of each row (and ``return_dir`` for evidence),
    given each file's row count in stacking order."""
    def repeat(values: list[str]) -> list[str]:
        return [v for v, (_fid, _path, n) in zip(values, sources, strict=True) for _ in range(n)]

    columns = [pl.Series("file_id", repeat([s[0] for s in sources]), pl.String),
               pl.Series("source_path", repeat([s[1] for s in sources]), pl.String)]
    if name == "evidence_items":
        columns.append(pl.Series("return_dir", repeat([Path(s[1]).parent.as_posix() for s in sources]),
                                 pl.String))
    return stacked.with_columns(columns)


def parse_files(inbox: Path, files: list[InboxFile], workers: int,
                profiles: ProfileBook | None = None) -> Iterator[Gathered]:
    """The files' parses, in file order, a chunk at a time as they are ready
    (over processes when there are many)."""
    if len(files) < PARALLEL_THRESHOLD or workers <= 1:
        for i in range(0, len(files), CHUNK_FILES):
            yield parse_chunk(str(inbox), files[i:i + CHUNK_FILES], profiles)
        return
    chunks = share_out(files, max(1, min(CHUNK_FILES, len(files) // (workers * 8))))
    ctx = multiprocessing.get_context("forkserver")
    with ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=collect_seldom) as pool:
        yield from pool.map(parse_chunk, [str(inbox)] * len(chunks), chunks, [profiles] * len(chunks))


PARSE_GC_THRESHOLD = 50_000  # allocations between collections of the youngest generation (Python's default: 700)


def collect_seldom() -> None:
    """A parse worker's garbage collector: what it has imported set aside for good (``gc.freeze``)
    and the young generation collected every ``PARSE_GC_THRESHOLD`` allocations. A reader makes
    hundreds of thousands of short-lived rows and cells, nearly none in a cycle: collecting every
    700 cost a fifth of parsing a prepaid card's month. Cycles are still collected, less often."""
    gc.freeze()
    _young, middle, old = gc.get_threshold()
    gc.set_threshold(PARSE_GC_THRESHOLD, middle, old)


def share_out(files: list[InboxFile], most: int, most_bytes: int = CHUNK_BYTES) -> list[list[InboxFile]]:
    """``files`` cut, in order, into chunks of at most ``most`` files and, unless one file
    is bigger on its own, ``most_bytes``: parsing costs about what a file weighs, so a
    few big statements never fall in one chunk that keeps one worker busy while the
    other has finished."""
    chunks: list[list[InboxFile]] = []
    chunk: list[InboxFile] = []
    weight = 0
    for f in files:
        if chunk and (len(chunk) >= most or weight + f.size > most_bytes):
            chunks.append(chunk)
            chunk, weight = [], 0
        chunk.append(f)
        weight += f.size
    if chunk:
        chunks.append(chunk)
    return chunks


class Answer:
    """A validation's failures (row → reasons), waited for when asked."""

    def __init__(self, future: Future | None = None, answer: dict[int, list[str]] | None = None,
                 path: Path | None = None) -> None:
        self.future, self.answer, self.path = future, answer, path

    def done(self) -> bool:
        return self.future is None or self.future.done()

    def __call__(self) -> dict[int, list[str]]:
        if self.future is None:
            return self.answer or {}
        try:
            return self.future.result()
        finally:
            if self.path is not None:
                self.path.unlink(missing_ok=True)


class Checker:
    """``validate``, here or in the validation process: ``checker.send(table, frame)``
    hands the rows over and answers when asked, so the run goes on while they are validated."""

    def __init__(self, validate: Callable, pool: ProcessPoolExecutor | None = None, work: Path | None = None):
        self.validate, self.pool, self.work, self.sent = validate, pool, work, 0

    def send(self, table: Table, frame: pl.DataFrame) -> Answer:
        if self.pool is None or self.work is None:
            return Answer(answer=self.validate(table, frame))
        # handed over as a file: pickling the frame would hold two more copies of it here
        self.sent += 1
        path = self.work / f"{table.name}-{self.sent}.arrow"
        frame.write_ipc(path)
        return Answer(self.pool.submit(_validate_file, self.validate, table, str(path)), path=path)


class ValidationProcess:
    """The process a big load is validated in: Great Expectations and pandas (some 240 MiB
    once imported) and each batch's pandas copy then never sit in the run's process, which
    goes on to reconcile. Started (:meth:`start`) as soon as the load looks big, it sets
    itself up at once, so its imports overlap the scan and the parse; closed on leaving
    (what was sent is not waited for when the ingest failed). A ``validate`` that cannot be
    sent to another process (a test's closure) runs in the run's process."""

    def __init__(self, validate: Callable) -> None:
        self.validate = validate
        self.pool: ProcessPoolExecutor | None = None
        self.work: tempfile.TemporaryDirectory | None = None

    def start(self) -> bool:
        if self.pool is None:
            try:
                pickle.dumps(self.validate)
            except (pickle.PicklingError, AttributeError, TypeError):
                return False
            self.work = tempfile.TemporaryDirectory(prefix="dprecon-validate-")
            self.pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("forkserver"))
            self.pool.submit(_warm_up, self.validate)
        return True

    def checker(self, apart: bool) -> Checker:
        """Validation in the process (``apart``, and ``validate`` can be sent there), or here."""
        if apart and self.start() and self.pool is not None and self.work is not None:
            return Checker(self.validate, self.pool, Path(self.work.name))
        return Checker(self.validate)

    def __enter__(self) -> ValidationProcess:
        return self

    def __exit__(self, kind: type[BaseException] | None, *_rest: object) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=kind is not None)
        if self.work is not None:
            self.work.cleanup()


def text_form(table: Table, frame: pl.DataFrame) -> pl.DataFrame:
    """Rows as validation reads them: every column of ``table`` there (null where no file
    had it) and as text; lineage and other columns kept."""
    missing = [c.name for c in table.columns if c.name not in frame.columns]
    if missing:
        frame = frame.with_columns([pl.lit(None, pl.String).alias(n) for n in missing])
    return frame.with_columns([pl.col(c.name).cast(pl.String) for c in table.columns])


class ValidatedOnArrival:
    """Each table's rows handed to validation as they arrive from the parse, about
    ``rows`` at a time (whole files: a key is unique within its file), so a big load's
    validation overlaps its parse instead of following it. A table with a column unique
    across the batch (a register) is sent whole once the parse is done. The failures are
    the batch's, numbered as in the whole table (chunks arrive in file order)."""

    def __init__(self, checker: Checker, rows: int = EARLY_ROWS) -> None:
        self.checker, self.rows = checker, rows
        self.pending: dict[str, list[pl.DataFrame]] = defaultdict(list)
        self.answers: dict[str, list[tuple[int, Answer]]] = defaultdict(list)
        self.offset: dict[str, int] = defaultdict(int)  # rows of each table sent so far

    def arrived(self, name: str, frame: pl.DataFrame) -> None:
        self.pending[name].append(frame)
        table = inputs.ALL_INPUTS[name]
        if (not any(c.unique for c in table.columns)
                and sum(f.height for f in self.pending[name]) >= self.rows):
            self._send(name)

    def parsed(self) -> None:
        """The parse is done: the rest of every table is sent."""
        for name in sorted(self.pending):
            self._send(name)

    def _send(self, name: str) -> None:
        frames = self.pending.pop(name, [])
        if not frames:
            return
        table = inputs.ALL_INPUTS[name]
        part = text_form(table, pl.concat(frames, how="diagonal_relaxed"))
        self.answers[name].append((self.offset[name], self.checker.send(table, part)))
        self.offset[name] += part.height

    def as_answered(self, names: list[str]) -> Iterator[str]:
        """``names``, each once all its rows' answers are in: of those ready, the first in
        alphabetical order, so the run types and loads one table while the validation
        process is still on another's rows (what it yields must not depend on the order)."""
        left = sorted(names)
        while left:
            ready = next((n for n in left if all(a.done() for _, a in self.answers.get(n, []))), None)
            if ready is None:
                wait([a.future for n in left for _, a in self.answers.get(n, []) if a.future is not None],
                     return_when=FIRST_COMPLETED)
                continue
            left.remove(ready)
            yield ready

    def failures(self, name: str) -> dict[int, list[str]]:
        """Row (in the table's whole batch) → reasons, once every part's answer is in."""
        return {offset + row: reasons for offset, answer in self.answers.pop(name, [])
                for row, reasons in answer().items()}


def _validate_file(validate: Callable, table: Table, path: str) -> dict[int, list[str]]:
    return validate(table, pl.read_ipc(path))


def _warm_up(validate: Callable) -> None:
    """Have ``validate`` import and set up what it needs (Great Expectations, pandas, its
    context: seconds) while the files are still being parsed, by validating one empty
    row of the first table; the answer is thrown away, and any failure is left for the
    real batches to meet."""
    table = inputs.ALL_INPUTS[min(inputs.ALL_INPUTS)]
    schema = {**{c.name: pl.String for c in table.columns}, "file_id": pl.String}
    try:
        validate(table, pl.DataFrame({name: ["warm-up" if name == "file_id" else None] for name in schema},
                                     schema=schema))
    except Exception:  # noqa: BLE001, S110 - the real batches will raise it, with their own rows
        pass


def give_back_memory() -> None:
    """Hand freed pages back to the system (glibc keeps them otherwise) before reconcile."""
    gc.collect()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass
