"""The nightly job's body, in order: ingest → validate → reconcile → flag → report → publish.

``run_job`` is plain Python; ``flows/nightly.py`` runs each stage as a Prefect
task by passing its own ``step``. Every stage writes only the private working
copy of the warehouse, so a run that fails or is killed anywhere leaves the
published warehouse as it was, and the next run starts clean.
"""

from __future__ import annotations

import contextlib
import os
import time
import uuid
from collections.abc import Callable
from datetime import date, datetime
from functools import partial
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from flows import followup as followup_mod
from flows import ingest as ingest_mod
from flows import reconcile as reconcile_mod
from flows import version
from flows.council import load_council, record_council
from flows.inbox import HashCache, InboxFile, hash_cache_path, scan
from flows.policy import load_policy
from flows.timing import Stopwatch
from flows.warehouse import RunFailed, append, exclusive, open_working_copy, publish, read
from pipelines.inbox_health import emptied_inbox_warning
from pipelines.ingest import plan_files
from reports.returns.reuse import Drawn
from schemas.council import Council
from schemas.warehouse import LAND
from stores import reviews as reviews_mod

Step = Callable[..., Any]


class SomethingNew(Exception):
    """The night has work to do: a new file, a new day, a decision, or reports to write."""


def direct(name: str, fn: Callable[..., Any], *args: Any) -> Any:
    return fn(*args)


def pause_point(name: str) -> None:
    """Test hook: ``DPRECON_PAUSE_AT=<stage>`` parks the run there so a test can kill it."""
    if os.environ.get("DPRECON_PAUSE_AT") == name:
        marker = os.environ.get("DPRECON_PAUSE_MARKER")
        if marker:
            Path(marker).write_text(name)
        time.sleep(int(os.environ.get("DPRECON_PAUSE_SECONDS", "600")))


def report_stage(con, reports: Path, as_of: date, council: Council, warnings: tuple[str, ...] = (),
                 drawn: Drawn | None = None) -> list[str]:
    """Officers' exception report (HTML, CSV, XLSX) and the families' evidence returns
    (PDF and HTML, one per return not yet received) under REPORTS/<as-of>/.

    Written into a hidden folder beside it, which takes the folder's place when
    the warehouse is published: a full disk or a killed run never leaves a
    half-written folder, nor reports of a warehouse that was not published.
    ``drawn``: a family's letter whose content has not changed since the last
    run's is copied from that run's folder, not drawn again (reports/returns/reuse.py)."""
    from flows.warehouse import staged_folder
    from reports.exceptions.render import render
    from reports.returns.render import render_returns

    out = reports / as_of.isoformat()
    with staged_folder(out, f"the reports for {as_of.isoformat()}", publish_with=con) as work:
        written = render_returns(con, work, as_of, council, drawn=drawn,  # the letters drawn while the
                                 meanwhile=lambda: render(con, work, as_of, council.name, warnings))  # report is written
    return [str(out / p.relative_to(work)) for p in written]


def check_inbox(inbox: Path) -> None:
    """Refuse to run on an inbox that is not there or has no register: without it every
    budget would look untouched, and a missing drive mount would read as a quiet night."""
    if not inbox.is_dir():
        raise RunFailed(f"there is no inbox folder at {inbox} (is the drive or share mounted? is the path right?)")
    if not (inbox / "register" / "budgets.csv").is_file():
        raise RunFailed(f"the inbox {inbox} has no register/budgets.csv, so no budget can be judged"
                        " (is this the council's inbox folder, and is it complete?)")


def decided_since_last_run(con) -> bool:
    last = read(con, "SELECT max(finished_at) AS t FROM land.runs WHERE status = 'completed'")["t"][0]
    return last is not None and int(read(con, "SELECT count(*) AS n FROM core.reviews WHERE decided_at > ?",
                                         [last])["n"][0]) > 0


def files_last_run(con) -> int | None:
    last = read(con, "SELECT files_seen FROM land.runs WHERE status = 'completed' ORDER BY finished_at DESC LIMIT 1")
    return int(last["files_seen"][0]) if last.height else None


def letters_record_path(warehouse: Path) -> Path:
    return warehouse.with_name(warehouse.name + ".letters.json")


def quiet_night(con, ingested: dict, as_of: date, reviews: pl.DataFrame) -> bool:
    """Nothing to recompute: no new file content since the last completed run (tonight's
    or the evidence intake's), that run judged the same day with this code (a release
    since rebuilds the books: land.runs.code_version), and no officer decision since.
    A new policy.yaml is a new file, so not quiet."""
    if ingested["accepted"] or ingested["quarantined"]:
        return False
    last = read(con, "SELECT as_of, finished_at, code_version FROM land.runs WHERE status = 'completed' "
                     "ORDER BY finished_at DESC LIMIT 1")
    if last.height == 0 or last["as_of"][0] != as_of or last["code_version"][0] != version.code_version():
        return False
    since = read(con, "SELECT count(*) AS n FROM land.ingest_log WHERE status <> 'duplicate' AND seen_at > ?",
                 [last["finished_at"][0]])  # e.g. evidence taken in by the intake since
    if since["n"][0]:
        return False
    return int(read(con, "SELECT count(*) AS n FROM core.reviews")["n"][0]) == reviews.height


def nothing_to_read(inbox: Path, warehouse: Path, reports: Path, as_of: date) -> list[InboxFile]:
    """A first look at the published warehouse, read-only, with its lock held: the inbox as
    scanned now (hash cache saved), if it holds no new content and the last completed run
    judged ``as_of`` with this code, wrote its reports and had no decision since; else
    :class:`SomethingNew`.
    Only a first look: :func:`quiet_night` still decides, after ingest, as on any night."""
    if not warehouse.is_file() or not (reports / as_of.isoformat() / "exceptions.html").is_file():
        raise SomethingNew
    try:
        with duckdb.connect(str(warehouse), read_only=True) as con:
            last = read(con, "SELECT as_of, code_version FROM land.runs WHERE status = 'completed' "
                             "ORDER BY finished_at DESC LIMIT 1")
            if (last.height == 0 or last["as_of"][0] != as_of or last["code_version"][0] != version.code_version()
                    or decided_since_last_run(con)):
                raise SomethingNew
            known = read(con, "SELECT path, sha256, status FROM land.ingest_log")
    except duckdb.Error as e:  # e.g. a warehouse written before a table existed: the full run brings it up to date
        raise SomethingNew from e
    hashes = HashCache(hash_cache_path(warehouse))
    files = scan(inbox, None, hashes)
    hashes.save({f.relpath for f in files})
    if plan_files([(f.relpath, f.sha256) for f in files], known)[0]:
        raise SomethingNew
    return files


def nothing_to_validate(table, frame) -> dict:
    """The validator of a run that reads no new file (``quiet_only``): it is never called."""
    raise SomethingNew(f"{table.name}: rows to validate")


def standing_books(con) -> tuple[dict, dict]:
    """The counts a run reports, read from the books as they stand."""
    counts = read(con, """SELECT (SELECT count(*) FROM core.transactions) AS transactions,
        (SELECT count(*) FROM core.invoices) AS invoices, (SELECT count(*) FROM core.matches) AS matches,
        (SELECT count(*) FROM core.budgets) AS budgets""").to_dicts()[0]
    open_by_rule = read(con, "SELECT rule_code, count(*) AS n FROM core.exceptions WHERE status = 'open' "
                             "GROUP BY 1 ORDER BY 1")
    return counts, dict(open_by_rule.iter_rows())


def refresh_reviews(warehouse: Path) -> None:
    """Publish the review store's decisions into the warehouse now, without a full run."""
    with exclusive(warehouse):
        con, nxt = open_working_copy(warehouse)
        try:
            reconcile_mod.apply_reviews(con, reviews_mod.load(warehouse))
            followup_mod.derive(con, warehouse)  # a 'recover' or 'written_off' shows on its recovery at once
        except BaseException:
            con.close()
            raise
        publish(con, nxt, warehouse)


def run_job(
    inbox: Path,
    warehouse: Path,
    reports: Path,
    as_of: date,
    *,
    validate: Callable,
    workers: int = 2,
    run_id: str | None = None,
    step: Step = direct,
    log: Callable[[str], None] = lambda msg: None,
    council: str | None = None,
    quiet_only: bool = False,
) -> dict:
    """One nightly run. ``council`` names the council when its inbox has no
    ``register/council.yaml`` (e.g. the name in a councils file); a council.yaml
    that cannot be used stops the run here, naming the key, before anything is touched.

    ``quiet_only``: the run only if it is a quiet night whose reports are written (it
    then reads, recomputes and writes nothing but its record); otherwise :class:`SomethingNew`
    is raised and nothing is changed. ``dprecon run`` records such a night this way,
    without starting Prefect, and runs the flow for any other."""
    run_id = run_id or str(uuid.uuid4())
    check_inbox(inbox)  # a missing inbox or register stops the run before anything is read or touched
    details = load_council(inbox, Council(name=council) if council else None)
    started = datetime.now()
    clock = Stopwatch()
    # before anything is touched: an unusable policy stops the run (ConfigError naming the key)
    policy = load_policy(inbox)
    with exclusive(warehouse):
        with clock.lap("scan"):
            scanned = nothing_to_read(inbox, warehouse, reports, as_of) if quiet_only else None
        with clock.lap("copy"):
            con, nxt = open_working_copy(warehouse)
        behind: list[reconcile_mod.WrittenBehind] = []
        try:
            record_council(con, details, inbox)
            pause_point("ingest")
            ingested = step("ingest", partial(ingest_mod.ingest, clock=clock, hash_cache=hash_cache_path(warehouse),
                                              files=scanned),
                            con, inbox, run_id, validate, workers).as_dict()
            log("ingest: {files_seen} files seen, {accepted} accepted, {duplicate} duplicate, "
                "{quarantined} quarantined; {rows_loaded} rows loaded, {rows_quarantined} set aside".format(**ingested))
            warnings = tuple(w for w in [emptied_inbox_warning(ingested["files_seen"], files_last_run(con))] if w)
            for w in warnings:
                log(f"warning: {w}")
            pause_point("reconcile")
            reviews = reviews_mod.load(warehouse)
            drawn = Drawn(letters_record_path(warehouse), reports)
            if quiet_night(con, ingested, as_of, reviews):
                reconciled, flagged = standing_books(con)
                log("nothing new since the last run for this day: the books stand as they are "
                    f"({reconciled}; open exceptions {flagged})")
                # the report stands unless an officer has decided something since it was written
                done = (reports / as_of.isoformat() / "exceptions.html").exists() and not decided_since_last_run(con)
                if quiet_only and not done:
                    raise SomethingNew
                written = [] if done else step("report", report_stage, con, reports, as_of, details, warnings,
                                               drawn)
            elif quiet_only:
                raise SomethingNew
            else:
                # the core tables are written on a thread while the rules judge the books
                books = step("reconcile", partial(reconcile_mod.rebuild_core, clock=clock, behind=behind),
                             con, as_of, policy)
                reconciled = {"transactions": books.txns.height, "invoices": books.invoices.height,
                              "matches": books.matches.height, "budgets": books.budgets.height}
                log(f"reconcile: {reconciled}")
                with clock.lap("rules"):
                    flagged = step("flag", partial(reconcile_mod.raise_exceptions, behind=behind), con, books, reviews)
                log(f"flag: {flagged}")
                log("audit plan and recoveries: {}".format(
                    step("follow up", followup_mod.derive, con, warehouse, as_of, policy)))
                with clock.lap("reports"):
                    written = step("report", report_stage, con, reports, as_of, details, warnings, drawn)
            open_count = int(read(con, "SELECT count(*) AS n FROM core.exceptions WHERE status = 'open'")["n"][0])
            append(con, "land", LAND["runs"], pl.DataFrame([dict(
                run_id=run_id, as_of=as_of, started_at=started, finished_at=datetime.now(),
                status="completed", files_seen=ingested["files_seen"], exceptions_open=open_count,
                code_version=version.code_version(),  # a quiet night's books are this code's too
            )]))
            pause_point("publish")
        except BaseException:
            with contextlib.suppress(Exception):  # the writes end before the connection does
                reconcile_mod.wait_behind(behind)
            con.close()
            raise
        with clock.lap("publish"):
            publish(con, nxt, warehouse)
        if written:
            drawn.save(as_of)
    log(f"seconds by step: {clock.rounded()}")
    return {"run_id": run_id, "as_of": as_of.isoformat(), "ingest": ingested, "seconds": clock.rounded(),
            "reconcile": reconciled, "exceptions": flagged, "reports": written,
            "warehouse": str(warehouse), "warnings": list(warnings)}
