"""Which invoice a credit note corrects, before any payment is applied.

A credit note reduces what its provider's invoice of the budget owes. The
invoice it corrects is, first that applies: the one its billing reference
names (UBL ``BillingReference``); the one whose id starts its own id
(``INV-7-CR`` corrects ``INV-7``, but ``INV-70`` does not start ``INV-7-``);
the provider's invoice for the very same billing period. A note naming none
of them nets against the provider's oldest open invoice
(:meth:`pipelines.match_alloc.Book.net_credit_notes`).

Example: Acme's ``AC-1002-CR`` for £20.00 corrects ``AC-1002`` (£150.00),
which then owes £130.00 whatever Acme's older invoices owe.
"""

from __future__ import annotations

import polars as pl


def credit_targets(notes: pl.DataFrame, invs: pl.DataFrame) -> list[int | None]:
    """The invoice each credit note corrects: the one its billing reference names,
    else the one whose id starts its own id (``INV-7-CR`` corrects ``INV-7``),
    else the provider's invoice for the very same billing period."""
    def col(frame: pl.DataFrame, name: str) -> list:
        return frame[name].to_list() if name in frame.columns else [None] * frame.height

    by_id = {(b, v): i for b, v, i in zip(invs["budget_id"], invs["invoice_id"], invs["i"], strict=True)}
    by_period = {}
    for b, pr, s, e, i in zip(invs["budget_id"], invs["provider_id"], col(invs, "period_start"),
                              col(invs, "period_end"), invs["i"], strict=True):
        if s is not None and e is not None:
            by_period.setdefault((b, pr, s, e), i)
    ids_by_budget: dict[str, list[str]] = {}
    for b, v in by_id:
        ids_by_budget.setdefault(b, []).append(v)
    out: list[int | None] = []
    for b, pr, nid, ref, s, e in zip(notes["budget_id"], notes["provider_id"], notes["invoice_id"],
                                     col(notes, "billing_reference"), col(notes, "period_start"),
                                     col(notes, "period_end"), strict=True):
        target = by_id.get((b, ref)) if ref else None
        if target is None and nid:
            prefixes = [v for v in ids_by_budget.get(b, []) if nid != v and nid.startswith(v)
                        and not nid[len(v)].isalnum()]
            target = by_id[(b, max(prefixes, key=len))] if prefixes else None
        if target is None and s is not None and e is not None:
            target = by_period.get((b, pr, s, e))
        out.append(target)
    return out
