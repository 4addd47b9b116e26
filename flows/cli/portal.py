"""``dprecon serve`` and ``dprecon portal``: the families' evidence portal and its access codes."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import typer

from flows.cli import app
from flows.cli.common import console, parse_day
from flows.settings import Settings


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
    from web.portal.app import PortalConfig
    from web.portal.serve import Limits, intake_starter
    from web.portal.serve import serve as serve_portal

    s = Settings()
    inbox, warehouse = inbox or s.inbox, warehouse or s.warehouse
    hook = intake_starter(inbox, warehouse) if intake_after_submit else None
    serve_portal(PortalConfig(warehouse=warehouse, inbox=inbox, state_dir=state, council=s.council_name,
                              on_submit=hook, trusted_proxies=s.trusted_proxies(),
                              body_timeout=s.portal_body_timeout), host, port,
                 Limits(header_timeout=s.portal_header_timeout, keep_alive=s.portal_keep_alive,
                        max_connections=s.portal_max_connections))


portal_app = typer.Typer(help="The families' evidence portal: access codes.\n\n"
                                "Example: dprecon portal issue-code DP000011-1 2026-01-01", no_args_is_help=True)
app.add_typer(portal_app, name="portal")


@portal_app.command("issue-code")
def portal_issue_code(
    budget_id: str = typer.Argument(..., help="the budget reference, e.g. DP000011-1"),
    period: date = typer.Argument(..., parser=parse_day, metavar="YYYY-MM-DD",
                                  help="the start date of the return's monitoring period"),
    warehouse: Path = typer.Option(None, help="the DuckDB warehouse file [default: data/warehouse.duckdb]"),
    state: Path = typer.Option(None, help="the portal's state folder [default: 'portal' beside the warehouse]"),
) -> None:
    """Print a fresh one-time access code for one return (any earlier code for it stops working).

    Example: dprecon portal issue-code DP000011-1 2026-01-01
    """
    from web.portal.serve import issue_for_officer

    try:
        code = issue_for_officer(warehouse or Settings().warehouse, state, budget_id, period)
    except LookupError as e:
        console.print(f"[red]{e}[/red]")
        raise typer.Exit(1) from e
    typer.echo(code)


@portal_app.command("revoke-code")
def portal_revoke_code(
    budget_id: str = typer.Argument(..., help="the budget reference, e.g. DP000011-1"),
    period: date = typer.Argument(..., parser=parse_day, metavar="YYYY-MM-DD",
                                  help="the start date of the return's monitoring period"),
    warehouse: Path = typer.Option(None, help="the DuckDB warehouse file [default: data/warehouse.duckdb]"),
    state: Path = typer.Option(None, help="the portal's state folder [default: 'portal' beside the warehouse]"),
) -> None:
    """Stop a return's access code working (a letter lost or sent to the wrong address).

    Example: dprecon portal revoke-code DP000011-1 2026-01-01
    """
    from stores.codes import revoke

    revoke(state or (warehouse or Settings().warehouse), budget_id, period)
    console.print(f"The access code for {budget_id} from {period} no longer works; issue a new one if needed.")
