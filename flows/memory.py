"""Memory the run hands back to the system (issue 20: the night's peak resident size).

Polars and DuckDB each allocate through their own copy of jemalloc, and both
keep freed pages for a while: Polars by default ``dirty_decay_ms:500,
muzzy_decay_ms:1000`` (set in ``polars/__init__.py``), DuckDB for its own
period, and both only let them go when they next allocate. Reconcile frees
several hundred MiB of frames in bursts, and ingest several hundred MiB of
DuckDB's working memory as it loads the night's rows, so the process kept
them and the next stage grew on top (after ingest at 5,000 accounts, about
150 MiB that neither Python, DuckDB's own accounting nor Arrow showed was
DuckDB's allocator holding freed pages). Told to return them at once, the
night's resident size follows what is live.

jemalloc reads its setting once, when the library loads: Polars'
``_RJEM_MALLOC_CONF`` (``polars/__init__.py`` appends the variable to its own
defaults, and the last setting wins), DuckDB's ``DUCKDB_JE_MALLOC_CONF``. So
:func:`return_freed_pages` must run before anything imports Polars or DuckDB:
the ``dprecon`` command calls it first thing. An operator's own value of
either is left as it is. Child processes (the parse workers, the validation
process) inherit them.
"""

from __future__ import annotations

import os

POLARS_ALLOCATOR = "dirty_decay_ms:0,muzzy_decay_ms:0"
DUCKDB_ALLOCATOR = "dirty_decay_ms:0,muzzy_decay_ms:0"


def return_freed_pages() -> None:
    """Have Polars' and DuckDB's allocators hand freed pages back at once (before either is first imported)."""
    os.environ.setdefault("_RJEM_MALLOC_CONF", POLARS_ALLOCATOR)
    os.environ.setdefault("DUCKDB_JE_MALLOC_CONF", DUCKDB_ALLOCATOR)
