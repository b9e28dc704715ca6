"""Soak test: train for a fixed wall-clock time and sample the process's RSS; report growth after warm-up.

    python bench/soak.py [--minutes 30] [--warmup 3] [--task HalfCheetah-v5]

Memory must stay flat: RSS growth after warm-up <= 5 %."""
import argparse
import json
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--minutes", type=float, default=30); ap.add_argument("--warmup", type=float, default=3)
    ap.add_argument("--task", default="HalfCheetah-v5"); ap.add_argument("--interval", type=float, default=10)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        p = subprocess.Popen([sys.executable, "-m", "st_rl", "train", "--task", a.task, "--total_steps", "100000000",
                              "--log_dir", str(Path(tmp) / "run"), "--set", "print_interval=0", "save_interval=50", "env.num_workers=0"],
                             cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        proc = psutil.Process(p.pid)
        t0 = time.time(); samples = []
        while time.time() - t0 < a.minutes * 60 and p.poll() is None:
            try: rss = proc.memory_info().rss + sum(c.memory_info().rss for c in proc.children(recursive=True))
            except psutil.Error: break
            samples.append((time.time() - t0, rss / 2**20))   # trainer + its env workers
            time.sleep(a.interval)
        p.send_signal(signal.SIGINT); _, err = p.communicate(timeout=300)
        lines = (Path(tmp) / "run" / "metrics.jsonl").read_text().splitlines()
        last = json.loads(lines[-1])
    warm = [r for t, r in samples if t >= a.warmup * 60]
    growth = (warm[-1] - warm[0]) / warm[0] * 100 if len(warm) > 1 else float("nan")
    print(f"soak: {a.task}, {a.minutes} min, {last['iteration']} iterations, {last['env_steps']} env steps, exit {p.returncode}")
    print(f"RSS MB: start {samples[0][1]:.0f}, after warm-up ({a.warmup} min) {warm[0]:.0f}, max {max(r for _, r in samples):.0f}, end {warm[-1]:.0f}")
    print(f"RSS growth after warm-up: {growth:+.2f} %  ({'flat' if growth <= 5 else 'GROWING'})")
    print("samples (min, MB): " + ", ".join(f"{t/60:.1f}:{r:.0f}" for t, r in samples[::max(1, len(samples) // 12)]))
    return 0 if growth <= 5 else 1


if __name__ == "__main__":
    sys.exit(main())
