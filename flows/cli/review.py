"""``dprecon review``: finance officers' decisions on exceptions.

Reads through reports/queries.py (the same queries as the report), writes
through stores/reviews.py (the append-only decision store). Any unique start
of an exception id will do, as printed in the report.
"""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table as RichTable

from flows.cli import app
from flows.cli.common import Decision, _warehouse, console, resolve_id

review_app = typer.Typer(help="Finance officers' decisions on exceptions.\n\nExample: dprecon review list",
                         no_args_is_help=True)
app.add_typer(review_app, name="review")

WAREHOUSE_HELP = "the DuckDB warehouse file [default: data/warehouse.duckdb]"


def _money(v) -> str:
    if v is None:
        return ""
    return f"-£{abs(v):,.2f}" if v < 0 else f"£{v:,.2f}"


@review_app.command("list")
def review_list(
    warehouse: Path = typer.Option(None, help=WAREHOUSE_HELP),
    status: str = typer.Option("attention", help="'attention' (open, confirmed or referred), one status such as "
                                                 "'open' or 'recovered', or 'all'"),
    rule: str = typer.Option(None, help="only this rule code, e.g. SURPLUS_BALANCE"),
    budget: str = typer.Option(None, help="only this budget id"),
) -> None:
    """List exceptions awaiting a decision, most severe first, then by money at stake.

    Example: dprecon review list --rule UNAPPROVED_PAYEE
    """
    import duckdb

    from reports.queries import list_exceptions

    with duckdb.connect(str(_warehouse(warehouse)), read_only=True) as con:
        found = list_exceptions(con, status, rule, budget)
    # fits 80 columns: an id (16), severity, the longest rule code (20), budget, date, money
    t = RichTable(title=f"{len(found)} exception(s)", title_justify="left", box=None, padding=(0, 1, 0, 0),
                  pad_edge=False, show_edge=False)
    t.add_column("id", no_wrap=True, min_width=16)
    t.add_column("sev", no_wrap=True)
    t.add_column("rule", overflow="fold")
    t.add_column("budget", no_wrap=True)
    t.add_column("from", no_wrap=True)
    t.add_column("at stake", justify="right", no_wrap=True)
    show_status = any(r["status"] != "open" for r in found)
    if show_status:
        t.add_column("status", overflow="fold")
    for r in found:
        cells = [r["exception_id"], r["severity"], r["rule_code"], r["budget_id"] or "",
                 str(r["period_start"] or ""), _money(r["at_stake"])]
        t.add_row(*cells, *([r["status"]] if show_status else []))
    console.print(t)
    if found:
        console.print("Money at stake counts each pound once (docs/rules.md §10). "
                      "Show one: dprecon review show <id or its first characters>", highlight=False)


@review_app.command("show")
def review_show(
    exception_id: str = typer.Argument(..., help="the exception's id, or its first few characters, e.g. X1A2B3"),
    warehouse: Path = typer.Option(None, help=WAREHOUSE_HELP),
) -> None:
    """Show one exception: what was found, the next step, its periods, evidence rows and decisions so far.

    Example: dprecon review show X1A2B3
    """
    import duckdb

    from reports import queries

    with duckdb.connect(str(_warehouse(warehouse)), read_only=True) as con:
        ex = queries.exception(con, resolve_id(con, exception_id))
        assert ex is not None
        periods = queries.findings(con, ex["exception_id"])
        evidence = queries.evidence_rows(con, ex)
        decided = [d for d in queries.decisions(con) if d["exception_id"] == ex["exception_id"]]
    say = lambda text: console.print(text, markup=False, highlight=False, soft_wrap=False)  # noqa: E731
    say(f"{ex['exception_id']}  {ex['rule_code']} ({ex['severity']}), {ex['status']}")
    say(f"Budget {ex['budget_id'] or '-'}, {ex['period_start']} to {ex['period_end']}; amount {_money(ex['amount'])},"
        f" money at stake {_money(ex['at_stake'])}; first seen {ex['first_seen']}, last seen {ex['last_seen']}")
    say(f"Found: {ex['explanation']}")
    say(f"Next step: {ex['next_step']}")
    if len(periods) > 1:
        say("Periods it held in: " + "; ".join(f"{p['period_start']} {_money(p['amount'])}" for p in periods))
    for e in evidence:
        say(f"  evidence {e['ref']} {e['date']} {_money(e['amount'])} {e['party'] or ''} "
            f"({e['source_path']}, line {e['source_line']})")
    for d in decided:
        say(f"  decided {d['decided_at']:%Y-%m-%d %H:%M} by {d['reviewer']}: {d['decision']}"
            + (f" {_money(d['amount_recovered'])}" if d["amount_recovered"] is not None else "")
            + (f" ({d['note']})" if d["note"] else ""))


@review_app.command("decide")
def review_decide(
    exception_id: str = typer.Argument(..., help="the exception's id, or its first few characters"),
    decision: Decision = typer.Option(..., help="what you decided"),
    reviewer: str = typer.Option(..., help="who is deciding (name or staff id)"),
    note: str = typer.Option(None, help="why (needed with --override)"),
    amount: str = typer.Option(None, help="with 'recovered': the amount recovered in pounds, e.g. 1250.00"),
    override: bool = typer.Option(False, "--override", help="record a recovered amount above the exception's "
                                                            "amount (with a --note saying why)"),
    warehouse: Path = typer.Option(None, help=WAREHOUSE_HELP),
) -> None:
    """Record a decision on an exception (append-only; kept through every later run).

    Example: dprecon review decide X1A2B3 --decision recovered --amount 1250.00 --reviewer jsmith
    """
    import duckdb

    from flows.job import refresh_reviews
    from flows.warehouse import WarehouseBusy
    from reports import queries
    from stores.reviews import append

    wh = _warehouse(warehouse)
    with duckdb.connect(str(wh), read_only=True) as con:
        ex = queries.exception(con, resolve_id(con, exception_id))
    assert ex is not None
    try:
        append(wh, ex["exception_id"], reviewer, decision.value, note, amount,
               at_most=abs(ex["amount"]) if ex["amount"] is not None else None, override=override)
    except ValueError as e:
        console.print(str(e), style="red", markup=False, highlight=False)
        raise typer.Exit(2) from e
    what = f"{ex['exception_id']} {decision.value}" + (f" {_money(ex['amount'])}" if decision.value == "written_off"
                                                        else (f" £{amount}" if amount else ""))
    try:
        refresh_reviews(wh)
        console.print(f"Recorded: {what}.", markup=False, highlight=False)
    except WarehouseBusy:
        console.print(f"Recorded: {what}. A run is under way; it will show after that run.", markup=False,
                      highlight=False)
