"""Every command is documented, with an example (sqlite-utils' habit)."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from flows.cli import app

runner = CliRunner()
COMMANDS = sorted(c.name or c.callback.__name__ for c in app.registered_commands)


def test_there_are_commands():
    assert {"run", "simulate", "demo"} <= set(COMMANDS)


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help_with_an_example(command):
    result = runner.invoke(app, [command, "--help"])
    assert result.exit_code == 0
    assert "Example: dprecon " + command in " ".join(result.output.split())


def test_bad_as_of_is_refused_clearly(tmp_path):
    result = runner.invoke(app, ["run", "--inbox", str(tmp_path), "--warehouse", str(tmp_path / "w.duckdb"),
                                 "--as-of", "31/12/2025"])
    assert result.exit_code != 0
    assert "YYYY-MM-DD" in result.output
