"""A family's evidence return: ``manifest.csv`` and the files it names.

Each manifest row says what a piece of evidence is for. Worked example, a
return for budget B001's quarter starting 1 April 2025::

    budget_id,period,transaction_ref,evidence_type,file,amount,note
    B001,2025-04-01,T0003,receipt,receipt1.pdf,£12.50,Coffee with a friend
    B001,2025-04-01,T0009,explanation,,,"Cash for the swimming club, paid on the door"

loads two ``evidence_items``: a receipt for £12.50 against transaction T0003
(``file_present`` true when receipt1.pdf is in the folder, false when the
family forgot to attach it) and an explanation, which needs no file.

The caller lists the folder; this reader never opens a file. A ``file`` that
points outside the return folder (``../budgets.csv``, ``/etc/passwd``,
``C:\\receipt.pdf``, a backslash) is refused for that row with a reason, as
is a receipt, invoice, timesheet or payslip that names no file at all.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import PurePosixPath

from pipelines.model import Parsed, Quarantined
from pipelines.readers.contract_csv import contract_rows, csv_records, rows_to_frame
from pipelines.text import decode_text
from schemas.inputs import EVIDENCE_TYPES, evidence_items

FORMAT = "csv:manifest"
UNEXPECTED = "dprecon hit an unexpected problem reading this file"
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def read_manifest(data: bytes, path: str, files_present: set[str]) -> Parsed:
    """Read one manifest; ``files_present`` are the names of the files beside it."""
    try:
        return _read(data, path, files_present)
    except Exception as exc:  # noqa: BLE001 - a bad file must never stop the run
        return Parsed.failed(FORMAT, f"{UNEXPECTED} ({type(exc).__name__})")


def unsafe_file_reason(name: str) -> str | None:
    """Why a manifest's file name may not be followed, or None when it is safe."""
    if ":" in name:
        return "names a drive or a web address"
    if "\\" in name:
        return "uses a backslash"
    if name.startswith("/"):
        return "is an absolute path"
    if ".." in PurePosixPath(name).parts:
        return "climbs out of the folder with '..'"
    if _CONTROL.search(name):
        return "contains control characters"
    return None


def _read(data: bytes, path: str, files_present: set[str]) -> Parsed:
    text, charset = decode_text(data)
    records = csv_records(text)  # read once: for the rows, and for a refused row's line as written
    parsed, read = contract_rows(
        records, charset, evidence_items, format=FORMAT, defaults={"file_present": "false"}
    )
    if parsed.file_error:
        return parsed
    raw_lines = {line: ",".join(cells) for line, cells in records}
    present = {_tidy(f): f for f in files_present}
    folded = {k.casefold(): v for k, v in present.items()}
    rows = []
    for row in read:
        line = row["source_line"]
        kind = row["evidence_type"]
        if kind and kind.strip().lower() in EVIDENCE_TYPES:
            kind = row["evidence_type"] = kind.strip().lower()
        name = row["file"]
        if name is None:
            if kind != "explanation":
                parsed.quarantined.append(
                    Quarantined(
                        line,
                        f"this {kind or 'evidence'} row names no file; only an explanation can be given without one",
                        raw_lines.get(line, ""),
                    )
                )
                continue
            row["file_present"] = "false"
            rows.append(row)
            continue
        problem = _unsafe(name)
        if problem:
            parsed.quarantined.append(
                Quarantined(
                    line,
                    f"the file name '{name}' {problem}; files must be named as they sit in the "
                    "return folder, e.g. receipt1.pdf",
                    raw_lines.get(line, ""),
                )
            )
            continue
        key = _tidy(name)
        if key in present:
            row["file_present"] = "true"
        elif key.casefold() in folded:
            row["file_present"] = "true"
            parsed.notes.append(
                f"line {line}: {name} found as {folded[key.casefold()]} (capitals differ)"
            )
        else:
            row["file_present"] = "false"
        rows.append(row)
    parsed.tables[evidence_items.name] = rows_to_frame(evidence_items, rows)
    return parsed


def _tidy(name: str) -> str:
    """``./receipts//r1.pdf`` and ``receipts/r1.pdf`` are the same file."""
    return _tidied(name) if len(name) <= _REMEMBERED else _tidied.__wrapped__(name)


def _unsafe(name: str) -> str | None:
    return _unsafe_reason(name) if len(name) <= _REMEMBERED else unsafe_file_reason(name)


# A council's returns name the same few files (receipt1.pdf, timesheet.pdf) thousands of
# times, and each PurePosixPath costs more than the rest of the row: the answers for names
# of a file name's length are remembered (a damaged manifest's megabyte cell is not).
_REMEMBERED = 255


@lru_cache(maxsize=8192)
def _tidied(name: str) -> str:
    return PurePosixPath(name.strip()).as_posix()


_unsafe_reason = lru_cache(maxsize=8192)(unsafe_file_reason)
