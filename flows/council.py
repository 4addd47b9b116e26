"""Read ``register/council.yaml`` from the inbox (contract §1): who the council is,
and keep it in the warehouse (``core.council``, one row) for letters, the portal
and reports to read back with :func:`reports.council.council_of`."""

from __future__ import annotations

from pathlib import Path

import polars as pl
from pydantic import ValidationError

from flows.register_yaml import read_mapping
from flows.warehouse import replace_table
from schemas.config import ConfigError, describe
from schemas.council import Council, council_from_mapping
from schemas.warehouse import CORE

SOURCE = "register/council.yaml"


def load_council(inbox: Path, default: Council | None = None) -> Council:
    """The council's details; ``default`` (else the defaults) when the file is absent. A file
    that cannot be used is a :class:`ConfigError` naming the key."""
    data = read_mapping(inbox, "council.yaml")
    if data is None:
        return default or Council()
    try:
        return council_from_mapping(data)
    except ValidationError as e:
        raise ConfigError(describe(e, SOURCE)) from e


def record_council(con, council: Council, inbox: Path) -> None:
    """Replace ``core.council`` with this council (one row), naming the file it came from."""
    source = SOURCE if (inbox / "register" / "council.yaml").is_file() else None
    table = CORE["council"]
    replace_table(con, "core", table, pl.DataFrame([dict(
        name=council.name, team=council.team, address="\n".join(council.address) or None,
        phone=council.phone, email=council.email, portal_url=council.portal_url,
        details=council.model_dump_json(), source_path=source)], schema=table.polars_schema()))
