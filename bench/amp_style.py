"""Adversarial motion priors on HalfCheetah-v5: APPO (task reward + style from the shipped `halfcheetah_bound` clip)
against PPO on the task reward alone, same budget and seeds.

For every seed both are trained with `st_rl train` (the embedded defaults; APPO adds only the runner, the wrapper and
its defaults), then each final policy runs deterministically for `--episodes` episodes while the robot's AMP frames
are recorded. Figures:

- task return (HalfCheetah's own reward) and forward speed;
- style distance: the mean over the 6 joints of the 1-D Wasserstein distance between the joint-angle distribution
  of the policy and of the reference clip (`st_rl.env.motion.style_distance`); also with body pitch and height;
- stride frequency (discriminator-free): the dominant frequency of the back-shin angle, against the clip's 2.5 Hz;
- APPO's mean style and task reward per step over training (from metrics.jsonl), written as a plot.

    python bench/amp_style.py --seeds 1 2 3 --total_steps 307200
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parent.parent
JOINTS = ["bthigh", "bshin", "bfoot", "fthigh", "fshin", "ffoot"]
AMP_SET = ["runner_class_name=AmpPolicyRunner", "env.wrappers=[{class_name: AmpReference, motion_file: halfcheetah_bound}]",
           "policy.task_reward_lerp=0.1"]      # HalfCheetah pays ~1 per m/s per step: 0.1 keeps the task a tenth of the mix


def train(kind: str, seed: int, total_steps: int, out: Path) -> Path:
    run = out / f"{kind}_seed{seed}"
    if (run / "metrics.jsonl").exists() and list(run.glob("model_*.pt")):
        print(f"# reusing {run}", flush=True); return run
    cmd = [sys.executable, "-m", "st_rl", "train", "--task", "HalfCheetah-v5", "--seed", str(seed), "--total_steps", str(total_steps),
           "--log_dir", str(run), "--set", "print_interval=25", *(AMP_SET if kind == "appo" else [])]
    print("#", " ".join(cmd[2:]), flush=True)
    subprocess.run(cmd, check=True, cwd=ROOT)
    return run


def dominant_frequency(x: np.ndarray, fps: float) -> float:
    x = x - x.mean()
    spec = np.abs(np.fft.rfft(x * np.hanning(len(x))))
    freqs = np.fft.rfftfreq(len(x), 1.0 / fps)
    spec[freqs < 0.5] = 0                        # ignore drift
    return float(freqs[spec.argmax()])


def evaluate(run: Path, episodes: int, seed: int = 10_000) -> dict:
    from st_rl.runners.runs import load_run
    from st_rl.env.motion import planar_frame, planar_frame_names, load_motion, style_distance
    runner, env, _ = load_run(run, num_envs=1, seed=seed, num_workers=0)
    policy = runner.get_inference_policy()
    u = env.envs[0].unwrapped
    names, _ = planar_frame_names(u.model)
    clip = load_motion("halfcheetah_bound")
    obs, _ = env.get_observations()
    frames, returns, ret, xs = [], [], 0.0, [float(u.data.qpos[0])]
    while len(returns) < episodes:
        with torch.inference_mode():
            obs, rew, dones, _ = env.step(policy(obs))
        ret += float(rew[0])
        if bool(dones[0]): returns.append(ret); ret = 0.0
        else: frames.append(planar_frame(u.data)); xs.append(float(u.data.qpos[0]))
    env.close()
    frames = np.stack(frames)
    d_joints = style_distance(frames, clip.frames, names, JOINTS)
    d_body = style_distance(frames, clip.frames, names, JOINTS + ["rootz", "rooty"])
    fps = 1.0 / u.dt
    dx = np.diff(xs)
    return {"return": float(np.mean(returns)), "speed": float(dx[np.abs(dx) < 1.0].mean() * fps),    # resets jump back
            "style_joints": d_joints["mean"], "style_body": d_body["mean"], "per_joint": {j: round(d_joints[j], 3) for j in JOINTS},
            "stride_hz": dominant_frequency(frames[:, names.index("bshin")], fps),
            "clip_stride_hz": dominant_frequency(clip.frames[:, names.index("bshin")], fps)}


def curves(run: Path) -> dict:
    rows = [json.loads(l) for l in (run / "metrics.jsonl").read_text().splitlines() if l.strip()]
    return {k: [r.get(k) for r in rows] for k in ("env_steps", "style_reward", "task_reward", "mean_return", "discriminator_accuracy")}


def plot(curves_by_seed: dict, path: Path) -> None:
    from matplotlib.figure import Figure
    fig = Figure(figsize=(10, 3.2), layout="constrained")
    axs = fig.subplots(1, 3)
    for seed, c in curves_by_seed.items():
        steps = np.array(c["env_steps"]) / 1e3
        axs[0].plot(steps, c["style_reward"], label=f"seed {seed}")
        axs[1].plot(steps, c["task_reward"], label=f"seed {seed}")
        axs[2].plot(steps, c["discriminator_accuracy"], label=f"seed {seed}")
    for ax, t in zip(axs, ["style reward / step", "task reward / step", "discriminator accuracy"]):
        ax.set_title(t); ax.set_xlabel("env steps (k)"); ax.grid(alpha=0.3)
    axs[0].legend()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=90)


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    p.add_argument("--total_steps", type=int, default=307_200)
    p.add_argument("--episodes", type=int, default=3)
    p.add_argument("--out", default=str(ROOT / "bench" / "results" / "amp"))
    p.add_argument("--plot", default=str(ROOT / "nbs" / "images" / "amp_curves.png"))
    a = p.parse_args()
    out = Path(a.out); out.mkdir(parents=True, exist_ok=True)
    res, cur = {}, {}
    for seed in a.seeds:
        for kind in ("ppo", "appo"):
            run = train(kind, seed, a.total_steps, out)
            res[(kind, seed)] = evaluate(run, a.episodes)
            print(json.dumps({"kind": kind, "seed": seed, **res[(kind, seed)]}), flush=True)
        cur[seed] = curves(out / f"appo_seed{seed}")
    plot(cur, Path(a.plot))
    print(f"\nHalfCheetah-v5, {a.total_steps} env steps, deterministic policy, {a.episodes} episodes; style distance = mean per-joint "
          f"Wasserstein-1 (rad) to the clip's joint angles")
    print("speed (m/s): " + ", ".join(f"seed {s} PPO {res[('ppo', s)]['speed']:.2f} APPO {res[('appo', s)]['speed']:.2f}" for s in a.seeds)
          + " (clip 2.11)")
    print(f"{'seed':>4} | {'PPO return':>10} {'APPO return':>11} | {'PPO dist':>8} {'APPO dist':>9} {'ratio':>6} | "
          f"{'PPO +body':>9} {'APPO +body':>10} | {'PPO Hz':>6} {'APPO Hz':>7} (clip {res[('appo', a.seeds[0])]['clip_stride_hz']:.2f})")
    ratios = []
    for s in a.seeds:
        pp, ap = res[("ppo", s)], res[("appo", s)]
        r = pp["style_joints"] / ap["style_joints"]; ratios.append(r)
        print(f"{s:>4} | {pp['return']:>10.0f} {ap['return']:>11.0f} | {pp['style_joints']:>8.3f} {ap['style_joints']:>9.3f} {r:>6.2f} | "
              f"{pp['style_body']:>9.3f} {ap['style_body']:>10.3f} | {pp['stride_hz']:>6.2f} {ap['stride_hz']:>7.2f}")
    m = lambda k, kind: np.mean([res[(kind, s)][k] for s in a.seeds])
    print(f"mean | {m('return', 'ppo'):>10.0f} {m('return', 'appo'):>11.0f} | {m('style_joints', 'ppo'):>8.3f} {m('style_joints', 'appo'):>9.3f} "
          f"{m('style_joints', 'ppo') / m('style_joints', 'appo'):>6.2f} | min ratio {min(ratios):.2f}")
    for s in a.seeds:
        c = cur[s]; k = max(1, len(c["style_reward"]) // 10)
        print(f"seed {s}: APPO style reward/step first {np.mean(c['style_reward'][:k]):.3f} -> last {np.mean(c['style_reward'][-k:]):.3f}; "
              f"task reward/step {np.mean(c['task_reward'][:k]):.3f} -> {np.mean(c['task_reward'][-k:]):.3f}")
    print(f"plot: {a.plot}")


if __name__ == "__main__":
    main()
