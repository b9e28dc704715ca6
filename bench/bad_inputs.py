"""Feed st_rl's command line many kinds of bad input and print, for each, the one line it answers with.

    python bench/bad_inputs.py            # prints a markdown table; exit 1 if any case misbehaves
    python bench/bad_inputs.py -j 1       # one case at a time (default: 2 at a time)

Each case must end with exit status 2 and exactly one stderr line `st_rl: error: ...` containing the expected
words (no traceback; `st_rl: warning:` lines and MuJoCo's "settotalmass" noise aside), and no crafted file may run
code (every payload creates `<tmp>/pwned`). tests/test_bad_inputs.py runs the same cases.

A case is `(name, argv, expected)` or `(name, argv, expected, options)`; options: `cwd` (default the repository root;
a crafted run's parent for cwd-on-sys.path attacks), `setup` (a callable run first; it returns a teardown callable or
None, and raises `Skip` where the machine cannot stage the case), `timeout` (s), `absent` (a string stderr must not
contain), `max_vm_mb` (address-space limit of the st_rl process: a refusal must come before a large allocation)."""
import argparse
import io
import json
import os
import pickle
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import textwrap
import time
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
PM = ["--task", "PointMass", "--max_iterations", "1", "--set", "num_steps_per_env=8", "logger=none"]
AMP = ["train", "--task", "HalfCheetah-v5", "--max_iterations", "1", "--set", "runner_class_name=AmpPolicyRunner", "logger=none"]
REFUSE = "refusing to import module"


class Skip(Exception):
    "Raised by a case's setup where this machine cannot stage it (no tmpfs mounts, CUDA present)."


class Evil:
    "Unpickling this runs a shell command that creates <tmp>/pwned."
    def __init__(self, tmp): self.target = str(Path(tmp) / "pwned")
    def __reduce__(self): return (os.system, (f"touch {self.target}",))


def _payload(tmp: Path, tag: str) -> str:
    return f"open({str(tmp / 'pwned')!r}, 'a').write({tag + chr(10)!r})\n"


def _evil_module(path: Path, tmp: Path) -> None:
    "A module whose import creates <tmp>/pwned; X and P would pass for a runner and a policy."
    path.write_text(_payload(tmp, str(path)) + textwrap.dedent("""
        from st_rl.runners.on_policy_runner import OnPolicyRunner
        from st_rl.modules.actor_critic import ActorCritic
        class X(OnPolicyRunner): pass
        class P(ActorCritic): pass
        """))


def _copy_run(run: Path, dest: Path, **edits) -> Path:
    "A copy of `run` whose config.json has `edits` applied (keys `a__b` for nested `a.b`)."
    shutil.copytree(run, dest)
    cfg = json.loads((dest / "config.json").read_text())
    for key, value in edits.items():
        node, parts = cfg, key.split("__")
        for p in parts[:-1]: node = node.setdefault(p, {})
        node[parts[-1]] = value
    (dest / "config.json").write_text(json.dumps(cfg, indent=2))
    return dest


def _edit_checkpoint(src: Path, dest_run: Path, edit) -> Path:
    "A copy of the run at `src.parent` in `dest_run` whose model_1.pt went through `edit(dict)`."
    shutil.copytree(src.parent, dest_run)
    d = torch.load(src, weights_only=True)
    edit(d)
    torch.save(d, dest_run / src.name)
    return dest_run / src.name


def _zip_bomb_checkpoint(path: Path, numel: int = 2 ** 28) -> None:
    "A ~1 MB checkpoint whose one tensor declares `numel` floats (1 GB), stored deflated: torch would allocate it all."
    buf = io.BytesIO(); torch.save({"model_state_dict": {"w": torch.zeros(3)}, "iter": 1}, buf)
    zin = zipfile.ZipFile(io.BytesIO(buf.getvalue()))
    big = b"J" + struct.pack("<i", numel)
    with zipfile.ZipFile(path, "w") as out:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename.endswith("/data.pkl"):
                data = data.replace(b"K\x03t", big + b"t", 1).replace(b"K\x03\x85", big + b"\x85", 1)
            if info.filename.endswith("/data/0"):
                zi = zipfile.ZipInfo(info.filename); zi.compress_type = zipfile.ZIP_DEFLATED
                chunk = bytes(1 << 20)
                with out.open(zi, "w", force_zip64=True) as f:
                    for _ in range(numel * 4 >> 20): f.write(chunk)
                continue
            out.writestr(info, data)


def _huge_shape_npz(path: Path, rows: int = 2 ** 28) -> None:
    "Rewrite a rollout npz so that its 'obs' header declares `rows` rows (GBs) over the few bytes it holds."
    with np.load(path) as z: arrays = {k: z[k] for k in z.files}
    with zipfile.ZipFile(path, "w") as out:
        for k, a in arrays.items():
            b = io.BytesIO()
            if k == "obs":
                h = np.lib.format.header_data_from_array_1_0(a); h["shape"] = (rows, *a.shape[1:])
                np.lib.format.write_array_header_1_0(b, h); b.write(a.tobytes())
            else: np.save(b, a)
            out.writestr(k + ".npy", b.getvalue())


BAD_ENVS = '''
"""VecEnvs for the bad-input table (`--task badenvs:Name`, typed on the command line: consent to import)."""
from st_rl.env.vec_env import PointMassEnv

class HugeObsEnv(PointMassEnv):
    "A finite but absurd observation (1e30) in env 0 from the 3rd step on: the normaliser's variance would overflow."
    def step(self, actions):
        obs, rew, dones, extras = super().step(actions)
        if self.episode_length_buf.max() >= 3: obs = obs.clone(); obs[0, 0] = 1e30
        return obs, rew, dones, extras

class HugeRewardEnv(PointMassEnv):
    "A reward of 1e30 in env 0 from the 3rd step on: the reward scaler's variance would overflow."
    def step(self, actions):
        obs, rew, dones, extras = super().step(actions)
        if self.episode_length_buf.max() >= 3: rew = rew.clone(); rew[0] = 1e30
        return obs, rew, dones, extras

class NanCriticEnv(PointMassEnv):
    "NaN in env 1's critic-only (privileged) observation from the 3rd step on; the actor's observations stay clean."
    def __init__(self, **kw): super().__init__(privileged=True, **kw)
    def step(self, actions):
        obs, rew, dones, extras = super().step(actions)
        if self.episode_length_buf.max() >= 3:
            c = extras["observations"]["critic"].clone(); c[1, 6] = float("nan"); extras["observations"]["critic"] = c
        return obs, rew, dones, extras
'''


def _train(run: Path, *extra):
    r = subprocess.run([sys.executable, "-m", "st_rl", "train", "--task", "PointMass", "--max_iterations", "1", "--log_dir", str(run),
                        "--set", "num_steps_per_env=8", "logger=none", *extra], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    return run


def make_fixtures(tmp: Path) -> Path:
    "A tiny trained run plus broken and crafted files next to it; returns the run directory."
    run = _train(tmp / "run")
    ckpt = run / "model_1.pt"
    (tmp / "truncated.pt").write_bytes(ckpt.read_bytes()[:500])
    torch.save({"weights": torch.zeros(3)}, tmp / "foreign.pt")
    torch.save({"model_state_dict": Evil(tmp)}, tmp / "evil.pt")
    (tmp / "bad.yaml").write_text("policy: [unclosed\n")
    (tmp / "list.yaml").write_text("- 1\n- 2\n")
    (tmp / "norun").mkdir()
    subprocess.run([sys.executable, "-m", "st_rl", "train", "--task", "PointMass", "--max_iterations", "1", "--log_dir", str(tmp / "other"),
                    "--set", "num_steps_per_env=8", "logger=none", "policy.actor_hidden_dims=[8]"], cwd=ROOT, capture_output=True, timeout=300)
    # a dataset whose only trajectory file is a pickle that would run code, and a dataset of another env
    from st_rl.env.vec_env import PointMassEnv
    from st_rl.storage.rollout_files import DemonstrationSaver
    expert = lambda obs, critic: (obs[:, 4:6] - obs[:, 0:2]).clamp(-1, 1)
    DemonstrationSaver(PointMassEnv(num_envs=1, max_episode_length=20), expert, tmp / "evil_demos", min_timesteps=20).collect()
    shutil.copytree(tmp / "evil_demos", tmp / "huge_demos")
    shutil.copytree(tmp / "evil_demos", tmp / "nosegs_demos")
    (tmp / "evil_demos" / "trajectory_0" / "0_20.npz").write_bytes(pickle.dumps(Evil(tmp)))
    _huge_shape_npz(tmp / "huge_demos" / "trajectory_0" / "0_20.npz")
    meta = json.loads((tmp / "nosegs_demos" / "metadata.json").read_text()); meta.pop("obs_segments", None)
    (tmp / "nosegs_demos" / "metadata.json").write_text(json.dumps(meta))
    DemonstrationSaver(PointMassEnv(num_envs=1, max_episode_length=20, privileged=True), expert, tmp / "critic_demos", min_timesteps=20).collect()
    # motion clips that do not fit HalfCheetah: another robot's joints, a frame layout cut short, a pickle in disguise, fps as text
    from st_rl.env.motion import load_motion, save_motion
    clip = load_motion("halfcheetah_bound")
    save_motion(tmp / "three_joints.npz", clip.frames, clip.fps, clip.feature_names, ["thigh", "leg", "foot"])
    save_motion(tmp / "short_frames.npz", clip.frames[:, :12], clip.fps, clip.feature_names[:12], clip.joint_names)
    (tmp / "evil_motion.npz").write_bytes(pickle.dumps(Evil(tmp)))
    np.savez(tmp / "fps_text.npz", frames=clip.frames, fps=np.array("fast"), feature_names=np.array(clip.feature_names, dtype=str),
             joint_names=np.array(clip.joint_names, dtype=str), source=np.array(""))
    # a run whose checkpoint's optimiser moments do not fit the policy's parameters
    shutil.copytree(run, tmp / "bad_moments")
    d = torch.load(ckpt, weights_only=True)
    st = next(v for v in d["optimizer_state_dict"]["state"].values()             # a weight matrix's first moment:
              if v["exp_avg"].dim() == 2 and v["exp_avg"].shape[0] != v["exp_avg"].shape[1])
    st["exp_avg"] = st["exp_avg"].t().contiguous()                                # transposed
    torch.save(d, tmp / "bad_moments" / "model_1.pt")

    # ---- code execution: names in run directories and config files that would import a module
    def hub(name):          # env.task torch.hub:load, pointed at a hubconf.py beside config.json
        r = _copy_run(run, tmp / name, env__task="torch.hub:load",
                      env__kwargs={"repo_or_dir": str(tmp / name), "model": "make", "source": "local", "trust_repo": True})
        (r / "hubconf.py").write_text("dependencies = []\n" + _payload(tmp, "hubconf") + textwrap.dedent("""
            def make(num_envs=1, seed=0, device="cpu", **kw):
                from st_rl.env.vec_env import PointMassEnv
                return PointMassEnv(num_envs=num_envs, device=device)
            """))
    hub("hubrun"); hub("hubrun_resume")
    _copy_run(run, tmp / "ipyrun", env__task="IPython:start_ipython",
              env__kwargs={"argv": ["--quick", "--no-banner", "-c", _payload(tmp, "ipython")]})
    for name, key, value in [("ev_runner", "runner_class_name", "ev_runner.evil:X"), ("ev_policy", "policy__class_name", "ev_policy.evil:P"),
                             ("ev_alg", "algorithm__class_name", "ev_alg.evil:X"), ("ev_wrap", "env__wrappers", [{"class_name": "ev_wrap.evil:X"}])]:
        r = _copy_run(run, tmp / name, **{key: value}, **({"env__task": "HalfCheetah-v5"} if name == "ev_wrap" else {}))
        _evil_module(r / "evil.py", tmp)
    _copy_run(run, tmp / "thisrun", runner_class_name="this:X")
    _evil_module(tmp / "evil_mod.py", tmp); _evil_module(tmp / "gymnasium_evil.py", tmp)
    _copy_run(run, tmp / "gymrun", env__task="evil_mod:Env-v0")
    _copy_run(run, tmp / "gymrun2", env__task="gymnasium_evil:Env-v0")
    (tmp / "evil_hub.yaml").write_text(textwrap.dedent(f"""\
        num_steps_per_env: 8
        logger: none
        env:
          task: "torch.hub:load"
          kwargs: {{repo_or_dir: "{tmp / 'hubrun'}", model: make, source: local, trust_repo: true}}
        """))
    (tmp / "evil_runner.json").write_text(json.dumps({"runner_class_name": "evil_mod:X", "num_steps_per_env": 8, "logger": "none"}))
    (tmp / "fake.onnx").write_bytes(pickle.dumps(Evil(tmp)))
    r = subprocess.run([sys.executable, "-m", "st_rl", "export", "--run", str(run), "--out", str(tmp / "real.onnx")], cwd=ROOT,
                       capture_output=True, timeout=300)
    if r.returncode != 0: shutil.copy(tmp / "fake.onnx", tmp / "real.onnx")      # (export broken: the refusal must come first anyway)
    shutil.copytree(run, tmp / "pickle_resume"); torch.save({"model_state_dict": Evil(tmp), "iter": 1}, tmp / "pickle_resume" / "model_1.pt")

    # ---- data loss: run directories in use, reused, crafted; metrics files
    shutil.copytree(run, tmp / "lockrun"); shutil.copytree(run, tmp / "reuse")
    shutil.copytree(run, tmp / "symrun"); (tmp / "outside.txt").write_text("not st_rl's\n")
    (tmp / "symrun" / "metrics.jsonl").unlink(); (tmp / "symrun" / "metrics.jsonl").symlink_to(tmp / "outside.txt")
    _zip_bomb_checkpoint(tmp / "bomb.pt")
    (tmp / "badenvs.py").write_text(BAD_ENVS)
    (tmp / "lr_1e-3.yaml").write_text("algorithm:\n  learning_rate: 1e-3\n  clip_parm: 0.1\n")
    (tmp / "afile").write_text("a file, not a directory\n")
    (tmp / "esc" / "deep").mkdir(parents=True)
    (tmp / "mnt").mkdir()

    # ---- checkpoints with malformed fields
    def setter(key, value):
        def edit(d): d[key] = value
        return edit
    _edit_checkpoint(ckpt, tmp / "msd_list", setter("model_state_dict", [1, 2, 3]))
    _edit_checkpoint(ckpt, tmp / "iter_str", setter("iter", "seven"))
    _edit_checkpoint(ckpt, tmp / "rng_bad", setter("rng_state", {"torch": "not a state"}))
    _edit_checkpoint(ckpt, tmp / "runner_bad", setter("runner_state", [1, 2]))
    _edit_checkpoint(ckpt, tmp / "env_bad", setter("env_state", {"pos": "left"}))
    _edit_checkpoint(ckpt, tmp / "lr_bad", setter("learning_rate", "fast"))
    _edit_checkpoint(ckpt, tmp / "obsnorm_bad", setter("obs_norm_state_dict", {"mean": "zero"}))

    def nan_weights(d):
        k = next(k for k, v in d["model_state_dict"].items() if v.dim() == 2)
        d["model_state_dict"][k] = d["model_state_dict"][k].clone().fill_(float("nan"))
    _edit_checkpoint(ckpt, tmp / "nan_weights", nan_weights)
    return run


# ---- setups: each returns a teardown (or None); Skip where the machine cannot stage the case

def _mount(where: Path, size: str, ro: bool = False, fill: bool = False, copy: Path | None = None):
    where.mkdir(parents=True, exist_ok=True)
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)], capture_output=True, text=True)
    if r.returncode != 0: raise Skip(f"cannot mount a tmpfs here: {r.stderr.strip()[:100]}")
    def teardown(): subprocess.run(["umount", "-l", str(where)], capture_output=True)
    try:
        if copy is not None: shutil.copytree(copy, where / copy.name)
        if fill:                                          # leave (almost) nothing free
            try:
                with open(where / "filler", "wb") as f:
                    while True: f.write(bytes(4096)); f.flush()
            except OSError: pass
        if ro and subprocess.run(["mount", "-o", "remount,ro", str(where)], capture_output=True).returncode != 0:
            raise Skip("cannot remount the tmpfs read-only")
    except BaseException:
        teardown(); raise
    return teardown


def _no_cuda():
    if torch.cuda.is_available(): raise Skip("this machine has CUDA")


def _hold_lock(tmp: Path, run: Path):
    "A trainer that keeps training `run` (resumed), so that the case's command finds it in use."
    log = open(tmp / "holder.log", "w")
    p = subprocess.Popen([sys.executable, "-m", "st_rl", "train", "--resume", str(run), "--max_iterations", "1000000"], cwd=ROOT,
                         stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    def teardown():
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
            try: p.wait(30)
            except subprocess.TimeoutExpired: p.kill(); p.wait()
        log.close()
    t0 = time.time()
    while time.time() - t0 < 120:
        if p.poll() is not None: teardown(); raise RuntimeError(f"lock holder exited: {(tmp / 'holder.log').read_text()[-500:]}")
        if "resuming" in (tmp / "holder.log").read_text(): time.sleep(0.5); return teardown
        time.sleep(0.2)
    teardown(); raise RuntimeError("lock holder did not start within 120 s")


def cases(tmp: Path, run: Path):
    "The table (no side effects: fixtures come from make_fixtures, staging from each case's setup)."
    L = lambda name: ["--log_dir", str(tmp / "logs" / name)]              # a fresh run dir: a case that wrongly trains writes there
    PML = lambda name: [*PM[:4], *L(name), *PM[4:]]
    T = {"cwd": tmp}                                                       # cwd = the crafted runs' parent (on sys.path)
    evil_wrap = "env.wrappers=[{class_name: AmpReference, motion_file: %s}]"
    dag = ["--num_envs", "1", "--minutes", "0.05", "--max_frames", "16"]
    return [
        ("config: unknown key", ["train", *PM, "algorithm.clip_parm=0.1"], "unknown config key 'algorithm.clip_parm'"),
        ("config: file is not a mapping", ["train", "--task", "PointMass", "--config", str(tmp / "list.yaml")], "must hold a mapping"),
        ("config: invalid YAML", ["train", "--task", "PointMass", "--config", str(tmp / "bad.yaml")], "is not valid YAML"),
        ("config: file not found", ["train", "--task", "PointMass", "--config", str(tmp / "nope.yaml")], "config file not found"),
        ("config: wrong type", ["train", *PM, "num_steps_per_env=many"], "'num_steps_per_env' must be int"),
        ("config: invalid value", ["train", *PM, "algorithm.schedule=cosine"], "algorithm.schedule must be"),
        ("config: switch that is not a bool", ["train", *PM, "pipeline_rollout=maybe"], "'pipeline_rollout' must be bool"),
        ("config: unknown policy class", ["train", *PM, "policy.class_name=Transformer"], "unknown policy 'Transformer'"),
        ("config: bad activation", ["train", *PM, "policy.activation=swish3"], "unknown activation 'swish3'"),
        ("config: zero envs", ["train", "--task", "HalfCheetah-v5", "--num_envs", "0", "--max_iterations", "1"], "num_envs"),
        ("env: unknown gymnasium id", ["train", "--task", "NoSuchRobot-v9", "--max_iterations", "1"], "cannot make gymnasium env"),
        ("env: discrete actions", ["train", "--task", "CartPole-v1", "--max_iterations", "1"], "continuous (Box) action space"),
        ("env: custom env, wrong action shape", ["train", *PM[2:4], "--task", "tests.envs:WrongActionShapeEnv"], "step failed on actions of shape (8, 2)"),
        ("env: custom env, wrong obs shape", ["train", *PM[2:4], "--task", "tests.envs:WrongObsShapeEnv"], "obs has shape (8, 5), expected (8, 6)"),
        ("env: NaN in observations", ["train", "--task", "tests.envs:NanObsEnv", "--max_iterations", "2", *L("nanobs"), "--set", "num_steps_per_env=16", "logger=none"], "NaN/Inf in observations"),
        ("env: Inf in rewards", ["train", "--task", "tests.envs:NanRewardEnv", "--max_iterations", "2", *L("infrew"), "--set", "num_steps_per_env=16", "logger=none"], "NaN/Inf in rewards"),
        ("file: missing checkpoint", ["play", "--run", str(run), "--checkpoint", str(run / "model_99.pt")], "checkpoint not found"),
        ("file: truncated checkpoint", ["play", "--run", str(run), "--checkpoint", str(tmp / "truncated.pt")], "corrupt or not a torch checkpoint"),
        ("file: foreign checkpoint", ["play", "--run", str(run), "--checkpoint", str(tmp / "foreign.pt")], "no 'model_state_dict'"),
        ("file: code-executing pickle", ["play", "--run", str(run), "--checkpoint", str(tmp / "evil.pt")], "corrupt or not a torch checkpoint",
         {"absent": "weights_only"}),
        ("file: checkpoint of another policy", ["play", "--run", str(run), "--checkpoint", str(tmp / "other" / "model_1.pt")], "does not fit this policy"),
        ("file: not a run directory", ["play", "--run", str(tmp / "norun")], "not an st_rl run directory"),
        ("cli: resume with a changed config", ["train", "--resume", str(run), "--set", "algorithm.learning_rate=1"], "only --max_iterations"),
        ("file: optimiser state that does not fit", ["train", "--resume", str(tmp / "bad_moments"), "--max_iterations", "2"],
         "does not fit this policy: optimizer state of parameter"),
        ("cli: resume from nothing", ["train", "--resume", str(tmp / "missing")], "nothing to resume"),
        ("dataset: code-executing pickle file", ["train", *PML("ds_evil"), "--dataset", str(tmp / "evil_demos")], "0_20.npz: refused, it holds pickled data"),
        ("dataset: not a dataset directory", ["train", "--dataset", str(tmp / "norun"), *PML("ds_norun"), "pretrain_dataset.wait_for_data=0"], "not an st_rl dataset (no metadata.json)"),
        ("dataset: another env's layout", ["train", "--task", "tests.envs:SegmentedGoalEnv", *PM[2:], "--dataset", str(tmp / "critic_demos")],
         "holds obs 6 / actions 2, the env has 40 / 2"),
        ("policy: unknown obs component", ["train", *PM, "policy.class_name=StateAc", "policy.estimator_target_components=[speed]"],
         "unknown estimator target component(s) ['speed']"),
        ("env: wrapper names an unknown component", ["train", "--task", "HalfCheetah-v5", "--max_iterations", "1", "--set",
         "env.wrappers=[{class_name: DropActorComponents, names: [base_vel]}]"], "unknown component(s) ['base_vel']"),
        ("env: unknown wrapper", ["train", "--task", "HalfCheetah-v5", "--max_iterations", "1", "--set", "env.wrappers=[{class_name: Blur}]"],
         "unknown wrapper 'Blur'"),
        ("motion: clip for another robot", [*AMP, evil_wrap % (tmp / "three_joints.npz")], "is for 3 joints ['thigh', 'leg', 'foot']; this robot has 6"),
        ("motion: wrong frame layout", [*AMP, evil_wrap % (tmp / "short_frames.npz")], "frames hold 12 numbers"),
        ("motion: code-executing pickle", [*AMP, evil_wrap % (tmp / "evil_motion.npz")], "not a readable motion clip"),
        ("motion: missing clip", [*AMP, "env.wrappers=[{class_name: AmpReference, motion_file: no_such_clip}]"], "motion file not found: no_such_clip"),
        ("amp: env without AMP observations", [*AMP], "needs the env's AMP observations"),

        # ---- code execution: a name in a run directory or config file imports nothing without --trust_code
        ("exec: play, hubconf.py via torch.hub:load", ["play", "--run", str(tmp / "hubrun"), "--episodes", "1"], f"{REFUSE} 'torch.hub'", T),
        ("exec: export, hubconf.py", ["export", "--run", str(tmp / "hubrun"), "--out", str(tmp / "hub.onnx")], f"{REFUSE} 'torch.hub'", T),
        ("exec: train --resume, hubconf.py", ["train", "--resume", str(tmp / "hubrun_resume"), "--max_iterations", "2"], f"{REFUSE} 'torch.hub'", T),
        ("exec: play --onnx --run, hubconf.py", ["play", "--onnx", str(tmp / "real.onnx"), "--run", str(tmp / "hubrun"), "--episodes", "1"],
         f"{REFUSE} 'torch.hub'", T),
        ("exec: collect, hubconf.py", ["collect", "--run", str(tmp / "hubrun"), "--out", str(tmp / "col_hub"), "--num_envs", "1",
                                       "--min_timesteps", "16"], f"{REFUSE} 'torch.hub'", T),
        ("exec: dagger student run, hubconf.py", ["dagger", "--run", str(tmp / "hubrun"), "--teacher", str(run), "--out", str(tmp / "dag1"), *dag],
         f"{REFUSE} 'torch.hub'", {**T, "timeout": 120}),
        # (a teacher is built from its run's policy section and checkpoint alone: the env a teacher run names is never read)
        ("exec: dagger teacher run, policy class in the run dir", ["dagger", "--run", str(run), "--teacher", str(tmp / "ev_policy"),
         "--out", str(tmp / "dag2"), *dag], f"{REFUSE} 'ev_policy.evil'", {**T, "timeout": 120}),
        ("exec: TPPO teacher_run, policy class in the run dir", ["train", *PML("tppo_hub"), "algorithm.class_name=TPPO",
         f"algorithm.teacher_run={tmp / 'ev_policy'}", "algorithm.using_ppo=false"], f"{REFUSE} 'ev_policy.evil'", T),
        ("exec: --config YAML, hubconf.py", ["train", "--config", str(tmp / "evil_hub.yaml"), "--max_iterations", "1", *L("cfg_hub")],
         f"{REFUSE} 'torch.hub'", T),
        ("exec: --config JSON runner class", ["train", "--task", "PointMass", "--config", str(tmp / "evil_runner.json"), "--max_iterations", "1",
                                             *L("cfg_json")], f"{REFUSE} 'evil_mod'", T),
        ("exec: IPython:start_ipython -c", ["play", "--run", str(tmp / "ipyrun"), "--episodes", "1"], f"{REFUSE} 'IPython'", T),
        ("exec: runner_class_name <rundir>.evil:X", ["play", "--run", "ev_runner", "--episodes", "1"], f"{REFUSE} 'ev_runner.evil'", T),
        ("exec: policy.class_name <rundir>.evil:P", ["export", "--run", "ev_policy", "--out", str(tmp / "evp.onnx")], f"{REFUSE} 'ev_policy.evil'", T),
        ("exec: algorithm.class_name on resume", ["train", "--resume", "ev_alg", "--max_iterations", "2"], f"{REFUSE} 'ev_alg.evil'", T),
        ("exec: env wrapper class_name", ["play", "--run", "ev_wrap", "--episodes", "1"], f"{REFUSE} 'ev_wrap.evil'", T),
        ("exec: collect, policy class from run dir", ["collect", "--run", "ev_policy", "--out", str(tmp / "col_evp"), "--num_envs", "1",
                                                      "--min_timesteps", "16"], f"{REFUSE} 'ev_policy.evil'", T),
        ("exec: Mutex sub-policy run dir", ["train", *PML("mutex"), "policy.class_name=ActorCriticMutex", "policy.actor_hidden_dims=[8]",
                                           f"policy.sub_policy_paths=[{tmp / 'ev_policy'}, {tmp / 'ev_policy'}]"], f"{REFUSE} 'ev_policy.evil'", T),
        ("exec: installed module 'this'", ["play", "--run", str(tmp / "thisrun"), "--episodes", "1"], f"{REFUSE} 'this'", T),
        ("exec: gymnasium id evil_mod:Env-v0", ["play", "--run", str(tmp / "gymrun"), "--episodes", "1"], f"{REFUSE} 'evil_mod'", T),
        ("exec: gymnasium id gymnasium_evil:Env-v0", ["play", "--run", str(tmp / "gymrun2"), "--episodes", "1"], f"{REFUSE} 'gymnasium_evil'", T),
        ("exec: pickle as a run's newest checkpoint", ["train", "--resume", str(tmp / "pickle_resume"), "--max_iterations", "2"], "checkpoint",
         {"absent": "weights_only"}),
        ("exec: ONNX file that is a pickle", ["play", "--onnx", str(tmp / "fake.onnx"), "--task", "PointMass", "--episodes", "1"], "fake.onnx"),

        # ---- data loss
        ("loss: a second trainer on a run in use", ["train", "--resume", str(tmp / "lockrun"), "--max_iterations", "2"], "in use",
         {"setup": lambda: _hold_lock(tmp, tmp / "lockrun"), "timeout": 120}),
        ("loss: --log_dir of an existing run without --resume", ["train", *PM[:4], "--log_dir", str(tmp / "reuse"), *PM[4:]], "--resume"),
        ("loss: two --set flags (the first one counts too)", ["train", *PM[:4], *L("twoset"), "--set", "algorithm.clip_parm=0.1",
                                                              "--set", "num_steps_per_env=8", "logger=none"], "clip_parm"),
        ("loss: YAML 1e-3 in a config file is a float", ["train", *PML("yaml1e3"), "--config", str(tmp / "lr_1e-3.yaml")], "clip_parm"),
        ("loss: observation of 1e30", ["train", "--task", "badenvs:HugeObsEnv", "--max_iterations", "2", *L("hugeobs"), "--set",
                                       "num_steps_per_env=16", "logger=none"], "observation", T),
        ("loss: reward of 1e30", ["train", "--task", "badenvs:HugeRewardEnv", "--max_iterations", "2", *L("hugerew"), "--set",
                                  "num_steps_per_env=16", "logger=none"], "reward", T),
        ("loss: NaN in a critic-only observation", ["train", "--task", "badenvs:NanCriticEnv", "--max_iterations", "2", *L("nancritic"), "--set",
                                                   "num_steps_per_env=16", "logger=none"], "critic", T),
        ("loss: metrics.jsonl is a symlink", ["train", "--resume", str(tmp / "symrun"), "--max_iterations", "2"], "metrics.jsonl"),
        ("loss: --dataset on a missing path", ["train", *PML("ds_missing"), "--dataset", str(tmp / "no_such_dataset")], "no_such_dataset",
         {"timeout": 60}),
        ("loss: npz declaring a huge shape", ["train", *PML("ds_huge"), "--dataset", str(tmp / "huge_demos")], "0_20.npz", {"max_vm_mb": 2500}),
        ("loss: checkpoint declaring 1 GB (zip bomb)", ["play", "--run", str(run), "--checkpoint", str(tmp / "bomb.pt"), "--episodes", "1"],
         "bomb.pt", {"max_vm_mb": 1500}),

        # ---- tracebacks where one line was promised
        ("os: disk full while saving a checkpoint", ["train", *PM[:4], "--log_dir", str(tmp / "mnt" / "full" / "run"), *PM[4:]], "space",
         {"setup": lambda: _mount(tmp / "mnt" / "full", "256k")}),
        ("os: disk full from the start", ["train", *PM[:4], "--log_dir", str(tmp / "mnt" / "filled" / "run"), *PM[4:]], "space",
         {"setup": lambda: _mount(tmp / "mnt" / "filled", "64k", fill=True)}),
        ("os: disk full on resume (metrics, lock)", ["train", "--resume", str(tmp / "mnt" / "fullres" / "run"), "--max_iterations", "2"], "space",
         {"setup": lambda: _mount(tmp / "mnt" / "fullres", "4m", fill=True, copy=run)}),
        ("os: read-only log dir", ["train", *PM[:4], "--log_dir", str(tmp / "mnt" / "ro" / "run"), *PM[4:]], "Read-only",
         {"setup": lambda: _mount(tmp / "mnt" / "ro", "64k", ro=True)}),
        ("os: --log_dir is a file", ["train", *PM[:4], "--log_dir", str(tmp / "afile"), *PM[4:]], "afile"),
        ("cli: --device cuda without CUDA", ["train", *PML("cuda"), "--device", "cuda"], "cuda", {"setup": _no_cuda}),
        ("cli: --device foo", ["train", *PML("foo"), "--device", "foo"], "foo"),
        ("cli: --device foo (play)", ["play", "--run", str(run), "--device", "foo"], "foo"),
        ("cli: --seed -1", ["train", *PML("seedneg"), "--seed", "-1"], "seed"),
        ("cli: huge --seed", ["train", *PML("seedhuge"), "--seed", "99999999999999999999999"], "seed"),
        ("cli: --seed -1 (play)", ["play", "--run", str(run), "--seed", "-1"], "seed"),
        ("cli: --max_iterations not a number", ["train", "--task", "PointMass", "--max_iterations", "many"], "max_iterations"),
        ("cli: --num_envs 1000000", ["train", "--task", "HalfCheetah-v5", "--num_envs", "1000000", "--max_iterations", "1", *L("million")],
         "num_envs", {"timeout": 120}),
        ("config: actor_hidden_dims=[-5]", ["train", *PML("hidneg"), "policy.actor_hidden_dims=[-5]"], "actor_hidden_dims"),
        ("env: unknown env.kwargs for PointMass", ["train", *PML("kwpm"), "env.kwargs.foo=1"], "foo"),
        ("env: env.critic_only a string, not a list", ["train", *PML("critonly"), "env.critic_only=contact_forces"],
         "'env.critic_only' must be list"),
        ("env: env.critic_only holds a number", ["train", *PML("critnum"), "env.critic_only=[1]"],
         "env.critic_only must be a list of component names"),
        ("env: env.critic_only misspelt", ["train", "--task", "Ant-v5", "--max_iterations", "1", *L("critmis"), "--set",
                                           "logger=none", "env.critic_only=[contact_force]"], "critic_only names ['contact_force']"),
        ("env: unknown env.kwargs for gymnasium", ["train", "--task", "HalfCheetah-v5", "--max_iterations", "1", *L("kwhc"), "--set",
                                                   "logger=none", "env.kwargs.foo=1"], "foo"),
        ("env: env.kwargs.wrappers", ["train", "--task", "HalfCheetah-v5", "--max_iterations", "1", *L("kwwrap"), "--set", "logger=none",
                                      "env.kwargs.wrappers=[{class_name: Blur}]"], "wrappers"),
        ("file: model_state_dict is a list", ["play", "--run", str(run), "--checkpoint", str(tmp / "msd_list" / "model_1.pt")], "model_state_dict"),
        ("file: iter is a string", ["train", "--resume", str(tmp / "iter_str" / "model_1.pt"), "--max_iterations", "2"], "iter"),
        ("file: malformed rng_state", ["train", "--resume", str(tmp / "rng_bad" / "model_1.pt"), "--max_iterations", "2"], "RNG"),
        ("file: malformed runner_state", ["train", "--resume", str(tmp / "runner_bad" / "model_1.pt"), "--max_iterations", "2"], "runner_state"),
        ("file: malformed env_state", ["train", "--resume", str(tmp / "env_bad" / "model_1.pt"), "--max_iterations", "2"], "env state"),
        ("file: learning_rate is a string", ["train", "--resume", str(tmp / "lr_bad" / "model_1.pt"), "--max_iterations", "2"], "learning_rate"),
        ("file: malformed obs_norm_state_dict", ["play", "--run", str(run), "--checkpoint", str(tmp / "obsnorm_bad" / "model_1.pt")], "does not fit this policy"),
        ("file: checkpoint is a directory", ["play", "--run", str(run), "--checkpoint", str(tmp / "norun")], "norun"),
        ("dataset: metadata without obs_segments", ["train", *PML("ds_nosegs"), "--dataset", str(tmp / "nosegs_demos")], "obs_segments"),
        ("motion: fps as text", [*AMP[:5], *L("fps"), *AMP[5:], evil_wrap % (tmp / "fps_text.npz")], "fps"),
        ("config: --config is a directory", ["train", "--task", "PointMass", "--config", str(tmp / "norun")], "norun"),

        # ---- nonsense that was silently accepted
        ("nonsense: actor_hidden_dims=[0]", ["train", *PML("hid0"), "policy.actor_hidden_dims=[0]"], "actor_hidden_dims"),
        ("nonsense: critic_hidden_dims=[0]", ["train", *PML("chid0"), "policy.critic_hidden_dims=[0]"], "critic_hidden_dims"),
        ("nonsense: desired_kl=-1", ["train", *PML("kl"), "algorithm.desired_kl=-1"], "desired_kl"),
        ("nonsense: --total_steps 0", ["train", "--task", "PointMass", "--total_steps", "0", *L("ts0"), "--set", "logger=none"], "total_steps"),
        ("nonsense: --total_steps -100", ["train", "--task", "PointMass", "--total_steps", "-100", *L("tsneg"), "--set", "logger=none"], "total_steps"),
        ("nonsense: --max_iterations -5", ["train", "--task", "PointMass", "--max_iterations", "-5", *L("itneg"), "--set", "logger=none"], "max_iterations"),
        ("nonsense: --num_envs -3", ["train", "--task", "PointMass", "--num_envs", "-3", "--max_iterations", "1", *L("envneg")], "num_envs"),
        ("nonsense: env.num_workers=-5", ["train", *PML("workers"), "env.num_workers=-5"], "num_workers"),
        ("nonsense: save_interval=-1", ["train", *PML("saveint"), "save_interval=-1"], "save_interval"),
        ("nonsense: num_steps_per_env=0", ["train", "--task", "PointMass", "--max_iterations", "1", *L("nsteps0"), "--set", "num_steps_per_env=0",
                                           "logger=none"], "num_steps_per_env"),
        ("nonsense: learning_rate=-1", ["train", *PML("lrneg"), "algorithm.learning_rate=-1"], "learning_rate"),
        ("nonsense: gamma=1.5", ["train", *PML("gamma"), "algorithm.gamma=1.5"], "gamma"),
        ("nonsense: num_mini_batches=0", ["train", *PML("mb0"), "algorithm.num_mini_batches=0"], "num_mini_batches"),
        ("nonsense: clip_param=-0.2", ["train", *PML("clipneg"), "algorithm.clip_param=-0.2"], "clip_param"),
        ("nonsense: play --episodes 0", ["play", "--run", str(run), "--episodes", "0"], "episodes"),
        ("nonsense: collect --min_timesteps -1", ["collect", "--run", str(run), "--out", str(tmp / "col_neg"), "--min_timesteps", "-1"], "min_timesteps"),
        ("nonsense: dagger --minutes -1", ["dagger", "--run", str(run), "--teacher", str(run), "--out", str(tmp / "dag_neg"), "--minutes", "-1"], "minutes"),
        ("nonsense: experiment_name escaping logs/", ["train", *PM, "experiment_name=../../escaped"], "experiment_name", {"cwd": tmp / "esc" / "deep"}),
        ("nonsense: run_name escaping logs/", ["train", *PM, "run_name=../../../escaped2"], "run_name", {"cwd": tmp / "esc" / "deep"}),
        ("nonsense: NaN weights in a checkpoint", ["play", "--run", str(run), "--checkpoint", str(tmp / "nan_weights" / "model_1.pt"), "--episodes", "1"],
         "NaN"),
    ]


def _limit_vm(mb):
    import resource
    def limit(): resource.setrlimit(resource.RLIMIT_AS, (mb << 20, mb << 20))
    return limit


def run_case(args, cwd=ROOT, timeout=300, max_vm_mb=None):
    "Run `python -m st_rl *args`; returns (exit status or None on a timeout, stderr lines that count, whole stderr)."
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    try:
        r = subprocess.run([sys.executable, "-m", "st_rl", *args], cwd=cwd, capture_output=True, text=True, timeout=timeout, env=env,
                           preexec_fn=_limit_vm(max_vm_mb) if max_vm_mb else None)
    except subprocess.TimeoutExpired as e:
        err = e.stderr.decode(errors="replace") if isinstance(e.stderr, bytes) else (e.stderr or "")
        return None, [f"(no answer within {timeout} s)"], err
    lines = [l for l in r.stderr.strip().splitlines() if l.strip() and "settotalmass" not in l and not l.startswith("st_rl: warning:")]
    return r.returncode, lines, r.stderr


def run_one(case):
    "Stage and run one case; returns (exit status, counted stderr lines, whole stderr); raises Skip."
    name, args, expect, opts = (*case, {})[:4]
    teardown = opts["setup"]() if "setup" in opts else None
    try:
        return run_case(args, cwd=opts.get("cwd", ROOT), timeout=opts.get("timeout", 300), max_vm_mb=opts.get("max_vm_mb"))
    finally:
        if teardown: teardown()


def judge(case, rc, lines, stderr) -> bool:
    expect, opts = case[2], (*case, {})[3]
    return (rc == 2 and len(lines) == 1 and lines[0].startswith("st_rl: error: ") and expect in lines[0]
            and "Traceback" not in stderr and not (opts.get("absent") and opts["absent"] in stderr))


def cleanup(tmp: Path) -> None:
    "Unmount whatever a case left mounted under tmp."
    for m in sorted((tmp / "mnt").glob("*"), reverse=True):
        if os.path.ismount(m): subprocess.run(["umount", "-l", str(m)], capture_output=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-j", "--jobs", type=int, default=2, help="cases run at a time (cases with a setup run alone)")
    ap.add_argument("-k", help="only cases whose name contains this")
    a = ap.parse_args()
    ok = True
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        try:
            run = make_fixtures(tmp)
            table = [c for c in cases(tmp, run) if not a.k or a.k in c[0]]
            results = {}
            def go(i):
                t0 = time.time()
                try: results[i] = run_one(table[i])
                except Skip as e: results[i] = ("skip", [str(e)], "")
                except Exception as e: results[i] = ("setup failed", [f"{type(e).__name__}: {e}"], "")
                print(f"{time.time() - t0:6.1f} s  {table[i][0]}", file=sys.stderr, flush=True)
            plain = [i for i, c in enumerate(table) if "setup" not in (*c, {})[3]]
            with ThreadPoolExecutor(max(1, a.jobs)) as pool: list(pool.map(go, plain))
            for i in range(len(table)):
                if i not in results: go(i)
            print("| # | bad input | exit | message |\n|---|---|---|---|")
            for i, case in enumerate(table):
                rc, lines, stderr = results[i]
                good = rc == "skip" or judge(case, rc, lines, stderr)
                ok &= good
                msg = (" / ".join(lines[:3]) if lines else "(nothing)").replace("|", "\\|").replace("\n", " ")
                if rc != "skip" and "Traceback" in stderr and not good: msg = "Traceback ... " + msg
                print(f"| {i + 1} | {case[0]} | {rc} | {msg[:300]}{'' if good else '  **UNEXPECTED**'} |", flush=True)
            if (tmp / "pwned").exists():
                print(f"a malicious file executed code! ({(tmp / 'pwned').read_text().strip()!r})"); ok = False
        finally:
            cleanup(tmp)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
