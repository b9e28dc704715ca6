"""Helpers the test modules share: the repository root and the command line in a subprocess."""
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def st_rl(*args, check=True, timeout=600):
    """`python -m st_rl *args` from the repository root (off-screen MuJoCo); with `check`, an `AssertionError` holding
    the output's tail when it fails."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "MUJOCO_GL": os.environ.get("MUJOCO_GL", "egl")}
    r = subprocess.run([sys.executable, "-m", "st_rl", *map(str, args)], cwd=ROOT, capture_output=True, text=True,
                       timeout=timeout, env=env)
    if check and r.returncode != 0:
        raise AssertionError(f"st_rl {' '.join(map(str, args))} failed ({r.returncode}):\n{r.stdout[-3000:]}\n"
                             f"{r.stderr[-3000:]}")
    return r
