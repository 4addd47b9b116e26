"""Which statement files a council receives for an account, and what they show.

Channels as councils get them: about 60% of accounts are prepaid cards, all
of them in one CSV feed per month from the card provider; the rest are bank
accounts whose holders send monthly OFX downloads (1.x SGML or 2.x XML), a
Nationwide-style CSV, or the generic CSV layout.

How each channel names the account (``budgets.csv`` ``account_id`` is the same string):

* prepaid card: ``PC`` + 10 digits, in the feed's ``account_id`` column;
* OFX 1.x / 2.x: sort code + account number, 14 digits, in
  ``<BANKACCTFROM><ACCTID>`` (``<BANKID>`` holds the sort code);
* generic bank CSV: the same 14 digits in the ``account_id`` column;
* Nationwide-style CSV: the masked number ``****12345`` (as the bank CSV
  profile reads it) from the preamble row ``"Account Name:","FlexDirect ****12345"``.

Real inboxes are untidy, and so is this one: a month downloaded twice under
another name, a two-month download overlapping the month before, a
truncated OFX or a CSV with a garbled row (always *extra* copies: the real
statement is there too). Two planted problems live here: a statement month
that never arrives (``STATEMENT_GAP`` (a)), and a card feed that dropped a
line so the next line's running balance does not follow (``STATEMENT_GAP``
(b)). Transactions only such a gap would show are marked ``hidden``: the
ground truth does not see them, just as the council does not.
"""

from __future__ import annotations

import bisect
import random

from pipelines.simulate.common import iso, month_end, month_key, months_between
from pipelines.simulate.records import Account, Plant, StatementFile

FEED = "statements/prepaid/northshire_prepaid_{month}.csv"


def _folder(acct: Account) -> str:
    if acct.channel == "nationwide":
        return f"statements/bank/nationwide_{acct.account_id[-5:]}"
    return f"statements/bank/{acct.account_id}"


def _name(acct: Account, month: str, suffix: str = "") -> str:
    ext = {"ofx1": ".ofx", "ofx2": ".ofx", "bankcsv": ".csv", "nationwide": ".csv"}[acct.channel]
    if acct.channel == "ofx1" and acct.index % 3 == 0:
        ext = ".qfx"
    return f"{_folder(acct)}/statement_{month}{suffix}{ext}"


def build_statements(acct: Account, as_of: int, rng: random.Random) -> None:
    txns = acct.txns
    if not txns:
        return
    balances = []
    running = 0
    for t in txns:
        running += t.amount
        balances.append(running)
    days = [t.day for t in txns]
    first = acct.budgets[0].start
    last = min(as_of - 1, max(txns[-1].day, max(b.end for b in acct.budgets)))
    months = months_between(first, last)
    by_month: dict[int, list[int]] = {m: [] for m in months}
    for n, day in enumerate(days):
        k = bisect.bisect_right(months, day) - 1
        if k >= 0:
            by_month[months[k]].append(n)

    missing = None
    if "STATEMENT_GAP" in acct.wants and len(months) >= 4:
        terms = [(b.start, b.end) for b in acct.budgets]
        inner = [m for m in months[1:-1] if any(s < m and month_end(m) < e for s, e in terms)]
        if inner:
            if acct.channel == "prepaid" and rng.random() < 0.3:
                m = rng.choice(inner)
                rows = by_month[m]
                if len(rows) >= 3:
                    n = rows[rng.randrange(1, len(rows) - 1)]
                    txns[n].hidden = True
                    acct.plants.append(Plant("STATEMENT_GAP", _budget_at(acct, txns[n].day),
                                             f"card feed {month_key(m)} dropped the line of {iso(txns[n].day)} "
                                             "(the next running balance does not follow)", txns[n].day))
            else:
                missing = rng.choice(inner)
                for n in by_month[missing]:
                    txns[n].hidden = True
                acct.plants.append(Plant("STATEMENT_GAP", _budget_at(acct, missing),
                                         f"statement for {month_key(missing)} never sent", missing))

    def make(month: int, suffix: str = "", span: tuple[int, ...] = ()) -> StatementFile:
        ms = span[0] if span else month
        rows = [n for m in (span or (month,)) for n in by_month[m] if not txns[n].hidden]
        end = min(month_end(month), as_of - 1)
        relpath = FEED.format(month=month_key(month)) if acct.channel == "prepaid" else _name(
            acct, (month_key(ms) + "_to_" if span else "") + month_key(month), suffix)
        return StatementFile(
            relpath=relpath,
            fmt=acct.channel,
            lines=[txns[n] for n in rows],
            balances=[balances[n] for n in rows],
            start=ms,
            end=end,
            closing=_balance_at(days, balances, end),
        )

    files = []
    for m in months:
        if m == missing:
            continue
        f = make(m)
        if acct.channel == "prepaid" and not f.lines:
            continue
        files.append(f)
    if acct.channel != "prepaid" and len(files) >= 2:
        r = rng.random()
        if r < 0.12:  # the same month downloaded again under another name
            f = rng.choice(files)
            copy = make(_month_of(f))
            copy.relpath = f.relpath.rsplit(".", 1)[0] + " (1)." + f.relpath.rsplit(".", 1)[1]
            files.append(copy)
        elif r < 0.22:  # a two-month download overlapping the previous month
            k = rng.randrange(1, len(months))
            if missing not in (months[k], months[k - 1]):
                files.append(make(months[k], span=(months[k - 1], months[k])))
        r = rng.random()
        if acct.channel in ("ofx1", "ofx2") and r < 0.05:
            f = rng.choice(files)
            bad = make(_month_of(f), suffix="_incomplete")
            bad.corrupt = "truncated"
            files.append(bad)
        elif acct.channel == "bankcsv" and r < 0.08:
            candidates = [f for f in files if len(f.lines) >= 5]
            if candidates:
                f = rng.choice(candidates)
                bad = make(_month_of(f), suffix=" (2)")
                bad.corrupt = "garbled"
                files.append(bad)
    acct.statements = files


def _month_of(f: StatementFile) -> int:
    return f.start


def _balance_at(days: list[int], balances: list[int], day: int) -> int:
    n = bisect.bisect_right(days, day)
    return balances[n - 1] if n else 0


def _budget_at(acct: Account, day: int) -> str:
    best = acct.budgets[0].budget_id
    for b in acct.budgets:
        if b.start <= day:
            best = b.budget_id
    return best
