"""Running ``sigopt-like`` in this process, as a user would type it."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import attrs
import pytest

from sigopt_like import cli

DATA = Path(__file__).resolve().parents[1] / "data"


@attrs.frozen
class Result:
    """What one command did: its exit status and what it printed."""

    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


Run = Callable[..., Result]


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str], clean_env: Path) -> Run:
    """``run("sessions", "list")``: the exit status and output of one command."""

    def go(*argv: str) -> Result:
        capsys.readouterr()
        code = cli.main([str(a) for a in argv])
        out, err = capsys.readouterr()
        return Result(code, out, err)

    return go


def measure(design: Path, measured: Path, offset: float = 0.0) -> None:
    """The lab: fill in the Response column of a design CSV (a smooth made-up surface,
    raised by ``offset``)."""
    with open(design, newline="") as handle:
        rows = list(csv.reader(handle))
    header, body = rows[0], rows[1:]
    out = [header]
    for row in body:
        values = [float(v) for v in row[:-1]]
        out.append([*row[:-1], f"{offset + 10 - sum((v - 5) ** 2 for v in values) / 10:.4f}"])
    with open(measured, "w", newline="") as handle:
        csv.writer(handle).writerows(out)
