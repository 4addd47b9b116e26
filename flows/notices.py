"""Issue recovery notices once: stage, record, publish.

A recovery (docs/rules.md §7) still owed and not yet told at its current
amount gets a notice (PDF and HTML, ``reports/notices``) under
``REPORTS/issued/<as-of>/notices/<batch>/`` for the post room. Issuing is
three steps, so that neither a killed process nor a rebuilt warehouse ever
sends a notice twice, and none is lost:

1. **stage**: every notice of the batch is written into a hidden folder
   ``.<batch>.staged`` beside where the batch will go;
2. **record** (the commit point): one line naming the batch, its notices and
   both folders is appended to ``notices_issued.jsonl`` beside the warehouse
   (``stores/notices.py``); a line torn by a crash is not a record;
3. **publish**: the staged folder is renamed into place.

Killed before 2, nothing was issued: the next attempt removes the staged
folder and starts again. Killed between 2 and 3, the batch was issued: the
next attempt finishes the rename and issues none of it again.

Example: on 3 March 2026 an officer decides to recover £120.00 on exception
X…; ``dprecon notices issue --as-of 2026-03-03`` writes
``issued/2026-03-03/notices/20260303-…/R1A2B3C4D5E6F.pdf``; running it again
the same day or any later day issues nothing for it.
"""

from __future__ import annotations

import os
import secrets
import shutil
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import date, datetime
from pathlib import Path

import duckdb

from flows.followup import policy_of, refresh
from flows.issuing import one_at_a_time
from flows.job import pause_point
from flows.warehouse import WarehouseBusy
from pipelines.recoveries import OPEN_STATUSES
from reports.council import council_of
from reports.notices.render import fetch_notices, render_notice_files
from schemas.config import ConfigError
from schemas.council import Council
from stores import notices as ledger
from stores.reviews import read_records
from stores.reviews import store_path as reviews_path
from stores.state import fsync_files

STAGED_SUFFIX = ".staged"


def notices_root(reports: Path, as_of: date) -> Path:
    return reports / "issued" / as_of.isoformat() / "notices"


def finish_batches(warehouse: Path, reports: Path, log: Callable[[str], None] = lambda msg: None) -> int:
    """Complete what a killed attempt left: publish recorded batches still staged; remove staged
    folders no batch records (never issued). Returns how many batches were completed."""
    done = 0
    recorded = set()
    for b in ledger.batches(warehouse):
        folder, staged = Path(b.get("folder", "")), Path(b.get("staged", ""))
        recorded.add(staged.name)
        if b.get("staged") and staged.is_dir() and not folder.exists():
            os.replace(staged, folder)
            done += 1
            log(f"notices: batch {b['batch']} was recorded but not yet in place; it is now")
    for left in (reports / "issued").glob(f"*/notices/.*{STAGED_SUFFIX}"):
        if left.name not in recorded:
            shutil.rmtree(left, ignore_errors=True)
    return done


def council_for(con: duckdb.DuckDBPyConnection, inbox: Path | None) -> Council:
    """The council's details: the inbox's ``register/council.yaml`` when there is one, else the warehouse's."""
    if inbox is not None and (inbox / "register" / "council.yaml").is_file():
        from flows.council import load_council

        return load_council(inbox)
    return council_of(con)


def one_issuer(warehouse: Path) -> AbstractContextManager[None]:
    """One issuer at a time (the period-close flow and an officer's command may meet): two would
    each find the same notices due and both send them."""
    return one_at_a_time(ledger.ledger_path(warehouse).with_suffix(".lock"),
                         "recovery notices are being issued by another process right now; "
                         "try again when it has finished")


def issue_notices(warehouse: Path, reports: Path, as_of: date, council: Council | None = None,
                  inbox: Path | None = None, log: Callable[[str], None] = lambda msg: None) -> dict:
    """Issue every notice due (see the module docstring); a recovery by repayment needs the
    council's bank details, and without them nothing is issued (a :class:`ConfigError`).
    Another issuer at work is a :class:`WarehouseBusy`."""
    with one_issuer(warehouse):
        return _issue(warehouse, reports, as_of, council, inbox, log)


def _issue(warehouse: Path, reports: Path, as_of: date, council: Council | None, inbox: Path | None,
           log: Callable[[str], None]) -> dict:
    finished = finish_batches(warehouse, reports, log)
    if not any(r.get("decision") == "recover" for r in read_records(reviews_path(warehouse))):
        log("notices: no officer has asked for money back")
        return {"issued": 0, "already_issued": 0, "completed": finished}
    refresh(warehouse)  # the officers' latest decisions, as recoveries
    done = ledger.issued_keys(warehouse)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        owed = con.execute("SELECT recovery_id, amount, method FROM core.recoveries WHERE list_contains(?, status) "
                           "ORDER BY recovery_id", [list(OPEN_STATUSES)]).fetchall()
        due = [(rid, amount, method) for rid, amount, method in owed if (rid, amount) not in done]
        if not due:
            log(f"notices: nothing to issue ({len(owed)} recovery notice(s) already issued)")
            return {"issued": 0, "already_issued": len(owed), "completed": finished}
        council = council or council_for(con, inbox)
        if council.bank is None and any(method == "repay" for _, _, method in due):
            raise ConfigError("register/council.yaml: bank is not set: a recovery notice must say where to pay "
                              "(bank: {account_name: ..., sort_code: ..., account_number: ...})")
        policy, _ = policy_of(con)
        notices = fetch_notices(con, as_of, council, policy.recovery_due_days, only={rid for rid, _, _ in due})
    batch = f"{as_of:%Y%m%d}-{secrets.token_hex(4)}"
    root = notices_root(reports, as_of)
    final, staged = (root / batch).resolve(), (root / f".{batch}{STAGED_SUFFIX}").resolve()
    root.mkdir(parents=True, exist_ok=True)
    written = render_notice_files(notices, staged)
    fsync_files(written)  # on disk before the ledger says they exist
    pause_point("notices-staged")
    ledger.record_batch(warehouse, {
        "batch": batch, "issued_on": as_of.isoformat(), "issued_at": datetime.now().isoformat(timespec="seconds"),
        "folder": str(final), "staged": str(staged),
        "notices": [{"recovery_id": n.recovery_id, "exception_id": n.exception_id, "budget_id": n.budget_id,
                     "amount": str(n.amount)} for n in notices]})
    pause_point("notices-committed")
    os.replace(staged, final)
    try:
        refresh(warehouse)  # notified_on and due_on, now
    except WarehouseBusy:
        log("notices: a run is under way; the notices will show in the warehouse after it")
    log(f"notices: {len(notices)} recovery notice(s) issued to {final}")
    return {"issued": len(notices), "already_issued": len(owed) - len(due), "folder": str(final),
            "files": len(written), "completed": finished}
