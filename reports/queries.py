"""What officers read from the warehouse: one query module for the exception
report, the ``dprecon review`` commands and (later) the officers' web workspace.

Everything here reads ``audit.*`` views (and ``core.budgets`` for names) and
returns plain rows (dicts); nothing here writes. Order is the same everywhere:
severity as a rank (high, medium, low), then money at stake, then the amount,
then the id, so the same list reads the same in the HTML, the CSV, the XLSX,
``review list`` and the Prefect artifact.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import duckdb

from pipelines.rules.registry import SEVERITY_RANK, declared, next_step
from pipelines.stake import CLOSED

ZERO = Decimal("0.00")
NEEDS_ATTENTION = "status NOT IN ({})".format(", ".join(f"'{s}'" for s in CLOSED))


def severity_rank_sql(column: str = "severity") -> str:
    """``CASE`` giving each severity its rank from the registry (unknown last)."""
    whens = " ".join(f"WHEN '{s}' THEN {r}" for s, r in SEVERITY_RANK.items())
    return f"CASE {column} {whens} ELSE {len(SEVERITY_RANK)} END"


def officer_order(alias: str = "") -> str:
    p = f"{alias}." if alias else ""
    return (f"{severity_rank_sql(p + 'severity')}, {p}at_stake DESC NULLS LAST, {p}amount DESC NULLS LAST, "
            f"{p}exception_id")


def rows(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> list[dict]:
    cur = con.execute(sql, params or [])
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def _with_next_step(found: list[dict]) -> list[dict]:
    codes = {r.code for r in declared()}
    for r in found:
        r["next_step"] = next_step(r["rule_code"]) if r["rule_code"] in codes else ""
    return found


def exceptions_needing_attention(con: duckdb.DuckDBPyConnection) -> list[dict]:
    """Every exception an officer still has to act on (open, confirmed or referred),
    with the holder's name and the next step its rule declares."""
    return _with_next_step(rows(con, f"""
        SELECT e.exception_id, e.rule_code, e.severity, e.status, e.budget_id, b.holder_name,
               e.period_start, e.period_end, e.amount, e.at_stake, e.explanation, e.evidence,
               e.first_seen, e.last_seen
        FROM audit.exceptions e
        LEFT JOIN (SELECT budget_id, any_value(holder_name) AS holder_name FROM core.budgets GROUP BY 1) b
          USING (budget_id)
        WHERE e.{NEEDS_ATTENTION}
        ORDER BY {officer_order('e')}"""))  # noqa: S608 - the SQL is built from constants


def money_by_rule(con: duckdb.DuckDBPyConnection) -> list[dict]:
    """Per rule: exceptions needing attention, and their money at stake (one definition)."""
    return rows(con, f"""
        SELECT rule_code, any_value(severity) AS severity, count(*) AS n,
               coalesce(sum(at_stake), 0) AS amount
        FROM audit.exceptions WHERE {NEEDS_ATTENTION}
        GROUP BY 1 ORDER BY {severity_rank_sql('any_value(severity)')}, 4 DESC, 1""")  # noqa: S608


def budgets_at_risk(con: duckdb.DuckDBPyConnection, limit: int = 10) -> list[dict]:
    """The budgets with the most money at stake, worst severity first among equals."""
    return rows(con, f"""
        SELECT e.budget_id, any_value(b.holder_name) AS holder_name, count(*) AS n,
               coalesce(sum(e.at_stake), 0) AS amount, min({severity_rank_sql('e.severity')}) AS worst,
               string_agg(DISTINCT e.rule_code, ', ' ORDER BY e.rule_code) AS rules
        FROM audit.exceptions e LEFT JOIN core.budgets b USING (budget_id)
        WHERE e.{NEEDS_ATTENTION} AND e.budget_id IS NOT NULL
        GROUP BY 1 ORDER BY 4 DESC, 5, 1 LIMIT ?""", [limit])  # noqa: S608


def previous_report_at(con: duckdb.DuckDBPyConnection, before: date | None = None) -> datetime | None:
    """When the last completed run (so the last report) finished, before ``before``'s run."""
    sql = "SELECT max(finished_at) FROM audit.runs WHERE status = 'completed'"
    params: list = []
    if before is not None:
        sql += " AND as_of <= ?"
        params.append(before)
    found = con.execute(sql, params).fetchall()
    return found[0][0] if found else None


def decisions(con: duckdb.DuckDBPyConnection, since: datetime | None = None) -> list[dict]:
    """Officers' decisions (newest first), with the exception's rule, budget and amount."""
    sql = """SELECT r.decided_at, r.reviewer, r.decision, r.exception_id, e.rule_code, e.severity, e.budget_id,
                    e.period_start, e.amount, r.amount_recovered, r.note
             FROM audit.reviews r LEFT JOIN audit.exceptions e USING (exception_id)"""
    params: list = []
    if since is not None:
        sql += " WHERE r.decided_at > ?"
        params.append(since)
    return rows(con, sql + " ORDER BY r.decided_at DESC, r.exception_id", params)


def decision_totals(con: duckdb.DuckDBPyConnection, since: datetime | None = None) -> dict[str, Decimal]:
    """Money recovered (what officers recorded as back) and written off (when the latest
    decision is to write it off: what a recovery still had to come, else the exception's
    amount), all told and since ``since``."""
    def one(sql: str, params: list) -> Decimal:
        return con.execute(sql, params).fetchall()[0][0] or ZERO

    cut = " AND decided_at > ?" if since is not None else ""
    params = [since] if since is not None else []
    return {
        "recovered": one("SELECT coalesce(sum(amount_recovered), 0) FROM audit.reviews "  # noqa: S608 - constants
                         f"WHERE decision = 'recovered'{cut}", params),
        # what is given up: a recovery's unpaid part when money was asked back, else the exception's amount
        "written_off": one(f"""SELECT coalesce(sum(coalesce(r.unpaid, e.amount)), 0) FROM (
                               SELECT exception_id, arg_max(decision, decided_at) AS decision,
                                      max(decided_at) AS decided_at FROM audit.reviews GROUP BY 1) d
                           JOIN audit.exceptions e USING (exception_id)
                           LEFT JOIN (SELECT exception_id, sum(amount - coalesce(repaid, 0)) AS unpaid
                                      FROM audit.recoveries GROUP BY 1) r USING (exception_id)
                           WHERE d.decision = 'written_off'{cut}""", params),  # noqa: S608
    }


def matching_ids(con: duckdb.DuckDBPyConnection, prefix: str) -> list[str]:
    """Every exception id that starts with ``prefix`` (case-insensitive)."""
    return [r[0] for r in con.execute(
        "SELECT exception_id FROM audit.exceptions WHERE starts_with(upper(exception_id), upper(?)) "
        "ORDER BY exception_id", [prefix.strip()]).fetchall()]


def list_exceptions(con: duckdb.DuckDBPyConnection, status: str | None = "open", rule: str | None = None,
                    budget: str | None = None) -> list[dict]:
    """Exceptions for ``review list``: ``status`` ``None`` or ``'all'`` for every one,
    ``'attention'`` for every one still needing a decision."""
    sql = "SELECT exception_id, rule_code, severity, budget_id, period_start, amount, at_stake, status " \
          "FROM audit.exceptions WHERE 1=1"
    params: list = []
    if status == "attention":
        sql += f" AND {NEEDS_ATTENTION}"
    elif status and status != "all":
        sql += " AND status = ?"
        params.append(status)
    for col, val in (("rule_code", rule), ("budget_id", budget)):
        if val:
            sql += f" AND {col} = ?"
            params.append(val)
    return rows(con, sql + f" ORDER BY {officer_order()}", params)


def exception(con: duckdb.DuckDBPyConnection, exception_id: str) -> dict | None:
    found = rows(con, "SELECT * FROM audit.exceptions WHERE exception_id = ?", [exception_id])
    return _with_next_step(found)[0] if found else None


def evidence_rows(con: duckdb.DuckDBPyConnection, ex: dict) -> list[dict]:
    """The transactions and invoices an exception names, with the file and line each came from."""
    refs = (ex.get("evidence") or "").split()
    if not refs:
        return []
    return rows(con, """
        SELECT transaction_id AS ref, date, amount, payee AS party, source_path, source_line
        FROM audit.transactions WHERE list_contains(?, transaction_id)
          AND (budget_id = ? OR budget_id IS NULL)
        UNION ALL
        SELECT invoice_id, issue_date, amount, provider_id, source_path, source_line
        FROM audit.invoices WHERE list_contains(?, invoice_id) AND budget_id = ?
        ORDER BY 2, 1""", [refs, ex["budget_id"], refs, ex["budget_id"]])


def findings(con: duckdb.DuckDBPyConnection, exception_id: str) -> list[dict]:
    """The periods an exception's condition held in (its episode), oldest first."""
    return rows(con, "SELECT period_start, period_end, amount FROM audit.exception_periods "
                     "WHERE exception_id = ? ORDER BY period_start", [exception_id])


def budget_exists(con: duckdb.DuckDBPyConnection, budget_id: str) -> bool:
    return bool(con.execute("SELECT 1 FROM core.budgets WHERE budget_id = ?", [budget_id]).fetchall())


def recoveries(con: duckdb.DuckDBPyConnection, status: str = "open") -> list[dict]:
    """Sums asked back: ``'open'`` (notified or part repaid), ``'all'``, or one status; earliest due first."""
    where = {"open": "status IN ('notified', 'part_repaid')", "all": "TRUE"}.get(status, "status = ?")
    params = [] if status in ("open", "all") else [status]
    return rows(con, "SELECT recovery_id, budget_id, amount, repaid, notified_on, due_on, status "  # noqa: S608
                     f"FROM audit.recoveries WHERE {where} ORDER BY due_on NULLS FIRST, recovery_id", params)
