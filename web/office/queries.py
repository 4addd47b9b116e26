"""Everything the officers' workspace reads from the published warehouse, in one place.

The workspace never keeps a connection: each page opens the published file
read-only, runs its queries and closes it (a publish renames a new file into
place; DuckDB's reader and writer of one file shut each other out). Money comes
back as ``Decimal``. "Overdue", "new tonight" and an exception's age are judged
from the as-of date of the run whose data the page shows, never the wall clock.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb

from pipelines.rules.registry import SEVERITY_RANK, declared

STATUSES = ("open", "confirmed", "referred", "recover", "recovered", "written_off", "dismissed", "resolved")
ACTIVE = ("open", "confirmed", "referred", "recover")  # still needing attention
COHORTS = ("adult", "child", "mental_health", "health")
AGES = {"": None, "7": 7, "30": 30, "90": 90}  # "older than N days"


class WarehouseUnavailable(RuntimeError):
    """The published warehouse could not be read just now (missing, mid-publish or without its views)."""


@contextmanager
def reading(warehouse: Path, tries: int = 5) -> Iterator[duckdb.DuckDBPyConnection]:
    for attempt in range(tries):
        try:
            con = duckdb.connect(str(warehouse), read_only=True)
            break
        except duckdb.IOException as e:
            if attempt == tries - 1:
                raise WarehouseUnavailable(str(e)) from e
            time.sleep(0.1 * (attempt + 1))
    try:
        yield con
    except (duckdb.CatalogException, duckdb.BinderException) as e:
        raise WarehouseUnavailable(str(e)) from e
    finally:
        con.close()


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> list[dict]:
    cur = con.execute(sql, params or [])
    cols = [d[0] for d in cur.description]
    return [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]


def as_of(con: duckdb.DuckDBPyConnection) -> date | None:
    """The as-of date of the run whose data the warehouse holds."""
    row = con.execute("SELECT max(as_of) FROM audit.runs WHERE status = 'completed'").fetchone()
    return row[0] if row else None


@dataclass(frozen=True)
class Filters:
    rule: str = ""
    severity: str = ""
    cohort: str = ""
    status: str = "active"
    new: bool = False
    older_than: str = ""
    search: str = ""  # budget id, holder name or exception id (prefix)

    @classmethod
    def clean(cls, rule: str = "", severity: str = "", cohort: str = "", status: str = "active",
              new: str = "", older_than: str = "", search: str = "") -> Filters:
        """Only values the workspace offers; anything else is ignored, never put into SQL."""
        codes = {r.code for r in declared()}
        return cls(rule=rule if rule in codes else "", severity=severity if severity in SEVERITY_RANK else "",
                   cohort=cohort if cohort in COHORTS else "",
                   status=status if status in (*STATUSES, "active", "all") else "active",
                   new=new in ("1", "on", "true"), older_than=older_than if older_than in AGES else "",
                   search=search.strip()[:80])


QUEUE = """
SELECT e.exception_id, e.rule_code, e.severity, e.status, e.budget_id, b.holder_name, b.cohort,
       e.period_start, e.period_end, e.amount, e.first_seen, e.last_seen
FROM audit.exceptions e
LEFT JOIN (SELECT budget_id, any_value(holder_name) AS holder_name, any_value(cohort) AS cohort
           FROM core.budgets GROUP BY budget_id) b USING (budget_id)
"""
ORDER = (" ORDER BY CASE e.severity WHEN 'high' THEN 0 WHEN 'medium' THEN 1 ELSE 2 END,"
         " e.amount DESC NULLS LAST, e.exception_id")


def queue(con: duckdb.DuckDBPyConnection, f: Filters, today: date | None) -> list[dict]:
    """The exceptions the filters select: most severe first, then the most money."""
    where, params = ["1=1"], []
    if f.status == "active":
        where.append("e.status IN (SELECT unnest(?))")
        params.append(list(ACTIVE))
    elif f.status != "all":
        where.append("e.status = ?")
        params.append(f.status)
    for col, val in (("e.rule_code", f.rule), ("e.severity", f.severity), ("b.cohort", f.cohort)):
        if val:
            where.append(f"{col} = ?")
            params.append(val)
    if f.new and today:
        where.append("e.first_seen = ?")
        params.append(today)
    if AGES.get(f.older_than) and today:
        where.append("date_diff('day', e.first_seen, ?) > ?")
        params += [today, AGES[f.older_than]]
    if f.search:
        where.append("(upper(e.exception_id) LIKE upper(?) || '%' OR upper(e.budget_id) LIKE upper(?) || '%'"
                     " OR lower(b.holder_name) LIKE '%' || lower(?) || '%')")
        params += [f.search, f.search, f.search]
    found = _rows(con, QUEUE + " WHERE " + " AND ".join(where) + ORDER, params)
    for r in found:
        r["age_days"] = (today - r["first_seen"]).days if today and r["first_seen"] else None
    return found


def money_at_stake(rows: list[dict]) -> Decimal:
    """The queue's money at stake: each budget's money counted once, as the officers' report defines it
    (docs/rules.md, "Money at stake"): per budget the largest of its exceptions' amounts, summed."""
    per_budget: dict[str, Decimal] = {}
    for r in rows:
        key = r["budget_id"] or r["exception_id"]
        per_budget[key] = max(per_budget.get(key, Decimal("0.00")), r["amount"] or Decimal("0.00"))
    return sum(per_budget.values(), Decimal("0.00"))


def exception(con: duckdb.DuckDBPyConnection, exception_id: str) -> dict | None:
    found = _rows(con, QUEUE + " WHERE e.exception_id = ?", [exception_id])
    if not found:
        return None
    row = _rows(con, "SELECT explanation, evidence FROM audit.exceptions WHERE exception_id = ?", [exception_id])[0]
    return {**found[0], **row}


def evidence_rows(con: duckdb.DuckDBPyConnection, ids: list[str]) -> tuple[list[dict], list[dict]]:
    """The transactions and invoices an exception rests on, each with its source file and line."""
    if not ids:
        return [], []
    txns = _rows(con, """SELECT transaction_id, date, amount, payee, memo, source_path, source_line
                         FROM audit.transactions WHERE list_contains(?, transaction_id) ORDER BY date, transaction_id""",
                 [ids])
    invs = _rows(con, """SELECT invoice_id, provider_id, issue_date, amount, kind, payment_status, source_path, source_line
                         FROM audit.invoices WHERE list_contains(?, invoice_id) ORDER BY issue_date, invoice_id""",
                 [ids])
    return txns, invs


def decisions(con: duckdb.DuckDBPyConnection, exception_id: str) -> list[dict]:
    return _rows(con, """SELECT decided_at, reviewer, decision, amount_recovered, note FROM audit.reviews
                         WHERE exception_id = ? ORDER BY decided_at""", [exception_id])


def budget(con: duckdb.DuckDBPyConnection, budget_id: str) -> dict | None:
    found = _rows(con, "SELECT * FROM core.budgets WHERE budget_id = ?", [budget_id])
    return found[0] if found else None


def plan_lines(con: duckdb.DuckDBPyConnection, budget_id: str) -> list[dict]:
    return _rows(con, """SELECT l.line_id, l.need, l.outcome_domain, l.category, l.weekly_units, l.unit_rate,
                                l.planned_amount, coalesce(sum(p.spent), 0) AS spent
                         FROM core.plan_lines l LEFT JOIN audit.line_positions p USING (budget_id, line_id)
                         WHERE l.budget_id = ? GROUP BY ALL ORDER BY l.line_id""", [budget_id])


def positions(con: duckdb.DuckDBPyConnection, budget_id: str) -> list[dict]:
    return _rows(con, """SELECT period_start, period_end, opening_balance, council_paid, contributions_due,
                                contributions_paid, spent, closing_balance, owed
                         FROM audit.budget_positions WHERE budget_id = ? ORDER BY period_start""", [budget_id])


def returns(con: duckdb.DuckDBPyConnection, budget_id: str) -> list[dict]:
    return _rows(con, """SELECT period_start, period_end, due_date, received_at, items_evidenced,
                                items_outstanding, eligibility_status
                         FROM audit.evidence_returns WHERE budget_id = ? ORDER BY period_start""", [budget_id])


def evidence_files(con: duckdb.DuckDBPyConnection, budget_id: str) -> list[dict]:
    """The files families sent for this budget, as the ingest recorded them (manifest rows)."""
    return _rows(con, """SELECT e.period, e.transaction_ref, e.evidence_type, e.file, e.amount, e.note, l.path
                         FROM land.evidence_items e JOIN land.ingest_log l USING (file_id)
                         WHERE e.budget_id = ? ORDER BY e.period, l.path, e.file""", [budget_id])


def budget_exceptions(con: duckdb.DuckDBPyConnection, budget_id: str) -> list[dict]:
    return _rows(con, QUEUE + " WHERE e.budget_id = ?" + ORDER, [budget_id])


def optional(con: duckdb.DuckDBPyConnection, view: str, budget_id: str) -> list[dict]:
    """Rows of a view that a later issue adds (``audit.recoveries``, ``audit.audit_plan``), if this warehouse has it."""
    schema, name = view.split(".")
    exists = con.execute("SELECT 1 FROM information_schema.tables WHERE table_schema = ? AND table_name = ?",
                         [schema, name]).fetchone()
    if not exists:
        return []
    return _rows(con, f"SELECT * FROM {schema}.{name} WHERE budget_id = ?", [budget_id])  # noqa: S608 (fixed names)


def received_returns(con: duckdb.DuckDBPyConnection, limit: int = 50) -> list[dict]:
    return _rows(con, """SELECT r.budget_id, r.period_start, r.received_at, r.items_evidenced, r.items_outstanding
                         FROM audit.evidence_returns r WHERE r.received_at IS NOT NULL
                         ORDER BY r.received_at DESC, r.budget_id LIMIT ?""", [limit])
