"""Write the expected output of the OFX reader's golden cases.

    uv run python tests/golden/regen_ofx.py            # only cases with no expected files yet
    uv run python tests/golden/regen_ofx.py --force    # overwrite every expected file

Cases: every ``tests/golden/ofx/<case>/input.ofx`` and every real-world file in
``../shared/realworld/ofx`` (expected under ``tests/golden/ofx/realworld/<file>/``).
Expected files are opened in ``"x"`` mode, so an existing one is never
overwritten silently; read the new files before committing them.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from pathlib import Path

from pipelines.model import Parsed
from pipelines.readers.ofx import read_ofx

GOLDEN = Path(__file__).resolve().parent / "ofx"
REALWORLD = Path(__file__).resolve().parents[2].parent / "shared" / "realworld" / "ofx"


def cases() -> dict[str, tuple[Path, Path]]:
    """Case name -> (input file, folder holding its expected files)."""
    out = {p.parent.name: (p, p.parent) for p in sorted(GOLDEN.glob("*/input.ofx"))}
    for p in sorted(REALWORLD.glob("*")):
        if p.is_file() and p.name != "README.md":
            out[f"realworld/{p.name}"] = (p, GOLDEN / "realworld" / p.name)
    return out


def render(parsed: Parsed) -> dict[str, str]:
    """The reader's output as the text of the expected files."""
    lines = parsed.tables.get("statement_lines")
    balances = parsed.tables.get("statement_balances")
    result = {
        "format": parsed.format,
        "file_error": parsed.file_error,
        "notes": parsed.notes,
        "statement_balances": balances.to_dicts() if balances is not None else None,
        "quarantined": [asdict(q) for q in parsed.quarantined],
    }
    return {
        "statement_lines.csv": lines.write_csv() if lines is not None else "",
        "expected.json": json.dumps(result, indent=2, ensure_ascii=False) + "\n",
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--force", action="store_true", help="overwrite existing expected files")
    ap.add_argument("case", nargs="*", help="only these cases (default: all)")
    args = ap.parse_args(argv)
    refused = []
    for name, (source, folder) in cases().items():
        if args.case and name not in args.case:
            continue
        folder.mkdir(parents=True, exist_ok=True)
        for filename, text in render(read_ofx(source.read_bytes(), str(source))).items():
            target = folder / filename
            try:
                with open(target, "w" if args.force else "x", encoding="utf-8", newline="\n") as fh:
                    fh.write(text)
                print(f"wrote {target.relative_to(GOLDEN.parent)}")
            except FileExistsError:
                refused.append(target)
    if refused:
        print(
            f"{len(refused)} expected files already exist and were left alone (--force overwrites)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
