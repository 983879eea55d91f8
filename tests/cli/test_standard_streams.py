"""``-`` for a file: standard input to read, standard output to write, as Unix tools.

Before, ``-`` was a file named "-": ``design 1 -o -`` wrote one in the current folder,
and ``space put 1 -`` read that file instead of what was piped in.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from .conftest import DATA

SIZED = ("--type", "factorial", "--population", "5", "--replicates", "0", "-q")


def pipe_in(monkeypatch: pytest.MonkeyPatch, text: str) -> None:
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(text.encode())))


def test_a_campaign_through_pipes(run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SIGOPT_LIKE_DATABASE", str(tmp_path / "p.db"))
    monkeypatch.chdir(tmp_path)
    assert run("sessions", "create", "piped").code == 0
    pipe_in(monkeypatch, (DATA / "esd-factorial-4x8.csv").read_text())
    assert run("space", "put", "1", "-", *SIZED).code == 0

    generated = run("generate", "1", "-o", "-", "-q")
    assert generated.code == 0
    design = generated.out  # the CSV alone: what it did is on standard error
    assert design.splitlines()[0] == "param1,param2,param3,param4,Response"
    assert len(design.splitlines()) == 6
    assert "generation 1 designed, 5 experiments" in generated.err
    assert run("design", "1", "-o", "-").out == design
    assert run("history", "1", "-o", "-").out.startswith("Seq_,Gen_,Designed_,param1")

    measured = "".join(line.rstrip(",\n") + ",0.5\n" for line in design.splitlines()[1:])
    pipe_in(monkeypatch, design.splitlines()[0] + "\n" + measured)
    assert run("experiments", "put", "1", "-", "--type", "designed", "-q").code == 0
    assert [r.split(",")[-1] for r in run("design", "1").out.splitlines()[1:]] == [""] * 5
    history = run("history", "1").out.splitlines()[1:]
    assert [row.split(",")[-1] for row in history] == ["0.5"] * 5
    assert not (tmp_path / "-").exists()


def test_an_experiment_definition_through_a_pipe(run, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("SIGOPT_LIKE_DATABASE", str(tmp_path / "e.db"))
    body = {
        "name": "piped",
        "parameters": [{"name": "x", "type": "int", "bounds": {"min": 0, "max": 9}}],
    }
    pipe_in(monkeypatch, json.dumps(body))
    created = run("experiments", "create", "-", "--json")
    assert created.code == 0 and created.json()["name"] == "piped"
    pipe_in(monkeypatch, json.dumps({**body, "colour": "red"}))
    refused = run("experiments", "create", "-")
    assert refused.code == 1 and "standard input: unknown fields ['colour']" in refused.err


def test_hostile_experiment_definitions_through_a_pipe(run, tmp_path, monkeypatch) -> None:
    """Each is one line and status 1, nothing created; a JSON nested 100,000 deep was a
    RecursionError traceback."""
    monkeypatch.setenv("SIGOPT_LIKE_DATABASE", str(tmp_path / "h.db"))
    bounds = '{"name": "x", "parameters": [{"name": "a", "type": "int", "bounds": %s}]}'
    for text, said in (
        ("[" * 100_000 + "]" * 100_000, "standard input is nested too deeply"),
        ("\x00{}", "standard input is not JSON"),
        (bounds % '{"min": 0, "max": 1180591620717411303424}', "beyond the integers"),
        (bounds.replace('"x"', '"x\\ud800"') % '{"min": 0, "max": 1}', "lone UTF-16 surrogate"),
    ):
        pipe_in(monkeypatch, text)
        done = run("experiments", "create", "-")
        assert done.code == 1 and said in done.err and "Traceback" not in done.err
    assert "x" not in run("experiments", "list").out
