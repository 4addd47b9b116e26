"""A normal night (issue 20): one day's statements on top of the books draws again only
what they changed, and leaves the same books and the same reports, byte for byte, as
a run from scratch over the same files.

A simulated council is run for its year with a few of the last month's statement
files held back; the files then arrive and the job runs again, as of the same day
and as of the next. Each result is compared with a new warehouse built in one run
from every file: every audit view (apart from run ids and clock times) and every
report file. The letters the new files did not touch are copied, not drawn.
"""

from __future__ import annotations

import hashlib
import shutil
import zipfile
from datetime import date, timedelta
from pathlib import Path

import pytest

from flows.job import run_job
from flows.simulate import write_simulation
from flows.validation import validate_batch
from pipelines.simulate import SimParams
from reports.returns import render as render_mod
from tests.flows.helpers import bring_back, hold_back_statements
from tests.flows.test_ofx_path_audit_views import audit_views

HELD = 3


def night(inbox: Path, home: Path, as_of: date) -> dict:
    return run_job(inbox, home / "w.duckdb", home / "reports", as_of, validate=validate_batch, workers=1)


def files(folder: Path) -> dict[str, str]:
    """Each file's hash; a workbook's without its properties part, which carries the clock time
    it was written at (any two runs differ there)."""
    return {p.relative_to(folder).as_posix(): digest(p) for p in sorted(folder.rglob("*")) if p.is_file()}


def digest(path: Path) -> str:
    if path.suffix != ".xlsx":
        return hashlib.sha256(path.read_bytes()).hexdigest()
    with zipfile.ZipFile(path) as z:
        return hashlib.sha256(b"".join(n.encode() + z.read(n) for n in sorted(z.namelist())
                                       if n != "docProps/core.xml")).hexdigest()


def books(home: Path) -> dict[str, list[tuple]]:
    """The audit views but the log of runs (a run from scratch has had one night, not two)."""
    return {k: v for k, v in audit_views(home / "w.duckdb").items() if k != "runs"}


@pytest.fixture(scope="module")
def council(tmp_path_factory) -> dict:
    work = tmp_path_factory.mktemp("normal-night")
    inbox, held = work / "inbox", work / "held"
    summary = write_simulation(inbox, SimParams(accounts=30, months=12, seed=11))
    as_of = date.fromisoformat(str(summary["as_of"]))
    for folder in (inbox / "evidence").iterdir():  # the last returns not sent: letters to write
        if folder.name.rsplit("_", 1)[-1] >= "2025-10":
            shutil.rmtree(folder)
    hold_back_statements(inbox, held, HELD, seed=3)
    year = work / "year"
    night(inbox, year, as_of)
    bring_back(held, inbox)
    return {"work": work, "inbox": inbox, "year": year, "as_of": as_of}


def scratch(council: dict) -> Path:
    """Every file in one run, into a new warehouse, as of the council's day."""
    home = council["work"] / "scratch"
    if not home.exists():
        night(council["inbox"], home, council["as_of"])
    return home


def after_the_year(council: dict, name: str) -> Path:
    home = council["work"] / name
    shutil.copytree(council["year"], home)
    return home


def drawing(monkeypatch) -> list[str]:
    """The budgets whose letters are drawn (not copied) from now on."""
    drawn: list[str] = []
    real = render_mod.letter_pdf
    monkeypatch.setattr(render_mod, "letter_pdf", lambda letter: drawn.append(letter.budget_id) or real(letter))
    return drawn


def test_a_normal_night_leaves_what_a_run_from_scratch_leaves(council, monkeypatch):
    home = after_the_year(council, "normal")
    drawn = drawing(monkeypatch)
    assert night(council["inbox"], home, council["as_of"])["ingest"]["accepted"] == HELD
    monkeypatch.undo()
    full = scratch(council)
    assert books(home) == books(full)
    day = council["as_of"].isoformat()
    assert files(home / "reports" / day) == files(full / "reports" / day)
    letters = len(list((full / "reports" / day / "returns").glob("*.pdf")))
    assert letters > 10
    assert 0 < len(drawn) < letters / 2  # only the letters tonight's statements changed are drawn again


def test_on_a_new_day_every_letter_is_drawn_as_a_full_render_would(council, monkeypatch):
    """The next day's night after the year's: the same as that night with no letter to copy."""
    day = council["as_of"] + timedelta(days=1)
    home, reference = after_the_year(council, "next-day"), after_the_year(council, "next-day-reference")
    (reference / "w.duckdb.letters.json").unlink()  # no record of earlier letters: every one is drawn
    drawn = drawing(monkeypatch)
    night(council["inbox"], home, day)
    monkeypatch.undo()
    night(council["inbox"], reference, day)
    assert books(home) == books(reference)
    assert files(home / "reports" / day.isoformat()) == files(reference / "reports" / day.isoformat())
    assert len(drawn) == len(list((home / "reports" / day.isoformat() / "returns").glob("*.pdf")))


def test_a_letter_damaged_since_it_was_written_is_drawn_again(council):
    home = after_the_year(council, "damaged")
    day = council["as_of"].isoformat()
    pdf = sorted((home / "reports" / day / "returns").glob("*.pdf"))[0]
    pdf.write_bytes(pdf.read_bytes()[:-10])
    night(council["inbox"], home, council["as_of"])
    full = scratch(council)
    assert files(home / "reports" / day) == files(full / "reports" / day)
    assert (home / "w.duckdb.letters.json").is_file()
