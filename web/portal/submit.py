"""Sending a return: the draft becomes a folder in ``INBOX/evidence/`` in the contract's layout.

Example: budget DP000011-1's quarter from 1 January 2026, sent on 3 February
at 10:15 with a photo for payment E1A2B3C4 (£42.00), an explanation for
E5D6C7B8 (£20.00) and the outcome answers, becomes::

    evidence/DP000011-1_2026-01-01_portal_20260203T101500Z/
      manifest.csv
      E1A2B3C4-1.jpg

    budget_id,period,transaction_ref,evidence_type,file,amount,note,submitted_on
    DP000011-1,2026-01-01,E1A2B3C4,receipt,E1A2B3C4-1.jpg,42.00,,2026-02-03
    DP000011-1,2026-01-01,E5D6C7B8,explanation,,20.00,Paid the window cleaner in cash,2026-02-03
    DP000011-1,2026-01-01,,explanation,,,How the support is going: daily living: got better. ...,2026-02-03

``submitted_on`` (a column the evidence reader accepts beyond the contract)
makes the return count as received on the day the family sent it, whenever
the intake gets to it. File names are made here from the payment reference
and the type the content showed, never from what the family's device called
the file. The folder is built under a hidden temporary name (the inbox scan
skips names starting with a dot) and renamed into place in one step, so the
intake sees the whole return or nothing. Its name is chosen (and kept in the
draft) before it is written, so a send interrupted and retried writes the
same folder, once.
"""

from __future__ import annotations

import csv
import io
import os
import re
import secrets
import shutil
from datetime import datetime
from decimal import Decimal
from pathlib import Path

from reports.returns.letter import Letter, outcome_words
from reports.returns.render import safe_stem
from reports.safety import defuse
from stores.state import fsync_dir
from web.portal import uploads
from web.portal.drafts import ANSWERS, Draft

HEADER = ["budget_id", "period", "transaction_ref", "evidence_type", "file", "amount", "note", "submitted_on"]


def safe_ref(ref: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]", "_", ref)[:40] or "payment"


def outcomes_note(draft: Draft) -> str:
    parts = [f"{outcome_words(d)}: {ANSWERS.get(a, a).lower()}" for d, a in draft.outcomes.items()]
    note = ("How the support is going: " + "; ".join(parts) + ".") if parts else ""
    if draft.anything_else:
        note = (note + " " if note else "") + "Anything else: " + draft.anything_else
    return note


def manifest_rows(draft: Draft, letter: Letter | None, sent: datetime) -> tuple[list[list[str]], dict[str, str]]:
    """The manifest's rows and, for each upload id, the file name it gets in the folder."""
    amounts: dict[str, Decimal] = {p.reference: p.amount for p in (letter.payments if letter else [])}
    order = [p.reference for p in (letter.payments if letter else [])]
    refs = [r for r in order if r in draft.items] + sorted(r for r in draft.items if r not in order)
    day, period, budget = sent.date().isoformat(), draft.period_start, draft.budget_id
    rows: list[list[str]] = []
    names: dict[str, str] = {}
    for ref in refs:
        item = draft.items[ref]
        amount = f"{amounts[ref]:.2f}" if ref in amounts else ""
        for n, f in enumerate(item.files, start=1):
            names[f.id] = f"{safe_ref(ref)}-{n}.{f.ext}"
            rows.append([budget, period, ref, f.kind, names[f.id], amount, "", day])
        if item.explanation:
            rows.append([budget, period, ref, "explanation", "", amount, item.explanation, day])
    note = outcomes_note(draft)
    if note:
        rows.append([budget, period, "", "explanation", "", "", note, day])
    return rows, names


NOTE = HEADER.index("note")


def manifest_bytes(rows: list[list[str]]) -> bytes:
    """The manifest as CSV; what the family typed (the note) is defused, as in every CSV we write.

    The other cells are ours or the bank's identifiers (references, file names
    made from them, dates, amounts) and must read back exactly as written."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(HEADER)
    w.writerows([[defuse(cell) if i == NOTE else cell for i, cell in enumerate(row)] for row in rows])
    return buf.getvalue().encode("utf-8")


def folder_name(draft: Draft, sent: datetime) -> str:
    """The name the return's folder will have: budget, period, when sent, and a random tail (two sends in
    one second, of two returns, never share a name)."""
    stamp = sent.strftime("%Y%m%dT%H%M%SZ")
    return f"{safe_stem(draft.budget_id)}_{draft.period_start}_portal_{stamp}~{secrets.token_hex(3)}"


def settled(inbox: Path, draft: Draft) -> bool:
    """Whether the folder this draft was being sent as is in the inbox (the send got that far)."""
    return bool(draft.folder) and (inbox / "evidence" / draft.folder).is_dir()


def abandon(inbox: Path, draft: Draft) -> None:
    """Remove what a killed send of this draft left under its hidden name (the inbox never saw it)."""
    if draft.folder:
        shutil.rmtree(inbox / "evidence" / f".portal-{draft.folder}", ignore_errors=True)


def write_return(inbox: Path, uploads_dir: Path, draft: Draft, letter: Letter | None, sent: datetime,
                 name: str | None = None) -> str:
    """Write the return into ``inbox/evidence/`` atomically as ``name`` (default: a new name); returns it.
    A folder of that name already there is this return, sent before: it is not written again."""
    rows, names = manifest_rows(draft, letter, sent)
    if not rows:
        raise ValueError("an empty return")
    evidence = inbox / "evidence"
    evidence.mkdir(parents=True, exist_ok=True)
    final = evidence / (name or folder_name(draft, sent))
    if final.exists():
        return final.name
    tmp = evidence / f".portal-{final.name}"
    shutil.rmtree(tmp, ignore_errors=True)  # what a killed attempt at this very return left
    tmp.mkdir(mode=0o750)
    try:
        for item in draft.items.values():
            for f in item.files:
                _copy(uploads.path_of(uploads_dir, f.id), tmp / names[f.id])
        with (tmp / "manifest.csv").open("wb") as out:
            out.write(manifest_bytes(rows))
            out.flush()
            os.fsync(out.fileno())
        fsync_dir(tmp)
        os.rename(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    fsync_dir(evidence)
    return final.name


def _copy(src: Path, dst: Path) -> None:
    with src.open("rb") as i, dst.open("xb") as o:
        shutil.copyfileobj(i, o)
        o.flush()
        os.fsync(o.fileno())
