"""Small payment and invoice frames for the matching tests (test_match*.py)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import polars as pl

from pipelines.match import MatchResult, match_payments
from schemas.warehouse import matches as matches_table

MONEY = pl.Decimal(18, 2)
D0 = date(2026, 3, 1)

TXN_SCHEMA = {
    "transaction_id": pl.String,
    "account_id": pl.String,
    "budget_id": pl.String,
    "date": pl.Date,
    "amount": MONEY,
    "payee": pl.String,
    "memo": pl.String,
    "mcc": pl.String,
}
INV_SCHEMA = {
    "invoice_id": pl.String,
    "provider_id": pl.String,
    "budget_id": pl.String,
    "issue_date": pl.Date,
    "due_date": pl.Date,
    "amount": MONEY,
    "kind": pl.String,
}
PROVIDERS = pl.DataFrame(
    {
        "provider_id": ["ACME", "BRIGHT", "CARECO"],
        "name": ["Acme Home Care Ltd", "Bright Days CIC", "Care Co"],
        "payee_patterns": ["acme ?home|acme care", "bright days", None],
        "category": ["agency_care", "day_activity", "other"],
        "approved": [True, True, False],
    }
)


def day(n: int) -> date:
    return D0 + timedelta(days=n)


def txns(*rows: tuple) -> pl.DataFrame:
    """Rows ``(transaction_id, day, amount, payee, memo[, budget_id[, account_id]])``."""
    out = []
    for r in rows:
        tid, d, amount, payee, memo = r[:5]
        budget = r[5] if len(r) > 5 else "B1"
        account = r[6] if len(r) > 6 else "ACC1"
        out.append((tid, account, budget, day(d), Decimal(amount), payee, memo, None))
    return pl.DataFrame(out, schema=TXN_SCHEMA, orient="row")


def invs(*rows: tuple) -> pl.DataFrame:
    """Rows ``(invoice_id, provider_id, issue day, amount[, kind[, budget_id[, due day]]])``."""
    out = []
    for r in rows:
        iid, provider, issue, amount = r[:4]
        kind = r[4] if len(r) > 4 else "invoice"
        budget = r[5] if len(r) > 5 else "B1"
        due = r[6] if len(r) > 6 else issue + 14
        out.append((iid, provider, budget, day(issue), day(due), Decimal(amount), kind))
    return pl.DataFrame(out, schema=INV_SCHEMA, orient="row")


def expected(*rows: tuple) -> pl.DataFrame:
    """Rows ``(transaction_id, invoice_id, amount, method, confidence)`` on ACC1."""
    return pl.DataFrame(
        [(t, "ACC1", i, Decimal(a), m, Decimal(c)) for t, i, a, m, c in rows],
        schema=matches_table.polars_schema(),
        orient="row",
    ).sort("transaction_id", "account_id", "invoice_id")


def status(result: MatchResult) -> dict[str, tuple[str, str, str]]:
    """invoice_id → (credited_amount, paid_amount, payment_status)."""
    return {
        r["invoice_id"]: (str(r["credited_amount"]), str(r["paid_amount"]), r["payment_status"])
        for r in result.invoices.iter_rows(named=True)
    }


def run(t: pl.DataFrame, i: pl.DataFrame, **kw) -> MatchResult:
    return match_payments(t, i, PROVIDERS, **kw)
