"""Families' evidence returns: most on time, some late, some partial, some never.

For each monitoring period that has ended, the family sends a return: a
folder with ``manifest.csv`` (one row per item: the bank's transaction id,
what kind of evidence, which file, the amount) and the scanned receipts,
timesheets and photos it names. ``submitted_on`` says when they sent it.

Items are what the family paid that is not settled against a provider's
invoice or paid to HMRC: card purchases, PA wages (timesheets), cash
(a photo of the receipt), transfers to clubs. A Nationwide-style CSV
prints no transaction id, so those families can only describe what they
send; their cash can never be matched to a receipt.

Planted here: a return never sent (``EVIDENCE_OVERDUE``), a return that
leaves most payments off (``EVIDENCE_INCOMPLETE``), and cash left off a
return (``CASH_WITHDRAWAL``, marked on the transaction).
"""

from __future__ import annotations

import random

from pipelines.simulate.common import add_months_ord, iso
from pipelines.simulate.records import Account, EvidenceItem, EvidenceReturn, Plant

NEEDS_EVIDENCE = frozenset({"card", "cash", "wages", "transfer", "spend"})
TYPES = {"card": "receipt", "cash": "receipt", "wages": "timesheet", "transfer": "invoice", "spend": "explanation"}
FILES = {"card": "receipts.pdf", "wages": "timesheets.pdf", "transfer": "invoices.pdf", "spend": "letter.pdf"}


def periods(start: int, end: int) -> list[tuple[int, int]]:
    """Quarterly monitoring periods counted from the budget's start date."""
    out = []
    k = 0
    while True:
        ps = add_months_ord(start, 3 * k)
        if ps > end:
            return out
        out.append((ps, min(add_months_ord(start, 3 * (k + 1)) - 1, end)))
        k += 1


def build_returns(acct: Account, as_of: int, rng: random.Random) -> None:
    never: tuple[str, int] | None = None
    if "EVIDENCE_OVERDUE" in acct.wants:
        options = [(b.budget_id, ps) for b in acct.budgets for ps, pe in periods(b.start, b.end)
                   if pe + 28 < as_of]
        if options:
            never = options[rng.randrange(len(options))]
            acct.plants.append(Plant("EVIDENCE_OVERDUE", never[0],
                                     f"no evidence return ever sent for the period from {iso(never[1])}",
                                     never[1]))
    thin: tuple[str, int] | None = None
    if "EVIDENCE_INCOMPLETE" in acct.wants:
        options = [(b.budget_id, ps) for b in acct.budgets for ps, pe in periods(b.start, b.end)
                   if pe + 28 < as_of - 1 and (b.budget_id, ps) != never]
        if options:
            thin = options[rng.randrange(len(options))]
            acct.plants.append(Plant("EVIDENCE_INCOMPLETE", thin[0],
                                     f"the return for the period from {iso(thin[1])} leaves most payments unevidenced",
                                     thin[1]))
    nationwide = acct.channel == "nationwide"
    txns = acct.txns
    for b in acct.budgets:
        for ps, pe in periods(b.start, b.end):
            if pe >= as_of - 1 or (b.budget_id, ps) == never:
                continue
            due = pe + 28
            r = rng.random()
            timing = "on_time"
            if (b.budget_id, ps) == thin:
                timing = "thin"
                submitted = rng.randint(pe + 1, min(due, as_of - 1))
            elif r < 0.09 and due + 2 < as_of:
                timing = "late"
                submitted = rng.randint(due + 1, min(due + 45, as_of - 1))
            else:
                timing = "partial" if r > 0.88 else "on_time"
                submitted = rng.randint(pe + 1, min(due, as_of - 1))
            items: list[EvidenceItem] = []
            files: dict[str, str] = {}
            cash_n = 0
            sent = []
            for t in txns:
                if t.day < ps:
                    continue
                if t.day > pe:
                    break
                if t.kind not in NEEDS_EVIDENCE or t.amount >= 0 or not t.evidenced:
                    continue
                if not (b.start <= t.day <= b.end):
                    continue
                sent.append(t)
            if timing == "partial":
                sent = _forget_a_few(sent, rng)
            elif timing == "thin":
                sent = _leave_most_off(sent, rng)
            for t in sent:
                if t.kind == "cash":
                    cash_n += 1
                    name = f"cash_receipt_{cash_n:02d}.jpg"
                else:
                    name = FILES[t.kind]
                files[name] = "jpg" if name.endswith(".jpg") else "pdf"
                items.append(EvidenceItem("" if nationwide else t.tid, TYPES[t.kind], name, -t.amount,
                                          _note(t.kind, t.payee)))
            if nationwide:
                items = _grouped(items)
            if not items:
                items.append(EvidenceItem("", "explanation", "", None, "nothing bought this period"))
            enclosed = sorted(files.items())
            if timing == "partial" and enclosed and rng.random() < 0.5:
                enclosed = enclosed[1:]  # a file the manifest names but the family forgot
            acct.returns.append(EvidenceReturn(b.budget_id, ps, submitted, items, enclosed, timing))


def _forget_a_few(sent: list, rng: random.Random) -> list:
    """A partial return: a few receipts forgotten, never more than a tenth of the money."""
    allowance = sum(-t.amount for t in sent) // 10
    order = [t for t in sent if t.kind != "cash"]
    rng.shuffle(order)
    left_off: set[int] = set()
    for t in order:
        if -t.amount <= allowance and rng.random() < 0.5:
            allowance += t.amount
            left_off.add(id(t))
    return [t for t in sent if id(t) not in left_off]


def _leave_most_off(sent: list, rng: random.Random) -> list:
    """A thin return: receipts and timesheets for well under half the money."""
    total = sum(-t.amount for t in sent)
    order = [t for t in sent if t.kind != "cash"]
    rng.shuffle(order)
    left_off: set[int] = set()
    gone = 0
    for t in order:
        if gone * 2 >= total:
            break
        gone -= t.amount
        left_off.add(id(t))
    return [t for t in sent if id(t) not in left_off]


def _note(kind: str, payee: str) -> str:
    if kind == "wages":
        return "PA timesheet"
    if kind == "cash":
        return "cash for activities, receipt attached"
    return payee.title()[:40]


def _grouped(items: list[EvidenceItem]) -> list[EvidenceItem]:
    """Without transaction ids, families send one line per file with the total."""
    by_file: dict[str, list[EvidenceItem]] = {}
    for it in items:
        by_file.setdefault(it.file, []).append(it)
    out = []
    for name, group in sorted(by_file.items()):
        total = sum(it.amount or 0 for it in group)
        out.append(EvidenceItem("", group[0].evidence_type, name, total, f"{len(group)} items"))
    return out
