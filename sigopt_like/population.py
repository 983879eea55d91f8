"""The population rule: which design sizes a space accepts, and how many generations remain.

One rule, used when a space is put, when ``remaining`` is counted and when a
campaign ends:

    a generation is ``population_size`` *distinct* experiments never designed
    nor tested before in the session; the last one takes what the space has
    left when that is fewer.

So a population is accepted when it is a positive whole number (the Daptics
client documents it as "a positive integer") that the space can fill at least
once: ``1 <= population_size <= size``. ``remaining`` is what Daptics documents,
"the number of possible generations that can be generated until the entire
design space has been explored": ``ceil((size - experiments used) /
population_size)``, the last of them holding the untested experiments left
(:func:`generation_size`); and the campaign is over, ``completed`` ("whether the
design space has been completely explored"), when no untested experiment is
left (``remaining == 0``). Before, a generation needed a whole population:
a 36-experiment factorial at population 20 ended after one generation, 16 of
its experiments never tried, and nothing said so.

Why the rule is exactly this permissive: the Daptics documentation calls its
own examples valid (a 4 x 2 x 3 x 4 = 96-point factorial and a 4-component
mixture, both at population 30 and replicates 2), so no minimum ratio of space
size to population, and no minimum population per parameter, can be part of
it. What is refused is what cannot work: a population the space cannot fill
with distinct experiments, and, as service limits, more than
``MAX_POPULATION`` experiments per generation (the engine designs a generation
of that size in a few seconds; larger ones belong in several generations) and
a design table of more than ``MAX_DESIGN_ROWS`` rows (``population_size x
(replicates + 1)``: the largest population with 10 replicates). Replicates are
"a non-negative integer" in the Daptics documentation, so no other bound on
them is part of the rule: 100 replicates of a population of 30 are accepted.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sigopt_like.json_kinds import json_shown
from sigopt_like.wording import counted

if TYPE_CHECKING:
    from sigopt_like.spaces import Problem, Space

MIN_POPULATION = 1
MAX_POPULATION = 2500
MAX_DESIGN_ROWS = MAX_POPULATION * 11  # population_size x (replicates + 1) rows per design
# a mixture of at most this many components x (total units + 1) is counted at the request
MAX_COUNTED_CELLS = 50_000


def generations_left(size: int, used: int, population_size: int) -> int:
    """Generations still possible until every experiment of the space is designed or tested.

    ``size`` is the space's number of distinct experiments, ``used`` how many of
    them were designed or tested already; each generation holds ``population_size``
    of them, the last one what is left (:func:`generation_size`). Raises ValueError
    for a population below 1.
    """
    if population_size < MIN_POPULATION:
        raise ValueError("population_size must be a positive whole number")
    return max(0, -(-(size - used) // population_size))


def generation_size(size: int, used: int, population_size: int) -> int:
    """Distinct experiments the next generation holds: ``population_size``, or the
    untested ones left when fewer (the last generation); 0 when none is left."""
    return max(0, min(population_size, size - used))


def check_design_size(
    space: Space,
    population_size: Any,
    replicates: Any,
    *,
    key: str = "population_size",
    count: bool = True,
) -> list[Problem]:
    """Problems with a population size and a replicate count for ``space`` (empty if none).

    Accepted: ``1 <= population_size <= min(size, MAX_POPULATION)``, ``replicates >= 0``
    and ``population_size x (replicates + 1) <= MAX_DESIGN_ROWS``; each refusal says why
    and what would work. ``key`` is the name the population was given under (Daptics'
    ``populationSize``, say): the problems name it and say it, not a key never sent.
    ``count=False`` leaves ``population_size <= size`` to whoever counts the space (the
    service's space task, for a mixture :func:`counted_at_once` does not count): the
    rest of the rule needs no count.
    """
    from sigopt_like.spaces import Problem

    problems: list[Problem] = []
    if not _is_whole(population_size):
        problems.append(
            Problem(f"{key} must be a whole number, not {json_shown(population_size)}", field=key)
        )
    else:
        problem = _population_problem(space, population_size, key, count)
        if problem is not None:
            problems.append(problem)
    if not _is_whole(replicates):
        problems.append(
            Problem(
                f"replicates must be a whole number, not {json_shown(replicates)}",
                field="replicates",
            )
        )
    elif replicates < 0:
        problems.append(
            Problem(
                f"replicates {replicates} is negative: use 0 (each experiment once) or more "
                f"(each design has {key} x (replicates + 1) experiments)",
                field="replicates",
            )
        )
    elif not problems and population_size * (replicates + 1) > MAX_DESIGN_ROWS:
        most = MAX_DESIGN_ROWS // population_size - 1
        problems.append(
            Problem(
                f"a design of {key} x (replicates + 1) = {population_size} x "
                f"{replicates + 1} experiments is more than the {MAX_DESIGN_ROWS:,} rows the "
                f"service designs per generation; use at most {most} replicates at this "
                "population, or a smaller population",
                field="replicates",
            )
        )
    return problems


def counted_at_once(space: Space) -> bool:
    """Whether ``space`` is cheap to count, so that a request is judged by this rule at once.

    A factorial space's size is the product of its level counts (microseconds, however
    large). A mixture's is a table of components x (total units + 1) exact integers: at
    most ``MAX_COUNTED_CELLS`` of them (100 components x 499 units, about 0.02 s) it
    is counted at the request, by the same count and rule as the space task's, so the
    verdict is the task's; a larger one (seconds) leaves its design size to the task.
    """
    from sigopt_like.spaces import MIXTURE  # here: spaces imports this module

    if space.type != MIXTURE:
        return True
    units = space.total_units
    if not isinstance(units, int) or isinstance(units, bool) or units < 0:
        return False  # the space's own rules refuse it first
    return len(space.parameters) * (units + 1) <= MAX_COUNTED_CELLS


def _is_whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _population_problem(space: Space, population: int, key: str, count: bool) -> Problem | None:
    from sigopt_like.spaces import MIXTURE, Problem

    def refuse(message: str, field: str = key) -> Problem:
        return Problem(message, field=field)

    if population < MIN_POPULATION:
        return refuse(
            f"{key} {population} is not a positive whole number: a generation is "
            f"{key} distinct experiments, so use 1 or more"
        )
    size = population  # not counted: what the count would refuse is its counter's to say
    if count:
        try:
            size = space.size()
        except ValueError as exc:
            return refuse(str(exc), field="total_units")
    if population > size:
        most = min(size, MAX_POPULATION)  # the other cap: "at most 4096" was then refused
        fix = f"use a population of at most {most}" if size > 0 else "fix the space first"
        mixture = space.type == MIXTURE
        grow = "widen the components' ranges" if mixture else "add levels or parameters"
        return refuse(
            f"the space has {counted(size, 'distinct experiment')}, fewer than {key} "
            f"{population}: a generation needs {counted(population, 'distinct experiment')}; "
            f"{fix}, or {grow}"
        )
    if population > MAX_POPULATION:
        return refuse(
            f"{key} {population} is too large: the service designs at most "
            f"{MAX_POPULATION} experiments per generation; use {MAX_POPULATION} or fewer "
            "(more generations cover more experiments)"
        )
    return None
