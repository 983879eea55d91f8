"""The commands' FILE arguments and ``-o`` outputs: ``-`` is standard input or output,
as Unix tools take it (``lims-export | sigopt-like experiments put 1 - --type designed``,
``sigopt-like design 1 -o - | robot-load``). Before, ``-`` was a file named "-"."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from .._constants import MAX_BODY_BYTES
from .errors import CommandError

DASH = "-"
#: a file to read that must exist, or ``-``
INPUT = click.Path(exists=True, dir_okay=False, path_type=Path, allow_dash=True)
#: a file to write, or ``-``
OUTPUT = click.Path(dir_okay=False, writable=True, path_type=Path, allow_dash=True)


def is_standard_stream(path: Path | None) -> bool:
    """Whether ``path`` is ``-``: standard input or output."""
    return path is not None and str(path) == DASH


def read_bytes(path: Path, limit: int = MAX_BODY_BYTES) -> bytes:
    """The whole of ``path``, or of standard input for ``-``, if it is at most ``limit``
    bytes (the largest request the service takes); a CommandError past that, after
    reading one byte more and no further (before, ``/dev/zero`` or an endless pipe was
    read until the system killed the process)."""
    if is_standard_stream(path):
        data = sys.stdin.buffer.read(limit + 1)
    else:
        with open(path, "rb") as stream:
            data = stream.read(limit + 1)
    if len(data) > limit:
        raise CommandError(
            f"{shown(path)} is larger than {_size(limit)}, the largest request the service "
            "takes; nothing was sent"
        )
    return data


def _size(count: int) -> str:
    """``count`` bytes in words: "10 MiB", or "1,000 bytes"."""
    mib, rest = divmod(count, 1024 * 1024)
    return f"{mib:,} MiB" if mib and not rest else f"{count:,} bytes"


def shown(path: Path) -> str:
    """``path`` in a message: the file's name, or "standard input"."""
    return "standard input" if is_standard_stream(path) else str(path)
