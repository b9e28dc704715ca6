"""bench/learning_report.py (the learning-quality report of issue 24's study) and bench/learning_curves.sh: the
statistics on made-up runs whose answers are known, and the shell driver end to end on a two-iteration run."""
import importlib.util
import json
import os
import subprocess
import sys

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
    # bench/episode_ends.py on the same run: one line per episode, how it ended agrees with its length, then a tally
    r = subprocess.run([sys.executable, str(ROOT / "bench" / "episode_ends.py"), str(tmp_path / "Hopper-v5_s3"),
                        "--episodes", "2"], cwd=ROOT, capture_output=True, text=True, timeout=600, env=env)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]
    lines = r.stdout.strip().splitlines()
    eps = [json.loads(l) for l in lines[:2]]
    for e in eps:
        assert e["end"].startswith("terminated") == (e["length"] < 1000) and np.isfinite(e["return"]), e
        assert ("below the healthy height" in e["end"]) == (e["end"].startswith("terminated") and e["height"] < 0.7)
    assert lines[2].startswith(f"{tmp_path / 'Hopper-v5_s3'}: mean return ") and len(lines) == 3


def test_episode_ends_up_axis():
    """The up-axis that tells an Ant on its back: 1 upright, -1 turned over about x, 0 tipped onto its side."""
    spec = importlib.util.spec_from_file_location("episode_ends", ROOT / "bench" / "episode_ends.py")
    ee = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(ee)
    h = np.sqrt(0.5)
    assert ee.up_axis([1, 0, 0, 0]) == 1.0 and ee.up_axis([0, 1, 0, 0]) == -1.0
    assert abs(ee.up_axis([h, 0, h, 0])) < 1e-12 and ee.up_axis([h, 0, 0, h]) == 1.0   # a turn about z keeps it up


def test_peer_learning_reads_rl_zoo_values_per_task():
    """bench/peer_learning.py (SB3 itself is not a dependency): RL Zoo's values by task family, a fresh copy each time,
    and a clear error for a task RL Zoo has no PPO entry for."""
    spec = importlib.util.spec_from_file_location("peer_learning", ROOT / "bench" / "peer_learning.py")
    pl = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(pl)
    assert pl.hyperparameters("Ant-v5") == {"normalize": True, "n_envs": 1}      # RL Zoo's Ant: SB3's own values
    hc = pl.hyperparameters("HalfCheetah-v5")
    assert hc["gamma"] == 0.98 and hc["policy_kwargs"]["net_arch"] == {"pi": [256, 256], "vf": [256, 256]}
    hc["policy_kwargs"]["net_arch"]["pi"].append(1)
    assert pl.hyperparameters("HalfCheetah-v5")["policy_kwargs"]["net_arch"]["pi"] == [256, 256]
    try:
        pl.hyperparameters("Swimmer-v5")
        raise AssertionError("no error")
    except SystemExit as e:
        assert "no RL Zoo PPO entry for 'Swimmer-v5'" in str(e) and "Ant" in str(e)
    assert pl.parse_value("false") is False and pl.parse_value("abc") == "abc"
    assert pl.env_kwargs_from(["include_cfrc_ext_in_observation=false", "x=a=b"]) == {
        "include_cfrc_ext_in_observation": False, "x": "a=b"}
    for bad in ("include_cfrc_ext_in_observation", "=1"):               # not KEY=VALUE: named, not a traceback
        try:
            pl.env_kwargs_from([bad])
            raise AssertionError("no error")
        except SystemExit as e:
            assert f"--set takes KEY=VALUE, got {bad!r}" in str(e)


def test_episode_ends_refuses_a_task_without_mujoco_state(tmp_path):
    """A PointMass run (not a gymnasium MuJoCo task): one clear line naming the task, exit status 1, no traceback."""
    run = tmp_path / "pm"
    r = subprocess.run([sys.executable, "-m", "st_rl", "train", "--task", "PointMass", "--log_dir", str(run), "--set",
                        "max_iterations=1", "num_steps_per_env=8", "logger=none", "print_interval=0"],
                       cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    r = subprocess.run([sys.executable, str(ROOT / "bench" / "episode_ends.py"), str(run)], cwd=ROOT,
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert "episode_ends needs a gymnasium MuJoCo task" in r.stderr and "'PointMass'" in r.stderr


def test_seed_noise_statistics_have_known_answers():
    # a difference between arms whose seeds never overlap is outside the interval's reach of 0, and its sign is kept
    d, lo, hi = lr.diff_ci([1000, 1100, 1200], [3000, 3100, 3200])
    assert d == 2000 and 1800 <= lo < 2000 < hi <= 2200
    d, lo, hi = lr.diff_ci([3000, 3100, 3200], [1000, 1100, 1200])
    assert d == -2000 and hi < 0
    # arms drawn from one wide spread: the interval holds 0 even though the means differ by 300
    d, lo, hi = lr.diff_ci([2000, 3000, 4000], [2300, 3300, 4300])
    assert d == 300 and lo < 0 < hi
    assert lr.diff_ci([5.0, 5.0], [7.0, 7.0]) == (2.0, 2.0, 2.0)
    # the chance that a 3-seed mean reaches the target: certain, impossible, and in between
    assert lr.pass_chance([3100, 3200, 3300], 3000) == 1.0
    assert lr.pass_chance([2000, 2500, 2900], 3000) == 0.0
    p = lr.pass_chance([2000, 4000], 3000)     # means of 3 draws of two values: >= 3000 when 4000 is drawn 2+ times
    assert abs(p - 0.5) < 0.02


def test_compare_names_the_verdict(tmp_path, capsys):
    base, cand = tmp_path / "base", tmp_path / "cand"
    for s, (fb, fc) in enumerate([(1000.0, 3000.0), (1100.0, 3100.0), (1200.0, 3200.0)], 1):
        _run(base, "Ant-v5", s, fb, [0.1])
        _run(cand, "Ant-v5", s, fc, [0.1])
    rb, rc = lr.read_results(str(base)), lr.read_results(str(cand))
    lr.compare(rb, rc, "base", "cand")
    out = capsys.readouterr().out
    assert "cand against base" in out and "3 against 3: higher" in out and "2000" in out
    lr.report(rc)
    out = capsys.readouterr().out
    assert "std over seeds" in out and "100%" in out      # every 3-seed mean of 3000-3200 reaches Ant's 3000
