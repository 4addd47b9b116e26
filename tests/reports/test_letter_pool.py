"""Many letters are drawn in worker processes (reports/returns/render.draw_letters): the files
they leave are the bytes drawing them here leaves, the letters an earlier night drew are still
copied and recorded as before, and a letter that fails in a worker fails the render here."""

from __future__ import annotations

import dataclasses
import hashlib
from pathlib import Path

import duckdb
import pytest

from reports.returns import render as render_mod
from reports.returns.render import fetch_letters, render_returns
from reports.returns.reuse import Drawn

COUNCIL = "Demo Council"


def files(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def render(sim_council: dict, out: Path, pool_from: int, monkeypatch, drawn: Drawn | None = None) -> list[Path]:
    monkeypatch.setattr(render_mod, "POOL_FROM", pool_from)
    monkeypatch.setattr(render_mod, "usable_cores", lambda: 2)  # two workers, whatever the machine
    with duckdb.connect(str(sim_council["warehouse"]), read_only=True) as con:
        return render_returns(con, out, sim_council["as_of"], COUNCIL, drawn=drawn)


def test_pooled_letters_are_the_serial_letters_byte_for_byte(sim_council, tmp_path, monkeypatch):
    pools = []

    class Pool(render_mod.ProcessPoolExecutor):
        def __init__(self, *args, **kwargs) -> None:
            pools.append(kwargs["max_workers"])
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(render_mod, "ProcessPoolExecutor", Pool)
    serial = render(sim_council, tmp_path / "serial", 10**6, monkeypatch)
    assert pools == []
    pooled = render(sim_council, tmp_path / "pooled", 2, monkeypatch)
    assert pools == [2]
    assert len(serial) >= 8  # four letters or more
    assert [p.relative_to(tmp_path / "serial") for p in serial] == [p.relative_to(tmp_path / "pooled") for p in pooled]
    assert files(tmp_path / "serial" / "returns") == files(tmp_path / "pooled" / "returns")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pooled", "serial"]  # the workers wrote nothing else


def test_a_big_server_draws_on_a_few_workers_not_one_a_core(sim_council, tmp_path, monkeypatch):
    asked = []

    class Pool(render_mod.ProcessPoolExecutor):
        def __init__(self, *args, **kwargs) -> None:
            asked.append(kwargs["max_workers"])
            super().__init__(*args, **{**kwargs, "max_workers": 1})

    monkeypatch.setattr(render_mod, "ProcessPoolExecutor", Pool)
    monkeypatch.setattr(render_mod, "POOL_FROM", 2)
    monkeypatch.setattr(render_mod, "usable_cores", lambda: 64)
    with duckdb.connect(str(sim_council["warehouse"]), read_only=True) as con:
        written = render_returns(con, tmp_path, sim_council["as_of"], COUNCIL)
    assert len(written) // 2 > render_mod.MOST_WORKERS  # more letters than workers: the cap, not the letters, decides
    assert asked == [render_mod.MOST_WORKERS] == [4]


def test_pooled_letters_keep_the_copies_and_the_record(sim_council, tmp_path, monkeypatch):
    """Half the letters copied from an earlier night, half drawn in the pool: the same files and
    the same record as drawing them here."""
    day = sim_council["as_of"].isoformat()
    first = Drawn()
    render(sim_council, tmp_path / "reports" / day, 10**6, monkeypatch, drawn=first)
    first.path = tmp_path / "w.duckdb.letters.json"
    kept = sorted(first.record)[::2]
    first.record = {stem: first.record[stem] for stem in kept}  # the others will be drawn again
    first.save(sim_council["as_of"])
    pooled, serial = (Drawn(tmp_path / "w.duckdb.letters.json", tmp_path / "reports") for _ in range(2))
    render(sim_council, tmp_path / "pooled", 2, monkeypatch, drawn=pooled)
    render(sim_council, tmp_path / "serial", 10**6, monkeypatch, drawn=serial)
    assert files(tmp_path / "pooled" / "returns") == files(tmp_path / "serial" / "returns") \
        == files(tmp_path / "reports" / day / "returns")
    assert pooled.record == serial.record
    assert len(pooled.record) > len(kept) >= 2


def test_a_letter_failing_in_a_worker_fails_the_render(sim_council, tmp_path, monkeypatch):
    with duckdb.connect(str(sim_council["warehouse"]), read_only=True) as con:
        letters = fetch_letters(con, sim_council["as_of"], COUNCIL)
    assert len(letters) >= 4
    letters[2] = dataclasses.replace(letters[2], statement="not a statement")  # letter_pdf raises on it
    monkeypatch.setattr(render_mod, "fetch_letters", lambda *_args: letters)
    with pytest.raises(AttributeError, match="opening"):
        render(sim_council, tmp_path / "out", 2, monkeypatch)


def test_other_writing_is_done_while_the_workers_draw_and_its_failure_stops_them(sim_council, tmp_path, monkeypatch):
    events: list[str] = []

    class Pool(render_mod.ProcessPoolExecutor):
        def map(self, *args, **kwargs):  # type: ignore[no-untyped-def]
            events.append("letters handed to the workers")
            return super().map(*args, **kwargs)

        def shutdown(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
            events.append("workers stopped")
            super().shutdown(*args, **kwargs)

    monkeypatch.setattr(render_mod, "ProcessPoolExecutor", Pool)
    monkeypatch.setattr(render_mod, "POOL_FROM", 2)
    monkeypatch.setattr(render_mod, "usable_cores", lambda: 2)
    report = tmp_path / "out" / "exceptions.html"

    def meanwhile() -> list[Path]:
        events.append("report written")
        report.write_text("report")
        return [report]

    with duckdb.connect(str(sim_council["warehouse"]), read_only=True) as con:
        written = render_returns(con, tmp_path / "out", sim_council["as_of"], COUNCIL, meanwhile=meanwhile)
        assert events[:2] == ["letters handed to the workers", "report written"]
        assert events[2:] == ["workers stopped"] * len(events[2:]) and len(events) > 2
        assert written[0] == report and len(written) > 2 and all(p.is_file() for p in written)
        events.clear()

        def fails() -> list[Path]:
            raise OSError("disk full")

        with pytest.raises(OSError, match="disk full"):
            render_returns(con, tmp_path / "again", sim_council["as_of"], COUNCIL, meanwhile=fails)
        assert events[0] == "letters handed to the workers" and "workers stopped" in events
