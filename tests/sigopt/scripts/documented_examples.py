"""SigOpt's documented examples, as written, against this service: the sigopt-python
README's optimization loop, the docs' "Create an Experiment" and "Optimization Loop"
pages, and examples/basic.py and examples/parallel.py of sigopt-python (their workers
bounded, and each evaluation a quick function). The only change: the token and the URL
come from SIGOPT_API_TOKEN and SIGOPT_API_URL, as sigopt-python reads them (the docs'
``conn.set_api_url("https://api.sigopt.com")`` becomes this service's URL). Prints what
it saw as JSON."""

import json
import os
import threading

from sigopt import Connection
from sigopt.examples import franke_function

SIGOPT_API_TOKEN = os.environ["SIGOPT_API_TOKEN"]
seen = {}

# ---- sigopt-python's README, "Issuing Requests"
conn = Connection(client_token=SIGOPT_API_TOKEN)

experiment = conn.experiments().create(
    name="Franke Optimization",
    parameters=[
        dict(name="x", type="double", bounds=dict(min=0.0, max=1.0)),
        dict(name="y", type="double", bounds=dict(min=0.0, max=1.0)),
    ],
)
print("Created experiment: https://sigopt.com/experiment/" + experiment.id)


# Evaluate your model with the suggested parameter assignments
# Franke function - http://www.sfu.ca/~ssurjano/franke2d.html
def evaluate_model(assignments):
    return franke_function(assignments["x"], assignments["y"])


# Run the Optimization Loop between 10x - 20x the number of parameters
for _ in range(20):
    suggestion = conn.experiments(experiment.id).suggestions().create()
    value = evaluate_model(suggestion.assignments)
    conn.experiments(experiment.id).observations().create(
        suggestion=suggestion.id,
        value=value,
    )
readme = conn.experiments(experiment.id).fetch()
seen["readme"] = {
    "observations": readme.progress.observation_count,
    "metrics": [m.name for m in readme.metrics],
}

# ---- docs: "Create an Experiment", then "Optimization Loop", "Putting it all together"
conn = Connection(client_token=SIGOPT_API_TOKEN)
conn.set_api_url(os.environ["SIGOPT_API_URL"])

experiment = conn.experiments().create(
    name="Classifier Accuracy",
    parameters=[dict(name="gamma", bounds=dict(min=0, max=50), type="double")],
    metrics=[dict(name="Accuracy")],
    observation_budget=12,
    parallel_bandwidth=1,
    project="sigopt-examples",
)
EXPERIMENT_ID = experiment.id
dataset = None


def evaluate_metric(assignments, dataset):
    return -((assignments["gamma"] - 20.0) ** 2)


experiment = conn.experiments(EXPERIMENT_ID).fetch()

# Run the Optimization Loop until the Observation Budget is exhausted
while experiment.progress.observation_count < experiment.observation_budget:
    # Receive a suggestion
    suggestion = conn.experiments(experiment.id).suggestions().create()

    # Evaluate your metric
    value = evaluate_metric(suggestion.assignments, dataset)

    # Report an observation
    conn.experiments(experiment.id).observations().create(
        suggestion=suggestion.id,
        value=value,
    )

    # Update the experiment object
    experiment = conn.experiments(experiment.id).fetch()

# Fetch the best configuration and explore your experiment
all_best_assignments = conn.experiments(experiment.id).best_assignments().fetch()
# Returns a list of dict-like Observation objects
best_assignments = all_best_assignments.data[0].assignments
print("Best Assignments: " + str(best_assignments))
# Access assignment values as:
# parameter_value = best_assignments['parameter_name']
seen["docs"] = {
    "observations": experiment.progress.observation_count,
    "project": experiment.project,
    "best": best_assignments["gamma"],
    "values": [
        o.value for o in conn.experiments(experiment.id).observations().fetch().iterate_pages()
    ],
}

# ---- examples/basic.py (observation_budget 5; the metric a function of x)
connection = Connection(client_token=SIGOPT_API_TOKEN)
experiment = connection.experiments().create(
    name="Basic Test experiment",
    parameters=[{"name": "x", "bounds": {"max": 50.0, "min": 0.0}, "type": "double"}],
    observation_budget=5,
)
print(f"Created experiment id {experiment.id}")
for _ in range(experiment.observation_budget):
    suggestion = connection.experiments(experiment.id).suggestions().create()
    value = suggestion.assignments["x"] / 50.0
    connection.experiments(experiment.id).observations().create(
        suggestion=suggestion.id,
        value=value,
    )
seen["basic"] = connection.experiments(experiment.id).fetch().progress.observation_count


# ---- examples/parallel.py (2 runners of 4 evaluations each, no sleep)
class ExampleRunner(threading.Thread):
    def __init__(self, client_token, experiment_id):
        threading.Thread.__init__(self)
        self.connection = Connection(client_token=client_token)
        self.experiment_id = experiment_id
        self.points = []

    def run(self):
        for _ in range(4):
            suggestion = self.connection.experiments(self.experiment_id).suggestions().create()
            value = franke_function(suggestion.assignments["x1"], suggestion.assignments["x2"])
            self.points.append(dict(suggestion.assignments))
            self.connection.experiments(self.experiment_id).observations().create(
                suggestion=suggestion.id,
                value=value,
            )


conn = Connection(client_token=SIGOPT_API_TOKEN)
experiment = conn.experiments().create(
    name="Parallel Test Franke Function",
    parameters=[
        {"name": "x1", "bounds": {"max": 1.0, "min": 0.0}, "type": "double"},
        {"name": "x2", "bounds": {"max": 1.0, "min": 0.0}, "type": "double"},
    ],
)
runners = [ExampleRunner(SIGOPT_API_TOKEN, experiment.id) for _ in range(2)]
for runner in runners:
    runner.daemon = True
    runner.start()
for runner in runners:
    runner.join()
seen["parallel"] = {
    "observations": conn.experiments(experiment.id).fetch().progress.observation_count,
    "points": [p for r in runners for p in r.points],
    "open": conn.experiments(experiment.id).suggestions().fetch(state="open").count,
}
print(json.dumps(seen))
