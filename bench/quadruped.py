"""Velocity tracking of st_rl's quadruped: train (optional) and evaluate a run at a fixed command.

    python bench/quadruped.py --train --total_steps 20000000 --run bench/results/quadruped/run1
    python bench/quadruped.py --run bench/results/quadruped/run1              # evaluate only

Evaluation: the run's deterministic policy, `--episodes` episodes of 20 s (1000 control steps) with the command fixed
at (`--vx`, 0, 0), nominal robot (no randomisation, no pushes) and, separately, with the training randomisation and
pushes. Reported: falls, the RMS of the base-frame velocity error |v_xy - command_xy| over every step after the first
second (the robot starts at rest), the mean forward velocity, the yaw rate RMS; plus ONNX sim-to-sim (onnxruntime
driving the same env): the largest action difference to torch over an episode and both returns.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parent.parent


def evaluate(run: Path, episodes: int, vx: float, randomize: bool, seed: int = 10_000, checkpoint=None) -> dict:
    from st_rl.runners.runs import load_run
    runner, env, ckpt = load_run(run, checkpoint, num_envs=episodes, seed=seed, fixed_command=(vx, 0.0, 0.0), randomize=randomize,
                                 standing_prob=0.0)
    policy = runner.get_inference_policy()
    env.reset()
    obs, _ = env.get_observations()
    T = env.max_episode_length
    err, vxs, wz, alive = [], [], [], np.ones(env.num_envs, bool)
    falls = 0
    for t in range(T):
        with torch.inference_mode(): obs, rew, dones, extras = env.step(policy(obs))
        v = env.sensordata[:, env._s_vel]; w = env.sensordata[:, env._s_gyro]
        fell = dones.numpy() & ~extras["time_outs"].numpy()
        falls += int((fell & alive).sum()); alive &= ~fell
        if t >= int(1.0 / env.dt):
            e = np.linalg.norm(v[:, :2] - np.array([vx, 0.0]), axis=1)
            err.append(e[alive]); vxs.append(v[alive, 0]); wz.append(w[alive, 2])
    env.close()
    err, vxs, wz = np.concatenate(err), np.concatenate(vxs), np.concatenate(wz)
    return {"randomize": randomize, "episodes": episodes, "falls": falls, "rms_velocity_error": float(np.sqrt((err ** 2).mean())),
            "mean_vx": float(vxs.mean()), "rms_yaw_rate": float(np.sqrt((wz ** 2).mean())), "checkpoint": str(ckpt)}


def onnx_check(run: Path) -> dict:
    onnx = run / "policy.onnx"
    subprocess.run([sys.executable, "-m", "st_rl", "export", "--run", str(run), "--out", str(onnx)], check=True, capture_output=True, cwd=ROOT)
    r = subprocess.run([sys.executable, "-m", "st_rl", "play", "--onnx", str(onnx), "--run", str(run), "--episodes", "1"],
                       check=True, capture_output=True, text=True, cwd=ROOT)
    return json.loads(r.stdout.strip().splitlines()[-1])


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--run", default=str(ROOT / "bench" / "results" / "quadruped" / "run1"))
    p.add_argument("--train", action="store_true")
    p.add_argument("--total_steps", type=int, default=20_000_000)
    p.add_argument("--episodes", type=int, default=10)
    p.add_argument("--vx", type=float, default=0.5)
    p.add_argument("--checkpoint", help="a checkpoint (iteration or path) instead of the newest")
    a = p.parse_args()
    run = Path(a.run)
    if a.train:
        t0 = time.time()
        subprocess.run([sys.executable, "-m", "st_rl", "train", "--config", str(ROOT / "bench" / "configs" / "quadruped_ppo.yaml"),
                        "--total_steps", str(a.total_steps), "--log_dir", str(run)], check=True, cwd=ROOT)
        print(f"# trained in {(time.time() - t0) / 60:.1f} min")
    lines = [json.loads(l) for l in (run / "metrics.jsonl").read_text().splitlines() if l.strip()]
    print(json.dumps({"env_steps": lines[-1]["env_steps"], "train_minutes": round(lines[-1]["time_elapsed"] / 60, 1),
                      "iterations": lines[-1]["iteration"]}))
    for randomize in (False, True):
        print(json.dumps(evaluate(run, a.episodes, a.vx, randomize, checkpoint=a.checkpoint)))
    if a.checkpoint is None: print(json.dumps({"onnx": onnx_check(run)}))


if __name__ == "__main__":
    main()
