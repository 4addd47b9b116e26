"""The warehouse: landing tables, derived tables and the auditors' views.

Three schemas, one direction of data:

* ``land``  – what came in, typed, with lineage (``file_id``, ``source_path``,
  ``source_line``); append-only across runs; plus the ingest log, quarantine,
  runs and the carried-forward exception history.
* ``core``  – derived from ``land`` on every run (transactions deduplicated
  across overlapping statements, invoice versions, matches, positions,
  exceptions). Safe to rebuild.
* ``audit`` – the contract's views (shared/contract.md §3), names stable.
"""

from __future__ import annotations

from dataclasses import replace

from schemas import inputs
from schemas.core import Column, Kind, Table
from schemas.followup import audit_plan, audits, policy_snapshot, recoveries  # noqa: F401 (re-exported)

LINEAGE_COLUMNS = (
    Column("file_id"),
    Column("source_path"),
    Column("source_line", Kind.INT, required=False),
)


def landed(table: Table, *more: Column) -> Table:
    """An input table with lineage, as the register sits in ``core`` (one row per key)."""
    return replace(table, extra=tuple(more) + LINEAGE_COLUMNS)


def kept(table: Table, *more: Column) -> Table:
    """An input table as it sits in ``land``: every version of every row, each with its
    file and line, so the input's key is not the table's key there (a budget resent
    in next month's budgets.csv is a second row)."""
    return replace(landed(table, *more), key=(), grain=f"{table.grain}, as one file gave it")


ingest_log = Table(
    name="ingest_log",
    grain="one file seen (a path with given content), logged once",
    key=("file_id",),
    lineage=False,
    columns=(
        Column("file_id"),
        Column("path"),
        Column("sha256"),
        Column("format", required=False),
        Column("kind"),
        Column("status", allowed=("accepted", "duplicate", "quarantined")),
        Column("reason", required=False),
        Column("rows_loaded", Kind.INT),
        Column("rows_quarantined", Kind.INT),
        Column("rows_new", Kind.INT, doc="rows not already known from an earlier file"),
        Column("notes", required=False),
        Column("run_id"),
        Column("seen_at", Kind.TIMESTAMP),
        Column("seq", Kind.INT, doc="load order across runs"),
    ),
)

quarantine = Table(
    name="quarantine",
    grain="one row or whole file set aside",
    lineage=False,
    columns=(
        Column("file_id"),
        Column("path"),
        Column("line", Kind.INT, required=False),
        Column("reason"),
        Column("raw", required=False),
        Column("run_id"),
    ),
)

register_held = Table(
    name="register_held",
    grain="one register row set aside, by the id it carries (so the last good version can stand in)",
    lineage=False,
    columns=(
        Column("file_id"),
        Column("register", allowed=("budgets", "plan_lines", "providers")),
        Column("key", required=False,
               doc="the row's id: budget_id; budget_id / line_id; provider_id (empty: a row that could not be read)"),
        Column("line", Kind.INT, required=False),
        Column("reason"),
        Column("run_id"),
    ),
)

runs = Table(
    name="runs",
    grain="one run of the nightly job",
    key=("run_id",),
    lineage=False,
    columns=(
        Column("run_id"),
        Column("as_of", Kind.DATE),
        Column("started_at", Kind.TIMESTAMP),
        Column("finished_at", Kind.TIMESTAMP, required=False),
        Column("status"),
        Column("files_seen", Kind.INT),
        Column("exceptions_open", Kind.INT),
        Column("code_version", required=False,
               doc="the code that wrote the books this run left (flows/version.py); empty before it was kept"),
    ),
)

reviews = Table(
    name="reviews",
    grain="one officer decision (append-only; kept outside the rebuilt file)",
    lineage=False,
    columns=(
        Column("exception_id"),
        Column("reviewer"),
        Column("decided_at", Kind.TIMESTAMP),
        Column("decision", allowed=("confirmed", "dismissed", "recovered", "referred", "recover", "written_off",
                                    "reconsidering")),
        Column("note", required=False),
        Column("amount_recovered", Kind.MONEY, required=False),
        Column("amount_asked", Kind.MONEY, required=False, doc="with 'recover': the sum asked back"),
        Column("method", required=False, doc="with 'recover': repay or reduce_payments (else the policy's)"),
    ),
)

# ---- core: derived each run -------------------------------------------------

BUDGET_PERIOD = (Column("budget_id"), Column("period_start", Kind.DATE), Column("period_end", Kind.DATE))

transactions = Table(
    name="transactions",
    grain="one bank transaction (deduplicated across overlapping statements)",
    key=("account_id", "transaction_id"),
    lineage=False,
    columns=(
        Column("transaction_id"),
        Column("account_id"),
        Column("budget_id", required=False),
        Column("date", Kind.DATE),
        Column("amount", Kind.MONEY),
        Column("payee", required=False),
        Column("memo", required=False),
        Column("trntype", required=False),
        Column("mcc", required=False),
        Column("txn_class", required=False),
        Column("category", required=False),
        Column("plan_line_id", required=False),
        Column("provider_id", required=False),
        Column("invoice_id", required=False),
        Column("needs_evidence", Kind.BOOL, required=False),
        Column("evidence_ref", required=False, doc="the reference printed on the return"),
        Column("source_path"),
        Column("source_line", Kind.INT, required=False),
    ),
)

invoices = Table(
    name="invoices",
    grain="one invoice or credit note (latest version); a credit note sharing an invoice's number is another document",
    key=("provider_id", "kind", "invoice_id"),
    lineage=False,
    # the input's own columns, then what reconciliation adds
    columns=inputs.invoice_lines.columns + (
        Column("credited_amount", Kind.MONEY, required=False),
        Column("paid_amount", Kind.MONEY),
        Column("payment_status"),
        Column("version", Kind.INT),
        Column("source_path"),
        Column("source_line", Kind.INT, required=False),
    ),
)

matches = Table(
    name="matches",
    grain="one link between a transaction and an invoice",
    lineage=False,
    columns=(
        Column("transaction_id"),
        Column("account_id"),
        Column("invoice_id"),
        Column("amount", Kind.MONEY),
        Column("method"),
        Column("confidence", Kind.QUANTITY),
    ),
)

budget_positions = Table(
    name="budget_positions",
    grain="one budget and monitoring period",
    key=("budget_id", "period_start"),
    lineage=False,
    columns=BUDGET_PERIOD + (
        Column("opening_balance", Kind.MONEY),
        Column("council_paid", Kind.MONEY),
        Column("contributions_due", Kind.MONEY),
        Column("contributions_paid", Kind.MONEY),
        Column("spent", Kind.MONEY),
        Column("closing_balance", Kind.MONEY),
        Column("owed", Kind.MONEY),
        Column("weeks_held", Kind.QUANTITY, required=False),
    ),
)

line_positions = Table(
    name="line_positions",
    grain="one plan line and monitoring period",
    key=("budget_id", "line_id", "period_start"),
    lineage=False,
    columns=(
        Column("budget_id"),
        Column("line_id"),
        Column("outcome_domain"),
        Column("category"),
        Column("period_start", Kind.DATE),
        Column("period_end", Kind.DATE),
        Column("planned", Kind.MONEY),
        Column("spent", Kind.MONEY),
    ),
)

exceptions = Table(
    name="exceptions",
    grain="one flag raised (stable id from rule, budget, period and subject)",
    key=("exception_id",),
    lineage=False,
    columns=(
        Column("exception_id"),
        Column("rule_code"),
        Column("severity", allowed=("low", "medium", "high")),
        Column("budget_id", required=False),
        Column("period_start", Kind.DATE, required=False),
        Column("period_end", Kind.DATE, required=False),
        Column("amount", Kind.MONEY, required=False),
        Column("explanation"),
        Column("evidence", required=False, doc="transaction or invoice ids, space-separated"),
        Column("subject", required=False),
        Column("first_seen", Kind.DATE),
        Column("last_seen", Kind.DATE),
        Column("status"),
    ),
)

# the last-known state of every exception ever raised, carried from run to run
exception_history = replace(exceptions, name="exception_history")

# what officers and auditors read: the history with each exception's share of
# "money at stake" (pipelines/stake.py), set as decisions are applied
exceptions = replace(exceptions, columns=exceptions.columns + (
    Column("at_stake", Kind.MONEY, required=False,
           doc="its share of money at stake, no pound counted twice (docs/rules.md §10)"),))

# what the rules raised on the last run, before history and officers' decisions: a night that
# judges again only the budgets whose books changed keeps every other budget's from here
# (pipelines/incremental.py); internal, not an audit view
raised = Table(
    name="raised",
    grain="one exception the rules raised on the last run, as raised (before history and decisions)",
    key=("exception_id",),
    lineage=False,
    columns=tuple(c for c in exception_history.columns if c.name not in ("first_seen", "last_seen", "status"))
    + (Column("current", Kind.BOOL, doc="its condition holds in the latest period judged"),),
)

exception_periods = Table(
    name="exception_periods",
    grain="one period's finding of a rule, and the exception (episode) it belongs to",
    key=("flag_id",),
    lineage=False,
    columns=(
        Column("exception_id", doc="the exception (one per episode) this finding belongs to"),
        Column("flag_id", doc="the finding's own id: rule, budget, period and subject"),
        Column("rule_code"),
        Column("budget_id", required=False),
        Column("period_start", Kind.DATE, required=False),
        Column("period_end", Kind.DATE, required=False),
        Column("amount", Kind.MONEY, required=False),
    ),
)

statement_gaps = Table(
    name="statement_gaps",
    grain="one run of days no statement of a budget's account covers (longer than the policy allows)",
    key=("budget_id", "gap_start"),
    lineage=False,
    columns=(Column("budget_id"), Column("gap_start", Kind.DATE), Column("gap_end", Kind.DATE)),
)

corrections = Table(
    name="corrections",
    grain="one earlier version of a bank transaction that a later statement corrected",
    lineage=False,  # no key: a file edited in place can give two versions from one path and line
    columns=(
        Column("account_id"),
        Column("transaction_id"),
        Column("changes", doc="what the correction changed, e.g. amount -£40.00 → -£45.00"),
        Column("was_path", doc="the file of the earlier version"),
        Column("was_line", Kind.INT, required=False),
        Column("now_path", doc="the file of the version that stands"),
        Column("now_line", Kind.INT, required=False),
    ),
)

evidence_returns = Table(
    name="evidence_returns",
    grain="one evidence return due (budget and period)",
    key=("budget_id", "period_start"),
    lineage=False,
    columns=BUDGET_PERIOD + (
        Column("due_date", Kind.DATE),
        Column("received_at", Kind.DATE, required=False),
        Column("items_evidenced", Kind.INT),
        Column("items_outstanding", Kind.INT),
        Column("eligibility_status", allowed=("ok", "at_risk", "lapsed")),
    ),
)

council = Table(
    name="council",
    grain="the council whose inbox the last run read (one row), from register/council.yaml",
    lineage=False,
    columns=(
        Column("name", doc="printed on reports, letters and portal pages"),
        Column("team", required=False),
        Column("address", required=False, doc="the address lines, one per line"),
        Column("phone", required=False),
        Column("email", required=False),
        Column("portal_url", required=False),
        Column("details", doc="the whole register/council.yaml as read (JSON), bank details included"),
        Column("source_path", required=False, doc="register/council.yaml, or empty when the defaults apply"),
    ),
)

CORE = {
    t.name: t
    for t in (
        landed(inputs.budgets),
        landed(inputs.plan_lines),
        landed(inputs.providers),
        transactions,
        invoices,
        matches,
        budget_positions,
        line_positions,
        exceptions,
        exception_periods,
        statement_gaps,
        raised,
        evidence_returns,
        reviews,
        council,
        corrections,
        audits,
        audit_plan,
        recoveries,
        policy_snapshot,
    )
}

LAND = {
    "budgets": kept(inputs.budgets),
    "plan_lines": kept(inputs.plan_lines),
    "providers": kept(inputs.providers),
    "statement_lines": kept(inputs.statement_lines, Column("seq", Kind.INT)),
    "statement_balances": kept(inputs.statement_balances),
    "invoice_lines": kept(
        inputs.invoice_lines,
        Column("content_hash"),
        Column("version", Kind.INT),
        Column("seq", Kind.INT),
    ),
    "evidence_items": kept(inputs.evidence_items, Column("return_dir")),
    "ingest_log": ingest_log,
    "quarantine": quarantine,
    "register_held": register_held,
    "runs": runs,
    "exception_history": exception_history,
}

# ---- audit: the contract's views --------------------------------------------

def audit_view(table: Table, schema: str, hidden: tuple[str, ...] = ()) -> str:
    """The auditors' view of a table: every declared column but the internal ones, so a
    column added to the table reaches the auditors and view and table cannot drift."""
    return f"SELECT {', '.join(c for c in table.names if c not in hidden)} FROM {schema}.{table.name}"  # noqa: S608 - names come from the declarations


AUDIT_VIEWS = {
    "ingest_log": audit_view(ingest_log, "land", hidden=("seq",)),  # seq: load order, internal
    "quarantine": audit_view(quarantine, "land"),
    **{name: audit_view(CORE[name], "core") for name in (
        "transactions", "invoices", "matches", "budget_positions", "line_positions", "exceptions",
        "exception_periods", "statement_gaps", "reviews", "evidence_returns", "budgets", "plan_lines", "providers", "council", "corrections",
        "recoveries", "audit_plan", "audits")},
    "runs": audit_view(runs, "land", hidden=("code_version",)),  # internal: the contract's columns only
}


def ddl() -> list[str]:
    stmts = ["CREATE SCHEMA IF NOT EXISTS land", "CREATE SCHEMA IF NOT EXISTS core",
             "CREATE SCHEMA IF NOT EXISTS audit"]
    stmts += [t.duckdb_ddl("land") for t in LAND.values()]
    stmts += [t.duckdb_ddl("core") for t in CORE.values()]
    # a warehouse published before a column was declared gains it (empty until the next run fills it;
    # in land, where rows are kept and appended to, empty in the rows written before)
    stmts += [f'ALTER TABLE {schema}.{t.name} ADD COLUMN IF NOT EXISTS "{c.name}" {c.duckdb_type}'
              for schema, tables in (("land", LAND), ("core", CORE)) for t in tables.values() for c in t.all_columns]
    stmts += [f"CREATE OR REPLACE VIEW audit.{name} AS {sql}" for name, sql in AUDIT_VIEWS.items()]
    return stmts
