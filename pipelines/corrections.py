"""Corrections: one bank transaction sent again with different content.

A transaction is known by its account and the bank's id (OFX ``FITID``, the
CSV ``transaction_id``). Statements overlap, so the same transaction arrives
many times, and usually word for word: that is the same money, counted once.
Sometimes a bank re-sends it *changed* (an amount put right, a payee name
completed): that is a correction. The rule (contract §1, statements):

* the version on the **later statement** stands: statements are ordered by
  the date they run to (OFX ``DTEND``; for a CSV, the last date in the file),
  then by the order they arrived;
* every version stays in ``land.statement_lines`` with its file and line, and
  the standing row keeps the lineage of the first file that showed it;
* the ingest log of the file that brought a change says what changed.

Example: the April statement (to 30 April) has FITID ``T-77`` at −£40.00;
the May statement (to 31 May) lists ``T-77`` again at −£45.00. −£45.00
stands and the May file's log reads "corrects 1 transaction(s) loaded from
statements/april.ofx: T-77 amount -£40.00 → -£45.00". If a re-download of
April arrives *after* May, −£45.00 still stands (May runs later) and the
re-download's log says it carries an earlier version.

Ids a reader made up from a line's content (``id_source = content``) change
whenever the content does, so they never look like corrections.
"""

from __future__ import annotations

from collections import Counter, defaultdict

import polars as pl

from pipelines.rules import gbp

KEY = ("account_id", "transaction_id")
CONTENT = ("date", "amount", "payee", "memo", "trntype", "mcc")
NOTE_EXAMPLES = 5  # transactions named in one log note; the rest are counted

CORRECTIONS_SCHEMA = {
    "account_id": pl.String,
    "transaction_id": pl.String,
    "changes": pl.String,
    "was_path": pl.String,
    "was_line": pl.Int64,
    "now_path": pl.String,
    "now_line": pl.Int64,
}


def new_transactions(incoming: pl.DataFrame, known: pl.DataFrame) -> Counter[str]:
    """Per file (file_id), how many of its transactions were not known before
    (``known``: the account_id, transaction_id pairs already in land). A
    transaction in two new files counts for the first; a correction is not new."""
    fresh = incoming.join(known, on=list(KEY), how="anti").unique(list(KEY), keep="first", maintain_order=True)
    return Counter(fresh["file_id"].to_list())


def statement_dates(lines: pl.DataFrame, balances: pl.DataFrame) -> pl.DataFrame:
    """``(file_id, account_id, statement_date)``: the date each file's statement of an
    account runs to: what the statement declares (OFX ``DTEND``), else its last line."""
    from_lines = lines.group_by("file_id", "account_id").agg(pl.col("date").max().alias("__last"))
    if balances.height:
        declared = balances.group_by("file_id", "account_id").agg(pl.col("end_date").max().alias("__end"))
        from_lines = from_lines.join(declared, on=["file_id", "account_id"], how="left")
    else:
        from_lines = from_lines.with_columns(pl.lit(None, pl.Date).alias("__end"))
    return from_lines.select("file_id", "account_id",
                             pl.coalesce("__end", "__last").alias("statement_date"))


def _content() -> pl.Expr:
    """A fingerprint of what a version says (``__content``)."""
    return pl.struct([pl.col(c) for c in CONTENT]).hash(seed=7).alias("__content")


def _with_content(lines: pl.DataFrame) -> pl.DataFrame:
    """Each version with its fingerprint."""
    return lines.with_columns(_content())


def _contested(lines: pl.DataFrame, dates: pl.DataFrame) -> pl.DataFrame:
    """The versions of transactions that arrived with more than one content, in the
    order the rule reads them: statement date, then arrival. (Usually very few:
    overlapping statements repeat a transaction word for word.)"""
    distinct = lines.select(*KEY, _content()).unique()  # the key and fingerprint only, not every column
    several = distinct.filter(pl.len().over(list(KEY)) > 1).select(list(KEY)).unique()
    return (_with_content(lines.join(several, on=list(KEY), how="semi"))
            .join(dates, on=["file_id", "account_id"], how="left")
            .sort([*KEY, "statement_date", "seq"], nulls_last=False))


def settle_transactions(lines: pl.DataFrame, dates: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """``(current_transactions, corrections)`` in one pass over the versions."""
    contested = _contested(lines, dates)
    return _current(lines, contested), _corrections(contested)


def current_transactions(lines: pl.DataFrame, dates: pl.DataFrame) -> pl.DataFrame:
    """One row per (account_id, transaction_id): the version that stands, with the
    lineage (file, line, seq) of the first file that showed that very content."""
    return _current(lines, _contested(lines, dates))


def _current(lines: pl.DataFrame, contested: pl.DataFrame) -> pl.DataFrame:
    if lines.height == 0:
        return lines
    # a transaction only ever seen one way: its first arrival, as ever (which rows, found on the key
    # and arrival alone, then taken once: at scale the lines are the largest frame of the night)
    rows = lines.select(*KEY, "seq").with_row_index("__row")
    if contested.height:
        rows = rows.join(contested.select(list(KEY)).unique(), on=list(KEY), how="anti")
    plain = lines[rows.sort("seq").unique(list(KEY), keep="first", maintain_order=True)["__row"]]
    if contested.height == 0:
        return plain
    standing = contested.unique(list(KEY), keep="last", maintain_order=True).select(*KEY, "__content")
    first_seen = (contested.join(standing, on=[*KEY, "__content"], how="semi")
                  .sort("seq").unique(list(KEY), keep="first").select(lines.columns))
    return pl.concat([plain, first_seen]).sort("seq")


def _changes(was: dict, now: dict) -> str:
    """What changed, in words: money and dates shown, text only named (it may be personal)."""
    out = []
    for c in CONTENT:
        if was[c] == now[c]:
            continue
        if c == "amount":
            out.append(f"amount {gbp(was[c])} → {gbp(now[c])}")
        elif c == "date":
            out.append(f"date {was[c]} → {now[c]}")
        else:
            out.append(f"{'description' if c in ('payee', 'memo') else c} changed")
    return ", ".join(dict.fromkeys(out))


def corrections(lines: pl.DataFrame, dates: pl.DataFrame) -> pl.DataFrame:
    """Each superseded version of a transaction beside the one that stands:
    ``account_id, transaction_id, changes, was_path, was_line, now_path, now_line``."""
    return _corrections(_contested(lines, dates))


def _corrections(contested: pl.DataFrame) -> pl.DataFrame:
    out = []
    for _key, group in contested.group_by(list(KEY), maintain_order=True):
        rows = group.to_dicts()
        now = rows[-1]
        first_now = next(r for r in sorted(rows, key=lambda r: r["seq"]) if r["__content"] == now["__content"])
        seen: set[int] = set()
        for r in sorted(rows, key=lambda r: r["seq"]):
            if r["__content"] == now["__content"] or r["__content"] in seen:
                continue
            seen.add(r["__content"])
            out.append(dict(account_id=now["account_id"], transaction_id=now["transaction_id"],
                            changes=_changes(r, now), was_path=r["source_path"], was_line=r["source_line"],
                            now_path=first_now["source_path"], now_line=first_now["source_line"]))
    return pl.DataFrame(out, schema=CORRECTIONS_SCHEMA).sort(list(KEY))


def correction_notes(lines: pl.DataFrame, dates: pl.DataFrame, new_files: set[str]) -> dict[str, str]:
    """For each newly loaded file (by file_id) that changed a transaction, or brought an
    earlier version of one a later statement corrected, the sentence its log carries.

    ``lines`` holds every version of the transactions the new files touch,
    the new files' own rows included.
    """
    corrects: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    outdated: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    if lines.height == 0:
        return {}
    for _key, group in _contested(lines, dates).group_by(list(KEY), maintain_order=True):
        rows = group.to_dicts()
        now = rows[-1]
        by_arrival = sorted(rows, key=lambda r: r["seq"])
        for r in rows:
            if r["file_id"] not in new_files:
                continue
            before = [e for e in by_arrival if e["seq"] < r["seq"] and e["__content"] != r["__content"]]
            if r["__content"] == now["__content"]:
                if before:  # what stood before this file: the last of those by the rule's order
                    was = max(before, key=lambda e: (e["statement_date"] is not None, e["statement_date"], e["seq"]))
                    corrects[r["file_id"]][was["source_path"]].append(
                        f"{r['transaction_id']} {_changes(was, r)}")
            elif r["file_id"] != now["file_id"]:
                outdated[r["file_id"]][now["source_path"]].append(f"{r['transaction_id']} {_changes(r, now)}")
    notes: dict[str, list[str]] = defaultdict(list)
    for fid, by_source in corrects.items():
        for source, items in by_source.items():
            notes[fid].append(f"corrects {len(items)} transaction(s) loaded from {source}: {_listed(items)}")
    for fid, by_source in outdated.items():
        for source, items in by_source.items():
            notes[fid].append(f"carries an earlier version of {len(items)} transaction(s) that {source}, "
                              f"a later statement, corrected; the later version stands: {_listed(items)}")
    return {fid: "; ".join(parts) for fid, parts in notes.items()}


def _listed(items: list[str]) -> str:
    shown = ", ".join(sorted(items)[:NOTE_EXAMPLES])
    more = len(items) - NOTE_EXAMPLES
    return shown + (f" and {more} more (see audit.corrections)" if more > 0 else "")
