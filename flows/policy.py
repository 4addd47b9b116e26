"""Read ``register/policy.yaml`` from the inbox (contract §1): the council's thresholds.

An absent file means the project's defaults. A file that cannot be used stops
the run with a :class:`~schemas.config.ConfigError` naming the file, the key
and the value; it never falls back to defaults, because a typo'd threshold
silently replaced by the default would raise (or hide) exceptions nobody asked
for.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import ValidationError

from flows.register_yaml import read_mapping
from schemas.config import ConfigError, describe
from schemas.policy import Policy, policy_from_mapping

SOURCE = "register/policy.yaml"


def load_policy(inbox: Path) -> Policy:
    """The council's policy over the defaults; :class:`ConfigError` when it cannot be used."""
    data = read_mapping(inbox, "policy.yaml")
    if data is None:
        return Policy()
    try:
        return policy_from_mapping(data)
    except ValidationError as e:
        raise ConfigError(describe(e, SOURCE)) from e
    except (OverflowError, ValueError) as e:  # a number too large for any check to use
        raise ConfigError(f"{SOURCE}: a value is out of range ({e})") from e
