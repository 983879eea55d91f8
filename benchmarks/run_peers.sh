#!/bin/sh
# Peer runs of the design benchmark, in order of priority; resumable (JSON lines).
# Run niced in the background: nohup nice -n 15 sh benchmarks/run_peers.sh > peers.log 2>&1 &
set -e
cd "$(dirname "$0")/.."
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1
B=benchmarks/design_benchmark.py
R=benchmarks/results/raw
python $B --set validation --methods random,tpe --seeds 30 --out $R/validation-peers.jsonl
python $B --set tune --methods random,tpe --seeds 30 --out $R/tune-peers.jsonl
python $B --set validation --methods gp --seeds 5 --gens 5 \
    --families peaks,additive,needle,categorical,bowl_bound --out $R/validation-gp.jsonl
python $B --set validation --methods baybe --seeds 3 --gens 5 --spaces f7 \
    --families peaks,categorical --out $R/validation-baybe.jsonl
python $B --set validation --methods gp --seeds 5 --gens 5 \
    --families edges,bowl_in,noisy --out $R/validation-gp.jsonl
