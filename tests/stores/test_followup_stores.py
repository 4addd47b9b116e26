"""The audits store and the recovery decisions: append-only input that a rerun never loses."""

from __future__ import annotations

from datetime import date

import pytest
from typer.testing import CliRunner

from flows.cli import app
from stores import audits, reviews
from tests.conftest import SAMPLE_INBOX
from tests.flows.helpers import copy_inbox, query, run

AS_OF = date(2025, 10, 31)
runner = CliRunner()


def test_an_audit_is_recorded_and_loaded(tmp_path):
    wh = tmp_path / "w.duckdb"
    audits.record(wh, "B001", date(2025, 6, 1), "jsmith", "all receipts seen", today=date(2025, 6, 2))
    audits.record(wh, "B001", date(2025, 9, 1), "akhan", today=date(2025, 9, 1))
    got = audits.load(wh)
    assert got.select("budget_id", "audited_on", "reviewer").rows() == [("B001", date(2025, 6, 1), "jsmith"),
                                                                       ("B001", date(2025, 9, 1), "akhan")]


def test_an_audit_in_the_future_or_without_a_reviewer_is_refused(tmp_path):
    wh = tmp_path / "w.duckdb"
    with pytest.raises(ValueError, match="in the future"):
        audits.record(wh, "B001", date(2025, 6, 3), "jsmith", today=date(2025, 6, 2))
    with pytest.raises(ValueError, match="who did it"):
        audits.record(wh, "B001", date(2025, 6, 1), " ", today=date(2025, 6, 2))
    assert audits.load(wh).height == 0


def test_a_torn_or_foreign_line_is_not_an_audit(tmp_path):
    wh = tmp_path / "w.duckdb"
    audits.record(wh, "B001", date(2025, 6, 1), "jsmith")
    with audits.store_path(wh).open("a") as f:
        f.write('{"budget_id": "B002", "note": "no date"}\n{"budget_id": "B003", "audited_on": "2025-')
    assert audits.load(wh)["budget_id"].to_list() == ["B001"]


def test_recover_needs_an_amount_above_zero_and_a_method_goes_only_with_recover(tmp_path):
    wh = tmp_path / "w.duckdb"
    with pytest.raises(ValueError, match="amount to ask back"):
        reviews.append(wh, "X1", "jsmith", "recover", None, None)
    with pytest.raises(ValueError, match="above"):
        reviews.append(wh, "X1", "jsmith", "recover", None, "0.00")
    with pytest.raises(ValueError, match="method"):
        reviews.append(wh, "X1", "jsmith", "confirmed", None, None, method="repay")
    with pytest.raises(ValueError, match="method"):
        reviews.append(wh, "X1", "jsmith", "recover", None, "10.00", method="by cheque")
    rec = reviews.append(wh, "X1", "jsmith", "recover", "asked", "10.5", method="reduce_payments")
    assert (rec["amount_asked"], rec["amount_recovered"], rec["method"]) == ("10.50", None, "reduce_payments")
    row = reviews.load(wh).to_dicts()[0]
    assert (str(row["amount_asked"]), row["amount_recovered"], row["method"]) == ("10.50", None, "reduce_payments")


@pytest.fixture()
def council(tmp_path):
    inbox = copy_inbox(SAMPLE_INBOX, tmp_path / "inbox")
    wh = tmp_path / "w.duckdb"
    run(inbox, wh, as_of=AS_OF)
    xid, budget = query(wh, "SELECT exception_id, budget_id FROM audit.exceptions "
                            "WHERE rule_code = 'INELIGIBLE_SPEND'")[0]
    return inbox, wh, xid, budget


def test_review_recover_and_audit_show_at_once_and_survive_a_rebuild(council):
    inbox, wh, xid, budget = council
    out = runner.invoke(app, ["review", "recover", xid, "--amount", "20.00", "--reviewer", "jsmith",
                              "--warehouse", str(wh)])
    assert out.exit_code == 0, out.output
    out = runner.invoke(app, ["review", "audit", budget, "--date", "2025-10-01", "--reviewer", "jsmith",
                              "--warehouse", str(wh)])
    assert out.exit_code == 0, out.output
    want_recovery = [(xid, budget, "20.00", "notified")]
    got = "SELECT exception_id, budget_id, CAST(amount AS VARCHAR), status FROM audit.recoveries"
    assert query(wh, got) == want_recovery
    assert query(wh, f"SELECT last_audit FROM audit.audit_plan WHERE budget_id = '{budget}'") == [(date(2025, 10, 1),)]
    assert query(wh, f"SELECT status FROM audit.exceptions WHERE exception_id = '{xid}'") == [("recover",)]
    wh.unlink()  # the warehouse is rebuilt from scratch: the stores beside it keep both
    run(inbox, wh, as_of=AS_OF)
    assert query(wh, got) == want_recovery
    assert query(wh, f"SELECT last_audit FROM audit.audit_plan WHERE budget_id = '{budget}'") == [(date(2025, 10, 1),)]


def test_the_commands_refuse_what_they_cannot_record(council):
    inbox, wh, xid, budget = council
    assert runner.invoke(app, ["review", "recover", "XNOPE", "--amount", "1.00", "--reviewer", "j",
                               "--warehouse", str(wh)]).exit_code == 1
    bad = runner.invoke(app, ["review", "recover", xid, "--amount", "lots", "--reviewer", "j", "--warehouse", str(wh)])
    assert bad.exit_code == 2 and "amount" in bad.output
    assert runner.invoke(app, ["review", "audit", "NOPE", "--reviewer", "j", "--warehouse", str(wh)]).exit_code == 1
    future = runner.invoke(app, ["review", "audit", budget, "--date", "2999-01-01", "--reviewer", "j",
                                 "--warehouse", str(wh)])
    assert future.exit_code == 2 and "future" in future.output
    assert query(wh, "SELECT count(*) FROM audit.recoveries") == [(0,)]


@pytest.mark.parametrize("command", [["review", "audit"], ["review", "recover"], ["notices", "issue"],
                                     ["notices", "list"]])
def test_every_new_command_has_help_with_an_example(command):
    result = runner.invoke(app, [*command, "--help"])
    assert result.exit_code == 0
    assert "Example: dprecon " + " ".join(command) in " ".join(result.output.split())
