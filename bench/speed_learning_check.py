#!/usr/bin/env python
"""Issue 8's check that speed changed no learning: PPO on HalfCheetah-v5 with bench_ppo.py's shared hyperparameters,
trained for `--steps` env steps through st_rl's fast path (batched MuJoCo stepping, env worker processes, automatic
update threads) and through gymnasium's own step in one process (st_rl before the speed work), same seeds.
Prints the mean return of the last 100 finished episodes, the deterministic evaluation return and whether the final
parameters are bit-identical.

    python bench/speed_learning_check.py --steps 200000 --seeds 1,2

With `--against DIR` (another st_rl checkout, e.g. `git worktree add /tmp/base <commit>`), it instead trains the fast path
of both checkouts on each seed and compares the returns over the seeds: for changes to the learner that keep PPO's
mathematics but not its last bits (e.g. a faster tanh), whose learning curves must stay within seed noise.

    python bench/speed_learning_check.py --steps 200000 --seeds 1,2,3,4,5,6 --against /tmp/base
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_ppo import H, NETS  # noqa: E402


def train(task: str, seed: int, steps: int, fast: bool, net: str, obs_norm: bool = False):
    import torch
    from st_rl.env.gym_adapter import GymVecEnv
    from st_rl.runners.on_policy_runner import OnPolicyRunner
    env = GymVecEnv(task, num_envs=8, seed=seed, **({} if fast else {"num_workers": 0, "batched_step": False}))
    n = NETS[net]
    cfg = {"num_steps_per_env": H["num_steps_per_env"], "empirical_normalization": obs_norm, "logger": "none",
           "print_interval": 0, "seed": seed,
           "policy": {"class_name": "ActorCritic", "actor_hidden_dims": n["hidden"], "critic_hidden_dims": n["hidden"],
                      "activation": n["activation"], "init_noise_std": H["init_std"]},
           "algorithm": {"class_name": "PPO", "num_learning_epochs": H["num_learning_epochs"],
                         "num_mini_batches": H["num_mini_batches"], "learning_rate": H["learning_rate"],
                         "schedule": "fixed", "gamma": H["gamma"], "lam": H["lam"], "clip_param": H["clip_param"],
                         "value_loss_coef": H["value_loss_coef"], "entropy_coef": H["entropy_coef"],
                         "max_grad_norm": H["max_grad_norm"], "use_clipped_value_loss": False, "reward_normalization": False,
                         "input_lr_ref": 0, "target_kl": 0.0}}
    torch.manual_seed(seed)
    runner = OnPolicyRunner(env, cfg, log_dir=None, device="cpu")
    t0 = time.perf_counter()
    runner.learn(steps // (8 * H["num_steps_per_env"]))
    secs = time.perf_counter() - t0
    train_return = sum(runner.episodes.returns) / max(1, len(runner.episodes.returns))
    params = torch.cat([p.detach().flatten() for p in runner.alg.actor_critic.parameters()])
    # deterministic evaluation: 8 episodes of 1000 steps on fresh envs
    ev = GymVecEnv(task, num_envs=8, seed=10_000 + seed, num_workers=0)
    policy = runner.alg.actor_critic
    obs, _ = ev.reset(); ret = torch.zeros(8)
    with torch.inference_mode():
        for _ in range(ev.max_episode_length):
            obs, r, d, _ = ev.step(policy.act_inference(obs)); ret += r
    ev.close(); env.close()
    return train_return, float(ret.mean()), params, secs, runner.update_threads, env.num_workers


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--task", default="HalfCheetah-v5")
    ap.add_argument("--steps", type=int, default=200_000)
    ap.add_argument("--seeds", default="1,2")
    ap.add_argument("--net", default="small", choices=tuple(NETS))
    ap.add_argument("--obs_norm", action="store_true", help="empirical observation normalisation on (the library's default; off in the bench)")
    ap.add_argument("--against", metavar="DIR", help="another st_rl checkout to compare learning with, over the seeds")
    ap.add_argument("--_train", metavar="DIR", help=argparse.SUPPRESS)   # worker: train with the st_rl found in DIR
    a = ap.parse_args()
    if a._train: return train_worker(a)
    if a.against: return compare_checkouts(a)
    print(f"{a.task}, {a.steps} env steps, net {a.net}, bench_ppo.py hyperparameters")
    print(f"{'seed':>4}  {'path':<34} {'train return':>12} {'eval return':>11} {'steps/s':>8}")
    for seed in [int(s) for s in a.seeds.split(",")]:
        out = {}
        for fast in (False, True):
            tr, ev, params, secs, ut, w = train(a.task, seed, a.steps, fast, a.net, a.obs_norm)
            path = f"fast (batched, {w} worker, {ut} update thr)" if fast else "gymnasium step, in-process"
            print(f"{seed:>4}  {path:<34} {tr:12.1f} {ev:11.1f} {a.steps // (8 * 256) * 8 * 256 / secs:8.0f}", flush=True)
            out[fast] = params
        print(f"      parameters bit-identical: {bool((out[True] == out[False]).all())}, "
              f"max |diff| {float((out[True] - out[False]).abs().max()):.2e}")


def train_worker(a) -> None:
    "One fast-path run per seed with the st_rl package of checkout `a._train`; prints a JSON line per seed."
    sys.path.insert(0, os.path.abspath(a._train))
    import st_rl
    assert st_rl.__file__.startswith(os.path.abspath(a._train)), f"st_rl imported from {st_rl.__file__}"
    for seed in [int(s) for s in a.seeds.split(",")]:
        tr, ev, _, secs, _, _ = train(a.task, seed, a.steps, True, a.net, a.obs_norm)
        print("RUN " + json.dumps({"seed": seed, "train": tr, "eval": ev, "seconds": secs}), flush=True)


def compare_checkouts(a) -> None:
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    print(f"{a.task}, {a.steps} env steps, net {a.net}, bench_ppo.py hyperparameters{' + observation normalisation' if a.obs_norm else ''}; fast path of each checkout")
    res = {}
    for name, d in (("this checkout", here), ("--against", a.against)):
        cmd = [sys.executable, os.path.abspath(__file__), "--_train", d, "--task", a.task, "--steps", str(a.steps),
               "--seeds", a.seeds, "--net", a.net] + (["--obs_norm"] if a.obs_norm else [])
        out = subprocess.run(cmd, capture_output=True, text=True)
        if out.returncode: sys.exit(f"{name} ({d}) failed:\n{out.stderr[-3000:]}")
        res[name] = [json.loads(line[4:]) for line in out.stdout.splitlines() if line.startswith("RUN ")]
    print(f"{'seed':>4}  {'checkout':<14} {'train return':>12} {'eval return':>11} {'steps/s':>8}")
    for i, seed in enumerate(int(s) for s in a.seeds.split(",")):
        for name, runs in res.items():
            r = runs[i]
            print(f"{seed:>4}  {name:<14} {r['train']:12.1f} {r['eval']:11.1f} {a.steps // 2048 * 2048 / r['seconds']:8.0f}")
    for key in ("train", "eval"):
        x, y = ([r[key] for r in res[n]] for n in res)
        sx, sy = (statistics.stdev(v) if len(v) > 1 else float("nan") for v in (x, y))
        se = ((sx ** 2 + sy ** 2) / len(x)) ** 0.5
        print(f"{key} return over {len(x)} seeds: this {statistics.mean(x):.1f} ± {sx:.1f}, --against "
              f"{statistics.mean(y):.1f} ± {sy:.1f} (mean ± std); difference {statistics.mean(x) - statistics.mean(y):+.1f} "
              f"= {(statistics.mean(x) - statistics.mean(y)) / se if se else float('nan'):+.2f} standard errors")


if __name__ == "__main__":
    main()
