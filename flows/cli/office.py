"""``dprecon office`` and ``dprecon officers``: the officers' workspace and its accounts."""

from __future__ import annotations

from pathlib import Path

import typer

from flows.cli import app
from flows.cli.common import console
from flows.settings import Settings

officers_app = typer.Typer(help="Officer accounts for the workspace: add, reset, disable, list.\n\nExample: dprecon officers list",
                           no_args_is_help=True)
app.add_typer(officers_app, name="officers")


def _state(warehouse: Path | None) -> Path:
    from stores.officers import office_dir_for

    return office_dir_for(warehouse or Settings().warehouse)


def _account(change: str, warehouse: Path | None, *args):
    """``stores.officers.<change>`` on this workspace's accounts; a refusal is a plain message and exit 2."""
    from stores import officers

    try:
        return getattr(officers, change)(_state(warehouse), *args)
    except ValueError as e:
        console.print(f"[red]{e}[/red]")
        raise typer.Exit(2) from e


@app.command()
def office(
    host: str = typer.Option("127.0.0.1", help="the address to listen on"),
    port: int = typer.Option(8010, help="the port to listen on"),
    warehouse: Path = typer.Option(None, help="the published warehouse, read only [default: data/warehouse.duckdb]"),
    inbox: Path = typer.Option(None, help="the inbox whose evidence/ files officers may download [default: data/inbox]"),
    trusted_proxy: list[str] = typer.Option([], "--trusted-proxy",
                                            help="an address or network of the council's reverse proxy (repeatable)"),
    user_header: str = typer.Option(None, help="the header the trusted proxy's single sign-on sets, e.g. X-Remote-User"),
) -> None:
    """Serve the officers' workspace: the queue, exceptions, budgets, decisions, portal activity.

    Example: dprecon office --port 8010 --trusted-proxy 127.0.0.1 --user-header X-Remote-User
    """
    import logging

    import uvicorn

    from reports.council import council_at
    from web.office.app import OfficeConfig, create_app

    s = Settings()
    config = OfficeConfig(on_decision=publish_decisions, warehouse=warehouse or s.warehouse, inbox=inbox or s.inbox,
                          council=council_at(warehouse or s.warehouse, s.council_name).name,
                          trusted_proxies=tuple(trusted_proxy), user_header=user_header)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    # the app reads forwarded headers itself, only from the configured proxies; uvicorn's access log would
    # record addresses and query strings, so it is off
    uvicorn.run(create_app(config), host=host, port=port, access_log=False, proxy_headers=False,
                server_header=False, timeout_keep_alive=5, limit_concurrency=100, log_level="info")


def publish_decisions(warehouse: Path) -> bool:
    """The workspace's hook: publish the decisions store now, as ``dprecon review decide`` does."""
    from flows.job import refresh_reviews
    from flows.warehouse import WarehouseBusy

    try:
        refresh_reviews(warehouse)
        return True
    except WarehouseBusy:
        return False


@officers_app.command("add")
def officers_add(
    name: str = typer.Argument(..., help="the officer's user name, e.g. jsmith"),
    role: str = typer.Option("officer", help="officer (decides and acts) or auditor (reads only)"),
    warehouse: Path = typer.Option(None, help="the warehouse whose workspace this is [default: data/warehouse.duckdb]"),
) -> None:
    """Add an officer; prints their first password once.

    Example: dprecon officers add jsmith --role officer
    """
    password = _account("add", warehouse, name, role)
    typer.echo(f"{name.lower()} ({role}) can sign in with this password, shown only now: {password}")


@officers_app.command("reset")
def officers_reset(
    name: str = typer.Argument(..., help="the officer's user name"),
    warehouse: Path = typer.Option(None, help="the warehouse whose workspace this is"),
) -> None:
    """Give an officer a new password (and lift a lockout); prints it once.

    Example: dprecon officers reset jsmith
    """
    password = _account("reset", warehouse, name)
    typer.echo(f"New password for {name.lower()}, shown only now: {password}")


@officers_app.command("disable")
def officers_disable(
    name: str = typer.Argument(..., help="the officer's user name"),
    warehouse: Path = typer.Option(None, help="the warehouse whose workspace this is"),
) -> None:
    """Stop an officer signing in (their sessions end at once).

    Example: dprecon officers disable jsmith
    """
    _account("disable", warehouse, name)
    typer.echo(f"{name.lower()} can no longer sign in.")


@officers_app.command("list")
def officers_list(
    warehouse: Path = typer.Option(None, help="the warehouse whose workspace this is"),
) -> None:
    """List the workspace's officers and their roles.

    Example: dprecon officers list
    """
    from stores import officers

    for o in officers.listing(_state(warehouse)):
        typer.echo(f"{o.name:<20} {o.role:<8} {'disabled' if o.disabled else 'active'}")
