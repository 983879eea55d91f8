"""A whole campaign with the command line alone: embedded, then served."""

from __future__ import annotations

import csv
import threading
from typing import Any

import pytest

from sigopt_like.cli.options import PhaseLines
from sigopt_like.service import create_app
from sigopt_like.service.worker import TaskContext

from .conftest import DATA, measure

SPACE = DATA / "esd-factorial-4x8.csv"


def campaign(run, tmp_path, *where: str) -> None:
    """sessions create -> space put -> generate -> design -> experiments put -> ... -> analytics."""
    created = run(
        "sessions", "create", "alloy", "--description", "cli run", "--tag", "AL-7", "--json", *where
    )  # fmt: skip
    assert created.code == 0, created.err
    sid = created.json()["id"]
    assert created.json()["name"] == "alloy" and created.json()["tag"] == "AL-7"
    shown = run("sessions", "show", sid, *where)
    assert shown.code == 0 and "AL-7" in shown.out, shown.err
    found = run("sessions", "list", "--search", "al-7", "--json", *where)
    assert [s["id"] for s in found.json()] == [sid]

    done = run(
        "space", "put", sid, SPACE, "--type", "factorial",
        "--population", 10, "--replicates", 1, *where,
    )  # fmt: skip
    assert done.code == 0, done.err
    assert "4,096 possible experiments" in done.out
    assert "space" in done.err  # the task's progress, on standard error

    done = run("generate", sid, *where)
    assert done.code == 0 and "generation 1 designed, 20 experiments" in done.out, done.err

    design = tmp_path / "gen1.csv"
    done = run("design", sid, "-o", design, *where)
    assert done.code == 0, done.err
    rows = list(csv.reader(design.open()))
    assert rows[0] == ["param1", "param2", "param3", "param4", "Response"]
    assert len(rows) == 21 and all(row[-1] == "" for row in rows[1:])

    measured = tmp_path / "gen1-measured.csv"
    measure(design, measured)
    done = run("experiments", "put", sid, measured, "--type", "designed", "--generate-next", *where)
    assert done.code == 0, done.err
    assert "generation 2 designed" in done.out

    second = tmp_path / "gen2.csv"
    assert run("design", sid, "--gen", 2, "-o", second, *where).code == 0
    measure(second, tmp_path / "gen2-measured.csv")
    measured = tmp_path / "gen2-measured.csv"
    done = run("experiments", "put", sid, measured, "--type", "designed", *where)
    assert done.code == 0 and "20 designed experiments accepted" in done.out, done.err

    history = tmp_path / "history.csv"
    assert run("history", sid, "-o", history, *where).code == 0
    lines = history.read_text().splitlines()
    assert lines[0].startswith("Seq_,Gen_,Designed_") and len(lines) == 41

    best = run("best", sid, "--json", *where)
    assert best.code == 0
    assert set(best.json()["experiment"]) == {"param1", "param2", "param3", "param4"}

    shown = run("sessions", "show", sid, "--json", *where).json()
    assert shown["gen"] == 2 and shown["population_size"] == 10

    listed = run("sessions", "list", *where)
    assert listed.code == 0 and "alloy" in listed.out and listed.out.startswith("id")

    plots = tmp_path / "plots"
    done = run("analytics", sid, "-o", plots, "-q", *where)
    assert done.code == 0, done.err
    assert done.err == ""  # --quiet: no progress
    assert {"responses_by_generation.png", "summary.csv"} <= {p.name for p in plots.iterdir()}

    done = run("sessions", "halt", sid, *where)
    assert done.code == 0 and "halted" in done.out


def test_a_whole_campaign_embedded(run, tmp_path, monkeypatch):
    """Before: `sigopt-like sessions list` was "invalid choice: 'sessions'"."""
    monkeypatch.setenv("SIGOPT_LIKE_DATABASE", str(tmp_path / "lab.db"))
    campaign(run, tmp_path)


def test_a_whole_campaign_served(run, tmp_path, served):
    campaign(run, tmp_path, "--host", served.url, "--token", served.token)


def test_served_through_the_environment(run, served, monkeypatch):
    monkeypatch.setenv("SIGOPT_LIKE_HOST", served.url)
    monkeypatch.setenv("SIGOPT_LIKE_TOKEN", served.token)
    assert run("sessions", "create", "by-env").code == 0
    assert "by-env" in run("sessions", "list").out
    denied = run("sessions", "list", "--token", "wrong")
    assert denied.code == 1 and "401" in denied.err and "Traceback" not in denied.err


def test_simulate_runs_generations(run, tmp_path, monkeypatch):
    monkeypatch.setenv("SIGOPT_LIKE_DATABASE", str(tmp_path / "sim.db"))
    sid = run("sessions", "create", "sim", "--json").json()["id"]
    run("space", "put", sid, SPACE, "--type", "factorial", "--population", 10, "--replicates", 0)
    done = run("simulate", sid, "--generations", 2, "-q")
    assert done.code == 0, done.err
    lines = done.out.splitlines()
    assert lines[0].split() == ["gen", "experiments", "best", "response"]
    assert [line.split()[0] for line in lines[1:]] == ["1", "2"]
    assert run("simulate", sid, "--generations", 2, "--json", "-q").json()["status"] == "success"


@pytest.mark.parametrize("space_type", ["mixture"])
def test_a_mixture_space_with_total_units(run, tmp_path, monkeypatch, space_type):
    monkeypatch.setenv("SIGOPT_LIKE_DATABASE", str(tmp_path / "mix.db"))
    sid = run("sessions", "create", "blend", "--json").json()["id"]
    done = run(
        "space", "put", sid, DATA / "esd-mixture-5.csv", "--type", space_type,
        "--total-units", 15, "--population", 10, "--replicates", 1,
    )  # fmt: skip
    assert done.code == 0, done.err
    assert run("space", "show", sid, "--json").json()["type"] == "mixture"


def test_what_a_terminal_would_act_on_is_printed_as_an_escape(run, tmp_path, monkeypatch):
    """Before: a description's line break split its row of ``sessions list`` in two, an
    escape sequence in a SigOpt name (kept as given) went to the terminal (``\\x1b[2J``
    clears the screen), and U+202E printed the rest of a line right to left."""
    monkeypatch.setenv("SIGOPT_LIKE_DATABASE", str(tmp_path / "shown.db"))
    made = run("sessions", "create", "notes", "--description", "line one\nline two\x1b[31m")
    assert made.code == 0, made.err
    listed = run("sessions", "list").out.splitlines()
    assert len(listed) == 2 and listed[1].endswith("line one\\nline two\\x1b[31m"), listed
    shown = run("sessions", "show", "1").out.splitlines()
    at = next(i for i, line in enumerate(shown) if line.startswith("description:"))
    assert shown[at].endswith(" line one")  # its next line under it, not a field of its own
    assert shown[at + 1] == " " * shown[at].index("line one") + "line two\\x1b[31m"
    name, parameter = "exp\x1b[2J", "x\u202eevil"
    created = run("experiments", "create", "--name", "exp", "-p", f"{parameter}:double:0:1")
    assert created.code == 0, created.err
    # a SigOpt name holding a control character is refused since the names' rule; one
    # stored before it is still printed escaped (written here as such a row was)
    service = create_app(database=str(tmp_path / "shown.db"), run_tasks=False)
    with service, service.context.store.sigopt.write() as unit:
        unit.experiments.update(1, {"name": name}, 1)
    for done in (run("experiments", "list"), run("experiments", "show", "1")):
        assert done.code == 0, done.err
        assert "\u202e" not in done.out and "\x1b" not in done.out, done.out
        assert "exp\\x1b[2J" in done.out
    assert "x\\u202eevil (double)" in run("experiments", "show", "1").out
    assert run("experiments", "show", "1", "--json").json()["name"] == name  # data as it is


def _held_until_printed(monkeypatch: pytest.MonkeyPatch, phase: str) -> None:
    """A task's worker (a thread of the command's own embedded service) stays in
    ``phase`` after each progress it reports there until the waiting command has printed
    a line of that phase (60 s at most): the command follows the task's events, which
    may pass over so short a state, and a fast task can be past it before the stream
    opens."""
    shown = threading.Condition()
    printed, held = [0], [0]
    echo, report = PhaseLines.__call__, TaskContext.progress

    def echoed(self: PhaseLines, task: Any) -> None:
        before = self.last
        echo(self, task)
        if self.last != before and task.phase == phase:
            with shown:
                printed[0] += 1
                shown.notify_all()

    def reported(self: TaskContext, at: str, fraction: float, message: str = "") -> None:
        report(self, at, fraction, message)
        if at == phase:
            with shown:
                held[0] += 1
                shown.wait_for(lambda: printed[0] >= held[0], timeout=60)

    monkeypatch.setattr(PhaseLines, "__call__", echoed)
    monkeypatch.setattr(TaskContext, "progress", reported)


def test_a_population_of_one_is_said_in_the_singular(run, tmp_path, monkeypatch):
    """Before: "designed, 1 experiments", "(1 experiments)", "1 experiments accepted" and the
    progress lines "checking 1 experiments", "chose 1 experiments"."""
    monkeypatch.setenv("SIGOPT_LIKE_DATABASE", str(tmp_path / "one.db"))
    _held_until_printed(monkeypatch, "validating experiments")  # "checking ...": shown
    sid = run("sessions", "create", "one", "--json").json()["id"]
    done = run(
        "space", "put", sid, SPACE, "--type", "factorial", "--population", 1, "--replicates", 0
    )
    assert done.code == 0, done.err
    done = run("generate", sid)
    assert done.code == 0 and "generation 1 designed, 1 experiment\n" in done.out, done.err
    design = tmp_path / "gen1.csv"
    done = run("design", sid, "-o", design)
    assert done.code == 0 and done.out == f"wrote {design} (1 experiment)\n", done.err
    measured = tmp_path / "gen1-measured.csv"
    measure(design, measured)
    said = []
    for gen in (2, 3):
        done = run("experiments", "put", sid, measured, "--type", "designed", "--generate-next")
        assert done.code == 0, done.err
        assert f"1 experiment accepted; generation {gen} designed, 1 experiment:" in done.out, (
            done.out
        )
        said.append(done.err)
        design = tmp_path / f"gen{gen}.csv"
        assert run("design", sid, "--gen", gen, "-o", design).code == 0
        measure(design, measured)
    progress = "".join(said)
    assert "checking 1 experiment\n" in progress and "1 designed experiment stored" in progress
    assert "1 experiments" not in progress, progress
    done = run("experiments", "put", sid, measured, "--type", "designed")
    assert done.code == 0 and "1 designed experiment accepted" in done.out, done.err
    history = tmp_path / "history.csv"
    done = run("history", sid, "-o", history)
    assert done.code == 0 and f"wrote {history} (3 experiments)" in done.out, done.err


def test_design_does_not_replace_a_file_holding_the_labs_responses(run, tmp_path, monkeypatch):
    """Before: ``design 1 -o gen1.csv`` replaced a gen1.csv the lab had filled in, silently."""
    monkeypatch.setenv("SIGOPT_LIKE_DATABASE", str(tmp_path / "lab.db"))
    sid = run("sessions", "create", "lab", "--json").json()["id"]
    run("space", "put", sid, SPACE, "--type", "factorial", "--population", 3, "--replicates", 0)
    assert run("generate", sid).code == 0
    design = tmp_path / "gen1.csv"
    assert run("design", sid, "-o", design).code == 0
    done = run("design", sid, "-o", design)  # the same design again: nothing lost
    assert done.code == 0 and "wrote" in done.out, done.err
    measure(design, design)  # the lab fills it in where it is
    filled = design.read_bytes()
    done = run("design", sid, "-o", design)
    assert done.code == 1 and done.out == "", done.out
    assert "gen1.csv exists and holds something else" in done.err, done.err
    assert "--force" in done.err and design.read_bytes() == filled
    done = run("design", sid, "-o", design, "--force")
    assert done.code == 0 and design.read_bytes() != filled, done.err
    assert all(row.endswith(",") for row in design.read_text().splitlines()[1:])


def test_generate_and_history_do_not_replace_a_file_holding_something_else(
    run, tmp_path, monkeypatch
):
    """Before: only ``design -o`` kept a file the lab had filled in; ``generate -o`` and
    ``history -o`` replaced it without a word. One rule now, one message, ``--force``."""
    monkeypatch.setenv("SIGOPT_LIKE_DATABASE", str(tmp_path / "lab.db"))
    sid = run("sessions", "create", "lab", "--json").json()["id"]
    run("space", "put", sid, SPACE, "--type", "factorial", "--population", 3, "--replicates", 0)
    kept = tmp_path / "gen1.csv"
    kept.write_text("the lab's responses\n")
    done = run("generate", sid, "-o", kept, "-q")
    assert done.code == 1 and done.out == "", done.out
    assert "gen1.csv exists and holds something else" in done.err, done.err
    assert "nothing was done; give --force" in done.err, done.err
    assert kept.read_text() == "the lab's responses\n"
    tasks = run("tasks", "list", sid, "--json").json()
    assert [t["type"] for t in tasks] == ["space"], tasks  # nothing designed
    done = run("generate", sid, "-o", kept, "-q", "--force")
    assert done.code == 0 and kept.read_text().startswith("param1"), done.err
    empty = tmp_path / "empty.csv"
    empty.write_text("")  # holds nothing to lose: written as asked
    assert run("design", sid, "-o", empty).code == 0 and empty.read_text().startswith("param1")
    history = tmp_path / "history.csv"
    history.write_text("the lab's notes\n")
    done = run("history", sid, "-o", history)
    assert done.code == 1 and "history.csv exists and holds something else" in done.err
    assert history.read_text() == "the lab's notes\n"
    assert run("history", sid, "-o", history, "--force").code == 0
    written = history.read_text()
    assert written.startswith("Seq_,Gen_,Designed_")
    done = run("history", sid, "-o", history)  # the same history again: nothing lost
    assert done.code == 0 and history.read_text() == written, done.err


def test_analytics_does_not_replace_files_holding_something_else(run, tmp_path, monkeypatch):
    """Before: ``analytics -o DIR`` replaced files of the same names there (an earlier
    generation's downloads, the user's own) without a word. ``design -o``'s rule now: all
    the files checked before any is written, so a refusal writes none; ``--force``."""
    monkeypatch.setenv("SIGOPT_LIKE_DATABASE", str(tmp_path / "lab.db"))
    sid = run("sessions", "create", "lab", "--json").json()["id"]
    run("space", "put", sid, SPACE, "--type", "factorial", "--population", 3, "--replicates", 0)
    design = tmp_path / "gen1.csv"
    assert run("generate", sid, "-o", design, "-q").code == 0
    measure(design, design)
    assert run("experiments", "put", sid, design, "--type", "designed").code == 0
    plots = tmp_path / "plots"
    done = run("analytics", sid, "-o", plots, "-q")
    assert done.code == 0, done.err
    first = {p.name: p.read_bytes() for p in plots.iterdir()}
    assert {"responses_by_generation.png", "summary.csv"} <= set(first)

    (plots / "summary.csv").write_text("the user's own summary\n")
    (plots / "responses_by_generation.png").unlink()  # a refusal must not write it back
    done = run("analytics", sid, "-o", plots, "-q")
    assert done.code == 1 and done.out == "", done.out
    assert "summary.csv exists and holds something else" in done.err, done.err
    assert "nothing was written; give --force to replace it" in done.err, done.err
    assert (plots / "summary.csv").read_text() == "the user's own summary\n"
    assert not (plots / "responses_by_generation.png").exists()

    done = run("analytics", sid, "-o", plots, "-q", "--force")
    assert done.code == 0, done.err
    assert (plots / "summary.csv").read_bytes() != b"the user's own summary\n"
    assert (plots / "responses_by_generation.png").exists()
    again = {p.name: p.read_bytes() for p in plots.iterdir()}
    (plots / "summary.csv").write_text("")  # holds nothing to lose: written as asked
    done = run("analytics", sid, "-o", plots, "-q", "--json")  # the same files again: fine
    assert done.code == 0, done.err
    assert {p.name: p.read_bytes() for p in plots.iterdir()} == again


def _fill_empty_responses(path) -> None:
    """The lab types responses into the empty Response cells of a CSV it was given."""
    with open(path, newline="") as handle:
        rows = list(csv.reader(handle))
    for row in rows[1:]:
        if row[-1] == "":
            row[-1] = "7.5"
    with open(path, "w", newline="") as handle:
        csv.writer(handle).writerows(rows)


def test_history_rerun_replaces_its_own_earlier_export_and_keeps_a_filled_in_one(
    run, tmp_path, monkeypatch
):
    """Before: ``history 1 -o h.csv`` after another generation was refused ("holds
    something else (the lab's responses?) ... give --force"), though the command wrote that
    file itself. An earlier export of the same session is now replaced; one the lab typed
    responses into is still kept, and the refusal does not guess at the lab's responses."""
    monkeypatch.setenv("SIGOPT_LIKE_DATABASE", str(tmp_path / "lab.db"))
    sid = run("sessions", "create", "lab", "--json").json()["id"]
    run("space", "put", sid, SPACE, "--type", "factorial", "--population", 3, "--replicates", 0)
    design = tmp_path / "gen1.csv"
    assert run("generate", sid, "-o", design, "-q").code == 0
    history = tmp_path / "h.csv"
    assert run("history", sid, "-o", history).code == 0  # gen 1, no responses yet
    measure(design, design)
    assert run("experiments", "put", sid, design, "--type", "designed").code == 0
    done = run("history", sid, "-o", history)  # the responses came in since
    assert done.code == 0 and "wrote" in done.out, done.err
    assert run("generate", sid, "-q").code == 0
    done = run("history", sid, "-o", history)  # after another generation
    assert done.code == 0 and f"wrote {history} (6 experiments)" in done.out, done.err
    _fill_empty_responses(history)  # the lab types generation 2's responses in
    filled = history.read_bytes()
    done = run("history", sid, "-o", history)
    assert done.code == 1 and "h.csv exists and holds something else:" in done.err, done.err
    assert "lab's responses?" not in done.err and "--force" in done.err
    assert history.read_bytes() == filled


def test_analytics_rerun_replaces_its_own_earlier_download_and_keeps_other_files(
    run, tmp_path, monkeypatch
):
    """Before: ``analytics 1 -o plots`` after the next generation was refused, though the
    command had written those files itself. An earlier download of the same session (the
    folder's record says so, and the file is unchanged since) is now replaced; a file of
    the user's own under an analytics name is still kept, and nothing is written then."""
    monkeypatch.setenv("SIGOPT_LIKE_DATABASE", str(tmp_path / "lab.db"))
    sid = run("sessions", "create", "lab", "--json").json()["id"]
    run("space", "put", sid, SPACE, "--type", "factorial", "--population", 3, "--replicates", 0)
    plots = tmp_path / "plots"
    for gen in (1, 2):
        design = tmp_path / f"gen{gen}.csv"
        assert run("generate", sid, "-o", design, "-q").code == 0
        measure(design, design)
        assert run("experiments", "put", sid, design, "--type", "designed").code == 0
        done = run("analytics", sid, "-o", plots, "-q")
        assert done.code == 0 and f"analytics of generation {gen}" in done.out, done.err
    rows = (plots / "summary.csv").read_text().splitlines()
    assert [row.split(",")[0] for row in rows[1:]] == ["1", "2"], rows

    assert run("generate", sid, "-q").code == 0
    (plots / "parameter_summary.csv").write_text("the user's own notes\n")
    before = {p.name: p.read_bytes() for p in plots.iterdir()}
    done = run("analytics", sid, "-o", plots, "-q")
    assert done.code == 1, done.out
    assert "parameter_summary.csv exists and holds something else" in done.err, done.err
    assert "summary.csv," not in done.err and ".png" not in done.err, done.err
    assert {p.name: p.read_bytes() for p in plots.iterdir()} == before


def test_analytics_tells_another_sessions_download_by_the_folders_record(
    run, tmp_path, monkeypatch
):
    """Before: "the same session" was judged by summary.csv alone (its header, and the
    number of experiments of each generation), so a second session of the same design
    size replaced the first's download in the folder without a word. Every file written
    is now judged by the folder's record of who wrote it. The second session's responses
    are raised by 1, so that its summary.csv differs even when its design is the first's
    (a design of 3 of 32 experiments: now and then the same two draws, and then the same
    summary.csv bytes, which the download rightly writes over without a word)."""
    from sigopt_like.analytics_output import RECORD_FILE

    monkeypatch.setenv("SIGOPT_LIKE_DATABASE", str(tmp_path / "lab.db"))
    plots = tmp_path / "plots"
    sids = []
    for name, offset in (("first", 0.0), ("second", 1.0)):
        sid = run("sessions", "create", name, "--json").json()["id"]
        run("space", "put", sid, SPACE, "--type", "factorial", "--population", 3, "--replicates", 0)
        design = tmp_path / f"{name}.csv"
        assert run("generate", sid, "-o", design, "-q").code == 0
        measure(design, design, offset)
        assert run("experiments", "put", sid, design, "--type", "designed").code == 0
        sids.append(sid)
    assert run("analytics", sids[0], "-o", plots, "-q").code == 0
    before = {p.name: p.read_bytes() for p in plots.iterdir()}
    assert RECORD_FILE in before
    done = run("analytics", sids[1], "-o", plots, "-q")
    assert done.code == 1, done.out
    assert "summary.csv" in done.err and "nothing was written; give --force" in done.err
    assert {p.name: p.read_bytes() for p in plots.iterdir()} == before
    assert run("analytics", sids[0], "-o", plots, "-q").code == 0  # the first's own: fine


def test_analytics_over_its_own_download_after_generate_or_simulate(run, tmp_path, monkeypatch):
    """Before: ``analytics -o plots`` of generation 0 (the space alone), then ``generate``
    or ``simulate``, then ``analytics -o plots`` again was refused (generation 0's
    parameter_summary.csv has no rows, so it was not "of the same parameters"), and so was
    ``analytics --gen 1 -o plots`` over generation 2's download. Both are the session's
    own earlier download: no rule of the seeds asks to refuse them; they are replaced."""
    monkeypatch.setenv("SIGOPT_LIKE_DATABASE", str(tmp_path / "lab.db"))
    sid = run("sessions", "create", "lab", "--json").json()["id"]
    run("space", "put", sid, SPACE, "--type", "factorial", "--population", 3, "--replicates", 0)
    plots = tmp_path / "plots"
    done = run("analytics", sid, "-o", plots, "-q")
    assert done.code == 0 and "analytics of generation 0" in done.out, done.err
    assert run("generate", sid, "-q").code == 0
    done = run("analytics", sid, "-o", plots, "-q")
    assert done.code == 0 and "analytics of generation 1" in done.out, done.err
    assert run("simulate", sid, "-n", 1, "-q").code == 0
    done = run("analytics", sid, "-o", plots, "-q")
    assert done.code == 0, done.err
    latest = (plots / "summary.csv").read_bytes()
    done = run("analytics", sid, "--gen", 1, "-o", plots, "-q")  # an older one over it
    assert done.code == 0 and "analytics of generation 1" in done.out, done.err
    assert (plots / "summary.csv").read_bytes() != latest


def test_a_space_a_population_does_not_divide_runs_to_its_last_experiment(
    run, tmp_path, monkeypatch
):
    """36 experiments at population 20, typed as docs/cli.md shows: before, the first
    measured design completed the campaign ("remaining: 0"), 16 experiments never tried
    and nothing said why. Now a second generation holds the 16, and the lines say it is
    the last and that the campaign is complete."""
    monkeypatch.setenv("SIGOPT_LIKE_DATABASE", str(tmp_path / "f36.db"))
    space = tmp_path / "s36.csv"
    space.write_text("a,numerical,1,2,3,4,5,6\nb,numerical,1,2,3,4,5,6\n", encoding="utf-8")
    assert run("sessions", "create", "f36").code == 0
    sized = ("--type", "factorial", "--population", "20", "--replicates", "0", "-q")
    assert run("space", "put", "1", space, *sized).code == 0
    done = run("generate", "1", "-o", tmp_path / "g1.csv", "-q")
    assert "generation 1 designed, 20 experiments\n" in done.out, done
    measure(tmp_path / "g1.csv", tmp_path / "m1.csv")
    done = run("experiments", "put", "1", tmp_path / "m1.csv", "--type", "designed", "-q")
    assert done.code == 0 and "completed" not in done.out, done
    assert run("sessions", "show", "1", "--json").json()["remaining"] == 1
    done = run("generate", "1", "-o", tmp_path / "g2.csv", "-q")
    assert done.code == 0, done
    assert (
        "generation 2 designed, 16 experiments (the last: every experiment the space had left)"
        in done.out
    )
    measure(tmp_path / "g2.csv", tmp_path / "m2.csv")
    done = run("experiments", "put", "1", tmp_path / "m2.csv", "--type", "designed", "-q")
    assert done.code == 0 and "the campaign is completed: every experiment" in done.out, done
    shown = run("sessions", "show", "1", "--json").json()
    assert shown["completed"] is True and shown["remaining"] == 0
    assert run("history", "1", "-o", tmp_path / "h.csv").code == 0
    history = list(csv.DictReader((tmp_path / "h.csv").open()))
    assert len({(row["a"], row["b"]) for row in history}) == 36
