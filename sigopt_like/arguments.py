"""What the endpoints' ``table=`` and ``space=`` arguments accept, as types.

Apart from :mod:`~sigopt_like.handlers` so that the table in ``interface.py`` can name
them (``"TableArg"``) without importing tables and spaces with the package.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from .spaces import Space
from .tables import Table


class DataFrameLike(Protocol):
    """A pandas DataFrame, as far as a table argument needs one (pandas is optional)."""

    @property
    def columns(self) -> Any:
        """The column labels."""

    def itertuples(self, index: bool = ..., name: str | None = ...) -> Any:
        """The rows as tuples."""


#: what a ``table=`` argument takes (see :func:`~sigopt_like.handlers.table_json`).
TableArg = (
    Table | DataFrameLike | Sequence[Mapping[str, Any]] | Mapping[str, Any] | str | os.PathLike[str]
)
#: what a ``space=`` argument takes: a Space (``Space.from_csv(path, type=...)``) or its dict.
SpaceArg = Space | Mapping[str, Any]
