"""Package faces: `from st_rl.<subpackage> import <Class>` works the way rsl_rl users write it.

Each subpackage's `__init__.py` is generated from a notebook `nbs/12?_faces_<subpackage>.ipynb`; see `nbs/12_faces.ipynb`."""
import ast
import importlib
import pkgutil
from pathlib import Path

import pytest

SUBPACKAGES = ["utils", "env", "storage", "modules", "algorithms", "runners"]
PKG = Path(__file__).resolve().parents[1] / "st_rl"

RSL_RL_STYLE = {
    "algorithms": ["PPO", "TPPO", "APPO", "ATPPO", "EstimatorPPO", "EstimatorTPPO"],
    "modules": ["ActorCritic", "ActorCriticRecurrent", "EmpiricalNormalization", "EncoderActorCritic", "Conv2dHeadModel",
                "StateAc", "AMPDiscriminator", "ActorCriticMutex", "ActorCriticFieldMutex"],
    "storage": ["RolloutStorage", "QueueRolloutStorage", "AmpRolloutStorage", "ReplayBuffer", "RolloutDataset",
                "TrajectoryWriter", "DemonstrationSaver"],
    "runners": ["OnPolicyRunner", "AmpPolicyRunner", "TwoStageRunner", "BackgroundTrainer", "DaggerSaver"],
    "env": ["VecEnv", "PointMassEnv", "GymVecEnv", "make_vec_env", "IsaacLabVecEnv", "QuadrupedEnv"],
    "utils": ["register", "resolve_class", "set_seed", "load_checkpoint", "StRlError", "ConfigError", "EnvError",
              "CheckpointError", "NonFiniteError", "UntrustedCodeError"],
}


def submodules(sub):
    face = importlib.import_module(f"st_rl.{sub}")
    return [importlib.import_module(f"st_rl.{sub}.{m.name}") for m in pkgutil.iter_modules(face.__path__)]


@pytest.mark.parametrize("sub", SUBPACKAGES)
def test_every_name_in_all_is_the_defining_modules_object(sub):
    face = importlib.import_module(f"st_rl.{sub}")
    assert isinstance(face.__all__, list) and face.__all__, f"st_rl.{sub} has no __all__"
    assert len(set(face.__all__)) == len(face.__all__), "duplicate names in __all__"
    for name in face.__all__:
        ns = {}
        exec(f"from st_rl.{sub} import {name}", ns)
        obj = ns[name]
        assert obj.__module__.startswith(f"st_rl.{sub}."), (name, obj.__module__)
        assert getattr(importlib.import_module(obj.__module__), name) is obj, name
    ns = {}
    exec(f"from st_rl.{sub} import *", ns)
    assert set(face.__all__) <= set(ns)


@pytest.mark.parametrize("sub", SUBPACKAGES)
def test_face_covers_every_public_class_of_its_modules(sub):
    face = importlib.import_module(f"st_rl.{sub}")
    missing = [f"{mod.__name__}.{n}" for mod in submodules(sub) for n in getattr(mod, "__all__", [])
               if not n.startswith("_") and isinstance(getattr(mod, n), type) and n not in face.__all__]
    assert missing == [], f"add these to the st_rl.{sub} face notebook (nbs/12?_faces_{sub}.ipynb): {missing}"


@pytest.mark.parametrize("sub", SUBPACKAGES)
def test_face_imports_only_its_own_modules(sub):
    tree = ast.parse((PKG / sub / "__init__.py").read_text(encoding="utf-8"))
    imps = [n for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom))]
    assert imps, f"st_rl/{sub}/__init__.py is empty: run nbdev_export"
    bad = [ast.unparse(n) for n in imps if not (isinstance(n, ast.ImportFrom) and n.level == 1 and n.module)]
    assert bad == [], bad


def test_rsl_rl_style_imports():
    for sub, names in RSL_RL_STYLE.items():
        ns = {}
        exec(f"from st_rl.{sub} import {', '.join(names)}", ns)
        assert all(ns[n] is not None for n in names)
        face = importlib.import_module(f"st_rl.{sub}")
        assert set(names) <= set(face.__all__), sorted(set(names) - set(face.__all__))


def test_version_line_kept():
    import st_rl
    assert st_rl.__version__
