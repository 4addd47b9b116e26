"""Report folders go into place whole, or not at all (flows/warehouse.staged_folder)."""

from __future__ import annotations

import errno
import os
import subprocess
import sys
from pathlib import Path

import pytest

from flows.warehouse import RunFailed, failure_message, staged_folder


def listing(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): p.read_text() for p in folder.rglob("*") if p.is_file()}


def test_a_new_folder_replaces_the_old_one_whole(tmp_path):
    final = tmp_path / "reports" / "2025-06-30"
    final.mkdir(parents=True)
    (final / "old.html").write_text("last night")
    with staged_folder(final) as work:
        (work / "exceptions.html").write_text("tonight")
        (work / "returns").mkdir()
        (work / "returns" / "B1.pdf").write_text("letter")
        assert listing(final) == {"old.html": "last night"}  # nothing shows until the end
    assert listing(final) == {"exceptions.html": "tonight", "returns/B1.pdf": "letter"}
    assert [p.name for p in final.parent.iterdir()] == ["2025-06-30"]


def test_a_write_that_fails_leaves_the_old_folder_and_says_why(tmp_path):
    final = tmp_path / "reports" / "2025-06-30"
    final.mkdir(parents=True)
    (final / "exceptions.html").write_text("last night")
    with pytest.raises(RunFailed) as failed, staged_folder(final, "the reports for 2025-06-30") as work:
        (work / "exceptions.html").write_text("half")
        raise OSError(errno.ENOSPC, "No space left on device", str(work / "exceptions.xlsx"))
    assert str(failed.value) == (f"the reports for 2025-06-30 could not be written to {final}: "
                                 "the disk is full (or the files would be larger than this process may write)")
    assert listing(final) == {"exceptions.html": "last night"}
    assert [p.name for p in final.parent.iterdir()] == ["2025-06-30"]
    said = failure_message(failed.value, tmp_path / "w.duckdb")
    assert said.startswith("The run could not complete: the reports for 2025-06-30") and "Nothing was published" in said


def test_what_a_killed_run_left_is_cleared_but_a_live_run_is_left_alone(tmp_path):
    final = tmp_path / "2025-06-30"
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True, check=True).stdout.strip()
    left = tmp_path / f".2025-06-30.partial-{dead}-00aa11bb"
    live = tmp_path / f".2025-06-30.partial-{os.getppid()}-00aa11bb"
    for folder in (left, live):
        folder.mkdir()
    with staged_folder(final) as work:
        (work / "x.csv").write_text("1")
    assert not left.exists() and live.exists() and listing(final) == {"x.csv": "1"}
