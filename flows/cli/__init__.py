"""The ``dprecon`` command: a thin Typer layer over the flows and the stores.

One module per group of commands: ``job`` (run, simulate, demo, intake,
close-periods, councils), ``review`` (officers' decisions), ``portal`` (the
families' portal and its access codes), ``history`` (the nights kept, and
restoring one). ``errors`` turns what a command could not do into a plain
message; ``dprecon --debug <command>`` shows the traceback instead.
"""

from __future__ import annotations

from flows.memory import return_freed_pages

return_freed_pages()  # first, before any command module imports Polars (flows/memory.py)

import typer  # noqa: E402

from flows.cli.errors import DEBUG, PlainErrors, quiet_prefect_console  # noqa: E402

app = typer.Typer(
    cls=PlainErrors,
    help="dprecon: direct-payment finance and reconciliation for social care.",
    no_args_is_help=True,
    add_completion=False,
)


@app.callback()
def main(ctx: typer.Context,
         debug: bool = typer.Option(False, "--debug", help="show the full traceback when a command fails")) -> None:
    """dprecon: direct-payment finance and reconciliation for social care.

    Example: dprecon --debug intake
    """
    ctx.meta[DEBUG] = debug
    if not debug:
        quiet_prefect_console()


from flows.cli import history, job, office, portal, recovery, review  # noqa: E402  (each module registers its commands on app)

__all__ = ["app", "history", "job", "office", "portal", "recovery", "review"]

if __name__ == "__main__":
    app()
