"""The running book of what each invoice still owes while payments are applied.

Money here is integer pence and dates are day numbers, so every comparison is
exact. Invoices are indexed ``i`` in age order (issue date, then id) and
payments ``p`` in time order (date, account, transaction id): walking them in
index order is what makes "the oldest open invoice" and "the earlier
payment first" well defined and independent of the input row order.

A payment is applied whole, by exactly one pass, or not at all: a match row
never leaves part of a payment behind, so conservation is
``matched + unmatched = total outgoing`` payment by payment.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import combinations

# A payment may come up to a week before the invoice is dated (paid on the
# provider's word, invoice posted later).
EARLY_DAYS = 7
SUBSET_MAX_INVOICES = 12
SUBSET_SIZES = (2, 3, 4)


@dataclass(frozen=True)
class Applied:
    p: int
    i: int
    pence: int
    method: str
    confidence: str


@dataclass
class Book:
    # invoices (kind 'invoice'), index i in age order
    inv_budget: list[str]
    inv_provider: list[str]
    inv_issue: list[int]
    inv_due: list[int]
    outstanding: list[int]
    # payments (outgoing, with a budget), index p in time order
    pay_budget: list[str]
    pay_day: list[int]
    pay_pence: list[int]
    window_days: int
    credited: list[int] = field(init=False)
    paid: list[int] = field(init=False)
    settled: list[bool] = field(init=False)
    rows: list[Applied] = field(default_factory=list)
    _groups: dict[tuple[str, str], list[int]] = field(init=False)
    _group_issue: dict[tuple[str, str], list[int]] = field(init=False)
    _first_open: dict[tuple[str, str], int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.credited = [0] * len(self.outstanding)
        self.paid = [0] * len(self.outstanding)
        self.settled = [False] * len(self.pay_pence)
        self._groups = {}
        for i, key in enumerate(zip(self.inv_budget, self.inv_provider, strict=True)):
            self._groups.setdefault(key, []).append(i)
        self._group_issue = {k: [self.inv_issue[i] for i in v] for k, v in self._groups.items()}

    # ---- primitives ---------------------------------------------------------

    def in_window(self, p: int, i: int) -> bool:
        day = self.pay_day[p]
        return self.inv_issue[i] - EARLY_DAYS <= day <= self.inv_due[i] + self.window_days

    def apply(self, p: int, i: int, pence: int, method: str, confidence: str) -> None:
        self.outstanding[i] -= pence
        self.paid[i] += pence
        self.rows.append(Applied(p, i, pence, method, confidence))

    def open_invoices(self, p: int, provider: str, limit: int) -> list[int]:
        """Up to ``limit`` of the provider's invoices of the payment's budget that are
        still owed and in the payment's window, oldest first."""
        key = (self.pay_budget[p], provider)
        group = self._groups.get(key, [])
        # issue - EARLY_DAYS <= day  ⇔  issue <= day + EARLY_DAYS; the group is in issue order
        stop = bisect_right(self._group_issue.get(key, []), self.pay_day[p] + EARLY_DAYS)
        # Settled invoices never reopen, so the scan may start past them for good.
        start = self._first_open.get(key, 0)
        while start < stop and self.outstanding[group[start]] <= 0:
            start += 1
        self._first_open[key] = start
        found: list[int] = []
        for i in group[start:stop]:
            if self.outstanding[i] > 0 and self.in_window(p, i):
                found.append(i)
                if len(found) == limit:
                    break
        return found

    # ---- passes -------------------------------------------------------------

    def net_credit_notes(self, notes: Iterable[tuple[str, str, int, int, int | None]]) -> list[int]:
        """Take each credit note off the invoice it corrects, else its provider's
        open invoices of the budget, oldest first.

        ``notes``: ``(budget_id, provider_id, issue_day, pence, target)`` in age
        order, ``target`` the index of the invoice the note names (or None).
        Returns how much of each note found an invoice to reduce.
        """
        used = []
        for budget, provider, issue, pence, target in notes:
            left = pence
            candidates = [target] if target is not None else []
            candidates += [i for i in self._groups.get((budget, provider), []) if i != target]
            for i in candidates:
                if left <= 0 or (i != target and self.inv_issue[i] > issue + self.window_days):
                    break
                take = min(left, max(self.outstanding[i], 0))
                self.outstanding[i] -= take
                self.credited[i] += take
                left -= take
            used.append(pence - max(left, 0))
        return used

    def apply_references(self, refs: Iterable[tuple[int, list[tuple[int, bool]]]]) -> None:
        """Settle each payment against the invoices it names, oldest named first.

        ``refs``: ``(p, [(i, truncated), ...])`` in payment order, the named
        invoices in age order. Whatever is left once every named invoice is
        settled goes to the last one named: an overpayment, kept in view.
        """
        for p, named in refs:
            if self.settled[p] or not named:
                continue
            money = self.pay_pence[p]
            share = dict.fromkeys((i for i, _ in named), 0)
            for i, _ in named:
                take = min(money, max(self.outstanding[i] - share[i], 0))
                share[i] += take
                money -= take
            share[named[-1][0]] += money
            for i, truncated in named:
                if share[i] > 0:
                    self.apply(p, i, share[i], "reference", "0.95" if truncated else "1.0")
            self.settled[p] = True

    def take_exact(self, pairs: Iterable[tuple[int, int]], method: str, confidence: str) -> None:
        """Greedy one-to-one: each payment, in order, takes its first listed
        invoice that still owes exactly the payment."""
        for p, i in pairs:
            if not self.settled[p] and self.outstanding[i] == self.pay_pence[p]:
                self.apply(p, i, self.pay_pence[p], method, confidence)
                self.settled[p] = True

    def subset_sums(self, payee: dict[int, list[str]]) -> None:
        """A payment equal to the sum of 2..4 of the provider's oldest open invoices."""
        for p in sorted(payee):
            if self.settled[p]:
                continue
            for provider in payee[p]:
                open_ = self.open_invoices(p, provider, SUBSET_MAX_INVOICES)
                combo = _sums(tuple(self.outstanding[i] for i in open_)).get(self.pay_pence[p])
                if combo is None:
                    continue
                for k in combo:
                    self.apply(p, open_[k], self.outstanding[open_[k]], "subset_sum", "0.8")
                self.settled[p] = True
                break

    def part_payments(self, payee: dict[int, list[str]]) -> set[tuple[str, str]]:
        """A payment no larger than what the provider's oldest open invoice still owes.

        Returns the (budget, provider) pairs whose invoices it changed.
        """
        touched: set[tuple[str, str]] = set()
        for p in sorted(payee):
            if self.settled[p]:
                continue
            for provider in payee[p]:
                open_ = self.open_invoices(p, provider, 1)
                if open_ and self.pay_pence[p] <= self.outstanding[open_[0]]:
                    self.apply(p, open_[0], self.pay_pence[p], "part_payment", "0.6")
                    self.settled[p] = True
                    touched.add((self.pay_budget[p], provider))
                    break
        return touched


@lru_cache(maxsize=8192)
def _sums(amounts: tuple[int, ...]) -> dict[int, tuple[int, ...]]:
    """Each reachable total of 2..4 of ``amounts`` → the positions that make it.

    Fewer invoices first, then the oldest (``combinations`` yields in
    lexicographic order): at most 66 + 220 + 495 sums for 12 invoices.
    """
    table: dict[int, tuple[int, ...]] = {}
    for size in SUBSET_SIZES:
        for combo in combinations(range(len(amounts)), size):
            table.setdefault(sum(amounts[k] for k in combo), combo)
    return table
