"""The version of the code that writes the books, as each run records it (land.runs.code_version).

A night that brings only statement files keeps the other accounts' matches,
invoice figures and classes from the last completed run (and, on its day, the
other budgets' findings: flows/reconcile.new_statement_accounts). That is only right if the code that
wrote them is tonight's: a release deployed between two runs of one day must
make the second run rebuild every account. So each run records the fingerprint
(schemas/fingerprint.py) of the source that shapes the books (pipelines/,
flows/, schemas/, with the bundled bank CSV profiles) and of the libraries
that compute them, and the narrowed path is taken only when the last completed
run recorded the same one. A warehouse written before the column existed has
none recorded: its next same-date night rebuilds every account.

Example: the 02:00 run of 1 April, code ``a1…``, rebuilds every book; at 09:00
a release goes out and an officer reruns the night with one late statement:
code ``7c…`` ≠ ``a1…``, so every account is matched again, not only that
statement's.
"""

from __future__ import annotations

import functools
import platform
from pathlib import Path

from schemas.fingerprint import code_fingerprint

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ("pipelines", "flows", "schemas")
SUFFIXES = (".py", ".toml", ".yaml", ".sql")
# the libraries whose behaviour reaches the books: frames, the warehouse, the readers, text matching, dates
LIBRARIES = ("polars", "duckdb", "pyarrow", "pandas", "rapidfuzz", "python-dateutil", "pydantic", "pyyaml",
             "ofxparse", "defusedxml", "great-expectations")


def source_files(root: Path = ROOT) -> list[Path]:
    """The source that shapes the books, in a fixed order (compiled files left out)."""
    return sorted(p for folder in SOURCES for p in (root / folder).rglob("*")
                  if p.suffix in SUFFIXES and "__pycache__" not in p.parts and p.is_file())


@functools.cache
def code_version() -> str | None:
    """This code's version (a hex SHA-256), or None when its source cannot be read (then
    no run's rows are taken for this code's)."""
    try:
        files = source_files()
        return code_fingerprint(files, LIBRARIES, root=ROOT,
                                also=[f"python={platform.python_version()}"]) if files else None
    except OSError:
        return None
