"""Running the job in tests without Prefect's start-up cost."""

from __future__ import annotations

import random
import shutil
from datetime import date
from pathlib import Path

import duckdb

from flows.job import run_job
from flows.simulate import write_simulation
from flows.validation import validate_batch
from pipelines.simulate import SimParams

VIEWS = ("ingest_log", "quarantine", "transactions", "invoices", "matches", "budget_positions",
         "line_positions", "exceptions", "reviews", "evidence_returns")


def run(inbox: Path, warehouse: Path, as_of: date = date(2025, 6, 30)) -> dict:
    return run_job(inbox, warehouse, warehouse.parent / "reports", as_of, validate=validate_batch, workers=1)


def night(inbox: Path, home: Path, as_of: date) -> dict:
    """The job over ``inbox`` into ``home``'s warehouse and reports."""
    return run(inbox, home / "w.duckdb", as_of)


HELD = 6  # statement files a statements-only night brings (statements_council)


def statements_council(work: Path) -> dict:
    """A 40-account council's year with :data:`HELD` of the last month's statement files held
    back (``year``), then the same files from scratch in one night (``scratch``): the inbox holds
    them all again. Keys: work, inbox, held, year, scratch, as_of."""
    inbox, held = work / "inbox", work / "held"
    as_of = date.fromisoformat(str(write_simulation(inbox, SimParams(accounts=40, months=12, seed=5))["as_of"]))
    hold_back_statements(inbox, held, HELD, seed=4)
    night(inbox, work / "year", as_of)
    bring_back(held, inbox)
    night(inbox, work / "scratch", as_of)
    return {"work": work, "inbox": inbox, "held": held, "year": work / "year", "scratch": work / "scratch",
            "as_of": as_of}


def simulated_night(work: Path, params: SimParams) -> dict:
    """A simulated council's inbox under ``work``, its first night run: ``inbox``, ``warehouse``, ``as_of``."""
    inbox = work / "inbox"
    as_of = date.fromisoformat(str(write_simulation(inbox, params)["as_of"]))
    run(inbox, work / "w.duckdb", as_of)
    return {"inbox": inbox, "warehouse": work / "w.duckdb", "as_of": as_of}


def copy_inbox(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst)
    return dst


def dump_views(warehouse: Path) -> dict[str, str]:
    """Every audit view as sorted text, for byte-for-byte comparison."""
    out = {}
    with duckdb.connect(str(warehouse), read_only=True) as con:
        for v in VIEWS:
            rows = con.execute(f"SELECT * FROM audit.{v}").fetchall()
            out[v] = "\n".join(sorted(repr(r) for r in rows))
    return out


def query(warehouse: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(sql).fetchall()


def hold_back_statements(inbox: Path, held: Path, count: int, seed: int) -> None:
    """Move ``count`` of the last month's bank statement files (chosen with ``seed``) from
    ``inbox`` to the same places under ``held``: the files a normal night brings."""
    statements = sorted(p for p in (inbox / "statements" / "bank").rglob("statement_*") if p.is_file())
    last = max(p.name[len("statement_"):][:7] for p in statements)
    chosen = random.Random(seed).sample([p for p in statements if p.name[len("statement_"):].startswith(last)], count)
    for p in chosen:
        (held / p.relative_to(inbox)).parent.mkdir(parents=True, exist_ok=True)
        shutil.move(p, held / p.relative_to(inbox))


def bring_back(held: Path, inbox: Path) -> None:
    """Copy every file held back into its place in ``inbox`` again."""
    for p in held.rglob("*"):
        if p.is_file():
            shutil.copy2(p, inbox / p.relative_to(held))
