"""``python -m sigopt_like ...`` is the ``sigopt-like`` command."""

from .cli import program

program()
