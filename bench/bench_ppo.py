#!/usr/bin/env python
"""PPO throughput benchmark: st_rl vs rsl_rl vs Stable-Baselines3 (+ the raw gymnasium env rate as a ceiling).

All three implementations train PPO on the same gymnasium task with the same hyperparameters
(8 envs x 256 steps per iteration, 5 epochs x 4 minibatches, lr 3e-4 fixed, gamma 0.99, lambda 0.95,
clip 0.2, value coef 0.5, entropy 0, max grad norm 0.5, actor/critic [64, 64] tanh, init std 1.0,
no observation or reward normalisation, unclipped value loss) on the CPU with `--threads` torch threads.

Each run executes in a fresh subprocess (this script with the hidden `--_worker IMPL` flag), so peak RSS
is per implementation, and the implementations are run round-robin within each repeat, so machine-load
drift affects them all alike. A run is timed over its whole training (env stepping + learning), after the
envs and the model are built; steps/s = env steps / wall seconds.

    python bench/bench_ppo.py                       # HalfCheetah-v5, 100k steps/run, 3 repeats
    python bench/bench_ppo.py --steps 4096 --repeats 1   # smoke test
"""
from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time

ALL_IMPLS = ("st_rl", "rsl_rl", "sb3", "raw")
RESULT_TAG = "BENCH_RESULT "

# shared hyperparameters (the single source for all implementations)
H = dict(num_steps_per_env=256, num_learning_epochs=5, num_mini_batches=4, learning_rate=3e-4, gamma=0.99,
         lam=0.95, clip_param=0.2, value_loss_coef=0.5, entropy_coef=0.0, max_grad_norm=0.5,
         hidden=[64, 64], activation="tanh", init_std=1.0)


# --------------------------------------------------------------------------------------------- st_rl
def run_st_rl(task: str, num_envs: int, iters: int, seed: int, threads: int) -> tuple[float, float]:
    from st_rl.env.gym_adapter import GymVecEnv
    from st_rl.runners.on_policy_runner import OnPolicyRunner

    t0 = time.perf_counter()
    env = GymVecEnv(task, num_envs=num_envs, seed=seed)
    cfg = {"num_steps_per_env": H["num_steps_per_env"], "empirical_normalization": False, "logger": "none",
           "print_interval": 0, "seed": seed, "num_threads": threads,
           "policy": {"class_name": "ActorCritic", "actor_hidden_dims": H["hidden"], "critic_hidden_dims": H["hidden"],
                      "activation": H["activation"], "init_noise_std": H["init_std"]},
           "algorithm": {"class_name": "PPO", "num_learning_epochs": H["num_learning_epochs"],
                         "num_mini_batches": H["num_mini_batches"], "learning_rate": H["learning_rate"],
                         "schedule": "fixed", "gamma": H["gamma"], "lam": H["lam"], "clip_param": H["clip_param"],
                         "value_loss_coef": H["value_loss_coef"], "entropy_coef": H["entropy_coef"],
                         "max_grad_norm": H["max_grad_norm"], "use_clipped_value_loss": False,
                         "reward_normalization": False}}
    runner = OnPolicyRunner(env, cfg, log_dir=None, device="cpu")
    setup = time.perf_counter() - t0
    t0 = time.perf_counter()
    runner.learn(iters)
    secs = time.perf_counter() - t0
    env.close()
    return secs, setup


# -------------------------------------------------------------------------------------------- rsl_rl
def make_rsl_env(task: str, num_envs: int, seed: int):
    """A python loop over `num_envs` gymnasium envs as an rsl_rl (5.x) `VecEnv`: TensorDict observations
    ({"policy": (N, obs_dim)}), same-step auto-reset, `extras["time_outs"]` = truncated & ~terminated."""
    import gymnasium as gym
    import numpy as np
    import torch
    from tensordict import TensorDict
    try:
        from rsl_rl.env import VecEnv as _Base
    except ImportError:  # pragma: no cover
        _Base = object

    class GymRslVecEnv(_Base):
        def __init__(self):
            self.envs = [gym.make(task) for _ in range(num_envs)]
            obs_space, act_space = self.envs[0].observation_space, self.envs[0].action_space
            self.num_envs = num_envs
            self.num_obs = int(obs_space.shape[0])
            self.num_actions = int(act_space.shape[0])
            self.max_episode_length = int(self.envs[0].spec.max_episode_steps or 1000)
            self.episode_length_buf = torch.zeros(num_envs, dtype=torch.long)
            self.device = "cpu"
            self.cfg = {"task": task, "num_envs": num_envs, "seed": seed}
            self._low, self._high = act_space.low.astype(np.float32), act_space.high.astype(np.float32)
            self._obs = np.zeros((num_envs, self.num_obs), dtype=np.float32)
            self._rew = np.zeros(num_envs, dtype=np.float32)
            self._term = np.zeros(num_envs, dtype=bool)
            self._trunc = np.zeros(num_envs, dtype=bool)
            for i, e in enumerate(self.envs):
                self._obs[i] = e.reset(seed=seed + i)[0]
                e.action_space.seed(seed + i)

        def _obs_td(self):
            return TensorDict({"policy": torch.from_numpy(self._obs.copy())}, batch_size=[self.num_envs])

        def get_observations(self):
            return self._obs_td()

        def step(self, actions):
            act = np.clip(actions.detach().cpu().numpy(), self._low, self._high)
            obs, rew, term, trunc = self._obs, self._rew, self._term, self._trunc
            for i, e in enumerate(self.envs):
                o, r, te, tr, _ = e.step(act[i])
                if te or tr:
                    o = e.reset()[0]
                obs[i], rew[i], term[i], trunc[i] = o, r, te, tr
            dones = term | trunc
            self.episode_length_buf += 1
            self.episode_length_buf[torch.from_numpy(dones)] = 0
            extras = {"time_outs": torch.from_numpy(trunc & ~term)}
            return self._obs_td(), torch.from_numpy(rew.copy()), torch.from_numpy(dones), extras

        def close(self):
            for e in self.envs:
                e.close()

    return GymRslVecEnv()


def run_rsl_rl(task: str, num_envs: int, iters: int, seed: int, threads: int) -> tuple[float, float]:
    import torch
    from rsl_rl.runners import OnPolicyRunner

    torch.manual_seed(seed)
    t0 = time.perf_counter()
    env = make_rsl_env(task, num_envs, seed)
    model = {"class_name": "MLPModel", "hidden_dims": H["hidden"], "activation": H["activation"],
             "obs_normalization": False}
    train_cfg = {
        "num_steps_per_env": H["num_steps_per_env"], "save_interval": 10**9, "seed": seed,
        "obs_groups": {"actor": ["policy"], "critic": ["policy"]},
        "actor": {**model, "distribution_cfg": {"class_name": "GaussianDistribution", "init_std": H["init_std"]}},
        "critic": dict(model),
        "algorithm": {"class_name": "PPO", "num_learning_epochs": H["num_learning_epochs"],
                      "num_mini_batches": H["num_mini_batches"], "learning_rate": H["learning_rate"],
                      "schedule": "fixed", "gamma": H["gamma"], "lam": H["lam"], "clip_param": H["clip_param"],
                      "value_loss_coef": H["value_loss_coef"], "entropy_coef": H["entropy_coef"],
                      "max_grad_norm": H["max_grad_norm"], "use_clipped_value_loss": False,
                      "normalize_advantage_per_mini_batch": False, "optimizer": "adam"},
    }
    with contextlib.redirect_stdout(io.StringIO()):  # construct_algorithm prints the actor/critic models
        runner = OnPolicyRunner(env, train_cfg, log_dir=None, device="cpu")
    torch.set_num_threads(threads)
    setup = time.perf_counter() - t0
    t0 = time.perf_counter()
    runner.learn(num_learning_iterations=iters)  # log_dir=None: no writer, no files, no console output
    secs = time.perf_counter() - t0
    env.close()
    return secs, setup


# ----------------------------------------------------------------------------------------------- sb3
def run_sb3(task: str, num_envs: int, iters: int, seed: int, threads: int) -> tuple[float, float]:
    import torch
    from stable_baselines3 import PPO
    from stable_baselines3.common.env_util import make_vec_env
    from stable_baselines3.common.vec_env import DummyVecEnv

    t0 = time.perf_counter()
    venv = make_vec_env(task, n_envs=num_envs, seed=seed, vec_env_cls=DummyVecEnv)
    n_steps = H["num_steps_per_env"]
    model = PPO("MlpPolicy", venv, n_steps=n_steps, batch_size=num_envs * n_steps // H["num_mini_batches"],
                n_epochs=H["num_learning_epochs"], learning_rate=H["learning_rate"], gamma=H["gamma"],
                gae_lambda=H["lam"], clip_range=H["clip_param"], clip_range_vf=None, vf_coef=H["value_loss_coef"],
                ent_coef=H["entropy_coef"], max_grad_norm=H["max_grad_norm"], normalize_advantage=True,
                policy_kwargs=dict(net_arch=dict(pi=H["hidden"], vf=H["hidden"]), activation_fn=torch.nn.Tanh,
                                   log_std_init=0.0),  # log(1.0)
                device="cpu", verbose=0, seed=seed)
    torch.set_num_threads(threads)
    setup = time.perf_counter() - t0
    t0 = time.perf_counter()
    model.learn(total_timesteps=iters * num_envs * n_steps)
    secs = time.perf_counter() - t0
    venv.close()
    return secs, setup


# ----------------------------------------------------------------------------------------------- raw
def run_raw(task: str, num_envs: int, iters: int, seed: int, threads: int) -> tuple[float, float]:
    """Env-only ceiling: SyncVectorEnv(num_envs) with batched random actions, same-step auto-reset."""
    import gymnasium as gym
    from gymnasium.vector import AutoresetMode, SyncVectorEnv

    t0 = time.perf_counter()
    venv = SyncVectorEnv([lambda: gym.make(task) for _ in range(num_envs)], autoreset_mode=AutoresetMode.SAME_STEP)
    venv.reset(seed=seed)
    venv.action_space.seed(seed)
    setup = time.perf_counter() - t0
    t0 = time.perf_counter()
    for _ in range(iters * H["num_steps_per_env"]):
        venv.step(venv.action_space.sample())
    secs = time.perf_counter() - t0
    venv.close()
    return secs, setup


RUNNERS = {"st_rl": run_st_rl, "rsl_rl": run_rsl_rl, "sb3": run_sb3, "raw": run_raw}


# ------------------------------------------------------------------------------------------- driver
def worker(a) -> None:
    threads = None
    if a._worker != "raw":  # keep torch out of the env-only run (its RSS is then the env's own)
        import torch
        torch.set_num_threads(a.threads)
    iters = a.steps // (a.num_envs * H["num_steps_per_env"])
    secs, setup = RUNNERS[a._worker](a.task, a.num_envs, iters, a.seed, a.threads)
    steps = iters * a.num_envs * H["num_steps_per_env"]
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    if a._worker != "raw": threads = torch.get_num_threads()
    print(RESULT_TAG + json.dumps({"impl": a._worker, "steps": steps, "seconds": secs, "setup_seconds": setup,
                                   "rss_mb": rss_mb, "torch_threads": threads}), flush=True)


def spawn(impl: str, a, seed: int) -> dict:
    cmd = [sys.executable, os.path.abspath(__file__), "--_worker", impl, "--task", a.task, "--steps", str(a.steps),
           "--num_envs", str(a.num_envs), "--threads", str(a.threads), "--seed", str(seed)]
    env = {**os.environ, "OMP_NUM_THREADS": str(a.threads), "MKL_NUM_THREADS": str(a.threads),
           "OPENBLAS_NUM_THREADS": str(a.threads)}
    # a scratch cwd: MuJoCo writes MUJOCO_LOG.TXT (deprecation warnings) into the working directory
    with tempfile.TemporaryDirectory(prefix="bench_ppo_") as cwd:
        p = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=cwd)
    lines = [l for l in p.stdout.splitlines() if l.startswith(RESULT_TAG)]
    if p.returncode != 0 or not lines:
        sys.stderr.write(f"\n[{impl}] worker failed (exit {p.returncode}):\n{p.stdout[-3000:]}\n{p.stderr[-5000:]}\n")
        return {"impl": impl, "error": (p.stderr.strip().splitlines() or ["?"])[-1]}
    r = json.loads(lines[-1][len(RESULT_TAG):])
    r["steps_per_s"] = r["steps"] / r["seconds"]
    return r


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--task", default="HalfCheetah-v5", help="gymnasium id (default HalfCheetah-v5)")
    ap.add_argument("--steps", type=int, default=100_000,
                    help="env steps per run, rounded down to whole iterations of num_envs*256 (default 100000)")
    ap.add_argument("--repeats", type=int, default=3, help="rounds; each runs every impl once (default 3)")
    ap.add_argument("--num_envs", type=int, default=8, help="parallel envs (default 8)")
    ap.add_argument("--threads", type=int, default=1, help="torch intra-op threads for every impl (default 1)")
    ap.add_argument("--impls", default=",".join(ALL_IMPLS), help=f"comma list from {','.join(ALL_IMPLS)}")
    ap.add_argument("--seed", type=int, default=0, help="base seed; repeat r uses seed+r (default 0)")
    ap.add_argument("--json", metavar="OUT", help="also write all results to this JSON file")
    ap.add_argument("--_worker", choices=ALL_IMPLS, help=argparse.SUPPRESS)
    a = ap.parse_args(argv)

    if a._worker:
        return worker(a)

    impls = [i.strip() for i in a.impls.split(",") if i.strip()]
    bad = [i for i in impls if i not in ALL_IMPLS]
    if bad: ap.error(f"unknown impl(s) {bad}; choose from {ALL_IMPLS}")
    per_iter = a.num_envs * H["num_steps_per_env"]
    if a.steps < per_iter: ap.error(f"--steps must be >= num_envs*256 = {per_iter}")
    steps = a.steps // per_iter * per_iter

    runs: dict[str, list[dict]] = {i: [] for i in impls}
    for r in range(a.repeats):
        order = impls[r % len(impls):] + impls[:r % len(impls)]  # rotate the start each round
        for impl in order:
            res = spawn(impl, a, a.seed + r)
            res["repeat"] = r
            runs[impl].append(res)
            msg = f"{res['steps_per_s']:8.0f} steps/s ({res['seconds']:.1f}s)" if "error" not in res else f"FAILED: {res['error']}"
            print(f"  repeat {r + 1}/{a.repeats}  {impl:<7} {msg}", flush=True)

    def ok(impl): return [x for x in runs.get(impl, []) if "error" not in x]
    med = {i: statistics.median(x["steps_per_s"] for x in ok(i)) for i in impls if ok(i)}
    rss = {i: max(x["rss_mb"] for x in ok(i)) for i in impls if ok(i)}

    print(f"\ntask {a.task}, {steps} steps/run, {a.repeats} repeats, torch threads {a.threads}, "
          f"{a.num_envs} envs x 256 steps/iter")
    print(f"{'impl':<8} {'steps/s (median)':>16}   {'runs':<28} {'peak RSS MB':>11}")
    notes = {"raw": f"   (SyncVectorEnv({a.num_envs}), random actions: ceiling)"}
    for i in impls:
        if i not in med:
            print(f"{i:<8} {'failed':>16}"); continue
        rs = ", ".join(f"{x['steps_per_s']:.0f}" for x in ok(i))
        print(f"{i:<8} {med[i]:>16.0f}   {rs:<28} {rss[i]:>11.0f}{notes.get(i, '')}")

    ratios = {}
    if "st_rl" in med:
        peers = [p for p in ("rsl_rl", "sb3") if p in med]
        for p in peers: ratios[f"st_rl/{p}"] = med["st_rl"] / med[p]
        if peers: ratios["st_rl/faster_peer"] = med["st_rl"] / max(med[p] for p in peers)
        if "raw" in med: ratios["st_rl/raw"] = med["st_rl"] / med["raw"]
    if ratios:
        print("   ".join(f"{k.replace('/', ' / ').replace('faster_peer', 'faster peer')} = {v:.2f}" for k, v in ratios.items()))

    if a.json:
        import torch
        out = {"task": a.task, "steps_per_run": steps, "repeats": a.repeats, "num_envs": a.num_envs,
               "threads": a.threads, "hyperparameters": H, "median_steps_per_s": med, "peak_rss_mb": rss,
               "ratios": ratios, "runs": runs,
               "machine": {"python": platform.python_version(), "platform": platform.platform(),
                           "cpu_count": os.cpu_count(), "torch": torch.__version__}}
        with open(a.json, "w") as f: json.dump(out, f, indent=2)
        print(f"results written to {a.json}")


if __name__ == "__main__":
    main()
