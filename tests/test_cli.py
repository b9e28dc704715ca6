"""End-to-end runs of the command line in subprocesses: train, play, export on MuJoCo, and one-line errors."""
import json
import os
import subprocess
import sys

import numpy as np
import pytest
import torch

from tests.conftest import ROOT, st_rl





@pytest.fixture(scope="module")
def mujoco_run(tmp_path_factory):
    run = tmp_path_factory.mktemp("runs") / "cheetah"
    r = st_rl("train", "--task", "HalfCheetah-v5", "--num_envs", "2", "--total_steps", "2048", "--seed", "3",
              "--log_dir", str(run), "--set", "num_steps_per_env=64", "algorithm.num_mini_batches=4",
              "policy.actor_hidden_dims=[32,32]", "policy.critic_hidden_dims=[32,32]", "save_interval=4")
    summary = json.loads(r.stdout.strip().splitlines()[-1])
    assert summary["iterations"] == 16 and summary["env_steps"] == 2048
    return run


def test_train_writes_run_dir(mujoco_run):
    names = {p.name for p in mujoco_run.iterdir()}
    assert {"config.json", "metrics.jsonl", "code_state.txt", "model_4.pt", "model_16.pt"} <= names
    assert any(n.startswith("events.out.tfevents") for n in names)          # TensorBoard
    lines = [json.loads(l) for l in (mujoco_run / "metrics.jsonl").read_text().splitlines()]
    assert [l["iteration"] for l in lines] == list(range(1, 17))
    assert lines[-1]["env_steps"] == 2048 and lines[-1]["fps"] > 0
    for key in ("mean_return", "mean_episode_length", "value_loss", "surrogate_loss", "learning_rate"):
        assert key in lines[-1]
    ckpt = torch.load(mujoco_run / "model_16.pt", weights_only=True)
    assert ckpt["iter"] == 16 and "model_state_dict" in ckpt and "optimizer_state_dict" in ckpt


def test_play_prints_json_last(mujoco_run):
    r = st_rl("play", "--run", str(mujoco_run), "--episodes", "2")
    res = json.loads(r.stdout.strip().splitlines()[-1])
    assert res["episodes"] == 2 and len(res["returns"]) == 2
    assert np.isfinite(res["mean_return"]) and res["mean_episode_length"] == 1000   # HalfCheetah never terminates
    assert res["time_limit_episodes"] == res["episodes"]                              # every episode hit the time limit


def test_play_is_deterministic(mujoco_run):
    a = json.loads(st_rl("play", "--run", str(mujoco_run), "--episodes", "1", "--checkpoint", str(mujoco_run / "model_4.pt")).stdout.splitlines()[-1])
    b = json.loads(st_rl("play", "--run", str(mujoco_run), "--episodes", "1", "--checkpoint", str(mujoco_run / "model_4.pt")).stdout.splitlines()[-1])
    assert a["mean_return"] == b["mean_return"]


def test_export_onnx_matches_torch(mujoco_run):
    r = st_rl("export", "--run", str(mujoco_run))
    info = json.loads(r.stdout.strip().splitlines()[-1])
    from st_rl.runners.runs import load_run
    from st_rl.utils.export import onnx_policy
    runner, env, _ = load_run(mujoco_run)
    policy = runner.get_inference_policy()
    obs = torch.randn(32, info["num_obs"]) * 2
    np.testing.assert_allclose(onnx_policy(info["onnx"])(obs.numpy()), policy(obs).numpy(), rtol=1e-4, atol=1e-5)
    env.close()


def _one_error_line(r):
    assert r.returncode == 2, (r.returncode, r.stdout[-2000:], r.stderr[-2000:])
    lines = [l for l in r.stderr.strip().splitlines() if l.strip() and "settotalmass" not in l and not l.startswith("st_rl: warning:")]
    assert len(lines) == 1 and lines[0].startswith("st_rl: error: "), r.stderr
    assert "Traceback" not in r.stderr
    return lines[0]


def test_error_unknown_config_key():
    line = _one_error_line(st_rl("train", "--task", "PointMass", "--set", "algorithm.clip_parm=0.1", check=False))
    assert "unknown config key 'algorithm.clip_parm'" in line and "did you mean 'clip_param'" in line


def test_error_unknown_key_in_config_file(tmp_path):
    (tmp_path / "cfg.yaml").write_text("num_steps_per_env: 16\npolicy:\n  actor_hidden: [64, 64]\n")
    line = _one_error_line(st_rl("train", "--task", "PointMass", "--config", str(tmp_path / "cfg.yaml"), check=False))
    assert "unknown config key 'policy.actor_hidden'" in line


def test_error_wrong_type():
    line = _one_error_line(st_rl("train", "--task", "PointMass", "--set", "num_steps_per_env=many", check=False))
    assert "'num_steps_per_env' must be int" in line


def test_error_wrong_action_shape_from_custom_env():
    line = _one_error_line(st_rl("train", "--task", "tests.envs:WrongActionShapeEnv", "--max_iterations", "1", check=False))
    assert "step failed on actions of shape (8, 2)" in line and "expected 3 actuator commands" in line


def test_error_nan_in_observations(tmp_path):
    line = _one_error_line(st_rl("train", "--task", "tests.envs:NanObsEnv", "--max_iterations", "2", "--log_dir", str(tmp_path / "r"),
                                 "--set", "num_steps_per_env=16", "logger=none", check=False))
    assert "NaN/Inf in observations" in line and "env indices [1]" in line


def test_error_missing_and_corrupt_checkpoint(mujoco_run, tmp_path):
    line = _one_error_line(st_rl("play", "--run", str(mujoco_run), "--checkpoint", str(mujoco_run / "model_999.pt"), check=False))
    assert "checkpoint not found" in line
    bad = tmp_path / "model_1.pt"
    bad.write_bytes((mujoco_run / "model_16.pt").read_bytes()[:1000])
    line = _one_error_line(st_rl("play", "--run", str(mujoco_run), "--checkpoint", str(bad), check=False))
    assert "is corrupt or not a torch checkpoint" in line
    line = _one_error_line(st_rl("play", "--run", str(tmp_path / "nothing"), check=False))
    assert "run directory not found" in line
    (tmp_path / "empty").mkdir()
    line = _one_error_line(st_rl("play", "--run", str(tmp_path / "empty"), check=False))
    assert "not an st_rl run directory" in line


def test_checkpoint_cannot_execute_code(mujoco_run, tmp_path):
    """A pickle that would run code on load is refused by weights_only loading."""
    class Evil:
        def __reduce__(self): return (os.system, (f"touch {tmp_path / 'pwned'}",))
    evil = tmp_path / "model_1.pt"
    torch.save({"model_state_dict": Evil()}, evil)
    line = _one_error_line(st_rl("play", "--run", str(mujoco_run), "--checkpoint", str(evil), check=False))
    assert "corrupt or not a torch checkpoint" in line
    assert not (tmp_path / "pwned").exists()


def test_recurrent_policy_train_play_export(tmp_path):
    run = tmp_path / "rnn"
    st_rl("train", "--task", "HalfCheetah-v5", "--num_envs", "2", "--max_iterations", "2", "--log_dir", str(run),
          "--set", "num_steps_per_env=32", "logger=none", "policy.class_name=ActorCriticRecurrent", "policy.rnn_type=gru",
          "policy.rnn_hidden_size=16", "policy.actor_hidden_dims=[16]", "policy.critic_hidden_dims=[16]", "algorithm.num_mini_batches=2")
    res = json.loads(st_rl("play", "--run", str(run), "--episodes", "1").stdout.strip().splitlines()[-1])
    assert np.isfinite(res["mean_return"])
    info = json.loads(st_rl("export", "--run", str(run)).stdout.strip().splitlines()[-1])
    from st_rl.utils.export import onnx_recurrent_policy
    from st_rl.runners.runs import load_run
    runner, env, _ = load_run(run)
    pol = runner.get_inference_policy()
    state = pol.initial_state(3)
    run_onnx = onnx_recurrent_policy(info["onnx"]); state_o = [s.numpy() for s in state]
    for _ in range(3):
        obs = torch.randn(3, info["num_obs"])
        with torch.no_grad(): a, *state = pol(obs, *state)
        a_o, *state_o = run_onnx(obs.numpy(), *state_o)
        np.testing.assert_allclose(a_o, a.numpy(), atol=1e-5)
    env.close()


def test_play_onnx_sim_to_sim(mujoco_run, tmp_path):
    out = json.loads(st_rl("export", "--run", str(mujoco_run), "--out", str(tmp_path / "p.onnx")).stdout.splitlines()[-1])
    res = json.loads(st_rl("play", "--onnx", out["onnx"], "--run", str(mujoco_run), "--episodes", "1").stdout.splitlines()[-1])
    assert res["max_abs_action_diff"] < 1e-5 and res["episodes"] == 1 and res["task"] == "HalfCheetah-v5"
    assert np.isfinite(res["mean_return"]) and np.isfinite(res["torch_mean_return"])
    alone = json.loads(st_rl("play", "--onnx", out["onnx"], "--task", "HalfCheetah-v5", "--episodes", "1").stdout.splitlines()[-1])
    assert alone["mean_return"] == res["mean_return"]                         # the same episode without the torch policy around
    r = st_rl("play", "--onnx", out["onnx"], "--task", "Hopper-v5", "--episodes", "1", check=False)
    assert r.returncode == 2 and "takes observations of 17 numbers; the env gives 11" in r.stderr


def test_version():
    import configparser

    import st_rl as pkg
    settings = configparser.ConfigParser()
    settings.read(ROOT / "settings.ini")
    assert pkg.__version__ == settings["DEFAULT"]["version"]                       # nbdev writes it from there
    r = st_rl("--version")
    assert r.returncode == 0 and r.stdout.strip() == f"st_rl {pkg.__version__}", (r.stdout, r.stderr)


def test_every_option_has_help():
    import argparse

    from st_rl.cli import make_parser
    parser = make_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    assert set(sub.choices) == {"train", "play", "export", "collect", "dagger", "docs"}
    assert all(a.help for a in sub._choices_actions)                                 # each verb in `st_rl --help`
    missing = [f"{verb} {'/'.join(a.option_strings) or a.dest}"
               for verb, p in [("", parser), *sub.choices.items()] for a in p._actions
               if not isinstance(a, (argparse._HelpAction, argparse._SubParsersAction)) and not (a.help or "").strip()]
    assert missing == [], f"options without a help text: {missing}"
    for verb, p in sub.choices.items():                                               # %(default)s etc. render
        text = p.format_help()
        assert "%(" not in text and all(o in text for a in p._actions for o in a.option_strings), verb


def _train_in(cwd, *args):
    "`st_rl train` (2 iterations of 2 envs x 16 steps) with `cwd` as the working directory."
    env = {**os.environ, "PYTHONPATH": str(ROOT), "MUJOCO_GL": os.environ.get("MUJOCO_GL", "egl")}
    r = subprocess.run([sys.executable, "-m", "st_rl", "train", "--num_envs", "2", "--max_iterations", "2",
                        "--log_dir", "run", *args, "--set", "num_steps_per_env=16", "algorithm.num_mini_batches=1"],
                       cwd=cwd, capture_output=True, text=True, timeout=300, env=env)
    assert r.returncode == 0, (r.stdout[-2000:], r.stderr[-2000:])
    return r


def test_no_mujoco_log_file(tmp_path):
    """MuJoCo appends each warning it has no handler for to MUJOCO_LOG.TXT in the working directory: training writes
    none, neither for the deprecated XML of gymnasium's HalfCheetah nor for an unstable simulation in a worker."""
    for i, args in enumerate([("--task", "HalfCheetah-v5", "--set", "env.num_workers=0"),
                              ("--task", "HalfCheetah-v5", "--set", "env.num_workers=1"),
                              ("--task", "tests.envs:unstable_cheetah_in_worker")]):
        cwd = tmp_path / str(i); cwd.mkdir()
        r = _train_in(cwd, *args)
        assert sorted(p.name for p in cwd.iterdir()) == ["run"], args
        assert "settotalmass" not in r.stdout + r.stderr, args                     # not printed either
    assert "MujocoWarning: MuJoCo: Nan, Inf or huge value" in r.stderr, r.stderr[-2000:]   # the worker's, as a warning
