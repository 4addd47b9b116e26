"""The ``dprecon`` command: a thin Typer layer over the flows."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table as RichTable

from flows.settings import Settings, quiet_prefect_defaults, today_london

app = typer.Typer(
    help="dprecon: direct-payment finance and reconciliation for social care.",
    no_args_is_help=True,
    add_completion=False,
)
console = Console()


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


review_app = typer.Typer(help="Finance officers' decisions on exceptions.", no_args_is_help=True)
app.add_typer(review_app, name="review")


def _warehouse(path: Path | None) -> Path:
    wh = path or Settings().warehouse
    if not wh.exists():
        console.print(f"[red]There is no warehouse at {wh} yet: run 'dprecon run' first.[/red]")
        raise typer.Exit(2)
    return wh


@review_app.command("list")
def review_list(
    warehouse: Path = typer.Option(None, help="the DuckDB warehouse file [default: data/warehouse.duckdb]"),
    status: str = typer.Option("open", help="only exceptions with this status ('all' for every one)"),
    rule: str = typer.Option(None, help="only this rule code, e.g. SURPLUS_BALANCE"),
    budget: str = typer.Option(None, help="only this budget id"),
) -> None:
    """List exceptions awaiting a decision.

    Example: dprecon review list --rule UNAPPROVED_PAYEE
    """
    import duckdb

    sql = "SELECT exception_id, rule_code, severity, budget_id, period_start, amount, status FROM audit.exceptions WHERE 1=1"
    params: list = []
    for col, val in (("status", None if status == "all" else status), ("rule_code", rule), ("budget_id", budget)):
        if val:
            sql += f" AND {col} = ?"
            params.append(val)
    with duckdb.connect(str(_warehouse(warehouse)), read_only=True) as con:
        rows = con.execute(sql + " ORDER BY severity, amount DESC NULLS LAST, exception_id", params).fetchall()
    t = RichTable(title=f"{len(rows)} exception(s)")
    for c in ("id", "rule", "severity", "budget", "period", "amount", "status"):
        t.add_column(c)
    for r in rows:
        t.add_row(*[("" if v is None else str(v)) for v in r])
    console.print(t)


@review_app.command("show")
def review_show(
    exception_id: str = typer.Argument(..., help="the exception's id, e.g. X1A2B3C4D5E6F708"),
    warehouse: Path = typer.Option(None, help="the DuckDB warehouse file"),
) -> None:
    """Show one exception: its explanation, evidence rows and decisions so far.

    Example: dprecon review show X1A2B3C4D5E6F708
    """
    import duckdb

    with duckdb.connect(str(_warehouse(warehouse)), read_only=True) as con:
        row = con.execute("SELECT * FROM audit.exceptions WHERE exception_id = ?", [exception_id]).fetchall()
        if not row:
            console.print(f"[red]No exception {exception_id}.[/red]")
            raise typer.Exit(1)
        cols = [d[0] for d in con.execute("SELECT * FROM audit.exceptions LIMIT 0").description]
        for c, v in zip(cols, row[0], strict=True):
            console.print(f"[bold]{c}[/bold]: {v}", markup=True, highlight=False)
        ev = (dict(zip(cols, row[0], strict=True)).get("evidence") or "").split()
        if ev:
            txns = con.execute("SELECT transaction_id, date, amount, payee, source_path, source_line FROM audit.transactions "
                               "WHERE list_contains(?, transaction_id) ORDER BY date", [ev]).fetchall()
            for t in txns:
                console.print("  " + " | ".join(str(x) for x in t), markup=False, highlight=False)
        for r in con.execute("SELECT decided_at, reviewer, decision, amount_recovered, note FROM audit.reviews "
                             "WHERE exception_id = ? ORDER BY decided_at", [exception_id]).fetchall():
            console.print("  decision: " + " | ".join("" if x is None else str(x) for x in r), markup=False, highlight=False)


@review_app.command("decide")
def review_decide(
    exception_id: str = typer.Argument(..., help="the exception's id"),
    decision: str = typer.Option(..., help="confirmed, dismissed, recovered or referred"),
    reviewer: str = typer.Option(..., help="who is deciding (name or staff id)"),
    note: str = typer.Option(None, help="why"),
    amount: str = typer.Option(None, help="with 'recovered': the amount recovered in pounds, e.g. 1250.00"),
    warehouse: Path = typer.Option(None, help="the DuckDB warehouse file"),
) -> None:
    """Record a decision on an exception (append-only; kept through every later run).

    Example: dprecon review decide X1A2B3C4D5E6F708 --decision recovered --amount 1250.00 --reviewer jsmith
    """
    import duckdb

    from flows.job import refresh_reviews
    from flows.reviews import append
    from flows.warehouse import WarehouseBusy

    wh = _warehouse(warehouse)
    with duckdb.connect(str(wh), read_only=True) as con:
        if not con.execute("SELECT 1 FROM audit.exceptions WHERE exception_id = ?", [exception_id]).fetchall():
            console.print(f"[red]No exception {exception_id}.[/red]")
            raise typer.Exit(1)
    try:
        append(wh, exception_id, reviewer, decision, note, amount)
    except ValueError as e:
        console.print(f"[red]{e}[/red]")
        raise typer.Exit(2) from e
    try:
        refresh_reviews(wh)
        console.print(f"Recorded: {exception_id} {decision}.")
    except WarehouseBusy:
        console.print(f"Recorded: {exception_id} {decision}. A run is under way; it will show after that run.")


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", help="the address to listen on"),
    port: int = typer.Option(8000, help="the port to listen on"),
    inbox: Path = typer.Option(None, help="the inbox whose evidence/ folder sent returns go into [default: data/inbox]"),
    warehouse: Path = typer.Option(None, help="the published warehouse, read only [default: data/warehouse.duckdb]"),
    state: Path = typer.Option(None, help="the portal's state folder [default: 'portal' beside the warehouse]"),
    intake_after_submit: bool = typer.Option(False, help="start 'dprecon intake' as soon as a return is sent"),
) -> None:
    """Serve the families' evidence portal: sign in with the code on the letter, upload, send.

    Example: dprecon serve --host 127.0.0.1 --port 8000
    """
    from flows.portal.app import PortalConfig
    from flows.portal.serve import intake_starter
    from flows.portal.serve import serve as serve_portal

    s = Settings()
    inbox, warehouse = inbox or s.inbox, warehouse or s.warehouse
    hook = intake_starter(inbox, warehouse) if intake_after_submit else None
    serve_portal(PortalConfig(warehouse=warehouse, inbox=inbox, state_dir=state, council=s.council_name,
                              on_submit=hook), host, port)


portal_app = typer.Typer(help="The families' evidence portal: access codes.", no_args_is_help=True)
app.add_typer(portal_app, name="portal")


@portal_app.command("issue-code")
def portal_issue_code(
    budget_id: str = typer.Argument(..., help="the budget reference, e.g. DP000011-1"),
    period: str = typer.Argument(..., help="the start date of the return's monitoring period, YYYY-MM-DD"),
    warehouse: Path = typer.Option(None, help="the DuckDB warehouse file [default: data/warehouse.duckdb]"),
    state: Path = typer.Option(None, help="the portal's state folder [default: 'portal' beside the warehouse]"),
) -> None:
    """Print a fresh one-time access code for one return (any earlier code for it stops working).

    Example: dprecon portal issue-code DP000011-1 2026-01-01
    """
    from flows.portal.serve import issue_for_officer

    try:
        code = issue_for_officer(warehouse or Settings().warehouse, state, budget_id, _parse_date(period))
    except LookupError as e:
        console.print(f"[red]{e}[/red]")
        raise typer.Exit(1) from e
    typer.echo(code)


@portal_app.command("revoke-code")
def portal_revoke_code(
    budget_id: str = typer.Argument(..., help="the budget reference, e.g. DP000011-1"),
    period: str = typer.Argument(..., help="the start date of the return's monitoring period, YYYY-MM-DD"),
    warehouse: Path = typer.Option(None, help="the DuckDB warehouse file [default: data/warehouse.duckdb]"),
    state: Path = typer.Option(None, help="the portal's state folder [default: 'portal' beside the warehouse]"),
) -> None:
    """Stop a return's access code working (a letter lost or sent to the wrong address).

    Example: dprecon portal revoke-code DP000011-1 2026-01-01
    """
    from flows.portal.codes import revoke

    revoke(state or (warehouse or Settings().warehouse), budget_id, _parse_date(period))
    console.print(f"The access code for {budget_id} from {period} no longer works; issue a new one if needed.")


if __name__ == "__main__":
    app()
