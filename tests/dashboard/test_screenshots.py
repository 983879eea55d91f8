"""The docs' screenshot script (``python -m tests.dashboard.screenshots``), run for real.

It writes only the images named, and the same seed draws the same pages, so that making
one image again does not rewrite (churn) the others in the repository.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.dashboard import screenshots


def test_only_the_named_images_are_written_the_same_each_time(tmp_path: Path) -> None:
    """Every run rewrote all eight images, each from fresh random data."""
    first, second = tmp_path / "first", tmp_path / "second"
    for out in (first, second):
        names = ["experiment-pareto", "dashboard-sign-in.png"]
        assert screenshots.main([*names, "--seed", "3", "--out", str(out)]) == 0
    written = sorted(p.name for p in first.iterdir())
    assert written == ["dashboard-experiment-pareto.png", "dashboard-sign-in.png"]
    assert sorted(p.name for p in second.iterdir()) == written
    for name in written:
        assert (first / name).read_bytes() == (second / name).read_bytes(), name


def test_an_unknown_image_is_refused_with_the_names(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A misspelt name says which names there are, and writes nothing."""
    with pytest.raises(SystemExit) as stopped:
        screenshots.main(["experiments-pareto", "--out", str(tmp_path / "out")])
    assert stopped.value.code == 2
    err = capsys.readouterr().err
    assert "no image 'experiments-pareto'" in err and "experiment-pareto" in err, err
    assert not (tmp_path / "out").exists()
