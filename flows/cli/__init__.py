"""The ``dprecon`` command: a thin Typer layer over the flows and the stores.

One module per group of commands: ``job`` (run, simulate, demo, intake,
close-periods, councils), ``review`` (officers' decisions), ``portal`` (the
families' portal and its access codes).
"""

from __future__ import annotations

import typer

app = typer.Typer(
    help="dprecon: direct-payment finance and reconciliation for social care.",
    no_args_is_help=True,
    add_completion=False,
)

from flows.cli import job, office, portal, recovery, review  # noqa: E402  (each module registers its commands on app)

__all__ = ["app", "job", "office", "portal", "recovery", "review"]

if __name__ == "__main__":
    app()
