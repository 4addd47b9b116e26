"""Reading a council's YAML settings from ``register/`` (``policy.yaml``, ``council.yaml``):
one reader, so both refuse the same things the same way, naming the file.

Absent: ``None`` (the caller's defaults apply). Present but a folder or a FIFO, not
UTF-8 YAML, unreadable, or not a mapping: :class:`ConfigError`, never the defaults.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from schemas.config import ConfigError


def read_mapping(inbox: Path, name: str) -> dict | None:
    source = f"register/{name}"
    path = inbox / "register" / name
    if not path.exists():
        return None
    if not path.is_file():  # a folder or a FIFO by that name is not the defaults either
        raise ConfigError(f"{source} is not a regular file; put the council's file there or remove it")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as e:
        raise ConfigError(f"{source} is not readable YAML: {str(e).splitlines()[0]}") from e
    except OSError as e:
        raise ConfigError(f"{source} could not be read ({e.strerror})") from e
    if data is not None and not isinstance(data, dict):
        raise ConfigError(f"{source} must be a mapping of keys to values, not {type(data).__name__}")
    return data or {}
