"""A sigopt-python script that logs images into a run, as its users write it: a PNG
and an SVG by path. Prints the run's id as JSON."""

import json
import sys

import sigopt

png, svg = sys.argv[1], sys.argv[2]
with sigopt.create_run(name="with images") as run:
    run.log_metric("accuracy", 0.9)
    run.log_image(png, name="loss curve")
    run.log_image(svg)
print(json.dumps({"run": run.id}))
