"""Which payments paid which invoices (``core.matches``), and what each invoice still owes.

Only money going out (amount < 0) pays invoices, and only invoices of the
same ``budget_id`` as the payment. Credit notes first reduce what their
provider's invoices of the budget owe (oldest first, invoices issued no later
than the note's date plus ``window_days``). Payments are then applied in
passes, from sure to fuzzy; each pass takes the payments the earlier ones
left, and every match row records how it was found:

===============  ==========  ====================================================
method           confidence  the payment ...
===============  ==========  ====================================================
``reference``    1.0         names the invoice id in its payee or memo (0.95 when
                             the bank cut the id short)
``amount_payee`` 0.9         equals what an invoice owes (the one due nearest the payment), and its payee matches
                             the invoice's provider
``subset_sum``   0.8         equals the sum of 2..4 of that provider's invoices
``part_payment`` 0.6         is no more than the provider's oldest open invoice
                             still owes
``fuzzy_payee``  0.5         equals what an invoice owes, and its payee (matching
                             no provider's patterns) reads like the provider's name
===============  ==========  ====================================================

A payment naming several invoices pays them oldest first, each up to what it
owes; money left over goes to the last of them, so an invoice paid twice shows
as ``overpaid`` (what ``DUPLICATE_PAYMENT`` looks for). Payee patterns are
searched in both the payee and the memo.

Except by reference, a payment is only applied to an invoice when it is dated
between 7 days before the invoice's issue date and ``window_days`` after its
due date. A payment is applied whole, by one pass, or not at all. Passes 2-4
go round again while part-payments change what invoices owe, so the payment
that finishes a part-paid invoice is still found.

Worked example (budget B1; Acme Care's ``payee_patterns`` is ``acme``;
invoices due 14 days after issue):

* invoices AC-1001 £200.00 (1 March), AC-1002 £150.00 (8 March), AC-1003
  £100.00 (15 March), AC-1004 £120.00 (22 March), and credit note AC-C1
  £20.00 (20 March), all from Acme;
* AC-C1 nets against the oldest open invoice: AC-1001 now owes £180.00;
* "ACME CARE AC1002" £150.00 on 25 March names AC-1002: ``reference``, 1.0;
* "ACME CARE" £180.00 on 26 March is what AC-1001 owes: ``amount_payee``, 0.9;
* "ACME CARE" £60.00 on 2 April matches no amount or sum, and is less than the
  £100.00 owed on AC-1003, the oldest still owed: ``part_payment``, 0.6,
  leaving £40.00;
* "ACME CARE" £160.00 on 9 April = AC-1003's £40.00 + AC-1004's £120.00:
  ``subset_sum``, 0.8, two rows of £40.00 and £120.00. Every invoice is paid.

``invoices`` comes back with ``credited_amount``, ``paid_amount`` (payments
only) and ``payment_status``: with ``owed = amount − credited − paid``,
``paid`` when owed is 0, ``overpaid`` when below 0 (a second payment naming an
invoice already paid shows here), ``part_paid`` when something was paid and
something is owed, ``unpaid`` when nothing was paid, and ``credited`` for the
credit notes themselves, whose ``credited_amount`` is how much of the note
found invoices to reduce.

Every step groups by budget and provider (joins on them, never a cross
product), so the work grows with the data, not with payments × invoices.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import groupby

import polars as pl

from pipelines.match_alloc import EARLY_DAYS, Book
from pipelines.match_credits import credit_targets
from pipelines.match_results import invoices_frame, matches_frame
from pipelines.match_text import find_references, name_score, name_text
from pipelines.payees import payee_providers, provider_pairs, search_text, split_patterns
from schemas.money import pence_expr

MAX_ROUNDS = 4
_FAR = 10**9  # a day number no payment reaches: a missing date never opens a window


@dataclass(frozen=True)
class MatchResult:
    matches: pl.DataFrame  # schemas.warehouse.matches
    invoices: pl.DataFrame  # the input invoices + credited_amount, paid_amount, payment_status


def _day(col: str) -> pl.Expr:
    return pl.col(col).cast(pl.Date).to_physical().cast(pl.Int64)


PAYMENT_COLUMNS = ("transaction_id", "account_id", "budget_id", "date", "payee", "memo", "amount")


def _payments(transactions: pl.DataFrame) -> pl.DataFrame:
    """Outgoing transactions with a budget, ``p`` numbering them in time order
    (of ``transactions``, only ``PAYMENT_COLUMNS`` are read)."""
    return (
        transactions.select(
            "transaction_id",
            "account_id",
            "budget_id",
            "date",
            "payee",
            "memo",
            (-pence_expr("amount")).alias("pay"),
        )
        .filter(pl.col("pay") > 0, pl.col("budget_id").is_not_null(), pl.col("date").is_not_null())
        .with_columns(
            _day("date").alias("day"),
            pl.col("payee").cast(pl.String),
            pl.col("memo").cast(pl.String),
        )
        .sort("date", "account_id", "transaction_id")
        .with_row_index("p")
    )


def _documents(invoices: pl.DataFrame, window_days: int) -> pl.DataFrame:
    """Invoices and credit notes, ``i`` numbering the invoices in age order."""
    docs = invoices.with_row_index("__row").with_columns(
        (pl.col("kind") == "credit_note").fill_null(False).alias("is_credit"),
        pence_expr("amount").fill_null(0).alias("pence"),
        _day("issue_date").alias("issue"),
        pl.coalesce(_day("due_date"), _day("issue_date")).alias("due"),
    )
    docs = docs.sort("is_credit", "issue_date", "invoice_id", "__row", nulls_last=True)
    return docs.with_columns(
        pl.when(~pl.col("is_credit")).then(pl.int_range(pl.len(), dtype=pl.UInt32)).alias("i"),
        pl.col("issue").fill_null(_FAR),
        pl.col("due").fill_null(-_FAR),
        (pl.col("issue").fill_null(_FAR) - EARLY_DAYS).alias("lo"),
        (pl.col("due").fill_null(-_FAR) + window_days).alias("hi"),
    )


def _open(book: Book, inv: pl.DataFrame) -> pl.DataFrame:
    """Invoices still owed, with what they owe as ``pay`` (to join on a payment's amount)."""
    return inv.with_columns(pl.Series("pay", book.outstanding, dtype=pl.Int64)).filter(
        pl.col("pay") > 0
    )


def _shared(column: pl.Series) -> list:
    """The column as a list, one Python object per distinct value: a budget, a day or an
    amount repeats over hundreds of thousands of payments, and an object for each was
    some 50 MiB held through matching at 5,000 accounts (issue 20)."""
    one: dict = {}
    return [one.setdefault(v, v) for v in column]


def _ordered_pairs(frame: pl.DataFrame, *by: str) -> list[tuple[int, int]]:
    rows = frame.sort(*by)
    return list(zip(rows["p"].to_list(), rows["i"].to_list(), strict=True))


def match_payments(
    transactions: pl.DataFrame,
    invoices: pl.DataFrame,
    providers: pl.DataFrame,
    *,
    window_days: int = 45,
    fuzzy_cutoff: int = 90,
) -> MatchResult:
    """Match outgoing payments to invoices of their budget; see the module docstring."""
    pays = _payments(transactions)
    docs = _documents(invoices, window_days)
    invs = docs.filter(pl.col("i").is_not_null())
    inv = invs.select("i", "budget_id", "provider_id", "lo", "hi", "due")
    book = Book(
        inv_budget=invs["budget_id"].to_list(),
        inv_provider=invs["provider_id"].to_list(),
        inv_issue=invs["issue"].to_list(),
        inv_due=invs["due"].to_list(),
        outstanding=invs["pence"].to_list(),
        pay_budget=_shared(pays["budget_id"]),
        pay_day=_shared(pays["day"]),
        pay_pence=_shared(pays["pay"]),
        window_days=window_days,
    )
    notes = docs.filter(pl.col("is_credit"))
    credit_used = book.net_credit_notes(
        (b, pr, day, pence, target)
        for (b, pr, day, pence), target in zip(
            notes.select("budget_id", "provider_id", "issue", "pence").iter_rows(),
            credit_targets(notes, invs), strict=True)
    )

    # 1. reference
    refs = find_references(
        pays.select("p", "budget_id", "payee", "memo"), docs.select("i", "invoice_id", "budget_id")
    )
    book.apply_references(
        (p, [(i, t) for _, i, t in group])
        for p, group in groupby(refs.sort("p", "i").iter_rows(), key=lambda r: r[0])
    )

    # Which provider each payment is to, among those still owed money in its budget.
    # Only where the provider is owed at least the payment, around its date.
    owed = (
        _open(book, inv)
        .group_by("budget_id", "provider_id")
        .agg(pl.col("lo").min(), pl.col("hi").max(), pl.col("pay").sum().alias("owed"))
    )
    cands = (
        pays.filter(pl.Series(book.settled, dtype=pl.Boolean).not_())
        .join(owed, on="budget_id")
        .filter(
            pl.col("day").is_between(pl.col("lo"), pl.col("hi")), pl.col("pay") <= pl.col("owed")
        )
        .select("p", "provider_id", search_text())
    )
    pairs = provider_pairs(cands, providers)

    payee: dict[int, list[str]] = {}
    for p, provider in pairs.iter_rows():
        payee.setdefault(p, []).append(provider)
    # 2-4 go round again while part-payments leave new amounts owed: a later
    # payment may then settle the rest of one invoice exactly, or with others.
    for _ in range(MAX_ROUNDS):
        # 2. amount_payee: the invoice owing exactly the payment whose due date is
        # nearest the payment (people pay what has just fallen due; with identical
        # monthly invoices "oldest first" would slide every payment back one and
        # hide the invoice that was really left unpaid), then the oldest
        pairs = pairs.filter(pl.col("p").is_in(list(payee)))
        exact = (
            pairs.join(pays.select("p", "budget_id", "day", "pay"), on="p")
            .join(_open(book, inv), on=["budget_id", "provider_id", "pay"])
            .filter(pl.col("day").is_between(pl.col("lo"), pl.col("hi")))
            .with_columns((pl.col("day") - pl.col("due")).abs().alias("distance"))
        )
        book.take_exact(_ordered_pairs(exact, "p", "distance", "i"), "amount_payee", "0.9")
        # 3-4. per payment, on that provider's few open invoices in its window
        book.subset_sums(payee)
        touched = book.part_payments(payee)
        # Next round: only payments to a provider whose invoices a part-payment changed.
        payee = {
            p: provs
            for p, provs in payee.items()
            if not book.settled[p] and any((book.pay_budget[p], v) in touched for v in provs)
        }
        if not payee:
            break

    # 5. fuzzy_payee: exact amount, a payee that matches no pattern but reads like the name
    fuzzy = _fuzzy_candidates(book, pays, inv, providers, fuzzy_cutoff)
    book.take_exact(_ordered_pairs(fuzzy, "p", "rank", "i"), "fuzzy_payee", "0.5")

    return MatchResult(
        matches_frame(book, pays, docs), invoices_frame(book, invoices, docs, credit_used)
    )


def _fuzzy_candidates(
    book: Book,
    pays: pl.DataFrame,
    inv: pl.DataFrame,
    providers: pl.DataFrame,
    cutoff: int,
) -> pl.DataFrame:
    empty = pl.DataFrame(schema={"p": pl.UInt32, "i": pl.UInt32, "rank": pl.Int64})
    cands = (
        pays.filter(pl.Series(book.settled, dtype=pl.Boolean).not_())
        .join(_open(book, inv), on=["budget_id", "pay"])
        .filter(pl.col("day").is_between(pl.col("lo"), pl.col("hi")))
    )
    if cands.height == 0:
        return empty
    texts = cands.select("p", "payee", "memo", search_text()).unique("p")
    unnamed = texts.filter(payee_providers(texts["text"], providers).list.len() == 0)
    names: dict[str, list[str]] = {}
    for pid, name, pats in providers.select("provider_id", "name", "payee_patterns").iter_rows():
        names[str(pid)] = [name_text(name)] + [name_text(p) for p in split_patterns(pats)]
    said = {p: [name_text(payee), name_text(memo)] for p, payee, memo, _ in unnamed.iter_rows()}
    scored = [
        (p, i, -name_score(said[p], names.get(provider, [])))
        for p, i, provider in cands.select("p", "i", "provider_id").iter_rows()
        if p in said
    ]
    # best score first (rank is minus the score), then the oldest invoice
    return pl.DataFrame(scored, schema=empty.schema, orient="row").filter(
        pl.col("rank") <= -cutoff * 100
    )


def match_within_accounts(
    transactions: pl.DataFrame, invoices: pl.DataFrame, providers: pl.DataFrame, budgets: pl.DataFrame, **kw
) -> MatchResult:
    """Match across every budget of one account, not just the budget of the payment.

    A renewal keeps the account: the last invoice of the old term is often paid
    after the new term has begun (e.g. invoice ORC-7 of budget B1, paid on
    2 February from the same account when B2 started on 22 January). Payments
    and invoices are grouped by the account their budget names; each invoice
    keeps its own budget in the result.
    """
    account_of = budgets.select("budget_id", pl.col("account_id").alias("__acct"))
    inv = invoices.join(account_of, on="budget_id", how="left").with_columns(
        pl.col("budget_id").alias("__budget"), pl.coalesce("__acct", "budget_id").alias("budget_id")).drop("__acct")
    # only the columns matching reads (match_payments' _payments): not a copy of every column of the ledger
    txn = transactions.select(PAYMENT_COLUMNS).join(account_of, on="budget_id", how="left").with_columns(
        pl.col("budget_id").alias("__budget"),
        pl.when(pl.col("budget_id").is_not_null()).then(pl.col("__acct")).alias("budget_id")).drop("__acct")
    result = match_payments(txn, inv, providers, **kw)
    restored = result.invoices.with_columns(pl.col("__budget").alias("budget_id")).drop("__budget")
    return MatchResult(result.matches, restored)
