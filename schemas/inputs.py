"""Inputs as the contract (shared/contract.md §1) defines them.

Every reader, whatever the file format, emits the text form of one of these
tables (``Table.text_schema()``): OFX, the generic CSV layout and bank CSV
profiles all become ``statement_lines``; invoice CSV and UBL XML both become
``invoice_lines``. Validation and typing then happen once per table.
"""

from __future__ import annotations

from schemas.core import Column, Kind, Table

OUTCOME_DOMAINS = (
    "wellbeing",
    "social_participation",
    "confidence_skills",
    "daily_living",
    "physical_health",
    "carer_break",
    "work_learning",
    "safety",
)
CATEGORIES = (
    "personal_assistant",
    "agency_care",
    "short_break",
    "day_activity",
    "social_activity",
    "equipment",
    "transport",
    "employer_costs",
    "other",
)
MANAGED_BY = ("self", "family", "representative", "managed_account")
COHORTS = ("adult", "child", "mental_health", "health")
FREQUENCIES = ("weekly", "four_weekly", "monthly")
BUDGET_STATUS = ("active", "suspended", "ended")
INVOICE_KINDS = ("invoice", "credit_note")
EVIDENCE_TYPES = ("receipt", "invoice", "timesheet", "payslip", "explanation")
MCC_PATTERN = r"^[0-9]{4}$"

budgets = Table(
    name="budgets",
    grain="one agreed personal budget (one term of one account)",
    key=("budget_id",),
    columns=(
        Column("budget_id", unique=True),
        Column("person_ref"),
        Column("holder_name"),
        Column("managed_by", allowed=MANAGED_BY),
        Column("cohort", allowed=COHORTS),
        Column("account_id"),
        Column("start_date", Kind.DATE),
        Column("end_date", Kind.DATE),
        Column("estimated_amount", Kind.MONEY, required=False),
        Column("agreed_amount", Kind.MONEY),
        Column("payment_frequency", allowed=FREQUENCIES),
        Column("payment_amount", Kind.MONEY),
        Column("weekly_contribution", Kind.MONEY),
        Column("review_date", Kind.DATE, required=False),
        Column("status", allowed=BUDGET_STATUS),
    ),
)

plan_lines = Table(
    name="plan_lines",
    grain="one line of a support plan",
    key=("budget_id", "line_id"),
    columns=(
        Column("budget_id"),
        Column("line_id"),
        Column("need", required=False),
        Column("outcome_domain", allowed=OUTCOME_DOMAINS),
        Column("category", allowed=CATEGORIES),
        Column("provider_id", required=False),
        Column("weekly_units", Kind.QUANTITY),
        Column("unit_rate", Kind.MONEY),
        Column("planned_amount", Kind.MONEY),
    ),
)

providers = Table(
    name="providers",
    grain="one provider on the council's register",
    key=("provider_id",),
    columns=(
        Column("provider_id", unique=True),
        Column("name"),
        Column("payee_patterns", required=False),
        Column("category", allowed=CATEGORIES),
        Column("approved", Kind.BOOL),
        Column("agreed_rate", Kind.MONEY, required=False),
    ),
)

statement_lines = Table(
    name="statement_lines",
    grain="one transaction line of one statement file",
    key=("account_id", "transaction_id"),
    doc="Bank and prepaid-card transactions from OFX, the generic CSV layout or a bank CSV profile.",
    columns=(
        Column("account_id"),
        Column("transaction_id", doc="FITID / the feed's id, or a stable content id"),
        Column("id_source", allowed=("bank", "content"), doc="where transaction_id came from"),
        Column("date", Kind.DATE, doc="the account holder's local date"),
        Column("amount", Kind.MONEY, doc="signed: money out is negative"),
        Column("payee", required=False),
        Column("memo", required=False),
        Column("trntype", required=False),
        Column("mcc", required=False, pattern=MCC_PATTERN),
        Column("balance", Kind.MONEY, required=False, doc="running balance after the line"),
    ),
)

statement_balances = Table(
    name="statement_balances",
    grain="one statement (account and covered date range) in one file",
    key=("account_id", "start_date", "end_date"),
    doc="What a statement says it covers, and the balance it closes on.",
    columns=(
        Column("account_id"),
        Column("start_date", Kind.DATE),
        Column("end_date", Kind.DATE),
        Column("closing_balance", Kind.MONEY, required=False),
        Column("closing_date", Kind.DATE, required=False),
    ),
)

invoice_lines = Table(
    name="invoice_lines",
    grain="one invoice or credit note: a document is its provider, its kind and its number",
    key=("provider_id", "kind", "invoice_id"),
    columns=(
        Column("invoice_id"),
        Column("provider_id"),
        Column("budget_id"),
        Column("issue_date", Kind.DATE),
        Column("due_date", Kind.DATE),
        Column("period_start", Kind.DATE, required=False),
        Column("period_end", Kind.DATE, required=False),
        Column("category", allowed=CATEGORIES, required=False),
        Column("units", Kind.QUANTITY, required=False),
        Column("unit_rate", Kind.MONEY, required=False),
        Column("amount", Kind.MONEY, doc="positive; a credit note's amount is what it takes off"),
        Column("kind", allowed=INVOICE_KINDS),
        Column("billing_reference", required=False,
               doc="beyond the contract: the invoice a credit note corrects (UBL BillingReference)"),
    ),
)

evidence_items = Table(
    name="evidence_items",
    grain="one line of a family's evidence manifest",
    key=("budget_id", "period", "transaction_ref", "file"),
    columns=(
        Column("budget_id"),
        Column("period", Kind.DATE, doc="start date of the monitoring period"),
        Column("transaction_ref", required=False),
        Column("evidence_type", allowed=EVIDENCE_TYPES),
        Column("file", required=False),
        Column("amount", Kind.MONEY, required=False),
        Column("note", required=False),
        Column("submitted_on", Kind.DATE, required=False, doc="beyond the contract: when the family sent it"),
        Column("file_present", Kind.BOOL, doc="the named file was in the return"),
    ),
)

ALL_INPUTS = {
    t.name: t
    for t in (
        budgets,
        plan_lines,
        providers,
        statement_lines,
        statement_balances,
        invoice_lines,
        evidence_items,
    )
}
