"""``dprecon portal issue-code`` and ``dprecon serve`` from the command line."""

from __future__ import annotations

import re
from datetime import date

from typer.testing import CliRunner

from flows.cli import app
from stores.codes import check_sign_in

runner = CliRunner()


def test_issue_code_prints_a_code_that_opens_the_return(sim_council, council_returns, tmp_path):
    r = council_returns[0]
    state = tmp_path / "portal"
    result = runner.invoke(app, ["portal", "issue-code", r.budget_id, r.period_start.isoformat(),
                                 "--warehouse", str(sim_council["warehouse"]), "--state", str(state)])
    assert result.exit_code == 0, result.output
    code = result.output.strip()
    assert re.fullmatch(r"[2-9A-HJKMNP-TV-Z]{4}-[2-9A-HJKMNP-TV-Z]{4}-[2-9A-HJKMNP-TV-Z]{4}", code)
    signed = check_sign_in(state, r.budget_id, code, "cli-test")
    assert (signed.outcome, signed.period_start) == ("ok", r.period_start)


def test_issue_code_refuses_a_return_the_warehouse_does_not_have(sim_council, tmp_path):
    result = runner.invoke(app, ["portal", "issue-code", "NO-SUCH-BUDGET", date(2026, 1, 1).isoformat(),
                                 "--warehouse", str(sim_council["warehouse"]), "--state", str(tmp_path)])
    assert result.exit_code == 1 and "There is no evidence return for NO-SUCH-BUDGET" in result.output
    assert not (tmp_path / "portal.sqlite3").exists() or b"NO-SUCH" not in (tmp_path / "portal.sqlite3").read_bytes()


def test_the_commands_have_help_with_an_example():
    for args, example in ((["serve", "--help"], "Example: dprecon serve --host 127.0.0.1 --port 8000"),
                          (["portal", "issue-code", "--help"], "Example: dprecon portal issue-code DP000011-1")):
        result = runner.invoke(app, args)
        assert result.exit_code == 0 and example in " ".join(result.output.split())


def test_intake_after_submit_starts_the_intake_for_this_inbox_and_warehouse(monkeypatch, tmp_path):
    import subprocess

    from web.portal.serve import intake_starter

    started = []
    monkeypatch.setattr(subprocess, "Popen", lambda argv, **kw: started.append((argv, kw)))
    intake_starter(tmp_path / "inbox", tmp_path / "w.duckdb")(tmp_path / "inbox" / "evidence" / "x")
    [(argv, kw)] = started
    assert argv[1:] == ["-m", "flows.cli", "intake", "--inbox", str(tmp_path / "inbox"),
                        "--warehouse", str(tmp_path / "w.duckdb")]
    assert kw["start_new_session"] is True and kw["stdin"] == subprocess.DEVNULL


def test_a_revoked_code_no_longer_signs_in(sim_council, council_returns, tmp_path):
    r = council_returns[0]
    state = tmp_path / "portal"
    where = ["--warehouse", str(sim_council["warehouse"]), "--state", str(state)]
    code = runner.invoke(app, ["portal", "issue-code", r.budget_id, r.period_start.isoformat(), *where]).output.strip()
    result = runner.invoke(app, ["portal", "revoke-code", r.budget_id, r.period_start.isoformat(), *where])
    assert result.exit_code == 0, result.output
    assert check_sign_in(state, r.budget_id, code, "cli-test").outcome == "wrong"
