"""The Great Expectations suite of a table, derived from its declaration.

Great Expectations is imported only when a suite is built (it costs several
seconds), so a quiet night with nothing to validate never pays for it.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from schemas.core import Table


@cache
def gx_module() -> Any:
    import os

    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    import great_expectations as gx

    return gx


def build_suite(table: Table) -> tuple[Any, dict[str, str]]:
    """Return ``(suite, reasons)``; ``reasons`` maps an expectation's id to
    the plain-English sentence shown when a row fails it."""
    gx = gx_module()
    suite = gx.ExpectationSuite(name=f"dprecon.{table.name}")
    reasons: dict[str, str] = {}
    for spec in table.expectations():
        cls = getattr(gx.expectations, spec["type"])
        exp = suite.add_expectation(cls(**spec["kwargs"]))
        reasons[_key(exp.expectation_type, exp.configuration.kwargs)] = spec["reason"]
    return suite, reasons


def _key(expectation_type: str, kwargs: dict) -> str:
    col = kwargs.get("column") or ",".join(kwargs.get("column_list") or [])
    return f"{expectation_type}:{col}"


def reason_key(expectation_type: str, kwargs: dict) -> str:
    return _key(expectation_type, kwargs)
