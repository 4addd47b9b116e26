"""The ground truth's statement coverage (docs/rules.md §5, "Statement coverage") and
which findings rest on a gap in it (§9), kept apart from the rules in truth.py.

Like truth.py, it reads only the simulator's own records: the statement files
an account's reader would load, with their lines and printed balances.

Example: statements cover 1–31 May and 1–30 June (by OFX dates, or by lines
whose running balances follow on); with ``statement_gap_days`` 7 nothing is
raised. If July is missing, 1–31 July is a gap: ``STATEMENT_GAP`` for the
period holding 1 July, and the quarter's ``CONTRIBUTION_MISSING`` is withheld.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pipelines.simulate.judge import _period_of
from pipelines.simulate.records import Budget, StatementFile

if TYPE_CHECKING:
    from pipelines.simulate.truth import Judge


# docs/rules.md §9: the span of statements each rule's "did not happen" rests on
_RESTS_ON = {"UNDERSPEND_LINE": "period", "EVIDENCE_OVERDUE": "period", "SURPLUS_BALANCE": "to_date",
             "OVERSPEND": "to_date", "CONTRIBUTION_MISSING": "to_date", "INVOICE_UNPAID": "to_run"}


def rests_on_gap(rule: str, ps: int, gaps: list[tuple[int, int]], periods: list[tuple[int, int]],
                  term_start: int, as_of: int) -> bool:
    """Is this finding withheld because a statement gap touches the span it rests on?"""
    window = _RESTS_ON.get(rule)
    if window is None or not gaps:
        return False
    pe = next(e for s, e in periods if s == ps)
    lo, hi = {"period": (ps, pe), "to_date": (term_start, pe), "to_run": (ps, max(pe, as_of))}[window]
    return any(g0 <= hi and g1 >= lo for g0, g1 in gaps)


def unpaid_rests_on_gap(inv, invoices, gaps: list[tuple[int, int]], periods: list[tuple[int, int]],
                        as_of: int) -> bool:
    """docs/rules.md §9: an unpaid invoice also rests on every statement since the first
    bill its provider sent the budget (a payment naming only the provider pays the
    oldest bill first, so one missing for an earlier bill would leave this one short)."""
    first = min(i.issue for i in invoices
                if i.kind == "invoice" and i.budget_id == inv.budget_id and i.provider_id == inv.provider_id)
    ps = _period_of(periods, inv.due)
    pe = next(e for s, e in periods if s == ps)
    lo, hi = min(first, ps), max(pe, as_of)
    return any(g0 <= hi and g1 >= lo for g0, g1 in gaps)


def coverage_spans(files: list[StatementFile]) -> list[tuple[int, int]]:
    """The days the account's statement files cover, sorted (also the six further checks' known days)."""
    spans = []
    for f in files:
        if f.fmt in ("ofx1", "ofx2", "prepaid"):
            # OFX says what it covers; the monthly card feed covers its whole month for
            # every card in it (docs/rules.md: a CSV covers the span of all its lines,
            # and with dozens of cards that span is the month)
            spans.append((f.start, f.end))
        elif f.lines:
            spans.append((min(t.day for t in f.lines), max(t.day for t in f.lines)))
    # statements whose running balances follow on cover the days between them (no money moved)
    chain = sorted((f.lines[0].day, f.lines[-1].day, f.balances[0] - f.lines[0].amount
                    if f.balances[0] is not None else None, f.balances[-1])
                   for f in files if f.fmt not in ("ofx1", "ofx2") and f.lines)
    for (_, last, _, closing), (first, _, opening, _) in zip(chain, chain[1:], strict=False):
        if first > last and opening is not None and closing is not None and opening == closing:
            spans.append((last, first))
    return sorted(spans)


def gaps(files: list[StatementFile], budgets: list[Budget], judge: Judge, flag) -> dict[str, list[tuple[int, int]]]:
    """Flag STATEMENT_GAP; return each budget's uncovered runs (first, last day)."""
    gap_days = judge.policy.statement_gap_days
    missing: dict[str, list[tuple[int, int]]] = {}
    spans = coverage_spans(files)
    for f in files:
        if f.fmt in ("ofx1", "ofx2"):
            continue  # OFX prints no running balance
        for n in range(1, len(f.lines)):
            prev, cur = f.balances[n - 1], f.balances[n]
            if prev is not None and cur is not None and cur != prev + f.lines[n].amount:
                day = f.lines[n].day
                owner = [b for b in budgets if b.start <= day <= b.end]
                if owner:
                    flag(owner[-1], "STATEMENT_GAP", day, abs(cur - prev - f.lines[n].amount))
    if not spans:
        return missing
    last_covered = max(e for _, e in spans)
    for b in budgets:
        lo, hi = b.start, min(b.end, last_covered)
        day = lo
        for s, e in spans:
            if e < day:
                continue
            if s > hi:
                break
            if s > day and s - day > gap_days:
                flag(b, "STATEMENT_GAP", day, 0)
                missing.setdefault(b.budget_id, []).append((day, s - 1))
            day = max(day, e + 1)
            if day > hi:
                break
        if day <= hi and hi - day + 1 > gap_days:
            flag(b, "STATEMENT_GAP", day, 0)
            missing.setdefault(b.budget_id, []).append((day, hi))
    return missing
