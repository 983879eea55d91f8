"""``python -m sigopt_like.cli``: the same as the ``sigopt-like`` console script."""

from __future__ import annotations

import sys

from . import main

if __name__ == "__main__":
    sys.exit(main())
