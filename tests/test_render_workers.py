"""Drawing an env that steps in a worker process, after this process has drawn: it must not hang.

A GL context made in a forked worker hangs for good once the parent has used the GL driver (software GL's threads do
not survive the fork), so `GymVecEnv.render` draws a worker's MuJoCo env in the trainer, from the worker's state."""
import subprocess
import sys

from tests.conftest import ROOT

SCRIPT = """
import os
os.environ.setdefault("MUJOCO_GL", "egl")
import numpy as np, torch
from st_rl.env.gym_adapter import GymVecEnv
here = GymVecEnv("Hopper-v5", num_envs=1, num_workers=0, render_mode="rgb_array", width=160, height=120)
here.render(0)                                                   # this process has drawn: its GL driver is up
env = GymVecEnv("HalfCheetah-v5", num_envs=2, seed=0, num_workers=1, render_mode="rgb_array", width=240, height=160)
assert env._workers[0][2:] == (1, 2)                             # env 1 steps in the worker
for t in range(30): env.step(torch.ones(2, 6))
frame = env.render(1)
state = env.get_state()["envs"][1]["mujoco"]
assert frame.shape == (160, 240, 3) and frame.std() > 5, frame.std()
twin = GymVecEnv("HalfCheetah-v5", num_envs=1, seed=0, num_workers=0, render_mode="rgb_array", width=240, height=160)
twin.set_state({**twin.get_state(), "envs": [{**twin.get_state()["envs"][0], "mujoco": state}]})
assert np.abs(twin.render(0).astype(int) - frame).max() <= 2    # the worker's env as it is now, not as it began
env.close(); here.close(); twin.close()
print("ok")
"""


def test_worker_env_renders_after_this_process_drew():
    r = subprocess.run([sys.executable, "-c", SCRIPT], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and r.stdout.strip().endswith("ok"), r.stderr[-3000:]
