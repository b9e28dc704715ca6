#!/usr/bin/env bash
# Learning-quality check of st_rl's embedded default config: train each task for the default budget
# (500 iterations x 8 envs x 256 steps = 1,024,000 env steps) with several seeds, then evaluate the
# deterministic policy for 10 episodes with `st_rl play`. Prints one JSON line per run, then bench/learning_report.py's
# report (per task mean with a bootstrap CI, IQM of normalised scores, KL / clip statistics, a learning-curve figure).
# Usage: bash bench/learning_curves.sh [TASKS] [SEEDS] [PARALLEL]
#   e.g. bash bench/learning_curves.sh "HalfCheetah-v5 Walker2d-v5" "1 2 3" 2
#   SET="algorithm.learning_rate=1e-4 ..." adds --set overrides (a candidate config); OUT_DIR chooses where runs go
set -euo pipefail
tasks=${1:-"HalfCheetah-v5 Walker2d-v5 Hopper-v5 Ant-v5"}
seeds=${2:-"1 2 3"}
parallel=${3:-2}
out=${OUT_DIR:-bench/results/learning}
mkdir -p "$out"
run_one() {
  local task=$1 seed=$2 dir="$out/${1}_s${2}"
  st_rl train --task "$task" --seed "$seed" --log_dir "$dir" --set logger=none print_interval=50 \
    update_threads=$threads ${SET:-} > "$dir.train.log" 2>&1
  st_rl play --run "$dir" --episodes 10 | tail -n 1 | python -c "import json,sys; r=json.load(sys.stdin); print(json.dumps({'task':'$task','seed':$seed,'mean_return':r['mean_return'],'std_return':r['std_return'],'checkpoint':r.get('checkpoint')}))" | tee "$dir.eval.json"
}
# the update's torch threads: the cores shared among the parallel runs (the automatic choice takes every core for a
# large minibatch, and 16 runs of 16 threads each on 16 cores made each update ~50x slower)
threads=$(( $(python -c "import os; print(len(os.sched_getaffinity(0)))") / parallel )); threads=$(( threads > 0 ? threads : 1 ))
export -f run_one; export out threads SET="${SET:-}"
for t in $tasks; do for s in $seeds; do echo "$t $s"; done; done | xargs -P "$parallel" -n 2 bash -c 'run_one "$0" "$1"'
python "$(dirname "$0")/learning_report.py" "$out"     # mean, IQM and bootstrap CIs, KL / clip statistics, curves
