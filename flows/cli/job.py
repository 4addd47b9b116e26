"""The batch commands: the nightly job, the simulator and demo, intake, period close, councils."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import typer
from rich.table import Table as RichTable

from flows.cli import app
from flows.cli.common import _parse_date, _warehouse, console
from flows.settings import Settings, quiet_prefect_defaults


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
    t.add_row("exceptions raised", str(sum(result["exceptions"].values())))
    console.print(t)
    console.print(f"Warehouse: {result['warehouse']}")
    if result.get("reports"):
        console.print(f"Reports:   {Path(result['reports'][0]).parent}")


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
    from flows.warehouse import WarehouseBusy, failure_message

    day = _parse_date(as_of)
    from flows.policy import load_policy
    from schemas.config import ConfigError

    try:  # checked here too, so a bad policy reads as one plain message, not a failed flow run
        load_policy(inbox or s.inbox)
    except ConfigError as e:
        console.print(failure_message(e, warehouse or s.warehouse), style="red", markup=False,
                      highlight=False, soft_wrap=True)
        raise typer.Exit(2) from e
    try:
        result = run_nightly(inbox or s.inbox, warehouse or s.warehouse, reports or s.reports, day, s.workers)
    except WarehouseBusy as e:
        console.print(f"[red]{e}[/red]")
        raise typer.Exit(3) from e
    except Exception as e:  # the run could not complete: say why in words and exit non-zero
        console.print(failure_message(e, warehouse or s.warehouse), style="red", markup=False,
                      highlight=False, soft_wrap=True)
        raise typer.Exit(1) from e
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
    query = "SELECT * FROM audit.exceptions LIMIT 20"
    console.print(
        "Open it read-only: uv run python -c "
        f"\"import duckdb; print(duckdb.connect('{warehouse}', read_only=True).sql('{query}'))\""
    )


@app.command()
def intake(
    inbox: Path = typer.Option(None, help="the council's inbox folder [default: data/inbox]"),
    warehouse: Path = typer.Option(None, help="the DuckDB warehouse file [default: data/warehouse.duckdb]"),
    as_of: str = typer.Option(None, "--as-of", help="the date to judge from, YYYY-MM-DD [default: today]"),
) -> None:
    """Take in newly submitted evidence returns now (the 15-minute flow, once).

    Example: dprecon intake
    """
    s = Settings()
    quiet_prefect_defaults()
    from flows.scheduled import evidence_intake
    from flows.warehouse import WarehouseBusy

    try:
        result = evidence_intake(inbox=inbox or s.inbox, warehouse=warehouse or s.warehouse,
                                 as_of=_parse_date(as_of))
    except WarehouseBusy as e:
        console.print(f"[red]{e}[/red]")
        raise typer.Exit(3) from e
    console.print(json.dumps(result, indent=2, default=str))


@app.command("close-periods")
def close_periods(
    warehouse: Path = typer.Option(None, help="the DuckDB warehouse file [default: data/warehouse.duckdb]"),
    reports: Path = typer.Option(None, help="where reports are written [default: data/reports]"),
    as_of: str = typer.Option(None, "--as-of", help="the date to judge from, YYYY-MM-DD [default: today]"),
) -> None:
    """Issue the evidence returns of monitoring periods that have ended (the daily flow, once).

    Example: dprecon close-periods --as-of 2026-04-01
    """
    s = Settings()
    quiet_prefect_defaults()
    from flows.scheduled import period_close

    result = period_close(warehouse=_warehouse(warehouse), reports=reports or s.reports, as_of=_parse_date(as_of))
    console.print(json.dumps(result, indent=2, default=str))


@app.command()
def councils(
    config: Path = typer.Argument(..., help="the councils file (see docs/operations.md)"),
    as_of: str = typer.Option(None, "--as-of", help="the date to judge from, YYYY-MM-DD [default: today]"),
) -> None:
    """Run the nightly job for every council in a councils file, one subflow run each, here.

    Example: dprecon councils councils.yaml --as-of 2026-03-31
    """
    quiet_prefect_defaults()
    from flows.councils import CouncilConfigError, load_councils

    try:
        load_councils(config)
    except CouncilConfigError as e:
        console.print(f"[red]{e}[/red]")
        raise typer.Exit(2) from e
    from flows.nightly import councils as councils_flow

    state = councils_flow(config=config, as_of=_parse_date(as_of), deployment=None, workers=Settings().workers,
                          return_state=True)
    states = state.result(raise_on_failure=False)
    if isinstance(states, dict):
        for cid, s in states.items():
            console.print(f"{cid}: {s}")
    if not state.is_completed():
        console.print(f"[red]{state.message}[/red]")
        raise typer.Exit(1)
