"""``python -m sigopt_like.cli``: the same as the ``sigopt-like`` console script."""

from __future__ import annotations

from . import program

if __name__ == "__main__":
    program()
