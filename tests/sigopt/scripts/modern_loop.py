"""A sigopt-python script as its users write it: configured by environment variables only
(SIGOPT_API_URL, SIGOPT_API_TOKEN, SIGOPT_PROJECT). Prints what it saw as JSON."""

import json

import sigopt

PARAMETERS = [
    {"name": "x", "type": "double", "bounds": {"min": 0.0, "max": 1.0}},
    {"name": "depth", "type": "int", "bounds": {"min": 1, "max": 6}},
]

experiment = sigopt.create_experiment(
    name="modern loop",
    parameters=PARAMETERS,
    metrics=[{"name": "accuracy", "objective": "maximize"}],
    budget=6,
)
seen = []
for run in experiment.loop():
    with run:
        x, depth = run.params.x, run.params.depth
        run.log_metric("accuracy", 1.0 - (x - 0.3) ** 2 - 0.01 * depth)
        run.log_metadata("machine", "test")
        seen.append({"x": x, "depth": depth})
best = [
    {"id": r.id, "values": {k: v.value for k, v in r.values.items()}, "state": r.state}
    for r in experiment.get_best_runs()
]
experiment.refresh()
runs = list(experiment.get_runs())

manual = sigopt.create_run(name="manual")
with manual:
    manual.params.learning_rate = 0.1
    manual.log_metadata("dataset", "iris")
    manual.log_metadata("rows", 150)
    manual.log_metric("loss", 0.25, stddev=0.01)
fetched = sigopt.get_run(manual.id)

print(
    json.dumps(
        {
            "experiment": experiment.id,
            "project": experiment.project,
            "seen": seen,
            "best": best,
            "progress": experiment.progress.to_json(),
            "runs": [r.state for r in runs],
            "manual": fetched.to_json(),
        }
    )
)
