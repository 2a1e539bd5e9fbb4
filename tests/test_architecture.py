"""The layers of design.md hold: dependencies point one way and no two modules import each
other (imports inside functions count; imports only for type checking do not)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SOURCE = Path(__file__).resolve().parents[1] / "src" / "gsomia"

ALLOWED: dict[str, set[str]] = {
    "core": {"core"},
    "errors": {"core"},
    "formats": {"core", "errors", "formats"},
    "crypto": {"core", "errors", "formats", "crypto"},
    "ledger": {"core", "errors", "ledger"},
    "reference": {"core", "errors", "reference"},
    "store": {"core", "errors", "ledger", "crypto", "store"},
    "node": {"core", "errors", "formats", "crypto", "ledger", "reference", "store", "node"},
    "demo": {"core", "errors", "formats", "crypto", "ledger", "reference", "store", "node", "demo"},
    "api": {"core", "errors", "crypto", "ledger", "node", "store", "api", "version"},
    "cli": {"core", "errors", "crypto", "ledger", "node", "store", "demo", "api", "cli", "version"},
    "version": set(),
    "main": {"cli"},
}
"""Which parts of gsomia each part may import (`version` is gsomia/__init__.py)."""


def module_name(path: Path) -> str:
    parts = path.relative_to(SOURCE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def part(module: str) -> str:
    pieces = module.split(".")
    if len(pieces) == 1:
        return "version"
    return {"__main__": "main"}.get(pieces[1], pieces[1])


def imports(path: Path) -> set[str]:
    """The gsomia modules `path` imports at run time (anywhere but `if TYPE_CHECKING:`)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    type_checking = {
        id(node)
        for block in ast.walk(tree)
        if isinstance(block, ast.If)
        and isinstance(block.test, ast.Name)
        and block.test.id == "TYPE_CHECKING"
        for statement in block.body
        for node in ast.walk(statement)
    }
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in type_checking:
            continue
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("gsomia")}
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("gsomia"):
            found |= {_resolve(node.module, alias.name) for alias in node.names}
    return found


def _resolve(module: str, name: str) -> str:
    """`from module import name`: the submodule `name` if there is one, else `module`."""
    candidate = SOURCE.parent / module.replace(".", "/") / name
    if candidate.with_suffix(".py").exists() or candidate.is_dir():
        return f"{module}.{name}"
    return module


GRAPH = {module_name(path): imports(path) for path in sorted(SOURCE.rglob("*.py"))}


@pytest.mark.parametrize("module", sorted(GRAPH))
def test_each_module_imports_only_from_its_own_layer_or_below(module):
    allowed = ALLOWED[part(module)]
    wrong = sorted(m for m in GRAPH[module] if part(m) not in allowed)
    assert not wrong, f"{module} ({part(module)}) imports {wrong}"


def test_no_two_modules_import_each_other():
    cycles = []
    for module, targets in GRAPH.items():
        for target in targets:
            if target in GRAPH and module in _reachable(target):
                cycles.append((module, target))
    assert not cycles, cycles


def _reachable(start: str) -> set[str]:
    seen: set[str] = set()
    stack = [start]
    while stack:
        current = stack.pop()
        for target in GRAPH.get(current, ()):
            if target not in seen:
                seen.add(target)
                stack.append(target)
    return seen
