"""Nothing is lost: a run directory has one owner, is never reused without --resume, keeps the env it trained on,
survives a full disk, and keeps its learning-rate curve continuous across a resume with a new total."""
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from tests.conftest import ROOT, st_rl

TINY = ["--set", "num_steps_per_env=8", "logger=none", "policy.actor_hidden_dims=[8]", "policy.critic_hidden_dims=[8]",
        "algorithm.num_mini_batches=2"]


def error_lines(r):
    return [l for l in r.stderr.splitlines() if l.strip() and not l.startswith("st_rl: warning:") and "settotalmass" not in l]


def test_two_trainers_on_one_dir(tmp_path):
    run = tmp_path / "run"
    first = subprocess.Popen([sys.executable, "-m", "st_rl", "train", "--task", "PointMass", "--max_iterations", "400",
                              "--log_dir", str(run), *TINY], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.time() + 120
        while not (run / "metrics.jsonl").exists() and first.poll() is None and time.time() < deadline: time.sleep(0.2)
        assert first.poll() is None, first.stderr.read()
        second = st_rl("train", "--resume", str(run), check=False)            # a second trainer on the run in use
        assert second.returncode == 2 and len(error_lines(second)) == 1, second.stderr
        assert f"is in use by pid {first.pid} on host" in second.stderr
        again = st_rl("train", "--task", "PointMass", "--max_iterations", "1", "--log_dir", str(run), *TINY, check=False)
        assert again.returncode == 2 and "already holds a run; continue it with --resume" in again.stderr
    finally:
        first.terminate(); first.wait(60)
    assert first.returncode == 128 + 15                                          # SIGTERM: saved and stopped cleanly
    lines = [json.loads(l) for l in (run / "metrics.jsonl").read_text().splitlines()]
    assert [l["iteration"] for l in lines] == list(range(1, len(lines) + 1))      # one run's metrics, not interleaved
    resumed = st_rl("train", "--resume", str(run), "--max_iterations", str(len(lines) + 1))   # the lock went with the owner
    assert json.loads(resumed.stdout.splitlines()[-1])["iterations"] == len(lines) + 1


def test_repeated_set_flags_all_count(tmp_path):
    run = tmp_path / "run"
    st_rl("train", "--task", "PointMass", "--max_iterations", "1", "--log_dir", str(run), "--set", "seed=7", "--set", "logger=none",
          "num_steps_per_env=8", "--set", "algorithm.learning_rate=1e-3")
    cfg = json.loads((run / "config.json").read_text())
    assert (cfg["seed"], cfg["logger"], cfg["num_steps_per_env"], cfg["algorithm"]["learning_rate"]) == (7, "none", 8, 1e-3)


def test_yaml_scientific_notation(tmp_path):
    (tmp_path / "cfg.yaml").write_text("logger: none\nnum_steps_per_env: 8\nalgorithm:\n  learning_rate: 1e-3\n")
    st_rl("train", "--task", "PointMass", "--max_iterations", "1", "--log_dir", str(tmp_path / "run"), "--config", str(tmp_path / "cfg.yaml"))
    assert json.loads((tmp_path / "run" / "config.json").read_text())["algorithm"]["learning_rate"] == 1e-3


def test_minibatch_count_that_cannot_split_the_rollout_is_refused_before_the_run_dir_is_made(tmp_path):
    run = tmp_path / "run"
    r = st_rl("train", "--task", "PointMass", "--max_iterations", "1", "--log_dir", str(run), "--set", "logger=none",
              "num_steps_per_env=10", "env.num_envs=8", "algorithm.num_mini_batches=7", check=False)
    assert r.returncode == 2 and error_lines(r) == [
        "st_rl: error: algorithm.num_mini_batches=7 must divide num_envs x num_steps_per_env = 8 x 10 = 80 "
        "(env.num_envs, num_steps_per_env)"], r.stderr
    assert not run.exists()                                       # nothing half-made is left to refuse the next start
    st_rl("train", "--task", "PointMass", "--max_iterations", "1", "--log_dir", str(run), "--set", "logger=none",
          "num_steps_per_env=10", "env.num_envs=8", "algorithm.num_mini_batches=8")
    assert (run / "config.json").exists()


def test_readme_python_example_replays_in_its_task(tmp_path):
    """The README's Python example (a GymVecEnv of Walker2d-v5 handed to OnPolicyRunner) records Walker2d-v5, not the
    config's default env, so `st_rl play` replays the right robot."""
    code = f"""
from st_rl.env.gym_adapter import GymVecEnv
from st_rl.runners.on_policy_runner import OnPolicyRunner
env = GymVecEnv("Walker2d-v5", num_envs=2, seed=1, num_workers=0)
runner = OnPolicyRunner(env, {{"num_steps_per_env": 16, "logger": "none", "algorithm": {{"class_name": "PPO", "learning_rate": 3e-4}},
                              "policy": {{"class_name": "ActorCritic", "actor_hidden_dims": [16, 16]}}}}, log_dir={str(tmp_path / 'walker')!r})
runner.learn(1)
"""
    r = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    assert json.loads((tmp_path / "walker" / "config.json").read_text())["env"]["task"] == "Walker2d-v5"
    res = json.loads(st_rl("play", "--run", str(tmp_path / "walker"), "--episodes", "1").stdout.splitlines()[-1])
    assert res["task"] == "Walker2d-v5" and res["episodes"] == 1


def _lrs(run):
    return {l["iteration"]: l["learning_rate"] for l in map(json.loads, (run / "metrics.jsonl").read_text().splitlines())}


def test_learning_rate_curve_is_continuous_across_a_resume_with_a_new_total(tmp_path):
    run = tmp_path / "run"
    st_rl("train", "--task", "PointMass", "--max_iterations", "10", "--log_dir", str(run), *TINY,
          "algorithm.schedule=linear", "algorithm.learning_rate=1e-3", "save_interval=4")
    (run / "model_10.pt").unlink()                                     # continue from iteration 8 ...
    r = st_rl("train", "--resume", str(run), "--max_iterations", "20")  # ... to twice the total
    assert "linear learning-rate decay is re-planned" in r.stdout, r.stdout[-1500:]
    lr = _lrs(run)
    assert sorted(lr) == list(range(1, 21))
    steps = [lr[i] - lr[i + 1] for i in range(1, 20)]
    assert all(s >= -1e-12 for s in steps), lr                         # never goes up
    regular = 1e-3 / 10                                                 # one step of the original plan
    assert max(steps) <= regular * 1.001, (max(steps), lr)              # no jump at the resume
    assert lr[20] < lr[9] / 5                                           # and still decays towards 0 at the new total


def _mount_tmpfs(path: Path, size: str) -> bool:
    path.mkdir(parents=True, exist_ok=True)
    return os.geteuid() == 0 and subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)],
                                               capture_output=True).returncode == 0


def test_disk_full_leaves_the_run_resumable(tmp_path):
    disk = tmp_path / "disk"
    if not _mount_tmpfs(disk, "6m"): pytest.skip("mounting a small tmpfs needs root and mount permission")
    try:
        run = disk / "run"
        st_rl("train", "--task", "PointMass", "--max_iterations", "3", "--log_dir", str(run), *TINY, "save_interval=1")
        free = shutil.disk_usage(disk).free
        (disk / "filler").write_bytes(b"\0" * max(free - 4096, 0))   # the disk is now full
        r = st_rl("train", "--resume", str(run), "--max_iterations", "6", check=False)
        lines = error_lines(r)
        assert r.returncode == 2 and len(lines) == 1, r.stderr[-2000:]
        assert lines[0].startswith("st_rl: error: ") and "No space left on device" in lines[0] and "--resume" in lines[0], lines
        assert torch.load(run / "model_3.pt", weights_only=True)["iter"] == 3          # the previous checkpoint is intact
        assert not list(run.glob(".*.tmp"))                                            # no half-written leftovers
        (disk / "filler").unlink()
        done = st_rl("train", "--resume", str(run), "--max_iterations", "6")
        assert json.loads(done.stdout.splitlines()[-1])["iterations"] == 6
        assert [json.loads(l)["iteration"] for l in (run / "metrics.jsonl").read_text().splitlines()] == list(range(1, 7))
    finally:
        subprocess.run(["umount", str(disk)], capture_output=True)
