#!/usr/bin/env bash
# Learning-quality check of st_rl's embedded default config: train each task for the default budget
# (500 iterations x 8 envs x 256 steps = 1,024,000 env steps) with several seeds, then evaluate the
# deterministic policy for 10 episodes with `st_rl play`. Prints one JSON line per run and a summary.
# Usage: bash bench/learning_curves.sh [TASKS] [SEEDS] [PARALLEL]
#   e.g. bash bench/learning_curves.sh "HalfCheetah-v5 Walker2d-v5" "1 2 3" 2
set -euo pipefail
tasks=${1:-"HalfCheetah-v5 Walker2d-v5"}
seeds=${2:-"1 2 3"}
parallel=${3:-2}
out=${OUT_DIR:-bench/results/learning}
mkdir -p "$out"
run_one() {
  local task=$1 seed=$2 dir="$out/${1}_s${2}"
  st_rl train --task "$task" --seed "$seed" --log_dir "$dir" --set logger=none print_interval=50 > "$dir.train.log" 2>&1
  st_rl play --run "$dir" --episodes 10 | tail -n 1 | python -c "import json,sys; r=json.load(sys.stdin); print(json.dumps({'task':'$task','seed':$seed,'mean_return':r['mean_return'],'std_return':r['std_return']}))" | tee "$dir.eval.json"
}
export -f run_one; export out
for t in $tasks; do for s in $seeds; do echo "$t $s"; done; done | xargs -P "$parallel" -n 2 bash -c 'run_one "$0" "$1"'
python - "$out" <<'PY'
import json, sys, glob, statistics, collections
res = collections.defaultdict(list)
for f in sorted(glob.glob(sys.argv[1] + "/*.eval.json")):
    r = json.load(open(f)); res[r["task"]].append(r["mean_return"])
for task, v in res.items():
    print(f"{task}: mean final return {statistics.fmean(v):.0f} over {len(v)} seeds ({', '.join(f'{x:.0f}' for x in v)})")
PY
