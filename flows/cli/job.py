"""The batch commands: the nightly job, the simulator and demo, intake, period close, councils."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import typer
from rich.table import Table as RichTable

from flows.cli import app
from flows.cli.common import _warehouse, console, day_or_today, parse_day
from flows.settings import Settings, quiet_prefect_defaults


def run_quiet_night(inbox: Path, warehouse: Path, reports: Path, as_of: date, workers: int) -> dict | None:
    """A night with nothing new, recorded as the nightly job records it, without starting Prefect
    (its API's start-up and imports are nearly all such a run's 13 s or more); None when the
    night has work to do (flows/job.py, ``quiet_only``). Imports neither Prefect nor GX."""
    from flows.job import SomethingNew, nothing_to_validate, run_job

    try:
        return run_job(inbox, warehouse, reports, as_of, validate=nothing_to_validate, workers=workers,
                       council=Settings().council_name, quiet_only=True)
    except SomethingNew:
        return None


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
    t.add_row("exceptions open", str(sum(result["exceptions"].values())))
    console.print(t)
    for w in result.get("warnings", []):
        console.print(f"Warning: {w}", style="bold red", markup=False, highlight=False)
    console.print(f"Warehouse: {result['warehouse']}")
    if result.get("reports"):
        console.print(f"Reports:   {Path(result['reports'][0]).parent}")


AS_OF_HELP = "the date to judge from, YYYY-MM-DD [default: today, Europe/London]"


def as_of_option(help_text: str = AS_OF_HELP):
    return typer.Option(None, "--as-of", parser=parse_day, metavar="YYYY-MM-DD", help=help_text)


@app.command()
def run(
    inbox: Path = typer.Option(None, help="the council's inbox folder [default: data/inbox]"),
    warehouse: Path = typer.Option(None, help="the DuckDB warehouse file [default: data/warehouse.duckdb]"),
    reports: Path = typer.Option(None, help="where reports are written [default: data/reports]"),
    as_of: date = as_of_option("the date the run judges from, YYYY-MM-DD [default: today, Europe/London]"),
    json_out: bool = typer.Option(False, "--json", help="print the run summary as JSON"),
) -> None:
    """Run the nightly job once: ingest, validate, reconcile, flag, report, publish.

    Example: dprecon run --inbox data/inbox --as-of 2026-03-31
    """
    s = Settings()
    from flows.warehouse import WarehouseBusy, failure_message

    day = day_or_today(as_of)
    from flows.job import check_inbox
    from flows.policy import load_policy
    from schemas.config import ConfigError

    try:  # checked here too, so a bad policy reads as one plain message, not a failed flow run
        load_policy(inbox or s.inbox)
    except ConfigError as e:
        console.print(failure_message(e, warehouse or s.warehouse), style="red", markup=False,
                      highlight=False, soft_wrap=True)
        raise typer.Exit(2) from e
    try:
        check_inbox(inbox or s.inbox)  # before Prefect starts: a missing inbox is said at once
        paths = (inbox or s.inbox, warehouse or s.warehouse, reports or s.reports, day, s.workers)
        result = run_quiet_night(*paths) or run_nightly(*paths)
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
    start: date = typer.Option("2025-04-01", parser=parse_day, metavar="YYYY-MM-DD",
                               help="first day of the simulated year"),
) -> None:
    """Write a realistic simulated council inbox with its expected exceptions.

    Example: dprecon simulate --out data/sim --accounts 200 --months 12 --seed 7
    """
    from flows.simulate import write_simulation
    from pipelines.simulate import SimParams

    summary = write_simulation(out, SimParams(accounts=accounts, months=months, seed=seed,
                                              start=start))
    console.print(json.dumps(summary, indent=2, default=str))


DEMO_MARK = ".dprecon-demo"
DEMO_OWN = ("inbox", "answer-key", "reports")


def prepare_demo_folder(folder: Path) -> list[str]:
    """Make ``folder`` ready for a demo; return what was kept from an earlier demo.

    A folder the demo did not create is never touched: it may be a council's own
    data, or hold officers' decisions and portal state beside a warehouse. In a
    folder an earlier demo created (it holds the demo's mark), only what the demo
    writes is cleared (inbox, answer key, reports, the warehouse); officers'
    decisions and portal state there are kept."""
    import shutil

    if folder.exists() and not folder.is_dir():
        raise FileExistsError(f"{folder} is a file, not a folder")
    if folder.exists() and any(folder.iterdir()) and not (folder / DEMO_MARK).is_file():
        raise FileExistsError(f"{folder} already holds files that dprecon demo did not write; nothing was changed."
                              " Choose an empty or new folder with --folder")
    folder.mkdir(parents=True, exist_ok=True)
    (folder / DEMO_MARK).write_text('{"generator": "dprecon demo"}\n', encoding="utf-8")
    for name in DEMO_OWN:
        shutil.rmtree(folder / name, ignore_errors=True)
    for p in folder.glob("warehouse.duckdb*"):
        p.unlink()
    return sorted(p.name for p in folder.iterdir() if p.name != DEMO_MARK)


def move_answer_key(inbox: Path, key: Path) -> None:
    """The simulator's truth is the demo's answer key, not an inbox file: keep it beside the inbox."""
    from pipelines.simulate import ANSWER_KEY

    key.mkdir(parents=True, exist_ok=True)
    for name in ANSWER_KEY:
        if (inbox / name).exists():
            (inbox / name).replace(key / name)


@app.command()
def demo(
    folder: Path = typer.Option(Path("data/demo"), help="where the demo council is written (a new folder, or one"
                                                         " an earlier demo wrote)"),
    accounts: int = typer.Option(50, help="how many accounts the demo council has"),
) -> None:
    """Simulate a small demo council and run the nightly job on it.

    Example: dprecon demo --folder data/demo --accounts 50
    """
    from flows.simulate import write_simulation
    from pipelines.simulate import SimParams

    try:
        kept = prepare_demo_folder(folder)
    except FileExistsError as e:
        console.print(str(e), style="red", markup=False, highlight=False)
        raise typer.Exit(2) from e
    inbox = folder / "inbox"
    summary = write_simulation(inbox, SimParams(accounts=accounts, months=12, seed=2026))
    move_answer_key(inbox, folder / "answer-key")
    as_of = date.fromisoformat(str(summary["as_of"]))
    warehouse, reports = folder / "warehouse.duckdb", folder / "reports"
    result = run_nightly(inbox, warehouse, reports, as_of, Settings().workers)
    print_summary(result)
    if kept:
        console.print(f"Kept from the earlier demo: {', '.join(kept)}", markup=False, highlight=False)
    import duckdb

    from reports.queries import money_by_rule

    with duckdb.connect(str(warehouse), read_only=True) as con:
        by_rule = money_by_rule(con)
    for r in by_rule:
        console.print(f"  {r['rule_code']:<22} {r['n']:>5}  £{r['amount']:,.2f}", markup=False, highlight=False)
    console.print(f"Answer key (what the simulator planted): {folder / 'answer-key'}", markup=False, highlight=False)
    console.print("Next, on the demo's data:", highlight=False)
    for line in demo_commands(folder, as_of):
        console.print(f"  {line}", markup=False, highlight=False, soft_wrap=True)


def demo_commands(folder: Path, as_of: date) -> list[str]:
    """The everyday commands, spelled with the demo's own paths and date (README shows the same)."""
    wh, inbox, reports = folder / "warehouse.duckdb", folder / "inbox", folder / "reports"
    return [
        f"uv run dprecon review list --warehouse {wh}",
        f"uv run dprecon review show <id> --warehouse {wh}",
        f"uv run dprecon intake --inbox {inbox} --warehouse {wh} --as-of {as_of}",
        f"uv run dprecon close-periods --warehouse {wh} --reports {reports} --as-of {as_of}",
        f"uv run dprecon run --inbox {inbox} --warehouse {wh} --reports {reports} --as-of {as_of}",
    ]


@app.command()
def intake(
    inbox: Path = typer.Option(None, help="the council's inbox folder [default: data/inbox]"),
    warehouse: Path = typer.Option(None, help="the DuckDB warehouse file [default: data/warehouse.duckdb]"),
    as_of: date = as_of_option(),
    json_out: bool = typer.Option(False, "--json", help="print the summary as JSON"),
) -> None:
    """Take in newly submitted evidence returns now (the 15-minute flow, once).

    Example: dprecon intake --inbox data/inbox --as-of 2026-04-01
    """
    s = Settings()
    quiet_prefect_defaults()
    from flows.scheduled import intake_once
    from flows.warehouse import WarehouseBusy

    try:
        result = intake_once(inbox or s.inbox, warehouse or s.warehouse, day_or_today(as_of))
    except WarehouseBusy as e:
        console.print(f"[red]{e}[/red]")
        raise typer.Exit(3) from e
    if json_out:
        typer.echo(json.dumps(result, default=str))
    else:
        print_intake(result)


@app.command("close-periods")
def close_periods(
    warehouse: Path = typer.Option(None, help="the DuckDB warehouse file [default: data/warehouse.duckdb]"),
    reports: Path = typer.Option(None, help="where reports are written [default: data/reports]"),
    as_of: date = as_of_option(),
    json_out: bool = typer.Option(False, "--json", help="print the summary as JSON"),
) -> None:
    """Issue the evidence returns of monitoring periods that have ended (the daily flow, once).

    Example: dprecon close-periods --as-of 2026-04-01
    """
    s = Settings()
    quiet_prefect_defaults()
    from flows.scheduled import period_close

    result = period_close(warehouse=_warehouse(warehouse), reports=reports or s.reports, as_of=day_or_today(as_of))
    if json_out:
        typer.echo(json.dumps(result, default=str))
    else:
        print_period_close(result)


@app.command()
def councils(
    config: Path = typer.Argument(..., help="the councils file (see docs/operations.md)"),
    as_of: date = as_of_option(),
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

    state = councils_flow(config=config, as_of=day_or_today(as_of), deployment=None, workers=Settings().workers,
                          return_state=True)
    states = state.result(raise_on_failure=False)
    if isinstance(states, dict):
        for cid, s in states.items():
            console.print(f"{cid}: {s}")
    if not state.is_completed():
        console.print(f"[red]{state.message}[/red]")
        raise typer.Exit(1)


def print_intake(result: dict) -> None:
    """The evidence intake in words, like ``run``'s summary."""
    if not result.get("new_files"):
        why = result.get("skipped")
        console.print(f"No new evidence to take in{f' ({why})' if why else ''}.", markup=False, highlight=False)
        return
    ing, ret = result.get("ingest", {}), result.get("returns", {})
    t = RichTable(title=f"dprecon intake as of {result.get('as_of')}")
    t.add_column("what")
    t.add_column("count", justify="right")
    t.add_row("new evidence files", str(result["new_files"]))
    for label, key in (("accepted", "accepted"), ("quarantined", "quarantined"), ("rows loaded", "rows_loaded"),
                       ("rows set aside", "rows_quarantined")):
        if key in ing:
            t.add_row(label, str(ing[key]))
    for label, key in (("returns due", "returns"), ("returns received", "received"),
                       ("evidence exceptions found", "raised")):
        if key in ret:
            t.add_row(label, str(ret[key]))
    console.print(t)


def print_period_close(result: dict) -> None:
    """The period close in words, like ``run``'s summary."""
    issued, already = result.get("issued", 0), result.get("already_issued", 0)
    if not issued:
        console.print(f"No evidence returns to issue ({already} already issued and not yet received).",
                      markup=False, highlight=False)
        return
    earlier = f"; {already} issued earlier are still awaited" if already else ""
    console.print(f"Issued {issued} evidence return(s) ({result.get('files', 0)} files) into {result.get('folder')}"
                  f"{earlier}.", markup=False, highlight=False)
