"""The ``dprecon`` command has Polars' and DuckDB's allocators hand freed pages back at once (flows/memory.py).

jemalloc reads ``_RJEM_MALLOC_CONF`` when Polars' library loads, and Polars
appends the variable to its own defaults then: the setting only works if it is
in the environment before Polars is first imported, and ends up last.
"""

from __future__ import annotations

import os
import subprocess
import sys

from flows.memory import DUCKDB_ALLOCATOR, POLARS_ALLOCATOR

SHOW = "import os, flows.cli, polars; print(os.environ['_RJEM_MALLOC_CONF'])"


def _conf_after_importing_the_command(own: str | None) -> str:
    env = {k: v for k, v in os.environ.items() if k != "_RJEM_MALLOC_CONF"}
    if own is not None:
        env["_RJEM_MALLOC_CONF"] = own
    done = subprocess.run([sys.executable, "-c", SHOW], env=env, capture_output=True, text=True, check=True)
    return done.stdout.strip().splitlines()[-1]


def test_the_command_sets_the_allocator_before_polars_loads():
    conf = _conf_after_importing_the_command(None)
    # Polars' defaults first, ours appended by Polars as it loaded: the last setting wins
    assert conf.endswith("," + POLARS_ALLOCATOR) and conf != POLARS_ALLOCATOR


def test_an_operators_own_setting_is_kept():
    conf = _conf_after_importing_the_command("dirty_decay_ms:250")
    assert conf.endswith(",dirty_decay_ms:250") and POLARS_ALLOCATOR not in conf


def _duckdb_conf_after_importing_the_command(own: str | None) -> str:
    env = {k: v for k, v in os.environ.items() if k != "DUCKDB_JE_MALLOC_CONF"}
    if own is not None:
        env["DUCKDB_JE_MALLOC_CONF"] = own
    show = "import os, flows.cli, duckdb; print(os.environ['DUCKDB_JE_MALLOC_CONF'])"
    done = subprocess.run([sys.executable, "-c", show], env=env, capture_output=True, text=True, check=True)
    return done.stdout.strip().splitlines()[-1]


def test_the_command_has_duckdb_return_freed_pages_too():
    assert _duckdb_conf_after_importing_the_command(None) == DUCKDB_ALLOCATOR


def test_an_operators_own_duckdb_setting_is_kept():
    assert _duckdb_conf_after_importing_the_command("dirty_decay_ms:250") == "dirty_decay_ms:250"


def test_duckdb_is_not_loaded_before_the_setting():
    """DuckDB's jemalloc reads its setting as the library loads: nothing the command
    imports before ``return_freed_pages`` may load it."""
    show = "import sys, flows.memory; print('duckdb' in sys.modules, 'polars' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", show], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["False", "False"]
