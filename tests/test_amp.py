"""Adversarial motion priors end to end through the command line: APPO on HalfCheetah with the shipped clip trains,
logs style and task rewards apart, saves its AMP state, plays, exports to ONNX, and resumes bit-identically."""
import json
import shutil

import numpy as np
import pytest
import torch

from tests.conftest import st_rl

AMP = ["--task", "HalfCheetah-v5", "--num_envs", "2", "--max_iterations", "8", "--seed", "4",
       "--set", "runner_class_name=AmpPolicyRunner", "env.wrappers=[{class_name: AmpReference, motion_file: halfcheetah_bound}]",
       "num_steps_per_env=64", "save_interval=4", "logger=none", "print_interval=0", "env.num_workers=0",
       "algorithm.num_mini_batches=2", "algorithm.num_learning_epochs=2", "algorithm.amp_replay_buffer_size=300",
       "policy.actor_hidden_dims=[32,32]", "policy.critic_hidden_dims=[32,32]", "policy.discriminator_hidden_dims=[32,32]"]


@pytest.fixture(scope="module")
def amp_run(tmp_path_factory):
    run = tmp_path_factory.mktemp("amp") / "run"
    st_rl("train", *AMP, "--log_dir", str(run))
    return run


def test_appo_logs_style_and_task_rewards(amp_run):
    lines = [json.loads(l) for l in (amp_run / "metrics.jsonl").read_text().splitlines()]
    assert len(lines) == 8
    for l in lines:
        assert 0.0 <= l["style_reward"] <= 2.0                      # c * max(0, 1 - (D - 1)^2 / 4), c = 2
        for k in ("task_reward", "discriminator_loss", "gradient_penalty", "discriminator_expert", "discriminator_policy"):
            assert np.isfinite(l[k]), k
    assert lines[-1]["discriminator_expert"] > lines[-1]["discriminator_policy"]   # it tells them apart already
    cfg = json.loads((amp_run / "config.json").read_text())
    assert cfg["policy"]["class_name"] == "AmpActorCritic" and cfg["algorithm"]["class_name"] == "APPO"


def test_checkpoint_holds_amp_state_as_tensors(amp_run):
    d = torch.load(amp_run / "model_8.pt", weights_only=True)
    assert set(d["amp_normalizer_state_dict"]) == {"_mean", "_var", "_std", "count"}
    assert d["amp_normalizer_state_dict"]["_mean"].shape == (1, 32)
    rb = d["amp_replay_state_dict"]
    assert int(rb["num_samples"]) == 300 and rb["states"].shape == (300, 16)         # full: 8 x 128 transitions went in
    assert any(k.startswith("discriminator.") for k in d["model_state_dict"])


def test_play_and_onnx_export(amp_run, tmp_path):
    res = json.loads(st_rl("play", "--run", str(amp_run), "--episodes", "1").stdout.splitlines()[-1])
    assert res["episodes"] == 1 and np.isfinite(res["mean_return"])
    out = json.loads(st_rl("export", "--run", str(amp_run), "--out", str(tmp_path / "p.onnx")).stdout.splitlines()[-1])
    from st_rl.runners.runs import load_run
    from st_rl.utils.export import onnx_policy
    runner, env, _ = load_run(amp_run, num_envs=1)
    obs = torch.randn(64, out["num_obs"])
    with torch.no_grad(): want = runner.get_inference_policy()(obs).numpy()
    assert np.abs(onnx_policy(out["onnx"])(obs.numpy()) - want).max() < 1e-5
    env.close()


def test_resume_is_bit_identical(amp_run, tmp_path):
    copy = tmp_path / "resumed"
    shutil.copytree(amp_run, copy)
    for p in copy.glob("model_8.pt"): p.unlink()
    st_rl("train", "--resume", str(copy / "model_4.pt"))
    a = torch.load(amp_run / "model_8.pt", weights_only=True)
    b = torch.load(copy / "model_8.pt", weights_only=True)
    for k, v in a["model_state_dict"].items(): assert torch.equal(v, b["model_state_dict"][k]), k
    for k, v in a["amp_normalizer_state_dict"].items(): assert torch.equal(v, b["amp_normalizer_state_dict"][k]), k
    assert torch.equal(a["amp_replay_state_dict"]["states"], b["amp_replay_state_dict"]["states"])
