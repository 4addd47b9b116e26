"""What every reader returns: rows that parsed, and what it set aside.

Errors are data. A reader never raises on bad input: a row it cannot read
becomes a :class:`Quarantined` item with the line and a reason a finance
officer understands; a file it cannot read at all comes back with
``file_error`` set and no rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl


@dataclass(frozen=True)
class Quarantined:
    line: int | None  # None: the whole file
    reason: str
    raw: str = ""


@dataclass
class Parsed:
    """One file's worth of text-form rows, per target table name."""

    format: str  # e.g. "ofx1", "ofx2", "csv:generic", "csv:nationwide_statement", "ubl"
    tables: dict[str, pl.DataFrame] = field(default_factory=dict)
    quarantined: list[Quarantined] = field(default_factory=list)
    file_error: str | None = None
    notes: list[str] = field(default_factory=list)  # repairs made (charset used, ids made up)

    @classmethod
    def failed(cls, format: str, reason: str) -> Parsed:
        return cls(format=format, file_error=reason)

    @property
    def rows(self) -> int:
        return sum(df.height for df in self.tables.values())
