"""``experiments put --replace``: a table sent again drops experiments put before only
when told to (without it, the command fails, names them, and nothing changes)."""

from __future__ import annotations

import csv
from pathlib import Path

from .conftest import DATA


def test_extras_put_before_are_kept_unless_replace(run, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("SIGOPT_LIKE_DATABASE", str(tmp_path / "r.db"))
    assert run("sessions", "create", "r").code == 0
    space = DATA / "esd-factorial-4x8.csv"
    sized = ("--type", "factorial", "--population", "3", "--replicates", "0", "-q")
    assert run("space", "put", "1", space, *sized).code == 0
    design = tmp_path / "design.csv"
    assert run("generate", "1", "-o", design, "-q").code == 0
    rows = list(csv.reader(design.open()))
    for i, row in enumerate(rows[1:]):
        row[-1] = str(i + 1)
    with_extras, without = tmp_path / "with.csv", tmp_path / "without.csv"
    csv.writer(with_extras.open("w", newline="")).writerows([*rows, ["7", "7", "7", "7", "9.5"]])
    csv.writer(without.open("w", newline="")).writerows(rows)
    assert run("experiments", "put", "1", with_extras, "--type", "designed", "-q").code == 0

    refused = run("experiments", "put", "1", without, "--type", "designed", "-q")
    assert refused.code == 1
    assert "param1=7, param2=7, param3=7, param4=7 (response 9.5)" in refused.err
    assert "--replace" in refused.err
    assert run("history", "1", "-o", "-").out.strip().endswith("7,7,7,7,9.5")

    dropped = run("experiments", "put", "1", without, "--type", "designed", "--replace", "-q")
    assert dropped.code == 0, dropped.err
    assert "9.5" not in run("history", "1", "-o", "-").out
