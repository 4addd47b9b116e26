"""Every command is documented, with an example (sqlite-utils' habit); the CLI is safe."""

from __future__ import annotations

import pytest
import typer
from typer.testing import CliRunner

from flows.cli import app

runner = CliRunner()


def leaf_commands() -> list[tuple[str, ...]]:
    """Every command path, walking the groups (``review list``, ``portal issue-code`` ...)."""
    out: list[tuple[str, ...]] = []

    def walk(cmd, path: tuple[str, ...]) -> None:
        if getattr(cmd, "commands", None):  # a group (typer's own, or click's)
            out.append(path)  # a group is documented with an example too
            for name, sub in cmd.commands.items():
                walk(sub, (*path, name))
        else:
            out.append(path)

    walk(typer.main.get_command(app), ())
    return [p for p in out if p]


COMMANDS = leaf_commands()


def test_there_are_commands_and_subcommands():
    assert {("run",), ("simulate",), ("demo",), ("intake",), ("close-periods",)} <= set(COMMANDS)
    assert {("review", "list"), ("review", "show"), ("review", "decide"), ("portal", "issue-code"),
            ("portal", "revoke-code")} <= set(COMMANDS)


@pytest.mark.parametrize("command", COMMANDS, ids=[" ".join(c) for c in COMMANDS])
def test_every_command_has_help_with_an_example(command):
    result = runner.invoke(app, [*command, "--help"])
    assert result.exit_code == 0
    assert "Example: dprecon " + " ".join(command) in " ".join(result.output.split())


def test_bad_as_of_is_refused_clearly(tmp_path):
    result = runner.invoke(app, ["run", "--inbox", str(tmp_path), "--warehouse", str(tmp_path / "w.duckdb"),
                                 "--as-of", "31/12/2025"])
    assert result.exit_code != 0
    assert "YYYY-MM-DD" in result.output


def test_a_decision_must_be_one_of_the_decisions(tmp_path):
    result = runner.invoke(app, ["review", "decide", "X1", "--decision", "maybe", "--reviewer", "a",
                                 "--warehouse", str(tmp_path / "w.duckdb")])
    assert result.exit_code != 0
    assert "written_off" in result.output


def test_demo_never_touches_a_folder_it_did_not_create(tmp_path):
    folder = tmp_path / "council"
    folder.mkdir()
    (folder / "reviews.jsonl").write_text('{"exception_id": "X1"}\n')
    result = runner.invoke(app, ["demo", "--folder", str(folder), "--accounts", "3"])
    assert result.exit_code == 2
    assert "did not write" in result.output
    assert (folder / "reviews.jsonl").read_text() == '{"exception_id": "X1"}\n'
    assert sorted(p.name for p in folder.iterdir()) == ["reviews.jsonl"]


def test_a_demo_folder_keeps_decisions_and_portal_state_when_run_again(tmp_path):
    from flows.cli.job import DEMO_MARK, prepare_demo_folder

    folder = tmp_path / "demo"
    assert prepare_demo_folder(folder) == []
    assert (folder / DEMO_MARK).is_file()
    for name in ("inbox/register", "reports/2026-04-01", "portal"):
        (folder / name).mkdir(parents=True)
    (folder / "warehouse.duckdb").write_bytes(b"x")
    (folder / "warehouse.duckdb.hashes.json").write_text("{}")
    (folder / "reviews.jsonl").write_text("{}\n")
    kept = prepare_demo_folder(folder)
    assert kept == ["portal", "reviews.jsonl"]
    assert not (folder / "inbox").exists() and not (folder / "warehouse.duckdb").exists()
