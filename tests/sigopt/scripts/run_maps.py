"""A sigopt-python script that logs what its xgboost integration and its CLI log beside
parameters and metrics: parameter sources and their display, captured logs, feature
importances, dev metadata; each call is one MERGE of one map (a second
``log_sys_metadata("feature_importances", ...)`` merges its scores in, as SigOpt's MERGE
does); archiving and unarchiving (a PUT of ``deleted`` alone) change nothing else.
Prints the run as fetched, and what a refused call raised, as JSON."""

import json

import sigopt
from sigopt.exception import ApiException

LONG = "".join(f"line {i}\n" for i in range(400))  # past sigopt-python's 1024: it cuts it

run = sigopt.create_run(name="maps")
refused = {}
with run:
    run.params.update({"eta": 0.3, "max_depth": 6})
    run.set_parameters_sources_meta("User Specified", sort=2, default_show=True)
    run.set_parameter_source("eta", "User Specified")
    run.set_parameters_sources_meta("XGBoost Defaults", sort=4, default_show=False)
    run.set_parameters_source({"max_depth": 6}, "XGBoost Defaults")
    run.set_logs({"stdout": LONG, "stderr": ""})
    run.log_sys_metadata("feature_importances", {"type": "weight", "scores": {"f0": 12.0}})
    run.log_sys_metadata("feature_importances", {"scores": {"f1": 0.5}})
    run.log_dev_metadata("xgboost", 1)
    run.log_metric("loss", 0.25)
    for name, call in {
        "unknown_sys_metadata": lambda: run.log_sys_metadata("host", "h"),
        "source_of_no_parameter": lambda: run.set_parameter_source("gamma", "User Specified"),
        "long_source": lambda: run.set_parameter_source("eta", "s" * 31),
    }.items():
        try:
            call()
        except ApiException as err:
            refused[name] = {"status": err.status_code, "message": str(err)}
sigopt.archive_run(run.id)  # a PUT of {"deleted": true}, then of {"deleted": false}
sigopt.unarchive_run(run.id)
fetched = sigopt.get_run(run.id)

print(json.dumps({"run": fetched.to_json(), "refused": refused}))
