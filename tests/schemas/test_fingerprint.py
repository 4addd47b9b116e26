"""schemas/fingerprint.py: what made a result, hashed; flows/version.py: the books' code version."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb

from flows import version
from schemas.fingerprint import code_fingerprint
from schemas.warehouse import ddl


def test_a_byte_a_moved_file_or_a_library_changes_the_code_version(tmp_path):
    for folder in version.SOURCES:
        shutil.copytree(version.ROOT / folder, tmp_path / folder, ignore=shutil.ignore_patterns("__pycache__"))

    def of(root: Path, libraries=version.LIBRARIES) -> str:
        return code_fingerprint(version.source_files(root), libraries, root=root)

    first = of(tmp_path)
    assert of(tmp_path) == first
    assert {p.relative_to(tmp_path) for p in version.source_files(tmp_path)} == {
        p.relative_to(version.ROOT) for p in version.source_files()}
    assert of(tmp_path, (*version.LIBRARIES, "a-library-not-installed")) != first
    match = tmp_path / "pipelines" / "match.py"
    match.write_bytes(match.read_bytes() + b"\n")
    edited = of(tmp_path)
    assert edited != first
    match.rename(tmp_path / "pipelines" / "rules" / "match.py")
    assert of(tmp_path) not in (first, edited)


def test_an_older_land_runs_gains_the_code_version_column(tmp_path):
    with duckdb.connect(str(tmp_path / "w.duckdb")) as con:
        con.execute("CREATE SCHEMA land")
        con.execute("""CREATE TABLE land.runs (run_id VARCHAR NOT NULL, as_of DATE NOT NULL,
            started_at TIMESTAMP NOT NULL, finished_at TIMESTAMP, status VARCHAR NOT NULL,
            files_seen BIGINT NOT NULL, exceptions_open BIGINT NOT NULL, PRIMARY KEY (run_id))""")
        con.execute("INSERT INTO land.runs VALUES ('r1', '2026-04-01', '2026-04-01 02:00', "
                    "'2026-04-01 02:05', 'completed', 10, 3)")
        for stmt in ddl():
            con.execute(stmt)
        assert con.execute("SELECT run_id, code_version FROM land.runs").fetchall() == [("r1", None)]
        assert [d[0] for d in con.execute("SELECT * FROM audit.runs").description] == [
            "run_id", "as_of", "started_at", "finished_at", "status", "files_seen", "exceptions_open"]
