"""Check that this checkout designs the benchmark spaces byte for byte as older code does.

    python benchmarks/design_unchanged.py --baseline main [--gens 4] [--populations 20,200]

Both checkouts (this one, and the code at ``--baseline`` extracted from git) run
``design_batch`` for ``--gens`` generations with fixed seeds on every space of the
benchmark families (TUNE and VALIDATION, ``benchmarks/spaces.py``) and the seeds' two
example spaces (a factorial and a mixture), each at every population, with noiseless
responses from the ``peaks`` surface and with each point read twice, the readings apart
(the noisy path). Printed: one line per case, ``same`` or ``DIFFERENT``; the exit status
is 1 if any design differs. For a change meant to speed the engine up without moving
its designs (and with them the benchmark figures).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from perf_common import REPO, baseline_checkout, python

WORKER = r"""
import hashlib, json, sys
sys.path.insert(0, ".")
from benchmarks.design_benchmark import true_values
from benchmarks.spaces import TUNE_SPACES, VALIDATION_SPACES, grid, make_space
from benchmarks.surfaces import make_surface
from sigopt_like.service.optimizer import design_batch
from sigopt_like.spaces import Space

gens = int(sys.argv[1])
populations = [int(p) for p in sys.argv[2].split(",")]
examples = {
    "seed factorial": Space.from_dict({"type": "factorial", "parameters": [
        {"name": "param1", "type": "numerical", "values": [0, 1, 2, 3]},
        {"name": "param2", "type": "numerical", "values": [2, 3]},
        {"name": "param3", "type": "numerical", "values": [0, 1, 2]},
        {"name": "param4", "type": "numerical", "values": [0, 1, 2, 3]}]}),
    "seed mixture": Space.from_dict({"type": "mixture", "total_units": 25, "parameters": [
        {"name": "param1", "type": "unit", "min": 1, "max": 10},
        {"name": "param2", "type": "unit", "min": 2, "max": 10},
        {"name": "param3", "type": "unit", "min": 4, "max": 8},
        {"name": "param4", "type": "unit", "min": 2, "max": 5}]}),
}
spaces = {name: make_space(name) for name in TUNE_SPACES + VALIDATION_SPACES}
spaces.update(examples)
out = {}
for name, space in spaces.items():
    g = grid(space)
    surface = make_surface("peaks", g, 0)
    index = g.index_of()
    for population in populations:
        for noisy in (False, True):
            observations, digest = [], hashlib.sha256()
            for gen in range(gens):
                batch = design_batch(space, observations, batch_size=population, seed=gen)
                digest.update(repr(batch).encode())
                values = true_values(g, surface, batch, index).tolist()
                observations += list(zip(batch, values))
                if noisy:
                    observations += [(p, v + 0.05 * (-1) ** k) for k, (p, v)
                                     in enumerate(zip(batch, values))]
            out[f"{name} population {population}{' noisy' if noisy else ''}"] = (
                digest.hexdigest())
print(json.dumps(out))
"""


def _digests(code: Path, gens: int, populations: str) -> dict[str, str]:
    done = python(code, "-c", WORKER, str(gens), populations, check=True)
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--baseline", required=True, help="a git ref: the older code")
    parser.add_argument("--gens", type=int, default=4)
    parser.add_argument("--populations", default="20,200")
    args = parser.parse_args()
    older = baseline_checkout(args.baseline)  # the commit the ref names as the run starts
    subject = _digests(REPO, args.gens, args.populations)
    baseline = _digests(older, args.gens, args.populations)
    differ = 0
    for case, digest in subject.items():
        same = baseline.get(case) == digest
        differ += not same
        print(f"{case:<40s} {'same' if same else 'DIFFERENT'}")
    print(f"{len(subject) - differ} of {len(subject)} designs the same as {args.baseline}")
    return 1 if differ else 0


if __name__ == "__main__":
    raise SystemExit(main())
