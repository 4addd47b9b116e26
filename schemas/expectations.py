"""The Great Expectations suite of a table, derived from its declaration.

Great Expectations is imported only when a suite is built (it costs several
seconds), so a quiet night with nothing to validate never pays for it.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from schemas.core import Table

LOADED_WHEN_USED = ("scipy.stats",)  # imported by Great Expectations for expectations dprecon never declares


@cache
def gx_module() -> Any:
    import os

    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    for name in LOADED_WHEN_USED:
        when_used(name)
    import great_expectations as gx

    return gx


def when_used(name: str) -> None:
    """Have ``name`` load when first used rather than when imported (``importlib.util.LazyLoader``).
    Great Expectations imports ``scipy.stats`` at its own import for its distribution tests
    (Kolmogorov-Smirnov, KL divergence), which no dprecon table declares: about 0.7 s of
    the 2.3 s its import costs, paid by every night that validates a file. Anything
    that does use it loads it then, whole. Nothing is done if it is loaded already,
    or not installed."""
    import importlib.util
    import sys

    if name in sys.modules:
        return
    spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None:
        return
    spec.loader = importlib.util.LazyLoader(spec.loader)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    parent, _, child = name.rpartition(".")
    if parent:  # as the import system would: "from scipy import stats" then finds it without loading it
        setattr(sys.modules[parent], child, module)


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
