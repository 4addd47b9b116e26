"""The follow-up tables: what happens after an exception (issue 18).

``core.audits`` (officers' audits, from the audits store), ``core.audit_plan``
(who to audit next and why), ``core.recoveries`` (money asked back and repaid)
and ``core.policy_snapshot`` (the policy the last run judged by, for commands that
run between nights). Declared here, beside the warehouse's other tables
(``schemas/warehouse.py`` lists them among ``CORE``), to keep each module to one idea.
"""

from __future__ import annotations

from schemas.core import Column, Kind, Table

audits = Table(
    name="audits",
    grain="one audit an officer recorded as done (append-only; kept outside the rebuilt file)",
    lineage=False,
    columns=(
        Column("budget_id"),
        Column("audited_on", Kind.DATE),
        Column("reviewer"),
        Column("note", required=False),
        Column("recorded_at", Kind.TIMESTAMP),
    ),
)

audit_plan = Table(
    name="audit_plan",
    grain="one budget: how risky it looks and when to audit it next (docs/rules.md §6)",
    key=("budget_id",),
    lineage=False,
    columns=(
        Column("budget_id"),
        Column("risk_score", Kind.INT),
        Column("risk_reasons"),
        Column("last_audit", Kind.DATE, required=False),
        Column("next_audit_due", Kind.DATE, required=False),
        Column("review_due", Kind.DATE, required=False),
        Column("tier", allowed=("light touch", "standard", "intensive")),
        Column("first_audit_from", Kind.DATE, required=False, doc="a budget never audited: its first audit's window"),
        Column("first_audit_by", Kind.DATE, required=False),
    ),
)

recoveries = Table(
    name="recoveries",
    grain="one sum the council asks to be paid back: one per exception with a 'recover' decision (§7)",
    key=("recovery_id",),
    lineage=False,
    columns=(
        Column("recovery_id"),
        Column("exception_id"),
        Column("budget_id"),
        Column("amount", Kind.MONEY),
        Column("notified_on", Kind.DATE, required=False),
        Column("due_on", Kind.DATE, required=False),
        Column("repaid", Kind.MONEY),
        Column("repaid_on", Kind.DATE, required=False),
        Column("status", allowed=("notified", "part_repaid", "repaid", "written_off", "reconsidering")),
        Column("method", allowed=("repay", "reduce_payments")),
        Column("decided_on", Kind.DATE),
        Column("evidence", required=False, doc="the repayments counted: transaction ids, space-separated"),
    ),
)

policy_snapshot = Table(
    name="policy_snapshot",
    grain="the policy the last run judged by (one row), for the commands that run between nights",
    lineage=False,
    columns=(Column("policy_json"), Column("as_of", Kind.DATE)),
)
