"""The officers' report: three files, structure, hostile text escaped and defused."""

from __future__ import annotations

import csv
import html
import shutil
from datetime import date

import duckdb
import openpyxl

from reports.safety import defuse
from tests.conftest import SAMPLE_INBOX
from tests.flows.helpers import run

HOSTILE = '=HYPERLINK("http://evil.example","<script>alert(1)</script>")'


def test_report_files_exist_and_match_the_warehouse(sim_council):
    out = sim_council["reports"]
    for name in ("exceptions.html", "exceptions.csv", "exceptions.xlsx"):
        assert (out / name).stat().st_size > 0
    with duckdb.connect(str(sim_council["warehouse"]), read_only=True) as con:
        open_ids = {r[0] for r in con.execute(
            "SELECT exception_id FROM audit.exceptions WHERE status NOT IN ('resolved','dismissed','recovered')").fetchall()}
    with (out / "exceptions.csv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert {r["exception_id"] for r in rows} == open_ids
    page = (out / "exceptions.html").read_text()
    assert "<svg" in page and "Money at stake" in page and 'id="exceptions"' in page
    table = page[page.index('id="exceptions"'):]
    assert {i for i in open_ids if f"<code>{i}</code>" in table} == open_ids  # every id, to quote in a decision
    assert table.count("Next step:") == len(open_ids)
    sev = [{"high": 0, "medium": 1, "low": 2}[r["severity"]] for r in rows]
    assert sev == sorted(sev)  # most severe first, everywhere
    assert "http://" not in page.replace("http://www.w3.org/2000/svg", "")  # self-contained: no CDN
    wb = openpyxl.load_workbook(out / "exceptions.xlsx")
    assert wb.sheetnames[:3] == ["Exceptions", "Budgets at risk", "Decisions"]
    for ws in wb.worksheets[:3]:
        assert ws.freeze_panes == "A2" and ws.auto_filter.ref
        assert all(" " in h or h[0].isupper() for h in (c.value for c in ws[1]))  # headers in words
    ws = wb["Exceptions"]
    headers = [c.value for c in ws[1]]
    for money_header in ("Amount", "Money at stake"):
        col = headers.index(money_header) + 1
        cells = [ws.cell(row=i, column=col) for i in range(2, ws.max_row + 1)]
        assert all(c.value is None or isinstance(c.value, int | float) for c in cells)
        assert any("£" in (c.number_format or "") for c in cells if c.value is not None)
    col = headers.index("Period from") + 1
    assert all(ws.cell(row=i, column=col).is_date for i in range(2, ws.max_row + 1))
    ids = [ws.cell(row=i, column=1).value for i in range(2, ws.max_row + 1)]
    assert set(ids) == open_ids


def test_defuse_neutralises_formula_starts():
    for bad in ("=1+1", "+1", "-1", "@SUM(A1)", "\t=1", "\r=1"):
        assert defuse(bad).startswith("'")
    assert defuse("M MILLER") == "M MILLER"


def test_hostile_payee_is_escaped_in_html_and_defused_in_csv(tmp_path):
    inbox = tmp_path / "inbox"
    shutil.copytree(SAMPLE_INBOX, inbox)
    feed = inbox / "statements" / "cards-2025-04.csv"
    hostile = HOSTILE.replace('"', '""')
    feed.write_text(feed.read_text() + f'PC0000000002,2025-04-11,"{hostile}",-5.00,,T0011,7995\n')
    wh = tmp_path / "w.duckdb"
    run(inbox, wh, as_of=date(2025, 10, 31))
    out = tmp_path / "reports" / "2025-10-31"
    page = (out / "exceptions.html").read_text()
    assert "<script>alert(1)</script>" not in page
    assert html.escape("<script>alert(1)</script>", quote=False) in page
    # an officer's note starting with '=' must not become a formula in the CSV
    from reports.exceptions.render import write_csv

    path = write_csv([{"exception_id": "=cmd|' /C calc'!A0", "explanation": HOSTILE}], tmp_path / "x.csv")
    row = next(csv.DictReader(path.open()))
    assert row["exception_id"].startswith("'=") and row["explanation"].startswith("'=")


def test_the_nightly_job_writes_a_return_for_every_return_not_yet_received(sim_council):
    with duckdb.connect(str(sim_council["warehouse"]), read_only=True) as con:
        due = {f"{b}_{p}" for b, p in con.execute(
            "SELECT budget_id, period_start FROM audit.evidence_returns WHERE received_at IS NULL").fetchall()}
    returns = sim_council["reports"] / "returns"
    assert due, "the simulated council has families who have not sent evidence"
    assert {p.stem for p in returns.glob("*.pdf")} == due
    assert {p.stem for p in returns.glob("*.html")} == due
    assert all(p.read_bytes().startswith(b"%PDF") for p in returns.glob("*.pdf"))


def test_every_evidence_link_leads_to_its_row(sim_council):
    import re

    page = (sim_council["reports"] / "exceptions.html").read_text()
    anchors = set(re.findall(r'id="(t-[^"]+)"', page))
    links = set(re.findall(r'href="#(t-[^"]+)"', page))
    assert links and links <= anchors


def structure(out) -> str:
    """What the report is made of, independent of the numbers in it."""
    import re

    page = (out / "exceptions.html").read_text()
    headings = re.findall(r"<h[123][^>]*>(.*?)</h[123]>", page)
    columns = re.findall(r"<th(?:\s[^>]*)?>(.*?)</th>", page)
    header = (out / "exceptions.csv").read_text().splitlines()[0]
    return "\n".join(["# headings", *headings, "# table columns", *dict.fromkeys(columns), "# csv", header]) + "\n"


def test_report_structure_matches_the_golden_file(sim_council):
    import os

    from tests.conftest import ROOT

    golden = ROOT / "tests" / "golden" / "reports" / "exceptions_structure.txt"
    got = structure(sim_council["reports"])
    if os.environ.get("DPRECON_REGEN_GOLDEN") == "1" and not golden.exists():
        with golden.open("x") as f:  # never overwrites: delete the file to regenerate it
            f.write(got)
    assert got == golden.read_text()


def test_the_headline_is_the_distinct_money_at_stake(sim_council):
    """The headline, the by-rule table, the CSV and the auditors' sum agree, and equal
    the money at stake worked out afresh from the amounts by docs/rules.md §10."""
    import re
    from collections import defaultdict
    from decimal import Decimal

    page = (sim_council["reports"] / "exceptions.html").read_text()
    headline = Decimal(re.search(r"Money at stake<b>£([\d,.]+)</b>", page).group(1).replace(",", ""))
    with duckdb.connect(str(sim_council["warehouse"]), read_only=True) as con:
        stored = con.execute("SELECT sum(at_stake) FROM audit.exceptions").fetchall()[0][0]
        live = con.execute("SELECT rule_code, budget_id, period_start, period_end, amount FROM audit.exceptions "
                           "WHERE status NOT IN ('resolved','dismissed','recovered','written_off')").fetchall()
        summed = con.execute("SELECT sum(amount) FROM audit.exceptions WHERE status = 'open'").fetchall()[0][0]
    table = re.search(r"<h3>Money at stake by rule</h3>.*?<tbody>(.*?)</tbody>", page, re.S).group(1)
    by_rule = sum(Decimal(v.replace(",", "")) for v in re.findall(r'<td class="num">£([\d,.]+)</td></tr>', table))
    with (sim_council["reports"] / "exceptions.csv").open(encoding="utf-8") as f:
        in_csv = sum(Decimal(r["at_stake"] or "0") for r in csv.DictReader(f))
    position: dict[str, Decimal] = defaultdict(Decimal)
    own: list[tuple] = []
    evidence: list[tuple] = []
    for rule, budget, start, end, amount in live:
        if amount is None or rule in ("UNDERSPEND_LINE", "RELATED_PAYEE", "EMPLOYER_DUTIES", "LOW_BALANCE",
                                      "UNEXPECTED_INCOME", "REVIEW_OVERDUE"):
            continue
        if rule in ("SURPLUS_BALANCE", "OVERSPEND"):
            position[budget] = max(position[budget], abs(amount))
        elif rule in ("EVIDENCE_OVERDUE", "EVIDENCE_INCOMPLETE"):
            evidence.append((budget, start, end, abs(amount)))
        else:
            own.append((budget, start, end, abs(amount)))
    distinct = sum(position.values(), Decimal(0)) + sum((a for *_, a in own), Decimal(0))
    for budget, start, end, amount in evidence:
        inside = sum((a for b, s, e, a in own if b == budget and start <= s and e <= end), Decimal(0))
        distinct += max(amount - inside, Decimal(0))
    assert headline == stored == by_rule == in_csv == distinct
    assert distinct < summed  # the simulated council has overlapping money, so the old sum overcounted
