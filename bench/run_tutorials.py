"""Execute the tutorials at full scale and save their outputs in place (what the docs show), timing each one.

    python bench/run_tutorials.py                       # every nbs/tutorials/*.ipynb
    python bench/run_tutorials.py 01_first_ppo 03_tuning_live

Cells marked `#| eval: false` are skipped, as nbdev skips them (the tutorials have none: they are safe for Run All).
Under `nbdev_test` the same notebooks run on tiny budgets (`IN_TEST`); here `IN_TEST` is removed so the budgets are
the full ones. Live-widget outputs are not saved (without the widget state a saved notebook shows them as raw
`VBox(...)` text; the docs show panel screenshots instead), nor are empty results. Prints one line per tutorial with
its wall time ("runnable in minutes on a laptop CPU")."""
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TUTORIALS = ROOT / "nbs" / "tutorials"


def run(path: Path) -> float:
    from execnb.nbio import read_nb, write_nb
    from execnb.shell import CaptureShell
    os.environ.pop("IN_TEST", None)
    nb = read_nb(path)
    for c in nb.cells:
        if c.cell_type == "code": c.outputs, c.execution_count = [], None
    cwd = os.getcwd(); os.chdir(path.parent)
    t0 = time.perf_counter()
    try:
        CaptureShell(str(path)).run_all(nb, exc_stop=True,
                                        preproc=lambda c: c.cell_type != "code" or "#| eval: false" in c.source)
    finally: os.chdir(cwd)
    dt = time.perf_counter() - t0
    for c in nb.cells:
        if c.cell_type == "code": c.outputs = [o for o in c.outputs if _keep(o)]
    write_nb(nb, path)
    return dt


def _keep(out) -> bool:
    "An output worth saving: not a live widget (its state is not saved), not an empty result."
    data = out.get("data", {})
    if "application/vnd.jupyter.widget-view+json" in data: return False
    if out.get("output_type") == "stream": return bool("".join(out.get("text", "")).strip())
    return out.get("output_type") == "error" or bool(data)


def main(names):
    # 00_course is the course page (no code)
    paths = [TUTORIALS / f"{n}.ipynb" for n in names] if names else sorted(TUTORIALS.glob("0[1-9]_*.ipynb"))
    print("| tutorial | wall time |\n|---|---|")
    for p in paths:
        dt = run(p)
        print(f"| {p.stem} | {dt / 60:.1f} min |", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
