"""The package's form, as the notebooks promise it: lines of at most 120 characters, methods attached with `@patch`
(never `Class.method = function`, which shows up as `_function` in tracebacks, help() and the docs index), and the
two loops a reader must follow each on one screen."""
import ast
import inspect
from pathlib import Path

PKG = Path(__file__).resolve().parents[1] / "st_rl"
SOURCES = sorted(p for p in PKG.rglob("*.py") if p.name != "_modidx.py")


def test_lines_fit_120_characters():
    long = []
    for p in SOURCES:
        in_all = False
        for i, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1):
            in_all = line.startswith("__all__ = [") or (in_all and line.startswith(" " * 11))   # nbdev's header
            if len(line) > 120 and not in_all: long.append(f"{p.relative_to(PKG.parent)}:{i} ({len(line)})")
    assert long == [], f"{len(long)} lines over 120 characters:\n" + "\n".join(long[:40])


def test_no_method_attached_by_assignment():
    found = []
    for p in SOURCES:
        tree = ast.parse(p.read_text(encoding="utf-8"))
        functions = {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}
        for n in tree.body:
            if (isinstance(n, ast.Assign) and any(isinstance(t, ast.Attribute) for t in n.targets)
                    and (isinstance(n.value, ast.Lambda) or (isinstance(n.value, ast.Name) and n.value.id in functions)
                         or (isinstance(n.value, ast.Call) and getattr(n.value.func, "id", "") == "property"))):
                found.append(f"{p.relative_to(PKG.parent)}:{n.lineno}: {ast.unparse(n)[:80]}")
    assert found == [], "use @patch instead:\n" + "\n".join(found)


def test_the_loops_fit_on_one_screen():
    from st_rl.algorithms.ppo import PPO
    from st_rl.runners.on_policy_runner import OnPolicyRunner
    for f in (PPO.update, OnPolicyRunner.train_iteration, OnPolicyRunner.learn):
        n = len(inspect.getsource(f).splitlines())
        assert n <= 45, f"{f.__qualname__} is {n} lines"


def test_export_cells_hold_one_idea():
    "Every exported notebook cell is at most 80 lines (most are under 40): one idea, then its example or test."
    import json
    nbs = Path(__file__).resolve().parents[1] / "nbs"
    long = []
    for nb in sorted(nbs.glob("*.ipynb")):
        for c in json.loads(nb.read_text(encoding="utf-8"))["cells"]:
            src = "".join(c["source"])
            if c["cell_type"] == "code" and src.startswith("#| export") and len(src.splitlines()) > 80:
                long.append(f"{nb.name} cell {c.get('id')}: {len(src.splitlines())} lines")
    assert long == [], "\n".join(long)
