"""The recovery loop: money the council asks back, and the repayments that settle it.

An officer's ``recover`` decision on an exception (with the amount) creates a
recovery, one per exception (``recovery_id`` is fixed by the exception id).
A notice is issued once (``flows/notices.py``); the money is then due
``recovery_due_days`` after the notice. Repayments are recognised on the
statements, from the day of the first ``recover`` decision:

* **repay**: money out of the account to the council (transaction class
  ``repayment``: the council's payee patterns on money out, docs/rules.md §3);
* **reduce_payments**: a council payment smaller than the budget's
  ``payment_amount``; the shortfall is the repayment (a direct repayment
  counts too);
* an officer's ``recovered`` decision on the same exception (money back by
  cheque or at the counter) counts on the day it is recorded.

Repayments on one account go to its recoveries oldest first (by decision
day, then id); what is left over goes to the next. Status: ``repaid`` once
the repayments reach the amount; otherwise the latest of the officer's
``written_off`` / ``reconsidering`` / ``recover`` decisions: the first two
give that status; otherwise ``part_repaid`` if anything came back, else
``notified``. A written-off recovery takes no repayment dated after it.

Worked example: £300.00 asked back on 10 March, method reduce_payments, on a
budget paid £520.00 every four weeks. The payments of 24 March and 21 April
arrive as £370.00 and £370.00: £150.00 each is counted, so after 24 March it
is ``part_repaid`` (£150.00) and after 21 April ``repaid`` (£300.00), with
``repaid_on`` 21 April.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

import polars as pl

from schemas.policy import Policy
from schemas.warehouse import recoveries as recoveries_table

ZERO = Decimal("0.00")
STATUS_DECISIONS = {"written_off": "written_off", "reconsidering": "reconsidering", "recover": None}
OPEN_STATUSES = ("notified", "part_repaid")  # still owed and still pursued


def recovery_id(exception_id: str) -> str:
    """Stable across rebuilds: the same exception's recovery always has the same id."""
    return "R" + hashlib.sha256(f"recovery|{exception_id}".encode()).hexdigest()[:12].upper()


@dataclass
class Recovery:
    recovery_id: str
    exception_id: str
    budget_id: str
    account_id: str
    amount: Decimal
    method: str
    decided_on: date
    override: str | None = None  # written_off / reconsidering from the latest decision
    stopped_on: date | None = None  # a write-off: no repayment after this day counts
    repaid: Decimal = ZERO
    repaid_on: date | None = None
    counted: list[str] = field(default_factory=list)

    @property
    def remaining(self) -> Decimal:
        return self.amount - self.repaid

    def takes(self, day: date, kind: str) -> bool:
        if self.remaining <= 0 or day < self.decided_on:
            return False
        if self.stopped_on is not None and day > self.stopped_on:
            return False
        return kind == "direct" or self.method == "reduce_payments"

    def count(self, day: date, amount: Decimal, ref: str) -> Decimal:
        part = min(amount, self.remaining)
        self.repaid += part
        self.repaid_on = day
        self.counted.append(ref)
        return part

    @property
    def status(self) -> str:
        if self.repaid >= self.amount:
            return "repaid"
        if self.override:
            return self.override
        return "part_repaid" if self.repaid > 0 else "notified"


def open_recoveries(decisions: pl.DataFrame, exceptions: pl.DataFrame, budgets: pl.DataFrame,
                    policy: Policy) -> list[Recovery]:
    """Every exception with a ``recover`` decision, as the decisions leave it (before repayments)."""
    asked = decisions.filter(pl.col("decision").is_in(list(STATUS_DECISIONS)))
    if asked.height == 0:
        return []
    owner = dict(exceptions.select("exception_id", "budget_id").iter_rows())
    account = dict(budgets.select("budget_id", "account_id").iter_rows())
    out = []
    for (exception_id,), g in asked.sort("decided_at", "decision").group_by("exception_id", maintain_order=True):
        rows = list(g.iter_rows(named=True))
        recovers = [r for r in rows if r["decision"] == "recover"]
        budget_id = owner.get(exception_id)
        if not recovers or budget_id is None or budget_id not in account:
            continue  # nothing asked back yet, or an exception no budget owns: nobody to ask
        first, latest = recovers[0], recovers[-1]
        rec = Recovery(recovery_id(exception_id), exception_id, budget_id, account[budget_id],
                       latest["amount_asked"], latest["method"] or policy.recovery_method,
                       first["decided_at"].date())
        last = rows[-1]
        rec.override = STATUS_DECISIONS[last["decision"]]
        if last["decision"] == "written_off":
            rec.stopped_on = last["decided_at"].date()
        out.append(rec)
    return out


def repayment_events(recs: list[Recovery], txns: pl.DataFrame, budgets: pl.DataFrame,
                     as_of: date) -> pl.DataFrame:
    """Money back on the recoveries' accounts since the first decision: direct repayments, and
    council payments short of the budget's payment (the shortfall), in date order."""
    schema = {"account_id": pl.String, "date": pl.Date, "transaction_id": pl.String, "amount": pl.Decimal(18, 2),
              "kind": pl.String}
    if not recs:
        return pl.DataFrame(schema=schema)
    since = pl.DataFrame([(r.account_id, r.decided_on) for r in recs], schema={"account_id": pl.String,
                                                                                  "since": pl.Date}, orient="row")
    since = since.group_by("account_id").agg(pl.col("since").min())
    mine = txns.join(since, on="account_id").filter((pl.col("date") >= pl.col("since")) & (pl.col("date") <= as_of))
    direct = mine.filter(pl.col("txn_class") == "repayment").select(
        "account_id", "date", "transaction_id", (-pl.col("amount")).alias("amount"), pl.lit("direct").alias("kind"))
    paid = mine.filter(pl.col("txn_class") == "council_payment").join(
        budgets.select("budget_id", "payment_amount"), on="budget_id")
    short = paid.filter(pl.col("amount") < pl.col("payment_amount")).select(
        "account_id", "date", "transaction_id", (pl.col("payment_amount") - pl.col("amount")).alias("amount"),
        pl.lit("reduced").alias("kind"))
    return pl.concat([direct.cast(schema), short.cast(schema)]).sort("account_id", "date", "transaction_id")


def recoveries(decisions: pl.DataFrame, exceptions: pl.DataFrame, budgets: pl.DataFrame, txns: pl.DataFrame,
               notices: pl.DataFrame, policy: Policy, as_of: date) -> pl.DataFrame:
    """``core.recoveries``: one row per recovery, with what has come back and its status.

    ``notices`` holds ``recovery_id, issued_on`` (the notices ledger); the latest notice of a
    recovery gives ``notified_on``, and ``due_on`` is ``recovery_due_days`` after it."""
    recs = open_recoveries(decisions, exceptions, budgets, policy)
    by_account: dict[str, list[Recovery]] = {}
    for r in sorted(recs, key=lambda r: (r.decided_on, r.recovery_id)):
        by_account.setdefault(r.account_id, []).append(r)
    # money an officer recorded as recovered (on the exception itself) and money seen on the
    # statements (on the account), in date order
    recorded = decisions.filter((pl.col("decision") == "recovered") & pl.col("amount_recovered").is_not_null())
    by_exception = {r.exception_id: r for r in recs}
    events = [(row["decided_at"].date(), 0, f"decision {row['decided_at'].date().isoformat()}",
               row["amount_recovered"], "recorded", row["exception_id"])
              for row in recorded.iter_rows(named=True) if row["exception_id"] in by_exception]
    events += [(day, 1, ref, amount, kind, account_id) for account_id, day, ref, amount, kind in
               repayment_events(recs, txns, budgets, as_of).select(
                   "account_id", "date", "transaction_id", "amount", "kind").iter_rows()]
    for day, _, ref, amount, kind, whose in sorted(events, key=lambda e: e[:3]):
        if kind == "recorded":
            rec = by_exception[whose]
            if rec.takes(day, "direct"):
                rec.count(day, amount, ref)
            continue
        left = amount
        for rec in by_account.get(whose, []):
            if left <= 0:
                break
            if rec.takes(day, kind):
                left -= rec.count(day, left, ref)
    notified = {}
    if notices.height:
        notified = dict(notices.group_by("recovery_id").agg(pl.col("issued_on").max()).iter_rows())
    rows = []
    for r in recs:
        on = notified.get(r.recovery_id)
        rows.append(dict(recovery_id=r.recovery_id, exception_id=r.exception_id, budget_id=r.budget_id,
                         amount=r.amount, notified_on=on,
                         due_on=on + timedelta(days=policy.recovery_due_days) if on else None,
                         repaid=r.repaid, repaid_on=r.repaid_on, status=r.status, method=r.method,
                         decided_on=r.decided_on, evidence=" ".join(r.counted) or None))
    schema = recoveries_table.polars_schema()
    return pl.DataFrame(rows, schema=schema, orient="row").sort("recovery_id") if rows else pl.DataFrame(schema=schema)
