"""Runs one optimization with sigoptlite (SigOpt's open-sourced engine) and prints the
trace as JSON. Run by ``sigopt_benchmark.py`` with the Python of a separate virtual
environment that has ``sigopt`` and ``sigoptlite`` (sigoptlite pins an old numpy, so
it never shares an environment with sigopt_like):

    python -m venv /path/to/venv && /path/to/venv/bin/pip install sigoptlite==0.1.2 sigopt==8.8.3

Input on stdin: ``{"problem", "seed", "budget"}``. Output: ``{"values": [[...]],
"seconds": [...]}``, one entry per observation (the values reported, the seconds the
suggestion took).
"""

from __future__ import annotations

import json
import random
import sys
import time
from pathlib import Path

import numpy
import sigopt

sys.path.insert(0, str(Path(__file__).resolve().parent))
import sigopt_problems


def main() -> None:
    job = json.loads(sys.stdin.read())
    problem = sigopt_problems.PROBLEMS[job["problem"]]
    random.seed(job["seed"])
    numpy.random.seed(job["seed"])
    conn = sigopt.Connection(driver="lite")
    experiment = conn.experiments().create(
        **sigopt_problems.experiment(job["problem"], job["budget"])
    )
    values, seconds = [], []
    for _ in range(job["budget"]):
        started = time.perf_counter()
        suggestion = conn.experiments(experiment.id).suggestions().create()
        seconds.append(time.perf_counter() - started)
        reported = problem["evaluate"](dict(suggestion.assignments))
        conn.experiments(experiment.id).observations().create(
            suggestion=suggestion.id, values=reported
        )
        values.append(reported)
    print(json.dumps({"values": values, "seconds": seconds}))


if __name__ == "__main__":
    main()
