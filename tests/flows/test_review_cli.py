"""From the report to a decision: ids whole at 80 columns, any unique prefix, amounts
checked, and the decision in the next report."""

from __future__ import annotations

import shutil
from decimal import Decimal

import duckdb
import pytest
from typer.testing import CliRunner

from flows.cli import app

runner = CliRunner()


@pytest.fixture()
def council(sim_council, tmp_path):
    """A private copy of the simulated council's warehouse: decisions here stay here."""
    wh = tmp_path / "warehouse.duckdb"
    shutil.copyfile(sim_council["warehouse"], wh)
    with duckdb.connect(str(wh), read_only=True) as con:
        ids = [r[0] for r in con.execute("SELECT exception_id FROM audit.exceptions WHERE status = 'open' "
                                         "ORDER BY exception_id").fetchall()]
        amounts = dict(con.execute("SELECT exception_id, amount FROM audit.exceptions").fetchall())
    return {"warehouse": wh, "ids": ids, "amounts": amounts, **{k: sim_council[k] for k in ("inbox", "as_of")}}


def cli(*args: str, columns: int = 80):
    return runner.invoke(app, list(args), env={"COLUMNS": str(columns), "NO_COLOR": "1"})


def test_review_list_shows_every_id_whole_at_80_columns_most_severe_first(council):
    result = cli("review", "list", "--warehouse", str(council["warehouse"]))
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert max(len(line) for line in lines) <= 80
    for i in council["ids"]:
        assert i in result.output
    order = [line.split()[1] for line in lines if line.strip().startswith("X") and len(line.split()) > 1]
    ranks = [{"high": 0, "medium": 1, "low": 2}[s] for s in order]
    assert ranks == sorted(ranks) and ranks


def test_any_unique_prefix_finds_the_exception(council):
    target = council["ids"][0]
    prefix = next(target[:n] for n in range(2, 17) if sum(i.startswith(target[:n]) for i in council["ids"]) == 1)
    result = cli("review", "show", prefix.lower(), "--warehouse", str(council["warehouse"]))
    assert result.exit_code == 0, result.output
    assert target in result.output and "Next step:" in result.output


def test_an_ambiguous_prefix_says_so_and_lists_them(council):
    result = cli("review", "show", "X", "--warehouse", str(council["warehouse"]), columns=200)
    assert result.exit_code == 1
    assert "give more of the id" in result.output and council["ids"][0] in result.output
    result = cli("review", "show", "NOPE", "--warehouse", str(council["warehouse"]))
    assert result.exit_code == 1 and "No exception id starts with" in result.output


def test_a_recovered_amount_is_checked_against_the_exception(council):
    wh = str(council["warehouse"])
    target = next(i for i in council["ids"] if council["amounts"][i] and council["amounts"][i] > 1)
    amount = council["amounts"][target]
    too_much = str(amount + Decimal("0.01"))
    refused = cli("review", "decide", target, "--decision", "recovered", "--amount", too_much, "--reviewer", "jo",
                  "--warehouse", wh)
    assert refused.exit_code == 2 and "more than the exception" in refused.output
    no_note = cli("review", "decide", target, "--decision", "recovered", "--amount", too_much, "--override",
                  "--reviewer", "jo", "--warehouse", wh)
    assert no_note.exit_code == 2 and "--note" in no_note.output
    with duckdb.connect(wh, read_only=True) as con:
        assert con.execute("SELECT count(*) FROM audit.reviews").fetchall()[0][0] == 0
    ok = cli("review", "decide", target, "--decision", "recovered", "--amount", str(amount), "--reviewer", "jo",
             "--warehouse", wh)
    assert ok.exit_code == 0, ok.output
    over = cli("review", "decide", target, "--decision", "recovered", "--amount", too_much, "--override",
               "--note", "also the June overpayment", "--reviewer", "jo", "--warehouse", wh)
    assert over.exit_code == 0, over.output


def test_a_decision_appears_in_the_next_report_with_the_totals(council, tmp_path):
    from flows.job import run_job
    from flows.validation import validate_batch

    wh = str(council["warehouse"])
    recover, write_off = council["ids"][0], council["ids"][1]
    assert cli("review", "decide", recover[:10], "--decision", "recovered", "--amount", "1.00",
               "--reviewer", "jo", "--warehouse", wh).exit_code == 0
    assert cli("review", "decide", write_off, "--decision", "written_off", "--reviewer", "sam",
               "--note", "=HYPERLINK(\"x\")", "--warehouse", wh).exit_code == 0
    run_job(council["inbox"], council["warehouse"], tmp_path / "reports", council["as_of"],
            validate=validate_batch, workers=1)
    page = (tmp_path / "reports" / council["as_of"].isoformat() / "exceptions.html").read_text()
    section = page[page.index("Decided since the last report"):page.index("Surplus held")]
    assert recover in section and write_off in section and "jo" in section and "sam" in section
    assert "£1.00 recovered" in section
    written = council["amounts"][write_off] or Decimal("0.00")
    assert f"£{written:,.2f} written off" in section
    assert recover not in page[page.index('id="exceptions"'):]  # decided: no longer awaiting a decision
    import openpyxl

    wb = openpyxl.load_workbook(tmp_path / "reports" / council["as_of"].isoformat() / "exceptions.xlsx")
    notes = [c.value for c in wb["Decisions"]["I"]]
    assert "'=HYPERLINK(\"x\")" in notes  # an officer's note is defused, never a formula


def test_a_decision_on_one_period_of_a_persisting_problem_stays_with_the_problem(council):
    """Recorded against a later period's finding (as before findings were merged), the
    decision carries to the one exception the finding now belongs to."""
    from flows.job import refresh_reviews
    from stores.reviews import append

    wh = council["warehouse"]
    with duckdb.connect(str(wh), read_only=True) as con:
        episode, later = con.execute(
            "SELECT exception_id, max(flag_id) FROM audit.exception_periods WHERE flag_id <> exception_id "
            "GROUP BY 1 ORDER BY 1 LIMIT 1").fetchall()[0]
    append(wh, later, "jo", "confirmed", "seen on the old report", None)
    refresh_reviews(wh)
    with duckdb.connect(str(wh), read_only=True) as con:
        assert con.execute("SELECT status FROM audit.exceptions WHERE exception_id = ?",
                           [episode]).fetchall() == [("confirmed",)]
