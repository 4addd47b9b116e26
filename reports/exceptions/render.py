"""The finance officers' exception report: HTML, CSV and XLSX from one set of queries.

The queries live in ``reports/queries.py`` (shared with ``dprecon review`` and the
officers' workspace) and the page in ``template.html.j2`` (Jinja, autoescaped:
every payee, memo and explanation is HTML-escaped). CSV and XLSX cells holding
text are defused against formula injection; money is written as numbers (XLSX
with a £ format), never as text. Every figure of money at stake is the sum of
``audit.exceptions.at_stake`` (pipelines/stake.py), so no pound is counted twice,
and every list is ordered by severity, then money.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb
import polars as pl
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup, escape

from pipelines.rules.registry import rank_of
from reports import queries
from reports.council import council_of
from reports.exceptions.followup import followup
from reports.exceptions.workbook import write_workbook
from reports.safety import defuse_row
from schemas.council import DEFAULT_NAME
from schemas.money import gbp as money_text
from schemas.money import money

HERE = Path(__file__).parent
COLUMNS = ["exception_id", "rule_code", "severity", "status", "budget_id", "holder_name", "period_start",
           "period_end", "amount", "at_stake", "explanation", "next_step", "evidence", "first_seen", "last_seen"]


def gbp(v: object) -> str:
    return money_text(v, none="")  # an empty cell, not £0.00, where an exception has no amount


def environment() -> Environment:
    env = Environment(loader=FileSystemLoader(HERE), autoescape=select_autoescape(["html", "j2"]),
                      trim_blocks=True, lstrip_blocks=True)
    env.filters["gbp"] = gbp
    env.filters["weeks"] = lambda v: "" if v is None else f"{v:,.2f}"
    env.filters["rank"] = rank_of
    return env


rows = queries.rows


def bar_svg(items: list[tuple[str, Decimal]], unit: str = "£", width: int = 640) -> Markup:
    """A horizontal bar chart as inline SVG (labels escaped)."""
    if not items:
        return Markup("<p>Nothing to show.</p>")
    top = max((v for _, v in items), default=Decimal(1)) or Decimal(1)
    bar_h, label_w = 22, 200
    parts = [f'<svg role="img" width="{width}" height="{bar_h * len(items) + 8}" '
             f'xmlns="http://www.w3.org/2000/svg" style="max-width:100%">']
    for i, (label, v) in enumerate(items):
        w = int((width - label_w - 110) * (v / top)) if v > 0 else 0
        y = i * bar_h + 4
        text = gbp(v) if unit == "£" else (f"{v:,.0f} {unit}" if unit == "raised" else f"{v:,.2f} {unit}")
        parts.append(f'<text x="0" y="{y + 15}" font-size="13">{escape(label)}</text>'
                     f'<rect x="{label_w}" y="{y}" width="{max(w, 1)}" height="{bar_h - 6}" fill="#1d70b8"/>'
                     f'<text x="{label_w + w + 6}" y="{y + 15}" font-size="13">{escape(text)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def pair_svg(items: list[tuple[str, Decimal, Decimal]], width: int = 640) -> Markup:
    """Spent (blue) against the pro-rata budget to date (grey), per budget."""
    if not items:
        return Markup("<p>Nothing to show.</p>")
    top = max(max(a, b) for _, a, b in items) or Decimal(1)
    row_h, label_w, span = 30, 120, width - 120 - 130
    parts = [f'<svg role="img" aria-label="Spent against pro-rata budget" width="{width}" '
             f'height="{row_h * len(items) + 8}" xmlns="http://www.w3.org/2000/svg" style="max-width:100%">']
    for i, (label, spent, plan) in enumerate(items):
        y = i * row_h + 4
        ws, wp = int(span * (spent / top)) if spent > 0 else 0, int(span * (plan / top)) if plan > 0 else 0
        parts.append(f'<text x="0" y="{y + 15}" font-size="13">{escape(label)}</text>'
                     f'<rect x="{label_w}" y="{y}" width="{max(wp, 1)}" height="10" fill="#b1b4b6"/>'
                     f'<rect x="{label_w}" y="{y + 11}" width="{max(ws, 1)}" height="10" fill="#1d70b8"/>'
                     f'<text x="{label_w + max(ws, wp) + 6}" y="{y + 15}" font-size="12">'
                     f'{escape(gbp(spent))} of {escape(gbp(plan))}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def render(con: duckdb.DuckDBPyConnection, out_dir: Path, as_of: date, council: str,
           warnings: list[str] | tuple[str, ...] = ()) -> list[Path]:
    """Write the three files. ``warnings``: what the run wants an officer to know
    first (an inbox far emptier than last night's)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    exceptions = queries.exceptions_needing_attention(con)
    by_rule = queries.money_by_rule(con)
    at_risk = queries.budgets_at_risk(con)
    since = queries.previous_report_at(con, as_of)
    decided = queries.decisions(con, since)
    totals, totals_ever = queries.decision_totals(con, since), queries.decision_totals(con)
    more = followup(con, as_of)  # audits due and recoveries: reports/exceptions/followup.py
    written = [write_csv(exceptions, out_dir / "exceptions.csv"),
               write_workbook(out_dir / "exceptions.xlsx", exceptions, queries.budgets_at_risk(con, limit=10_000),
                              queries.decisions(con), more)]
    named = council_of(con)
    weeks = rows(con, """SELECT budget_id, weeks_held FROM (SELECT budget_id, weeks_held, row_number() OVER
                         (PARTITION BY budget_id ORDER BY period_start DESC) AS k FROM audit.budget_positions
                         WHERE period_end < ?) WHERE k = 1 ORDER BY weeks_held DESC NULLS LAST, budget_id LIMIT 15""", [as_of])
    flagged = sorted({e["budget_id"] for e in exceptions if e["budget_id"]})
    details = budget_details(con, exceptions, flagged, as_of)
    # spend to date against the pro-rata budget to date, for the flagged budgets
    pace = rows(con, """SELECT b.budget_id, sum(p.spent) AS spent, any_value(b.agreed_amount) AS agreed,
            any_value(b.start_date) AS start_date, any_value(b.end_date) AS end_date
        FROM core.budgets b JOIN audit.budget_positions p USING (budget_id)
        WHERE list_contains(?, b.budget_id) AND p.period_start <= ? GROUP BY 1 ORDER BY 1 LIMIT 20""",
                [flagged, as_of])
    for r in pace:  # pro rata in Decimal: SQL division of decimals would give a float
        elapsed = (min(as_of, r["end_date"]) - r["start_date"]).days + 1
        r["pro_rata"] = money(r["agreed"] * elapsed / ((r["end_date"] - r["start_date"]).days + 1))
    pace_svg = pair_svg([(r["budget_id"], r["spent"] or Decimal(0), r["pro_rata"] or Decimal(0)) for r in pace])
    over_time = rows(con, """SELECT first_seen, count(*) AS n FROM audit.exceptions GROUP BY 1 ORDER BY 1""")
    time_svg = bar_svg([(str(r["first_seen"]), Decimal(r["n"])) for r in over_time], unit="raised")
    corrections = rows(con, (HERE / "corrections.sql").read_text())  # issue 15: the bank corrected a transaction
    register_problems = rows(con, (HERE / "register.sql").read_text())  # issue 15: register rows set aside
    page = environment().get_template("template.html.j2").render(
        council=named.name if named.name != DEFAULT_NAME else council, as_of=as_of, exceptions=exceptions,
        total=sum((e["at_stake"] or Decimal(0) for e in exceptions), Decimal(0)),
        new_count=sum(1 for e in exceptions if e["first_seen"] == as_of),
        budgets_affected=len(flagged), by_rule=by_rule, at_risk=at_risk,
        decided=decided, since=since, totals=totals, totals_ever=totals_ever,
        warnings=list(warnings),
        by_rule_svg=bar_svg([(r["rule_code"], r["amount"]) for r in by_rule]),
        weeks_svg=bar_svg([(w["budget_id"], w["weeks_held"] or Decimal(0)) for w in weeks], unit="weeks"),
        pace_svg=pace_svg, time_svg=time_svg,
        details=details, corrections=corrections, register_problems=register_problems, **more)
    html_path = out_dir / "exceptions.html"
    html_path.write_text(page, encoding="utf-8")
    return [html_path, *written]


def budget_details(con: duckdb.DuckDBPyConnection, exceptions: list[dict], flagged: list[str],
                   as_of: date) -> list[dict]:
    """Each flagged budget with its positions, plan lines and evidence rows: four
    set-based queries whatever the number of budgets (no query per budget)."""
    refs: dict[str, set[str]] = defaultdict(set)
    for e in exceptions:
        if e["budget_id"]:
            refs[e["budget_id"]].update((e["evidence"] or "").split())
    budgets = rows(con, "SELECT * FROM core.budgets WHERE list_contains(?, budget_id) ORDER BY budget_id", [flagged])
    positions = grouped(rows(con, "SELECT * FROM audit.budget_positions WHERE list_contains(?, budget_id) "
                                  "ORDER BY budget_id, period_start", [flagged]))
    lines = grouped(rows(con, """SELECT budget_id, line_id, any_value(outcome_domain) AS outcome_domain,
                                 any_value(category) AS category, sum(planned) AS planned, sum(spent) AS spent
                                 FROM audit.line_positions WHERE list_contains(?, budget_id) AND period_start <= ?
                                 GROUP BY 1, 2 ORDER BY 1, 2""", [flagged, as_of]))
    wanted = pl.DataFrame([(b["budget_id"], b["account_id"], ref) for b in budgets for ref in sorted(refs[b["budget_id"]])],
                          schema={"budget_id": pl.String, "account_id": pl.String, "ref": pl.String}, orient="row")
    con.register("__wanted", wanted.to_arrow())
    try:
        # transactions by account (spending outside the term has no budget), invoices by budget
        evidence = grouped(rows(con, """
            SELECT w.budget_id, t.transaction_id AS ref, t.date, t.payee AS party, t.amount, t.source_path, t.source_line
            FROM __wanted w JOIN audit.transactions t ON t.account_id = w.account_id AND t.transaction_id = w.ref
            UNION ALL
            SELECT w.budget_id, i.invoice_id, i.issue_date, i.provider_id, i.amount, i.source_path, i.source_line
            FROM __wanted w JOIN audit.invoices i ON i.budget_id = w.budget_id AND i.invoice_id = w.ref
            ORDER BY 1, 3, 2"""))
    finally:
        con.unregister("__wanted")
    for b in budgets:
        key = b["budget_id"]
        b["positions"], b["lines"], b["evidence_rows"] = positions[key], lines[key], evidence[key]
        b["spend_svg"] = bar_svg([(f"{p['period_start']} spent", p["spent"]) for p in b["positions"]])
    return budgets


def grouped(found: list[dict], key: str = "budget_id") -> defaultdict[str, list[dict]]:
    out: defaultdict[str, list[dict]] = defaultdict(list)
    for r in found:
        out[r[key]].append(r)
    return out


def write_csv(exceptions: list[dict], path: Path) -> Path:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=COLUMNS, extrasaction="ignore", lineterminator="\n")
    w.writeheader()
    for e in exceptions:
        w.writerow(defuse_row(e))
    path.write_text(buf.getvalue(), encoding="utf-8")
    return path
