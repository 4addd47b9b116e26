"""The shape of the house, checked by walking every import in the source tree.

flows/ → pipelines/ → schemas/; stores/ and reports/ are shared by the batch
(flows/) and the web (web/); the web is not a flow. Lazy imports inside a
function count as imports: they are dependencies all the same.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("flows", "pipelines", "schemas", "stores", "reports", "web")

# Who may import whom (first-party packages only; a package may import itself).
ALLOWED = {
    "schemas": set(),
    "pipelines": {"schemas"},
    "stores": {"schemas"},
    "reports": {"pipelines", "schemas"},
    "flows": {"pipelines", "schemas", "stores", "reports"},
    "web": {"pipelines", "schemas", "stores", "reports"},
}
# The only places the batch side starts the web: the `dprecon serve` and
# `dprecon office` commands are the program's entry point, and import the app
# only inside the command that runs it (never at module load).
ENTRY_POINT_TO_WEB = {"flows/cli/portal.py", "flows/cli/office.py"}
# Imports that break the shape today, each with what should replace it. A test
# below fails once one is gone, so the list only ever shrinks.
KNOWN_VIOLATIONS: dict[tuple[str, str], str] = {
}
NEVER_IN_PIPELINES = {"prefect", "great_expectations", "flows"}


def _modules() -> list[Path]:
    return sorted(p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py"))


def imports_of(path: Path) -> list[tuple[str, int, bool]]:
    """``(top-level name imported, line, at module level)`` for every import in a file."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    top_level = {id(n) for n in tree.body}
    for node in tree.body:  # `if TYPE_CHECKING:` / try blocks at module level still load at import
        if isinstance(node, ast.If | ast.Try):
            top_level |= {id(n) for n in ast.walk(node)}
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(a.name.split(".")[0], node.lineno, id(node) in top_level) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.append((node.module.split(".")[0], node.lineno, id(node) in top_level))
    return out


def _edges() -> list[tuple[str, str, str, int, bool]]:
    """``(importing package, imported package, file, line, module level)``, first-party only."""
    edges = []
    for path in _modules():
        rel = path.relative_to(ROOT).as_posix()
        pkg = rel.split("/")[0]
        for name, line, module_level in imports_of(path):
            if name in PACKAGES and name != pkg:
                edges.append((pkg, name, rel, line, module_level))
    return edges


@pytest.mark.parametrize("pkg", PACKAGES)
def test_each_package_imports_only_what_it_may(pkg):
    wrong = []
    for src, dst, rel, line, module_level in _edges():
        if src != pkg or dst in ALLOWED[pkg]:
            continue
        if dst == "web" and rel in ENTRY_POINT_TO_WEB and not module_level:
            continue
        if (rel, dst) in KNOWN_VIOLATIONS:
            continue
        wrong.append(f"{rel}:{line} imports {dst}")
    assert not wrong, f"{pkg}/ may import only {sorted(ALLOWED[pkg])}:\n" + "\n".join(wrong)


def test_pipelines_are_pure():
    wrong = [f"{p.relative_to(ROOT)}:{line} imports {name}"
             for p in (ROOT / "pipelines").rglob("*.py")
             for name, line, _ in imports_of(p) if name in NEVER_IN_PIPELINES]
    assert not wrong, "pipelines/ takes frames and returns frames:\n" + "\n".join(wrong)


def test_no_import_circle_between_packages():
    graph: dict[str, set[str]] = {p: set() for p in PACKAGES}
    for src, dst, rel, _line, _top in _edges():
        if (rel, dst) not in KNOWN_VIOLATIONS:
            graph[src].add(dst)

    def reach(start: str) -> set[str]:
        seen, todo = set(), [start]
        while todo:
            for nxt in graph[todo.pop()]:
                if nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)
        return seen

    circles = [p for p in PACKAGES if p in reach(p)]
    assert not circles, f"import circle through {circles}: {graph}"


def test_known_violations_are_still_there_and_no_more():
    seen = {(rel, dst) for _src, dst, rel, _line, _top in _edges()}
    gone = [f"{rel} → {dst}" for rel, dst in KNOWN_VIOLATIONS if (rel, dst) not in seen]
    assert not gone, f"fixed, so take them off KNOWN_VIOLATIONS: {gone}"


def test_the_walker_sees_lazy_and_aliased_imports(tmp_path):
    """A look-alike must not slip through: an import inside a function still counts."""
    f = tmp_path / "m.py"
    f.write_text("import os\n\ndef serve():\n    from web.portal.app import create_app\n"
                 "    import prefect.flows as pf\n")
    assert imports_of(f) == [("os", 1, True), ("web", 4, False), ("prefect", 5, False)]
