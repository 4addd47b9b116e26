"""What every command shares: the console, typed dates, exception ids, the warehouse argument."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from pathlib import Path

import typer
from rich.console import Console

from flows.settings import Settings, today_london
from stores.reviews import DECISIONS

console = Console()


def parse_day(value: str | date | None) -> date | None:
    """A date option or argument, written YYYY-MM-DD (typer's ``parser=``)."""
    if value is None or isinstance(value, date):
        return value
    try:
        return date.fromisoformat(value)
    except ValueError as e:
        raise typer.BadParameter(f"{value!r} is not a date written YYYY-MM-DD") from e


def day_or_today(value: date | None) -> date:
    return value if value is not None else today_london()


def _parse_date(value: str | None) -> date:
    """Kept for callers written before dates were typed options."""
    return day_or_today(parse_day(value))


# an officer's decision on an exception, as a typed option: the store's one list
Decision = StrEnum("Decision", {d: d for d in DECISIONS})


def _warehouse(path: Path | None) -> Path:
    wh = path or Settings().warehouse
    if not wh.exists():
        console.print(f"[red]There is no warehouse at {wh} yet: run 'dprecon run' first "
                      "(or give --warehouse, e.g. data/demo/warehouse.duckdb after 'dprecon demo').[/red]")
        raise typer.Exit(2)
    return wh


def resolve_id(con, given: str) -> str:
    """The one exception whose id starts with ``given``; otherwise say why and stop."""
    from reports.queries import matching_ids

    found = matching_ids(con, given)
    if len(found) == 1:
        return found[0]
    if not found:
        console.print(f"No exception id starts with {given!r}.", style="red", markup=False, highlight=False)
        raise typer.Exit(1)
    shown = ", ".join(found[:10]) + (f" and {len(found) - 10} more" if len(found) > 10 else "")
    console.print(f"{given!r} is the start of {len(found)} exception ids ({shown}): give more of the id.",
                  style="red", markup=False, highlight=False, soft_wrap=True)
    raise typer.Exit(1)
