"""st_rl and rsl_rl (mjlab's own runner) train the same mjlab task, side by side, with the same config.

Each run is a fresh subprocess (runs alternate between the two libraries, so that machine noise hits both alike):
mjlab's env from the task's registered env config, the task's registered agent config (st_rl reads it with
`mjlab_run_config`; rsl_rl gets it as mjlab's train script gives it), episodes started at random lengths as mjlab's
train script does, one warm-up iteration, then `--iterations` timed ones. Printed per run and as medians: seconds per
iteration, env steps per second, the mean reward per env step over the last half of the iterations, and the mean
length of the episodes that ended then (the robot's falls shorten them).

CPU (small, Warp's CPU kernels):  python bench/mjlab_vs_rsl_rl.py --num_envs 16 --iterations 10
GPU:                              python bench/mjlab_vs_rsl_rl.py --device cuda:0 --num_envs 4096 --iterations 50

It needs mjlab (the README's mjlab install line)."""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

LIBS = ("st_rl", "rsl_rl")


def _count_episodes(env, stats: dict) -> None:
    """Wrap `env.step` (mjlab's ManagerBasedRlEnv, under either library) to count rewards and the episodes that end."""
    import torch
    ret = torch.zeros(env.num_envs, device=env.device)
    length = torch.zeros(env.num_envs, device=env.device)
    step = env.step

    def counting_step(action):
        obs, rew, terminated, truncated, extras = step(action)
        ret.add_(rew); length.add_(1)
        done = terminated | truncated
        if stats["on"]:
            stats["reward"] += float(rew.sum()); stats["env_steps"] += env.num_envs
            if done.any():
                stats["lengths"] += length[done].tolist(); stats["returns"] += ret[done].tolist()
        ret[done] = 0; length[done] = 0
        return obs, rew, terminated, truncated, extras
    env.step = counting_step


def _one(lib: str, a) -> dict:
    "Train `a.iterations` (+1 warm-up) iterations with `lib` in this process; the figures as a dict."
    import torch
    from mjlab.envs import ManagerBasedRlEnv
    torch.manual_seed(a.seed)
    stats = {"on": False, "reward": 0.0, "env_steps": 0, "lengths": [], "returns": []}
    log_dir = tempfile.mkdtemp(prefix=f"bench_mjlab_{lib}_")
    half = max(1, a.iterations // 2)
    if lib == "st_rl":
        from st_rl.env.mjlab import MjlabVecEnv, mjlab_run_config
        from st_rl.runners.on_policy_runner import OnPolicyRunner
        env = MjlabVecEnv(a.task, num_envs=a.num_envs, seed=a.seed, device=a.device)
        _count_episodes(env.mjlab_env, stats)
        cfg = mjlab_run_config(a.task)
        cfg.update(seed=a.seed, save_interval=0, print_interval=0, logger="tensorboard")
        cfg["env"]["num_envs"] = a.num_envs
        runner = OnPolicyRunner(env, cfg, log_dir=log_dir, device=a.device)
        learn = runner.learn
    else:
        from dataclasses import asdict
        from mjlab.rl import MjlabOnPolicyRunner, RslRlVecEnvWrapper
        from mjlab.tasks.registry import load_env_cfg, load_rl_cfg, load_runner_cls
        env_cfg, agent = load_env_cfg(a.task), load_rl_cfg(a.task)
        env_cfg.scene.num_envs, env_cfg.seed = a.num_envs, a.seed
        agent.seed, agent.logger, agent.save_interval = a.seed, "tensorboard", 10**9
        raw = ManagerBasedRlEnv(cfg=env_cfg, device=a.device)
        _count_episodes(raw, stats)
        env = RslRlVecEnvWrapper(raw, clip_actions=agent.clip_actions)
        runner = (load_runner_cls(a.task) or MjlabOnPolicyRunner)(env, asdict(agent), log_dir, a.device)
        learn = lambda n, init_at_random_ep_len: runner.learn(n, init_at_random_ep_len=init_at_random_ep_len)
    learn(1, init_at_random_ep_len=True)                                    # warm-up (kernels, allocations)
    sync = torch.cuda.synchronize if a.device.startswith("cuda") else (lambda: None)
    sync(); t0 = time.perf_counter()
    learn(a.iterations - half, init_at_random_ep_len=False)
    stats["on"] = True
    learn(half, init_at_random_ep_len=False)
    sync(); dt = time.perf_counter() - t0
    steps = a.iterations * a.num_envs * (cfg["num_steps_per_env"] if lib == "st_rl" else agent.num_steps_per_env)
    env.close()
    return {"lib": lib, "seed": a.seed, "s_per_iteration": dt / a.iterations, "env_steps_per_s": steps / dt,
            "reward_per_step": stats["reward"] / max(1, stats["env_steps"]),
            "episodes_ended": len(stats["lengths"]),
            "mean_episode_length": statistics.fmean(stats["lengths"]) if stats["lengths"] else float("nan"),
            "mean_return": statistics.fmean(stats["returns"]) if stats["returns"] else float("nan")}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--task", default="Mjlab-Velocity-Flat-Unitree-Go1")
    p.add_argument("--device", default="cpu")
    p.add_argument("--num_envs", type=int, default=16)
    p.add_argument("--iterations", type=int, default=10)
    p.add_argument("--seeds", type=int, default=1, help="runs per library (seeds 1..N)")
    p.add_argument("--one", choices=LIBS, help=argparse.SUPPRESS)
    p.add_argument("--seed", type=int, default=1, help=argparse.SUPPRESS)
    a = p.parse_args()
    if a.device == "cpu": os.environ["CUDA_VISIBLE_DEVICES"] = ""                # Warp on the CPU
    if a.one:
        print("BENCH " + json.dumps(_one(a.one, a)), flush=True)
        return
    print(f"{a.task} on {a.device}: {a.num_envs} envs, {a.iterations} timed iterations (+1 warm-up), "
          f"{a.seeds} seed(s) per library, each run in its own process", flush=True)
    rows = []
    for seed in range(1, a.seeds + 1):
        for lib in (LIBS if seed % 2 else LIBS[::-1]):                          # alternate who goes first
            cmd = [sys.executable, __file__, "--one", lib, "--seed", str(seed), "--task", a.task, "--device", a.device,
                   "--num_envs", str(a.num_envs), "--iterations", str(a.iterations)]
            out = subprocess.run(cmd, capture_output=True, text=True)
            line = [l for l in out.stdout.splitlines() if l.startswith("BENCH ")]
            if out.returncode != 0 or not line:
                sys.exit(f"{lib} (seed {seed}) failed ({out.returncode}):\n{out.stdout[-2000:]}\n{out.stderr[-3000:]}")
            r = json.loads(line[-1][6:]); rows.append(r)
            print(f"  {lib:7s} seed {seed}: {r['s_per_iteration']:7.2f} s/iteration  {r['env_steps_per_s']:9.0f} "
                  f"env steps/s  reward/step {r['reward_per_step']:+.4f}  {r['episodes_ended']:4d} episodes ended, "
                  f"mean length {r['mean_episode_length']:6.1f}, mean return {r['mean_return']:+.3f}", flush=True)
    med = {lib: {k: statistics.median(r[k] for r in rows if r["lib"] == lib)
                 for k in ("s_per_iteration", "env_steps_per_s", "reward_per_step")} for lib in LIBS}
    for lib in LIBS:
        m = med[lib]
        print(f"median {lib:7s}: {m['s_per_iteration']:.2f} s/iteration, {m['env_steps_per_s']:.0f} env steps/s, "
              f"reward/step {m['reward_per_step']:+.4f}")
    print(f"st_rl / rsl_rl env steps per second: "
          f"{med['st_rl']['env_steps_per_s'] / med['rsl_rl']['env_steps_per_s']:.2f}x")


if __name__ == "__main__":
    main()
