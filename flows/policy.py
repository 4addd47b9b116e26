"""Read ``register/policy.yaml`` from the inbox (contract §1): the council's thresholds.

An absent file means the project's defaults. A file that cannot be used stops
the run with a :class:`~schemas.config.ConfigError` naming the file, the key
and the value; it never falls back to defaults, because a typo'd threshold
silently replaced by the default would raise (or hide) exceptions nobody asked
for.
"""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import ValidationError

from schemas.config import ConfigError, describe
from schemas.policy import Policy, policy_from_mapping

SOURCE = "register/policy.yaml"


def load_policy(inbox: Path) -> Policy:
    """The council's policy over the defaults; :class:`ConfigError` when it cannot be used."""
    path = inbox / "register" / "policy.yaml"
    if not path.exists():
        return Policy()
    if not path.is_file():  # a folder or a FIFO by that name is not the defaults either
        raise ConfigError(f"{SOURCE} is not a regular file; put the council's policy file there or remove it")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as e:
        raise ConfigError(f"{SOURCE} is not readable YAML: {str(e).splitlines()[0]}") from e
    except OSError as e:
        raise ConfigError(f"{SOURCE} could not be read ({e.strerror})") from e
    if data is not None and not isinstance(data, dict):
        raise ConfigError(f"{SOURCE} must be a mapping of keys to values, not {type(data).__name__}")
    try:
        return policy_from_mapping(data)
    except ValidationError as e:
        raise ConfigError(describe(e, SOURCE)) from e
    except (OverflowError, ValueError) as e:  # a number too large for any check to use
        raise ConfigError(f"{SOURCE}: a value is out of range ({e})") from e
