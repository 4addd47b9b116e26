"""A night that only brought statement files: match again only the accounts they touched,
and on the last run's day judge again only their budgets.

Matching never crosses accounts (:func:`pipelines.match.match_within_accounts`
groups payments and invoices by the account their budget names; an invoice
whose budget the register does not know is grouped under its budget id as
written), and nothing in it depends on the run's date. So when the register
and the invoices are those of the last completed run, and only statement files
arrived (or none, on a new date), every other account's matches and invoice
figures are the ones the last run wrote, and the accounts the new files name
are matched again on their own: the same payments and invoices in the same
relative order, so the same book.

The rules judge each budget from its own books and the register's, but by the
run's date (periods close, returns fall due): on the last run's day every other
budget's findings are the ones it raised (:func:`restrict`, :func:`splice_judged`);
on a new date every budget is judged again.

Example: last night matched accounts 40001234 and 40005678; tonight one OFX
file of 40001234 arrives. Its payments and the invoices of its budgets (and
any invoice filed under the bare id ``40001234``) are matched again; the
matches of 40005678 and its invoices' paid amounts are read back as they stood.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import polars as pl

from pipelines.classify import CATEGORISE_ADDS
from pipelines.ledger import DOCUMENT
from pipelines.positions import budget_positions
from pipelines.rules import Books
from pipelines.rules.run import Judged
from schemas.money import MONEY_DTYPE
from schemas.warehouse import budget_positions as positions_table
from schemas.warehouse import matches as matches_table

FIGURES = {"credited_amount": MONEY_DTYPE, "paid_amount": MONEY_DTYPE, "payment_status": pl.String}
MATCH_ORDER = ["transaction_id", "account_id", "invoice_id"]  # as pipelines.match_results.matches_frame sorts


def budgets_of(budgets: pl.DataFrame, accounts: set[str]) -> pl.DataFrame:
    """The budgets paid into ``accounts``."""
    return budgets.filter(pl.col("account_id").is_in(list(accounts)))


def invoices_in_scope(invoices: pl.DataFrame, budgets: pl.DataFrame, accounts: set[str]) -> pl.Series:
    """Which invoices are matched with the payments of ``accounts``: those of the
    accounts' budgets, and those filed under a budget id that is one of the accounts."""
    scoped = budgets_of(budgets, accounts)["budget_id"].to_list()
    return invoices.select(pl.col("budget_id").is_in([*scoped, *accounts]).fill_null(False)).to_series()


def scope(txns: pl.DataFrame, invoices: pl.DataFrame, budgets: pl.DataFrame,
          accounts: set[str]) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The accounts' transactions and invoices, each in the order the whole night has them."""
    return (txns.filter(pl.col("account_id").is_in(list(accounts))),
            invoices.filter(invoices_in_scope(invoices, budgets, accounts)))


def splice_matches(standing: pl.DataFrame, fresh: pl.DataFrame, accounts: set[str]) -> pl.DataFrame:
    """Last night's matches of the other accounts, and tonight's of ``accounts``, in matches_frame's order."""
    schema = matches_table.polars_schema()
    kept = standing.filter(~pl.col("account_id").is_in(list(accounts))).select(list(schema)).cast(schema)
    return pl.concat([kept, fresh.select(list(schema)).cast(schema)]).sort(MATCH_ORDER, maintain_order=True)


def splice_invoices(invoices: pl.DataFrame, fresh: pl.DataFrame, standing: pl.DataFrame,
                    in_scope: pl.Series) -> pl.DataFrame | None:
    """Every current invoice with its figures (credited, paid, status): tonight's for those
    in scope (``fresh``, the scoped match's invoices), last night's (``standing``, core.invoices)
    for the others. None when last night's books lack one of the others (then match them all)."""
    cols = [*DOCUMENT, *FIGURES]
    out_of_scope = invoices.filter(~in_scope).select(DOCUMENT)
    kept = standing.join(out_of_scope, on=DOCUMENT, how="semi", nulls_equal=True)
    if kept.height != out_of_scope.height or kept.select(DOCUMENT).is_duplicated().any():
        return None
    parts = [frame.select(cols).cast(FIGURES) for frame in (kept, fresh) if frame.height]
    figures = pl.concat(parts) if parts else pl.DataFrame(schema={**invoices.select(DOCUMENT).schema, **FIGURES})
    return invoices.join(figures.cast(FIGURES), on=DOCUMENT, how="left", maintain_order="left", nulls_equal=True)



TXN = ["account_id", "transaction_id"]
CLASSIFIED = ("txn_class", "evidence_ref")  # what classify_transactions and with_evidence_refs add


def splice_classes(txns: pl.DataFrame, fresh: pl.DataFrame, standing: pl.DataFrame,
                   accounts: set[str]) -> pl.DataFrame | None:
    """The whole night's transactions (``txns``: settled, with their budgets) with their class
    and evidence reference: tonight's (``fresh``) for ``accounts``, last night's (``standing``,
    core.transactions) for the others, whose payee, memo, MCC, amount and policy are unchanged.
    In ``txns``' order, the columns added last as the full path adds them; None when last
    night's books lack one of the others' transactions."""
    return _spliced(txns, fresh, standing, accounts, {c: pl.String for c in CLASSIFIED})


def _spliced(txns: pl.DataFrame, fresh: pl.DataFrame, standing: pl.DataFrame, accounts: set[str],
             schema: dict[str, pl.DataType]) -> pl.DataFrame | None:
    """``txns`` in its order with ``schema``'s columns (typed so, added last in its order): ``fresh``'s
    for the rows of ``accounts``, ``standing``'s (last night's) for the others. Taken by place when
    the rows are where last night left them (:func:`_by_place`), else by key; None when last
    night's books lack one of the others' transactions."""
    columns = tuple(schema)
    base = txns.drop([c for c in columns if c in txns.columns])
    at = _by_place(txns, fresh, standing, accounts)
    if at is not None:
        both = pl.concat([standing.select(columns).cast(schema), fresh.select(columns).cast(schema)])
        return base.hstack(both[at].get_columns())
    kept = _standing_others(txns, standing, accounts)
    if kept is None:
        return None
    figures = pl.concat([kept.select(*TXN, *columns).cast(schema), fresh.select(*TXN, *columns).cast(schema)])
    return base.join(figures, on=TXN, how="left", maintain_order="left")


def _by_place(txns: pl.DataFrame, fresh: pl.DataFrame, standing: pl.DataFrame, accounts: set[str]) -> pl.Series | None:
    """Each of ``txns``' rows' place in ``standing`` followed by ``fresh``, when ``txns`` begins with
    ``standing``'s rows in its order (a line's place is its first arrival: :func:`rows_in_place`),
    every later row is of ``accounts``, and ``fresh`` holds ``accounts``' rows in ``txns``' order;
    else None. The usual night: no join over every transaction to find what stands where."""
    mine = _after_last_night(txns, standing, accounts)
    if mine is None or not fresh.select(TXN).equals(txns.filter(mine).select(TXN)):
        return None
    n = standing.height
    return pl.DataFrame({"mine": mine}).with_row_index("row").select(
        pl.when(pl.col("mine")).then(n - 1 + pl.col("mine").cast(pl.Int64).cum_sum())
        .otherwise(pl.col("row").cast(pl.Int64))).to_series()


def _standing_others(txns: pl.DataFrame, standing: pl.DataFrame, accounts: set[str]) -> pl.DataFrame | None:
    """Last night's row (``standing``) of each transaction of the accounts not in ``accounts``;
    None when it lacks one, or holds one twice."""
    others = txns.filter(~pl.col("account_id").is_in(list(accounts))).select(TXN)
    kept = standing.join(others, on=TXN, how="semi")
    if kept.height != others.height or kept.select(TXN).is_duplicated().any():
        return None
    return kept


def rows_in_place(txns: pl.DataFrame, standing: pl.DataFrame,
                  accounts: set[str]) -> tuple[pl.DataFrame, pl.DataFrame] | None:
    """Tonight's transactions as a change to last night's table (``standing``: its keys, as
    stored): ``(accounts' rows that stood, rows new tonight)``, when tonight's are last night's
    in the same order with the new ones after them (a line's place is its first arrival, so a
    new statement's transactions come last) and every new one is of ``accounts``. The others'
    rows are last night's as they stand (their lines, register, matches and classes unchanged).
    None when a row moved (a correction's version stands where it arrived) or went."""
    mine = _after_last_night(txns, standing, accounts)
    if mine is None:
        return None
    n = standing.height
    return txns.head(n).filter(mine.head(n)), txns.slice(n)


def _after_last_night(txns: pl.DataFrame, standing: pl.DataFrame, accounts: set[str]) -> pl.Series | None:
    """Which of ``txns``' rows are ``accounts``', when ``txns`` begins with ``standing``'s rows (last
    night's keys, as stored) in their order and every later row is of ``accounts``; else None."""
    n = standing.height
    if txns.height < n or not txns.head(n).select(TXN).equals(standing.select(TXN)):
        return None
    mine = txns.select(pl.col("account_id").is_in(list(accounts))).to_series()
    return mine if mine.slice(n).all() else None


# ---- positions: worked out again only for the budgets whose books changed --------------

PERIOD = ["budget_id", "period_start"]


def positions_of(accounts: set[str], budgets: pl.DataFrame, started: pl.DataFrame, txns: pl.DataFrame,
                 invoices: pl.DataFrame, matches: pl.DataFrame, opening: dict[str, Decimal]) -> pl.DataFrame:
    """The positions of ``accounts``' budgets, from those accounts' books alone: a budget's
    position rests on its periods, its account's transactions and opening balance, and its
    invoices and what paid them (matched within the account), as for the rules (:func:`restrict`)."""
    chosen = list(accounts)
    mine = budgets_of(budgets, accounts)
    own_txns, own_invoices = scope(txns, invoices, budgets, accounts)
    return budget_positions(mine, started.filter(pl.col("budget_id").is_in(mine["budget_id"].implode())),
                            own_txns, own_invoices, matches.filter(pl.col("account_id").is_in(chosen)),
                            {a: v for a, v in opening.items() if a in accounts})


def splice_positions(started: pl.DataFrame, fresh: pl.DataFrame, standing: pl.DataFrame, budgets: pl.DataFrame,
                     accounts: set[str]) -> pl.DataFrame | None:
    """Every started period's position, in ``started``'s order (as
    :func:`pipelines.positions.budget_positions` gives them): tonight's (``fresh``,
    :func:`positions_of`) for the budgets of ``accounts``, last night's (``standing``,
    core.budget_positions, written on the same day from the same register) for the others.
    None when last night's lack one of the others' periods, or hold one twice."""
    mine = budgets_of(budgets, accounts)["budget_id"].implode()
    others = started.filter(~pl.col("budget_id").is_in(mine)).select(PERIOD)
    kept = standing.join(others, on=PERIOD, how="semi")
    if (kept.height != others.height or kept.height + fresh.height != started.height
            or kept.select(PERIOD).is_duplicated().any()):
        return None
    schema = positions_table.polars_schema()
    rows = pl.concat([kept.select(list(schema)).cast(schema), fresh.select(list(schema)).cast(schema)])
    return started.select(PERIOD).join(rows, on=PERIOD, how="left", maintain_order="left").select(list(schema))


# ---- the rules: judge again only the budgets whose books changed -------------------------

def restrict(books: Books, accounts: set[str]) -> Books:
    """The books of ``accounts`` alone: their budgets (and those budgets' plan lines, periods,
    positions, invoices, evidence), their transactions, matches, statements' coverage and
    breaks; the providers (the register's, shared) whole. Every rule judges a budget from
    its own books and the register's (pipelines/rules), so each budget's findings from these
    are its findings from the whole books."""
    chosen = list(accounts)
    budgets = budgets_of(books.budgets, accounts)
    ids = budgets["budget_id"].implode()

    def own(frame: pl.DataFrame) -> pl.DataFrame:
        return frame.filter(pl.col("budget_id").is_in(ids))

    def held(frame: pl.DataFrame) -> pl.DataFrame:
        return frame.filter(pl.col("account_id").is_in(chosen))

    return replace(
        books, budgets=budgets, plan_lines=own(books.plan_lines), periods=own(books.periods),
        txns=held(books.txns), invoices=books.invoices.filter(invoices_in_scope(books.invoices, books.budgets, accounts)),
        matches=held(books.matches), positions=own(books.positions), lines=own(books.lines),
        coverage=held(books.coverage), balance_breaks=held(books.balance_breaks), evidence=own(books.evidence),
        opening={a: v for a, v in books.opening.items() if a in accounts})


def splice_judged(standing: Judged, fresh: Judged, budgets: pl.DataFrame, accounts: set[str]) -> Judged | None:
    """The whole night's findings: ``fresh`` (judged from :func:`restrict`) for the budgets of
    ``accounts``, ``standing`` (the last run's, as it raised them) for every other budget, in
    the order :func:`pipelines.rules.run.judge` gives them (exceptions by id, findings by
    exception, period and finding, gaps in the register's order of budgets). None when a
    finding names no budget (it cannot be told whose books it rests on: judge them all)."""
    if any(f["budget_id"].null_count() for j in (standing, fresh) for f in (j.exceptions, j.findings, j.gaps)):
        return None
    mine = budgets_of(budgets, accounts)["budget_id"].implode()

    def joined(last: pl.DataFrame, now: pl.DataFrame) -> pl.DataFrame:
        return pl.concat([last.filter(~pl.col("budget_id").is_in(mine)).select(now.columns).cast(now.schema), now])

    order = budgets.select("budget_id").with_row_index("__at")
    gaps = joined(standing.gaps, fresh.gaps).join(order, on="budget_id", how="left", maintain_order="left")
    return Judged(
        exceptions=joined(standing.exceptions, fresh.exceptions).sort("exception_id"),
        findings=joined(standing.findings, fresh.findings).sort("exception_id", "period_start", "flag_id"),
        gaps=gaps.sort("__at", maintain_order=True).drop("__at"))


CATEGORISED = {"invoice_id": pl.String, "provider_id": pl.String, "category": pl.String,
               "plan_line_id": pl.String, "needs_evidence": pl.Boolean}  # categorise's, as core.transactions keeps them


def splice_categories(txns: pl.DataFrame, fresh: pl.DataFrame, standing: pl.DataFrame,
                      accounts: set[str]) -> pl.DataFrame | None:
    """The whole night's transactions with what :func:`pipelines.classify.categorise` adds:
    tonight's (``fresh``, categorised on their own: each row's answer rests on its own columns,
    its matches and the register) for ``accounts``, last night's (``standing``, core.transactions)
    for the others, whose matches, invoices and register are unchanged. The others' payee
    patterns (``pat_providers``) are not kept in the warehouse and are left empty: only the
    rules read them, and on such a night they judge only ``accounts``' budgets. In ``txns``'
    order, the columns as categorise adds them; None when last night's books lack a row."""
    adds = fresh.select(CATEGORISE_ADDS).schema
    return _spliced(txns, fresh, standing.with_columns(pl.lit(None).alias("pat_providers")), accounts, dict(adds))
