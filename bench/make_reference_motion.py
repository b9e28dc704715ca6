#!/usr/bin/env python
"""Make a reference motion clip for adversarial motion priors (AMP) on gymnasium's HalfCheetah-v5.

A scripted periodic gait is played through the MuJoCo simulator: PD control in action space toward sinusoidal
joint targets

    q_target_j(t) = OFFSET_j + AMP_j * sin(2*pi*FREQ*t + PHASE_j)        (j = bthigh, bshin, bfoot, fthigh, fshin, ffoot)
    a_j           = clip(KP_j * (q_target_j - q_j) - KD_j * qdot_j, -1, 1)

with t = env step index * env.unwrapped.dt (0.05 s). The env is reset with a fixed seed, the first `warmup` steps
(2 s) of transient are skipped, then `frames` steps (20 s) are recorded. Each frame is the state after the step:
concat(qpos[1:9], qvel[1:9]) = rootz, rooty, 6 joint angles, root z-velocity, root pitch rate, 6 joint velocities
(root x position / x velocity are left out on purpose, so the style does not dictate speed).

    python bench/make_reference_motion.py                     # writes st_rl/assets/motions/halfcheetah_bound.npz
    python bench/make_reference_motion.py --out /tmp/clip.npz

The .npz holds only plain arrays (loadable with allow_pickle=False): frames (F, 16) float32, fps float64 scalar,
feature_names / joint_names unicode arrays, source unicode scalar.
"""
from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path

import numpy as np

# ---- gait parameters -------------------------------------------------------------------------------------------------
# Chosen by a small scripted search (cheap: each 22 s rollout takes ~20 ms): random restarts + greedy hill climbing
# (~5k rollouts in all, reset seed 0) over freq in {2, 2.22, 2.5, 2.86, 3.33} Hz (a whole number of 20 fps frames
# per period), per-joint offset/amp/phase and one shared kp/kd, maximising min(speed, 3 m/s)
# + 2 * periodicity - 10 * max(0, max|pitch| - 0.6). The best point was then rounded by hand (phases wrapped to
# [-pi, pi]) and re-checked, also for reset seeds 1 and 2 (2.08-2.13 m/s, periodicity >= 0.98). kd = 0 was kept:
# even kd = 0.02-0.05 slows the gait (1.8 / 1.0 m/s) and makes it less regular. The targets of bshin / fshin / ffoot
# exceed the joint ranges, so those joints are driven near bang-bang against their limits. Result: a bound -- back foot
# stance, flight, front foot stance, with the body pitching about +-0.3 rad once per 0.4 s stride.
# Order of the 6-vectors: bthigh, bshin, bfoot, fthigh, fshin, ffoot.
FREQ = 2.5  # Hz (8 frames per stride at 20 fps)
OFFSET = (0.0, -0.5, 0.28, -0.14, 0.5, 0.24)  # rad
AMP = (0.12, 1.2, 0.82, 0.32, 1.02, 0.96)  # rad
PHASE = (0.0, -2.57, 1.84, -0.9, -3.0, 0.09)  # rad
KP = (3.4, 3.4, 3.4, 3.4, 3.4, 3.4)  # action units per rad
KD = (0.0, 0.0, 0.0, 0.0, 0.0, 0.0)  # action units per rad/s

ENV_ID = "HalfCheetah-v5"
SEED = 0
WARMUP = 40  # steps skipped (2 s at dt = 0.05)
FRAMES = 400  # steps recorded (20 s)
DEFAULT_OUT = Path(__file__).resolve().parent.parent / "st_rl" / "assets" / "motions" / "halfcheetah_bound.npz"

JOINTS = ("bthigh", "bshin", "bfoot", "fthigh", "fshin", "ffoot")
FEATURE_NAMES = ("rootz", "rooty", *JOINTS, "rootz_vel", "rooty_vel", *(f"{j}_vel" for j in JOINTS))


def scripted_gait_frames(freq=FREQ, offset=OFFSET, amp=AMP, phase=PHASE, kp=KP, kd=KD, seed=SEED, warmup=WARMUP,
                         frames=FRAMES, env_id=ENV_ID, return_joint_names=False):
    """Play the scripted PD-sinusoid gait; return (frames (F, 16) float32, stats dict).

    stats: speed (mean forward velocity over the recorded part, m/s), pitch_min/pitch_max (rooty over the whole
    rollout incl. warmup, rad), joint_min/joint_max (6-vectors over the recorded part), n_frames, dt,
    periodicity (normalised autocorrelation of the recorded frames at a lag of one gait period), fell (any
    |pitch| >= 0.8 rad during the rollout). With return_joint_names=True also returns the model's joint names 3..8.
    """
    import gymnasium as gym
    import mujoco

    offset, amp, phase, kp, kd = (np.asarray(v, dtype=np.float64) for v in (offset, amp, phase, kp, kd))
    env = gym.make(env_id)
    try:
        env.reset(seed=seed)
        u = env.unwrapped
        data, dt = u.data, u.dt
        joint_names = [mujoco.mj_id2name(u.model, mujoco.mjtObj.mjOBJ_JOINT, i) for i in range(3, 9)]
        out = np.empty((frames, 16), dtype=np.float64)
        pitch = np.empty(warmup + frames)
        x0 = None
        for k in range(warmup + frames):
            if k == warmup:
                x0 = float(data.qpos[0])
            t = k * dt
            q, qd = data.qpos[3:9], data.qvel[3:9]
            target = offset + amp * np.sin(2 * np.pi * freq * t + phase)
            action = np.clip(kp * (target - q) - kd * qd, -1.0, 1.0)
            env.step(action.astype(np.float32))
            pitch[k] = data.qpos[2]
            if k >= warmup:
                out[k - warmup, :8] = data.qpos[1:9]
                out[k - warmup, 8:] = data.qvel[1:9]
        speed = (float(data.qpos[0]) - x0) / (frames * dt)
    finally:
        env.close()

    stats = dict(
        speed=speed,
        pitch_min=float(pitch.min()),
        pitch_max=float(pitch.max()),
        fell=bool(np.abs(pitch).max() >= 0.8),
        joint_min=out[:, 2:8].min(0),
        joint_max=out[:, 2:8].max(0),
        n_frames=frames,
        dt=dt,
        periodicity=_periodicity(out, freq, dt),
    )
    frames_out = out.astype(np.float32)
    return (frames_out, stats, joint_names) if return_joint_names else (frames_out, stats)


def _periodicity(x, freq, dt):
    """Mean per-feature normalised autocorrelation of x at a lag of one gait period (rounded to whole frames);
    1 = the motion repeats exactly every period (a phase-locked limit cycle)."""
    x = (x - x.mean(0)) / (x.std(0) + 1e-8)
    lag = max(1, int(round(1.0 / (freq * dt))))
    return float((x[:-lag] * x[lag:]).mean())


def save_clip(path, frames, joint_names, source, fps):
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(suffix=".npz", prefix=".tmp_", dir=path.parent)
    os.close(fd)
    try:
        np.savez(tmp, frames=np.asarray(frames, dtype=np.float32), fps=np.asarray(fps, dtype=np.float64),
                 feature_names=np.array(FEATURE_NAMES, dtype=str), joint_names=np.array(joint_names, dtype=str),
                 source=np.array(source, dtype=str))
        os.chmod(tmp, 0o644)  # mkstemp creates 0600
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[1], formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", default=str(DEFAULT_OUT), help="output .npz (default: %(default)s)")
    args = p.parse_args(argv)

    frames, st, joint_names = scripted_gait_frames(return_joint_names=True)
    if tuple(joint_names) != JOINTS:
        raise RuntimeError(f"unexpected joint names in {ENV_ID}: {joint_names}")
    fmt = lambda v: "(" + ", ".join(f"{x:g}" for x in v) + ")"
    source = (f"scripted PD sinusoid gait, {ENV_ID}, params: q_target = offset + amp*sin(2*pi*freq*t + phase), "
              f"a = clip(kp*(q_target - q) - kd*qdot, -1, 1), joints {', '.join(JOINTS)}; freq={FREQ:g} Hz, "
              f"offset={fmt(OFFSET)}, amp={fmt(AMP)}, phase={fmt(PHASE)}, kp={fmt(KP)}, kd={fmt(KD)}; "
              f"reset seed={SEED}, warmup={WARMUP} steps, {FRAMES} frames at {1 / st['dt']:g} fps; "
              f"mean forward speed {st['speed']:.2f} m/s; frame = concat(qpos[1:9], qvel[1:9])")
    save_clip(args.out, frames, joint_names, source, 1.0 / st["dt"])

    print(f"wrote {args.out}: {len(frames)} frames x {frames.shape[1]} features at {1 / st['dt']:g} fps")
    print(f"mean forward speed: {st['speed']:.2f} m/s")
    print(f"pitch (rooty) range: [{st['pitch_min']:+.3f}, {st['pitch_max']:+.3f}] rad (incl. warmup)")
    print(f"periodicity (autocorrelation at one gait period): {st['periodicity']:.3f}")
    for j, lo, hi in zip(JOINTS, st["joint_min"], st["joint_max"]):
        print(f"  {j:7s} [{lo:+.3f}, {hi:+.3f}] rad  (range {hi - lo:.3f})")
    if st["fell"]:
        print("WARNING: |pitch| reached 0.8 rad")


if __name__ == "__main__":
    main()
