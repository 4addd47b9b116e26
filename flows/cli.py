"""The ``dprecon`` command: a thin Typer layer over the flows."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import typer
from rich.console import Console
from rich.table import Table as RichTable

from flows.settings import Settings, quiet_prefect_defaults

app = typer.Typer(
    help="dprecon: direct-payment finance and reconciliation for social care.",
    no_args_is_help=True,
    add_completion=False,
)
console = Console()


def today_london() -> date:
    return datetime.now(ZoneInfo("Europe/London")).date()


def _parse_date(value: str | None) -> date:
    if value is None:
        return today_london()
    try:
        return date.fromisoformat(value)
    except ValueError as e:
        raise typer.BadParameter(f"{value!r} is not a date written YYYY-MM-DD") from e


def run_nightly(inbox: Path, warehouse: Path, reports: Path, as_of: date, workers: int) -> dict:
    quiet_prefect_defaults()
    from flows.nightly import nightly

    return nightly(inbox=inbox, warehouse=warehouse, reports=reports, as_of=as_of, workers=workers)


def print_summary(result: dict) -> None:
    ing = result["ingest"]
    t = RichTable(title=f"dprecon run {result['run_id']} as of {result['as_of']}")
    t.add_column("what")
    t.add_column("count", justify="right")
    for label, key in (("files seen", "files_seen"), ("accepted", "accepted"),
                       ("duplicate (already loaded)", "duplicate"), ("quarantined", "quarantined"),
                       ("rows loaded", "rows_loaded"), ("new rows", "rows_new"),
                       ("rows set aside", "rows_quarantined")):
        t.add_row(label, str(ing[key]))
    t.add_row("exceptions raised", str(result["exceptions"]))
    console.print(t)
    console.print(f"Warehouse: {result['warehouse']}")


@app.command()
def run(
    inbox: Path = typer.Option(None, help="the council's inbox folder [default: data/inbox]"),
    warehouse: Path = typer.Option(None, help="the DuckDB warehouse file [default: data/warehouse.duckdb]"),
    reports: Path = typer.Option(None, help="where reports are written [default: data/reports]"),
    as_of: str = typer.Option(None, "--as-of", help="the date the run judges from, YYYY-MM-DD [default: today, Europe/London]"),
    json_out: bool = typer.Option(False, "--json", help="print the run summary as JSON"),
) -> None:
    """Run the nightly job once: ingest, validate, reconcile, flag, report, publish.

    Example: dprecon run --inbox data/inbox --as-of 2026-03-31
    """
    s = Settings()
    from flows.warehouse import WarehouseBusy

    try:
        result = run_nightly(inbox or s.inbox, warehouse or s.warehouse, reports or s.reports,
                             _parse_date(as_of), s.workers)
    except WarehouseBusy as e:
        console.print(f"[red]{e}[/red]")
        raise typer.Exit(3) from e
    if json_out:
        typer.echo(json.dumps(result, default=str))
    else:
        print_summary(result)


@app.command()
def simulate(
    out: Path = typer.Option(..., help="folder to write the simulated inbox into"),
    accounts: int = typer.Option(50, help="how many direct-payment accounts"),
    months: int = typer.Option(12, help="how many months of activity"),
    seed: int = typer.Option(1, help="random seed: the same seed gives the same files"),
    start: str = typer.Option("2025-04-01", help="first day of the simulated year, YYYY-MM-DD"),
) -> None:
    """Write a realistic simulated council inbox with its expected exceptions.

    Example: dprecon simulate --out data/sim --accounts 200 --months 12 --seed 7
    """
    from flows.simulate import write_simulation
    from pipelines.simulate import SimParams

    summary = write_simulation(out, SimParams(accounts=accounts, months=months, seed=seed,
                                              start=_parse_date(start)))
    console.print(json.dumps(summary, indent=2, default=str))


@app.command()
def demo(
    folder: Path = typer.Option(Path("data/demo"), help="where the demo council is written"),
    accounts: int = typer.Option(50, help="how many accounts the demo council has"),
) -> None:
    """Simulate a small demo council and run the nightly job on it.

    Example: dprecon demo
    """
    import shutil

    from flows.simulate import write_simulation
    from pipelines.simulate import SimParams

    inbox = folder / "inbox"
    if folder.exists():
        shutil.rmtree(folder)
    summary = write_simulation(inbox, SimParams(accounts=accounts, months=12, seed=2026))
    as_of = date.fromisoformat(str(summary["as_of"]))
    warehouse, reports = folder / "warehouse.duckdb", folder / "reports"
    result = run_nightly(inbox, warehouse, reports, as_of, Settings().workers)
    print_summary(result)
    import duckdb

    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = con.execute(
            "SELECT rule_code, count(*), sum(amount) FROM audit.exceptions GROUP BY 1 ORDER BY 1"
        ).fetchall()
    for rule, n, amount in rows:
        console.print(f"  {rule:<22} {n:>5}  £{amount or 0:,.2f}")
    console.print(f"Reports:   {reports / as_of.isoformat()}")
    console.print(f"Warehouse: {warehouse}")
    query = "SELECT * FROM audit.exceptions LIMIT 20"
    console.print(
        "Open it read-only: uv run python -c "
        f"\"import duckdb; print(duckdb.connect('{warehouse}', read_only=True).sql('{query}'))\""
    )


if __name__ == "__main__":
    app()
