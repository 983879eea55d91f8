"""Quickstart: a design-of-experiments campaign from a CSV space, with simulated responses.

The Daptics workflow on the embedded service, step by step:

1. describe the experimental space in a CSV file (one row per parameter);
2. create a session and put the space (population size, replicates);
3. for each generation: generate a design, run the experiments (here the
   service's simulator stands in for the lab), put the responses back;
4. ask for the recommended experiment and save the whole history as CSV.

    python examples/campaign_quickstart.py [--database PATH] [--out DIR] [--generations N]

By default the store and the files live in a temporary folder, removed at the end.
Run again with the same --database, it goes on with that campaign: N more generations,
after waiting for a task an earlier run left queued (Ctrl-C during a wait) and putting the
space or sending back a design's responses if that run stopped before doing so; it stops
early, saying so, once the space has no untested experiment left.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path
from typing import Any

import sigopt_like

# A factorial space: name, type, then the levels (no header row).
SPACE_CSV = """\
temperature,numerical,40,60,80,100,120
pressure,numerical,1,2,5,10
catalyst,categorical,Pd,Pt,Ni
solvent,categorical,water,ethanol,toluene,DMSO
"""


def put_space(campaign: Any, space: sigopt_like.Space) -> None:
    """Put and validate the campaign's space (population size 12, one replicate)."""
    task = campaign.space.put(space=space, population_size=12, replicates=1, wait=True)
    print(f"space validated: {task.result.space_size} possible experiments")


def finish_left_tasks(campaign: Any) -> None:
    """Wait for the tasks an earlier run left unfinished (Ctrl-C during a wait stops the
    waiting, not the task): until they finish, a new space or generate is refused
    (ConflictError, task_running)."""
    for task in campaign.tasks.list():
        if task.status in ("new", "running"):
            print(f"waiting for task {task.id} ({task.type}) left by an earlier run")
            campaign.tasks(task.id).wait()


def send_pending_responses(campaign: Any) -> None:
    """Measure and send back the design an earlier run generated but stopped (Ctrl-C)
    before its responses went back: until they are in, the next generate is refused
    (ConflictError, design_pending)."""
    generations = campaign.history.fetch().generations
    last = generations[-1] if generations else None
    if last is None or last.gen < 1 or any(r is not None for r in last.table.responses()):
        return
    design = campaign.design.fetch(gen=last.gen)
    measured = campaign.responses.simulate(design)
    campaign.experiments.put(type="designed", table=measured, wait=True)
    print(f"generation {last.gen} (left pending by an earlier run): responses sent")


def run(database: str, out: Path, generations: int) -> None:
    """Run ``generations`` simulated generations; files go to ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    space_file = out / "space.csv"
    space_file.write_text(SPACE_CSV, encoding="utf-8")

    # export_dir: the client saves the validated space and each design there
    # (auto_validated_space.csv, auto_gen1_design.csv, ...), as Daptics' client did.
    # No host: the service runs in this process, on the SQLite file `database`.
    with sigopt_like.Connection(database=database, export_dir=str(out)) as conn:
        # 1-2. The space, read and checked on this side, then validated by the service
        #      (which also checks that it is large enough for the population size).
        space = sigopt_like.Space.from_csv(space_file, type="factorial")
        # A --database kept from an earlier run holds the campaign: go on with it (a
        # session's name is unique, so creating it again would be a ConflictError).
        earlier = [s for s in conn.sessions.list(q="quickstart") if s.name == "quickstart"]
        if earlier:
            campaign = conn.sessions(earlier[0].id)
            finish_left_tasks(campaign)
            try:
                size = campaign.space.fetch().size()
            except sigopt_like.NotFoundError:  # the earlier run stopped before its space
                put_space(campaign, space)
            else:
                print(f"continuing session {earlier[0].id}: {size} possible experiments")
                send_pending_responses(campaign)
        else:
            session = conn.sessions.create(
                name="quickstart", description="catalyst screen", seed=11
            )
            campaign = conn.sessions(session.id)
            put_space(campaign, space)

        # 3. Generations: design -> experiments (simulated) -> responses back.
        for _ in range(generations):
            try:
                generated = campaign.generate(wait=True).result
            except sigopt_like.ConflictError as err:
                if err.code != "campaign_completed":
                    raise
                print("the campaign is completed: the space has no untested experiment left")
                break
            design = generated.experiments  # a Table, Response column empty
            measured = campaign.responses.simulate(design)  # the same rows, Response filled
            campaign.experiments.put(type="designed", table=measured, wait=True)
            responses = [r for r in measured.responses() if r is not None]
            print(
                f"generation {generated.gen}: {len(measured)} experiments, "
                f"best {max(responses):.3f}"
            )

        # 4. The recommendation and the history (Seq_, Gen_, Designed_ columns).
        best = campaign.best.fetch()
        print(f"recommended experiment: {best.experiment}")
        print(f"predicted response: {best.predicted_response:.3f}")
        history = campaign.history.fetch()
        table = history.to_table()
        table.to_csv(out / "history.csv")
        print(f"history: {len(table)} experiments saved to history.csv")
    print("files:", ", ".join(sorted(p.name for p in out.glob("*.csv"))))


def main() -> None:
    """Parse the options and run the campaign (temporary store and folder by default)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", help="SQLite file (default: a temporary file)")
    parser.add_argument("--out", help="folder for the CSV files (default: a temporary folder)")
    parser.add_argument("--generations", type=int, default=3, help="generations (default: 3)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        database = args.database or str(Path(tmp) / "quickstart.sqlite3")
        out = Path(args.out) if args.out else Path(tmp) / "files"
        run(database, out, args.generations)


if __name__ == "__main__":
    main()
