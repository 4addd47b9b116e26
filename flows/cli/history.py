"""``dprecon history`` and ``dprecon restore``: the nights kept beside the live warehouse, and rolling back."""

from __future__ import annotations

from pathlib import Path

import typer

from flows.cli import app
from flows.cli.common import _parse_date, _warehouse, console


@app.command()
def history(
    warehouse: Path = typer.Option(None, help="the DuckDB warehouse file [default: data/warehouse.duckdb]"),
) -> None:
    """List the nights kept beside the live warehouse: night, as-of, run id, size.

    Example: dprecon history
    """
    from flows.history import nights

    wh = _warehouse(warehouse)
    typer.echo(f"Warehouses kept for {wh}, newest first:")
    typer.echo(f"{'night':<18} {'as of':<10}  {'last run':<36}  {'status':<10} {'size':>9}  file")
    for n in nights(wh):
        typer.echo(f"{n.night.isoformat() + (' (live)' if n.live else ''):<18} "
                   f"{n.as_of.isoformat() if n.as_of else '':<10}  {n.run_id or '':<36}  {n.status or '':<10} "
                   f"{n.size / 1_048_576:>6,.1f} MB  {n.path}")
    typer.echo("Open a night read-only: docs/auditors.md, 'What did we know on a given night?'")


@app.command()
def restore(
    night: str = typer.Argument(..., help="the night to go back to, YYYY-MM-DD (see dprecon history)"),
    warehouse: Path = typer.Option(None, help="the DuckDB warehouse file [default: data/warehouse.duckdb]"),
) -> None:
    """Make a kept night the live warehouse again (recorded in audit.runs; decisions and portal untouched).

    Example: dprecon restore 2026-03-03
    """
    from flows.history import restore as restore_night
    from flows.warehouse import WarehouseBusy

    wh = _warehouse(warehouse)
    try:
        done = restore_night(wh, _parse_date(night))
    except LookupError as e:
        console.print(str(e), style="red", markup=False, highlight=False)
        raise typer.Exit(2) from e
    except WarehouseBusy as e:
        console.print(f"Restore refused: {e}. Nothing was changed.", style="red", markup=False, highlight=False)
        raise typer.Exit(3) from e
    console.print(f"The live warehouse {wh} is night {done['night']} again (as of {done['as_of']}; "
                  f"{done['exceptions_open']} open exceptions). Recorded as run {done['run_id']}, status "
                  "'restored'; the warehouse it replaced is kept in history.", markup=False, highlight=False)
