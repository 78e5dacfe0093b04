#!/usr/bin/env python3
"""Checks the import rule of src/ (src/lib.rs): a top-level module uses only layers before its
own, and no two sibling files of one directory use each other, directly or around a circle.
Exits 1 naming each violation. Standard library only."""

from __future__ import annotations

import re
import sys
from pathlib import Path

SRC = Path(__file__).resolve().parent.parent / "src"
# In import order; modules of one layer do not use each other.
LAYERS = [
    ["py"],
    ["http"],
    ["validation"],
    ["codec"],
    ["router", "cors", "ratelimit", "static_files", "auth", "params", "compression"],
    ["app"],
    ["runtime"],
    ["module"],
]
LAYER = {m: i for i, names in enumerate(LAYERS) for m in names}
CRATE = re.compile(r"\bcrate::(\w+)(?:::\{?(\w+))?")
SUPER = re.compile(r"\bsuper::\{?([\w, ]+)")


def code_of(path: Path) -> str:
    text = path.read_text()
    # Unit tests may reach anywhere; they are not part of the layering.
    cut = text.find("#[cfg(test)]")
    return text if cut < 0 else text[:cut]


def top_module(path: Path) -> str:
    return path.relative_to(SRC).parts[0].removesuffix(".rs")


def circles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Every circle a depth-first walk of ``edges`` runs into, as the names along it."""
    found: list[list[str]] = []
    state: dict[str, int] = {}  # 1: on the current path, 2: done

    def visit(n: str, stack: list[str]) -> None:
        state[n] = 1
        for m in sorted(edges.get(n, ())):
            if state.get(m) == 1:
                found.append(stack[stack.index(m) :] + [m])
            elif m not in state:
                visit(m, stack + [m])
        state[n] = 2

    for n in sorted(edges):
        if n not in state:
            visit(n, [n])
    return found


def main() -> int:
    problems: list[str] = []
    files = sorted(p for p in SRC.rglob("*.rs") if p.name != "lib.rs")
    # 1. layers between top-level modules
    for f in files:
        me = top_module(f)
        for m in CRATE.finditer(code_of(f)):
            other = m.group(1)
            if other == me or other not in LAYER:
                continue
            if LAYER[other] >= LAYER[me]:
                problems.append(
                    f"{f.relative_to(SRC)}: {me} (layer {LAYER[me] + 1}) uses {other} (layer {LAYER[other] + 1})"
                )
    # 2. circles between sibling files of one directory (a child using its parent's `mod.rs`
    #    is not a sibling edge)
    dirs: dict[Path, dict[str, set[str]]] = {}
    for f in files:
        if f.name == "mod.rs":
            continue
        siblings = {p.stem for p in f.parent.glob("*.rs") if p.name != "mod.rs"} | {
            p.name for p in f.parent.iterdir() if p.is_dir()
        }
        edges = dirs.setdefault(f.parent, {})
        uses = edges.setdefault(f.stem, set())
        text = code_of(f)
        prefix = ".".join(f.parent.relative_to(SRC).parts)
        for m in SUPER.finditer(text):
            for name in re.split(r"[,\s]+", m.group(1)):
                if name in siblings and name != f.stem:
                    uses.add(name)
        for m in CRATE.finditer(text):
            if prefix and m.group(1) == prefix and m.group(2) in siblings and m.group(2) != f.stem:
                uses.add(m.group(2))
    for d, edges in dirs.items():
        problems += [f"{d.relative_to(SRC) or 'src'}/: circle " + " -> ".join(c) for c in circles(edges)]
    for p in problems:
        print(p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
