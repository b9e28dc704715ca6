"""Learning-quality report over tasks x seeds (the rliable protocol), from the run directories of
`bench/learning_curves.sh`: per task the mean final return with a 95 % bootstrap confidence interval and the per-seed
returns; over all tasks the interquartile mean (IQM) and the mean of the scores normalised by each task's target, with
stratified bootstrap intervals; the KL and clip-fraction statistics of the runs (median and max per task); the speed
(env steps per second); and a figure of the learning curves (mean +- std over seeds) against env steps.

Seed noise: per task the std of the final return over seeds and how often a mean over 3 seeds drawn from these runs
reaches the target. With several directories, each one after the first is compared with the first per task: the
difference of the means with a 95 % bootstrap interval, and whether that interval holds 0 (the difference cannot be
told from what another draw of seeds gives).

Usage: python bench/learning_report.py [[LABEL=]RESULTS_DIR ...] [--png FILE]
  RESULTS_DIR holds <Task>_s<seed>/ run directories (metrics.jsonl) and <Task>_s<seed>.eval.json files. Several
  directories (candidate configs) are reported one after another and drawn in one figure, one line each per task;
  the first is the baseline the others are compared with."""
import argparse
import glob
import json
import os
import re
import statistics
from collections import defaultdict

import numpy as np

TARGETS = {"HalfCheetah-v5": 5500, "Walker2d-v5": 4000, "Hopper-v5": 2500, "Ant-v5": 3000}
"The returns that per-task tuned PPO reaches at 1M env steps (the normalising scores; see bench/README.md)."


def iqm(x) -> float:
    "Interquartile mean: the mean of the middle 50 % (rliable's aggregate; robust to one outlying run)."
    x = np.sort(np.asarray(x, float).ravel())
    n = len(x)
    lo, hi = int(np.floor(0.25 * n)), int(np.ceil(0.75 * n))
    return float(x[lo:hi].mean()) if hi > lo else float(x.mean())


def bootstrap_ci(groups: list, stat, reps: int = 5000, seed: int = 0) -> tuple[float, float]:
    """95 % percentile interval of `stat` over stratified bootstrap resamples: the runs of each group (task) are
    resampled with replacement within that group."""
    rng = np.random.default_rng(seed)
    vals = []
    for _ in range(reps):
        sample = [np.asarray(g)[rng.integers(0, len(g), len(g))] for g in groups]
        vals.append(stat(np.concatenate(sample)))
    return float(np.percentile(vals, 2.5)), float(np.percentile(vals, 97.5))


def diff_ci(base, cand, reps: int = 5000, seed: int = 0) -> tuple[float, float, float]:
    """mean(cand) - mean(base) with its 95 % percentile interval: each arm's seeds are resampled with replacement, on
    their own (the two arms' runs are independent draws, even where they share seed numbers)."""
    rng = np.random.default_rng(seed)
    a, b = np.asarray(base, float), np.asarray(cand, float)
    d = b[rng.integers(0, len(b), (reps, len(b)))].mean(1) - a[rng.integers(0, len(a), (reps, len(a)))].mean(1)
    return float(b.mean() - a.mean()), float(np.percentile(d, 2.5)), float(np.percentile(d, 97.5))


def pass_chance(finals, target: float, n: int = 3, reps: int = 20000, seed: int = 0) -> float:
    "How often the mean of `n` runs drawn with replacement from `finals` reaches `target` (the issue's n = 3 seeds)."
    x = np.asarray(finals, float)
    return float((x[np.random.default_rng(seed).integers(0, len(x), (reps, n))].mean(1) >= target).mean())


def read_results(root: str) -> dict:
    "task -> list of per-seed dicts: seed, final return, the metrics.jsonl lines."
    out = defaultdict(list)
    for f in sorted(glob.glob(os.path.join(root, "*.eval.json"))):
        r = json.load(open(f))
        run = f[: -len(".eval.json")]
        lines = []
        if os.path.exists(os.path.join(run, "metrics.jsonl")):
            lines = [json.loads(l) for l in open(os.path.join(run, "metrics.jsonl")) if l.strip()]
        out[r["task"]].append({"seed": r["seed"], "final": r["mean_return"], "metrics": lines,
                               "checkpoint": r.get("checkpoint")})
    return dict(out)


def evaluated_steps(run: dict, full: int = 1_000_000) -> int:
    """The env steps of the checkpoint the eval played: its `model_N.pt` iteration's metrics line (a run whose last
    save failed was played from an earlier checkpoint than its metrics reach), else the last metrics line."""
    if not run["metrics"]: return full
    m = re.search(r"model_(\d+)\.pt$", run.get("checkpoint") or "")
    at = [l["env_steps"] for l in run["metrics"] if m and l.get("iteration") == int(m.group(1))]
    return at[0] if at else run["metrics"][-1]["env_steps"]


def _short(run: dict, full: int = 1_000_000) -> str:
    "' (at 352k steps)' for a run evaluated before `full` env steps (a stopped run is evaluated where it stopped)."
    steps = evaluated_steps(run, full)
    return f" (at {steps // 1000}k steps)" if steps < full else ""


def report(res: dict) -> None:
    print(f"{'task':16s} {'mean':>7s} {'95% CI':>17s} {'target':>7s}  per seed")
    for task, runs in res.items():
        v = [r["final"] for r in runs]
        lo, hi = bootstrap_ci([v], np.mean)
        seeds = ", ".join(f"s{r['seed']} {r['final']:.0f}{_short(r)}" for r in runs)
        print(f"{task:16s} {np.mean(v):7.0f} [{lo:7.0f}, {hi:7.0f}] {TARGETS.get(task, float('nan')):7.0f}  {seeds}")
    normed = [[r["final"] / TARGETS[t] for r in runs] for t, runs in res.items() if t in TARGETS]
    if normed:
        flat = np.concatenate([np.asarray(g) for g in normed])
        for name, stat in (("IQM", iqm), ("mean", np.mean)):
            lo, hi = bootstrap_ci(normed, stat)
            print(f"normalised score (return / target), {name} over {len(flat)} runs: {stat(flat):.3f} "
                  f"[{lo:.3f}, {hi:.3f}]")
    print(f"\n{'task':16s} {'std over seeds':>14s} {'3-seed mean >= target':>21s}")
    for task, runs in res.items():
        v = [r["final"] for r in runs]
        chance = f"{100 * pass_chance(v, TARGETS[task]):20.0f}%" if task in TARGETS and len(v) > 1 else f"{'-':>21s}"
        print(f"{task:16s} {np.std(v, ddof=1) if len(v) > 1 else float('nan'):14.0f} {chance}")
    print(f"\n{'task':16s} {'KL median':>9s} {'KL max':>7s} {'iters KL>0.5':>12s} {'clip median':>11s} "
          f"{'clip max':>8s} {'steps/s':>8s}")
    for task, runs in res.items():
        kl = [l["kl"] for r in runs for l in r["metrics"] if "kl" in l]
        cf = [l["clip_fraction"] for r in runs for l in r["metrics"] if "clip_fraction" in l]
        sps = [r["metrics"][-1]["env_steps"] / r["metrics"][-1]["time_elapsed"] for r in runs if r["metrics"]]
        if not kl: continue
        print(f"{task:16s} {statistics.median(kl):9.3f} {max(kl):7.2f} {sum(k > 0.5 for k in kl):5d} of {len(kl):4d} "
              f"{statistics.median(cf):11.2f} {max(cf):8.2f} {statistics.median(sps):8.0f}")


def compare(base: dict, cand: dict, base_label: str, label: str) -> None:
    "Per task both have: mean(cand) - mean(base) with its 95 % bootstrap interval, and whether that holds 0."
    print(f"\n{label} against {base_label}:\n{'task':16s} {'difference':>10s} {'95% CI':>17s}  seeds")
    for task in (t for t in cand if t in base):
        a, b = [r["final"] for r in base[task]], [r["final"] for r in cand[task]]
        d, lo, hi = diff_ci(a, b)
        verdict = "within seed noise" if lo <= 0 <= hi else ("higher" if lo > 0 else "lower")
        print(f"{task:16s} {d:10.0f} [{lo:7.0f}, {hi:7.0f}]  {len(b)} against {len(a)}: {verdict}")


def figure(results: dict, png: str) -> None:
    """One panel per task; per candidate (`results`: label -> read_results) the mean +- std over seeds of the training
    return against env steps."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    tasks = list(dict.fromkeys(t for res in results.values() for t in res))
    fig, axes = plt.subplots(1, len(tasks), figsize=(4 * len(tasks), 3.2), squeeze=False)
    for ax, task in zip(axes[0], tasks):
        for k, (label, res) in enumerate(results.items()):
            curves = [[(l["env_steps"], l["mean_return"]) for l in r["metrics"]
                       if np.isfinite(l.get("mean_return", np.nan))] for r in res.get(task, [])]
            curves = [c for c in curves if c]
            if not curves: continue
            xs = np.linspace(0, min(c[-1][0] for c in curves), 100)
            ys = np.array([np.interp(xs, *zip(*c)) for c in curves])
            m, s = ys.mean(0), ys.std(0)
            name = f"{label} ({len(curves)} seed{'s' if len(curves) > 1 else ''})" if len(results) > 1 else None
            ax.plot(xs / 1e6, m, lw=1.5, label=name, color=f"C{k}")     # one colour per candidate in every panel
            ax.fill_between(xs / 1e6, m - s, m + s, alpha=0.2, color=f"C{k}")
        if task in TARGETS: ax.axhline(TARGETS[task], ls="--", lw=0.8, color="gray")
        ax.set_title(task); ax.set_xlabel("env steps (M)"); ax.grid(alpha=0.3)
        if len(results) > 1: ax.legend(fontsize=7)
    axes[0][0].set_ylabel("training episode return")
    fig.tight_layout(); fig.savefig(png, dpi=110)
    print(f"\nlearning curves (mean +- std over seeds; dashed: target): {png}")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("roots", nargs="*", default=["bench/results/learning"], metavar="[LABEL=]RESULTS_DIR",
                   help="one results directory, or several (candidates) to compare, each optionally labelled")
    p.add_argument("--png", default=None, help="where to draw the curves (default: the first RESULTS_DIR's "
                                               "learning_curves.png)")
    a = p.parse_args()
    # LABEL=DIR splits at the first "="; an existing directory is a DIR even when its path holds "="
    paths = [(os.path.basename(r.rstrip("/")), r) if os.path.isdir(r) or "=" not in r else r.partition("=")[::2]
             for r in a.roots]
    results = {}
    for label, path in paths:
        results[label] = read_results(path)
        if not results[label]: raise SystemExit(f"no <task>_s<seed>.eval.json under {path}")
    for label, res in results.items():
        if len(results) > 1: print(f"\n== {label}")
        report(res)
    (base_label, base), *others = results.items()
    for label, res in others: compare(base, res, base_label, label)
    figure(results, a.png or os.path.join(paths[0][1], "learning_curves.png"))


if __name__ == "__main__":
    main()
