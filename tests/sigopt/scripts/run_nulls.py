"""A sigopt-python script that removes what it logged, as its users write it:
``del run.params[k]`` and ``run.log_metadata(k, None)`` (and the dev metadata logger)
send the key as null in a MERGE. Prints the run as fetched, as JSON."""

import json

import sigopt

run = sigopt.create_run(name="nulls")
with run:
    run.params.learning_rate = 0.1
    run.params.batch_size = 32
    del run.params["batch_size"]
    run.log_metadata("dataset", "iris")
    run.log_metadata("scratch", "to remove")
    run.log_metadata("scratch", None)
    run.log_dev_metadata("kept", 1)
    run.log_dev_metadata("scratch", 2)
    run.log_dev_metadata("scratch", None)
    run.log_sys_metadata("feature_importances", {"type": "weight", "scores": {"f": 1.0}})
    run.log_metric("loss", 0.25)
    local = dict(run.params)
fetched = sigopt.get_run(run.id)

experiment = sigopt.create_experiment(
    name="nulls",
    parameters=[{"name": "x", "type": "double", "bounds": {"min": 0.0, "max": 1.0}}],
    metrics=[{"name": "accuracy", "objective": "maximize"}],
    budget=1,
)
for ai_run in experiment.loop():
    with ai_run:
        ai_run.params.batch_size = 32
        del ai_run.params["batch_size"]
        ai_run.log_metric("accuracy", ai_run.params.x)
ai_fetched = sigopt.get_run(ai_run.id)

print(json.dumps({"local": local, "run": fetched.to_json(), "ai_run": ai_fetched.to_json()}))
