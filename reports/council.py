"""Who the council is, as the run has it: ``council_of(con)``.

The run stores ``register/council.yaml`` in the warehouse (``core.council``,
one row); reports read it from there so that a report always names the
council of the books it was built from. A warehouse without that table (an
earlier release, or before the first run) gives the defaults.
"""

from __future__ import annotations

import duckdb

from schemas.council import Council


def council_of(con: duckdb.DuckDBPyConnection) -> Council:
    """The council's details from ``core.council``; ``Council()`` when there are none."""
    have = con.execute("SELECT 1 FROM information_schema.tables WHERE table_schema = 'core' "
                       "AND table_name = 'council'").fetchall()
    if not have:
        return Council()
    cur = con.execute("SELECT * FROM core.council LIMIT 1")
    names = [d[0] for d in cur.description]
    found = cur.fetchall()
    if not found:
        return Council()
    data = {k: v for k, v in zip(names, found[0], strict=True)
            if k in Council.model_fields and v is not None and k != "bank"}
    return Council.model_validate(data)
