#!/bin/sh
# Every run behind benchmarks/README.md's tables; resumable (JSON lines: an interrupted
# run continues where it stopped). Two processes: the 30-seed runs, and beside them the
# slow peers (GPSampler, BayBE) on a few seeds.
#   nohup nice -n 15 sh benchmarks/run_all.sh > run_all.log 2>&1 &
# BENCH_OUT puts the JSON lines elsewhere (default benchmarks/results/raw); use a folder
# outside the checkout while you commit or rebase: git rewrites tracked files, and a
# running job would go on appending to the unlinked one.
set -e
cd "$(dirname "$0")/.."
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1
B="python benchmarks/design_benchmark.py"
R="${BENCH_OUT:-benchmarks/results/raw}"
(
  $B --set validation --methods gp --seeds 30 --gens 5 --spaces f7 \
      --families peaks,edges,noisy,categorical,needle --out "$R/validation-gp.jsonl"
  $B --set validation --methods gp --seeds 30 --gens 5 --spaces m7 \
      --families peaks,edges --out "$R/validation-gp.jsonl"
  $B --set validation --methods baybe --seeds 3 --gens 5 --spaces f7 \
      --families peaks --out "$R/validation-baybe.jsonl"
  $B --set validation --methods gp --seeds 10 --gens 5 --spaces f7,m7 \
      --out "$R/validation-gp.jsonl"
) &
# every cell on 10 seeds first (the whole picture early), then up to 30 (resumed)
$B --set validation --methods engine,random,tpe --seeds 10 --out "$R/validation.jsonl"
$B --set tune --methods engine,random,tpe --seeds 10 --out "$R/tune.jsonl"
$B --set validation --methods engine,random,tpe --seeds 30 --out "$R/validation.jsonl"
$B --set tune --methods engine,random,tpe --seeds 30 --out "$R/tune.jsonl"
wait
