"""The commands' FILE arguments and ``-o`` outputs: ``-`` is standard input or output,
as Unix tools take it (``lims-export | sigopt-like experiments put 1 - --type designed``,
``sigopt-like design 1 -o - | robot-load``). Before, ``-`` was a file named "-"."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import IO

import click

DASH = "-"
#: a file to read that must exist, or ``-``
INPUT = click.Path(exists=True, dir_okay=False, path_type=Path, allow_dash=True)
#: a file to write, or ``-``
OUTPUT = click.Path(dir_okay=False, writable=True, path_type=Path, allow_dash=True)


def is_standard_stream(path: Path | None) -> bool:
    """Whether ``path`` is ``-``: standard input or output."""
    return path is not None and str(path) == DASH


def readable(path: Path) -> Path | IO[bytes]:
    """What to read for ``path``: the file, or standard input's bytes for ``-``."""
    return sys.stdin.buffer if is_standard_stream(path) else path


def read_bytes(path: Path) -> bytes:
    """The whole of ``path``, or of standard input for ``-``."""
    return sys.stdin.buffer.read() if is_standard_stream(path) else path.read_bytes()


def shown(path: Path) -> str:
    """``path`` in a message: the file's name, or "standard input"."""
    return "standard input" if is_standard_stream(path) else str(path)
