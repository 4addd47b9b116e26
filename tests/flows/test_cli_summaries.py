"""intake and close-periods speak like run: a summary in words, JSON with --json."""

from __future__ import annotations

import json
import shutil

from typer.testing import CliRunner

from flows.cli import app
from flows.cli.job import print_intake, print_period_close

runner = CliRunner()


def test_intake_summary_in_words(capsys):
    print_intake({"new_files": 0})
    assert "No new evidence to take in." in capsys.readouterr().out
    print_intake({"run_id": "r", "as_of": "2026-04-01", "new_files": 2,
                  "ingest": {"accepted": 2, "quarantined": 0, "rows_loaded": 9, "rows_quarantined": 0},
                  "returns": {"returns": 40, "received": 12, "raised": 3}})
    out = " ".join(capsys.readouterr().out.split())
    assert "new evidence files │ 2" in out and "returns received │ 12" in out and "{" not in out


def test_period_close_summary_in_words(capsys):
    print_period_close({"issued": 0, "already_issued": 3})
    assert "No evidence returns to issue (3 already issued" in capsys.readouterr().out
    print_period_close({"issued": 5, "already_issued": 0, "folder": "reports/issued/2026-04-01", "files": 10})
    out = " ".join(capsys.readouterr().out.split())
    assert out == "Issued 5 evidence return(s) (10 files) into reports/issued/2026-04-01."


def test_close_periods_json_for_machines(prefect_harness, sim_council, tmp_path):
    wh = tmp_path / "warehouse.duckdb"
    shutil.copyfile(sim_council["warehouse"], wh)
    args = ["close-periods", "--warehouse", str(wh), "--reports", str(tmp_path / "reports"),
            "--as-of", sim_council["as_of"].isoformat()]
    result = runner.invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["issued"] > 0
    again = runner.invoke(app, args, env={"COLUMNS": "200"})
    assert again.exit_code == 0 and again.output.startswith("No evidence returns to issue")
