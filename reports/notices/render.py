"""Recovery notices: one PDF and one HTML per recovery, from ``query.sql``.

``render_notices(con, out_dir, as_of, council, due_days, only)`` writes
``out_dir/<recovery_id>.pdf`` and ``.html`` for the recoveries in ``only``
(all when ``None``). Two set-based queries whatever the number of notices;
the loop only renders. Bank and family text is escaped by Jinja's autoescape
in HTML and printed as plain text in the PDF (``reports/returns/page.py``).

Example: recovery ``R1A2B3C4D5E6F`` issued on 3 March 2026 →
``R1A2B3C4D5E6F.pdf`` and ``R1A2B3C4D5E6F.html``, due 31 March 2026.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path

import duckdb
import polars as pl
from jinja2 import Environment, FileSystemLoader, select_autoescape

from reports.notices.notice import Notice, build_notice, gbp, long_date, short_date
from reports.notices.pdf import notice_pdf
from reports.returns.render import QUERY_NAME, rows, safe_stem
from schemas.council import Council

HERE = Path(__file__).parent


def environment() -> Environment:
    env = Environment(loader=FileSystemLoader(HERE), autoescape=select_autoescape(["html", "j2"]),
                      trim_blocks=True, lstrip_blocks=True)
    env.filters["gbp"] = gbp
    env.filters["long_date"] = long_date
    env.filters["short_date"] = lambda d: short_date(d) if d else ""
    return env


def fetch_notices(con: duckdb.DuckDBPyConnection, as_of: date, council: Council, due_days: int,
                  only: set[str] | None = None) -> list[Notice]:
    q = queries()
    found = [r for r in rows(con, q["notices"]) if only is None or r["recovery_id"] in only]
    wanted = pl.DataFrame([(r["recovery_id"], r["budget_id"], r["account_id"], ref) for r in found
                           for ref in sorted(set((r["evidence"] or "").split()))],
                          schema={"recovery_id": pl.String, "budget_id": pl.String, "account_id": pl.String,
                                  "ref": pl.String}, orient="row")
    con.register("__wanted", wanted.to_arrow())
    try:
        evidence: defaultdict[str, list[dict]] = defaultdict(list)
        for e in rows(con, q["evidence"]):
            evidence[e["recovery_id"]].append(e)
    finally:
        con.unregister("__wanted")
    due_on = as_of + timedelta(days=due_days)
    return [build_notice(r, evidence[r["recovery_id"]], council, as_of, due_on) for r in found]


def queries() -> dict[str, str]:
    """``query.sql`` split on its ``-- name: x`` lines."""
    parts = QUERY_NAME.split((HERE / "query.sql").read_text(encoding="utf-8"))
    return {name: sql.strip().rstrip(";") for name, sql in zip(parts[1::2], parts[2::2], strict=True)}


def render_notice_files(notices: list[Notice], out_dir: Path) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    template = environment().get_template("template.html.j2")
    written: list[Path] = []
    for n in notices:
        stem = safe_stem(n.reference)
        pdf_path, html_path = out_dir / f"{stem}.pdf", out_dir / f"{stem}.html"
        pdf_path.write_bytes(notice_pdf(n))
        html_path.write_text(template.render(notice=n), encoding="utf-8")
        written += [pdf_path, html_path]
    return written


__all__ = ["fetch_notices", "render_notice_files"]
