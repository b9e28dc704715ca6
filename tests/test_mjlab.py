"""mjlab tasks through st_rl's command line: train, export, play (torch and ONNX side by side), one-line errors.

They need mjlab, which pins its own MuJoCo: `.ci/run` runs them in a virtual environment of their own (the README's
mjlab install line); without mjlab they are skipped (and the notebook `03d_mjlab` checks the install message)."""
import json
import os

import numpy as np
import pytest

from tests.conftest import st_rl

pytest.importorskip("mjlab")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")        # Warp on the CPU unless a GPU machine asks otherwise
TASK = "Mjlab-Velocity-Flat-Unitree-Go1"


@pytest.fixture(scope="module")
def go1_run(tmp_path_factory):
    run = tmp_path_factory.mktemp("mjlab") / "go1"
    r = st_rl("train", "--task", TASK, "--num_envs", "4", "--max_iterations", "2", "--log_dir", run, timeout=900)
    return run, json.loads(r.stdout.strip().splitlines()[-1])


def test_train_reads_the_task_and_its_agent_config(go1_run):
    run, summary = go1_run
    assert summary["iterations"] == 2 and summary["env_steps"] == 2 * 4 * 24          # mjlab's 24 steps per env
    lines = [json.loads(l) for l in (run / "metrics.jsonl").read_text().splitlines()]
    assert [l["iteration"] for l in lines] == [1, 2] and all(np.isfinite(l["value_loss"]) for l in lines)
    cfg = json.loads((run / "config.json").read_text())
    assert cfg["env"]["task"] == TASK and cfg["env"]["num_envs"] == 4
    assert cfg["policy"]["actor_hidden_dims"] == [512, 256, 128] and cfg["empirical_normalization"] is True
    assert cfg["algorithm"]["schedule"] == "adaptive" and cfg["algorithm"]["entropy_coef"] == 0.01


def test_export_and_play_onnx_beside_torch(go1_run, tmp_path):
    run, _ = go1_run
    out = json.loads(st_rl("export", "--run", run, "--out", tmp_path / "go1.onnx").stdout.splitlines()[-1])
    assert out["num_obs"] == 48 and (tmp_path / "go1.onnx").stat().st_size > 0
    res = json.loads(st_rl("play", "--onnx", out["onnx"], "--run", run, "--episodes", "1",
                           timeout=900).stdout.splitlines()[-1])
    assert res["task"] == TASK and res["episodes"] == 1 and res["max_abs_action_diff"] < 1e-4
    assert 0 < res["mean_episode_length"] <= 1000 and np.isfinite(res["mean_return"])


def test_unknown_task_is_one_line():
    r = st_rl("train", "--task", "Mjlab-Velocity-Flat-Unitree-Go2", "--max_iterations", "1", check=False)
    lines = [l for l in r.stderr.strip().splitlines() if l.strip()]
    assert r.returncode == 2 and lines[-1].startswith("st_rl: error: unknown mjlab task"), r.stderr[-2000:]
    assert "did you mean Mjlab-Velocity-Flat-Unitree-Go1" in lines[-1] and "Traceback" not in r.stderr
