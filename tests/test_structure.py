"""The package's shape, as the README's Development section draws it: module-level imports
flow one way (no cycle), and the task pool is a leaf the cluster backend can import alone."""

from __future__ import annotations

import ast
import graphlib
from pathlib import Path

import pressroom

PACKAGE = Path(pressroom.__file__).parent


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_module(name: str) -> bool:
    where = PACKAGE.parent / name.replace(".", "/")
    return where.with_suffix(".py").is_file() or where.is_dir()


def import_graph() -> dict[str, set[str]]:
    """Module -> the pressroom modules it imports at module level (imports inside
    functions are deferred on purpose, to keep start-up light, and are left out)."""
    graph = {}
    for path in PACKAGE.rglob("*.py"):
        name = _module_name(path)
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        found = set()
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if not isinstance(node, ast.ImportFrom):
                continue
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([node.module] if node.module else []))
            if not base.startswith("pressroom"):
                continue
            for alias in node.names:
                full = f"{base}.{alias.name}"
                found.add(full if _is_module(full) else base)
        graph[name] = found - {name}
    return graph


def test_module_imports_form_no_cycle():
    graph = import_graph()
    assert "pressroom.builds.runner" in graph and "pressroom.builds.pool" in graph
    try:
        list(graphlib.TopologicalSorter(graph).static_order())
    except graphlib.CycleError as error:
        raise AssertionError(f"import cycle: {' -> '.join(error.args[1])}") from None


def test_the_cluster_backend_needs_only_the_task_pool():
    graph = import_graph()
    builds_used = {m for m in graph["pressroom.distributed"] if m.startswith("pressroom.builds")}
    assert builds_used == {"pressroom.builds.pool"}
    # ... and the pool knows nothing of planning, scheduling or the build's records.
    below = set(graphlib.TopologicalSorter(graph).static_order())
    reach, todo = set(), ["pressroom.builds.pool"]
    while todo:
        for dep in graph.get(todo.pop(), ()):
            if dep not in reach and dep in below:
                reach.add(dep)
                todo.append(dep)
    for upper in ("planning", "schedule", "runner", "records", "cache"):
        assert f"pressroom.builds.{upper}" not in reach
