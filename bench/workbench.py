"""Responsiveness of the workbench panels.

    python bench/workbench.py [--steps 200] [--iterations 30] [--repeats 3] [--json OUT]

(a) One `RolloutStepperPanel` step on HalfCheetah-v5 with a policy snapshot of a runner: policy + critic inference,
    env step, off-screen MuJoCo render (MUJOCO_GL=egl unless set), JPEG encoding and the widget update, i.e. exactly
    what the `Step` button does. Median and p90 over `--steps` clicks, at 320x240 (default) and 480x480, with the
    render and redraw parts timed separately.
(b) Training throughput of HalfCheetah-v5 (the CLI's defaults: 8 envs x 256 steps) in a `BackgroundTrainer`, without
    a panel, with a `TrainingDashboard` at its default refresh (2 s), and with a redraw after every iteration;
    runs interleaved (A, B, C, A, B, C, ...), median steps/s over `--repeats`, ratios to the no-panel run.
"""
import argparse
import json
import os
import statistics
import sys
import time

os.environ.setdefault("MUJOCO_GL", "egl")
import torch

from st_rl.env.gym_adapter import make_vec_env
from st_rl.runners.on_policy_runner import OnPolicyRunner
from st_rl.runners.background import BackgroundTrainer
from st_rl.widgets import RolloutStepperPanel, TrainingDashboard
from st_rl.workbench import RolloutStepper, TrainingMonitor

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
    t0 = time.perf_counter()
    trainer.start(iterations); state = trainer.wait()
    dt = time.perf_counter() - t0
    assert state == "finished", (state, trainer.error)
    runner.env.close()
    return iterations * 8 * 256 / dt


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=200); ap.add_argument("--iterations", type=int, default=30)
    ap.add_argument("--repeats", type=int, default=3); ap.add_argument("--json")
    a = ap.parse_args()
    torch.set_num_threads(1)
    out = {"stepper": [stepper_latency(a.steps, 320, 240), stepper_latency(a.steps, 480, 480)], "mujoco_gl": os.environ["MUJOCO_GL"]}
    print("RolloutStepperPanel step on HalfCheetah-v5 (policy + value + env step + render + JPEG + widget):")
    print("| frame | median ms | p90 ms | render median ms | redraw median ms |\n|---|---|---|---|---|")
    for s in out["stepper"]:
        print(f"| {s['size']} | {s['median_ms']:.1f} | {s['p90_ms']:.1f} | {s['render_median_ms']:.1f} | {s['redraw_median_ms']:.1f} |")
    variants = ["none", "dashboard", "every_iteration"]
    runs = {v: [] for v in variants}
    for r in range(a.repeats):
        for v in variants: runs[v].append(train_fps(v, a.iterations, seed=r))
    med = {v: statistics.median(x) for v, x in runs.items()}
    out["training"] = {"runs": runs, "median": med, "ratio": {v: med[v] / med["none"] for v in variants}}
    print(f"\nHalfCheetah-v5 training in a BackgroundTrainer, {a.iterations} iterations x 2048 steps, {a.repeats} repeats:")
    print("| panel | steps/s (median) | runs | ratio to no panel |\n|---|---|---|---|")
    for v in variants:
        print(f"| {v} | {med[v]:.0f} | {', '.join(f'{x:.0f}' for x in runs[v])} | {med[v] / med['none']:.3f} |")
    if a.json:
        with open(a.json, "w") as f: json.dump(out, f, indent=2)


if __name__ == "__main__":
    sys.exit(main())
