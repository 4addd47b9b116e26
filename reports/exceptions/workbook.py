"""The officers' workbook (``exceptions.xlsx``): exceptions, budgets at risk, decisions.

Each sheet has headers in words, a frozen header row and an autofilter. Money is
a real number in a £ format and dates are real dates, so a filter or a sum in
Excel works; every text cell is defused against formulas (reports/safety.py),
since payee names and officers' notes are text from outside.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from reports.safety import defuse


@dataclass(frozen=True)
class Sheet:
    title: str
    columns: tuple[tuple[str, str, int], ...]  # (key in the row, header in words, width)
    rows: list[dict]


EXCEPTIONS = (
    ("exception_id", "Exception id", 19), ("severity", "Severity", 10), ("rule_code", "Rule", 22),
    ("status", "Status", 11), ("budget_id", "Budget", 13), ("holder_name", "Holder", 22),
    ("period_start", "Period from", 12), ("period_end", "Period to", 12), ("amount", "Amount", 13),
    ("at_stake", "Money at stake", 15), ("explanation", "What was found", 70), ("next_step", "Next step", 50),
    ("evidence", "Evidence (transaction or invoice ids)", 30), ("first_seen", "First seen", 12),
    ("last_seen", "Last seen", 12),
)
AT_RISK = (
    ("budget_id", "Budget", 13), ("holder_name", "Holder", 24), ("n", "Exceptions", 11),
    ("amount", "Money at stake", 15), ("rules", "Rules", 60),
)
DECISIONS = (
    ("decided_at", "Decided on", 18), ("reviewer", "Decided by", 16), ("decision", "Decision", 13),
    ("exception_id", "Exception id", 19), ("rule_code", "Rule", 22), ("budget_id", "Budget", 13),
    ("amount", "Exception amount", 16), ("amount_recovered", "Recovered", 13), ("note", "Note", 50),
)


def write_workbook(path: Path, exceptions: list[dict], at_risk: list[dict], decided: list[dict],
                   more: dict | None = None) -> Path:
    """The three officers' sheets, then (with ``more``) the follow-up's audits due and recoveries."""
    import xlsxwriter

    sheets = (Sheet("Exceptions", EXCEPTIONS, exceptions), Sheet("Budgets at risk", AT_RISK, at_risk),
              Sheet("Decisions", DECISIONS, decided))
    wb = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False, "strings_to_urls": False,
                                         "strings_to_numbers": False})
    fmt = {
        "money": wb.add_format({"num_format": "£#,##0.00;-£#,##0.00"}),
        "date": wb.add_format({"num_format": "d mmm yyyy"}),
        "time": wb.add_format({"num_format": "d mmm yyyy hh:mm"}),
        "head": wb.add_format({"bold": True, "bg_color": "#F3F2F1", "bottom": 1, "text_wrap": True}),
        "text": wb.add_format({"text_wrap": False}),
    }
    for sheet in sheets:
        _write_sheet(wb.add_worksheet(sheet.title), sheet, fmt)
    if more is not None:
        from reports.exceptions.followup import write_sheets

        write_sheets(wb, more)
    wb.close()
    return path


def _write_sheet(ws, sheet: Sheet, fmt: dict) -> None:
    for j, (_, header, width) in enumerate(sheet.columns):
        ws.write_string(0, j, header, fmt["head"])
        ws.set_column(j, j, width)
    for i, row in enumerate(sheet.rows, start=1):
        for j, (key, _, _) in enumerate(sheet.columns):
            _write_cell(ws, i, j, row.get(key), fmt)
    ws.freeze_panes(1, 0)
    ws.autofilter(0, 0, max(len(sheet.rows), 1), len(sheet.columns) - 1)


def _write_cell(ws, i: int, j: int, v: object, fmt: dict) -> None:
    if v is None:
        ws.write_blank(i, j, None)
    elif isinstance(v, Decimal):
        ws.write_number(i, j, v, fmt["money"])  # a binary double in the file; exact to the penny at this size
    elif isinstance(v, bool):
        ws.write_boolean(i, j, v)
    elif isinstance(v, int):
        ws.write_number(i, j, v)
    elif isinstance(v, datetime):
        ws.write_datetime(i, j, v, fmt["time"])
    elif isinstance(v, date):
        ws.write_datetime(i, j, v, fmt["date"])
    else:
        ws.write_string(i, j, str(defuse(str(v))), fmt["text"])
