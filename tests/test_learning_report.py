"""bench/learning_report.py (the learning-quality report of issue 24's study) and bench/learning_curves.sh: the
statistics on made-up runs whose answers are known, and the shell driver end to end on a two-iteration run."""
import importlib.util
import json
import os
import subprocess

import numpy as np
from .conftest import ROOT

spec = importlib.util.spec_from_file_location("learning_report", ROOT / "bench" / "learning_report.py")
lr = importlib.util.module_from_spec(spec)
spec.loader.exec_module(lr)


def test_iqm_drops_the_outer_quarters():
    assert lr.iqm([1, 2, 3, 4]) == 2.5                      # the middle two of four
    assert lr.iqm([0, 10, 10, 10, 10, 10, 10, 1000]) == 10  # one outlier on each side does not move it
    assert lr.iqm([7]) == 7


def test_bootstrap_ci_brackets_the_statistic_and_is_stratified():
    rng = np.random.default_rng(1)
    a, b = rng.normal(0, 1, 30), rng.normal(10, 1, 30)
    lo, hi = lr.bootstrap_ci([a, b], np.mean, reps=2000)
    assert lo < np.mean(np.concatenate([a, b])) < hi and hi - lo < 1.0
    # stratified: every resample keeps 30 runs of each task, so the two tasks' 10-point gap never widens the interval
    assert lr.bootstrap_ci([[3.0, 3.0], [5.0, 5.0]], np.mean) == (4.0, 4.0)


def _run(root, task, seed, final, kls, checkpoint=None, steps_per_it=2048):
    d = root / f"{task}_s{seed}"
    d.mkdir(parents=True)
    lines = [{"iteration": i + 1, "env_steps": (i + 1) * steps_per_it, "mean_return": 100.0 * (i + 1), "kl": k,
              "clip_fraction": 0.3, "time_elapsed": (i + 1) * 2.0} for i, k in enumerate(kls)]
    (d / "metrics.jsonl").write_text("".join(json.dumps(l) + "\n" for l in lines))
    (root / f"{task}_s{seed}.eval.json").write_text(json.dumps(
        {"task": task, "seed": seed, "mean_return": final, "std_return": 1.0, "checkpoint": checkpoint}))


def test_report_and_figure_on_made_up_runs(tmp_path, capsys):
    _run(tmp_path, "Hopper-v5", 1, 2000.0, [0.01, 0.9, 0.02], checkpoint="x/model_2.pt", steps_per_it=500_000)
    _run(tmp_path, "Hopper-v5", 2, 3000.0, [0.03, 0.04, 0.6], steps_per_it=500_000)
    res = lr.read_results(str(tmp_path))
    assert [r["seed"] for r in res["Hopper-v5"]] == [1, 2]
    assert lr.evaluated_steps(res["Hopper-v5"][0]) == 1_000_000      # the checkpoint played: iteration 2
    assert lr.evaluated_steps(res["Hopper-v5"][1]) == 1_500_000      # no checkpoint named: the last line
    lr.report(res)
    out = capsys.readouterr().out
    assert "s1 2000, s2 3000" in out and "Hopper-v5           2500" in out
    assert "normalised score (return / target), mean over 2 runs: 1.000" in out    # 2500 is Hopper's target
    assert "    2 of    6" in out                                                # KL > 0.5 in 2 of 6 iterations
    _run(tmp_path, "Ant-v5", 1, 1000.0, [0.1], checkpoint="x/model_1.pt", steps_per_it=352_000)
    lr.report(lr.read_results(str(tmp_path)))
    assert "s1 1000 (at 352k steps)" in capsys.readouterr().out                # a stopped run says where it stopped
    png = tmp_path / "curves.png"
    lr.figure({"a": lr.read_results(str(tmp_path))}, str(png))
    assert png.stat().st_size > 10_000


def test_learning_curves_script_end_to_end(tmp_path):
    """The driver trains, evaluates and reports: two iterations of Hopper, one seed."""
    env = {**os.environ, "OUT_DIR": str(tmp_path), "MUJOCO_GL": "egl",
           "SET": "max_iterations=2 num_steps_per_env=16 save_interval=0 env.num_workers=0"}
    r = subprocess.run(["bash", str(ROOT / "bench" / "learning_curves.sh"), "Hopper-v5", "3", "1"], cwd=ROOT,
                       capture_output=True, text=True, timeout=600, env=env)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]
    ev = json.loads((tmp_path / "Hopper-v5_s3.eval.json").read_text())
    assert ev["task"] == "Hopper-v5" and ev["seed"] == 3 and ev["checkpoint"].endswith("model_2.pt")
    assert np.isfinite(ev["mean_return"])
    assert "Hopper-v5" in r.stdout and "(at 0k steps)" in r.stdout and (tmp_path / "learning_curves.png").exists()
