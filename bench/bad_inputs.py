"""Feed st_rl's command line many kinds of bad input and print, for each, the one line it answers with.

    python bench/bad_inputs.py            # prints a markdown table; exit 1 if any case misbehaves

Each case must end with exit status 2 and exactly one stderr line `st_rl: error: ...` containing the expected
words (no traceback). tests/test_bad_inputs.py runs the same cases."""
import os
import pickle
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
PM = ["--task", "PointMass", "--max_iterations", "1", "--set", "num_steps_per_env=8", "logger=none"]
AMP = ["train", "--task", "HalfCheetah-v5", "--max_iterations", "1", "--set", "runner_class_name=AmpPolicyRunner", "logger=none"]


def make_fixtures(tmp: Path) -> Path:
    "A tiny trained run plus broken files next to it; returns the run directory."
    run = tmp / "run"
    r = subprocess.run([sys.executable, "-m", "st_rl", "train", "--task", "PointMass", "--max_iterations", "1", "--log_dir", str(run),
                        "--set", "num_steps_per_env=8", "logger=none"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    ckpt = run / "model_1.pt"
    (tmp / "truncated.pt").write_bytes(ckpt.read_bytes()[:500])
    torch.save({"weights": torch.zeros(3)}, tmp / "foreign.pt")

    class Evil:
        def __reduce__(self): return (os.system, (f"touch {tmp / 'pwned'}",))
    torch.save({"model_state_dict": Evil()}, tmp / "evil.pt")
    (tmp / "bad.yaml").write_text("policy: [unclosed\n")
    (tmp / "list.yaml").write_text("- 1\n- 2\n")
    (tmp / "norun").mkdir()
    other = tmp / "other"
    subprocess.run([sys.executable, "-m", "st_rl", "train", "--task", "PointMass", "--max_iterations", "1", "--log_dir", str(other),
                    "--set", "num_steps_per_env=8", "logger=none", "policy.actor_hidden_dims=[8]"], cwd=ROOT, capture_output=True, timeout=300)
    # a dataset whose only trajectory file is a pickle that would run code, and a dataset of another env
    from st_rl.env.vec_env import PointMassEnv
    from st_rl.storage.rollout_files import DemonstrationSaver
    expert = lambda obs, critic: (obs[:, 4:6] - obs[:, 0:2]).clamp(-1, 1)
    DemonstrationSaver(PointMassEnv(num_envs=1, max_episode_length=20), expert, tmp / "evil_demos", min_timesteps=20).collect()
    (tmp / "evil_demos" / "trajectory_0" / "0_20.npz").write_bytes(pickle.dumps(Evil()))
    DemonstrationSaver(PointMassEnv(num_envs=1, max_episode_length=20, privileged=True), expert, tmp / "critic_demos", min_timesteps=20).collect()
    # motion clips that do not fit HalfCheetah: another robot's joints, a frame layout cut short, a pickle in disguise
    from st_rl.env.motion import load_motion, save_motion
    clip = load_motion("halfcheetah_bound")
    save_motion(tmp / "three_joints.npz", clip.frames, clip.fps, clip.feature_names, ["thigh", "leg", "foot"])
    save_motion(tmp / "short_frames.npz", clip.frames[:, :12], clip.fps, clip.feature_names[:12], clip.joint_names)
    (tmp / "evil_motion.npz").write_bytes(pickle.dumps(Evil()))
    # a run whose checkpoint's optimiser moments do not fit the policy's parameters
    shutil.copytree(run, tmp / "bad_moments")
    d = torch.load(ckpt, weights_only=True)
    st = next(v for v in d["optimizer_state_dict"]["state"].values()             # a weight matrix's first moment:
              if v["exp_avg"].dim() == 2 and v["exp_avg"].shape[0] != v["exp_avg"].shape[1])
    st["exp_avg"] = st["exp_avg"].t().contiguous()                                # transposed
    torch.save(d, tmp / "bad_moments" / "model_1.pt")
    return run


def cases(tmp: Path, run: Path):
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
        ("config: zero envs", ["train", "--task", "HalfCheetah-v5", "--num_envs", "0", "--max_iterations", "1"], "num_envs must be >= 1"),
        ("env: unknown gymnasium id", ["train", "--task", "NoSuchRobot-v9", "--max_iterations", "1"], "cannot make gymnasium env"),
        ("env: discrete actions", ["train", "--task", "CartPole-v1", "--max_iterations", "1"], "continuous (Box) action space"),
        ("env: custom env, wrong action shape", ["train", *PM[2:4], "--task", "tests.envs:WrongActionShapeEnv"], "step failed on actions of shape (8, 2)"),
        ("env: custom env, wrong obs shape", ["train", *PM[2:4], "--task", "tests.envs:WrongObsShapeEnv"], "obs has shape (8, 5), expected (8, 6)"),
        ("env: NaN in observations", ["train", "--task", "tests.envs:NanObsEnv", "--max_iterations", "2", "--set", "num_steps_per_env=16", "logger=none"], "NaN/Inf in observations"),
        ("env: Inf in rewards", ["train", "--task", "tests.envs:NanRewardEnv", "--max_iterations", "2", "--set", "num_steps_per_env=16", "logger=none"], "NaN/Inf in rewards"),
        ("file: missing checkpoint", ["play", "--run", str(run), "--checkpoint", str(run / "model_99.pt")], "checkpoint not found"),
        ("file: truncated checkpoint", ["play", "--run", str(run), "--checkpoint", str(tmp / "truncated.pt")], "corrupt or not a torch checkpoint"),
        ("file: foreign checkpoint", ["play", "--run", str(run), "--checkpoint", str(tmp / "foreign.pt")], "no 'model_state_dict'"),
        ("file: code-executing pickle", ["play", "--run", str(run), "--checkpoint", str(tmp / "evil.pt")], "corrupt or not a torch checkpoint"),
        ("file: checkpoint of another policy", ["play", "--run", str(run), "--checkpoint", str(tmp / "other" / "model_1.pt")], "does not fit this policy"),
        ("file: not a run directory", ["play", "--run", str(tmp / "norun")], "not an st_rl run directory"),
        ("cli: resume with a changed config", ["train", "--resume", str(run), "--set", "algorithm.learning_rate=1"], "only --max_iterations"),
        ("file: optimiser state that does not fit", ["train", "--resume", str(tmp / "bad_moments"), "--max_iterations", "2"],
         "does not fit this policy: optimizer state of parameter"),
        ("cli: resume from nothing", ["train", "--resume", str(tmp / "missing")], "nothing to resume"),
        ("dataset: code-executing pickle file", ["train", *PM, "--dataset", str(tmp / "evil_demos")], "0_20.npz: refused, it holds pickled data"),
        ("dataset: not a dataset directory", ["train", "--dataset", str(tmp / "norun"), *PM, "pretrain_dataset.wait_for_data=0"], "not an st_rl dataset (no metadata.json)"),
        ("dataset: another env's layout", ["train", "--task", "tests.envs:SegmentedGoalEnv", *PM[2:], "--dataset", str(tmp / "critic_demos")],
         "holds obs 6 / actions 2, the env has 40 / 2"),
        ("policy: unknown obs component", ["train", *PM, "policy.class_name=StateAc", "policy.estimator_target_components=[speed]"],
         "unknown estimator target component(s) ['speed']"),
        ("env: wrapper names an unknown component", ["train", "--task", "HalfCheetah-v5", "--max_iterations", "1", "--set",
         "env.wrappers=[{class_name: DropActorComponents, names: [base_vel]}]"], "unknown component(s) ['base_vel']"),
        ("env: unknown wrapper", ["train", "--task", "HalfCheetah-v5", "--max_iterations", "1", "--set", "env.wrappers=[{class_name: Blur}]"],
         "unknown wrapper 'Blur'"),
        ("motion: clip for another robot", [*AMP, f"env.wrappers=[{{class_name: AmpReference, motion_file: {tmp / 'three_joints.npz'}}}]"],
         "is for 3 joints ['thigh', 'leg', 'foot']; this robot has 6"),
        ("motion: wrong frame layout", [*AMP, f"env.wrappers=[{{class_name: AmpReference, motion_file: {tmp / 'short_frames.npz'}}}]"],
         "frames hold 12 numbers"),
        ("motion: code-executing pickle", [*AMP, f"env.wrappers=[{{class_name: AmpReference, motion_file: {tmp / 'evil_motion.npz'}}}]"],
         "not a readable motion clip"),
        ("motion: missing clip", [*AMP, "env.wrappers=[{class_name: AmpReference, motion_file: no_such_clip}]"], "motion file not found: no_such_clip"),
        ("amp: env without AMP observations", [*AMP], "needs the env's AMP observations"),
    ]


def run_case(args):
    r = subprocess.run([sys.executable, "-m", "st_rl", *args], cwd=ROOT, capture_output=True, text=True, timeout=300)
    lines = [l for l in r.stderr.strip().splitlines() if l.strip() and "settotalmass" not in l and not l.startswith("st_rl: warning:")]
    return r.returncode, lines


def main():
    ok = True
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d); run = make_fixtures(tmp)
        print("| # | bad input | exit | message |\n|---|---|---|---|")
        for i, (name, args, expect) in enumerate(cases(tmp, run), 1):
            rc, lines = run_case(args)
            good = rc == 2 and len(lines) == 1 and lines[0].startswith("st_rl: error: ") and expect in lines[0]
            ok &= good
            msg = (lines[0] if lines else "(nothing)").replace("|", "\\|")
            print(f"| {i} | {name} | {rc} | {msg[:220]}{'' if good else '  **UNEXPECTED**'} |")
        if (tmp / "pwned").exists(): print("a malicious file executed code!"); ok = False
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
