"""``dprecon notices`` (recovery notices) and ``dprecon review audit|recover`` (officers' follow-up).

The ``review`` group belongs to ``flows/cli/review.py``; the two commands here
are added to it from this module.
"""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.table import Table as RichTable

from flows.cli import app
from flows.cli.common import _parse_date, _warehouse, console
from flows.cli.review import review_app
from flows.settings import Settings, today_london

notices_app = typer.Typer(help="Recovery notices: asking families to pay money back.", no_args_is_help=True)
app.add_typer(notices_app, name="notices")


def _refresh(wh: Path, what: str, decisions: bool = False) -> None:
    """Publish the stores' latest now: the audit plan and recoveries (and, after a decision,
    the exceptions' statuses as ``review decide`` does)."""
    from flows.followup import refresh
    from flows.job import refresh_reviews
    from flows.warehouse import WarehouseBusy

    try:
        refresh_reviews(wh) if decisions else refresh(wh)
        console.print(f"Recorded: {what}.")
    except WarehouseBusy:
        console.print(f"Recorded: {what}. A run is under way; it will show after that run.")


@review_app.command("audit")
def review_audit(
    budget_id: str = typer.Argument(..., help="the budget audited, e.g. DP000011-1"),
    date_: str = typer.Option(None, "--date", help="the day the audit was done, YYYY-MM-DD [default: today]"),
    reviewer: str = typer.Option(..., help="who did the audit (name or staff id)"),
    note: str = typer.Option(None, help="what the audit found, briefly"),
    warehouse: Path = typer.Option(None, help="the DuckDB warehouse file [default: data/warehouse.duckdb]"),
) -> None:
    """Record an audit done (append-only; the audit plan counts the next one from it).

    Example: dprecon review audit DP000011-1 --date 2026-03-02 --reviewer jsmith
    """
    import duckdb

    from stores.audits import record

    wh = _warehouse(warehouse)
    with duckdb.connect(str(wh), read_only=True) as con:
        if not con.execute("SELECT 1 FROM core.budgets WHERE budget_id = ?", [budget_id]).fetchall():
            console.print(f"[red]No budget {budget_id}.[/red]")
            raise typer.Exit(1)
    try:
        record(wh, budget_id, _parse_date(date_), reviewer, note, today=today_london())
    except ValueError as e:
        console.print(f"[red]{e}[/red]")
        raise typer.Exit(2) from e
    _refresh(wh, f"audit of {budget_id}")


@review_app.command("recover")
def review_recover(
    exception_id: str = typer.Argument(..., help="the exception the money is asked back for"),
    amount: str = typer.Option(..., help="the amount to ask back in pounds, e.g. 120.00"),
    reviewer: str = typer.Option(..., help="who is deciding (name or staff id)"),
    method: str = typer.Option(None, help="repay (the family pays it back) or reduce_payments "
                                          "[default: the policy's recovery_method]"),
    note: str = typer.Option(None, help="why"),
    warehouse: Path = typer.Option(None, help="the DuckDB warehouse file"),
) -> None:
    """Ask for money back on an exception: a recovery, and a notice at the next 'dprecon notices issue'.

    Example: dprecon review recover X1A2B3C4D5E6F708 --amount 120.00 --reviewer jsmith
    """
    import duckdb

    from stores.reviews import append

    wh = _warehouse(warehouse)
    with duckdb.connect(str(wh), read_only=True) as con:
        found = con.execute("SELECT budget_id FROM audit.exceptions WHERE exception_id = ?", [exception_id]).fetchall()
    if not found:
        console.print(f"[red]No exception {exception_id}.[/red]")
        raise typer.Exit(1)
    if found[0][0] is None:
        console.print(f"[red]{exception_id} belongs to no budget: there is nobody to ask.[/red]")
        raise typer.Exit(2)
    try:
        append(wh, exception_id, reviewer, "recover", note, amount, method=method)
    except ValueError as e:
        console.print(f"[red]{e}[/red]")
        raise typer.Exit(2) from e
    _refresh(wh, f"recover {amount} on {exception_id}", decisions=True)


@notices_app.command("issue")
def notices_issue(
    warehouse: Path = typer.Option(None, help="the DuckDB warehouse file [default: data/warehouse.duckdb]"),
    reports: Path = typer.Option(None, help="where reports are written [default: data/reports]"),
    inbox: Path = typer.Option(None, help="the inbox whose register/council.yaml names the council "
                                          "[default: data/inbox]"),
    as_of: str = typer.Option(None, "--as-of", help="the date of the notices, YYYY-MM-DD [default: today]"),
) -> None:
    """Issue every recovery notice not yet issued (once each, however often this runs).

    Example: dprecon notices issue --as-of 2026-03-03
    """
    from flows.notices import issue_notices
    from flows.warehouse import WarehouseBusy
    from schemas.config import ConfigError

    s = Settings()
    try:
        result = issue_notices(_warehouse(warehouse), reports or s.reports, _parse_date(as_of),
                               inbox=inbox or s.inbox, log=console.print)
    except ConfigError as e:
        console.print(f"[red]{e}[/red]")
        raise typer.Exit(2) from e
    except WarehouseBusy as e:
        console.print(f"[red]A run is under way ({e}); try again when it has finished.[/red]")
        raise typer.Exit(3) from e
    console.print(json.dumps(result, indent=2, default=str))


@notices_app.command("list")
def notices_list(
    status: str = typer.Option("open", help="'open' (notified or part repaid), 'all', or one status"),
    warehouse: Path = typer.Option(None, help="the DuckDB warehouse file"),
) -> None:
    """List recoveries: amount, what has come back, when it is due.

    Example: dprecon notices list --status all
    """
    import duckdb

    where = {"open": "status IN ('notified', 'part_repaid')", "all": "TRUE"}.get(status, "status = ?")
    params = [] if status in ("open", "all") else [status]
    with duckdb.connect(str(_warehouse(warehouse)), read_only=True) as con:
        rows = con.execute("SELECT recovery_id, budget_id, amount, repaid, notified_on, due_on, status "  # noqa: S608
                           f"FROM audit.recoveries WHERE {where} ORDER BY due_on NULLS FIRST, recovery_id",
                           params).fetchall()
    t = RichTable(title=f"{len(rows)} recover{'y' if len(rows) == 1 else 'ies'}")
    for c in ("recovery", "budget", "amount", "repaid", "notified", "due", "status"):
        t.add_column(c)
    for r in rows:
        t.add_row(*[("" if v is None else str(v)) for v in r])
    console.print(t)
