"""Data-parallel training over 2 CPU processes (gloo): ranks stay identical, and one distributed update equals a
single-process update on the concatenated batch."""
import os
import subprocess
import sys
from pathlib import Path

import torch
import torch.distributed as dist
import torch.multiprocessing as mp

ROOT = Path(__file__).resolve().parents[1]
CFG = {"num_steps_per_env": 16, "logger": "none", "print_interval": 0, "check_env": True,
       "policy": {"actor_hidden_dims": [16, 16], "critic_hidden_dims": [16, 16]},
       "algorithm": {"num_mini_batches": 2, "num_learning_epochs": 2, "schedule": "adaptive", "learning_rate": 1e-3}}


def _finish():
    """Leave a worker once every rank has written its results. `os._exit` skips interpreter and C++ teardown: gloo's
    transport threads, destroyed while a peer is already gone, occasionally abort the process ("terminate called
    without an active exception", SIGABRT) after all the work is done, which would fail the test for nothing."""
    dist.barrier()
    sys.stdout.flush(); sys.stderr.flush()
    os._exit(0)


def _init(rank, world, init_file):
    torch.set_num_threads(1)
    dist.init_process_group("gloo", init_method=f"file://{init_file}", rank=rank, world_size=world)


def _runner_worker(rank, world, init_file, out_dir):
    _init(rank, world, init_file)
    from st_rl.env.vec_env import PointMassEnv
    from st_rl.runners.on_policy_runner import OnPolicyRunner
    torch.manual_seed(100 + rank)                      # different initial weights: the broadcast must fix that
    runner = OnPolicyRunner(PointMassEnv(num_envs=8, seed=rank, privileged=True), CFG)
    runner.learn(4)
    torch.save({"params": [p.detach().clone() for p in runner.actor_critic.parameters()],
                "obs_mean": runner.alg.obs_normalizer.mean, "env_steps": runner.tot_timesteps, "lr": runner.alg.learning_rate},
               Path(out_dir) / f"rank{rank}.pt")
    _finish()


def test_ranks_hold_identical_parameters(tmp_path):
    mp.spawn(_runner_worker, args=(2, str(tmp_path / "init"), str(tmp_path)), nprocs=2, join=True)
    r0, r1 = (torch.load(tmp_path / f"rank{r}.pt", weights_only=True) for r in (0, 1))
    for a, b in zip(r0["params"], r1["params"]): assert torch.equal(a, b)
    assert torch.equal(r0["obs_mean"], r1["obs_mean"])          # normaliser statistics synchronised
    assert r0["lr"] == r1["lr"]                                  # adaptive lr agreed
    assert r0["env_steps"] == 4 * 16 * 8 * 2                     # global env steps


def _batch(rank, N=4, T=8, obs_dim=6, act_dim=2):
    "Deterministic synthetic rollout of one rank: (obs, critic_obs, actions, rewards, dones, last_obs)."
    g = torch.Generator().manual_seed(1000 + rank)
    return (torch.randn(T, N, obs_dim, generator=g), torch.randn(T, N, act_dim, generator=g) * 0.3,
            torch.randn(T, N, generator=g), torch.rand(T, N, generator=g) < 0.1, torch.randn(N, obs_dim, generator=g))


def _update(obs, actions, rewards, dones, last_obs):
    "One PPO update (full-batch minibatches) on a rollout; returns the new parameters."
    from st_rl.algorithms.ppo import PPO
    from st_rl.modules.actor_critic import ActorCritic
    torch.manual_seed(0)
    T, N = rewards.shape
    ppo = PPO(ActorCritic(6, 6, 2, [16], [16]), num_learning_epochs=3, num_mini_batches=1, schedule="adaptive",
              learning_rate=1e-3, reward_normalization=False, max_grad_norm=0.5)
    ppo.init_storage(N, T, (6,), None, (2,))
    with torch.no_grad():
        for t in range(T):
            ppo.act(obs[t], obs[t])
            ppo.transition.actions = actions[t]                 # fixed actions: the same data everywhere
            ppo.transition.actions_log_prob = ppo.actor_critic.get_actions_log_prob(actions[t])
            ppo.process_env_step(rewards[t], dones[t], {})
        ppo.compute_returns(last_obs)
    ppo.update(0)
    return [p.detach().clone() for p in ppo.actor_critic.parameters()], ppo.learning_rate


def _equivalence_worker(rank, world, init_file, out_dir):
    _init(rank, world, init_file)
    obs, actions, rewards, dones, last_obs = _batch(rank)
    params, lr = _update(obs, actions, rewards, dones, last_obs)
    torch.save({"params": params, "lr": lr}, Path(out_dir) / f"eq{rank}.pt")
    _finish()


def test_distributed_update_equals_single_process_on_concatenated_batch(tmp_path):
    mp.spawn(_equivalence_worker, args=(2, str(tmp_path / "init"), str(tmp_path)), nprocs=2, join=True)
    b0, b1 = _batch(0), _batch(1)
    # envs side by side: time-major tensors concatenate on dim 1, the last observations (N, obs) on dim 0
    cat = [torch.cat([x, y], dim=0 if i == len(b0) - 1 else 1) for i, (x, y) in enumerate(zip(b0, b1))]
    single, lr = _update(*cat)
    for rank in (0, 1):
        d = torch.load(tmp_path / f"eq{rank}.pt", weights_only=True)
        for a, b in zip(d["params"], single): torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-6)
        assert abs(d["lr"] - lr) < 1e-12


def test_torchrun_cli(tmp_path):
    r = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--nproc_per_node=2", "-m", "st_rl", "train",
                        "--task", "PointMass", "--num_envs", "8", "--max_iterations", "2", "--log_dir", str(tmp_path / "run"),
                        "--set", "num_steps_per_env=16", "logger=none"], cwd=ROOT, capture_output=True, text=True, timeout=300,
                       env={**os.environ, "OMP_NUM_THREADS": "1"})
    assert r.returncode == 0, r.stderr[-3000:]
    import json
    lines = [json.loads(l) for l in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()]
    assert [l["env_steps"] for l in lines] == [256, 512]          # global: 2 ranks x 8 envs x 16 steps
    assert sorted(p.name for p in (tmp_path / "run").glob("model_*.pt")) == ["model_2.pt"]
