"""The ground truth: docs/rules.md evaluated, independently, on what the files show.

This evaluator shares no code with the reconciliation in ``pipelines/``: it
reads only the simulator's own records and the policy, and applies the
definitions of docs/rules.md literally. It sees only what a council would
see: transactions in statement files that a reader can load (a corrupt
extra copy shows nothing; a missing month hides its money), invoices, and
the evidence returns.

Worked example (``SURPLUS_BALANCE``): a budget paid £400.00 four-weekly
has a weekly payment of £100.00; with ``surplus_weeks`` 8 a closed period
ending with £1,150.00 in the account and £200.00 owed on invoices leaves
1,150 − 200 − 0 − 800 = £150.00 to recover.

What docs/rules.md leaves open is decided here:

* a transaction "pays a matched invoice" when the simulator made it to
  settle that invoice (it quotes the invoice number, or it is the
  provider's name with exactly the invoice's net amount); a credit note
  belongs to the invoice it names (UBL ``BillingReference``; in CSV its id
  is the invoice's id + ``-CR``, same provider, budget and period);
* ``owed`` at a period end counts credit notes issued on or before it;
* the account's opening balance comes from the earliest line (by date,
  then position) that prints a running balance; OFX ``LEDGERBAL`` is a
  closing balance, not a running one;
* ``STATEMENT_GAP`` (b) compares a line with the previous line *of the same
  account* in the same file (the card feed holds every card);
* two statements of an account whose running balances follow on (the later
  one's first balance less its amount is the earlier one's last) cover the
  days between them, for ``STATEMENT_GAP`` (a);
* the normalised payee is the payee text upper-cased with runs of spaces
  closed; ``DUPLICATE_PAYMENT`` (b) takes every outgoing line without an
  MCC, cash and HMRC included, as the rule's words say;
* a categorisation step "applies" only when it yields one of the budget's
  lines; otherwise the next step is tried;
* a return counts as received, on time or late, when a manifest row names
  the budget and period (all returns are sent before the run date), so a
  late return is not ``EVIDENCE_OVERDUE``; ``CASH_WITHDRAWAL`` is judged for a
  period once its return is received or its due date is on or before as_of;
* a rule whose date falls outside its budget's term (an invoice due after
  the term ended) takes the budget's last period (first, if before);
* several subjects in one (budget, rule, period) make one row whose amount
  is their sum and whose note lists them.
"""

from __future__ import annotations

import bisect
import re
from fractions import Fraction

from pipelines.simulate.common import rhe
from pipelines.simulate.judge import Expected, Judge, _groups, _norm, _period_of, _round
from pipelines.simulate.records import Account, Budget, Provider, Txn
from pipelines.simulate.truth_further import Seen, judge_further, shown_payee, surname
from pipelines.simulate.truth_statements import coverage_spans, unpaid_rests_on_gap
from pipelines.simulate.truth_statements import gaps as _gaps
from pipelines.simulate.truth_statements import rests_on_gap as _rests_on_gap

_COUNCIL_TAX = re.compile(r"\bcouncil\s*tax\b", re.IGNORECASE)  # a personal bill, not money paid back


def evaluate(acct: Account, judge: Judge, invoices_visible, as_of: int) -> list[Expected]:
    pol = judge.policy
    files = [f for f in acct.statements if not f.corrupt]
    seen: set[int] = set()
    for f in files:
        seen.update(id(t) for t in f.lines)
    visible = [t for t in acct.txns if id(t) in seen]
    ofx = acct.channel in ("ofx1", "ofx2")
    printed_ids = acct.channel != "nationwide"

    # -- balances (rules §4): opening 0.00 unless a running balance says otherwise
    days = [t.day for t in visible]
    prefix = [0]
    for t in visible:
        prefix.append(prefix[-1] + t.amount)
    position = {id(t): n for n, t in enumerate(visible)}
    opening = 0
    first = None
    for f in files:
        for t, bal in zip(f.lines, f.balances, strict=True):
            if bal is not None and f.fmt != "ofx1" and f.fmt != "ofx2":
                key = (t.day, position[id(t)])
                if first is None or key < first[0]:
                    first = (key, bal)
                break
    if first is not None:
        opening = first[1] - prefix[first[0][1] + 1]

    def balance(day: int) -> int:
        return opening + prefix[bisect.bisect_right(days, day)]

    # -- what each transaction is (§3)
    budgets = sorted(acct.budgets, key=lambda b: b.start)
    periods = {b.budget_id: judge.periods(b) for b in budgets}
    starts = {b.budget_id: b.start for b in budgets}
    pa_re = _groups(acct.pas)
    cache: dict[tuple, tuple] = {}

    def classify(t: Txn) -> str:
        council, contribution, cash, statutory, _ = judge.text_tests(t.payee, t.memo)
        if t.amount > 0:
            if council:
                return "council_payment"
            if contribution:
                return "contribution"
            return "refund"
        if t.mcc in judge.cash_mccs or (ofx and t.trntype == "ATM") or cash:
            return "cash"
        if council and not _COUNCIL_TAX.search(f"{t.payee} {t.memo}"):
            return "repayment"
        if statutory:
            return "statutory"
        return "spend"

    def provider_of(t: Txn) -> Provider | None:
        key = (t.payee, t.memo)
        hit = cache.get(key)
        if hit is None:
            found = None
            for pattern, plist in (judge.register, pa_re):
                for x in key:
                    m = pattern.search(x)
                    if m:
                        found = plist[int(m.lastgroup[1:])]
                        break
                if found:
                    break
            hit = cache[key] = (found,)
        return hit[0]

    def budget_at(day: int) -> Budget | None:
        best = None
        for b in budgets:
            if b.start <= day <= b.end and (best is None or b.start >= best.start):
                best = b
        return best

    invoices = {inv.invoice_id: inv for inv in invoices_visible}
    credits: dict[str, list] = {}
    for inv in invoices.values():
        if inv.kind == "credit_note":
            credits.setdefault(inv.corrects, []).append(inv)
    matched: dict[str, list[tuple[Txn, int]]] = {}
    rows: dict[tuple[str, str, int], list] = {}

    def flag(b: Budget, rule: str, day: int, amount: int, subject: str = "") -> None:
        ps = _period_of(periods[b.budget_id], day)
        row = rows.setdefault((b.budget_id, rule, ps), [0, []])
        row[0] += amount
        if subject:
            row[1].append(subject)

    info = []  # (txn, class, budget)
    for t in visible:
        cls = classify(t)
        b = budget_at(t.day)
        info.append((t, cls, b))
        if t.amount < 0:
            for inv_id, amount in t.pays:
                if inv_id in invoices:
                    matched.setdefault(inv_id, []).append((t, amount))

    def pays_matched(t: Txn) -> bool:
        return any(inv_id in invoices for inv_id, _ in t.pays)

    line_index: dict[str, tuple[dict[str, str], dict[str, str]]] = {}
    for b in budgets:
        by_provider: dict[str, str] = {}
        by_category: dict[str, str] = {}
        for ln in sorted(b.lines, key=lambda ln: ln.line_id):  # the lowest line_id takes it
            if ln.provider_id:
                by_provider.setdefault(ln.provider_id, ln.line_id)
            by_category.setdefault(ln.category, ln.line_id)
        line_index[b.budget_id] = (by_provider, by_category)

    def category_line(b: Budget, t: Txn, cls: str) -> str | None:
        by_provider, by_category = line_index[b.budget_id]

        def naming(pid: str | None, category: str | None) -> str | None:
            return (by_provider.get(pid) if pid else None) or by_category.get(category)

        for inv_id, _ in t.pays:
            inv = invoices.get(inv_id)
            if inv is not None:
                hit = naming(inv.provider_id, inv.category)
                if hit:
                    return hit
        p = provider_of(t)
        if p is not None:
            hit = naming(p.provider_id, p.category)
            if hit:
                return hit
        if t.mcc and t.mcc in judge.mcc_category:
            hit = naming(None, judge.mcc_category[t.mcc])
            if hit:
                return hit
        if cls == "statutory":
            return naming(None, "employer_costs") or naming(None, "personal_assistant")
        return None

    referenced = set()
    received = set()
    described: dict[tuple[str, int], int] = {}
    for r in acct.returns:
        received.add((r.budget_id, r.period))
        referenced.update(it.ref for it in r.items if it.ref)
        described[(r.budget_id, r.period)] = described.get((r.budget_id, r.period), 0) + sum(
            it.amount or 0 for it in r.items if not it.ref)

    # -- per transaction rules
    surnames = {b.budget_id: surname(b.holder_name) for b in budgets}
    outside: dict[tuple[str, int], int] = {}
    last_seen: dict[tuple[str, int], list[Txn]] = {}
    for t, cls, b in info:
        if t.amount >= 0:
            continue
        if b is None:
            if not budgets:
                continue
            before = [x for x in budgets if x.end < t.day]
            owner = max(before, key=lambda x: x.end) if before else min(
                (x for x in budgets if x.start > t.day), key=lambda x: x.start)
            ps = periods[owner.budget_id][-1][0] if before else periods[owner.budget_id][0][0]
            outside[(owner.budget_id, ps)] = outside.get((owner.budget_id, ps), 0) - t.amount
            continue
        if t.mcc in judge.ineligible_mccs or judge.text_tests(t.payee, t.memo)[4]:
            flag(b, "INELIGIBLE_SPEND", t.day, -t.amount)
        if not t.mcc and cls == "spend" and not pays_matched(t):
            p = provider_of(t)
            allowed = p is not None and (
                p.approved or any(ln.provider_id == p.provider_id for ln in b.lines)
            )
            if not allowed:
                flag(b, "UNAPPROVED_PAYEE", t.day, -t.amount, _norm(t.payee))
                shown = _norm(shown_payee(acct, t))
                if pol.related_payee_check and surnames[b.budget_id] and f" {surnames[b.budget_id]} " in f" {shown} ":
                    flag(b, "RELATED_PAYEE", t.day, -t.amount, shown)
        if not t.mcc and cls not in ("cash", "statutory", "repayment"):
            key = (_norm(t.payee), t.amount)
            earlier = last_seen.setdefault(key, [])
            # two payments that each settle their own invoice are not one paid twice
            mine = {i for i, _ in t.pays}
            if any(t.day - o.day < pol.duplicate_window_days
                   and not (mine and o.pays and not mine & {i for i, _ in o.pays}) for o in earlier):
                flag(b, "DUPLICATE_PAYMENT", t.day, -t.amount, f"{_norm(t.payee)} {t.day}")
            earlier.append(t)
    by_id = {b.budget_id: b for b in budgets}
    for (bid, ps), amount in outside.items():
        rows.setdefault((bid, "OUTSIDE_TERM", ps), [0, []])[0] += amount

    # -- invoices
    for inv_id, pays in matched.items():
        inv = invoices[inv_id]
        if inv.kind != "invoice":
            continue
        net = inv.amount - sum(c.amount for c in credits.get(inv_id, []))
        total = sum(a for _, a in pays)
        if total > net:
            later = max((t for t, _ in pays), key=lambda t: (t.day, t.seq))
            b = budget_at(later.day) or by_id.get(inv.budget_id)
            if b is not None:
                flag(b, "DUPLICATE_PAYMENT", later.day, total - net, inv_id)
    unpaid = []  # judged once the statement gaps are known
    for inv in invoices.values():
        b = by_id.get(inv.budget_id)
        if b is None or inv.kind != "invoice":
            continue
        if inv.unit_rate:
            agreed = next((ln.unit_rate for ln in sorted(b.lines, key=lambda ln: ln.line_id)
                           if ln.provider_id == inv.provider_id), None)
            if agreed is None:
                p = next((p for p in judge.providers if p.provider_id == inv.provider_id), None)
                agreed = p.agreed_rate if p else None
            if agreed is not None and inv.unit_rate > agreed:
                flag(b, "RATE_ABOVE_AGREED", inv.issue, rhe((inv.unit_rate - agreed) * inv.units_x100, 100),
                     inv.invoice_id)
        if inv.due + pol.unpaid_grace_days < as_of:
            owed = inv.amount - sum(c.amount for c in credits.get(inv.invoice_id, []))
            owed -= sum(a for _, a in matched.get(inv.invoice_id, []))
            if owed > 0:
                unpaid.append((b, inv, owed))

    # -- per budget and period
    period_ends: dict[tuple[str, int], tuple[int, int, int, int]] = {}
    for b in budgets:
        term_days = b.end - b.start + 1
        mine = [(t, cls) for t, cls, bb in info if bb is b]  # in date order, all within the term
        mdays = [t.day for t, _ in mine]
        cum_spent, cum_contrib = [0], [0]
        for t, cls in mine:
            cum_spent.append(cum_spent[-1] + (0 if cls in ("council_payment", "contribution") else -t.amount))
            cum_contrib.append(cum_contrib[-1] + (t.amount if cls == "contribution" else 0))
        weekly = {"weekly": b.payment_amount, "four_weekly": rhe(b.payment_amount, 4),
                  "monthly": rhe(b.payment_amount * 12, 52)}[b.payment_frequency]
        my_invoices = [inv for inv in invoices.values() if inv.budget_id == b.budget_id and inv.kind == "invoice"]
        for ps, pe in periods[b.budget_id]:
            lo, hi = bisect.bisect_left(mdays, ps), bisect.bisect_right(mdays, pe)
            in_p = mine[lo:hi]
            due = pe + pol.evidence_due_days
            got = (b.budget_id, ps) in received
            if due < as_of and not got:
                needing = sum(-t.amount for t, cls in in_p
                              if t.amount < 0 and cls not in ("statutory", "repayment") and not pays_matched(t))
                flag(b, "EVIDENCE_OVERDUE", ps, needing)
            if got and due < as_of:
                needing = [t for t, cls in in_p
                           if t.amount < 0 and cls not in ("statutory", "repayment") and not pays_matched(t)]
                need_total = sum(-t.amount for t in needing)
                loose = sum(-t.amount for t in needing if not (printed_ids and t.tid in referenced))
                loose = max(0, loose - described.get((b.budget_id, ps), 0))
                if need_total > 0 and loose > judge.incomplete_share * need_total:
                    flag(b, "EVIDENCE_INCOMPLETE", ps, loose)
            if got or due <= as_of:
                loose = sum(-t.amount for t, cls in in_p
                            if cls == "cash" and not (printed_ids and t.tid in referenced))
                if loose - judge.cash_allowance > 0:
                    flag(b, "CASH_WITHDRAWAL", ps, loose - judge.cash_allowance)
            if pe >= as_of:
                period_ends[(b.budget_id, ps)] = (pe, 0, 0, weekly)
                continue
            # a closed period
            closing = balance(pe)
            owed = 0
            for inv in my_invoices:
                if inv.issue <= pe:
                    left = inv.amount - sum(c.amount for c in credits.get(inv.invoice_id, ()) if c.issue <= pe)
                    left -= sum(a for t, a in matched.get(inv.invoice_id, ()) if t.day <= pe)
                    owed += max(0, left)  # an invoice paid twice owes nothing; it is not money owed back
            period_ends[(b.budget_id, ps)] = (pe, closing, owed, weekly)
            excess = closing - owed - judge.contingency - judge.surplus_weeks * weekly
            if excess > 0:
                flag(b, "SURPLUS_BALANCE", ps, _round(Fraction(excess)))
            spent = cum_spent[hi]
            pro_rata = rhe(b.agreed_amount * (pe - b.start + 1), term_days)
            if spent > judge.overspend_factor * pro_rata:
                flag(b, "OVERSPEND", ps, spent - pro_rata)
            if b.weekly_contribution > 0:
                owed_c = rhe(b.weekly_contribution * (pe - b.start + 1), 7)
                paid = cum_contrib[hi]
                if owed_c - paid > judge.arrears_weeks * b.weekly_contribution:
                    flag(b, "CONTRIBUTION_MISSING", ps, owed_c - paid)
            if pe - ps + 1 >= 28:
                spent_line: dict[str, int] = {}
                for t, cls in in_p:
                    if t.amount < 0:
                        line = category_line(b, t, cls)
                        if line:
                            spent_line[line] = spent_line.get(line, 0) - t.amount
                for ln in b.lines:
                    if ln.weekly_units_x100 > 0 and ln.planned_amount > 0:
                        planned = rhe(ln.planned_amount * (pe - ps + 1), term_days)
                        got_l = spent_line.get(ln.line_id, 0)
                        if got_l < judge.underspend_ratio * planned:
                            flag(b, "UNDERSPEND_LINE", ps, planned - got_l, ln.line_id)

    missing = _gaps(files, budgets, judge, flag)
    for b, inv, owed in unpaid:
        if not unpaid_rests_on_gap(inv, invoices.values(), missing.get(b.budget_id, []), periods[b.budget_id], as_of):
            flag(b, "INVOICE_UNPAID", inv.due, owed, inv.invoice_id)
    judge_further(Seen(acct, as_of, budgets, info, balance, coverage_spans(files), provider_of, period_ends, flag), pol)
    return [Expected(bid, rule, ps, amount, tuple(subjects))
            for (bid, rule, ps), (amount, subjects) in sorted(rows.items())
            if not _rests_on_gap(rule, ps, missing.get(bid, []), periods[bid], starts[bid], as_of)]
