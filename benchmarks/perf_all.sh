#!/bin/sh
# Every figure of issue #12's table, each against its baseline measured in the same run.
# Usage: benchmarks/perf_all.sh [postgres-admin-url]   (output: benchmarks/results/perf.txt)
# Run on a quiet machine: the figures are ratios, but a neighbour's load still adds noise.
set -e
cd "$(dirname "$0")/.."
out=benchmarks/results/perf.txt
{
    echo "# $(date -u +%Y-%m-%dT%H:%MZ) $(git rev-parse --short HEAD) on $(nproc) cores"
    python benchmarks/perf_calls.py
    python benchmarks/perf_start.py
    python benchmarks/perf_readers.py
    python benchmarks/perf_generations.py
    python benchmarks/perf_first_task.py
    python benchmarks/perf_throughput.py
    python benchmarks/perf_best.py
    python benchmarks/perf_requests.py
    if [ -n "$1" ]; then python benchmarks/perf_tasks.py --pg "$1"; fi
    if [ -n "$1" ]; then python benchmarks/migration_time.py --pg "$1"; fi
} | tee "$out"
