"""The families' evidence returns: one PDF and one HTML per return not yet received.

The simulated council (``sim_council``) is rendered once per module; the PDFs'
text is read back with pypdf, their font sizes from the content streams
(inflated with zlib). The golden case regenerates only when asked and never
overwrites an existing expected file:

    DPRECON_REGEN_GOLDEN=1 uv run pytest tests/reports/test_returns.py -k golden
"""

from __future__ import annotations

import html
import io
import os
import re
import shutil
import subprocess
import time
import zlib
from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from markupsafe import escape
from pypdf import PdfReader

from reports.returns import fonts
from reports.returns.letter import build_letter, eligibility, long_date
from reports.returns.pdf import ReturnPDF, printable
from reports.returns.render import fetch_letters, render_returns
from schemas.council import Council

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "returns"
COUNCIL = Council(name="Demo Council", team="Direct Payments Finance Team",
                  address=["County Hall", "1 Market Street", "Demoton", "DE1 1AA"], phone="01632 960000",
                  email="direct.payments@demo.example.gov.uk", portal_url="https://evidence.demo.example.gov.uk")
HOSTILE = '<script>alert(1)</script> =HYPERLINK("http://evil.example","Click") **bold** {nb} (x) \\'
UNICODE_PAYEE = "ŁÓDŹ CAFÉ ☕ – Ünïcødé"
MONEY = r"-?£[\d,]+\.\d{2}"


# ---- reading a PDF back ------------------------------------------------------

def pdf_streams(data: bytes) -> list[bytes]:
    """Each stream's bytes (its dictionary's /Length of them), inflated when FlateDecode."""
    out = []
    for m in re.finditer(rb"<<((?:(?!<<).)*?)>>\s*stream\r?\n", data, re.S):
        body = data[m.end():m.end() + int(re.search(rb"/Length (\d+)", m[1])[1])]
        out.append(zlib.decompress(body) if b"/FlateDecode" in m[1] else body)
    return out


def pdf_strings(data: bytes) -> list[tuple[int, float, float, str]]:
    """Every piece of text a PDF shows, as (page, y, x, text) in drawing order, read with pypdf
    (the letters embed subset fonts, so their strings are glyph ids mapped back to Unicode)."""
    out = []
    for page_no, page in enumerate(PdfReader(io.BytesIO(data)).pages, start=1):
        def visit(text, cm, tm, _font, _size, page_no=page_no):
            text = "".join(ch for ch in text if ch.isprintable()).strip()  # pypdf's stray NULs
            if text:
                out.append((page_no, -round(tm[5] * cm[3] + cm[5], 1), tm[4] * cm[0] + cm[4], text))
        page.extract_text(visitor_text=visit)
    return out


def pdf_lines(data: bytes) -> list[str]:
    """The PDF's text, one string per printed line (strings on one baseline joined by spaces)."""
    lines: dict[tuple[int, float], list[tuple[float, str]]] = {}
    for page, y, x, text in pdf_strings(data):
        lines.setdefault((page, round(y, 1)), []).append((x, text))
    return [" ".join(t for _, t in sorted(parts)) for _, parts in sorted(lines.items())]


def pounds(text: str) -> Decimal:
    return Decimal(text.replace("£", "").replace(",", ""))


# ---- fixtures ----------------------------------------------------------------

def unreceived(con) -> list[dict]:
    cur = con.execute("SELECT * FROM audit.evidence_returns WHERE received_at IS NULL ORDER BY 1, 2")
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def needs_evidence(con, budget_id: str, start: date, end: date) -> list[tuple]:
    return con.execute("""SELECT evidence_ref, -amount, payee FROM audit.transactions
                          WHERE budget_id = ? AND date BETWEEN ? AND ? AND needs_evidence ORDER BY date""",
                       [budget_id, start, end]).fetchall()


@pytest.fixture(scope="module")
def rendered(sim_council, tmp_path_factory):
    out = tmp_path_factory.mktemp("returns")
    fonts.main_faces()  # made once per machine and process, not per letter
    with duckdb.connect(str(sim_council["warehouse"]), read_only=True) as con:
        started = time.perf_counter()
        paths = render_returns(con, out, sim_council["as_of"], COUNCIL)
        elapsed = time.perf_counter() - started
        returns = unreceived(con)
        positions = {(r[0], r[1]): r for r in con.execute(
            "SELECT budget_id, period_start, opening_balance, council_paid, contributions_paid, spent, "
            "closing_balance FROM audit.budget_positions").fetchall()}
        holders = dict(con.execute("SELECT budget_id, holder_name FROM audit.budgets").fetchall())
        payments = {(r["budget_id"], r["period_start"]): needs_evidence(con, r["budget_id"], r["period_start"],
                                                                        r["period_end"]) for r in returns}
    assert returns, "the simulated council should have returns not yet received"
    print(f"\nrendered {len(returns)} returns in {elapsed * 1000:.0f} ms "
          f"({elapsed * 1000 / len(returns):.1f} ms per return)")
    return {"out": out, "paths": paths, "returns": returns, "positions": positions, "holders": holders,
            "payments": payments, "seconds": elapsed, "as_of": sim_council["as_of"]}


def stem(r: dict) -> str:
    return f"{r['budget_id']}_{r['period_start'].isoformat()}"


# ---- files -------------------------------------------------------------------

def test_a_pdf_and_an_html_for_every_unreceived_return(rendered):
    folder = rendered["out"] / "returns"
    expected = {f"{stem(r)}.{ext}" for r in rendered["returns"] for ext in ("pdf", "html")}
    assert {p.name for p in folder.iterdir()} == expected
    assert sorted(p.name for p in rendered["paths"]) == sorted(expected)
    for p in rendered["paths"]:
        assert p.parent == folder and p.stat().st_size > 1000
        if p.suffix == ".pdf":
            assert p.read_bytes().startswith(b"%PDF-")


def test_an_everyday_letter_embeds_only_the_two_main_fonts(rendered):
    """What keeps thousands of letters a night fast (the time itself is printed, not asserted: the
    machine is shared): a letter in Latin script loads no fallback font and shapes nothing."""
    latin = [p for p in (rendered["out"] / "returns").glob("*.pdf")
             if fonts.covered("".join(t for _, _, _, t in pdf_strings(p.read_bytes())))]
    assert latin
    for p in latin[:5]:
        names = set(re.findall(rb"/BaseFont /(?:[A-Z]{6}\+)?([\w-]+)", p.read_bytes()))
        assert names == {b"NotoSans", b"NotoSansBold"}, names


# ---- HTML --------------------------------------------------------------------

def test_html_names_the_holder_the_dates_and_every_payment_reference(rendered):
    for r in rendered["returns"]:
        page = (rendered["out"] / "returns" / f"{stem(r)}.html").read_text(encoding="utf-8")
        assert "Your direct payment: what we need from you" in page and COUNCIL.name in page
        assert str(escape(rendered["holders"][r["budget_id"]])) in page
        assert r["budget_id"] in page and stem(r) in page
        assert long_date(r["due_date"]) in page and long_date(r["period_start"]) in page
        pays = rendered["payments"][(r["budget_id"], r["period_start"])]
        for ref, _, _ in pays:
            assert f'<span class="ref">{ref}</span>' in page
        assert page.count('class="tag got"') == r["items_evidenced"]
        assert page.count('class="tag send"') == r["items_outstanding"] == len(pays) - r["items_evidenced"]
        assert page.count('type="radio"') % 3 == 0 and page.count('type="radio"') > 0
        assert "<textarea" in page and not re.search(r"(?:src|href|url)[=(]['\"]?https?:", page)  # nothing fetched
        assert COUNCIL.portal_url in page  # printed as text for the family to type


def test_html_statement_adds_up_and_matches_the_warehouse(rendered):
    for r in rendered["returns"]:
        page = (rendered["out"] / "returns" / f"{stem(r)}.html").read_text(encoding="utf-8")
        shown = {k: pounds(v) for k, v in re.findall(rf'data-field="(\w+)">({MONEY})<', page)}
        _, _, opening, council, contributions, spent, closing = rendered["positions"][(r["budget_id"], r["period_start"])]
        assert shown == {"opening": opening, "council_paid": council, "contributions_paid": contributions,
                         "spent": spent, "closing": closing}
        assert shown["opening"] + shown["council_paid"] + shown["contributions_paid"] - shown["spent"] == shown["closing"]
        sum_line = re.search(r'<p class="sum" id="sum">(.*?)</p>', page)[1]
        assert sum_line.endswith(f"= {re.findall(MONEY, sum_line)[-1]}")


def test_html_type_is_large(rendered):
    page = next((rendered["out"] / "returns").glob("*.html")).read_text(encoding="utf-8")
    sizes = [int(s) for s in re.findall(r"font-size:(\d+)px", page)]
    assert sizes and min(sizes) >= 18
    assert re.search(r"body\{[^}]*font-size:19px", page)


# ---- PDF ---------------------------------------------------------------------

def test_pdf_text_has_the_amounts_and_they_add_up(rendered):
    for r in rendered["returns"]:
        data = (rendered["out"] / "returns" / f"{stem(r)}.pdf").read_bytes()
        assert b"/FlateDecode" in data  # production PDFs stay compressed
        lines = pdf_lines(data)
        text = "\n".join(lines)
        assert "Your direct payment: what we need from you" in text and COUNCIL.name in text
        assert printable(rendered["holders"][r["budget_id"]]) in text
        assert f"Reference to quote {stem(r)}" in lines and long_date(r["due_date"]) in text
        sums = [ln for ln in lines if re.fullmatch(rf"{MONEY} \+ {MONEY} \+ {MONEY} - {MONEY} = {MONEY}", ln)]
        assert len(sums) == 1, lines
        a, b, c, d, e = (pounds(m) for m in re.findall(MONEY, sums[0]))
        assert a + b + c - d == e
        _, _, opening, council, contributions, spent, closing = rendered["positions"][(r["budget_id"], r["period_start"])]
        assert (a, b, c, d, e) == (opening, council, contributions, spent, closing)
        statement = {ln.rsplit(" ", 1)[0]: ln.rsplit(" ", 1)[1] for ln in lines if re.search(rf" {MONEY}$", ln)}
        assert statement[f"+ Paid in by {COUNCIL.name}"] == sums[0].split(" + ")[1]
        assert statement["- Spent (payments out, less any refunds)"] == f"£{spent:,.2f}"
        for ref, amount, _ in rendered["payments"][(r["budget_id"], r["period_start"])]:
            assert any(ref in ln and f"£{amount:,.2f}" in ln for ln in lines), ref
        pages = len([s for s in re.findall(rb"/Type /Page\b", data)])
        assert f"page {pages} of {pages}" in text and "{nb}" not in text


def test_pdf_body_type_is_at_least_12pt(rendered):
    data = next((rendered["out"] / "returns").glob("*.pdf")).read_bytes()
    sizes = set()
    for body in pdf_streams(data):
        sizes |= {float(s) for s in re.findall(rb"/F\d+ ([\d.]+) Tf", body)}
    assert sizes and min(sizes) >= 12


def test_pdf_is_the_same_bytes_every_time(rendered, sim_council, tmp_path):
    with duckdb.connect(str(sim_council["warehouse"]), read_only=True) as con:
        render_returns(con, tmp_path, rendered["as_of"], COUNCIL)
    for p in (tmp_path / "returns").glob("*.pdf"):
        assert p.read_bytes() == (rendered["out"] / "returns" / p.name).read_bytes()


def test_pdftotext_reads_pound_signs(rendered):
    if not shutil.which("pdftotext"):
        pytest.skip("pdftotext (poppler-utils) is not installed; the pypdf reader above covers the text")
    pdf = next((rendered["out"] / "returns").glob("*.pdf"))
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, check=True,
                          text=True).stdout
    assert "Your direct payment: what we need from you" in text
    assert re.search(r"£[\d,]+\.\d{2} \+ £[\d,]+\.\d{2}", text)


# ---- hostile and unusual text ------------------------------------------------

def test_hostile_payee_is_escaped_in_html_and_literal_in_pdf(sim_council, tmp_path):
    wh = tmp_path / "copy.duckdb"
    shutil.copy(sim_council["warehouse"], wh)
    with duckdb.connect(str(wh)) as con:
        target = con.execute("""
            SELECT t.transaction_id, t.evidence_ref, r.budget_id, r.period_start
            FROM audit.evidence_returns r JOIN audit.transactions t
              ON t.budget_id = r.budget_id AND t.date BETWEEN r.period_start AND r.period_end
            WHERE r.received_at IS NULL AND t.needs_evidence
            ORDER BY r.budget_id, r.period_start, t.date, t.transaction_id LIMIT 2""").fetchall()
        assert len(target) == 2
        con.execute("UPDATE core.transactions SET payee = ? WHERE transaction_id = ? AND evidence_ref = ?",
                    [HOSTILE, target[0][0], target[0][1]])
        con.execute("UPDATE core.transactions SET payee = ? WHERE transaction_id = ? AND evidence_ref = ?",
                    [UNICODE_PAYEE, target[1][0], target[1][1]])
        render_returns(con, tmp_path / "out", sim_council["as_of"], COUNCIL)
    for ref, payee, printed in ((target[0], HOSTILE, HOSTILE), (target[1], UNICODE_PAYEE, "ŁÓDŹ CAFÉ – Ünïcødé")):
        name = f"{ref[2]}_{ref[3].isoformat()}"
        page = (tmp_path / "out" / "returns" / f"{name}.html").read_text(encoding="utf-8")
        assert str(escape(payee)) in page and html.escape("<script>", quote=False) in page
        assert "<script>" not in page
        data = (tmp_path / "out" / "returns" / f"{name}.pdf").read_bytes()
        assert any(ref[1] in ln and ln.split(" ", 3)[3].startswith(printed.split(" ")[0]) for ln in pdf_lines(data)), [ln for ln in pdf_lines(data) if ref[1] in ln]
        # a table cell is drawn line after line, wrapped at spaces (or inside a word too long for
        # the column): in drawing order, without the spaces, the payee is there character for character
        drawn = "".join(t for _, _, _, t in pdf_strings(data)).replace(" ", "")
        assert printed.replace(" ", "") in drawn
    hostile = "\n".join(pdf_lines((tmp_path / "out" / "returns" / f"{target[0][2]}_{target[0][3].isoformat()}.pdf").read_bytes()))
    assert "<script>alert(1)</script>" in hostile and "**bold**" in hostile and "{nb}" in hostile


def test_payments_already_evidenced_are_marked_received(sim_council, tmp_path):
    wh = tmp_path / "copy.duckdb"
    shutil.copy(sim_council["warehouse"], wh)
    with duckdb.connect(str(wh)) as con:
        r = unreceived(con)[0]
        pays = con.execute("""SELECT transaction_id, evidence_ref FROM audit.transactions
                              WHERE budget_id = ? AND date BETWEEN ? AND ? AND needs_evidence
                              ORDER BY date, transaction_id""", [r["budget_id"], r["period_start"], r["period_end"]]).fetchall()
        assert len(pays) >= 3
        # one receipt quotes the printed reference, one the bank's own id; both from an earlier return
        for ref in (pays[0][1], pays[1][0]):
            con.execute("""INSERT INTO land.evidence_items (budget_id, period, transaction_ref, evidence_type, file,
                           amount, note, submitted_on, file_present, return_dir, file_id, source_path, source_line)
                           VALUES (?, DATE '2000-01-01', ?, 'receipt', 'r.pdf', NULL, NULL, NULL, true, 'x', 'F0', 'x', 2)""",
                        [r["budget_id"], ref])
        # a reference sent for another budget does not count (bank ids repeat across accounts)
        con.execute("""INSERT INTO land.evidence_items (budget_id, period, transaction_ref, evidence_type, file,
                       amount, note, submitted_on, file_present, return_dir, file_id, source_path, source_line)
                       VALUES ('SOMEONE-ELSE', DATE '2000-01-01', ?, 'receipt', 'r.pdf', NULL, NULL, NULL, true,
                       'x', 'F0', 'x', 3)""", [pays[2][1]])
        render_returns(con, tmp_path / "out", sim_council["as_of"], COUNCIL)
    name = stem(r)
    page = (tmp_path / "out" / "returns" / f"{name}.html").read_text(encoding="utf-8")
    assert page.count('class="tag got"') == 2 and page.count('class="tag send"') == len(pays) - 2
    lines = pdf_lines((tmp_path / "out" / "returns" / f"{name}.pdf").read_bytes())
    status = {ref: ln.rsplit(" ", 2)[-2:] for _, ref in pays for ln in lines if f" {ref} " in ln}
    assert status[pays[0][1]] == [pays[0][1], "Received"] and status[pays[1][1]][-1] == "Received"
    assert status[pays[2][1]] == ["Please", "send"]


def test_printable_keeps_every_script_and_blanks_only_control_characters():
    assert printable("£12.50 CAFÉ ‘quoted’ – “x” €5") == "£12.50 CAFÉ ‘quoted’ – “x” €5"
    assert printable("Łukasz Żółw ☃ محمد 陈伟") == "Łukasz Żółw ☃ محمد 陈伟"
    assert printable("tab\there\nnew\x00line\u202e") == "tab here new line "


def test_long_words_are_cut_to_fit_a_column(rendered):
    letter = sample_letter(rendered)
    pdf = ReturnPDF(letter)
    pdf.add_page()
    pdf.font()
    lines = pdf.wrap("X" * 200 + " short words here", 40)
    assert all(pdf.width(ln) <= 40 for ln in lines) and "".join(lines).startswith("X" * 200)


def sample_letter(rendered):
    r = rendered["returns"][0]
    row = dict(r, holder_name="A N Other", cohort="adult", managed_by="self",
               opening_balance=Decimal("10.00"), council_paid=Decimal("5.00"), contributions_due=Decimal("0.00"),
               contributions_paid=Decimal("0.00"), spent=Decimal("3.00"), closing_balance=Decimal("12.00"))
    return build_letter(row, [], [], [], rendered["as_of"], COUNCIL)


# ---- wording -----------------------------------------------------------------

def test_eligibility_wording_by_cohort_and_status():
    due, late = date(2026, 4, 28), True
    child, warn = eligibility("child", "lapsed", due, late)
    assert warn and "children's short-break budget has lapsed" in child[1] and "was due on 28 April 2026" in child[0]
    mh, warn = eligibility("mental_health", "at_risk", due, late)
    assert warn and "time-limited mental health budget is at risk" in mh[1]
    adult, warn = eligibility("adult", "ok", due, False)
    assert not warn and adult[0] == "Please reply by 28 April 2026." and "lapse" not in " ".join(adult)
    child_ok, warn = eligibility("child", "ok", due, False)
    assert warn and "lapse" in child_ok[1]


def test_letters_come_from_a_handful_of_queries(sim_council):
    class Counting:
        def __init__(self, con):
            self.con, self.n = con, 0

        def execute(self, *a):
            self.n += 1
            return self.con.execute(*a)

    with duckdb.connect(str(sim_council["warehouse"]), read_only=True) as con:
        counting = Counting(con)
        letters = fetch_letters(counting, sim_council["as_of"], COUNCIL)
    assert letters and counting.n == 4


# ---- golden ------------------------------------------------------------------

def normalise_html(page: str) -> str:
    return "\n".join(line.rstrip() for line in page.replace("\r\n", "\n").splitlines()) + "\n"


def check_golden(path: Path, actual: str) -> None:
    """Compare with the expected file; with DPRECON_REGEN_GOLDEN=1 write a missing one ("x" mode:
    an existing file is never overwritten; delete it first to regenerate it)."""
    if os.environ.get("DPRECON_REGEN_GOLDEN") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            with open(path, "x", encoding="utf-8", newline="\n") as fh:
                fh.write(actual)
        except FileExistsError:
            if path.read_text(encoding="utf-8") != actual:
                pytest.fail(f"{path} exists and differs; refusing to overwrite it. Delete it and rerun "
                            f"with DPRECON_REGEN_GOLDEN=1 to regenerate, then read the diff before committing.")
        return
    if not path.exists():
        pytest.fail(f"{path} is missing: run DPRECON_REGEN_GOLDEN=1 uv run pytest {__file__} -k golden")
    assert actual == path.read_text(encoding="utf-8"), f"{path} differs (see module docstring to regenerate)"


def test_golden_return(rendered):
    with_payments = [r for r in rendered["returns"] if rendered["payments"][(r["budget_id"], r["period_start"])]]
    r = (with_payments or rendered["returns"])[0]
    folder = rendered["out"] / "returns"
    check_golden(GOLDEN / "first_return" / "expected.html",
                 normalise_html((folder / f"{stem(r)}.html").read_text(encoding="utf-8")))
    check_golden(GOLDEN / "first_return" / "expected_pdf.txt",
                 "\n".join(pdf_lines((folder / f"{stem(r)}.pdf").read_bytes())) + "\n")


def test_golden_issued_letter(rendered, sim_council, tmp_path):
    """The other kind of letter: as period close issues it, with the family's access code and the
    portal's address, dated the day it is issued, for a holder whose name is not in Latin script alone."""
    r = next(r for r in rendered["returns"] if rendered["payments"][(r["budget_id"], r["period_start"])])
    wh = tmp_path / "copy.duckdb"
    shutil.copy(sim_council["warehouse"], wh)
    key = (r["budget_id"], r["period_start"])
    with duckdb.connect(str(wh)) as con:
        con.execute("UPDATE core.budgets SET holder_name = ? WHERE budget_id = ?", ["Siân Łukasiewicz 陈伟", key[0]])
        render_returns(con, tmp_path / "out", rendered["as_of"], COUNCIL, access_codes={key: "ABCD-EFGH-JKMN"},
                       only={key}, dated=date.fromordinal(rendered["as_of"].toordinal() + 2))
    folder = tmp_path / "out" / "returns"
    page = (folder / f"{stem(r)}.html").read_text(encoding="utf-8")
    lines = pdf_lines((folder / f"{stem(r)}.pdf").read_bytes())
    name = next(ln for ln in lines if ln.startswith("Name "))
    assert sorted(name[5:].split()) == sorted("Siân Łukasiewicz 陈伟".split())  # fragments in drawing order
    check_golden(GOLDEN / "issued_return" / "expected.html", normalise_html(page))
    check_golden(GOLDEN / "issued_return" / "expected_pdf.txt", "\n".join(lines) + "\n")


def test_unusual_letters_still_render(rendered):
    """No statement row, figures that do not close, nothing needing evidence, no plan lines."""
    from reports.returns.pdf import letter_pdf
    from reports.returns.render import environment

    template = environment().get_template("template.html.j2")
    closing_wrong = sample_letter(rendered)
    closing_wrong.statement.closing = Decimal("99.99")
    no_statement = sample_letter(rendered)
    no_statement.statement = None
    for letter, phrase in ((closing_wrong, "We are checking them"), (no_statement, "could not prepare the statement")):
        page = template.render(letter=letter)
        text = "\n".join(pdf_lines(letter_pdf(letter)))
        assert phrase in page and phrase in text
        assert "No payments in this period need evidence" in page and "No payments in this period" in text
