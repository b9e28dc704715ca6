"""Kill a training run with SIGKILL at random moments, resume it each time, and check that no checkpoint is ever
unreadable and that the final model is bit-identical to an uninterrupted run.

    python bench/fault_injection.py [--kills 20] [--seed 0]

Prints one row per kill and a summary (max parameter difference against the uninterrupted reference)."""
import argparse
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
ITERS = 400
TRAIN = ["--task", "HalfCheetah-v5", "--num_envs", "2", "--max_iterations", str(ITERS), "--seed", "11",
         "--set", "num_steps_per_env=64", "save_interval=5", "logger=none", "print_interval=0",
         "algorithm.num_mini_batches=2", "algorithm.num_learning_epochs=2",
         "policy.actor_hidden_dims=[32,32]", "policy.critic_hidden_dims=[32,32]"]


def st_rl(*args, **kw):
    return subprocess.Popen([sys.executable, "-m", "st_rl", *args], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)


def lines(d: Path) -> int:
    f = d / "metrics.jsonl"
    try: return len(f.read_text().splitlines()) if f.exists() else 0
    except OSError: return 0


def checkpoints(d: Path):
    return sorted(d.glob("model_*.pt"), key=lambda p: int(p.stem.split("_")[1]))


def main():
    ap = argparse.ArgumentParser(); ap.add_argument("--kills", type=int, default=20); ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        t0 = time.time(); p = st_rl("train", *TRAIN, "--log_dir", str(tmp / "ref")); p.communicate()
        ref_time = time.time() - t0
        assert p.returncode == 0
        run = tmp / "faulty"
        print(f"reference run: {ITERS} iterations in {ref_time:.1f}s\n")
        print("| kill | seconds into training | newest checkpoint at kill | unreadable | leftover temp files | resumed from |")
        print("|---|---|---|---|---|---|")
        p = st_rl("train", *TRAIN, "--log_dir", str(run))
        unreadable_total, kills = 0, 0
        while kills < args.kills:
            # wait until this process is training (a new metrics line), then kill at a random moment
            before = lines(run)
            while lines(run) <= before and p.poll() is None: time.sleep(0.005)
            delay = rng.uniform(0.0, 1.5)
            t = time.time()
            while time.time() - t < delay and p.poll() is None: time.sleep(0.005)
            if p.poll() is not None:         # finished before the kill: the run is complete
                break
            p.send_signal(signal.SIGKILL); p.communicate(); kills += 1
            ck = checkpoints(run)
            unreadable = 0
            for c in ck:
                try: torch.load(c, weights_only=True)
                except Exception: unreadable += 1
            unreadable_total += unreadable
            temps = len(list(run.glob(".model_*.tmp")))
            p = st_rl("train", "--resume", str(run))
            print(f"| {kills} | {delay:.2f} | {ck[-1].name if ck else '(none yet)'} | {unreadable} | {temps} | ", end="", flush=True)
            if not ck:  # killed before the first checkpoint: --resume starts the run over with its config
                print("no checkpoint: started over |")
                continue
            print(f"{ck[-1].name} |")
        out, err = p.communicate()
        assert p.returncode == 0, err[-2000:]
        ref = torch.load(tmp / "ref" / f"model_{ITERS}.pt", weights_only=True)["model_state_dict"]
        got = torch.load(run / f"model_{ITERS}.pt", weights_only=True)["model_state_dict"]
        diff = max((ref[k] - got[k]).abs().max().item() for k in ref)
        print(f"\n{kills} SIGKILLs, {unreadable_total} unreadable checkpoints, final max |param diff| vs uninterrupted run = {diff}")
        return 0 if unreadable_total == 0 and diff == 0.0 else 1


if __name__ == "__main__":
    sys.exit(main())
