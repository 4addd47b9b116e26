"""The ``dprecon`` command has Polars' allocator hand freed pages back at once (flows/memory.py).

jemalloc reads ``_RJEM_MALLOC_CONF`` when Polars' library loads, and Polars
appends the variable to its own defaults then: the setting only works if it is
in the environment before Polars is first imported, and ends up last.
"""

from __future__ import annotations

import os
import subprocess
import sys

from flows.memory import POLARS_ALLOCATOR

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
