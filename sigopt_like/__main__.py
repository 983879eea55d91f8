"""``python -m sigopt_like ...`` is the ``sigopt-like`` command."""

import sys

from .cli import main

sys.exit(main())
