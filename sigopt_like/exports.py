"""Auto-export files, named as the Daptics client names them, written into a directory.

- ``auto_validated_space.csv``: the validated space (no header row)
- ``auto_gen{N}_design.csv``: generation N's design (empty responses)
- ``auto_gen{N}_experiments.csv``: generation N's validated experiments
- ``auto_history.csv``: every generation, with ``Seq_``, ``Gen_``, ``Designed_``
- ``auto_gen{N}_<name>``: an analytics file of generation N

Each writer creates the directory if needed, writes atomically, and returns the path.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Union

from sigopt_like import csvio
from sigopt_like.spaces import Space
from sigopt_like.tables import Table, history_to_csv

VALIDATED_SPACE_FILE = "auto_validated_space.csv"
HISTORY_FILE = "auto_history.csv"

PathLike = Union[str, "os.PathLike[str]"]


def gen_prefix(gen: int) -> str:
    """The ``auto_gen{N}_`` prefix of generation ``gen``'s files."""
    if not isinstance(gen, int) or isinstance(gen, bool) or gen < 0:
        raise ValueError(f"a generation number is a whole number >= 0, not {gen!r}")
    return f"auto_gen{gen}_"


def design_filename(gen: int) -> str:
    """``auto_gen{N}_design.csv``."""
    return f"{gen_prefix(gen)}design.csv"


def experiments_filename(gen: int) -> str:
    """``auto_gen{N}_experiments.csv``."""
    return f"{gen_prefix(gen)}experiments.csv"


def _table(value: Table | Mapping[str, Any]) -> Table:
    return value if isinstance(value, Table) else Table.from_dict(value)


def export_validated_space(directory: PathLike, space: Space) -> Path:
    """Write ``auto_validated_space.csv`` (the space file form: no header row)."""
    return csvio.write_text_file(Path(directory) / VALIDATED_SPACE_FILE, space.to_csv())


def export_design(directory: PathLike, gen: int, design: Table | Mapping[str, Any]) -> Path:
    """Write ``auto_gen{N}_design.csv`` (header row, empty responses)."""
    path = Path(directory) / design_filename(gen)
    return csvio.write_text_file(path, _table(design).to_csv())


def export_experiments(
    directory: PathLike, gen: int, experiments: Table | Mapping[str, Any]
) -> Path:
    """Write ``auto_gen{N}_experiments.csv`` (header row, responses)."""
    path = Path(directory) / experiments_filename(gen)
    return csvio.write_text_file(path, _table(experiments).to_csv())


def export_history(directory: PathLike, generations: Sequence[Mapping[str, Any]]) -> Path:
    """Write ``auto_history.csv`` from ``[{"gen", "table", "design_rows"}, ...]``."""
    return csvio.write_text_file(Path(directory) / HISTORY_FILE, history_to_csv(generations))


def export_analytics_file(directory: PathLike, gen: int, filename: str, content: bytes) -> Path:
    """Write an analytics file as ``auto_gen{N}_<filename>``; refuses names with a directory."""
    name = Path(filename).name
    if not name or name != filename or name in (".", ".."):
        raise ValueError(f"an analytics file name has no directory part: {filename!r}")
    return csvio.write_bytes_file(Path(directory) / f"{gen_prefix(gen)}{name}", content)
