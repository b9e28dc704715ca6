#!/usr/bin/env python
"""Learning quality of the peer: Stable-Baselines3's PPO with RL Zoo's hyperparameters for a MuJoCo task, trained
for 1M env steps and evaluated like st_rl's runs (the deterministic policy, 10 episodes, observation statistics
frozen), so its figure stands next to `bench/learning_curves.sh`'s on the same gymnasium version and observation.

RL Zoo tunes PPO per task for the v3 tasks (`hyperparams/ppo.yml`); its values are below, used on v5. Its Ant entry is
SB3's defaults with `VecNormalize` (the tuned Ant entry is commented out there). The run writes what
`bench/learning_report.py` reads: `<out>/<Task>_s<seed>/metrics.jsonl` (one line per rollout: env steps, mean
training return over the last 100 episodes, KL, clip fraction, time) and `<out>/<Task>_s<seed>.eval.json`.

    pip install stable-baselines3==2.9.2        # the peer (not one of st_rl's dependencies)
    python bench/peer_learning.py --task Ant-v5 --seeds 1,2,3 --out bench/results/sb3
    python bench/peer_learning.py --task Ant-v5 --seeds 1 --set include_cfrc_ext_in_observation=false --out DIR
    python bench/learning_report.py st_rl=bench/results/learning sb3=bench/results/sb3 --png curves.png
"""
from __future__ import annotations

import argparse
import json
import os
import time

import numpy as np

RL_ZOO_DEFAULTS = dict(normalize=True, n_envs=1)
"RL Zoo's `mujoco-defaults` (its Ant-v3 entry): SB3's own PPO values, observations and rewards normalised."
_TUNED_NET = dict(log_std_init=-2, ortho_init=False, activation_fn="ReLU", net_arch=dict(pi=[256, 256], vf=[256, 256]))
RL_ZOO = {
    "Ant": RL_ZOO_DEFAULTS,
    "HalfCheetah": dict(normalize=True, n_envs=1, batch_size=64, n_steps=512, gamma=0.98, learning_rate=2.0633e-05,
                        ent_coef=0.000401762, clip_range=0.1, n_epochs=20, gae_lambda=0.92, max_grad_norm=0.8,
                        vf_coef=0.58096, policy_kwargs=_TUNED_NET),
    "Hopper": dict(normalize=True, n_envs=1, batch_size=32, n_steps=512, gamma=0.999, learning_rate=9.80828e-05,
                   ent_coef=0.00229519, clip_range=0.2, n_epochs=5, gae_lambda=0.99, max_grad_norm=0.7,
                   vf_coef=0.835671, policy_kwargs=_TUNED_NET),
    "Walker2d": dict(normalize=True, n_envs=1, batch_size=32, n_steps=512, gamma=0.99, learning_rate=5.05041e-05,
                     ent_coef=0.000585045, clip_range=0.1, n_epochs=20, gae_lambda=0.95, max_grad_norm=1,
                     vf_coef=0.871923, policy_kwargs=_TUNED_NET),
}
"RL Zoo's PPO hyperparameters per task family (`hyperparams/ppo.yml`, the v3 entries)."


def hyperparameters(task: str) -> dict:
    family = task.split("-")[0]
    if family not in RL_ZOO: raise SystemExit(f"no RL Zoo PPO entry for {task!r}; known: {sorted(RL_ZOO)}")
    return json.loads(json.dumps(RL_ZOO[family]))   # a copy the caller may change


def parse_value(v: str):
    try: return json.loads(v)
    except json.JSONDecodeError: return v


def env_kwargs_from(pairs: list[str]) -> dict:
    "The env's keyword arguments from `KEY=VALUE` strings (VALUE read as JSON where it is JSON)."
    bad = [s for s in pairs if "=" not in s or not s.split("=", 1)[0]]
    if bad: raise SystemExit(f"--set takes KEY=VALUE, got {bad[0]!r}")
    return {k: parse_value(v) for k, v in (s.split("=", 1) for s in pairs)}


def run(task: str, seed: int, steps: int, out: str, env_kwargs: dict, episodes: int = 10) -> dict:
    import torch
    from stable_baselines3 import PPO
    from stable_baselines3.common.env_util import make_vec_env
    from stable_baselines3.common.vec_env import VecNormalize
    torch.set_num_threads(1)
    hp = hyperparameters(task)
    normalize, n_envs = hp.pop("normalize"), hp.pop("n_envs")
    if "policy_kwargs" in hp and isinstance(hp["policy_kwargs"].get("activation_fn"), str):
        hp["policy_kwargs"]["activation_fn"] = getattr(torch.nn, hp["policy_kwargs"]["activation_fn"])
    env = make_vec_env(task, n_envs=n_envs, seed=seed, env_kwargs=env_kwargs)
    if normalize: env = VecNormalize(env, gamma=hp.get("gamma", 0.99))   # RL Zoo: the agent's discount, here too
    run_dir = os.path.join(out, f"{task}_s{seed}")
    os.makedirs(run_dir, exist_ok=True)
    metrics = open(os.path.join(run_dir, "metrics.jsonl"), "w")
    start = time.perf_counter()

    class LoggedPPO(PPO):
        "PPO that writes one metrics line per update (the figures st_rl's metrics.jsonl has)."
        def train(self):
            super().train()
            v = self.logger.name_to_value
            eps = [e["r"] for e in self.ep_info_buffer]
            line = {"iteration": self._n_updates // self.n_epochs, "env_steps": self.num_timesteps,
                    "mean_return": float(np.mean(eps)) if eps else float("nan"),
                    "kl": float(v.get("train/approx_kl", np.nan)), "clip_fraction": float(v.get("train/clip_fraction", np.nan)),
                    "time_elapsed": time.perf_counter() - start}
            metrics.write(json.dumps(line) + "\n"); metrics.flush()

    model = LoggedPPO("MlpPolicy", env, seed=seed, device="cpu", verbose=0, **hp)
    model.learn(total_timesteps=steps)
    metrics.close()
    # evaluation: the deterministic policy, observation statistics frozen, raw rewards (as `st_rl play`)
    eval_env = make_vec_env(task, n_envs=1, seed=10_000 + seed, env_kwargs=env_kwargs)
    if normalize:
        eval_env = VecNormalize(eval_env, training=False, norm_reward=False)
        eval_env.obs_rms = env.obs_rms
    returns, obs, ret = [], eval_env.reset(), 0.0
    while len(returns) < episodes:
        action, _ = model.predict(obs, deterministic=True)
        obs, rew, done, _ = eval_env.step(action)
        ret += float(eval_env.get_original_reward()[0] if normalize else rew[0])
        if done[0]: returns.append(ret); ret = 0.0
    result = {"task": task, "seed": seed, "impl": "sb3 (RL Zoo hyperparameters)", "env_kwargs": env_kwargs,
              "mean_return": float(np.mean(returns)), "std_return": float(np.std(returns)),
              "returns": [round(r, 1) for r in returns], "env_steps": model.num_timesteps,
              "steps_per_s": model.num_timesteps / (time.perf_counter() - start)}
    with open(os.path.join(out, f"{task}_s{seed}.eval.json"), "w") as f: json.dump(result, f)
    print(json.dumps(result), flush=True)
    return result


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--task", default="Ant-v5")
    p.add_argument("--seeds", default="1,2,3")
    p.add_argument("--steps", type=int, default=1_000_000)
    p.add_argument("--out", default="bench/results/sb3")
    p.add_argument("--set", nargs="*", default=[], metavar="KEY=VALUE", help="the env's keyword arguments")
    a = p.parse_args()
    env_kwargs = env_kwargs_from(a.set)
    for seed in (int(s) for s in a.seeds.split(",")):
        run(a.task, seed, a.steps, a.out, env_kwargs)


if __name__ == "__main__":
    main()
