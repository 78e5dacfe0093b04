"""Prints the import cycles of the django_bolt package and exits 1 if there is one.

    .venv/bin/python scripts/import_cycles.py [package_dir]

Every ``import``/``from ... import`` counts, including the ones inside functions (they run
too, just later), except those under ``if TYPE_CHECKING:``. Importing ``a.b`` runs ``a``'s
``__init__`` first, but that implicit edge is left out: only the imports a module writes are
its edges. ``from . import x`` is an edge to the submodule ``x`` when there is one, else to the
package's ``__init__``.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "pyext" / "django_bolt"


def modules(pkg_dir: Path) -> dict[str, Path]:
    """Dotted module name -> file, for every ``.py`` file under ``pkg_dir``, plus the extension
    modules (``_native.cpython-313-x86_64-linux-gnu.so``, or its ``.pyi`` stub), which import
    nothing of ours."""
    out = {}
    for path in sorted(pkg_dir.rglob("*")):
        if path.suffix not in (".py", ".pyi", ".so"):
            continue
        parts = list(path.relative_to(pkg_dir.parent).parts)
        parts[-1] = parts[-1].split(".", 1)[0]
        if parts[-1] == "__init__":
            parts.pop()
        name = ".".join(parts)
        if path.suffix == ".py" or name not in out:
            out[name] = path
    return out


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(tree: ast.AST) -> list[ast.Import | ast.ImportFrom]:
    """The import statements of ``tree`` at any depth, skipping ``if TYPE_CHECKING:`` bodies."""
    found: list[ast.Import | ast.ImportFrom] = []
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            found.append(node)
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            stack.extend(node.orelse)
            continue
        stack.extend(ast.iter_child_nodes(node))
    return found


def _owner(name: str, known: dict[str, Path]) -> str | None:
    """The longest known module that ``name`` is or lies in."""
    while name:
        if name in known:
            return name
        name = name.rpartition(".")[0]
    return None


def edges(known: dict[str, Path]) -> dict[str, dict[str, int]]:
    """Module -> {imported module: line of the first such import}."""
    graph: dict[str, dict[str, int]] = {m: {} for m in known}
    for mod, path in known.items():
        if path.suffix != ".py":
            continue
        is_pkg = path.name == "__init__.py"
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for node in _imports(tree):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            else:
                if node.level:
                    base = mod.split(".") if is_pkg else mod.split(".")[:-1]
                    base = base[: len(base) - (node.level - 1)]
                    source = ".".join(base + ([node.module] if node.module else []))
                else:
                    source = node.module or ""
                for a in node.names:
                    sub = f"{source}.{a.name}"
                    targets.append(sub if sub in known else source)
            for t in targets:
                owner = _owner(t, known)
                if owner is not None and owner != mod:
                    graph[mod].setdefault(owner, node.lineno)
    return graph


def cycles(graph: dict[str, dict[str, int]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan), sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return sorted(out)


def shortest_cycle(graph: dict[str, dict[str, int]], comp: list[str]) -> list[str]:
    """One shortest cycle through the first module of ``comp``, as a path that ends where it starts."""
    start = comp[0]
    members = set(comp)
    prev: dict[str, str] = {}
    queue = [start]
    for v in queue:
        for w in sorted(graph[v]):
            if w not in members:
                continue
            if w == start:
                path = [v]
                while path[-1] != start:
                    path.append(prev[path[-1]])
                return [start, *reversed(path[:-1]), start]
            if w not in prev:
                prev[w] = v
                queue.append(w)
    return comp


def main(argv: list[str]) -> int:
    pkg_dir = Path(argv[1]) if len(argv) > 1 else PACKAGE
    known = modules(pkg_dir)
    graph = edges(known)
    found = cycles(graph)
    for comp in found:
        path = shortest_cycle(graph, comp)
        steps = " -> ".join(f"{a} (line {graph[a][b]})" for a, b in zip(path, path[1:], strict=False))
        print(f"import cycle among {', '.join(comp)}:\n  {steps} -> {path[-1]}")
    if found:
        return 1
    print(f"no import cycle in {pkg_dir.name} ({len(known)} modules)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
