"""Read ``register/council.yaml`` from the inbox (contract §1): who the council is."""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import ValidationError

from schemas.config import ConfigError, describe
from schemas.council import Council, council_from_mapping

SOURCE = "register/council.yaml"


def load_council(inbox: Path) -> Council:
    """The council's details; the defaults when the file is absent. A file that
    cannot be used is a :class:`ConfigError` naming the key."""
    path = inbox / "register" / "council.yaml"
    if not path.is_file():
        return Council()
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
