"""Teacher -> student learning checks on HalfCheetah-v5 (issue: teacher-student distillation).

The teacher is a PPO run that sees the full state (e.g. bench/module_zoo.py estimator's `given` runs: 1M env steps).
The student's actor does not see the base linear velocity (the critic group keeps it; the teacher acts on it).

    python bench/teacher_student.py --teacher bench/results/module_zoo/estimator_HalfCheetah_given_s1 --seeds 1 2 3

Prints one JSON line per run and a summary:
- tppo:    TPPO (PPO + distillation, teacher acting on an exp schedule), student budget = teacher steps / 3
- dagger:  the same with using_ppo=false (pure DAgger)
- twostage: DemonstrationSaver demos of the teacher (`st_rl collect`), then TwoStageRunner: the return of the
            student right after its dataset stage (before any env step of its own), against a fresh policy
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

ST_RL = [sys.executable, "-m", "st_rl"]
HIDE = "env.wrappers=[{class_name: DropActorComponents, names: [base_lin_vel]}]"
COMMON = ["env.num_envs=16", "num_steps_per_env=128", "algorithm.num_mini_batches=4", "algorithm.num_learning_epochs=5",
          "logger=none", "print_interval=20", "save_interval=1000", HIDE]


def sh(args, log=None):
    r = subprocess.run(args, capture_output=True, text=True)
    if log: Path(log).write_text(r.stdout + r.stderr)
    if r.returncode: raise RuntimeError(f"{' '.join(map(str, args))} failed:\n{r.stderr[-2000:]}")
    return json.loads(r.stdout.strip().splitlines()[-1])


def play(run, episodes=10, checkpoint=None):
    return sh(ST_RL + ["play", "--run", str(run), "--episodes", str(episodes)] + (["--checkpoint", str(checkpoint)] if checkpoint else []))["mean_return"]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--teacher", required=True)
    ap.add_argument("--teacher_steps", type=int, default=999_424, help="env steps the teacher trained for")
    ap.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    ap.add_argument("--variants", nargs="+", default=["tppo", "dagger", "twostage"])
    ap.add_argument("--demo_frames", type=int, default=64_000)
    ap.add_argument("--pretrain_iterations", type=int, default=50)
    ap.add_argument("--noise", type=float, default=0.0, help="std of Gaussian noise on the student actor's observation")
    ap.add_argument("--out", default="bench/results/teacher_student")
    a = ap.parse_args()
    global HIDE
    if a.noise > 0:
        HIDE = HIDE[:-1] + f", {{class_name: ActorObservationNoise, std: {a.noise}}}]"
        COMMON[-1] = HIDE
    out = Path(a.out); out.mkdir(parents=True, exist_ok=True)
    teacher_return = play(a.teacher)
    print(json.dumps({"teacher": a.teacher, "return": teacher_return, "env_steps": a.teacher_steps}), flush=True)
    iters = a.teacher_steps // 3 // (16 * 128)
    results = []
    for seed in a.seeds:
        for v in a.variants:
            d = out / f"{v}_s{seed}"
            r = {"variant": v, "seed": seed}
            if v in ("tppo", "dagger"):
                sets = COMMON + [f"max_iterations={iters}", "algorithm.class_name=TPPO", f"algorithm.teacher_run={a.teacher}",
                                 "algorithm.teacher_act_prob=exp", "algorithm.update_times_scale=20"]
                if v == "dagger": sets.append("algorithm.using_ppo=false")
                if not (d / f"model_{iters}.pt").exists():
                    sh(ST_RL + ["train", "--task", "HalfCheetah-v5", "--seed", str(seed), "--log_dir", str(d), "--set", *sets], f"{d}.log")
                r.update(env_steps=iters * 16 * 128, **{"return": play(d)})
            else:
                demos = out / f"demos_s{seed}"
                c = sh(ST_RL + ["collect", "--run", a.teacher, "--out", str(demos), "--min_timesteps", str(a.demo_frames),
                                "--num_envs", "8", "--seed", str(100 + seed), "--set", HIDE])   # in the student's layout
                n = a.pretrain_iterations
                sets = COMMON + [f"max_iterations={n}", "save_interval=1000"]
                sh(ST_RL + ["train", "--task", "HalfCheetah-v5", "--seed", str(seed), "--log_dir", str(d), "--dataset", str(demos),
                            "--pretrain_iterations", str(n), "--set", *sets], f"{d}.log")
                fresh = sorted(d.glob("model_0.pt"))
                r.update(demo_frames=c["frames"], pretrain_iterations=n, **{"return": play(d, checkpoint=d / f"model_{n}.pt"),
                         "fresh_return": play(d, checkpoint=fresh[0]) if fresh else None})
            r["ratio_to_teacher"] = r["return"] / teacher_return
            print(json.dumps(r), flush=True)
            results.append(r)
    print(f"\nteacher return {teacher_return:.0f} after {a.teacher_steps} env steps")
    for v in a.variants:
        rs = [r for r in results if r["variant"] == v]
        if rs:
            print(f"  {v:9s} return {statistics.fmean(r['return'] for r in rs):7.0f}  ratio {statistics.fmean(r['ratio_to_teacher'] for r in rs):.2f} "
                  "(" + ", ".join(f"{r['ratio_to_teacher']:.2f}" for r in rs) + ")")


if __name__ == "__main__":
    main()
