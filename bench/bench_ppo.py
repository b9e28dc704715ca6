#!/usr/bin/env python
"""PPO throughput benchmark: st_rl vs rsl_rl vs Stable-Baselines3 (+ raw gymnasium env and MuJoCo physics ceilings).

All three implementations train PPO on the same gymnasium task with the same hyperparameters
(num_envs x 256 steps per iteration, 5 epochs x 4 minibatches, lr 3e-4 fixed, gamma 0.99, lambda 0.95,
clip 0.2, value coef 0.5, entropy 0, max grad norm 0.5, init std 1.0, no observation or reward normalisation,
unclipped value loss) on the CPU with `--threads` torch threads. The actor/critic nets are `--nets`:
small = [64, 64] tanh (default), legged = [256, 256, 256] elu (rsl_rl's legged-robot default).

A configuration is one (task, net, num_envs); every configuration gets its own table. Each run executes in a
fresh subprocess (this script with the hidden `--_worker IMPL` flag), so peak RSS is per implementation, and
the implementations are run round-robin within each repeat, so machine-load drift affects them all alike.
A run is timed over its whole training (env stepping + learning), after the envs and the model are built;
steps/s = env steps / wall seconds. Memory: the trainer's peak RSS, and the PSS of the whole process tree (trainer +
st_rl's env workers) once training is over, where pages shared by the fork count once: the fair total for a
multi-process implementation.

Impls: st_rl (GymVecEnv with `--st_rl_workers` env worker processes, -1 = automatic; batched MuJoCo stepping where
the task has it), st_rl_w0 (st_rl with all envs in-process; not run by default), st_rl_gym (st_rl stepping every env
through gymnasium's own `step`, in-process: st_rl before issue 8's env work), rsl_rl, sb3, raw (gymnasium
SyncVectorEnv stepped with random actions: the env ceiling), st_rl_env (st_rl's GymVecEnv, as the st_rl impl makes
it, stepped with random actions: the ceiling of st_rl's own loop) and physics (only `mujoco.mj_step` on the same
envs' model/data: the physics ceiling).

    python bench/bench_ppo.py                       # HalfCheetah-v5, 8 envs, 100k steps/run, 3 repeats
    python bench/bench_ppo.py --steps 4096 --repeats 1   # smoke test
    python bench/bench_ppo.py --tasks HalfCheetah-v5,Humanoid-v5 --num_envs_list 1,8,32 --nets small,legged
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
from dataclasses import dataclass

ALL_IMPLS = ("st_rl", "st_rl_w0", "st_rl_gym", "rsl_rl", "sb3", "raw", "st_rl_env", "physics")
DEFAULT_IMPLS = ("st_rl", "st_rl_gym", "rsl_rl", "sb3", "raw", "st_rl_env", "physics")
PEERS = ("rsl_rl", "sb3")
TORCH_FREE = ("raw", "physics")  # env-only runs: torch is never imported, so their RSS is the env's own
CEILINGS = ("raw", "st_rl_env", "physics")
RESULT_TAG = "BENCH_RESULT "

# shared hyperparameters (the single source for all implementations); the net comes from NETS
H = dict(num_steps_per_env=256, num_learning_epochs=5, num_mini_batches=4, learning_rate=3e-4, gamma=0.99,
         lam=0.95, clip_param=0.2, value_loss_coef=0.5, entropy_coef=0.0, max_grad_norm=0.5, init_std=1.0)
NETS = {"small": dict(hidden=[64, 64], activation="tanh"),
        "legged": dict(hidden=[256, 256, 256], activation="elu")}


@dataclass(frozen=True)
class Config:
    """One comparison (one table): the task, the actor/critic net and the number of envs."""
    task: str
    net: str
    num_envs: int

    @property
    def steps_per_iter(self) -> int: return self.num_envs * H["num_steps_per_env"]
    @property
    def minibatch(self) -> int: return self.steps_per_iter // H["num_mini_batches"]
    @property
    def hidden(self) -> list[int]: return NETS[self.net]["hidden"]
    @property
    def activation(self) -> str: return NETS[self.net]["activation"]
    def describe(self) -> str:
        return f"{self.task}, net {self.net} {self.hidden} {self.activation}, {self.num_envs} envs x 256 steps/iter"


@dataclass(frozen=True)
class Job:
    """What one worker run needs: a configuration, how long, and the run-wide settings."""
    cfg: Config
    iters: int
    seed: int
    threads: int
    st_rl_workers: int


def tree_pss_mb() -> float | None:
    """Proportional set size (MB) of this process and its child processes (st_rl's env workers), read once the timed
    training is over: a page shared by k processes counts 1/k in each, so the fork-shared pages count once in the sum.
    None where /proc has no smaps_rollup (not Linux)."""
    pids = [os.getpid()]
    try:
        for task in os.listdir("/proc/self/task"):
            with open(f"/proc/self/task/{task}/children") as f: pids += [int(p) for p in f.read().split()]
    except OSError:
        return None
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/smaps_rollup") as f:
                total += next(int(line.split()[1]) for line in f if line.startswith("Pss:"))
        except (OSError, StopIteration):
            if pid == pids[0]: return None
    return total / 1024


# --------------------------------------------------------------------------------------------- st_rl
def run_st_rl(j: Job, num_workers: int, **env_kwargs) -> dict:
    from st_rl.env.gym_adapter import GymVecEnv
    from st_rl.runners.on_policy_runner import OnPolicyRunner

    c = j.cfg
    t0 = time.perf_counter()
    # the actor reads the whole observation, as the peers' (st_rl's default keeps Ant's contact forces for the critic)
    env = GymVecEnv(c.task, num_envs=c.num_envs, seed=j.seed, num_workers=num_workers, critic_only=[], **env_kwargs)
    cfg = {"num_steps_per_env": H["num_steps_per_env"], "empirical_normalization": False, "logger": "none",
           "print_interval": 0, "seed": j.seed, "num_threads": j.threads,
           "policy": {"class_name": "ActorCritic", "actor_hidden_dims": c.hidden, "critic_hidden_dims": c.hidden,
                      "activation": c.activation, "init_noise_std": H["init_std"]},
           "algorithm": {"class_name": "PPO", "num_learning_epochs": H["num_learning_epochs"],
                         "num_mini_batches": H["num_mini_batches"], "learning_rate": H["learning_rate"],
                         "schedule": "fixed", "gamma": H["gamma"], "lam": H["lam"], "clip_param": H["clip_param"],
                         "value_loss_coef": H["value_loss_coef"], "entropy_coef": H["entropy_coef"],
                         "max_grad_norm": H["max_grad_norm"], "use_clipped_value_loss": False,
                         "reward_normalization": False, "input_lr_ref": 0,   # one lr for every layer and
                         "target_kl": 0.0}}                                    # every minibatch, as the peers
    runner = OnPolicyRunner(env, cfg, log_dir=None, device="cpu")
    setup = time.perf_counter() - t0
    t0 = time.perf_counter()
    runner.learn(j.iters)
    secs = time.perf_counter() - t0
    pss = tree_pss_mb()
    env_workers = env.num_workers
    env.close()  # joins the env worker processes, so RUSAGE_CHILDREN now covers them
    # the largest env worker's peak RSS; most of it is the trainer's pages, shared copy-on-write by the fork
    worker_rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024 if env_workers else None
    return {"seconds": secs, "setup_seconds": setup, "pss_mb": pss, "env_workers": env_workers, "env_worker_rss_mb": worker_rss,
            "batched_step": env.batched_step}


def run_st_rl_env(j: Job) -> dict:
    """st_rl's env ceiling: the GymVecEnv the st_rl impl trains on, stepped with uniform random actions (torch)."""
    import torch
    from st_rl.env.gym_adapter import GymVecEnv

    c = j.cfg
    t0 = time.perf_counter()
    env = GymVecEnv(c.task, num_envs=c.num_envs, seed=j.seed, num_workers=j.st_rl_workers)
    g = torch.Generator().manual_seed(j.seed)
    lo, hi = torch.from_numpy(env._low), torch.from_numpy(env._high)
    actions = [lo + (hi - lo) * torch.rand(c.num_envs, env.num_actions, generator=g) for _ in range(64)]
    setup = time.perf_counter() - t0
    t0 = time.perf_counter()
    for t in range(j.iters * H["num_steps_per_env"]):
        env.step(actions[t % 64])
    secs = time.perf_counter() - t0
    pss = tree_pss_mb()
    env_workers = env.num_workers
    env.close()
    return {"seconds": secs, "setup_seconds": setup, "pss_mb": pss, "env_workers": env_workers, "env_worker_rss_mb": None,
            "batched_step": env.batched_step}


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


def run_rsl_rl(j: Job) -> dict:
    import torch
    from rsl_rl.runners import OnPolicyRunner

    c = j.cfg
    torch.manual_seed(j.seed)
    t0 = time.perf_counter()
    env = make_rsl_env(c.task, c.num_envs, j.seed)
    model = {"class_name": "MLPModel", "hidden_dims": c.hidden, "activation": c.activation,
             "obs_normalization": False}
    train_cfg = {
        "num_steps_per_env": H["num_steps_per_env"], "save_interval": 10**9, "seed": j.seed,
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
    torch.set_num_threads(j.threads)
    setup = time.perf_counter() - t0
    t0 = time.perf_counter()
    runner.learn(num_learning_iterations=j.iters)  # log_dir=None: no writer, no files, no console output
    secs = time.perf_counter() - t0
    pss = tree_pss_mb()
    env.close()
    return {"seconds": secs, "setup_seconds": setup, "pss_mb": pss}


# ----------------------------------------------------------------------------------------------- sb3
def run_sb3(j: Job) -> dict:
    import torch
    from stable_baselines3 import PPO
    from stable_baselines3.common.env_util import make_vec_env
    from stable_baselines3.common.vec_env import DummyVecEnv

    c = j.cfg
    activation_fn = {"tanh": torch.nn.Tanh, "elu": torch.nn.ELU}[c.activation]
    t0 = time.perf_counter()
    venv = make_vec_env(c.task, n_envs=c.num_envs, seed=j.seed, vec_env_cls=DummyVecEnv)
    model = PPO("MlpPolicy", venv, n_steps=H["num_steps_per_env"], batch_size=c.minibatch,
                n_epochs=H["num_learning_epochs"], learning_rate=H["learning_rate"], gamma=H["gamma"],
                gae_lambda=H["lam"], clip_range=H["clip_param"], clip_range_vf=None, vf_coef=H["value_loss_coef"],
                ent_coef=H["entropy_coef"], max_grad_norm=H["max_grad_norm"], normalize_advantage=True,
                policy_kwargs=dict(net_arch=dict(pi=c.hidden, vf=c.hidden), activation_fn=activation_fn,
                                   log_std_init=0.0),  # log(1.0)
                device="cpu", verbose=0, seed=j.seed)
    torch.set_num_threads(j.threads)
    setup = time.perf_counter() - t0
    t0 = time.perf_counter()
    model.learn(total_timesteps=j.iters * c.steps_per_iter)
    secs = time.perf_counter() - t0
    pss = tree_pss_mb()
    venv.close()
    return {"seconds": secs, "setup_seconds": setup, "pss_mb": pss}


# ----------------------------------------------------------------------------------------------- raw
def run_raw(j: Job) -> dict:
    """Env-only ceiling: SyncVectorEnv(num_envs) with batched random actions, same-step auto-reset."""
    import gymnasium as gym
    from gymnasium.vector import AutoresetMode, SyncVectorEnv

    c = j.cfg
    t0 = time.perf_counter()
    venv = SyncVectorEnv([lambda: gym.make(c.task) for _ in range(c.num_envs)], autoreset_mode=AutoresetMode.SAME_STEP)
    venv.reset(seed=j.seed)
    venv.action_space.seed(j.seed)
    setup = time.perf_counter() - t0
    t0 = time.perf_counter()
    for _ in range(j.iters * H["num_steps_per_env"]):
        venv.step(venv.action_space.sample())
    secs = time.perf_counter() - t0
    pss = tree_pss_mb()
    venv.close()
    return {"seconds": secs, "setup_seconds": setup, "pss_mb": pss}


# ------------------------------------------------------------------------------------------- physics
def run_physics(j: Job) -> dict:
    """Physics-only ceiling: `mujoco.mj_step(model, data, nstep=frame_skip)` on each env's model/data in turn,
    with random controls inside the actuators' control range (pre-sampled, cycled). No observations, rewards or
    terminations; each env's data is reset (`mj_resetData`) at the task's time limit, as the time limit would."""
    import gymnasium as gym
    import mujoco
    import numpy as np

    c = j.cfg
    t0 = time.perf_counter()
    envs = [gym.make(c.task) for _ in range(c.num_envs)]
    for i, e in enumerate(envs):
        e.reset(seed=j.seed + i)
    sims = [(e.unwrapped.model, e.unwrapped.data) for e in envs]
    frame_skip = envs[0].unwrapped.frame_skip
    horizon = envs[0].spec.max_episode_steps or 1000
    lo, hi = sims[0][0].actuator_ctrlrange.T  # the bounds gymnasium's MujocoEnv gives its action space
    ctrl = np.random.default_rng(j.seed).uniform(lo, hi, size=(1024, c.num_envs, lo.size))
    setup = time.perf_counter() - t0
    t0 = time.perf_counter()
    for t in range(j.iters * H["num_steps_per_env"]):
        if t and t % horizon == 0:
            for model, data in sims:
                mujoco.mj_resetData(model, data)
        u = ctrl[t % len(ctrl)]
        for k, (model, data) in enumerate(sims):
            data.ctrl[:] = u[k]
            mujoco.mj_step(model, data, nstep=frame_skip)
    secs = time.perf_counter() - t0
    pss = tree_pss_mb()
    for e in envs:
        e.close()
    return {"seconds": secs, "setup_seconds": setup, "pss_mb": pss, "frame_skip": frame_skip}


RUNNERS = {"st_rl": lambda j: run_st_rl(j, j.st_rl_workers), "st_rl_w0": lambda j: run_st_rl(j, 0),
           "st_rl_gym": lambda j: run_st_rl(j, 0, batched_step=False), "st_rl_env": run_st_rl_env,
           "rsl_rl": run_rsl_rl, "sb3": run_sb3, "raw": run_raw, "physics": run_physics}


# ------------------------------------------------------------------------------------------- worker
def worker(a) -> None:
    """Run one implementation (in this fresh process) and print its result line."""
    cfg = Config(a.task, a._net, a.num_envs)
    job = Job(cfg, a.steps // cfg.steps_per_iter, a.seed, a.threads, a.st_rl_workers)
    if a._worker not in TORCH_FREE:
        import torch
        torch.set_num_threads(a.threads)
    res = RUNNERS[a._worker](job)
    res.update(impl=a._worker, steps=job.iters * cfg.steps_per_iter,
               rss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,  # KiB on Linux
               torch_threads=None if a._worker in TORCH_FREE else torch.get_num_threads())
    print(RESULT_TAG + json.dumps(res), flush=True)


def spawn(impl: str, cfg: Config, steps: int, seed: int, a) -> dict:
    cmd = [sys.executable, os.path.abspath(__file__), "--_worker", impl, "--task", cfg.task, "--_net", cfg.net,
           "--num_envs", str(cfg.num_envs), "--steps", str(steps), "--threads", str(a.threads),
           "--seed", str(seed), "--st_rl_workers", str(a.st_rl_workers)]
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


# ------------------------------------------------------------------------------------------- driver
def label(impl: str, a) -> str:
    if impl == "st_rl": return f"st_rl(w={'auto' if a.st_rl_workers < 0 else a.st_rl_workers})"
    if impl == "st_rl_w0": return "st_rl(w=0)"
    if impl == "st_rl_gym": return "st_rl(gym)"
    if impl == "st_rl_env": return "st_rl env"
    return impl


def run_config(cfg: Config, impls: list[str], steps: int, a) -> dict[str, list[dict]]:
    """All repeats of one configuration, round-robin (the start rotates each round)."""
    runs: dict[str, list[dict]] = {i: [] for i in impls}
    for r in range(a.repeats):
        for impl in impls[r % len(impls):] + impls[:r % len(impls)]:
            res = spawn(impl, cfg, steps, a.seed + r, a)
            res["repeat"] = r
            runs[impl].append(res)
            msg = f"{res['steps_per_s']:8.0f} steps/s ({res['seconds']:.1f}s)" if "error" not in res else f"FAILED: {res['error']}"
            print(f"  repeat {r + 1}/{a.repeats}  {label(impl, a):<13} {msg}", flush=True)
    return runs


def compute_ratios(med: dict[str, float]) -> dict[str, float]:
    ratios = {}
    peers = [p for p in PEERS if p in med]
    fastest = max((med[p] for p in peers), default=None)
    if "st_rl" in med:
        for p in peers: ratios[f"st_rl/{p}"] = med["st_rl"] / med[p]
        if fastest: ratios["st_rl/faster_peer"] = med["st_rl"] / fastest
        for ceiling in CEILINGS:
            if ceiling in med: ratios[f"st_rl/{ceiling}"] = med["st_rl"] / med[ceiling]
        if "st_rl_gym" in med: ratios["st_rl/st_rl_gym"] = med["st_rl"] / med["st_rl_gym"]
    for other in ("st_rl_w0", "st_rl_gym"):
        if other in med and fastest: ratios[f"{other}/faster_peer"] = med[other] / fastest
    return ratios


def summarize(cfg: Config, steps: int, runs: dict[str, list[dict]], a) -> dict:
    ok = {i: [x for x in rs if "error" not in x] for i, rs in runs.items()}
    med = {i: statistics.median(x["steps_per_s"] for x in rs) for i, rs in ok.items() if rs}
    return {"task": cfg.task, "net": cfg.net, "hidden": cfg.hidden, "activation": cfg.activation,
            "num_envs": cfg.num_envs, "minibatch_size": cfg.minibatch, "steps_per_run": steps,
            "labels": {i: label(i, a) for i in runs}, "median_steps_per_s": med,
            "peak_rss_mb": {i: max(x["rss_mb"] for x in rs) for i, rs in ok.items() if rs},
            "pss_mb": {i: max(x["pss_mb"] for x in rs) for i, rs in ok.items() if rs and all(x.get("pss_mb") for x in rs)},
            "ratios": compute_ratios(med), "runs": runs}


def note(impl: str, rs: list[dict], cfg: Config) -> str:
    if impl == "raw": return f"   (SyncVectorEnv({cfg.num_envs}), random actions: ceiling)"
    if impl == "physics": return f"   (mj_step x frame_skip {rs[0]['frame_skip']} only, random ctrl: ceiling)"
    if impl.startswith("st_rl"):
        w, how = rs[0]["env_workers"], "batched MuJoCo step" if rs[0].get("batched_step") else "gymnasium's step"
        what = ", random actions: ceiling" if impl == "st_rl_env" else ""
        if w and impl != "st_rl_env":
            rss = max(x["env_worker_rss_mb"] for x in rs)
            return f"   ({how}, {w} env worker process{'es' * (w > 1)}, its peak RSS {rss:.0f} MB incl. fork-shared pages)"
        return f"   ({how}, {f'{w} env worker process' if w else 'all envs in-process'}{what})"
    return ""


def print_table(s: dict, cfg: Config, a) -> None:
    print(f"\ntask {cfg.task}, {s['steps_per_run']} steps/run, {a.repeats} repeats, torch threads {a.threads}, "
          f"{cfg.num_envs} envs x 256 steps/iter, net {cfg.net} {cfg.hidden} {cfg.activation}")
    print(f"{'impl':<13} {'steps/s (median)':>16}   {'runs':<28} {'peak RSS MB':>11} {'PSS MB':>7}")
    for i, rs in s["runs"].items():
        rs = [x for x in rs if "error" not in x]
        if not rs:
            print(f"{label(i, a):<13} {'failed':>16}"); continue
        runs = ", ".join(f"{x['steps_per_s']:.0f}" for x in rs)
        pss = s["pss_mb"].get(i)
        print(f"{label(i, a):<13} {s['median_steps_per_s'][i]:>16.0f}   {runs:<28} {s['peak_rss_mb'][i]:>11.0f}"
              f" {'-' if pss is None else f'{pss:.0f}':>7}"
              f"{note(i, rs, cfg)}")
    pss, peers = s["pss_mb"], [p for p in PEERS if p in s["pss_mb"]]
    if "st_rl" in pss and peers:
        print("   ".join(f"PSS st_rl / {p} = {pss['st_rl'] / pss[p]:.2f}" for p in peers))
    if s["ratios"]:
        print("   ".join(f"{k.replace('/', ' / ').replace('faster_peer', 'faster peer')} = {v:.2f}"
                         for k, v in s["ratios"].items()))


def write_json(path: str, results: list[dict], impls: list[str], a) -> None:
    import torch
    out = {"repeats": a.repeats, "threads": a.threads, "impls": impls, "st_rl_workers": a.st_rl_workers,
           "hyperparameters": H, "nets": NETS, "configurations": results,
           "machine": {"python": platform.python_version(), "platform": platform.platform(),
                       "cpu_count": os.cpu_count(), "torch": torch.__version__}}
    with open(path, "w") as f: json.dump(out, f, indent=2)
    print(f"results written to {path}")


def comma_list(s: str, kind=str) -> list:
    return [kind(x.strip()) for x in s.split(",") if x.strip()]


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--task", default="HalfCheetah-v5", help="gymnasium id (default HalfCheetah-v5)")
    ap.add_argument("--tasks", help="comma list of gymnasium ids, one comparison each (default: --task)")
    ap.add_argument("--steps", type=int, default=100_000,
                    help="env steps per run, rounded down to whole iterations of num_envs*256 (default 100000)")
    ap.add_argument("--repeats", type=int, default=3, help="rounds; each runs every impl once (default 3)")
    ap.add_argument("--num_envs", type=int, default=8, help="parallel envs (default 8)")
    ap.add_argument("--num_envs_list", help="comma list of env counts, one comparison each (default: --num_envs)")
    ap.add_argument("--nets", default="small",
                    help="comma list from small ([64,64] tanh), legged ([256,256,256] elu) (default small)")
    ap.add_argument("--threads", type=int, default=1, help="torch intra-op threads for every impl (default 1)")
    ap.add_argument("--impls", default=",".join(DEFAULT_IMPLS),
                    help=f"comma list from {','.join(ALL_IMPLS)} (default {','.join(DEFAULT_IMPLS)})")
    ap.add_argument("--st_rl_workers", type=int, default=-1,
                    help="st_rl GymVecEnv num_workers: env worker processes, -1 = automatic (default -1)")
    ap.add_argument("--seed", type=int, default=0, help="base seed; repeat r uses seed+r (default 0)")
    ap.add_argument("--json", metavar="OUT", help="also write all configurations' results to this JSON file")
    ap.add_argument("--_worker", choices=ALL_IMPLS, help=argparse.SUPPRESS)
    ap.add_argument("--_net", choices=tuple(NETS), default="small", help=argparse.SUPPRESS)
    a = ap.parse_args(argv)

    if a._worker:
        return worker(a)

    impls = comma_list(a.impls)
    tasks = comma_list(a.tasks) if a.tasks else [a.task]
    nets = comma_list(a.nets)
    try: env_counts = comma_list(a.num_envs_list, int) if a.num_envs_list else [a.num_envs]
    except ValueError: ap.error(f"--num_envs_list must be a comma list of integers, got {a.num_envs_list!r}")
    for what, got, allowed in (("impl", impls, ALL_IMPLS), ("net", nets, tuple(NETS))):
        bad = [x for x in got if x not in allowed]
        if bad or not got: ap.error(f"unknown {what}(s) {bad}; choose from {allowed}")
    if not tasks or any(n < 1 for n in env_counts): ap.error("need at least one task and num_envs >= 1")
    configs = [Config(t, net, n) for t in tasks for net in nets for n in env_counts]
    too_few = sorted({c.steps_per_iter for c in configs if a.steps < c.steps_per_iter})
    if too_few: ap.error(f"--steps must be >= num_envs*256 = {too_few[-1]}")

    results = []
    for k, cfg in enumerate(configs):
        steps = a.steps // cfg.steps_per_iter * cfg.steps_per_iter
        if len(configs) > 1: print(f"\n[{k + 1}/{len(configs)}] {cfg.describe()}", flush=True)
        s = summarize(cfg, steps, run_config(cfg, impls, steps, a), a)
        print_table(s, cfg, a)
        results.append(s)
    if a.json:
        write_json(a.json, results, impls, a)


if __name__ == "__main__":
    main()
