#!/usr/bin/env python
"""How a trained run's episodes end: its deterministic policy (as `st_rl play`) in the run's gymnasium MuJoCo task,
one line per episode with the return, the length, whether the time limit or the task's termination ended it, and the
root body's height and, for a free-floating root, its up-axis (its z-axis's world z: 1 upright, -1 on its
back) at the end. Then a tally.

It tells apart what a mean return hides: on Ant-v5 an episode that ends by the height rule (the torso above 1.0 after
a jump, or below 0.2) from one that runs to the time limit upright or on its back (Ant-v5 does not end an episode
whose torso lies upside down at 0.27).

    python bench/episode_ends.py RUN_DIR [RUN_DIR ...] [--episodes 10]
"""
from __future__ import annotations

import argparse
import json
from collections import Counter

import numpy as np


def up_axis(quat) -> float:
    "The world z component of a body's z-axis from its quaternion (w, x, y, z): 1 upright, -1 upside down."
    w, x, y, z = quat
    return float(1 - 2 * (x * x + y * y))


def episode_ends(run: str, episodes: int = 10, seed: int = 10_000) -> list[dict]:
    import gymnasium as gym
    import torch
    from st_rl.runners.runs import load_run, read_run_config
    runner, venv, _ = load_run(run, num_envs=1)
    venv.close()
    policy = runner.get_inference_policy("cpu")
    cfg = read_run_config(run)
    try: env = gym.make(cfg.env.task, **cfg.env.kwargs)
    except gym.error.Error: env = None
    if not hasattr(getattr(env, "unwrapped", None), "data"):
        if env is not None: env.close()
        raise SystemExit(f"{run}: episode_ends needs a gymnasium MuJoCo task (it reads the MuJoCo state), "
                         f"not {cfg.env.task!r}")
    low, high = env.action_space.low, env.action_space.high
    out = []
    for ep in range(episodes):
        obs, _ = env.reset(seed=seed + ep)
        ret, length, terminated, truncated = 0.0, 0, False, False
        while not (terminated or truncated):
            with torch.inference_mode():
                action = policy(torch.as_tensor(obs, dtype=torch.float32)[None])[0].numpy()
            obs, reward, terminated, truncated, _ = env.step(np.clip(action, low, high))   # clipped, as GymVecEnv
            ret += float(reward); length += 1
        qpos, free = env.unwrapped.data.qpos, env.unwrapped.model.jnt_type[0] == 0   # 0: mjJNT_FREE
        # a free root: (x, y, z, quaternion); a planar one (Hopper, Walker2d): (x, z, angle), no up-axis
        height, up = (qpos[2], up_axis(qpos[3:7])) if free else (qpos[1], 1.0)
        end = "time limit, on its back" if up < 0 else "time limit"
        if terminated:              # the task's height rule where it has one (Ant, Hopper, Walker2d, Humanoid)
            lo, hi = getattr(env.unwrapped, "_healthy_z_range", (-np.inf, np.inf))
            end = "terminated" + (", above the healthy height" if height > hi else
                                  ", below the healthy height" if height < lo else "")
        out.append({"episode": ep, "return": round(ret, 1), "length": length, "end": end,
                    "height": round(float(height), 3), "up": round(float(up), 2)})
    env.close()
    return out


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("runs", nargs="+")
    p.add_argument("--episodes", type=int, default=10)
    a = p.parse_args()
    for run in a.runs:
        eps = episode_ends(run, a.episodes)
        for e in eps: print(json.dumps({"run": run, **e}))
        tally = Counter(e["end"] for e in eps)
        mean = {k: round(float(np.mean([e["return"] for e in eps if e["end"] == k]))) for k in tally}
        print(f"{run}: mean return {np.mean([e['return'] for e in eps]):.0f};",
              "; ".join(f"{k}: {n} (mean return {mean[k]})" for k, n in tally.most_common()))


if __name__ == "__main__":
    main()
