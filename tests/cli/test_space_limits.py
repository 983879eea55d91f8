"""A space too large to count is refused with what to change, not a task's ValueError.

Before: ``space put`` of a file of 15,000 two-level parameters (2**15000 experiments) ran
its task to the end, where the size, written as a decimal integer, passed Python's
4,300-digit limit: "the task failed unexpectedly: ValueError: Exceeds the limit (4300
digits) for integer string conversion", with the worker's traceback on standard error.
"""

from __future__ import annotations

from pathlib import Path

from sigopt_like.spaces import (
    MAX_PARAMETERS,
    MAX_SIZE_DIGITS,
    CategoricalParameter,
    Space,
)

from .test_errors import one_line


def _space_file(path: Path, parameters: int) -> Path:
    path.write_text("".join(f"p{i},numerical,1,2\n" for i in range(parameters)))
    return path


def test_too_many_parameters_is_one_line_and_stores_nothing(run, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("SIGOPT_LIKE_DATABASE", str(tmp_path / "limits.db"))
    assert run("sessions", "create", "wide").code == 0
    before = run("sessions", "show", "1", "--json").json()
    many = _space_file(tmp_path / "many.csv", 15_000)
    line = one_line(
        run("space", "put", "1", many, "--type", "factorial", "--population", "4",
            "--replicates", "0", "-q")
    )  # fmt: skip
    assert f"the space has 15,000 parameters; the service takes at most {MAX_PARAMETERS:,}" in line
    assert run("sessions", "show", "1", "--json").json() == before

    most = _space_file(tmp_path / "most.csv", MAX_PARAMETERS)
    put = run(
        "space", "put", "1", most, "--type", "factorial", "--population", "4",
        "--replicates", "0", "-q",
    )  # fmt: skip
    assert put.code == 0, put.err


def test_a_space_past_the_countable_size_names_it() -> None:
    levels = [f"l{k}" for k in range(10_001)]  # 1,000 x log10(10,001) > 4,000 digits
    space = Space(
        type="factorial",
        parameters=[CategoricalParameter(name=f"p{i}", values=levels) for i in range(1_000)],
    )
    (problem,) = space.validate()
    assert f"more than 10^{MAX_SIZE_DIGITS:,} distinct experiments" in problem.message
    assert "use fewer parameters or levels" in problem.message
