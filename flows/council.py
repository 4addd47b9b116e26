"""Read ``register/council.yaml`` from the inbox (contract §1): who the council is,
and keep it in the warehouse (``core.council``, one row) for letters, the portal
and reports to read back with :func:`reports.council.council_of`."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import yaml
from pydantic import ValidationError

from flows.warehouse import replace_table
from schemas.config import ConfigError, describe
from schemas.council import Council, council_from_mapping
from schemas.warehouse import CORE

SOURCE = "register/council.yaml"


def load_council(inbox: Path, default: Council | None = None) -> Council:
    """The council's details; ``default`` (else the defaults) when the file is absent. A file
    that cannot be used is a :class:`ConfigError` naming the key."""
    path = inbox / "register" / "council.yaml"
    if not path.is_file():
        return default or Council()
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as e:
        raise ConfigError(f"{SOURCE} is not readable YAML: {str(e).splitlines()[0]}") from e
    if data is not None and not isinstance(data, dict):
        raise ConfigError(f"{SOURCE} must be a mapping of keys to values, not {type(data).__name__}")
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
