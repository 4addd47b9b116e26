"""Configuration errors: a council's policy, register settings or bank profiles
that cannot be used stop the run with a message naming the file, the key and
the value (contract §1), rather than falling back to defaults.
"""

from __future__ import annotations

from decimal import Decimal

from pydantic import ValidationError


class ConfigError(Exception):
    """Bad configuration: loud, names the file and the key; the run changes nothing."""


def describe(error: ValidationError, source: str) -> str:
    """One line per problem: ``register/policy.yaml: surplus_weeks = 'eight': not a number``."""
    lines = []
    for e in error.errors():
        key = ".".join(str(p) for p in e["loc"]) or "(the whole file)"
        if e["type"] == "extra_forbidden":
            lines.append(f"{source}: unknown key {key!r}")
            continue
        if e["type"] == "missing":
            lines.append(f"{source}: {key} is missing (it is required)")
            continue
        value = e.get("input")
        # a number as the council wrote it (0.5 reaches here as Decimal('0.5'))
        shown = "…" if isinstance(value, dict) else str(value) if isinstance(value, Decimal) else repr(value)
        if len(shown) > 80:
            shown = shown[:77] + "..."
        lines.append(f"{source}: {key} = {shown}: {e['msg']}")
    return "\n".join(lines)
