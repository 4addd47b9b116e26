"""What every command shares: the console, dates and the warehouse argument."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import typer
from rich.console import Console

from flows.settings import Settings, today_london

console = Console()


def _parse_date(value: str | None) -> date:
    if value is None:
        return today_london()
    try:
        return date.fromisoformat(value)
    except ValueError as e:
        raise typer.BadParameter(f"{value!r} is not a date written YYYY-MM-DD") from e


def _warehouse(path: Path | None) -> Path:
    wh = path or Settings().warehouse
    if not wh.exists():
        console.print(f"[red]There is no warehouse at {wh} yet: run 'dprecon run' first.[/red]")
        raise typer.Exit(2)
    return wh
