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
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path

import duckdb

from stores.codes import issue_codes
from stores.reviews import append_record, read_records


def ledger_path(warehouse: Path) -> Path:
    return warehouse.with_name("returns_issued.jsonl")


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
    from reports.council import council_of
    from reports.returns.render import judged_on, render_returns
    from schemas.council import Council

    done = issued(warehouse)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        open_returns = con.execute(
            "SELECT budget_id, period_start FROM audit.evidence_returns "
            "WHERE received_at IS NULL AND period_end < ? ORDER BY 1, 2", [as_of]).fetchall()
        due = [key for key in open_returns if key not in done]
        if not due:
            log(f"period close: nothing to issue ({len(open_returns)} open return(s) already issued)")
            return {"issued": 0, "already_issued": len(open_returns)}
        codes = issue_codes(warehouse, due, datetime.now(), replace=True)  # the letter's code must work
        out = reports / "issued" / as_of.isoformat()
        details = council_of(con, Council(name=council) if council else None)
        written = render_returns(con, out, judged_on(con) or as_of, details, access_codes=codes,
                                 portal_address=details.portal_url or portal_address, only=set(due), dated=as_of)
    stamp = datetime.now().isoformat(timespec="seconds")
    for budget_id, period_start in due:
        append_record(ledger_path(warehouse), {"budget_id": budget_id, "period_start": period_start.isoformat(),
                                               "issued_at": stamp, "folder": str(out), "with_code": bool(codes)})
    log(f"period close: {len(due)} return(s) issued to {out}")
    return {"issued": len(due), "already_issued": len(open_returns) - len(due), "folder": str(out),
            "files": len(written)}
