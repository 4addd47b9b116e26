"""The officers' report's follow-up: audits due this month, and recoveries.

A self-contained block of the exception report: two queries
(``followup.sql``), one template block (``_followup.html.j2``) and two
XLSX sheets ("Audits due", "Recoveries").

Audits due: every budget whose ``next_audit_due`` (``audit.audit_plan``)
falls on or before the last day of the run's month, overdue ones first,
with the risk reasons. Recoveries: each one with its status; the totals
count money still owed (notified or part repaid), the part of it past its
due date, and what has come back. Example: £300.00 asked, £120.00 repaid,
due 31 March, run 2 April: £180.00 outstanding, all of it overdue; £120.00
repaid.
"""

from __future__ import annotations

import calendar
from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb

from reports.returns.render import QUERY_NAME, rows
from reports.safety import defuse

HERE = Path(__file__).parent
ZERO = Decimal("0.00")
AUDIT_COLUMNS = ["budget_id", "holder_name", "tier", "risk_score", "next_audit_due", "last_audit", "review_due",
                 "risk_reasons"]
RECOVERY_COLUMNS = ["recovery_id", "budget_id", "holder_name", "rule_code", "amount", "repaid", "outstanding",
                    "notified_on", "due_on", "repaid_on", "status", "method"]


def queries() -> dict[str, str]:
    parts = QUERY_NAME.split((HERE / "followup.sql").read_text(encoding="utf-8"))
    return {name: sql.strip().rstrip(";") for name, sql in zip(parts[1::2], parts[2::2], strict=True)}


def month_end(d: date) -> date:
    return d.replace(day=calendar.monthrange(d.year, d.month)[1])


def followup(con: duckdb.DuckDBPyConnection, as_of: date) -> dict:
    """What the template block and the sheets show."""
    q = queries()
    audits = rows(con, q["audits_due"], [as_of, month_end(as_of)])
    recs = rows(con, q["recoveries"], [as_of])
    totals = {
        "outstanding": sum((r["outstanding"] for r in recs), ZERO),
        "overdue": sum((r["outstanding"] for r in recs if r["overdue"]), ZERO),
        "repaid": sum((r["repaid"] for r in recs), ZERO),
        "written_off": sum((r["amount"] - r["repaid"] for r in recs if r["status"] == "written_off"), ZERO),
        "reconsidering": sum((r["amount"] - r["repaid"] for r in recs if r["status"] == "reconsidering"), ZERO),
        "open": sum(1 for r in recs if r["status"] in ("notified", "part_repaid")),
        "overdue_n": sum(1 for r in recs if r["overdue"]),
    }
    return {"audits_due": audits, "audit_month": month_end(as_of), "recoveries": recs, "recovery_totals": totals}


def write_sheets(wb, data: dict) -> None:
    """The "Audits due" and "Recoveries" sheets (text defused, money as £ numbers, dates as dates)."""
    money = wb.add_format({"num_format": "£#,##0.00;-£#,##0.00"})
    day = wb.add_format({"num_format": "yyyy-mm-dd"})
    bold = wb.add_format({"bold": True})
    for title, columns, items in (("Audits due", AUDIT_COLUMNS, data["audits_due"]),
                                  ("Recoveries", RECOVERY_COLUMNS, data["recoveries"])):
        ws = wb.add_worksheet(title)
        ws.write_row(0, 0, columns, bold)
        for i, r in enumerate(items, start=1):
            for j, c in enumerate(columns):
                v = r.get(c)
                if v is None:
                    ws.write_blank(i, j, None)
                elif isinstance(v, Decimal):
                    ws.write_number(i, j, v, money)
                elif isinstance(v, date):
                    ws.write_datetime(i, j, v, day)
                elif isinstance(v, int):
                    ws.write_number(i, j, v)
                else:
                    ws.write_string(i, j, str(defuse(str(v))))
        ws.freeze_panes(1, 0)
        ws.autofilter(0, 0, max(len(items), 1), len(columns) - 1)
        ws.set_column(0, len(columns) - 1, 15)
        if "risk_reasons" in columns:
            ws.set_column(columns.index("risk_reasons"), columns.index("risk_reasons"), 90)
