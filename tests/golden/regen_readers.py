"""Write the expected output of the CSV, invoice and evidence readers.

    uv run python tests/golden/regen_readers.py            # write only missing files
    uv run python tests/golden/regen_readers.py --force    # overwrite (then review the diff!)
    uv run python tests/golden/regen_readers.py nationwide # only cases whose name has this

Expected files are opened in "x" mode: an existing one is never overwritten
unless --force is given, so a changed reader shows up as a failing test, not
as a silently rewritten golden file. Read every file this writes before
committing it.

Cases (each ``expected.json`` beside its input):

* ``csv/realworld/<stem>/``   the bank exports in shared/realworld/csv/
* ``csv/statements/<case>/input.csv``   statement CSV edge cases
* ``csv/banks/<bank>/input.csv``        a made-up sample of each shipped bank layout
  (``inbox_path.txt`` beside it: the path it is read under, when the account
  comes from the file name or folder)
* ``csv/invoices/<case>/input.csv``     invoice CSV
* ``csv/evidence/<case>/manifest.csv``  an evidence return; the other files in
  the folder (and below it) are the files present
* ``ubl/<case>/input.xml``              UBL invoices and credit notes
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

GOLDEN = Path(__file__).resolve().parent
REPO = GOLDEN.parents[1]
SHARED = REPO.parent / "shared"
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from pipelines.model import Parsed  # noqa: E402
from pipelines.readers.evidence import read_manifest  # noqa: E402
from pipelines.readers.invoices import read_invoice_csv, read_ubl  # noqa: E402
from pipelines.readers.statement_csv import read_statement_csv  # noqa: E402

EXPECTED = "expected.json"


@dataclass(frozen=True)
class Case:
    name: str
    expected: Path
    run: Callable[[], Parsed]


def render(parsed: Parsed) -> dict:
    """Everything a reader returned, as plain JSON-able data."""
    return {
        "format": parsed.format,
        "file_error": parsed.file_error,
        "notes": list(parsed.notes),
        "quarantined": [
            {"line": q.line, "reason": q.reason, "raw": q.raw} for q in parsed.quarantined
        ],
        "tables": {
            name: {
                "schema": {col: str(dtype) for col, dtype in frame.schema.items()},
                "rows": frame.to_dicts(),
            }
            for name, frame in sorted(parsed.tables.items())
        },
    }


def dumps(parsed: Parsed) -> str:
    return json.dumps(render(parsed), indent=2, ensure_ascii=False) + "\n"


def _dirs(folder: Path) -> list[Path]:
    return sorted(d for d in folder.iterdir() if d.is_dir()) if folder.is_dir() else []


def _files_beside(manifest: Path) -> set[str]:
    root = manifest.parent
    return {
        p.relative_to(root).as_posix()
        for p in root.rglob("*")
        if p.is_file() and p.name not in ("manifest.csv", EXPECTED)
    }


def bank_sample_path(folder: Path) -> str:
    """The inbox path a bank sample is read under: ``inbox_path.txt`` beside it
    when the layout takes the account from the file name or its folder."""
    given = folder / "inbox_path.txt"
    if given.exists():
        return given.read_text(encoding="utf-8").strip()
    return f"statements/{folder.name}.csv"


def cases() -> list[Case]:
    out: list[Case] = []
    for f in sorted((SHARED / "realworld" / "csv").glob("*.csv")):
        out.append(
            Case(
                f"csv/realworld/{f.stem}",
                GOLDEN / "csv" / "realworld" / f.stem / EXPECTED,
                lambda f=f: read_statement_csv(f.read_bytes(), f"statements/{f.name}"),
            )
        )
    for d in _dirs(GOLDEN / "csv" / "statements"):
        src = d / "input.csv"
        out.append(
            Case(
                f"csv/statements/{d.name}",
                d / EXPECTED,
                lambda s=src: read_statement_csv(s.read_bytes(), f"statements/{s.parent.name}.csv"),
            )
        )
    for d in _dirs(GOLDEN / "csv" / "banks"):
        src = d / "input.csv"
        out.append(
            Case(
                f"csv/banks/{d.name}",
                d / EXPECTED,
                lambda s=src: read_statement_csv(s.read_bytes(), bank_sample_path(s.parent)),
            )
        )
    for d in _dirs(GOLDEN / "csv" / "invoices"):
        src = d / "input.csv"
        out.append(
            Case(
                f"csv/invoices/{d.name}",
                d / EXPECTED,
                lambda s=src: read_invoice_csv(s.read_bytes(), f"invoices/{s.parent.name}.csv"),
            )
        )
    for d in _dirs(GOLDEN / "csv" / "evidence"):
        src = d / "manifest.csv"
        out.append(
            Case(
                f"csv/evidence/{d.name}",
                d / EXPECTED,
                lambda s=src: read_manifest(
                    s.read_bytes(), f"evidence/{s.parent.name}/manifest.csv", _files_beside(s)
                ),
            )
        )
    for d in _dirs(GOLDEN / "ubl"):
        src = d / "input.xml"
        out.append(
            Case(
                f"ubl/{d.name}",
                d / EXPECTED,
                lambda s=src: read_ubl(s.read_bytes(), f"invoices/{s.parent.name}.xml"),
            )
        )
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "only", nargs="?", default="", help="regenerate only cases whose name contains this"
    )
    ap.add_argument("--force", action="store_true", help="overwrite existing expected files")
    args = ap.parse_args(argv)
    if not (SHARED / "realworld").is_dir():
        print(f"shared/ not found at {SHARED}: the real-world cases need it", file=sys.stderr)
        return 2
    written = kept = 0
    for case in cases():
        if args.only not in case.name:
            continue
        case.expected.parent.mkdir(parents=True, exist_ok=True)
        try:
            with case.expected.open(
                "w" if args.force else "x", encoding="utf-8", newline="\n"
            ) as fh:
                fh.write(dumps(case.run()))
            written += 1
            print(f"wrote {case.name}")
        except FileExistsError:
            kept += 1
            print(f"kept  {case.name} (exists; --force to overwrite)")
    print(f"{written} written, {kept} kept")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
