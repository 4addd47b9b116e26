"""Reconcile and flag: thin I/O around pipelines/ (ledger, match, classify,
periods, positions, rules). Reads ``land`` from the working copy, rebuilds
``core``.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import NamedTuple

import duckdb
import polars as pl

from flows import version
from flows.fanout import give_back_memory
from flows.timing import Stopwatch
from flows.warehouse import append, read, replace_table, update_rows
from pipelines import incremental
from pipelines.classify import categorise, classify_transactions, with_patterns
from pipelines.corrections import settle_transactions, statement_dates
from pipelines.decisions import apply_decisions
from pipelines.ledger import (
    attach_budgets,
    conform,
    current_invoices,
)
from pipelines.match import MatchResult, match_within_accounts
from pipelines.periods import assign_period, monitoring_periods
from pipelines.positions import budget_positions, line_positions, opening_balances
from pipelines.references import with_evidence_refs
from pipelines.register import REGISTERS, current_register
from pipelines.rules import EVIDENCE_READ, TXNS_READ, Books, intake
from pipelines.rules.registry import declared
from pipelines.rules.run import Judged, judge, settle
from pipelines.stake import money_at_stake
from pipelines.statements import balance_breaks, statement_coverage
from schemas import inputs
from schemas.policy import Policy
from schemas.warehouse import CORE, LAND

FILE_ORDER = "SELECT file_id, seq FROM land.ingest_log WHERE status = 'accepted'"


def load_register(con: duckdb.DuckDBPyConnection) -> dict[str, pl.DataFrame]:
    """The register as it stands (pipelines.register): the latest file, with the last
    good version of any row it had to set aside."""
    order = read(con, FILE_ORDER)
    held = read(con, "SELECT * FROM land.register_held")
    return {
        name: current_register(inputs.ALL_INPUTS[name], read(con, f"SELECT * FROM land.{name}"), order, held)  # noqa: S608
        for name in REGISTERS
    }


def evidence_items(con: duckdb.DuckDBPyConnection, columns: tuple[str, ...] | None = None) -> pl.DataFrame:
    """Every evidence row with the day it was received (the family's date, else the day it landed);
    ``columns``: only those of land.evidence_items (and ``received_on`` if named), not all."""
    chosen = "e.*" if columns is None else ", ".join(f'e."{c}"' for c in columns if c != "received_on")
    received = ", coalesce(e.submitted_on, CAST(l.seen_at AS DATE)) AS received_on"
    return read(con, f"""
        SELECT {chosen}{received if columns is None or "received_on" in columns else ""}
        FROM land.evidence_items e JOIN land.ingest_log l USING (file_id)""")  # noqa: S608 (declared names)


class WrittenBehind:
    """The core tables written on a thread of their own, through a cursor of the run's
    connection, while the rules judge the books: DuckDB writes without holding Python's
    lock, which the rules hold, so the two share the cores. :meth:`wait` before anything
    else reads or writes the core tables; an error in the writes is raised there. Each
    frame is let go once written."""

    def __init__(self, con: duckdb.DuckDBPyConnection, tables: list[tuple[str, pl.DataFrame] | InPart]) -> None:
        self._tables, self._error = tables, None
        self._cursor = con.cursor()
        self._thread = threading.Thread(target=self._write, name="dprecon-core-tables", daemon=True)
        self._thread.start()

    def _write(self) -> None:
        try:
            write_core(self._cursor, self._tables)
        except BaseException as e:  # noqa: BLE001 - handed to wait(), in the run's thread
            self._error = e

    def wait(self) -> None:
        self._thread.join()
        self._cursor.close()
        if self._error is not None:
            error, self._error = self._error, None
            raise error


class InPart(NamedTuple):
    """A core table changed where it stands: ``update``'s rows set in place (found by ``key``),
    ``new``'s added at its end."""

    name: str
    update: pl.DataFrame
    new: pl.DataFrame
    key: tuple[str, ...]


def write_core(con: duckdb.DuckDBPyConnection, tables: list[tuple[str, pl.DataFrame] | InPart]) -> None:
    """Replace each named core table (or change it in part), in order, letting each frame go once written."""
    while tables:
        item = tables.pop(0)
        if isinstance(item, InPart):
            update_rows(con, "core", CORE[item.name], conform(item.update, CORE[item.name]), item.key)
            append(con, "core", CORE[item.name], conform(item.new, CORE[item.name]))
        else:
            name, frame = item
            replace_table(con, "core", CORE[name], conform(frame, CORE[name]))
        del item


def _transactions_write(con: duckdb.DuckDBPyConnection, accounts: set[str] | None,
                        txns: pl.DataFrame) -> tuple[str, pl.DataFrame] | InPart:
    """core.transactions rewritten whole, or on a night that only brought statements (``accounts``:
    :func:`new_statement_accounts`) changed in part: the named accounts' rows set where they
    stand and the new ones added after them, when that leaves the rows a whole rewrite would
    (incremental.rows_in_place); 215,000 rows at 2,000 accounts, some thousands changed."""
    if accounts is not None:
        part = incremental.rows_in_place(txns, _last_written(con, ()), accounts)
        if part is not None:
            return InPart("transactions", *part, key=tuple(incremental.TXN))
    return "transactions", txns


def wait_behind(behind: list[WrittenBehind] | None) -> None:
    """Wait for the core tables still being written (raising what went wrong there)."""
    while behind:
        behind.pop(0).wait()


def rebuild_core(con: duckdb.DuckDBPyConnection, as_of: date, policy: Policy, clock: Stopwatch | None = None,
                 behind: list[WrittenBehind] | None = None) -> Books:
    """The books, and the core tables written from them; ``behind`` (a list): the writes left
    going on a thread (:class:`WrittenBehind`, appended) for the caller to wait for after the rules."""
    clock = clock or Stopwatch()
    accounts = new_statement_accounts(con, as_of)
    # on the last run's day, with its findings there to keep, only the named accounts' budgets are judged again
    changed = accounts if accounts is not None and judged_on(con, as_of) and standing_judged(con) is not None else None
    with clock.lap("ledger"):
        reg, txns, said = _ledger(con, policy, accounts, changed)
    with clock.lap("match"):
        budgets, plan_lines, providers = reg["budgets"], reg["plan_lines"], reg["providers"]
        result = _match(con, accounts, txns, current_invoices(read(con, "SELECT * FROM land.invoice_lines")),
                        providers, budgets)
        invoices = result.invoices
        txns = _categorise(con, changed, txns, result.matches, invoices, providers, plan_lines, policy)
    with clock.lap("positions"):
        periods = monitoring_periods(budgets, policy.return_frequency, policy.evidence_due_days, as_of)
        txns = assign_period(txns, periods)
        started = periods.filter(pl.col("period_start") <= as_of)
        positions = _positions(con, changed, budgets, started, txns, invoices, result.matches, said)
        lines_pos = line_positions(budgets, started, plan_lines, txns)
    with clock.lap("load"):
        # the transactions first: the widest frame, let go (but for the rules' columns) once written
        tables = [_transactions_write(con, accounts, txns), *reg.items(), ("invoices", invoices),
                  ("matches", result.matches), ("budget_positions", positions), ("line_positions", lines_pos)]
        txns = txns.select(TXNS_READ)  # once written, only what the rules read (not paths, files, balances)
        if behind is None:
            write_core(con, tables)
        else:
            behind.append(WrittenBehind(con, tables))
        del tables
        # after the transactions' write is under way, and only what the rules read of it: every
        # column of every item was some 80 MiB at 5,000 accounts, held beside the books
        evidence = evidence_items(con, EVIDENCE_READ)
    return Books(
        as_of=as_of, policy=policy, budgets=budgets, plan_lines=plan_lines, providers=providers,
        periods=periods, txns=txns, invoices=invoices, matches=result.matches, positions=positions,
        lines=lines_pos, coverage=said.coverage, balance_breaks=said.breaks, evidence=evidence, opening=said.opening,
        changed=None if changed is None else frozenset(changed),
    )


def _categorise(con: duckdb.DuckDBPyConnection, changed: set[str] | None, txns: pl.DataFrame,
                matches: pl.DataFrame, invoices: pl.DataFrame, providers: pl.DataFrame, plan_lines: pl.DataFrame,
                policy: Policy) -> pl.DataFrame:
    """Every transaction categorised, or on a night whose rules judge only ``changed``'s budgets,
    only those accounts' (the others' categories as the last run wrote them: incremental.splice_categories)."""
    if changed is not None:
        mine = pl.col("account_id").is_in(list(changed))
        fresh = categorise(txns.filter(mine), matches.filter(mine), invoices, providers, plan_lines, policy)
        standing = _last_written(con, incremental.CATEGORISED)
        spliced = incremental.splice_categories(txns, fresh, standing, changed)
        if spliced is not None:
            return spliced
    return categorise(txns, matches, invoices, providers, plan_lines, policy)


def _positions(con: duckdb.DuckDBPyConnection, changed: set[str] | None, budgets: pl.DataFrame,
               started: pl.DataFrame, txns: pl.DataFrame, invoices: pl.DataFrame, matches: pl.DataFrame,
               said: _StatementsSay) -> pl.DataFrame:
    """Each started period's position, or on a night whose rules judge only ``changed``'s budgets,
    only those budgets' worked out again (the others' as the last run wrote them:
    incremental.splice_positions)."""
    if changed is not None:
        fresh = incremental.positions_of(changed, budgets, started, txns, invoices, matches, said.opening)
        spliced = incremental.splice_positions(started, fresh, read(con, "SELECT * FROM core.budget_positions"),
                                               budgets, changed)
        if spliced is not None:
            return spliced
    opening = said.opening if said.of is None else whole_statements_say(con).opening
    return budget_positions(budgets, started, txns, invoices, matches, opening)


def _last_written(con: duckdb.DuckDBPyConnection, columns: Iterable[str]) -> pl.DataFrame:
    """Each transaction's ``columns`` as the last run wrote them (core.transactions), with its key."""
    return read(con, f"SELECT {', '.join([*incremental.TXN, *columns])} FROM core.transactions")  # noqa: S608


def _match(con: duckdb.DuckDBPyConnection, accounts: set[str] | None, txns: pl.DataFrame, invoices: pl.DataFrame,
           providers: pl.DataFrame, budgets: pl.DataFrame) -> MatchResult:
    """Every account matched, or on a night that only brought statement files
    (``accounts``: :func:`new_statement_accounts`), only the accounts they name (pipelines/incremental.py)."""
    if accounts is not None:
        sub_txns, sub_invoices = incremental.scope(txns, invoices, budgets, accounts)
        fresh = match_within_accounts(sub_txns, sub_invoices, providers, budgets)
        spliced = incremental.splice_invoices(invoices, fresh.invoices, read(con, "SELECT * FROM core.invoices"),
                                              incremental.invoices_in_scope(invoices, budgets, accounts))
        if spliced is not None:
            matches = incremental.splice_matches(read(con, "SELECT * FROM core.matches"), fresh.matches, accounts)
            return MatchResult(matches, spliced)
    return match_within_accounts(txns, invoices, providers, budgets)


# a file is new since the last completed run if it was seen after it finished, or loaded after
# every file a completed run loaded (either alone would do; both guard against a clock put back)
SINCE = """l.seen_at > ? OR l.seq > coalesce((SELECT max(seq) FROM land.ingest_log
    WHERE run_id IN (SELECT run_id FROM land.runs WHERE status = 'completed')), -1)"""


def new_statement_accounts(con: duckdb.DuckDBPyConnection, as_of: date) -> set[str] | None:
    """The accounts tonight's new files name, when all they are is statements (none at all on
    a new date with nothing new): the last completed run left its books (core.matches,
    core.invoices), written by this very code (its land.runs.code_version is
    :func:`flows.version.code_version`), and every file since (not a duplicate) is a statement
    accepted with lines. Anything else (a register, an invoice, evidence, a policy, a
    quarantined file, a release since or a run that recorded no version) → None: match every
    account. Matching, classes and categories do not depend on the run's date (only periods,
    positions and the rules do), so a new date alone is no reason to match again."""
    last = read(con, "SELECT as_of, finished_at, code_version FROM land.runs WHERE status = 'completed' "
                     "ORDER BY finished_at DESC LIMIT 1")
    if last.height == 0:
        return None
    ours = version.code_version()
    if ours is None or last["code_version"][0] != ours:
        return None
    since = read(con, f"""
        SELECT l.file_id, l.kind, l.status, EXISTS (SELECT 1 FROM land.statement_lines s
                                                    WHERE s.file_id = l.file_id) AS has_lines
        FROM land.ingest_log l WHERE l.status <> 'duplicate' AND ({SINCE})""",  # noqa: S608 (a constant)
                 [last["finished_at"][0]])
    if not since.select(
            (pl.col("status") == "accepted") & pl.col("kind").str.starts_with("statement_") & pl.col("has_lines")
    ).to_series().all():
        return None
    tables = set(read(con, "SELECT table_name FROM information_schema.tables WHERE table_schema = 'core'")
                 ["table_name"].to_list())
    if not {"matches", "invoices", "transactions"} <= tables:
        return None
    found = read(con, f"""SELECT DISTINCT account_id FROM land.statement_lines WHERE file_id IN
        (SELECT file_id FROM land.ingest_log l WHERE status = 'accepted' AND ({SINCE}))""",  # noqa: S608
                 [last["finished_at"][0]])
    return set(found["account_id"].to_list())


def judged_on(con: duckdb.DuckDBPyConnection, as_of: date) -> bool:
    """Did the last completed run judge ``as_of``?"""
    last = read(con, "SELECT as_of FROM land.runs WHERE status = 'completed' ORDER BY finished_at DESC LIMIT 1")
    return last.height > 0 and last["as_of"][0] == as_of


class _StatementsSay(NamedTuple):
    """What the statement lines say beyond their transactions (each worked out from the lines
    as they landed, so the lines can be freed before matching): of every account, or of the
    accounts ``of`` alone."""

    opening: dict[str, Decimal]
    coverage: pl.DataFrame
    breaks: pl.DataFrame
    of: frozenset[str] | None = None


def _statements_say(con: duckdb.DuckDBPyConnection, lines: pl.DataFrame, balances: pl.DataFrame,
                    of: set[str] | None = None) -> _StatementsSay:
    """What ``lines`` say of every account, or (``of``) of those accounts alone, worked out from
    the files that hold their lines only: a file's span and the order of its lines are the whole
    file's, and an account's opening and follow-on are its files' (pipelines/statements.py)."""
    if of is not None:
        chosen = list(of)
        lines = lines.filter(pl.col("file_id").is_in(
            lines.filter(pl.col("account_id").is_in(chosen))["file_id"].unique().implode()))
    formats = read(con, "SELECT file_id, format FROM land.ingest_log WHERE format IS NOT NULL")
    said = _StatementsSay(
        opening=opening_balances(lines),
        coverage=statement_coverage(lines, balances, formats),
        breaks=balance_breaks(lines, read(con, "SELECT file_id, line FROM land.quarantine")))
    if of is None:
        return said
    theirs = pl.col("account_id").is_in(chosen)
    return _StatementsSay(opening={a: v for a, v in said.opening.items() if a in of},
                          coverage=said.coverage.filter(theirs), breaks=said.breaks.filter(theirs), of=frozenset(of))


def whole_statements_say(con: duckdb.DuckDBPyConnection) -> _StatementsSay:
    """What every account's statement lines say: for a night that worked out only some accounts'
    (:func:`_ledger`'s ``changed``) and finds it needs them all after all."""
    return _statements_say(con, read(con, "SELECT * FROM land.statement_lines"),
                           read(con, "SELECT * FROM land.statement_balances"))


def _ledger(con: duckdb.DuckDBPyConnection, policy: Policy, accounts: set[str] | None = None,
            changed: set[str] | None = None) -> tuple[dict[str, pl.DataFrame], pl.DataFrame, _StatementsSay]:
    """The register as it stands, every transaction once, classified, with its evidence
    reference, and what the statements say (``accounts`` as in :func:`_match`: only theirs
    classified again; ``changed``: what the statements say of those accounts alone, on a night
    whose rules judge only their budgets). Every version of every line (land) is read once and
    let go here: at 5,000 accounts it is some 300 MiB beside the books."""
    reg = load_register(con)
    lines = read(con, "SELECT * FROM land.statement_lines")
    # what the lines say, before the transactions are settled: their working copies then
    # come on top of the lines alone, not of the lines and the settled transactions
    balances = read(con, "SELECT * FROM land.statement_balances")
    said = _statements_say(con, lines, balances, changed)
    dates = statement_dates(lines, balances.select("file_id", "account_id", "end_date"))
    current, corrected = settle_transactions(lines, dates)
    replace_table(con, "core", CORE["corrections"], conform(corrected, CORE["corrections"]))
    del lines, dates, corrected, balances
    give_back_memory()
    txns = attach_budgets(current, reg["budgets"])
    if accounts is not None:
        fresh = with_evidence_refs(classify_transactions(txns.filter(pl.col("account_id").is_in(list(accounts))),
                                                         policy))
        standing = _last_written(con, incremental.CLASSIFIED)
        spliced = incremental.splice_classes(txns, fresh, standing, accounts)
        if spliced is not None:
            return reg, spliced, said
    return reg, with_evidence_refs(classify_transactions(txns, policy)), said


def raise_exceptions(con: duckdb.DuckDBPyConnection, books: Books, reviews: pl.DataFrame,
                     behind: list[WrittenBehind] | None = None) -> dict[str, int]:
    """Tonight's exceptions (one per problem), settled against history; returns the
    count of exceptions needing attention by rule. ``behind``: the core tables still
    being written (:func:`rebuild_core`), waited for once the rules have judged."""
    found = judge(books, declared()) if books.changed is None else _judge_changed(con, books)
    wait_behind(behind)
    replace_table(con, "core", CORE["raised"], conform(found.exceptions, CORE["raised"]))
    history = read(con, "SELECT * FROM land.exception_history")
    replace_table(con, "land", LAND["exception_history"], settle(found.exceptions, history, pl.DataFrame(), books.as_of))
    replace_table(con, "core", CORE["exception_periods"], conform(found.findings, CORE["exception_periods"]))
    replace_table(con, "core", CORE["statement_gaps"], conform(found.gaps, CORE["statement_gaps"]))
    apply_reviews(con, reviews)
    replace_table(con, "core", CORE["evidence_returns"], conform(books.returns, CORE["evidence_returns"]))
    counts = found.exceptions.filter(pl.col("current")).group_by("rule_code").len().sort("rule_code")
    return dict(counts.iter_rows())


def _judge_changed(con: duckdb.DuckDBPyConnection, books: Books) -> Judged:
    """On a night that changed only ``books.changed``'s books: those accounts' budgets judged
    again, every other budget's findings as the last run raised them (:func:`standing_judged`).
    Should those not be there to keep, or a finding name no budget, every budget is judged,
    the others' payee patterns (which categorise left out: incremental.splice_categories) and
    what their statements say (which the ledger left out: :func:`_statements_say`) worked out first."""
    standing = standing_judged(con)  # read beside the tables being written behind (none of these)
    accounts = set(books.changed or ())
    fresh = judge(incremental.restrict(books, accounts), declared())
    spliced = None if standing is None else incremental.splice_judged(standing, fresh, books.budgets, accounts)
    if spliced is None:  # every budget judged: the payee patterns categorise, and what the statements
        whole = whole_statements_say(con)  # say, the ledger left out for the others
        return judge(replace(books, txns=with_patterns(books.txns, books.providers), coverage=whole.coverage,
                             balance_breaks=whole.breaks, opening=whole.opening), declared())
    return spliced


def standing_judged(con: duckdb.DuckDBPyConnection) -> Judged | None:
    """What the last run's rules raised (core.raised, with its core.exception_periods and
    core.statement_gaps); None when those do not belong together (a release before
    core.raised, whose table is empty; findings the evidence intake rewrote since)."""
    standing = Judged(exceptions=read(con, "SELECT * FROM core.raised"),
                      findings=read(con, "SELECT * FROM core.exception_periods"),
                      gaps=read(con, "SELECT * FROM core.statement_gaps"))
    if set(standing.findings["exception_id"].to_list()) != set(standing.exceptions["exception_id"].to_list()):
        return None
    return standing


def refresh_evidence(con: duckdb.DuckDBPyConnection, as_of: date, policy: Policy,
                     reviews: pl.DataFrame) -> dict[str, int]:
    """The evidence intake's update between nightly runs (:mod:`pipelines.rules.intake`):
    read the published books and the evidence so far, write what it settles."""
    refreshed = intake.refresh_evidence(
        as_of, policy, read(con, "SELECT * FROM core.budgets"), read(con, "SELECT * FROM core.transactions"),
        evidence_items(con), read(con, "SELECT * FROM land.exception_history"),
        read(con, "SELECT * FROM core.statement_gaps"), read(con, "SELECT * FROM core.exception_periods"))
    replace_table(con, "land", LAND["exception_history"], refreshed.history)
    replace_table(con, "core", CORE["exception_periods"], conform(refreshed.findings, CORE["exception_periods"]))
    apply_reviews(con, reviews)
    replace_table(con, "core", CORE["evidence_returns"], conform(refreshed.returns, CORE["evidence_returns"]))
    return refreshed.summary()


def apply_reviews(con: duckdb.DuckDBPyConnection, reviews: pl.DataFrame) -> None:
    """core.exceptions = the rules' view of every exception, overridden by the latest
    officer decision, with each one's share of money at stake (pipelines/stake.py).

    A decision recorded against one period's finding (before findings were merged
    into episodes) stays with the exception that finding now belongs to."""
    replace_table(con, "core", CORE["reviews"], conform(reviews, CORE["reviews"]))
    final = read(con, "SELECT * FROM land.exception_history")
    if reviews.height and final.height:
        owner = read(con, "SELECT flag_id, exception_id AS episode_id FROM core.exception_periods "
                          "WHERE flag_id <> exception_id")
        reviews = reviews.join(owner, left_on="exception_id", right_on="flag_id", how="left").with_columns(
            pl.coalesce("episode_id", "exception_id").alias("exception_id")).drop("episode_id")
    final = apply_decisions(final, reviews)
    replace_table(con, "core", CORE["exceptions"], conform(money_at_stake(final), CORE["exceptions"]))
