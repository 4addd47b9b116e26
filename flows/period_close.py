"""Period close: issue each family's evidence return once, when its monitoring period has ended.

The nightly report keeps an officers' copy of every return still outstanding
under ``REPORTS/<as-of>/returns/``. Issuing is different: it happens once per
return, the letter carries the family's one-time access code for the portal
(stored only hashed, so it can be printed only now), and it is recorded in
``returns_issued.jsonl`` beside the warehouse: input, not derived state, so a
rebuilt warehouse cannot make the council post a letter twice. Letters go to
``REPORTS/issued/<as-of>/returns/`` for the post room.

Example: the quarter 1 January–31 March closes; the first run on or after
1 April issues ``DP000011-1_2026-01-01.pdf`` with its code; the next day's run
issues nothing for it again.

Codes, letters and ledger change together, as one step:

1. the codes are made in memory and the letters written, with them, into a
   hidden folder beside the post room's (``issued/.<as-of>.partial-…``),
   while other threads hash the codes (scrypt, a core's worth of work each);
   nothing anyone uses has changed yet;
2. a journal, ``returns_issued.pending.json`` beside the ledger, is written
   atomically: the hidden folder, the codes' hashes (never the codes) and the
   ledger's new records. Its appearance is the moment of issue;
3. the journal is carried out: codes stored (one SQLite transaction), letters
   moved into the post room's folder, records appended, journal deleted.
   Each part can be done twice without harm.

A close killed before step 2 left only a hidden folder, which the next close
removes: no code was stored and no letter reached the post room, so issuing
them afresh invalidates nothing. Killed after step 2, the next close first
finishes the journal, with the same codes as the letters it moves, then finds
nothing left to issue. A full disk fails the close with a plain message and
leaves no cut-off letter. Two closes at once: the second is refused.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import date, datetime
from pathlib import Path

import duckdb

from flows.issuing import one_at_a_time
from flows.warehouse import RunFailed, _cannot_write, _os_error
from stores.codes import draft_codes, hashing, store_codes
from stores.reviews import append_record, read_records
from stores.state import fsync_dir, fsync_files, write_atomic


def ledger_path(warehouse: Path) -> Path:
    return warehouse.with_name("returns_issued.jsonl")


def journal_path(warehouse: Path) -> Path:
    return warehouse.with_name("returns_issued.pending.json")


def issued(warehouse: Path) -> set[tuple[str, date]]:
    out = set()
    for r in read_records(ledger_path(warehouse)):
        try:
            out.add((r["budget_id"], date.fromisoformat(r["period_start"])))
        except (ValueError, KeyError, TypeError):
            continue  # not a record this store writes: that letter was never recorded
    return out


def issue_returns(warehouse: Path, reports: Path, as_of: date, council: str | None = None,
                  log: Callable[[str], None] = lambda msg: None, portal_address: str = "") -> dict:
    """``council`` and ``portal_address`` are fallbacks for a warehouse without council.yaml's details.
    Letters are dated ``as_of`` and judge "overdue" from the as-of date of the run whose figures they print."""
    with closing(warehouse):
        finished = recover(warehouse, reports)
        if finished:
            log(f"period close: finished issuing {finished} return(s) an interrupted close had begun")
        done = issued(warehouse)
        with duckdb.connect(str(warehouse), read_only=True) as con:
            open_returns = con.execute(
                "SELECT budget_id, period_start FROM audit.evidence_returns "
                "WHERE received_at IS NULL AND period_end < ? ORDER BY 1, 2", [as_of]).fetchall()
            due = [key for key in open_returns if key not in done]
            if not due:
                log(f"period close: nothing to issue ({len(open_returns)} open return(s) already issued)")
                return {"issued": 0, "already_issued": len(open_returns)}
            # replace: a return not in the ledger never had a letter, and this letter's code must work
            drafts = draft_codes(warehouse, due, datetime.now(), replace=True)
            final = reports / "issued" / as_of.isoformat()
            with hashing(drafts) as hashed:  # the codes' hashes are made on other threads while the letters render
                staged, written = stage_letters(con, final, as_of, council, portal_address, due,
                                                {(d.budget_id, d.period_start): d.code for d in drafts})
                try:
                    made = hashed()
                except BaseException:
                    shutil.rmtree(staged, ignore_errors=True)
                    raise
        stamp = datetime.now().isoformat(timespec="seconds")
        journal = {"staged": str(staged.resolve()), "final": str(final.resolve()), "codes": [m.stored() for m in made],
                   "ledger": [{"budget_id": b, "period_start": p.isoformat(), "issued_at": stamp,
                               "folder": str(final), "with_code": bool(made)} for b, p in due]}
        try:
            write_atomic(journal_path(warehouse), json.dumps(journal, indent=1).encode("utf-8"))
        except OSError as e:
            shutil.rmtree(staged, ignore_errors=True)
            journal_path(warehouse).unlink(missing_ok=True)
            raise RunFailed(_cannot_write("the period close's journal", journal_path(warehouse), e)) from e
        carry_out(warehouse, journal)
    log(f"period close: {len(due)} return(s) issued to {final}")
    return {"issued": len(due), "already_issued": len(open_returns) - len(due), "folder": str(final),
            "files": len(written)}


def closing(warehouse: Path) -> AbstractContextManager[None]:
    """One period close at a time (a lock file beside the ledger)."""
    return one_at_a_time(warehouse.with_name("returns_issued.lock"),
                         "another period close is issuing letters right now; try again when it has finished")


def stage_letters(con: duckdb.DuckDBPyConnection, final: Path, as_of: date, council: str | None, portal_address: str,
                  due: list[tuple[str, date]], codes: dict[tuple[str, date], str]) -> tuple[Path, list[Path]]:
    """Write the letters, whole and on disk, into a hidden folder beside ``final``."""
    from reports.council import council_of
    from reports.returns.render import judged_on, render_returns
    from schemas.council import Council

    staged = final.parent / f".{final.name}.partial-{os.getpid()}-{secrets.token_hex(4)}"
    try:
        staged.mkdir(parents=True)
        details = council_of(con, Council(name=council) if council else None)
        written = render_returns(con, staged, judged_on(con) or as_of, details, access_codes=codes,
                                 portal_address=details.portal_url or portal_address, only=set(due), dated=as_of)
        fsync_files(written)
        fsync_dir(staged / "returns")
    except Exception as e:
        shutil.rmtree(staged, ignore_errors=True)
        cause = _os_error(e)
        if cause is None:
            raise
        raise RunFailed(_cannot_write("the letters", final, cause)) from e
    return staged, written


def carry_out(warehouse: Path, journal: dict) -> int:
    """Codes, then letters, then ledger, then the journal goes; each part safe to do again."""
    try:
        store_codes(warehouse, journal["codes"])
        move_letters(Path(journal["staged"]), Path(journal["final"]))
        recorded = issued(warehouse)
        for record in journal["ledger"]:
            if (record["budget_id"], date.fromisoformat(record["period_start"])) not in recorded:
                append_record(ledger_path(warehouse), record)
        journal_path(warehouse).unlink()
        fsync_dir(warehouse.parent)
    except OSError as e:
        raise RunFailed(_cannot_write("the issued returns", Path(journal["final"]), e)
                        + "; the letters already issued keep their codes, and the next close finishes recording "
                        "them") from e
    return len(journal["ledger"])


def move_letters(staged: Path, final: Path) -> None:
    """The staged letters into the post room's folder: the whole folder in one rename when it is new,
    else letter by letter (an earlier close today already has letters there)."""
    if not staged.exists():
        return  # moved already
    if not final.exists():
        os.rename(staged, final)
        fsync_dir(final.parent)
        return
    (final / "returns").mkdir(parents=True, exist_ok=True)
    for path in sorted((staged / "returns").glob("*")):
        os.rename(path, final / "returns" / path.name)
    fsync_dir(final / "returns")
    shutil.rmtree(staged)


def recover(warehouse: Path, reports: Path) -> int:
    """Finish a journal an interrupted close left; drop hidden folders no journal names. Returns how many
    returns the journal finished issuing."""
    journal = None
    with contextlib.suppress(FileNotFoundError):
        journal = json.loads(journal_path(warehouse).read_text(encoding="utf-8"))
    keep = Path(journal["staged"]).resolve() if journal else None
    for left in (reports / "issued").glob(".*.partial-*"):
        if left.resolve() != keep:
            shutil.rmtree(left, ignore_errors=True)
    return carry_out(warehouse, journal) if journal else 0
