"""A DAgger collector and a trainer on one dataset directory, concurrently, for N minutes.

    python bench/dagger_concurrency.py --minutes 10

1. a teacher is trained on the point mass (`st_rl train`, a few seconds);
2. the trainer: `st_rl train --dataset DIR --pretrain_iterations -1` (dataset only, DAgger on the teacher's labels,
   saving a checkpoint every 5 iterations), started on an empty DIR;
3. the collector: `st_rl dagger --run STUDENT --teacher TEACHER --out DIR` beside it, acting with the student's
   newest checkpoint (reloaded every 2 s) or the teacher, labelling with the teacher, for N minutes;
4. at the end: the trajectories on disk (all complete? all readable?), the collector's count, what the trainer read
   (`Episode/dataset_*` in its metrics: served, unique, refused), and a final check that every file loads.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ST_RL = [sys.executable, "-m", "st_rl"]
SMALL = ["policy.actor_hidden_dims=[32,32]", "policy.critic_hidden_dims=[32,32]", "num_steps_per_env=32",
         "algorithm.num_mini_batches=4", "algorithm.learning_rate=1e-3", "logger=none", "print_interval=0"]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--minutes", type=float, default=10.0)
    ap.add_argument("--out", help="work directory (default: a temporary one)")
    a = ap.parse_args()
    work = Path(a.out or tempfile.mkdtemp(prefix="dagger_"))
    teacher, student, data = work / "teacher", work / "student", work / "data"
    subprocess.run(ST_RL + ["train", "--task", "PointMass", "--num_envs", "16", "--max_iterations", "40", "--log_dir", str(teacher),
                            "--set", *SMALL], cwd=ROOT, check=True, capture_output=True)
    t0 = time.time()
    trainer = subprocess.Popen(ST_RL + ["train", "--task", "PointMass", "--num_envs", "8", "--max_iterations", "1000000",
                                        "--log_dir", str(student), "--dataset", str(data), "--pretrain_iterations", "-1",
                                        "--set", *SMALL, "save_interval=5", "pretrain_dataset.keep_latest_n_trajs=200"],
                               cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    collector = subprocess.run(ST_RL + ["dagger", "--run", str(student), "--teacher", str(teacher), "--out", str(data),
                                        "--minutes", str(a.minutes), "--num_envs", "4", "--reload_interval", "2",
                                        "--teacher_act_prob", "0.3"], cwd=ROOT, capture_output=True, text=True)
    trainer.terminate()                                   # SIGTERM: the trainer finishes its iteration and saves
    _, err = trainer.communicate(timeout=120)
    wall = time.time() - t0
    if collector.returncode: sys.exit(f"collector failed:\n{collector.stderr[-2000:]}")
    out = json.loads(collector.stdout.strip().splitlines()[-1])
    from st_rl.storage.rollout_files import RolloutDataset
    ds = RolloutDataset(data)
    on_disk = ds.complete_trajectories()
    incomplete = [p for p in data.glob("trajectory_*") if p not in on_disk]
    readable = sum(1 for _ in ds)
    metrics = [json.loads(l) for l in (student / "metrics.jsonl").read_text().splitlines()]
    last = metrics[-1]
    report = {
        "minutes": round(wall / 60, 1),
        "collector_trajectories_written": out["trajectories"], "collector_frames_written": out["frames"],
        "collector_student_iteration": out["student_iteration"],
        "on_disk_complete": len(on_disk), "on_disk_incomplete": len(incomplete), "readable_after": readable,
        "refused_after": len(ds.refused),
        "trainer_iterations": last["iteration"],
        "trainer_trajectories_served": int(max(m.get("Episode/dataset_trajectories", 0) for m in metrics)),
        "trainer_unique_trajectories": int(max(m.get("Episode/dataset_unique_trajectories", 0) for m in metrics)),
        "trainer_refused_max": int(max(m.get("Episode/dataset_refused", 0) for m in metrics)),
        "trainer_exit": trainer.returncode,
    }
    print(json.dumps(report))
    ok = (report["on_disk_complete"] == out["trajectories"] and report["refused_after"] == 0 and report["trainer_refused_max"] == 0
          and readable == len(on_disk) and report["trainer_unique_trajectories"] > 0)
    print("OK" if ok else "FAILED", f"(work dir {work})")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
