"""Runs that survive faults: SIGINT writes a checkpoint, SIGKILL at random moments never leaves an unreadable
checkpoint, and a resumed run ends bit-identical to an uninterrupted one."""
import json
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from tests.conftest import ROOT, st_rl

TRAIN = ["--task", "HalfCheetah-v5", "--num_envs", "2", "--max_iterations", "40", "--seed", "5",
         "--set", "num_steps_per_env=64", "save_interval=4", "logger=none", "print_interval=0",
         "algorithm.num_mini_batches=2", "algorithm.num_learning_epochs=2",
         "policy.actor_hidden_dims=[32,32]", "policy.critic_hidden_dims=[32,32]"]


def cmd(*args):
    return [sys.executable, "-m", "st_rl", *args]


run = st_rl            # the command line in a subprocess, raising with its output on failure


def iterations_done(run_dir: Path) -> int:
    f = run_dir / "metrics.jsonl"
    return len(f.read_text().splitlines()) if f.exists() else 0


def params(ckpt: Path):
    d = torch.load(ckpt, weights_only=True)
    return d["model_state_dict"], d["optimizer_state_dict"]["state"]


def assert_identical(a: Path, b: Path):
    (ma, oa), (mb, ob) = params(a), params(b)
    assert ma.keys() == mb.keys()
    diff = max((ma[k] - mb[k]).abs().max().item() for k in ma)
    assert diff == 0.0, f"max param diff {diff}"
    for k in oa:
        for name in ("exp_avg", "exp_avg_sq"): assert torch.equal(oa[k][name], ob[k][name])


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    d = tmp_path_factory.mktemp("ref") / "run"
    run("train", *TRAIN, "--log_dir", str(d))
    return d


def start(log_dir):
    return subprocess.Popen(cmd("train", *TRAIN, "--log_dir", str(log_dir)), cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_for(pred, timeout=120):
    t0 = time.time()
    while not pred():
        if time.time() - t0 > timeout: raise TimeoutError
        time.sleep(0.02)


def test_sigint_writes_checkpoint_and_resume_is_bit_identical(reference, tmp_path):
    d = tmp_path / "run"
    p = start(d)
    wait_for(lambda: iterations_done(d) >= 6)
    p.send_signal(signal.SIGINT)
    out, err = p.communicate(timeout=120)
    assert p.returncode == 128 + signal.SIGINT, (p.returncode, err[-2000:])
    assert "interrupted by SIGINT" in err and "resume with: st_rl train --resume" in err
    assert "Traceback" not in err
    stopped_at = iterations_done(d)
    assert (d / f"model_{stopped_at}.pt").exists()                 # the checkpoint written on SIGINT
    assert stopped_at < 40
    r = run("train", "--resume", str(d))
    assert f"resuming {d}" in r.stdout
    assert_identical(reference / "model_40.pt", d / "model_40.pt")
    lines = [json.loads(l) for l in (d / "metrics.jsonl").read_text().splitlines()]
    assert [l["iteration"] for l in lines] == list(range(1, 41))   # no gaps, no duplicates


def test_sigkill_at_random_moments_then_resume(reference, tmp_path):
    rng = random.Random(0)
    d = tmp_path / "run"
    p = start(d)
    for kill in range(3):
        wait_for(lambda: any(d.glob("model_*.pt")) or p.poll() is not None)
        time.sleep(rng.uniform(0.0, 1.5))
        if p.poll() is None: p.send_signal(signal.SIGKILL)
        p.communicate(timeout=60)
        for ckpt in d.glob("model_*.pt"): torch.load(ckpt, weights_only=True)   # never unreadable
        p = subprocess.Popen(cmd("train", "--resume", str(d)), cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out, err = p.communicate(timeout=300)
    assert p.returncode == 0, err[-2000:]
    assert_identical(reference / "model_40.pt", d / "model_40.pt")


def test_resume_refuses_config_changes_and_bad_targets(reference, tmp_path):
    r = run("train", "--resume", str(reference), "--set", "algorithm.learning_rate=1.0", check=False)
    assert r.returncode == 2 and "only --max_iterations" in r.stderr
    r = run("train", "--resume", str(tmp_path / "missing"), check=False)
    assert r.returncode == 2 and "nothing to resume" in r.stderr
    broken = tmp_path / "broken"; broken.mkdir(); (broken / "config.json").write_text((reference / "config.json").read_text())
    (broken / "model_5.pt").write_bytes(b"not a checkpoint")       # checkpoints there, none readable: never overwritten
    r = run("train", "--resume", str(broken), check=False)
    assert r.returncode == 2 and "no intact model_<iteration>.pt" in r.stderr
    assert (broken / "model_5.pt").read_bytes() == b"not a checkpoint"


def test_resume_of_a_run_killed_before_its_first_checkpoint_starts_it_over(reference, tmp_path):
    empty = tmp_path / "empty"; empty.mkdir(); (empty / "config.json").write_text((reference / "config.json").read_text())
    r = run("train", "--resume", str(empty), "--max_iterations", "2", check=False)
    assert r.returncode == 0, r.stderr[-2000:]
    assert "has no checkpoint yet; starting the run over" in r.stderr
    assert sorted(p.name for p in empty.glob("model_*.pt"))[-1] == "model_2.pt"




def test_sigterm_to_every_process_of_the_run_keeps_the_last_finished_iteration(tmp_path):
    """A scheduler (SLURM signals every process of the job) or `pkill -f` sends SIGTERM to the env worker processes
    too: they die mid-rollout, and the trainer still saves its last finished iteration and stops as interrupted."""
    # one env worker; long rollouts and a tiny update, so the signal lands in a rollout (tried up to 3 times)
    args = TRAIN + ["env.num_workers=1", "save_interval=1000", "num_steps_per_env=1024", "algorithm.num_mini_batches=1",
                    "algorithm.num_learning_epochs=1"]
    for attempt in range(3):
        d = tmp_path / f"run{attempt}"
        p = subprocess.Popen(cmd("train", *args, "--log_dir", str(d)), cwd=ROOT, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
        wait_for(lambda: iterations_done(d) >= 2)
        time.sleep(0.1)
        children = subprocess.run(["ps", "-o", "pid=", "--ppid", str(p.pid)], capture_output=True, text=True).stdout
        workers = [int(x) for x in children.split()]
        assert workers, "expected an env worker process"
        subprocess.run(["kill", "-TERM", str(p.pid), *map(str, workers)], check=True)
        out, err = p.communicate(timeout=120)
        assert p.returncode == 128 + signal.SIGTERM, (p.returncode, err[-2000:])
        assert "interrupted by SIGTERM" in err and "Traceback" not in err, err[-2000:]
        done = iterations_done(d)
        assert 2 <= done < 40 and (d / f"model_{done}.pt").exists(), (done, sorted(x.name for x in d.iterdir()))
        if "the envs stopped too" in err: break                   # the workers died mid-rollout: the case under test
    else: pytest.fail("the signal never landed in a rollout")
    run("train", "--resume", str(d), "--max_iterations", str(done + 1))
    assert iterations_done(d) == done + 1 and (d / f"model_{done + 1}.pt").exists()
