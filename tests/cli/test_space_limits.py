"""A space too large to count is refused with what to change, not a task's ValueError.

Before: ``space put`` of a file of 15,000 two-level parameters (2**15000 experiments) ran
its task to the end, where the size, written as a decimal integer, passed Python's
4,300-digit limit: "the task failed unexpectedly: ValueError: Exceeds the limit (4300
digits) for integer string conversion", with the worker's traceback on standard error.
"""

from __future__ import annotations

from pathlib import Path

from sigopt_like._constants import MAX_REMAINING
from sigopt_like.spaces import (
    MAX_COMPONENTS,
    MAX_SIZE_DIGITS,
    CategoricalParameter,
    MixtureComponent,
    Space,
)

from .test_errors import one_line


def _space_file(path: Path, parameters: int) -> Path:
    path.write_text("".join(f"p{i},numerical,1,2\n" for i in range(parameters)))
    return path


def test_a_space_too_large_to_count_is_one_line_and_stores_nothing(
    run, tmp_path, monkeypatch
) -> None:
    monkeypatch.setenv("SIGOPT_LIKE_DATABASE", str(tmp_path / "limits.db"))
    assert run("sessions", "create", "wide").code == 0
    before = run("sessions", "show", "1", "--json").json()
    many = _space_file(tmp_path / "many.csv", 15_000)  # 2**15000: about 10^4,515
    line = one_line(
        run("space", "put", "1", many, "--type", "factorial", "--population", "4",
            "--replicates", "0", "-q")
    )  # fmt: skip
    assert f"more than 10^{MAX_SIZE_DIGITS:,} distinct experiments (about 10^4,515)" in line
    assert run("sessions", "show", "1", "--json").json() == before

    # no cap on the parameters themselves: 2,000 two-level ones are counted and taken
    wide = _space_file(tmp_path / "wide.csv", 2_000)
    put = run(
        "space", "put", "1", wide, "--type", "factorial", "--population", "4",
        "--replicates", "0", "-q",
    )  # fmt: skip
    assert put.code == 0, put.err


def test_a_mixture_past_the_components_counted_names_it() -> None:
    def mixture(components: int) -> Space:
        units = [MixtureComponent(name=f"c{i}", min=0, max=10) for i in range(components)]
        return Space(type="mixture", parameters=units, total_units=10)

    (problem,) = mixture(MAX_COMPONENTS + 1).validate()
    assert "the mixture has 1,001 components; the service counts at most 1,000" in problem.message
    assert mixture(MAX_COMPONENTS).validate() == []


def test_a_space_past_the_countable_size_names_it() -> None:
    levels = [f"l{k}" for k in range(11)]  # 4,001 x log10(11) > 4,000 digits
    space = Space(
        type="factorial",
        parameters=[CategoricalParameter(name=f"p{i}", values=levels) for i in range(4_001)],
    )
    (problem,) = space.validate()
    assert f"more than 10^{MAX_SIZE_DIGITS:,} distinct experiments" in problem.message
    assert "use fewer parameters or levels" in problem.message


def test_remaining_past_the_cap_reads_as_a_lower_bound(run, tmp_path, monkeypatch) -> None:
    """20 ten-level parameters (10**20 experiments) at population 1: the service keeps
    ``remaining`` at its cap, 2**31 - 1 (an INTEGER column), and ``sessions show`` printed
    "remaining: 2147483647", a count that read as exact. It now says "2,147,483,647 or
    more"; ``--json`` keeps the API's integer."""
    monkeypatch.setenv("SIGOPT_LIKE_DATABASE", str(tmp_path / "huge.db"))
    assert run("sessions", "create", "huge").code == 0
    levels = ",".join(str(v) for v in range(10))
    huge = tmp_path / "huge.csv"
    huge.write_text("".join(f"p{i},numerical,{levels}\n" for i in range(20)))
    put = run(
        "space", "put", "1", huge, "--type", "factorial", "--population", "1",
        "--replicates", "0", "-q",
    )  # fmt: skip
    assert put.code == 0, put.err
    assert run("sessions", "show", "1", "--json").json()["remaining"] == MAX_REMAINING
    shown = run("sessions", "show", "1").out.splitlines()
    (line,) = [x for x in shown if x.startswith("remaining:")]
    assert line.split(":", 1)[1].strip() == "2,147,483,647 or more", shown


def test_a_mixture_too_large_to_count_at_once_is_left_to_the_service(
    run, tmp_path, monkeypatch
) -> None:
    """Before: ``space put`` counted a mixture of any size itself before sending it (half a
    minute and more for 1,000 components of 10,000 units), then the service counted it
    again. A mixture past ``counted_at_once`` (50,000 cells) is the service's to judge:
    here 6 components x 10,001 units, of only 32 distinct experiments, so the service's
    task refuses a population of 100, in its words."""
    from sigopt_like.population import counted_at_once

    counted_here: list[bool] = []
    size = Space.size

    def watched(space: Space) -> int:
        import inspect

        names = {frame.function for frame in inspect.stack()}
        counted_here.append("_check_design_size" in names)
        return size(space)

    monkeypatch.setattr(Space, "size", watched)
    monkeypatch.setenv("SIGOPT_LIKE_DATABASE", str(tmp_path / "mixture.db"))
    assert run("sessions", "create", "blend").code == 0
    blend = tmp_path / "blend.csv"
    blend.write_text("c0,unit,0,10000\n" + "".join(f"c{i},unit,0,1\n" for i in range(1, 6)))
    space = Space.from_csv(blend.read_text(), type="mixture", total_units=10_000)
    assert not counted_at_once(space)
    counted_here.clear()
    sized = ("--type", "mixture", "--total-units", "10000", "--replicates", "0", "-q")
    done = run("space", "put", "1", blend, "--population", "100", *sized)
    assert done.code == 1 and "Task 1 (space) of session 1 failed" in done.err, done.err
    assert "the space has 32 distinct experiments" in done.err, done.err
    assert counted_here and not any(counted_here), counted_here  # the service's count only
    done = run("space", "put", "1", blend, "--population", "0", *sized)  # needs no count
    assert done.code == 1 and done.err.startswith("sigopt-like: error: --population:"), done.err
    counted_here.clear()
    done = run("space", "put", "1", blend, "--population", "32", *sized)
    assert done.code == 0 and "32 possible experiments" in done.out, done.err
    assert counted_here and not any(counted_here), counted_here
