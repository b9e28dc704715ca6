"""A run directory or a config file is data, never code: every name a file holds resolves only against registered
names; a "package.module:attr" name imports its module only with consent given outside the file (--trust_code,
`trusted_code()`, `load_run(..., trust_code=True)`, or --task typed on the command line).

Each attack below is a crafted input whose payload would create a marker file if any of it ran. The command line
(in a subprocess whose cwd is the run directory or its parent, so that cwd-on-sys.path attacks are real) must leave
no marker, exit 2 and say one line `st_rl: error: ...`."""
import json
import os
import pickle
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parents[1]
SMALL = ["--set", "num_steps_per_env=8", "logger=none"]
ZEN = "Beautiful is better than ugly"


def st_rl(*args, cwd, timeout=300):
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "MUJOCO_GL": os.environ.get("MUJOCO_GL", "egl")}
    return subprocess.run([sys.executable, "-m", "st_rl", *map(str, args)], cwd=cwd, capture_output=True, text=True,
                          timeout=timeout, env=env)


def python(code: str, cwd, timeout=300):
    "Run `code` with `python -c` (cwd first on sys.path, as for `python -m st_rl`)."
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=cwd, capture_output=True, text=True, timeout=timeout)


def error_lines(r):
    return [l for l in r.stderr.strip().splitlines()
            if l.strip() and "settotalmass" not in l and not l.startswith("st_rl: warning:")]


def refused(r, marker: Path, expect: str = "") -> str:
    "The run exited 2 with one `st_rl: error:` line (containing `expect`) and ran nothing."
    assert not marker.exists(), f"the payload ran: {marker.read_text()!r}\n{r.stderr[-2000:]}"
    lines = error_lines(r)
    assert r.returncode == 2, (r.returncode, r.stdout[-1500:], r.stderr[-3000:])
    assert len(lines) == 1 and lines[0].startswith("st_rl: error: "), r.stderr[-3000:]
    assert "Traceback" not in r.stderr
    assert expect in lines[0], lines[0]
    return lines[0]


def untrusted(r, marker, module: str) -> str:
    return refused(r, marker, f"refusing to import module '{module}'")


def payload(marker: Path, tag: str) -> str:
    "Python source that creates the marker file."
    return f"open({str(marker)!r}, 'w').write({tag!r})\n"


class Pickled:
    "Unpickling this runs a shell command that creates the marker file."
    def __init__(self, marker): self.marker = str(marker)
    def __reduce__(self): return (os.system, (f"touch {self.marker}",))


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    "A real tiny PointMass run (config.json, model_1.pt)."
    run = tmp_path_factory.mktemp("security") / "base"
    r = st_rl("train", "--task", "PointMass", "--max_iterations", "1", "--log_dir", run, *SMALL, cwd=ROOT)
    assert r.returncode == 0, r.stderr
    return run


@pytest.fixture()
def marker(tmp_path):
    return tmp_path / "PWNED"


def crafted(base: Path, tmp_path: Path, name: str = "victim", **edits) -> Path:
    """A copy of the base run in tmp_path/name whose config.json has `edits` (dotted keys) applied."""
    run = tmp_path / name
    shutil.copytree(base, run)
    cfg = json.loads((run / "config.json").read_text())
    for key, value in edits.items():
        node, parts = cfg, key.split("__")
        for p in parts[:-1]: node = node.setdefault(p, {})
        node[parts[-1]] = value
    (run / "config.json").write_text(json.dumps(cfg, indent=2))
    return run


def hub_run(base, tmp_path, marker, name="victim") -> Path:
    """config.json names torch.hub.load as its env factory, pointed at a hubconf.py in the run dir: loading the run
    would import that file and call its entry point."""
    run = crafted(base, tmp_path, name, env__task="torch.hub:load",
                  env__kwargs={"repo_or_dir": str(tmp_path / name), "model": "make", "source": "local", "trust_repo": True})
    (run / "hubconf.py").write_text("dependencies = []\n" + payload(marker, "hubconf import") + textwrap.dedent("""
        def make(num_envs=1, seed=0, device="cpu", **kw):
            from st_rl.env.vec_env import PointMassEnv
            return PointMassEnv(num_envs=num_envs, device=device)
        """))
    return run


def evil_module(where: Path, marker: Path, name: str = "evil") -> Path:
    "A module whose import creates the marker; X is a class that would pass for anything."
    (where / f"{name}.py").write_text(payload(marker, f"{name}.py import") + textwrap.dedent("""
        from st_rl.runners.on_policy_runner import OnPolicyRunner
        from st_rl.modules.actor_critic import ActorCritic
        class X(OnPolicyRunner): pass
        class P(ActorCritic): pass
        """))
    return where / f"{name}.py"


# ---------------------------------------------------------------- torch.hub:load + hubconf.py, on every command

def test_play_hubconf(base, tmp_path, marker):
    run = hub_run(base, tmp_path, marker)
    untrusted(st_rl("play", "--run", run, "--episodes", "1", cwd=tmp_path), marker, "torch.hub")


def test_export_hubconf(base, tmp_path, marker):
    run = hub_run(base, tmp_path, marker)
    untrusted(st_rl("export", "--run", run, "--out", tmp_path / "p.onnx", cwd=run), marker, "torch.hub")
    assert not (tmp_path / "p.onnx").exists()


def test_train_resume_hubconf(base, tmp_path, marker):
    run = hub_run(base, tmp_path, marker)
    untrusted(st_rl("train", "--resume", run, "--max_iterations", "2", cwd=tmp_path), marker, "torch.hub")
    assert not (run / "model_2.pt").exists()


def test_play_onnx_with_run_hubconf(base, tmp_path, marker):
    r = st_rl("export", "--run", base, "--out", tmp_path / "base.onnx", cwd=ROOT)
    assert r.returncode == 0, r.stderr
    run = hub_run(base, tmp_path, marker)
    untrusted(st_rl("play", "--onnx", tmp_path / "base.onnx", "--run", run, "--episodes", "1", cwd=tmp_path), marker, "torch.hub")


def test_collect_hubconf(base, tmp_path, marker):
    run = hub_run(base, tmp_path, marker)
    untrusted(st_rl("collect", "--run", run, "--out", tmp_path / "demos", "--num_envs", "1", "--min_timesteps", "16", cwd=tmp_path),
              marker, "torch.hub")


def test_dagger_student_hubconf(base, tmp_path, marker):
    run = hub_run(base, tmp_path, marker)
    untrusted(st_rl("dagger", "--run", run, "--teacher", base, "--out", tmp_path / "d", "--num_envs", "1", "--minutes", "0.05",
                    "--max_frames", "16", cwd=tmp_path, timeout=120), marker, "torch.hub")


def test_dagger_teacher_hubconf(base, tmp_path, marker):
    """A teacher is loaded from its config.json's policy section and its checkpoint alone: the env its run names
    (here torch.hub:load over a hubconf.py) is never read, so the payload cannot run; a policy class that names a
    module is refused."""
    run = hub_run(base, tmp_path, marker)
    r = st_rl("dagger", "--run", base, "--teacher", run, "--out", tmp_path / "d", "--num_envs", "1", "--minutes", "0.05",
              "--max_frames", "16", cwd=tmp_path, timeout=120)
    assert r.returncode == 0 and not marker.exists(), r.stderr[-1500:]
    evil_module(tmp_path, marker, "evil_teacher")
    run = crafted(base, tmp_path, "victim2", policy__class_name="evil_teacher:X")
    untrusted(st_rl("dagger", "--run", base, "--teacher", run, "--out", tmp_path / "d2", "--num_envs", "1", "--minutes", "0.05",
                    "--max_frames", "16", cwd=tmp_path, timeout=120), marker, "evil_teacher")


def test_tppo_teacher_run_hubconf(base, tmp_path, marker):
    teacher = hub_run(base, tmp_path, marker, "teacher")
    r = st_rl("train", "--task", "PointMass", "--max_iterations", "1", "--log_dir", tmp_path / "student", *SMALL,
              "algorithm.class_name=TPPO", f"algorithm.teacher_run={teacher}", "algorithm.using_ppo=false", cwd=tmp_path)
    assert r.returncode == 0 and not marker.exists(), r.stderr[-1500:]       # the teacher's env is never built
    evil_module(tmp_path, marker, "evil_teacher")
    teacher = crafted(base, tmp_path, "teacher2", policy__class_name="evil_teacher:X")
    untrusted(st_rl("train", "--task", "PointMass", "--max_iterations", "1", "--log_dir", tmp_path / "student2", *SMALL,
                    "algorithm.class_name=TPPO", f"algorithm.teacher_run={teacher}", "algorithm.using_ppo=false", cwd=tmp_path),
              marker, "evil_teacher")


def test_config_yaml_hubconf(base, tmp_path, marker):
    hub_run(base, tmp_path, marker)
    (tmp_path / "cfg.yaml").write_text(textwrap.dedent(f"""\
        num_steps_per_env: 8
        logger: none
        env:
          task: "torch.hub:load"
          kwargs: {{repo_or_dir: "{tmp_path / 'victim'}", model: make, source: local, trust_repo: true}}
        """))
    untrusted(st_rl("train", "--config", tmp_path / "cfg.yaml", "--max_iterations", "1", "--log_dir", tmp_path / "r", cwd=tmp_path),
              marker, "torch.hub")


# ---------------------------------------------------------------- other callables a file can name

def test_ipython_start_ipython(base, tmp_path, marker):
    run = crafted(base, tmp_path, env__task="IPython:start_ipython",
                  env__kwargs={"argv": ["--quick", "--no-banner", "-c", payload(marker, "ipython")]})
    untrusted(st_rl("play", "--run", run, "--episodes", "1", cwd=tmp_path), marker, "IPython")


def test_runner_class_from_run_dir(base, tmp_path, marker):
    """runner_class_name "victim.evil:X": evil.py inside the run dir, imported as a namespace package from the cwd."""
    run = crafted(base, tmp_path, runner_class_name="victim.evil:X")
    evil_module(run, marker)
    untrusted(st_rl("play", "--run", "victim", "--episodes", "1", cwd=tmp_path), marker, "victim.evil")


def test_policy_class_from_run_dir_as_cwd(base, tmp_path, marker):
    run = crafted(base, tmp_path, policy__class_name="evil:P")
    evil_module(run, marker)
    untrusted(st_rl("play", "--run", ".", "--episodes", "1", cwd=run), marker, "evil")


def test_algorithm_class_from_run_dir_on_resume(base, tmp_path, marker):
    run = crafted(base, tmp_path, algorithm__class_name="victim.evil:X")
    evil_module(run, marker)
    untrusted(st_rl("train", "--resume", "victim", "--max_iterations", "2", cwd=tmp_path), marker, "victim.evil")
    assert not (run / "model_2.pt").exists()


def test_wrapper_class_from_run_dir(base, tmp_path, marker):
    run = crafted(base, tmp_path, env__task="HalfCheetah-v5", env__wrappers=[{"class_name": "victim.evil:X"}])
    evil_module(run, marker)
    untrusted(st_rl("play", "--run", "victim", "--episodes", "1", cwd=tmp_path), marker, "victim.evil")


def test_config_json_runner_class(base, tmp_path, marker):
    evil_module(tmp_path, marker)
    (tmp_path / "cfg.json").write_text(json.dumps({"runner_class_name": "evil:X", "num_steps_per_env": 8, "logger": "none"}))
    untrusted(st_rl("train", "--task", "PointMass", "--config", tmp_path / "cfg.json", "--max_iterations", "1",
                    "--log_dir", tmp_path / "r", cwd=tmp_path), marker, "evil")


def test_mutex_sub_policy_class_from_run_dir(base, tmp_path, marker):
    """A Mutex policy loads its sub-policies' run dirs: one whose policy.class_name names a module beside it."""
    sub = crafted(base, tmp_path, "sub", policy__class_name="sub.evil:P")
    evil_module(sub, marker)
    untrusted(st_rl("train", "--task", "PointMass", "--max_iterations", "1", "--log_dir", tmp_path / "r", *SMALL,
                    "policy.class_name=ActorCriticMutex", "policy.actor_hidden_dims=[8]", f"policy.sub_policy_paths=[{sub}, {sub}]",
                    cwd=tmp_path), marker, "sub.evil")


def test_installed_module_is_not_imported_before_refusal(base, tmp_path):
    """"this:X" names an installed module whose import prints the Zen of Python: it is refused before any import."""
    run = crafted(base, tmp_path, runner_class_name="this:X")
    r = st_rl("play", "--run", run, "--episodes", "1", cwd=tmp_path)
    assert ZEN not in r.stdout and ZEN not in r.stderr
    untrusted(r, tmp_path / "no-marker", "this")
    r = python(f"""
        import sys
        from st_rl.runners.runs import load_run
        from st_rl.utils.core import UntrustedCodeError
        try: load_run({str(run)!r})
        except UntrustedCodeError as e: print("refused:", e)
        print("imported" if "this" in sys.modules else "not imported")
        """, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert ZEN not in r.stdout and r.stdout.strip().splitlines()[-1] == "not imported", r.stdout
    assert "refusing to import module 'this'" in r.stdout


def test_gymnasium_module_id(base, tmp_path, marker):
    """gymnasium ids "module:Env-v0" import the module (to register the env) before making it."""
    evil_module(tmp_path, marker, "evil_mod")
    run = crafted(base, tmp_path, env__task="evil_mod:Env-v0")
    untrusted(st_rl("play", "--run", run, "--episodes", "1", cwd=tmp_path), marker, "evil_mod")


def test_gymnasium_prefixed_module_id(base, tmp_path, marker):
    evil_module(tmp_path, marker, "gymnasium_evil")
    run = crafted(base, tmp_path, env__task="gymnasium_evil:Env-v0")
    untrusted(st_rl("play", "--run", run, "--episodes", "1", cwd=tmp_path), marker, "gymnasium_evil")


def test_load_run_from_python_without_consent(base, tmp_path, marker):
    run = crafted(base, tmp_path, policy__class_name="victim.evil:P")
    evil_module(run, marker)
    r = python("""
        import sys
        from st_rl.runners.runs import load_run
        from st_rl.utils.core import UntrustedCodeError
        try: load_run("victim")
        except UntrustedCodeError as e:
            print(f"st_rl: error: {e}", file=sys.stderr); sys.exit(2)
        """, cwd=tmp_path)
    untrusted(r, marker, "victim.evil")
    assert "victim.evil" not in r.stdout


def test_load_run_hubconf_from_python(base, tmp_path, marker):
    hub_run(base, tmp_path, marker)
    r = python("""
        import sys
        from st_rl.runners.runs import load_run
        from st_rl.utils.core import StRlError
        try: load_run("victim")
        except StRlError as e:
            print(f"st_rl: error: {e}", file=sys.stderr); sys.exit(2)
        """, cwd=tmp_path)
    untrusted(r, marker, "torch.hub")


# ---------------------------------------------------------------- files that would run code when unpickled, fake ONNX

def test_pickle_checkpoint_given(base, tmp_path, marker):
    torch.save({"model_state_dict": Pickled(marker)}, tmp_path / "model_1.pt")
    refused(st_rl("play", "--run", base, "--checkpoint", tmp_path / "model_1.pt", "--episodes", "1", cwd=tmp_path), marker)


def test_pickle_checkpoint_in_run_on_resume(base, tmp_path, marker):
    run = crafted(base, tmp_path)
    torch.save({"model_state_dict": Pickled(marker), "iter": 5}, run / "model_5.pt")
    (run / "model_1.pt").unlink()
    refused(st_rl("train", "--resume", run, "--max_iterations", "6", cwd=tmp_path), marker)


def test_pickle_npz_in_dataset(base, tmp_path, marker):
    from st_rl.env.vec_env import PointMassEnv
    from st_rl.storage.rollout_files import DemonstrationSaver
    expert = lambda obs, critic: (obs[:, 4:6] - obs[:, 0:2]).clamp(-1, 1)
    DemonstrationSaver(PointMassEnv(num_envs=1, max_episode_length=20), expert, tmp_path / "demos", min_timesteps=20).collect()
    (tmp_path / "demos" / "trajectory_0" / "0_20.npz").write_bytes(pickle.dumps(Pickled(marker)))
    refused(st_rl("train", "--task", "PointMass", "--max_iterations", "1", "--log_dir", tmp_path / "r", *SMALL,
                  "--dataset", tmp_path / "demos", cwd=tmp_path), marker, "0_20.npz")


def test_pickle_motion_clip(tmp_path, marker):
    (tmp_path / "clip.npz").write_bytes(pickle.dumps(Pickled(marker)))
    refused(st_rl("train", "--task", "HalfCheetah-v5", "--max_iterations", "1", "--log_dir", tmp_path / "r", "--set", "logger=none",
                  "runner_class_name=AmpPolicyRunner", f"env.wrappers=[{{class_name: AmpReference, motion_file: {tmp_path / 'clip.npz'}}}]",
                  cwd=tmp_path), marker, "clip.npz")


def test_onnx_that_is_not_onnx(tmp_path, marker):
    (tmp_path / "policy.onnx").write_bytes(pickle.dumps(Pickled(marker)))
    refused(st_rl("play", "--onnx", tmp_path / "policy.onnx", "--task", "PointMass", "--episodes", "1", cwd=tmp_path), marker,
            "policy.onnx")


def test_checkpoint_refusal_never_suggests_weights_only_false(base, tmp_path, marker):
    torch.save({"model_state_dict": Pickled(marker)}, tmp_path / "model_1.pt")
    r = st_rl("play", "--run", base, "--checkpoint", tmp_path / "model_1.pt", "--episodes", "1", cwd=tmp_path)
    line = refused(r, marker)
    assert "weights_only" not in r.stderr and "weights_only" not in line


# ---------------------------------------------------------------- consent given outside the file

def user_env_module(where: Path, name: str = "userenv") -> None:
    (where / f"{name}.py").write_text(textwrap.dedent("""
        from st_rl.env.vec_env import PointMassEnv
        def make(num_envs=8, seed=0, device="cpu", max_episode_length=20):
            return PointMassEnv(num_envs=num_envs, max_episode_length=max_episode_length, device=device)
        """))


def test_user_factory_runs_with_trust_code(tmp_path):
    """--task typed on the command line is consent for that module; a run naming it plays only with --trust_code, and
    the command line says which module it imports."""
    user_env_module(tmp_path)
    run = tmp_path / "mine"
    r = st_rl("train", "--task", "userenv:make", "--max_iterations", "1", "--log_dir", run, *SMALL, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "importing module 'userenv'" in r.stderr
    assert json.loads((run / "config.json").read_text())["env"]["task"] == "userenv:make"
    untrusted(st_rl("play", "--run", run, "--episodes", "1", cwd=tmp_path), tmp_path / "no-marker", "userenv")
    r = st_rl("play", "--run", run, "--episodes", "1", "--trust_code", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "importing module 'userenv'" in r.stderr
    assert json.loads(r.stdout.strip().splitlines()[-1])["episodes"] == 1
    r = st_rl("export", "--run", run, "--trust_code", "--out", tmp_path / "p.onnx", cwd=tmp_path)
    assert r.returncode == 0 and (tmp_path / "p.onnx").is_file(), r.stderr
    r = python(f"""
        from st_rl.runners.runs import load_run
        runner, env, ckpt = load_run({str(run)!r}, trust_code=True)
        print(type(env).__name__, ckpt.name)
        """, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["PointMassEnv", "model_1.pt"]


def test_registered_names_resolve_without_consent(tmp_path):
    """Classes and env factories registered from Python resolve by their plain names, in configs and run dirs alike."""
    r = python("""
        import json, sys
        from st_rl.utils.core import register
        from st_rl.env.vec_env import PointMassEnv
        from st_rl.modules.actor_critic import ActorCritic
        from st_rl.cli import main
        from st_rl.runners.runs import load_run

        def my_point_mass(num_envs=8, seed=0, device="cpu"):
            return PointMassEnv(num_envs=num_envs, max_episode_length=20, device=device)
        register(my_point_mass, name="MyPointMass")

        @register
        class MyActorCritic(ActorCritic):
            pass

        rc = main(["train", "--task", "MyPointMass", "--max_iterations", "1", "--log_dir", "mine", "--set", "num_steps_per_env=8",
                   "logger=none", "policy.class_name=MyActorCritic"])
        assert rc == 0, rc
        cfg = json.load(open("mine/config.json"))
        assert cfg["env"]["task"] == "MyPointMass" and cfg["policy"]["class_name"] == "MyActorCritic", cfg
        runner, env, ckpt = load_run("mine")
        print("OK", type(runner.alg.actor_critic).__name__, type(env).__name__)
        """, cwd=tmp_path)
    assert r.returncode == 0, r.stderr[-3000:]
    assert r.stdout.strip().splitlines()[-1] == "OK MyActorCritic PointMassEnv", r.stdout
    assert "trusting code" not in r.stderr
