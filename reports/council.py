"""Who the council is, as the warehouse knows it: ``council_of(con)``.

Minimal version for issue 18 (recovery notices); the families' work (issue
14) keeps the council read from ``register/council.yaml`` in the warehouse
and fills this in. Until then: the council kept in ``core.council``
(``council_json``) if a run stored one, else the defaults.
"""

from __future__ import annotations

import json

import duckdb

from schemas.council import Council, council_from_mapping


def council_of(con: duckdb.DuckDBPyConnection) -> Council:
    try:
        row = con.execute("SELECT council_json FROM core.council LIMIT 1").fetchone()
    except duckdb.CatalogException:
        return Council()
    return council_from_mapping(json.loads(row[0])) if row else Council()
