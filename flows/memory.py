"""Memory the run hands back to the system (issue 20: the night's peak resident size).

Polars allocates through its own jemalloc, which by default keeps freed pages
for a while (``dirty_decay_ms:500,muzzy_decay_ms:1000``, set in
``polars/__init__.py``) and only lets them go when it next allocates. Reconcile
frees several hundred MiB of frames in bursts, so the process kept them and
the next stage grew on top. Told to return them at once, the night's resident
size follows its live frames.

jemalloc reads ``_RJEM_MALLOC_CONF`` once, when Polars' library loads
(``polars/__init__.py`` appends the variable to its own defaults, and the last
setting wins), so :func:`return_freed_pages` must run before anything imports
Polars: the ``dprecon`` command calls it first thing. An operator's own
``_RJEM_MALLOC_CONF`` is left as it is. Child processes (the parse workers,
the validation process) inherit it.
"""

from __future__ import annotations

import os

POLARS_ALLOCATOR = "dirty_decay_ms:0,muzzy_decay_ms:0"


def return_freed_pages() -> None:
    """Have Polars' allocator hand freed pages back at once (before Polars is first imported)."""
    os.environ.setdefault("_RJEM_MALLOC_CONF", POLARS_ALLOCATOR)
