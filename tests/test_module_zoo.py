"""Every policy class of the module zoo, built from its config by class name: it trains a few PPO iterations,
round-trips save -> load with identical actions, and exports to ONNX matching torch (recurrent: hidden states in and
out, LSTM and GRU). And the command line builds each from `--set policy.class_name=...`."""
import json

import numpy as np
import pytest
import torch

from st_rl.runners.on_policy_runner import OnPolicyRunner
from st_rl.utils.core import ConfigError, set_seed
from st_rl.utils.export import onnx_policy, onnx_recurrent_policy
from tests.envs import SegmentedGoalEnv
from tests.conftest import st_rl

CNN = {"channels": [4], "kernel_sizes": [3], "strides": [1], "hidden_sizes": []}
ENC = {"encoder_component_names": ["goal_map"], "encoder_class_name": "Conv2dHeadModel", "encoder_kwargs": CNN,
       "encoder_output_size": 4}
VIS = {"visual_component_name": "goal_map", "visual_latent_size": 4, "visual_kwargs": CNN}
EST = {"estimator_target_components": ["goal"], "estimator_kwargs": {"hidden_sizes": [16]}}
POLICIES = {   # id -> policy config (the algorithm is EstimatorPPO where the policy estimates)
    "ActorCritic": {},
    "ActorCriticRecurrent-lstm": {"rnn_type": "lstm"},
    "ActorCriticRecurrent-gru": {"rnn_type": "gru"},
    "EncoderActorCritic": {**ENC, "critic_encoder_component_names": "shared"},
    "EncoderActorCriticRecurrent-gru": {**ENC, "critic_encoder_component_names": ["goal_map"], "rnn_type": "gru"},
    "VisualActorCritic": VIS,
    "VisualActorCriticRecurrent-lstm": {**VIS, "rnn_type": "lstm"},
    "VisualDeterministicAC": {**VIS, "visual_critic": "separate"},
    "VisualDeterministicRecurrent-gru": {**VIS, "rnn_type": "gru", "visual_critic": "none"},
    "StateAc": EST,
    "StateAcRecurrent-lstm": {**EST, "rnn_type": "lstm"},
    "PrivilegeStateAcRecurrent-gru": {"privilege_target_components": ["goal"], "rnn_type": "gru"},
    "EncoderStateAc": {**ENC, **EST},
    "EncoderStateAcRecurrent-lstm": {**ENC, **EST, "rnn_type": "lstm", "critic_encoder_component_names": "shared"},
}


def make_cfg(pid: str) -> dict:
    name = pid.split("-")[0]
    policy = {"class_name": name, "actor_hidden_dims": [16], "critic_hidden_dims": [16], **POLICIES[pid]}
    if "Recurrent" in name: policy["rnn_hidden_size"] = 8
    estimator = "estimator_target_components" in policy or "privilege_target_components" in policy
    return {"num_steps_per_env": 8, "logger": "none", "print_interval": 0, "save_interval": 1000,
            "policy": policy, "algorithm": {"class_name": "EstimatorPPO" if estimator else "PPO",
                                            "num_mini_batches": 2, "num_learning_epochs": 1}}


@pytest.mark.parametrize("pid", list(POLICIES))
def test_train_save_load_export(pid, tmp_path):
    set_seed(0)
    runner = OnPolicyRunner(SegmentedGoalEnv(num_envs=4), make_cfg(pid), log_dir=tmp_path)
    assert type(runner.actor_critic).__name__ == pid.split("-")[0]
    if "rnn_type" in POLICIES[pid]:
        assert runner.actor_critic.memory_a.is_lstm == (POLICIES[pid]["rnn_type"] == "lstm")
    runner.learn(2)
    path = runner.save(tmp_path / "model.pt")
    fresh = OnPolicyRunner(SegmentedGoalEnv(num_envs=4), make_cfg(pid))
    fresh.load(path)
    obs = torch.rand(5, 3, 40) * 2 - 1                    # 5 steps of 3 envs
    a_pol, b_pol = runner.get_inference_policy(), fresh.get_inference_policy()
    with torch.inference_mode():
        a = torch.stack([a_pol(o) for o in obs])
        b = torch.stack([b_pol(o) for o in obs])
    assert torch.equal(a, b), (a - b).abs().max()
    assert a.abs().max() > 0 and torch.isfinite(a).all()
    onnx_path = runner.export_onnx(tmp_path / "policy.onnx")
    if runner.actor_critic.is_recurrent:
        sess, pol = onnx_recurrent_policy(onnx_path), runner.get_inference_policy()
        state = [s.numpy() for s in pol.initial_state(3)]
        for o in obs:
            out = sess(o.numpy(), *state)
            with torch.inference_mode(): ref = pol(o)
            assert np.abs(out[0] - ref.numpy()).max() < 1e-5
            state = out[1:]
        assert len(state) == (2 if POLICIES[pid]["rnn_type"] == "lstm" else 1)
    else:
        with torch.inference_mode(): ref = runner.get_inference_policy()(obs[0])
        assert np.abs(onnx_policy(onnx_path)(obs[0].numpy()) - ref.numpy()).max() < 1e-5


def test_recurrent_inference_policy_remembers():
    """The inference policy of a recurrent zoo policy depends on the past, and reset() forgets it."""
    set_seed(0)
    runner = OnPolicyRunner(SegmentedGoalEnv(num_envs=2), make_cfg("EncoderStateAcRecurrent-lstm"))
    pol = runner.get_inference_policy()
    x, y = torch.rand(2, 40), torch.rand(2, 40)
    with torch.inference_mode():
        a1 = pol(x); pol(y); a2 = pol(x)
        pol.reset(); a3 = pol(x)
    assert not torch.allclose(a1, a2) and torch.equal(a1, a3)


@pytest.mark.parametrize("policy, error", [
    ({"class_name": "StateAc", "estimator_target_components": ["goal_xy"]}, "unknown estimator target component(s) ['goal_xy']"),
    ({"class_name": "VisualActorCritic", "visual_component_name": "depth"}, "unknown actor obs component(s) ['depth']"),
    ({"class_name": "EncoderActorCritic", "encoder_component_names": ["goal_map"], "encoder_class_name": "Conv2dHeadModel",
      "encoder_kwargs": {"channels": [4, 4, 4], "kernel_sizes": [3, 3, 3], "strides": [2, 2, 2]}}, "shrinks the image to nothing"),
    ({"class_name": "EncoderActorCritic", "encoder_component_names": ["goal_map"], "encoder_kwargs": {"hidden_size": [8]}}, "hidden_size"),
])
def test_misconfigured_policy_fails_at_construction(policy, error):
    with pytest.raises((ConfigError, TypeError)) as e:
        OnPolicyRunner(SegmentedGoalEnv(num_envs=2), {"logger": "none", "policy": policy})
    assert error in str(e.value)


def test_env_with_inconsistent_segments_is_refused():
    class Bad(SegmentedGoalEnv):
        def __init__(self, **kw):
            super().__init__(**kw)
            self.obs_segments = {"pos": (2,), "vel": (2,), "goal_map": (1, 6, 5)}     # 34 != 40
    with pytest.raises(Exception) as e:
        OnPolicyRunner(Bad(num_envs=2), {"logger": "none", "policy": {"class_name": "VisualActorCritic", "visual_component_name": "goal_map"}})
    assert "obs_segments add up to 34" in str(e.value)


@pytest.mark.parametrize("pid", ["EncoderActorCriticRecurrent-gru", "VisualDeterministicAC", "StateAcRecurrent-lstm",
                                 "PrivilegeStateAcRecurrent-gru", "EncoderStateAc"])
def test_cli_builds_policy_by_class_name(pid, tmp_path):
    cfg = make_cfg(pid)
    sets = [f"policy.{k}={json.dumps(v)}" for k, v in cfg["policy"].items()] + \
           [f"algorithm.{k}={json.dumps(v)}" for k, v in cfg["algorithm"].items()] + ["num_steps_per_env=8", "logger=none"]
    r = st_rl("train", "--task", "tests.envs:SegmentedGoalEnv", "--num_envs", "4", "--max_iterations", "2",
              "--log_dir", str(tmp_path / "run"), "--set", *sets)
    assert json.loads(r.stdout.strip().splitlines()[-1])["iterations"] == 2
    saved = json.loads((tmp_path / "run" / "config.json").read_text())
    assert saved["policy"]["class_name"] == pid.split("-")[0]
    refused = st_rl("export", "--run", str(tmp_path / "run"), check=False)          # the run names tests.envs: data, not consent
    assert refused.returncode == 2 and "refusing to import module 'tests.envs'" in refused.stderr
    out = json.loads(st_rl("export", "--run", str(tmp_path / "run"), "--trust_code").stdout.strip().splitlines()[-1])
    assert out["num_obs"] == 40 and (tmp_path / "run" / "policy.onnx").stat().st_size > 0
