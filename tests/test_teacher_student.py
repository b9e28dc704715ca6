"""The teacher -> student workflow from the command line, on the point mass: train a teacher, collect its
demonstrations, pretrain a student on them (TwoStageRunner), distil with TPPO, and run a DAgger collector beside a
dataset-only trainer on one directory."""
import json
import subprocess
import sys

import pytest

from st_rl.storage.rollout_files import RolloutDataset
from tests.conftest import ROOT, st_rl

SMALL = ["policy.actor_hidden_dims=[32,32]", "policy.critic_hidden_dims=[32,32]", "num_steps_per_env=32",
         "algorithm.num_mini_batches=4", "algorithm.learning_rate=1e-3", "logger=none"]


def last_json(r): return json.loads(r.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def teacher(tmp_path_factory):
    run = tmp_path_factory.mktemp("ts") / "teacher"
    st_rl("train", "--task", "PointMass", "--num_envs", "16", "--max_iterations", "30", "--log_dir", str(run), "--set", *SMALL)
    return run


def test_collect_pretrain_distil(teacher, tmp_path):
    demos = tmp_path / "demos"
    out = last_json(st_rl("collect", "--run", str(teacher), "--out", str(demos), "--min_timesteps", "800", "--num_envs", "4"))
    assert out["frames"] >= 800 and out["trajectories"] == len(list(RolloutDataset(demos)))
    more = last_json(st_rl("collect", "--run", str(teacher), "--out", str(demos), "--min_timesteps", "1200", "--num_envs", "4"))
    assert more["frames"] >= 1200 and more["trajectories"] > out["trajectories"]           # resumed the directory
    student = tmp_path / "student"
    r = last_json(st_rl("train", "--task", "PointMass", "--num_envs", "8", "--max_iterations", "6", "--log_dir", str(student),
                        "--dataset", str(demos), "--pretrain_iterations", "4", "--set", *SMALL))
    assert r["iterations"] == 6
    cfg = json.loads((student / "config.json").read_text())
    assert cfg["runner_class_name"] == "TwoStageRunner" and cfg["pretrain_dataset"]["data_dir"] == str(demos)
    play = last_json(st_rl("play", "--run", str(student), "--episodes", "2"))
    assert play["episodes"] == 2
    tppo = tmp_path / "tppo"
    r = last_json(st_rl("train", "--task", "PointMass", "--num_envs", "8", "--max_iterations", "3", "--log_dir", str(tppo), "--set", *SMALL,
                        "algorithm.class_name=TPPO", f"algorithm.teacher_run={teacher}", "algorithm.using_ppo=false"))
    assert r["iterations"] == 3
    line = json.loads((tppo / "metrics.jsonl").read_text().splitlines()[-1])
    assert "distillation_loss" in line and "surrogate_loss" not in line


def test_collect_refuses_missing_run(tmp_path):
    r = st_rl("collect", "--run", str(tmp_path / "nope"), "--out", str(tmp_path / "d"), check=False)
    assert r.returncode == 2 and "run directory not found" in r.stderr


def test_dagger_collector_beside_dataset_trainer(teacher, tmp_path):
    """A DAgger collector follows a dataset-only trainer on one directory: the trainer reads only complete
    trajectories (nothing refused), the collector reloads the trainer's checkpoints."""
    data, student = tmp_path / "dagger", tmp_path / "student"      # empty: the trainer waits for the collector's data
    data.mkdir()
    trainer = subprocess.Popen([sys.executable, "-m", "st_rl", "train", "--task", "PointMass", "--num_envs", "4", "--max_iterations", "40",
                                "--log_dir", str(student), "--dataset", str(data), "--pretrain_iterations", "-1", "--set", *SMALL,
                                "save_interval=5", "pretrain_dataset.keep_latest_n_trajs=20"],
                               cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        r = st_rl("dagger", "--run", str(student), "--teacher", str(teacher), "--out", str(data), "--minutes", "0.3",
                  "--num_envs", "2", "--reload_interval", "1", "--teacher_act_prob", "0.3")
        out = last_json(r)
    finally:
        log, _ = trainer.communicate(timeout=300)
    assert trainer.returncode == 0, log[-2000:]
    assert out["trajectories"] > 4 and out["student_iteration"] >= 5, out
    lines = [json.loads(l) for l in (student / "metrics.jsonl").read_text().splitlines()]
    assert lines[-1]["iteration"] == 40
    assert all(l.get("Episode/dataset_refused", 0) == 0 for l in lines)
    assert max(l.get("Episode/dataset_trajectories", 0) for l in lines) > 0
