"""The run logger's Weights & Biases backend, offline: a short run logs its metrics and config to a W&B run kept in
the run directory, with no network and no account; a run that asks for W&B without the package gets one clear error."""
import json
import struct
import sys
import time
from pathlib import Path

import pytest
import torch

from st_rl.env.vec_env import PointMassEnv
from st_rl.runners.on_policy_runner import OnPolicyRunner
from st_rl.utils.core import ConfigError
from st_rl.utils.run_dir import read_metrics

CFG = {"num_steps_per_env": 16, "max_iterations": 3, "seed": 0, "print_interval": 0, "logger": "wandb",
       "wandb_project": "st_rl_tests"}


def wandb_records(path: Path) -> list:
    """The protobuf records of an offline run's `.wandb` file (what `wandb sync` uploads): a 7-byte file header, then
    leveldb-log framing, 32 KiB blocks of records with 7-byte headers (crc, length, type: 1 full, 2-4 first/middle/last)."""
    from wandb.proto import wandb_internal_pb2 as pb
    data = path.read_bytes()
    assert data[:4] == b":W&B", data[:7]
    out, pos, buf = [], 7, b""
    while pos + 7 <= len(data):
        left = 32768 - pos % 32768
        if left < 7: pos += left; continue
        _, n, kind = struct.unpack("<IHB", data[pos:pos + 7])
        if n == 0 and kind == 0: break
        buf += data[pos + 7:pos + 7 + n]; pos += 7 + n
        if kind in (1, 4):
            r = pb.Record(); r.ParseFromString(buf); out.append(r); buf = b""
    return out


def test_wandb_offline_run_holds_the_metrics_and_config(tmp_path, monkeypatch):
    pytest.importorskip("wandb", reason="wandb is a dev requirement; CI installs it")
    monkeypatch.setenv("WANDB_MODE", "offline")
    monkeypatch.setenv("WANDB_SILENT", "true")
    monkeypatch.delenv("WANDB_API_KEY", raising=False)
    torch.manual_seed(0)
    runner = OnPolicyRunner(PointMassEnv(num_envs=8), CFG, log_dir=tmp_path / "run")
    runner.learn(3)
    runs = list((tmp_path / "run" / "wandb").glob("offline-run-*"))
    assert len(runs) == 1, runs
    metrics = read_metrics(tmp_path / "run")                                   # metrics.jsonl is written as well
    # the log `wandb sync` would upload; W&B's service process may still be writing it when `finish` returns
    for _ in range(100):
        records = wandb_records(next(runs[0].glob("run-*.wandb")))
        history = [{i.key or "/".join(i.nested_key): json.loads(i.value_json) for i in r.history.item}
                   for r in records if r.WhichOneof("record_type") == "history"]
        if len(history) >= len(metrics): break
        time.sleep(0.1)
    assert [h["_step"] for h in history] == [m["iteration"] for m in metrics] == [1, 2, 3]
    assert [h["Train/env_steps"] for h in history] == [m["env_steps"] for m in metrics] == [128, 256, 384]
    assert [h["Train/learning_rate"] for h in history] == pytest.approx([m["learning_rate"] for m in metrics])
    config = {u.key: json.loads(u.value_json) for r in records if r.WhichOneof("record_type") == "run"
              for u in r.run.config.update}
    assert config["num_steps_per_env"] == 16 and config["logger"] == "wandb"  # the run's own config


def test_wandb_missing_is_one_clear_error(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "wandb", None)                           # as if not installed
    runner = OnPolicyRunner(PointMassEnv(num_envs=8), CFG, log_dir=tmp_path / "run")
    with pytest.raises(ConfigError, match="logger 'wandb' needs the wandb package: pip install wandb"):
        runner.learn(1)
