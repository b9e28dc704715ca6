"""Learning checks of st_rl's module zoo (memory, estimators, vision), each against its baseline, several seeds.

Every run is `st_rl train` with a config given as `--set` overrides, then `st_rl play` (deterministic policy,
10 episodes). Prints one JSON line per run and a summary table per experiment.

    python bench/module_zoo.py memory    --seeds 1 2 3 --parallel 2
    python bench/module_zoo.py estimator --seeds 1 2 3
    python bench/module_zoo.py vision    --seeds 1 2 3

Experiments
- memory: Walker2d-v5 with every velocity hidden from the actor (the critic sees the full state); an MLP
  actor-critic against an LSTM one, same PPO config and env-step budget.
- estimator: HalfCheetah-v5 with the base linear velocity hidden from the actor; `EstimatorPPO` + `StateAc`
  (estimates it from the actor's other components; `estimated_h`: and from a 4-frame history of them) against PPO
  that is given it and PPO without it. Also the estimator's R^2 on fresh rollouts of the trained policy.
- vision: Reacher-v5 whose actor sees the target only through a 16x16 target-map image; `VisualActorCritic`
  (CNN on the image), evaluated as trained and with the image zeroed.
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ST_RL = [sys.executable, "-m", "st_rl"]

# A PPO config shared by every variant of an experiment (16 envs x 128 steps, 5 epochs x 4 minibatches: the
# recurrent generator splits minibatches by env, so num_mini_batches must divide num_envs).
COMMON = ["env.num_envs=16", "num_steps_per_env=128", "algorithm.num_mini_batches=4",
          "algorithm.num_learning_epochs=5", "logger=none", "print_interval=25", "save_interval=50"]
HIDE_VEL = "env.wrappers=[{class_name: DropActorComponents, names: [base_lin_vel, base_ang_vel, joint_vel]}]"
HIDE_LIN_VEL = "env.wrappers=[{class_name: DropActorComponents, names: [base_lin_vel]}]"
HISTORY = "env.wrappers=[{class_name: HistoryComponent, components: [root_pos, joint_pos, base_ang_vel, joint_vel], length: 4}]"
HIDE_LIN_VEL_HISTORY = ("env.wrappers=[{class_name: HistoryComponent, components: [root_pos, joint_pos, base_ang_vel, joint_vel], "
                        "length: 4}, {class_name: DropActorComponents, names: [base_lin_vel]}]")
REACHER_IMAGE = ("env.wrappers=[{class_name: TargetMapImage, size: 16}, "
                 "{class_name: DropActorComponents, names: [target_pos, to_target]}]")
ESTIMATOR = ["algorithm.class_name=EstimatorPPO", "policy.class_name=StateAc",
             "policy.estimator_target_components=[base_lin_vel]"]
VISUAL = ["policy.class_name=VisualActorCritic", "policy.visual_component_name=target_map",
          "policy.visual_latent_size=16"]

EXPERIMENTS = {
    "memory": {"task": "Walker2d-v5", "steps": 1_000_000, "variants": {
        "mlp": [HIDE_VEL, "policy.class_name=ActorCritic"],
        "lstm": [HIDE_VEL, "policy.class_name=ActorCriticRecurrent", "policy.rnn_type=lstm"]}},
    "estimator": {"task": "HalfCheetah-v5", "steps": 1_000_000, "variants": {
        "given": [],
        "estimated": [HIDE_LIN_VEL, *ESTIMATOR],
        "estimated_h": [HIDE_LIN_VEL_HISTORY, *ESTIMATOR],   # the estimator (and actor) also see the last 4 frames
        # the estimator reads the history, the actor network only the usual components and the estimate
        "estimated_hx": [HIDE_LIN_VEL_HISTORY, *ESTIMATOR, "policy.actor_obs_components=[root_pos, joint_pos, base_ang_vel, joint_vel]"],
        # the actor keeps a slot for the velocity; while sampling, the estimate fills it with prob. 0.5 (the simulator's
        # value otherwise); at inference (evaluation, deployment) always the estimate
        "estimated_slot": [HISTORY, *ESTIMATOR, "policy.replace_state_prob=0.5"],
        "hidden": [HIDE_LIN_VEL]}},
    "vision": {"task": "Reacher-v5", "steps": 500_000, "variants": {
        "visual": [REACHER_IMAGE, *VISUAL]}},
}


def run_one(exp: str, variant: str, seed: int, out: Path, steps: int, task: str | None = None) -> dict:
    e = EXPERIMENTS[exp]
    task = task or e["task"]
    d = out / f"{exp}_{task.split('-')[0]}_{variant}_s{seed}"
    iters = max(1, steps // (16 * 128))
    sets = COMMON + [f"max_iterations={iters}"] + e["variants"][variant]
    if not (d / f"model_{iters}.pt").exists():
        with open(f"{d}.train.log", "w") as log:
            subprocess.run(ST_RL + ["train", "--task", task, "--seed", str(seed), "--log_dir", str(d), "--set", *sets],
                           stdout=log, stderr=subprocess.STDOUT, check=True)
    r = {"experiment": exp, "task": task, "variant": variant, "seed": seed, "env_steps": iters * 16 * 128}
    play = subprocess.run(ST_RL + ["play", "--run", str(d), "--episodes", "10"], capture_output=True, text=True, check=True)
    r["return"] = json.loads(play.stdout.strip().splitlines()[-1])["mean_return"]
    if exp == "vision":
        r["return_image_zeroed"] = evaluate_zeroed(d, "target_map")
    if variant.startswith("estimated"):
        r["estimator_r2"] = estimator_r2(d)
    print(json.dumps(r), flush=True)
    Path(f"{d}.json").write_text(json.dumps(r))
    return r


def evaluate_zeroed(run: Path, component: str, episodes: int = 10) -> float:
    """Mean return of the run's deterministic policy with obs component `component` zeroed before normalisation."""
    from st_rl.runners.runs import evaluate_policy, load_run
    from st_rl.utils.obs_segments import segment_slices
    runner, env, _ = load_run(run, num_envs=1)
    sl = segment_slices(env.obs_segments)[component]
    pol = runner.get_inference_policy()

    def zeroed(obs):
        obs = obs.clone(); obs[:, sl] = 0.0
        return pol(obs)
    if hasattr(pol, "reset"): zeroed.reset = pol.reset
    res = evaluate_policy(zeroed, env, episodes)
    env.close()
    return res["mean_return"]


def estimator_r2(run: Path, steps: int = 2000) -> float:
    """R^2 (over components) of the policy's estimate of its target components, on fresh rollouts of the policy."""
    import torch
    from st_rl.runners.runs import load_run
    runner, env, _ = load_run(run, num_envs=8, seed=123_456)
    ac, alg = runner.actor_critic, runner.alg
    obs, extras = env.get_observations()
    est, tgt = [], []
    with torch.inference_mode():
        for _ in range(steps // 8):
            critic = extras["observations"].get("critic", obs)
            o = alg.obs_normalizer(obs)
            est.append(ac.get_estimated_state(o))
            shared = "critic" not in extras["observations"]          # no critic group: the critic shares the actor's normaliser
            tgt.append(ac.estimation_target(alg.obs_normalizer(critic) if shared else alg.critic_obs_normalizer(critic)))
            obs, _, _, extras = env.step(ac.act_inference(o))
    env.close()
    est, tgt = torch.cat(est), torch.cat(tgt)
    ss_res = (est - tgt).pow(2).sum(0)
    ss_tot = (tgt - tgt.mean(0)).pow(2).sum(0)
    return (1 - ss_res / ss_tot).mean().item()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("experiment", choices=sorted(EXPERIMENTS))
    ap.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    ap.add_argument("--variants", nargs="*", help="subset of the experiment's variants")
    ap.add_argument("--steps", type=int, help="env steps per run (default: the experiment's)")
    ap.add_argument("--task", help="another task than the experiment's (with the same component names)")
    ap.add_argument("--parallel", type=int, default=2, help="runs at a time (2 cores: 2)")
    ap.add_argument("--out", default="bench/results/module_zoo")
    a = ap.parse_args()
    out = Path(a.out); out.mkdir(parents=True, exist_ok=True)
    e = EXPERIMENTS[a.experiment]
    jobs = [(v, s) for s in a.seeds for v in (a.variants or e["variants"])]
    with ThreadPoolExecutor(a.parallel) as pool:
        results = list(pool.map(lambda j: run_one(a.experiment, j[0], j[1], out, a.steps or e["steps"], a.task), jobs))
    print(f"\n{a.experiment}: mean over seeds {a.seeds}")
    for v in dict.fromkeys(r["variant"] for r in results):
        rs = [r for r in results if r["variant"] == v]
        keys = [k for k in rs[0] if k not in ("experiment", "task", "variant", "seed", "env_steps")]
        cols = "  ".join(f"{k} {statistics.fmean(r[k] for r in rs):.3g} ({', '.join(f'{r[k]:.3g}' for r in rs)})" for k in keys)
        print(f"  {v:10s} {cols}")


if __name__ == "__main__":
    main()
