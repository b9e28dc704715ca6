"""The package's layers: every import (module level or inside a function) points to the same or a lower layer, and no
modules import each other in a circle.

    utils -> env -> storage, modules -> algorithms -> runners -> workbench -> widgets, cli -> __main__

A layer may import any layer to its left. Package faces (`__init__.py` re-exports) are left out of the circles."""
import ast
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[1] / "st_rl"
LAYERS = {"utils": 0, "env": 1, "storage": 2, "modules": 2, "algorithms": 3, "runners": 4, "workbench": 5, "widgets": 6,
          "cli": 6, "__main__": 7}


def modules() -> dict[str, Path]:
    out = {}
    for p in PKG.rglob("*.py"):
        if p.name == "_modidx.py": continue
        parts = p.relative_to(PKG.parent).with_suffix("").parts
        out[".".join(parts[:-1] if p.name == "__init__.py" else parts)] = p
    return out


def imported(path: Path, mod: str):
    "Every st_rl module `path` imports (absolute or relative; `from x import y` where y is a module counts)."
    pkg = mod if path.name == "__init__.py" else mod.rsplit(".", 1)[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from (a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = pkg.split(".")
            if node.level: base = base[:len(base) - (node.level - 1)] if node.level > 1 else base
            target = ".".join(base + [node.module]) if node.level and node.module else (".".join(base) if node.level else node.module)
            yield target
            yield from (f"{target}.{a.name}" for a in node.names)


def layer(mod: str):
    parts = mod.split(".")
    return LAYERS.get(parts[1]) if parts[0] == "st_rl" and len(parts) > 1 else None


def edges():
    mods = modules()
    out = {}
    for mod, path in mods.items():
        for t in imported(path, mod):
            tgt = next((m for m in (t, t.rsplit(".", 1)[0]) if m in mods), None)
            if tgt and tgt != mod: out.setdefault(mod, set()).add(tgt)
    return mods, out


def test_no_import_points_up_the_layers():
    mods, out = edges()
    up = sorted(f"{m} -> {t}" for m, ts in out.items() for t in ts
                if layer(m) is not None and layer(t) is not None and layer(t) > layer(m))
    assert up == [], "imports that point up the layers (move the shared piece down):\n" + "\n".join(up)


def test_no_import_circles():
    mods, out = edges()
    faces = {m for m, p in mods.items() if p.name == "__init__.py"}
    graph = {m: {t for t in ts if t not in faces} for m, ts in out.items() if m not in faces}
    index, low, stack, on, circles, counter = {}, {}, [], set(), [], [0]

    def visit(v):                                  # Tarjan's strongly connected components
        index[v] = low[v] = counter[0]; counter[0] += 1; stack.append(v); on.add(v)
        for w in graph.get(v, ()):
            if w not in index: visit(w); low[v] = min(low[v], low[w])
            elif w in on: low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop(); on.discard(w); comp.append(w)
                if w == v: break
            if len(comp) > 1: circles.append(" <-> ".join(sorted(comp)))
    for v in graph:
        if v not in index: visit(v)
    assert circles == [], "modules that import each other in a circle:\n" + "\n".join(circles)


@pytest.mark.parametrize("mod, target, expected", [("st_rl.utils.core", "st_rl.runners.runs", True),
                                                   ("st_rl.runners.runs", "st_rl.utils.core", False)])
def test_the_check_sees_an_upward_import(mod, target, expected):
    assert (layer(target) > layer(mod)) == expected
