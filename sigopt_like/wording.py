"""Words for counts in the messages people read: "1 experiment", "3 experiments".

Before, progress lines and the command line said "chose 1 experiments" and
"(1 experiments)". A pure module: the service and the command line both say counts.
"""

from __future__ import annotations


def counted(n: int, word: str, plural: str | None = None) -> str:
    """``n`` and the word for that many: ``counted(1, "experiment")`` is "1 experiment",
    ``counted(3, "experiment")`` "3 experiments"; ``plural`` when ``word + "s"`` is not it
    (the last word of ``word`` takes the plural: "final experiment" -> "final experiments")."""
    return f"{n} {word if n == 1 else plural or word + 's'}"
