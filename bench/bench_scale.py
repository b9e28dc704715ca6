#!/usr/bin/env python
"""Iteration time at rsl_rl's legged-robot scale: st_rl vs rsl_rl on a batched torch env.

Both runners train PPO with rsl_rl's legged defaults: `--num_envs` (4096) envs × 24 steps per iteration, actor and
critic [512, 256, 128] elu, 5 epochs × 4 minibatches, adaptive learning rate from 1e-3 (desired KL 0.01), clip 0.2,
gamma 0.99, lambda 0.95, value coef 1.0, entropy coef 0.005, max grad norm 1.0, init std 1.0, no observation
normalisation. The env is st_rl's `PointMassEnv`, pure torch on `--device`: its step is a few tensor ops, so the
time is the learner's (rollout inference, GAE, update), which is what this compares. On a GPU this is the
Isaac Lab setting; on a CPU it shows the same learner at a CPU's scale (use fewer envs).

Each impl runs in a fresh subprocess, round-robin over `--repeats`; a run does `--iters` iterations after one
warm-up iteration and reports the median seconds per iteration, split into collection and learning.

    python bench/bench_scale.py                                  # 4096 envs on the CPU, 2 torch threads
    python bench/bench_scale.py --device cuda --num_envs 4096    # on a GPU
    python bench/bench_scale.py --num_envs 512 --iters 3 --repeats 1   # smoke test
"""
from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import statistics
import subprocess
import sys
import time

TAG = "SCALE_RESULT "
HIDDEN, ACT = [512, 256, 128], "elu"
ALG = dict(num_learning_epochs=5, num_mini_batches=4, learning_rate=1e-3, schedule="adaptive", desired_kl=0.01,
           clip_param=0.2, gamma=0.99, lam=0.95, value_loss_coef=1.0, entropy_coef=0.005, max_grad_norm=1.0,
           use_clipped_value_loss=True)
STEPS = 24


def run_st_rl(a) -> list[tuple[float, float]]:
    from st_rl.env.vec_env import PointMassEnv
    from st_rl.runners.on_policy_runner import OnPolicyRunner
    env = PointMassEnv(num_envs=a.num_envs, max_episode_length=200, device=a.device, seed=a.seed)
    cfg = {"num_steps_per_env": STEPS, "empirical_normalization": False, "logger": "none", "print_interval": 0,
           "seed": a.seed, "num_threads": a.threads if a.device == "cpu" else 0, "check_env": False,
           "policy": {"class_name": "ActorCritic", "actor_hidden_dims": HIDDEN, "critic_hidden_dims": HIDDEN,
                      "activation": ACT, "init_noise_std": 1.0, "noise_std_type": "scalar"},
           "algorithm": {"class_name": "PPO", **ALG, "reward_normalization": False, "target_kl": 0.0}}
    runner = OnPolicyRunner(env, cfg, log_dir=None, device=a.device)
    return _timed_learn(runner, runner.alg, a, lambda n: runner.learn(n))


def run_rsl_rl(a) -> list[tuple[float, float]]:
    import torch
    from rsl_rl.runners import OnPolicyRunner
    from tensordict import TensorDict
    from st_rl.env.vec_env import PointMassEnv
    try: from rsl_rl.env import VecEnv as _Base
    except ImportError: _Base = object  # pragma: no cover

    class RslPointMass(_Base):
        "st_rl's PointMassEnv in rsl_rl 5.x's VecEnv shape (TensorDict observations)."
        def __init__(self):
            self.env = PointMassEnv(num_envs=a.num_envs, max_episode_length=200, device=a.device, seed=a.seed)
            self.num_envs, self.num_actions = self.env.num_envs, self.env.num_actions
            self.max_episode_length, self.device, self.cfg = self.env.max_episode_length, a.device, {}
            self.episode_length_buf = self.env.episode_length_buf
        def get_observations(self):
            return TensorDict({"policy": self.env.get_observations()[0]}, batch_size=[self.num_envs])
        def step(self, actions):
            obs, rew, dones, extras = self.env.step(actions)
            return (TensorDict({"policy": obs}, batch_size=[self.num_envs]), rew, dones,
                    {"time_outs": extras["time_outs"]})

    torch.manual_seed(a.seed)
    model = {"class_name": "MLPModel", "hidden_dims": HIDDEN, "activation": ACT, "obs_normalization": False}
    cfg = {"num_steps_per_env": STEPS, "save_interval": 10**9, "seed": a.seed,
           "obs_groups": {"actor": ["policy"], "critic": ["policy"]},
           "actor": {**model, "distribution_cfg": {"class_name": "GaussianDistribution", "init_std": 1.0}},
           "critic": dict(model),
           "algorithm": {"class_name": "PPO", **ALG, "normalize_advantage_per_mini_batch": False, "optimizer": "adam"}}
    with contextlib.redirect_stdout(io.StringIO()):
        runner = OnPolicyRunner(RslPointMass(), cfg, log_dir=None, device=a.device)
    if a.device == "cpu": torch.set_num_threads(a.threads)
    return _timed_learn(runner, runner.alg, a, lambda n: runner.learn(num_learning_iterations=n))


def _timed_learn(runner, alg, a, learn) -> list[tuple[float, float]]:
    "Run `learn` for `a.iters` + 1 iterations, timing each iteration's collection (to the returns) and update."
    times, t = [], {}
    orig_update, orig_returns = alg.update, alg.compute_returns
    def compute_returns(*x, **k):                     # the end of the rollout
        r = orig_returns(*x, **k); _sync(a.device); t["collect_end"] = time.perf_counter(); return r
    def update(*x, **k):
        r = orig_update(*x, **k); _sync(a.device)
        times.append((t["collect_end"] - t["start"], time.perf_counter() - t["collect_end"]))
        t["start"] = time.perf_counter(); return r
    alg.update, alg.compute_returns = update, compute_returns
    t["start"] = time.perf_counter()
    learn(a.iters + 1)
    return times[1:]                                  # the first iteration warms up


def _sync(device: str) -> None:
    if device.startswith("cuda"):
        import torch
        torch.cuda.synchronize()


def worker(a) -> None:
    import torch
    if a.device == "cpu": torch.set_num_threads(a.threads)
    out = {"st_rl": run_st_rl, "rsl_rl": run_rsl_rl}[a._worker](a)
    print(TAG + json.dumps({"impl": a._worker, "iters": out}), flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--num_envs", type=int, default=4096)
    ap.add_argument("--iters", type=int, default=3, help="timed iterations per run (after one warm-up)")
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--threads", type=int, default=2, help="torch threads on the CPU, for both impls")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--_worker", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a._worker: return worker(a)
    print(f"rsl_rl legged defaults: {a.num_envs} envs x {STEPS} steps, {HIDDEN} {ACT}, 5 epochs x 4 minibatches, "
          f"PointMassEnv on {a.device}" + (f", {a.threads} torch threads" if a.device == "cpu" else ""))
    res = {"st_rl": [], "rsl_rl": []}
    for r in range(a.repeats):
        for impl in res:
            cmd = [sys.executable, os.path.abspath(__file__), "--_worker", impl, "--num_envs", str(a.num_envs),
                   "--iters", str(a.iters), "--device", a.device, "--threads", str(a.threads), "--seed", str(a.seed + r)]
            env = {**os.environ, "OMP_NUM_THREADS": str(a.threads), "MKL_NUM_THREADS": str(a.threads)}
            p = subprocess.run(cmd, capture_output=True, text=True, env=env)
            line = next((l for l in p.stdout.splitlines() if l.startswith(TAG)), None)
            if line is None: sys.exit(f"{impl} failed:\n{p.stderr[-3000:]}")
            its = json.loads(line[len(TAG):])["iters"]
            res[impl] += its
            print(f"  repeat {r + 1}/{a.repeats}  {impl:<7} " + ", ".join(f"{c + u:.2f}s" for c, u in its), flush=True)
    print(f"\n{'impl':<8} {'s/iter':>8} {'collect':>8} {'learn':>8} {'env steps/s':>12}")
    med = {}
    for impl, its in res.items():
        tot = statistics.median(c + u for c, u in its)
        med[impl] = tot
        print(f"{impl:<8} {tot:8.2f} {statistics.median(c for c, _ in its):8.2f} {statistics.median(u for _, u in its):8.2f} "
              f"{a.num_envs * STEPS / tot:12.0f}")
    print(f"rsl_rl / st_rl iteration time = {med['rsl_rl'] / med['st_rl']:.2f}")


if __name__ == "__main__":
    main()
