"""Figures about the code's layout: lines per app, largest modules, imports between apps.

Run from anywhere: ``.venv/bin/python tools/layout_figures.py``. Standard library only.

- An app is a top-level package with an ``apps.py`` (sub-apps such as
  ``entry_exit/manifests`` count towards their top-level package).
- Lines are physical lines of ``.py`` files; "code" excludes ``migrations/`` and
  tests (``tests/`` folders, ``test_*.py``, ``conftest.py``).
- Imports are read with ``ast`` from code (not tests, not migrations), including imports
  inside functions; ``if TYPE_CHECKING:`` imports are counted too. An edge A -> B means
  a module of app A imports a module of app B.
- Cycles are strongly connected components of the import graph (apps, then modules).
"""

from __future__ import annotations

import ast
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SKIP_DIRS = {".venv", "node_modules", ".git", "staticfiles", "static", "var", "locale"}


def find_apps() -> list[str]:
    return sorted(
        p.parent.name
        for p in ROOT.glob("*/apps.py")
        if (p.parent / "__init__.py").exists() and p.parent.name not in SKIP_DIRS
    )


def is_migration(rel: Path) -> bool:
    return "migrations" in rel.parts


def is_test(rel: Path) -> bool:
    return "tests" in rel.parts or rel.name.startswith("test_") or rel.name == "conftest.py"


def module_name(rel: Path) -> str:
    parts = list(rel.with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def py_files(app: str) -> list[Path]:
    return sorted((ROOT / app).rglob("*.py"))


def count_lines(path: Path) -> int:
    with path.open("rb") as handle:
        return sum(1 for _ in handle)


def imported_names(tree: ast.AST, module: str, is_package: bool) -> set[str]:
    """Every absolute dotted name the module imports (``from a import b`` gives a and a.b)."""
    names: set[str] = set()
    package = module if is_package else module.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base_parts = package.split(".")
                if node.level > 1:
                    base_parts = base_parts[: len(base_parts) - (node.level - 1)]
                base = ".".join(base_parts)
                target = f"{base}.{node.module}" if node.module else base
            else:
                target = node.module or ""
            names.add(target)
            names.update(f"{target}.{alias.name}" for alias in node.names)
    return names


def strongly_connected(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's algorithm, iterative; components of more than one node only."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    result: list[list[str]] = []
    counter = 0
    nodes = sorted(set(graph) | {n for targets in graph.values() for n in targets})
    for start in nodes:
        if start in index:
            continue
        work = [(start, iter(sorted(graph.get(start, ()))))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            advanced = False
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                    advanced = True
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            if advanced:
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    result.append(sorted(component))
    return sorted(result)


def main() -> int:
    apps = find_apps()
    app_set = set(apps)
    code_lines: dict[str, int] = defaultdict(int)
    all_lines: dict[str, int] = defaultdict(int)
    sizes: list[tuple[int, str]] = []
    modules: dict[str, tuple[Path, bool]] = {}

    for app in apps:
        for path in py_files(app):
            rel = path.relative_to(ROOT)
            if is_migration(rel):
                continue
            lines = count_lines(path)
            all_lines[app] += lines
            if is_test(rel):
                continue
            code_lines[app] += lines
            sizes.append((lines, str(rel)))
            modules[module_name(rel)] = (path, rel.name == "__init__.py")

    app_edges: dict[tuple[str, str], set[str]] = defaultdict(set)
    module_graph: dict[str, set[str]] = defaultdict(set)
    for module, (path, is_package) in sorted(modules.items()):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        source_app = module.split(".")[0]
        for name in imported_names(tree, module, is_package):
            target_app = name.split(".")[0]
            if target_app not in app_set:
                continue
            if name in modules and name != module:
                module_graph[module].add(name)
            if target_app != source_app:
                app_edges[(source_app, target_app)].add(module)

    total_code = sum(code_lines.values())
    print(f"Apps: {', '.join(apps)}")
    print()
    print("Lines of Python per app (migrations excluded)")
    print(f"  {'app':<12} {'code':>7} {'share':>6} {'with tests':>11}")
    for app in apps:
        share = 100 * code_lines[app] / total_code if total_code else 0
        print(f"  {app:<12} {code_lines[app]:>7} {share:>5.1f}% {all_lines[app]:>11}")
    print(f"  {'total':<12} {total_code:>7} {'':>6} {sum(all_lines.values()):>11}")
    print()
    print("Largest modules (code, not tests)")
    for lines, rel in sorted(sizes, reverse=True)[:12]:
        print(f"  {lines:>5}  {rel}")
    print()
    print("App import edges (A -> B: modules of A that import B; code, not tests)")
    for (source, target), importers in sorted(app_edges.items()):
        print(f"  {source} -> {target}  ({len(importers)} modules)")
    app_graph: dict[str, set[str]] = defaultdict(set)
    for source, target in app_edges:
        app_graph[source].add(target)
    print()
    print("App-level import cycles")
    app_cycles = strongly_connected(app_graph)
    for component in app_cycles:
        pairs = [
            f"{a} <-> {b}"
            for a in component
            for b in component
            if a < b and b in app_graph[a] and a in app_graph[b]
        ]
        print(f"  {{{', '.join(component)}}}" + (f"  ({'; '.join(pairs)})" if pairs else ""))
    if not app_cycles:
        print("  none")
    print()
    print("Module-level import cycles (imports anywhere in the module, code, not tests)")
    module_cycles = strongly_connected(module_graph)
    for component in module_cycles:
        print(f"  {{{', '.join(component)}}}")
    if not module_cycles:
        print("  none")
    print()
    print(f"common imports: {', '.join(sorted(app_graph['common'])) or 'no other app'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
