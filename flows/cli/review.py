"""``dprecon review``: finance officers' decisions on exceptions."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table as RichTable

from flows.cli import app
from flows.cli.common import _warehouse, console

review_app = typer.Typer(help="Finance officers' decisions on exceptions.", no_args_is_help=True)
app.add_typer(review_app, name="review")




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
    from flows.warehouse import WarehouseBusy
    from stores.reviews import append

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
