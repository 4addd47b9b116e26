"""What the statements themselves say: the days they cover and whether their
running balances follow line to line (docs/rules.md, statement coverage).

Example: a monthly prepaid-card feed whose lines run from 1 to 30 April
covers 1–30 April for every card that appears in it, even a card whose own
lines stop on 20 April.

Statements whose running balances follow on cover the days between them: May's
last line leaves £1,512.23 and June's first line (−£69.60) leaves £1,442.63, so
no money moved between 19 May and 13 June, and those days are not a gap,
though neither file's lines reach them.
"""

from __future__ import annotations

import polars as pl

from schemas.money import MONEY_DTYPE

COVERAGE_SCHEMA = {"account_id": pl.String, "start_date": pl.Date, "end_date": pl.Date}
# the columns of the lines the checks below read: they filter and sort only these, not
# every column of land.statement_lines (payees, memos, paths: most of its memory)
FOLLOW_ON_COLUMNS = ("file_id", "account_id", "date", "amount", "balance", "source_line")
BREAK_COLUMNS = (*FOLLOW_ON_COLUMNS, "transaction_id", "source_path")


def _only(lines: pl.DataFrame, columns: tuple[str, ...]) -> pl.DataFrame:
    """``lines`` narrowed to ``columns`` (those it has): a selection, not a copy."""
    return lines.select([c for c in columns if c in lines.columns])


def statement_coverage(lines: pl.DataFrame, balances: pl.DataFrame, formats: pl.DataFrame) -> pl.DataFrame:
    """``lines``/``balances``: land rows with file_id; ``formats``: file_id, format."""
    ofx_files = formats.filter(pl.col("format").str.starts_with("ofx"))["file_id"].implode()
    declared = balances.filter(pl.col("file_id").is_in(ofx_files)).select(
        "file_id", "account_id", "start_date", "end_date")
    # OFX without DTSTART/DTEND, and every other file: the span of its lines
    span = lines.group_by("file_id").agg(pl.col("date").min().alias("start_date"), pl.col("date").max().alias("end_date"))
    accounts = lines.select("file_id", "account_id").unique()
    spans = accounts.join(span, on="file_id").join(
        declared.select("file_id", "account_id"), on=["file_id", "account_id"], how="anti")
    cols = list(COVERAGE_SCHEMA)
    others = _only(lines, FOLLOW_ON_COLUMNS).filter(~pl.col("file_id").is_in(ofx_files))
    cov = pl.concat([declared.select(cols).cast(COVERAGE_SCHEMA), spans.select(cols).cast(COVERAGE_SCHEMA),
                     balances_follow_on(others)]).drop_nulls()
    return cov.unique().sort("account_id", "start_date", "end_date")


def _in_time_order(lines: pl.DataFrame) -> pl.DataFrame:
    """Each file's lines oldest first (some banks list newest first)."""
    direction = lines.group_by("file_id").agg(
        (pl.col("date").sort_by("source_line").first() > pl.col("date").sort_by("source_line").last()).alias("newest_first"))
    return lines.join(direction, on="file_id").with_columns(
        pl.when(pl.col("newest_first")).then(-pl.col("source_line")).otherwise(pl.col("source_line")).alias("__order")
    ).sort("file_id", "account_id", "date", "__order")


def balances_follow_on(lines: pl.DataFrame) -> pl.DataFrame:
    """The days between two of an account's statements whose running balances follow
    on (the later one's first balance less its amount is the earlier one's last
    balance): nothing moved in them, so they are covered."""
    if not {"balance", "amount", "source_line"} <= set(lines.columns):
        return pl.DataFrame(schema=COVERAGE_SCHEMA)
    has = _only(lines, FOLLOW_ON_COLUMNS).filter(pl.col("balance").is_not_null())
    if has.height == 0:
        return pl.DataFrame(schema=COVERAGE_SCHEMA)
    ends = _in_time_order(has).group_by("file_id", "account_id").agg(
        pl.col("date").first().alias("first_date"), pl.col("date").last().alias("last_date"),
        (pl.col("balance").first() - pl.col("amount").first()).alias("opening"),
        pl.col("balance").last().alias("closing"))
    chained = ends.sort("account_id", "first_date", "last_date").with_columns(
        pl.col("last_date").shift(1).over("account_id").alias("prev_last"),
        pl.col("closing").shift(1).over("account_id").alias("prev_closing"))
    found = chained.filter(pl.col("prev_last").is_not_null() & (pl.col("first_date") > pl.col("prev_last"))
                           & (pl.col("opening") == pl.col("prev_closing")))
    return found.select("account_id", pl.col("prev_last").alias("start_date"),
                        pl.col("first_date").alias("end_date")).cast(COVERAGE_SCHEMA)


def balance_breaks(lines: pl.DataFrame, quarantined: pl.DataFrame | None = None) -> pl.DataFrame:
    """Lines whose running balance is not the previous line's balance plus their amount.

    A line set aside in quarantine between the two explains the jump (its money
    is missing for a reason already on record), so that pair is not a break.
    ``quarantined``: file_id, line.
    """
    has = lines.select(BREAK_COLUMNS).filter(pl.col("balance").is_not_null())
    if has.height == 0:
        return pl.DataFrame(schema={"account_id": pl.String, "date": pl.Date, "difference": MONEY_DTYPE,
                                    "transaction_id": pl.String, "source_path": pl.String, "source_line": pl.Int64})
    # files may list newest first: put each file's lines in time order
    direction = has.group_by("file_id").agg(
        (pl.col("date").sort_by("source_line").first() > pl.col("date").sort_by("source_line").last()).alias("newest_first"))
    has = has.join(direction, on="file_id").with_columns(
        pl.when(pl.col("newest_first")).then(-pl.col("source_line")).otherwise(pl.col("source_line")).alias("__order"))
    ordered = has.sort("file_id", "account_id", "date", "__order").with_columns(
        pl.col("balance").shift(1).over("file_id", "account_id").alias("prev"),
        pl.col("source_line").shift(1).over("file_id", "account_id").alias("prev_line"))
    ordered = ordered.with_columns((pl.col("balance") - pl.col("prev") - pl.col("amount")).alias("difference"))
    found = ordered.filter(pl.col("prev").is_not_null() & (pl.col("difference") != 0))
    if quarantined is not None and quarantined.height and found.height:
        skipped: dict[str, list[int]] = {}
        for f, line in quarantined.drop_nulls().select("file_id", "line").iter_rows():
            skipped.setdefault(f, []).append(line)
        explained = [any(min(a, b) < q < max(a, b) for q in skipped.get(f, ()))
                     for f, a, b in found.select("file_id", "prev_line", "source_line").iter_rows()]
        found = found.filter(~pl.Series(explained, dtype=pl.Boolean))
    return found.select(
        "account_id", "date", pl.col("difference").cast(MONEY_DTYPE), "transaction_id", "source_path", "source_line")
