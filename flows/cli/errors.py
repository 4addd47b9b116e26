"""What ``dprecon`` says when a command cannot finish: one plain sentence, the traceback only with ``--debug``.

Every command runs inside :class:`PlainErrors`. An error no command handled
itself becomes a message an operator can act on and exit status 1 (3 when
another run holds the warehouse), e.g.::

    dprecon could not finish 'intake': dprecon is not allowed to write to data/warehouse.duckdb.lock.
    Run it again with --debug to see the details.

``dprecon --debug intake`` shows the traceback instead, and Prefect's own
error logs on the console (without ``--debug`` they go only to the Prefect
API, where the flow run keeps them).
"""

from __future__ import annotations

import errno
import os
import sqlite3

import click
import duckdb
import typer
from typer.core import TyperGroup

DEBUG = "dprecon.debug"
_FULL = {errno.ENOSPC, errno.EFBIG, errno.EDQUOT}
_REFUSED = {errno.EACCES, errno.EPERM, errno.EROFS}


def quiet_prefect_console() -> None:
    """Prefect logs a flow's failure with its traceback on the console; the plain message replaces it."""
    os.environ.setdefault("PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL", "CRITICAL")
    os.environ.setdefault("PREFECT_LOGGING_HANDLERS_CONSOLE_FLOW_RUNS_LEVEL", "CRITICAL")
    os.environ.setdefault("PREFECT_LOGGING_HANDLERS_CONSOLE_TASK_RUNS_LEVEL", "CRITICAL")


def why(e: BaseException) -> str:
    """The reason behind ``e`` in an operator's words."""
    from flows.warehouse import RunFailed, WarehouseBusy, _os_error
    from schemas.config import ConfigError

    if isinstance(e, RunFailed | WarehouseBusy | ConfigError):
        return str(e).rstrip(".")
    cause = _os_error(e)
    if cause is not None:
        where = cause.filename or "a file it needs"
        if cause.errno in _FULL:
            return "the disk is full (or the file would be larger than this process may write)"
        if cause.errno in _REFUSED:
            return f"dprecon is not allowed to write to {where} (the folder is read-only or belongs to someone else)"
        if cause.errno == errno.EISDIR:
            return f"{where} is a folder, where dprecon needs a file"
        if cause.errno in (errno.ENOTDIR, errno.EEXIST):
            return f"{where} is in the way: a file where dprecon needs a folder"
        if cause.errno == errno.ENOENT:
            return f"{where} does not exist"
        return f"{cause.strerror or cause} ({where})"
    if isinstance(e, duckdb.IOException) and "lock" in str(e).lower():
        return "the warehouse is busy: another program has it open for writing; try again in a moment"
    if isinstance(e, sqlite3.OperationalError):
        text = str(e).lower()
        if "locked" in text:
            return "the portal's state database is busy; try again in a moment"
        if "disk" in text or "full" in text:
            return "the portal's state database could not be written (is the disk full?)"
    detail = (str(e).strip().splitlines() or [""])[0][:300]
    return f"{type(e).__name__}: {detail}" if detail else type(e).__name__


def exit_status(e: BaseException) -> int:
    from flows.warehouse import WarehouseBusy

    return 3 if isinstance(e, WarehouseBusy) else 1


class PlainErrors(TyperGroup):
    """The ``dprecon`` group: runs a command and turns an error it did not handle into a plain message."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.ClickException, click.Abort, typer.Exit, typer.Abort):
            raise
        except Exception as e:
            if ctx.meta.get(DEBUG):
                raise
            name = ctx.invoked_subcommand or "dprecon"
            typer.echo(f"dprecon could not finish '{name}': {why(e)}.\nRun it again with --debug to see the details.",
                       err=True)
            raise typer.Exit(exit_status(e)) from None
