"""The families' evidence returns: one letter per return not yet received, as PDF and HTML.

Every return in ``audit.evidence_returns`` whose ``received_at`` is empty gets
``returns/<budget_id>_<period_start>.pdf`` and ``.html`` under ``out_dir``:
the period's statement (opening + council + contributions paid − spent =
closing), the payments that need evidence with the reference to quote, what to
send by when, what happens to eligibility if nothing comes, and the POET-style
outcome questions. Example: budget DP000011-1, quarter 1 January–31 March
2026, due 28 April → ``returns/DP000011-1_2026-01-01.pdf``.

All rows come from the five queries in ``query.sql`` (set-based, whatever the
number of budgets); the loop only renders. Bank and family text is escaped by
Jinja's autoescape in HTML and printed as plain text in the PDF.

Many letters to draw (:data:`POOL_FROM` or more: a night's 278 at 5,000 accounts,
a period close's 1,000) are drawn on every core, in worker processes that hand
back each letter's bytes; the parent alone reads the warehouse, fingerprints and
copies letters and writes the files, in the same order as when drawing alone.
"""

from __future__ import annotations

import contextlib
import functools
import multiprocessing
import os
import re
from collections import defaultdict
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from datetime import date
from pathlib import Path

import duckdb
from jinja2 import Environment, FileSystemLoader, Template, select_autoescape

from reports.council import council_of
from reports.returns import fonts
from reports.returns.letter import Letter, build_letter, gbp, long_date, short_date
from reports.returns.pdf import letter_pdf
from reports.returns.reuse import Drawn, fingerprint
from schemas.council import Council

HERE = Path(__file__).parent
QUERY_NAME = re.compile(r"^-- name: (\w+)\s*$", re.MULTILINE)


def queries() -> dict[str, str]:
    """``query.sql`` split on its ``-- name: x`` lines."""
    parts = QUERY_NAME.split((HERE / "query.sql").read_text(encoding="utf-8"))
    return {name: sql.strip().rstrip(";") for name, sql in zip(parts[1::2], parts[2::2], strict=True)}


def rows(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> list[dict]:
    cur = con.execute(sql, params) if params is not None else con.execute(sql)
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def environment() -> Environment:
    env = Environment(loader=FileSystemLoader(HERE), autoescape=select_autoescape(["html", "j2"]),
                      trim_blocks=True, lstrip_blocks=True)
    env.filters["gbp"] = gbp
    env.filters["long_date"] = long_date
    env.filters["short_date"] = short_date
    return env


def judged_on(con: duckdb.DuckDBPyConnection) -> date | None:
    """The as-of date of the last completed run whose data this warehouse holds: what a page or a
    letter showing these figures judges "due" and "overdue" from (None before any run)."""
    try:
        row = con.execute("SELECT as_of FROM audit.runs WHERE status = 'completed' "
                          "ORDER BY finished_at DESC NULLS LAST LIMIT 1").fetchone()
    except duckdb.CatalogException:
        return None
    return row[0] if row else None


def fetch_letters(con: duckdb.DuckDBPyConnection, as_of: date, council: Council | str | None = None) -> list[Letter]:
    """Every unreceived return's letter, from four queries (the council: the warehouse's, unless given)."""
    council = council_of(con) if council is None else council
    q = queries()
    by_return: dict[str, dict[tuple, list[dict]]] = {"lines": defaultdict(list), "payments": defaultdict(list)}
    for name in by_return:
        for r in rows(con, q[name]):
            by_return[name][(r["budget_id"], r["period_start"])].append(r)
    domains: dict[str, list[str]] = defaultdict(list)
    for r in rows(con, q["outcomes"]):
        domains[r["budget_id"]].append(r["outcome_domain"])
    actions: dict[str, list[dict]] = defaultdict(list)
    for r in rows(con, q["actions"]):
        actions[r["budget_id"]].append(r)
    return [build_letter(r, by_return["lines"][key], by_return["payments"][key], domains[r["budget_id"]],
                         as_of, council, actions[r["budget_id"]])
            for r in rows(con, q["returns"]) for key in [(r["budget_id"], r["period_start"])]]


OPEN = re.compile(r"\b(?:\w+\.)?received_at IS NULL\b")  # how query.sql picks the returns still awaited


def fetch_letter(con: duckdb.DuckDBPyConnection, budget_id: str, period_start: date, as_of: date,
                 council: Council | str | None = None, received_too: bool = False) -> Letter | None:
    """One unreceived return's letter (the families' portal shows it), or None when it is not open.

    The same five queries, each narrowed to the one return, so the portal and the
    printed letter cannot disagree. ``received_too``: the letter of a return already
    received as well (a family adding evidence to a return it has sent), its payments
    marked evidenced as the intake counted them.
    """
    council = council_of(con) if council is None else council
    q = queries()
    if received_too:
        q = {name: OPEN.sub("TRUE", sql) for name, sql in q.items()}
    key = [budget_id, period_start]
    one = "SELECT * FROM ({}) WHERE budget_id = ? AND period_start = ?"  # query.sql text, never input
    per_budget = "SELECT * FROM ({}) WHERE budget_id = ?"
    found = rows(con, one.format(q["returns"]), key)
    if not found:
        return None
    lines = rows(con, one.format(q["lines"]), key)
    payments = rows(con, one.format(q["payments"]), key)
    domains = [r["outcome_domain"] for r in rows(con, per_budget.format(q["outcomes"]), [budget_id])]
    actions = rows(con, per_budget.format(q["actions"]), [budget_id])
    return build_letter(found[0], lines, payments, domains, as_of, council, actions)


def render_returns(con: duckdb.DuckDBPyConnection, out_dir: Path, as_of: date,
                   council: Council | str | None = None,
                   access_codes: dict[tuple[str, date], str] | None = None,
                   portal_address: str = "", only: set[tuple[str, date]] | None = None,
                   dated: date | None = None, drawn: Drawn | None = None,
                   meanwhile: Callable[[], list[Path]] | None = None) -> list[Path]:
    """Write ``out_dir/returns/<budget_id>_<period_start>.pdf`` and ``.html`` for every unreceived return.

    Letters judge "due" and "overdue" on ``as_of`` and are dated ``dated`` (default ``as_of``);
    ``council`` defaults to the warehouse's (``reports.council.council_of``).
    ``access_codes`` (from ``stores.codes.issue_codes``) maps ``(budget_id, period_start)`` to
    the one-time code for the families' portal: a letter whose return has one prints it, with
    ``portal_address`` (default: council.yaml's ``portal_url``). Codes are stored hashed, so a
    letter can print one only when it is issued.
    ``only``, when given, limits the letters to those ``(budget_id, period_start)`` returns.
    ``drawn`` (the nightly run's): copy a letter an earlier run wrote when nothing in it has
    changed, and record tonight's (:mod:`reports.returns.reuse`).
    ``meanwhile``: other writing done here while the workers draw (the nightly run's
    exceptions report); the files it wrote come first in the list returned.
    """
    folder = out_dir / "returns"
    folder.mkdir(parents=True, exist_ok=True)
    codes = access_codes or {}
    stems: list[str] = []
    to_draw: list[tuple[str, str, Letter]] = []  # (stem, fingerprint, letter) of the letters not copied
    for letter in fetch_letters(con, as_of, council):
        if only is not None and (letter.budget_id, letter.period_start) not in only:
            continue
        letter.access_code = codes.get((letter.budget_id, letter.period_start), "")
        letter.portal_address = (portal_address or letter.council.portal_url or "") if letter.access_code else ""
        letter.dated = dated
        stem = safe_stem(letter.reference)
        stems.append(stem)
        print_ = fingerprint(letter) if drawn is not None else ""
        earlier = drawn.copy(print_) if drawn is not None else None
        if earlier is None:
            to_draw.append((stem, print_, letter))
        else:
            write_letter(folder, stem, print_, *earlier, drawn)
    with contextlib.closing(draw_letters([t[2] for t in to_draw])) as fresh:  # a failed write stops the workers too
        before = meanwhile() if meanwhile is not None else []  # while the letters are drawn
        for (stem, print_, _letter), (pdf, html) in zip(to_draw, fresh, strict=True):
            write_letter(folder, stem, print_, pdf, html, drawn)
    return before + [folder / f"{stem}.{kind}" for stem in stems for kind in ("pdf", "html")]


def write_letter(folder: Path, stem: str, print_: str, pdf: bytes, html: bytes, drawn: Drawn | None) -> None:
    (folder / f"{stem}.pdf").write_bytes(pdf)
    (folder / f"{stem}.html").write_bytes(html)
    if drawn is not None:
        drawn.note(stem, print_, pdf, html)


POOL_FROM = 32  # fewer letters than this are drawn here: a worker's start (imports, fonts) costs some letters' worth
MOST_WORKERS = 4  # a worker holds its own fonts and libraries (about 100 MiB): a big server does not get one a core


def usable_cores() -> int:
    """The cores this process may run on (a container's limit, not the host's count)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def draw_letters(letters: list[Letter]) -> Iterator[tuple[bytes, bytes]]:
    """Each letter's PDF and HTML bytes, in order: here, or on every core when there are many,
    in which case every letter is handed to the workers before this returns.

    The workers (a ``forkserver`` pool, as the parse workers'; nothing of the parent's DuckDB or
    Polars threads is forked) only draw: they are handed Letters and return bytes, and write
    nothing. A worker's exception is raised here, at its letter, and the letters not yet begun
    are dropped (also when the iterator is closed early)."""
    workers = min(usable_cores(), MOST_WORKERS, len(letters) // (POOL_FROM // 2))
    if len(letters) < POOL_FROM or workers < 2:
        return _draw_alone(letters)
    # the static fonts made here first: the workers read them and write nothing outside the letters' folder
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("forkserver"),
                               initializer=fonts.use_fonts_of, initargs=(fonts.fonts_folder(),))
    try:
        # small chunks keep both workers busy to the end; each chunk's Letters are pickled together
        drawn = pool.map(draw_here, letters, chunksize=max(1, min(8, len(letters) // (workers * 8))))
    except BaseException:
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    return _HandedBack(pool, drawn)


def _draw_alone(letters: list[Letter]) -> Iterator[tuple[bytes, bytes]]:
    template = environment().get_template("template.html.j2")
    for letter in letters:
        yield letter_pdf(letter), template.render(letter=letter).encode("utf-8")


class _HandedBack:
    """The workers' letters as they come, in order; closing it (or a worker's error, or the
    last letter) shuts the pool, dropping what was not begun, even if none was asked for."""

    def __init__(self, pool: ProcessPoolExecutor, drawn: Iterator[tuple[bytes, bytes]]) -> None:
        self.pool, self.drawn = pool, drawn

    def __iter__(self) -> _HandedBack:
        return self

    def __next__(self) -> tuple[bytes, bytes]:
        try:
            return next(self.drawn)
        except BaseException:  # StopIteration included: the pool is done with either way
            self.close()
            raise

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)


@functools.cache
def worker_template() -> Template:
    return environment().get_template("template.html.j2")


def draw_here(letter: Letter) -> tuple[bytes, bytes]:
    """One letter's bytes, in a worker process (the template compiled once per worker)."""
    return letter_pdf(letter), worker_template().render(letter=letter).encode("utf-8")


def safe_stem(reference: str) -> str:
    """A budget id comes from a council's file: keep it from naming a path outside the folder."""
    return re.sub(r"[^A-Za-z0-9._-]", "_", reference).lstrip(".") or "return"
