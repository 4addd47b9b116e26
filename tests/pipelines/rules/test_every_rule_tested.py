"""Every declared rule has its own tests here: a worked example and a look-alike.

A new rule module brings ``tests/pipelines/rules/test_<module>.py`` calling its
rule functions; this check names any rule whose function no test calls.
"""

from __future__ import annotations

import ast
from pathlib import Path

from pipelines.rules.registry import declared

HERE = Path(__file__).parent


def _called_names() -> set[str]:
    names: set[str] = set()
    for f in HERE.glob("test_*.py"):
        for node in ast.walk(ast.parse(f.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                names.add(node.func.id)
    return names


def test_every_rule_function_is_called_by_a_test_of_its_module():
    called = _called_names()
    missing = [f"{r.code} ({r.fn.__module__}.{r.fn.__name__})" for r in declared() if r.fn.__name__ not in called]
    assert not missing, "rules without tests in tests/pipelines/rules/: " + ", ".join(missing)
    # the first thirteen each have tests/pipelines/rules/test_<module>.py; the six further checks
    # (contract §4, round two) share test_six_checks.py
    for r in declared():
        module = r.fn.__module__.rsplit(".", 1)[-1]
        assert (HERE / f"test_{module}.py").exists() or r.code in (HERE / "test_six_checks.py").read_text(), (
            f"{r.code}: add tests/pipelines/rules/test_{module}.py")
