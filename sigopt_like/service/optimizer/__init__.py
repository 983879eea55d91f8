"""Optimizer engine: batch designs and SigOpt sequential suggestions.

numpy, scipy and scikit-learn only; no HTTP, no database. See ``engine`` for
the flow and ``portfolio`` for how a model-based batch is chosen.
"""

from .design import count_space, design_batch, is_feasible, recommend
from .engine import Settings
from .sequential import Domain, from_sigopt_parameters, suggest

__all__ = [
    "Domain",
    "Settings",
    "count_space",
    "design_batch",
    "from_sigopt_parameters",
    "is_feasible",
    "recommend",
    "suggest",
]
