"""Responsiveness of the workbench panels.

    python bench/workbench.py [--steps 200] [--iterations 30] [--repeats 3] [--json OUT]
                              [--sections stepper,training,play] [--play_episodes 1,3] [--play_episode_steps 1000]

(a) One `RolloutStepperPanel` step on HalfCheetah-v5 with a policy snapshot of a runner: policy + critic inference,
    env step, off-screen MuJoCo render (MUJOCO_GL=egl unless set), JPEG encoding and the widget update, i.e. exactly
    what the `Step` button does. Median and p90 over `--steps` clicks, at 320x240 (default) and 480x480, with the
    render and redraw parts timed separately.
(b) Training throughput of HalfCheetah-v5 (the CLI's defaults: 8 envs x 256 steps) in a `BackgroundTrainer`, without
    a panel, with a `TrainingDashboard` at its default refresh (2 s), with a redraw after every iteration, and with a
    `LiveRollout` showing 3 envs (320x240, its defaults: up to 10 fps within 8 % of the time);
    runs interleaved (A, B, C, A, B, C, ...), median steps/s over `--repeats`, ratios to the no-panel run.
(c) `st_rl play --video` of a HalfCheetah-v5 run (trained for one short iteration: a policy near its initial one) for
    `--play_episodes` episodes of `--play_episode_steps` steps at play's default frame (480x480), each in a fresh
    process: wall time and that process's peak RSS (`ru_maxrss` from `os.wait4`), and the frames the mp4 holds. The
    frames stream to the encoder, so the peak RSS should not grow with the number of episodes.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("MUJOCO_GL", "egl")
import torch

from st_rl.env.gym_adapter import make_vec_env
from st_rl.runners.on_policy_runner import OnPolicyRunner
from st_rl.runners.background import BackgroundTrainer
from st_rl.widgets import RolloutStepperPanel, TrainingDashboard
from st_rl.workbench import LiveRollout, RolloutStepper, TrainingMonitor

CFG = {"logger": "none", "print_interval": 0, "save_interval": 0, "num_steps_per_env": 256,
       "algorithm": {"num_mini_batches": 4, "num_learning_epochs": 5}}


def stepper_latency(steps: int, width: int, height: int) -> dict:
    runner = OnPolicyRunner(make_vec_env("HalfCheetah-v5", num_envs=2, num_workers=0), CFG)
    st = RolloutStepper.for_task("HalfCheetah-v5", runner, width=width, height=height)
    panel = RolloutStepperPanel(st)
    for _ in range(10): panel.step_button.click()                  # warm-up (GL context, caches)
    total, render, redraw = [], [], []
    for _ in range(steps):
        t0 = time.perf_counter(); panel.step_button.click(); total.append(time.perf_counter() - t0)
        t0 = time.perf_counter(); st._render(); render.append(time.perf_counter() - t0)
        t0 = time.perf_counter(); panel.refresh(); redraw.append(time.perf_counter() - t0)
    assert st.render_error is None and st.frame is not None, st.render_error
    st.close(); runner.env.close()
    q = lambda xs, p: sorted(xs)[int(p * (len(xs) - 1))] * 1e3
    return {"size": f"{width}x{height}", "median_ms": q(total, 0.5), "p90_ms": q(total, 0.9),
            "render_median_ms": q(render, 0.5), "redraw_median_ms": q(redraw, 0.5), "steps": steps}


def train_fps(variant: str, iterations: int, seed: int) -> float:
    torch.manual_seed(seed)
    runner = OnPolicyRunner(make_vec_env("HalfCheetah-v5", num_envs=8, seed=seed), {**CFG, "seed": seed})
    trainer = BackgroundTrainer(runner)
    if variant == "dashboard": TrainingDashboard(trainer)                     # defaults: refresh_s=2, max_fraction=0.02
    elif variant == "every_iteration": TrainingDashboard(trainer, monitor=TrainingMonitor(refresh_s=0.0, max_fraction=0.0))
    viewer = LiveRollout(trainer, num_envs=3).start() if variant == "viewer_3_envs" else None   # 320x240, defaults
    t0 = time.perf_counter()
    trainer.start(iterations); state = trainer.wait()
    dt = time.perf_counter() - t0
    if viewer is not None:
        viewer.close()
        print(f"  (viewer: {viewer.ticks} frames, {viewer.steps} steps, {viewer.tick_seconds * 1000:.0f} ms the last frame)")
    assert state == "finished", (state, trainer.error)
    runner.env.close()
    return iterations * 8 * 256 / dt


def play_run(run_dir: Path, episode_steps: int) -> Path:
    "A HalfCheetah-v5 run directory (config.json, model_1.pt) after one short training iteration."
    env = make_vec_env("HalfCheetah-v5", num_envs=2, num_workers=0, max_episode_steps=episode_steps)
    OnPolicyRunner(env, {**CFG, "num_steps_per_env": 16, "algorithm": {"num_mini_batches": 2}}, log_dir=run_dir).learn(1)
    env.close()
    return run_dir


def play_video(run_dir: Path, episodes: int, out: Path) -> dict:
    "`st_rl play --video` in a child process: its wall time, its peak RSS and the frames its mp4 holds."
    import imageio.v2 as imageio
    cmd = [sys.executable, "-m", "st_rl", "play", "--run", str(run_dir), "--episodes", str(episodes), "--video", str(out)]
    with tempfile.TemporaryFile("w+") as so, tempfile.TemporaryFile("w+") as se:
        t0 = time.perf_counter()
        p = subprocess.Popen(cmd, stdout=so, stderr=se)
        _, status, usage = os.wait4(p.pid, 0)                  # this child's own resource usage
        wall = time.perf_counter() - t0
        so.seek(0); se.seek(0); stdout, stderr = so.read(), se.read()
    assert os.waitstatus_to_exitcode(status) == 0, stderr[-2000:]
    res = json.loads(stdout.strip().splitlines()[-1])
    frames = imageio.get_reader(out).count_frames()
    assert frames == round(res["mean_episode_length"] * episodes), (frames, res)      # one frame per step
    return {"episodes": episodes, "wall_s": wall, "peak_rss_mb": usage.ru_maxrss / 1024, "frames": frames,
            "mp4_mb": out.stat().st_size / 2**20}


def play_memory(episodes: list[int], episode_steps: int) -> list[dict]:
    with tempfile.TemporaryDirectory() as d:
        run = play_run(Path(d) / "run", episode_steps)
        return [play_video(run, n, Path(d) / f"play_{n}.mp4") for n in episodes]


def play_section(a, out: dict) -> None:
    out["play"] = play_memory([int(n) for n in a.play_episodes.split(",")], a.play_episode_steps)
    print(f"\nst_rl play --video, HalfCheetah-v5, {a.play_episode_steps}-step episodes, 480x480 frames, one process each:")
    print("| episodes | frames in the mp4 | wall s | s per frame | peak RSS MB | mp4 MB |\n|---|---|---|---|---|---|")
    for r in out["play"]:
        print(f"| {r['episodes']} | {r['frames']} | {r['wall_s']:.1f} | {r['wall_s'] / max(r['frames'], 1):.3f} "
              f"| {r['peak_rss_mb']:.0f} | {r['mp4_mb']:.1f} |")


def stepper_section(a, out: dict) -> None:
    out["stepper"] = [stepper_latency(a.steps, 320, 240), stepper_latency(a.steps, 480, 480)]
    print("RolloutStepperPanel step on HalfCheetah-v5 (policy + value + env step + render + JPEG + widget):")
    print("| frame | median ms | p90 ms | render median ms | redraw median ms |\n|---|---|---|---|---|")
    for s in out["stepper"]:
        print(f"| {s['size']} | {s['median_ms']:.1f} | {s['p90_ms']:.1f} | {s['render_median_ms']:.1f} | {s['redraw_median_ms']:.1f} |")


def training_section(a, out: dict) -> None:
    variants = ["none", "dashboard", "every_iteration", "viewer_3_envs"]
    runs = {v: [] for v in variants}
    for r in range(a.repeats):
        for v in variants: runs[v].append(train_fps(v, a.iterations, seed=r))
    med = {v: statistics.median(x) for v, x in runs.items()}
    out["training"] = {"runs": runs, "median": med, "ratio": {v: med[v] / med["none"] for v in variants}}
    print(f"\nHalfCheetah-v5 training in a BackgroundTrainer, {a.iterations} iterations x 2048 steps, {a.repeats} repeats:")
    print("| panel | steps/s (median) | runs | ratio to no panel |\n|---|---|---|---|")
    for v in variants:
        print(f"| {v} | {med[v]:.0f} | {', '.join(f'{x:.0f}' for x in runs[v])} | {med[v] / med['none']:.3f} |")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=200); ap.add_argument("--iterations", type=int, default=30)
    ap.add_argument("--repeats", type=int, default=3); ap.add_argument("--json")
    ap.add_argument("--sections", default="stepper,training,play")
    ap.add_argument("--play_episodes", default="1,3"); ap.add_argument("--play_episode_steps", type=int, default=1000)
    a = ap.parse_args()
    torch.set_num_threads(1)
    sections = a.sections.split(",")
    out = {"mujoco_gl": os.environ["MUJOCO_GL"]}
    if "stepper" in sections: stepper_section(a, out)
    if "training" in sections: training_section(a, out)
    if "play" in sections: play_section(a, out)
    if a.json:
        with open(a.json, "w") as f: json.dump(out, f, indent=2)


if __name__ == "__main__":
    sys.exit(main())
