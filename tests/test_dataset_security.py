"""Datasets cannot attack: files crafted to run code when unpickled run nothing and are refused by name; truncated,
tampered and foreign files are refused; the loader keeps serving the good trajectories; writes are atomic."""
import json
import os
import pickle

import numpy as np
import pytest

from st_rl.env.vec_env import PointMassEnv
from st_rl.storage.rollout_files import DatasetError, DemonstrationSaver, RolloutDataset, read_metadata, read_rollout_file


class Payload:
    """Unpickling this runs a shell command that creates a file."""
    def __init__(self, target): self.target = target
    def __reduce__(self): return (os.system, (f"touch {self.target}",))


@pytest.fixture()
def dataset(tmp_path):
    d = tmp_path / "demos"
    policy = lambda obs, critic: (obs[:, 4:6] - obs[:, 0:2]).clamp(-1, 1)
    out = DemonstrationSaver(PointMassEnv(num_envs=2, max_episode_length=16), policy, d, min_timesteps=160,
                             frames_per_file=8).collect()
    assert out["trajectories"] == 10
    return d


def test_crafted_pickle_runs_nothing_and_is_refused(dataset, tmp_path, capsys):
    marker = tmp_path / "PWNED"
    target = dataset / "trajectory_3" / "8_16.npz"
    target.write_bytes(pickle.dumps(Payload(marker)))
    with pytest.raises(DatasetError, match="trajectory_3/8_16.npz: refused, it holds pickled data"):
        read_rollout_file(target, read_metadata(dataset))
    ds = RolloutDataset(dataset)
    trajs = list(ds)
    assert not marker.exists()
    assert len(trajs) == 9 and len(ds.refused) == 1 and "trajectory_3/8_16.npz" in capsys.readouterr().err


def test_npz_with_pickled_object_array_is_refused(dataset, tmp_path):
    """A real npz whose member is a pickled object array (np.save with allow_pickle=True)."""
    marker = tmp_path / "PWNED"
    target = dataset / "trajectory_0" / "0_8.npz"
    arr = np.empty(8, dtype=object); arr[0] = Payload(marker)
    with open(target, "wb") as f:
        np.savez(f, obs=arr, actions=np.zeros((8, 2), np.float32), rewards=np.zeros(8, np.float32),
                 dones=np.zeros(8, bool), time_outs=np.zeros(8, bool))
    with pytest.raises(DatasetError, match="0_8.npz: refused, it holds pickled data"):
        read_rollout_file(target, read_metadata(dataset))
    assert not marker.exists()


@pytest.mark.parametrize("damage, message", [
    (lambda p: p.write_bytes(p.read_bytes()[:100]), "truncated or not an npz file"),
    (lambda p: p.write_bytes(b"\x00" * 64), "truncated or not an npz file"),
    (lambda p: np.savez(p, obs=np.zeros((8, 6), np.float64), actions=np.zeros((8, 2), np.float32), rewards=np.zeros(8, np.float32),
                        dones=np.zeros(8, np.float32), time_outs=np.zeros(8, bool)), "array 'dones' has dtype float32, expected bool"),
    (lambda p: np.savez(p, obs=np.full((8, 6), np.nan, np.float32), actions=np.zeros((8, 2), np.float32), rewards=np.zeros(8, np.float32),
                        dones=np.zeros(8, bool), time_outs=np.zeros(8, bool)), "array 'obs' contains NaN/Inf"),
    (lambda p: np.savez(p, obs=np.zeros((8, 5), np.float32), actions=np.zeros((8, 2), np.float32), rewards=np.zeros(8, np.float32),
                        dones=np.zeros(8, bool), time_outs=np.zeros(8, bool)), "array 'obs' has shape (8, 5), expected (8, 6)"),
])
def test_damaged_file_is_refused_by_name_and_others_still_served(dataset, damage, message):
    target = dataset / "trajectory_5" / "0_8.npz"
    damage(target)
    with pytest.raises(DatasetError, match="trajectory_5/0_8.npz") as e:
        read_rollout_file(target, read_metadata(dataset))
    assert message in str(e.value)
    assert len(list(RolloutDataset(dataset))) == 9


def test_foreign_or_missing_metadata(tmp_path, dataset):
    with pytest.raises(DatasetError, match="no metadata.json"):
        RolloutDataset(tmp_path)
    (dataset / "metadata.json").write_text(json.dumps({"format": "something-else"}))
    with pytest.raises(DatasetError, match="not an st_rl rollout dataset"):
        RolloutDataset(dataset)


def test_incomplete_trajectory_is_never_read(dataset):
    """A trajectory folder without its marker (a writer died, or is still writing) is invisible to readers."""
    (dataset / "trajectory_9" / "trajectory.json").unlink()
    assert len(list(RolloutDataset(dataset))) == 9
    assert not list(dataset.rglob("*.tmp"))
