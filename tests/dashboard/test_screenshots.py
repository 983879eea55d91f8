"""The docs' screenshot script (``python -m tests.dashboard.screenshots``), run for real.

It writes only the images named, and the same seed draws the same pages, so that making
one image again does not rewrite (churn) the others in the repository. Two runs' images are
compared pixel by pixel, not byte for byte: a browser's text and curves may differ by a few
anti-aliased pixels between two renderings of one page, where pages drawn from other data
differ in several percent of their pixels (two seeds' Pareto pages: 7%).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.dashboard import screenshots

REPO_ROOT = Path(__file__).resolve().parents[2]


def test_only_the_named_images_are_written_the_same_each_time(tmp_path: Path) -> None:
    """Every run rewrote all eight images, each from fresh random data."""
    first, second = tmp_path / "first", tmp_path / "second"
    runs = []
    for out in (first, second):  # the two runs side by side: each mostly waits
        names = ["experiment-pareto", "dashboard-sign-in.png"]
        # a process of its own, as it is run: in the suite's process another test's browser
        # (Playwright's sync API, on an asyncio loop) may be open, and a second is refused
        argv = [*names, "--seed", "3", "--out", str(out)]
        runs.append(
            subprocess.Popen(
                [sys.executable, "-m", "tests.dashboard.screenshots", *argv],
                cwd=REPO_ROOT,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
        )
    for run in runs:
        try:
            stdout, stderr = run.communicate(timeout=600)
        finally:
            if run.poll() is None:
                run.kill()
        assert run.returncode == 0, stdout + stderr
    written = sorted(p.name for p in first.iterdir())
    assert written == ["dashboard-experiment-pareto.png", "dashboard-sign-in.png"]
    assert sorted(p.name for p in second.iterdir()) == written
    for name in written:
        assert _differing_share(first / name, second / name) < SAME_PAGE_SHARE, name


#: the share of pixels two renderings of one page may differ in (anti-aliasing)
SAME_PAGE_SHARE = 0.005


def _differing_share(a: Path, b: Path) -> float:
    """The share of pixels that differ between two images of one size (1.0: sizes differ)."""
    first = np.asarray(Image.open(a).convert("RGB"))
    second = np.asarray(Image.open(b).convert("RGB"))
    if first.shape != second.shape:
        return 1.0
    return float((first != second).any(axis=2).mean())


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
