#!/usr/bin/env python
"""Issue 8's check that speed changed no learning: PPO on HalfCheetah-v5 with bench_ppo.py's shared hyperparameters,
trained for `--steps` env steps through st_rl's fast path (batched MuJoCo stepping, env worker processes, automatic
update threads) and through gymnasium's own step in one process (st_rl before the speed work), same seeds.
Prints the mean return of the last 100 finished episodes, the deterministic evaluation return and whether the final
parameters are bit-identical.

    python bench/speed_learning_check.py --steps 200000 --seeds 1,2
"""
import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_ppo import H, NETS  # noqa: E402


def train(task: str, seed: int, steps: int, fast: bool, net: str):
    import torch
    from st_rl.env.gym_adapter import GymVecEnv
    from st_rl.runners.on_policy_runner import OnPolicyRunner
    env = GymVecEnv(task, num_envs=8, seed=seed, **({} if fast else {"num_workers": 0, "batched_step": False}))
    n = NETS[net]
    cfg = {"num_steps_per_env": H["num_steps_per_env"], "empirical_normalization": False, "logger": "none",
           "print_interval": 0, "seed": seed,
           "policy": {"class_name": "ActorCritic", "actor_hidden_dims": n["hidden"], "critic_hidden_dims": n["hidden"],
                      "activation": n["activation"], "init_noise_std": H["init_std"]},
           "algorithm": {"class_name": "PPO", "num_learning_epochs": H["num_learning_epochs"],
                         "num_mini_batches": H["num_mini_batches"], "learning_rate": H["learning_rate"],
                         "schedule": "fixed", "gamma": H["gamma"], "lam": H["lam"], "clip_param": H["clip_param"],
                         "value_loss_coef": H["value_loss_coef"], "entropy_coef": H["entropy_coef"],
                         "max_grad_norm": H["max_grad_norm"], "use_clipped_value_loss": False, "reward_normalization": False}}
    torch.manual_seed(seed)
    runner = OnPolicyRunner(env, cfg, log_dir=None, device="cpu")
    t0 = time.perf_counter()
    runner.learn(steps // (8 * H["num_steps_per_env"]))
    secs = time.perf_counter() - t0
    train_return = sum(runner.rewbuffer) / max(1, len(runner.rewbuffer))
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
    a = ap.parse_args()
    print(f"{a.task}, {a.steps} env steps, net {a.net}, bench_ppo.py hyperparameters")
    print(f"{'seed':>4}  {'path':<34} {'train return':>12} {'eval return':>11} {'steps/s':>8}")
    for seed in [int(s) for s in a.seeds.split(",")]:
        out = {}
        for fast in (False, True):
            tr, ev, params, secs, ut, w = train(a.task, seed, a.steps, fast, a.net)
            path = f"fast (batched, {w} worker, {ut} update thr)" if fast else "gymnasium step, in-process"
            print(f"{seed:>4}  {path:<34} {tr:12.1f} {ev:11.1f} {a.steps // (8 * 256) * 8 * 256 / secs:8.0f}", flush=True)
            out[fast] = params
        print(f"      parameters bit-identical: {bool((out[True] == out[False]).all())}, "
              f"max |diff| {float((out[True] - out[False]).abs().max()):.2e}")


if __name__ == "__main__":
    main()
