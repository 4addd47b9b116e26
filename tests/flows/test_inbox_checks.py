"""A missing or emptied inbox is an error or a warning, never an all-clear."""

from __future__ import annotations

from datetime import date

import pytest
from typer.testing import CliRunner

from flows.cli import app
from flows.job import run_job
from flows.nightly import summary_markdown
from flows.validation import validate_batch
from pipelines.inbox_health import emptied_inbox_warning
from tests.conftest import SAMPLE_INBOX
from tests.flows.helpers import copy_inbox, dump_views, run

runner = CliRunner()


def test_no_inbox_folder_stops_the_run_in_plain_words_and_changes_nothing(tmp_path):
    wh = tmp_path / "w.duckdb"
    run(copy_inbox(SAMPLE_INBOX, tmp_path / "inbox"), wh)
    before, size = dump_views(wh), wh.read_bytes()
    result = runner.invoke(app, ["run", "--inbox", str(tmp_path / "gone"), "--warehouse", str(wh),
                                 "--reports", str(tmp_path / "r2"), "--as-of", "2025-07-31"],
                           env={"COLUMNS": "200"})
    assert result.exit_code == 1
    assert "there is no inbox folder at" in " ".join(result.output.split())
    assert wh.read_bytes() == size and dump_views(wh) == before
    assert not (tmp_path / "r2").exists()


def test_an_inbox_without_a_register_stops_the_run(tmp_path):
    inbox = copy_inbox(SAMPLE_INBOX, tmp_path / "inbox")
    (inbox / "register" / "budgets.csv").unlink()
    result = runner.invoke(app, ["run", "--inbox", str(inbox), "--warehouse", str(tmp_path / "w.duckdb"),
                                 "--as-of", "2025-07-31"], env={"COLUMNS": "200"})
    assert result.exit_code == 1
    assert "no register/budgets.csv" in " ".join(result.output.split())
    assert not (tmp_path / "w.duckdb").exists()
    with pytest.raises(Exception, match="register/budgets.csv"):  # the flow's own guard, without the CLI
        run_job(inbox, tmp_path / "w.duckdb", tmp_path / "r", date(2025, 7, 31), validate=validate_batch)


@pytest.mark.parametrize(("now", "before", "warns"), [(4, 9, True), (5, 9, False), (0, 1, True), (3, 3, False),
                                                      (10, None, False), (0, 0, False), (2406, 4812, False),
                                                      (2405, 4812, True)])
def test_the_emptied_inbox_threshold_is_under_half(now, before, warns):
    assert (emptied_inbox_warning(now, before) is not None) is warns


def test_an_emptied_inbox_warns_in_the_summary_the_report_and_the_artifact(tmp_path):
    import shutil

    inbox = copy_inbox(SAMPLE_INBOX, tmp_path / "inbox")
    wh = tmp_path / "w.duckdb"
    first = run(inbox, wh)
    assert first["warnings"] == []
    for p in [*(inbox / "statements").iterdir(), *(inbox / "invoices").iterdir()]:
        p.unlink()  # 9 files seen last time; the 3 register files left are under half
    shutil.rmtree(inbox / "evidence")
    second = run_job(inbox, wh, tmp_path / "reports2", date(2025, 7, 31), validate=validate_batch, workers=1)
    assert len(second["warnings"]) == 1 and "fewer than half" in second["warnings"][0]
    page = (tmp_path / "reports2" / "2025-07-31" / "exceptions.html").read_text()
    assert "fewer than half" in page and 'role="alert"' in page
    md = summary_markdown(second, date(2025, 7, 31), {}, (0, 0), 0)
    assert md.index("**Warning:**") < md.index("| files |")
