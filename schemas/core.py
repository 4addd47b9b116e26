"""The one way a table is declared: columns with logical types, a grain and a key.

Everything else is derived from a :class:`Table`:

* ``polars_schema()`` – the typed frame the pipelines work on;
* ``text_schema()``   – the all-text frame a reader produces (every value as it
  appeared in the file, already normalised to the contract's spelling);
* ``duckdb_ddl()``    – the warehouse table;
* ``expectations()``  – a declarative list that ``schemas.expectations`` turns
  into a Great Expectations suite.

Money is ``Decimal(18, 2)`` in Polars and ``DECIMAL(18,2)`` in DuckDB. A
quantity such as 2.5 hours is ``Decimal(18, 4)``. No float types exist here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

import polars as pl

from schemas.money import MONEY_DTYPE, QUANTITY_DTYPE


class Kind(StrEnum):
    TEXT = "text"
    MONEY = "money"  # pounds, two decimals
    QUANTITY = "quantity"  # units, hours, weeks: exact, four decimals
    DATE = "date"
    TIMESTAMP = "timestamp"
    INT = "int"
    BOOL = "bool"


FILE_ID = "file_id"  # the lineage column naming the file a row came from

_POLARS = {
    Kind.TEXT: pl.String,
    Kind.MONEY: MONEY_DTYPE,
    Kind.QUANTITY: QUANTITY_DTYPE,
    Kind.DATE: pl.Date,
    Kind.TIMESTAMP: pl.Datetime("us"),
    Kind.INT: pl.Int64,
    Kind.BOOL: pl.Boolean,
}
_DUCKDB = {
    Kind.TEXT: "VARCHAR",
    Kind.MONEY: "DECIMAL(18,2)",
    Kind.QUANTITY: "DECIMAL(18,4)",
    Kind.DATE: "DATE",
    Kind.TIMESTAMP: "TIMESTAMP",
    Kind.INT: "BIGINT",
    Kind.BOOL: "BOOLEAN",
}
# How a value of each kind must be spelled in a text frame (after a reader has
# normalised it). Readers leave what they cannot normalise untouched so that
# validation quarantines it with the original text in view.
TEXT_PATTERNS = {
    Kind.MONEY: r"^-?[0-9]{1,16}(?:\.[0-9]{1,2})?$",
    Kind.QUANTITY: r"^-?[0-9]{1,14}(?:\.[0-9]{1,4})?$",
    Kind.DATE: r"^[0-9]{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|3[01])$",
    Kind.INT: r"^-?[0-9]{1,18}$",
    Kind.BOOL: r"^(?i:true|false|yes|no|y|n|1|0)$",
}
KIND_WORDS = {
    Kind.MONEY: "an amount in pounds such as 1234.50",
    Kind.QUANTITY: "a number such as 2.5",
    Kind.DATE: "a date written YYYY-MM-DD",
    Kind.INT: "a whole number",
    Kind.BOOL: "true or false",
}


@dataclass(frozen=True)
class Column:
    name: str
    kind: Kind = Kind.TEXT
    required: bool = True
    allowed: tuple[str, ...] | None = None
    unique: bool = False
    pattern: str | None = None  # extra rule on the text form
    doc: str = ""

    @property
    def polars_dtype(self) -> pl.DataType:
        return _POLARS[self.kind]

    @property
    def duckdb_type(self) -> str:
        return _DUCKDB[self.kind]


@dataclass(frozen=True)
class Table:
    name: str
    grain: str
    columns: tuple[Column, ...]
    key: tuple[str, ...] = ()
    doc: str = ""
    lineage: bool = True  # carries source_path / source_line
    extra: tuple[Column, ...] = field(default=())

    def __post_init__(self) -> None:
        names = [c.name for c in self.all_columns]
        if len(names) != len(set(names)):
            raise ValueError(f"{self.name}: duplicate column names")
        for k in self.key:
            if k not in names:
                raise ValueError(f"{self.name}: key column {k} not declared")

    @property
    def all_columns(self) -> tuple[Column, ...]:
        return self.columns + self.extra

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.all_columns]

    def column(self, name: str) -> Column:
        for c in self.all_columns:
            if c.name == name:
                return c
        raise KeyError(f"{self.name} has no column {name}")

    def polars_schema(self) -> dict[str, pl.DataType]:
        return {c.name: c.polars_dtype for c in self.all_columns}

    def text_schema(self) -> dict[str, pl.DataType]:
        """The all-text frame a reader emits for this input (plus source_line)."""
        schema: dict[str, pl.DataType] = {c.name: pl.String for c in self.columns}
        schema["source_line"] = pl.Int64
        return schema

    def key_constraint(self) -> str | None:
        """The key as DuckDB enforces it: a PRIMARY KEY when every key column is
        required, else UNIQUE (a missing optional part is then never a clash)."""
        if not self.key:
            return None
        quoted = ", ".join(f'"{k}"' for k in self.key)
        required = all(self.column(k).required for k in self.key)
        return f"{'PRIMARY KEY' if required else 'UNIQUE'} ({quoted})"

    def duckdb_ddl(self, schema: str) -> str:
        parts = [
            f'"{c.name}" {c.duckdb_type}{"" if not c.required else " NOT NULL"}'
            for c in self.all_columns
        ]
        if self.key_constraint():
            parts.append(self.key_constraint())
        cols = ",\n  ".join(parts)
        return f"CREATE TABLE IF NOT EXISTS {schema}.{self.name} (\n  {cols}\n)"

    def empty(self) -> pl.DataFrame:
        return pl.DataFrame(schema=self.polars_schema())

    def empty_text(self) -> pl.DataFrame:
        return pl.DataFrame(schema=self.text_schema())

    def expectations(self) -> list[dict]:
        """Declarative expectations on the text form, in Great Expectations' words.

        Each item: ``{"type": <GX expectation class name>, "kwargs": {...},
        "reason": <what a finance officer reads when a row fails>}``.
        """
        out: list[dict] = []
        for c in self.columns:
            label = c.name.replace("_", " ")
            if c.required:
                out.append(
                    {
                        "type": "ExpectColumnValuesToNotBeNull",
                        "kwargs": {"column": c.name},
                        "reason": f"{label} is missing",
                    }
                )
            pattern = c.pattern or TEXT_PATTERNS.get(c.kind)
            if pattern:
                words = KIND_WORDS.get(c.kind, "in the expected form")
                out.append(
                    {
                        "type": "ExpectColumnValuesToMatchRegex",
                        "kwargs": {"column": c.name, "regex": pattern},
                        "reason": f"{label} should be {words}",
                    }
                )
            if c.allowed:
                out.append(
                    {
                        "type": "ExpectColumnValuesToBeInSet",
                        "kwargs": {"column": c.name, "value_set": list(c.allowed)},
                        "reason": f"{label} must be one of: {', '.join(c.allowed)}",
                    }
                )
            if c.unique:
                out.append(
                    {
                        "type": "ExpectColumnValuesToBeUnique",
                        "kwargs": {"column": c.name},
                        "reason": f"{label} appears more than once in the file",
                    }
                )
        if self.key and not (len(self.key) == 1 and self.column(self.key[0]).unique):
            # the key within one file (``file_id`` is the file a row came from):
            # the same plan line twice in plan_lines.csv is two answers to one question
            words = ", ".join(k.replace("_", " ") for k in self.key)
            out.append(
                {
                    "type": "ExpectCompoundColumnsToBeUnique",
                    "kwargs": {"column_list": [FILE_ID, *self.key], "ignore_row_if": "any_value_is_missing"},
                    "reason": f"the same {words} appears more than once in the file",
                }
            )
        return out
