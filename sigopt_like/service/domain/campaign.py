"""The campaign state machine: what a session holds and which step may come next.

Pure: no HTTP, no database. A :class:`Campaign` is an immutable value; every
step (``put_space``, ``put_experiments``, ``generate``, ``simulate_responses``)
returns a new one, so a task computes the whole new state in memory and the
store writes it in one transaction at the end (an interrupted or failed task
changes nothing).

States (``Campaign.state``)::

    no_space --put_space--> ready (gen 0) --generate--> design_pending (gen N >= 1)
    ready --put_experiments(initial)--> ready        (gen 0 experiments, optional)
    design_pending --put_experiments(designed)--> responses_in --generate--> design_pending
    ready | design_pending | responses_in --put_experiments(final)--> completed
    ready | responses_in (no untested experiment of the space left) --> completed
    any --halt--> halted

``put_space`` is allowed in ``no_space`` and ``ready`` only (gen <= 0).
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import attrs

from sigopt_like._constants import MAX_REMAINING
from sigopt_like.error_codes import SPACE_EXHAUSTED
from sigopt_like.population import (
    check_design_size,
    counted_at_once,
    generation_size,
    generations_left,
)
from sigopt_like.spaces import RESPONSE, Problem, Space
from sigopt_like.tables import Table, coerce_experiments, validate_experiments

from .design_match import point_text as _point_text
from .design_match import show as _show
from .design_match import unordered_problems

INITIAL, DESIGNED, FINAL = "initial", "designed", "final"
EXPERIMENT_TYPES = (INITIAL, DESIGNED, FINAL)
#: the Daptics client's names of the same types (``DapticsExperimentsType``), taken too
DAPTICS_EXPERIMENT_TYPES = {
    "INITIAL_EXTRAS_ONLY": INITIAL,
    "DESIGNED_WITH_OPTIONAL_EXTRAS": DESIGNED,
    "FINAL_EXTRAS_ONLY": FINAL,
}


def experiment_type(name: str) -> str | None:
    """``initial``, ``designed`` or ``final`` for ``name``, or for its Daptics name
    (``DESIGNED_WITH_OPTIONAL_EXTRAS``), in any case; None if it is neither."""
    folded = name.lower()
    if folded in EXPERIMENT_TYPES:
        return folded
    return DAPTICS_EXPERIMENT_TYPES.get(name.upper())


NO_SPACE = "no_space"
READY = "ready"
DESIGN_PENDING = "design_pending"
RESPONSES_IN = "responses_in"
COMPLETED = "completed"
HALTED = "halted"


Point = tuple
DesignFunction = Callable[..., list[tuple]]


class CampaignConflict(Exception):
    """A step that the campaign's state does not allow now (an HTTP 409).

    ``code`` is the stable error code (``design_pending``, ``space_locked``, ...).
    """

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class CampaignInvalid(Exception):
    """Input that breaks a rule of the space or the design; ``problems`` lists each one."""

    def __init__(self, message: str, problems: Sequence[Problem]) -> None:
        super().__init__(message)
        self.message = message
        self.problems = list(problems)


@attrs.frozen
class Row:
    """One experiment of a generation: its point, response and where it came from.

    ``kind`` is the experiments type it was put with (initial, designed, final);
    ``designed`` is True for the rows of the generated design.
    """

    point: Point
    response: float | None
    designed: bool
    kind: str


@attrs.frozen
class Generation:
    """Generation ``gen``: its design (gen >= 1) and the experiments put for it.

    Gen 0 holds the initial experiments. ``uploaded`` says the design's
    responses (or, for gen 0, the initial experiments) were put.
    """

    gen: int
    design: tuple[Point, ...] | None = None
    rows: tuple[Row, ...] = ()
    uploaded: bool = False
    created: int = 0

    @property
    def design_rows(self) -> int:
        """How many rows of the table are designed (they come first)."""
        return len(self.design) if self.design else 0

    def table_rows(self) -> list[Row]:
        """The generation's experiments: designed rows first (empty responses until put)."""
        if self.design and not self.uploaded:
            placeholders = [Row(p, None, True, DESIGNED) for p in self.design]
            return placeholders + list(self.rows)
        return list(self.rows)

    @property
    def validated(self) -> bool:
        """Whether experiments were put (and so validated) for this generation."""
        return self.uploaded or bool(self.rows)

    @property
    def has_responses(self) -> bool:
        """Whether any experiment of this generation has a response."""
        return any(r.response is not None for r in self.rows)


def campaign_state(
    status: str, completed: bool, space: Space | None, gen: int, current_uploaded: bool
) -> str:
    """The state of a campaign (see the module docstring) from the facts it depends on:
    ``current_uploaded`` says whether generation ``gen`` has its responses in."""
    if status == "halted":
        return HALTED
    if completed:
        return COMPLETED
    if space is None or gen < 0:
        return NO_SPACE
    if gen == 0:
        return READY
    return RESPONSES_IN if current_uploaded else DESIGN_PENDING


@attrs.frozen
class Campaign:
    """Everything a session holds of its campaign, as one immutable value."""

    seed: int
    status: str = "active"
    space: Space | None = None
    population_size: int | None = None
    replicates: int | None = None
    gen: int = -1
    remaining: int | None = None
    completed: bool = False
    generations: tuple[Generation, ...] = ()
    #: the store's count of changes when this value was read (not part of its meaning:
    #: a task's result is written only if the session is still at this version)
    version: int = attrs.field(default=0, eq=False)

    # ----- facts

    @property
    def state(self) -> str:
        """The state of the machine (see the module docstring)."""
        current = self.generation(self.gen)
        return campaign_state(
            self.status,
            self.completed,
            self.space,
            self.gen,
            current is not None and current.uploaded,
        )

    def generation(self, gen: int) -> Generation | None:
        """Generation ``gen``, or None if there is none."""
        for g in self.generations:
            if g.gen == gen:
                return g
        return None

    def used_points(self) -> set[Point]:
        """Every point designed or tested so far (never designed again)."""
        used: set[Point] = set()
        for g in self.generations:
            used.update(g.design or ())
            used.update(r.point for r in g.rows)
        return used

    def observations(self) -> list[tuple[Point, float | None]]:
        """Every tested experiment as ``(point, response)``, in the order they were put."""
        return [(r.point, r.response) for g in self.generations for r in g.rows]

    def history(self) -> list[Generation]:
        """The generations in order, gen 0 (initial experiments) first."""
        return sorted(self.generations, key=lambda g: g.gen)

    def _remaining(self, used: int) -> int | None:
        """Generations still possible: the population rule (``sigopt_like.population``)."""
        if self.space is None or not self.population_size:
            return None
        return min(MAX_REMAINING, generations_left(self.space.size(), used, self.population_size))

    def _with_generation(self, generation: Generation) -> tuple[Generation, ...]:
        others = [g for g in self.generations if g.gen != generation.gen]
        return tuple(sorted([*others, generation], key=lambda g: g.gen))

    # ----- rules

    def require_open(self) -> None:
        """Raise CampaignConflict if the session is halted or completed."""
        if self.status == "halted":
            raise CampaignConflict(
                "session_halted", "The session is halted; create a new session to continue."
            )
        if self.completed:
            raise CampaignConflict(
                "campaign_completed",
                "The campaign is completed (final experiments were put or the space is "
                "exhausted); nothing more can be designed in this session.",
            )

    def check_put_space(self) -> None:
        """Raise CampaignConflict unless a space can be put now (before the first design)."""
        self.require_open()
        if self.gen > 0:
            raise CampaignConflict(
                "space_locked",
                f"The space can be replaced only before the first design; generation {self.gen} "
                "was designed already. Create a new session to use another space.",
            )

    def check_space(self, space: Space) -> None:
        """Raise CampaignConflict unless a space can be put now, CampaignInvalid listing
        every rule ``space`` breaks (a mixture's maximum above its total, a minimum above
        a maximum, a name used twice...).

        What :meth:`put_space` asks first, and what the space route asks when it starts
        the task: it needs nothing but the space and the session, so a space sent as a
        dict is refused at once, as the same space read from a file is by the client
        (before, it was a task that failed), and so are initial experiments stored that
        are no experiments of it (CampaignConflict ``initial_experiments_stored``). The
        design size is :meth:`check_design`'s."""
        self.check_put_space()
        problems = space.validate()
        if problems:
            raise CampaignInvalid("The space is not valid.", problems)
        self._initial_experiments_in(space)

    def check_design(
        self,
        space: Space,
        population_size: Any,
        replicates: Any,
        *,
        population_key: str = "population_size",
    ) -> None:
        """:meth:`check_space`, then the population rule where the space is cheap to count:
        CampaignInvalid listing what the rule refuses of the population and replicates.

        What the space route asks when it starts the task. A factorial space's size is
        the product of its level counts, so a population it cannot fill is refused at
        once, as the task would refuse it (before, the task failed); a mixture's count
        is a table of components x (total units + 1): a small one (``MAX_COUNTED_CELLS``)
        is counted here too, by the task's own count, and a larger one's design size stays
        the task's (:meth:`put_space` asks both again)."""
        self.check_space(space)
        if counted_at_once(space):
            _require_design_size(space, population_size, replicates, population_key)

    def check_put_experiments(self, kind: str) -> None:
        """Raise CampaignConflict unless experiments of type ``kind`` can be put now."""
        if kind not in EXPERIMENT_TYPES:
            raise ValueError(f"unknown experiments type {kind!r}")
        self.require_open()
        if self.space is None or self.gen < 0:
            raise CampaignConflict(
                "space_required",
                "The session has no validated space yet: "
                "set one first (space.put in Python, sigopt-like space put on the command line).",
            )
        if kind == INITIAL and self.gen > 0:
            raise CampaignConflict(
                "conflict",
                f"Initial experiments can be put only before the first design; generation "
                f"{self.gen} was designed already. Put them as extra rows with "
                "type='designed' instead.",
            )
        if kind == DESIGNED and self.gen == 0:
            raise CampaignConflict(
                "no_design",
                "No design was generated yet: put initial experiments with type='initial', "
                "or generate the first design.",
            )

    def check_generate(self) -> None:
        """Raise CampaignConflict unless the next design can be generated now."""
        self.require_open()
        if self.space is None or self.gen < 0:
            raise CampaignConflict(
                "space_required",
                "The session has no validated space yet: "
                "set one first (space.put in Python, sigopt-like space put on the command "
                "line), then generate.",
            )
        if self.state == DESIGN_PENDING:
            raise CampaignConflict(
                "design_pending",
                f"The responses of generation {self.gen} are not in yet: send them first "
                "(experiments.put(type='designed') in Python, sigopt-like experiments put "
                "--type designed on the command line), then generate the next design.",
            )
        if self.remaining is not None and self.remaining <= 0:
            raise _space_exhausted()

    # ----- steps

    def put_space(
        self,
        space: Space,
        population_size: Any,
        replicates: Any,
        *,
        population_key: str = "population_size",
    ) -> Campaign:
        """The campaign with ``space`` validated at gen 0; CampaignInvalid lists every problem.

        Initial experiments put already are kept when they are experiments of the new
        space (a new population or replicates, a level added); CampaignConflict when
        they are not, rather than dropping measurements without a word. A problem of the
        population names it ``population_key``: the key the caller gave it under.
        """
        self.check_space(space)
        _require_design_size(space, population_size, replicates, population_key)
        out = attrs.evolve(
            self,
            space=space,
            population_size=population_size,
            replicates=replicates,
            gen=0,
            completed=False,
            generations=self._initial_experiments_in(space),
        )
        return attrs.evolve(out, remaining=out._remaining(len(out.used_points())))

    def _initial_experiments_in(self, space: Space) -> tuple[Generation, ...]:
        """Gen 0's initial experiments as experiments of ``space`` (none if none were put).

        Before, a space put again (to change only the population) dropped them.
        """
        initial = self.generation(0)
        if initial is None or not initial.rows or self.space is None:
            return ()
        table = Table(
            columns=[*self.space.names, RESPONSE],
            rows=[[*row.point, row.response] for row in initial.rows],
        )
        problems = validate_experiments(table, space)
        if problems:
            stored = (
                "1 initial experiment is stored, and it is not an experiment"
                if len(initial.rows) == 1
                else f"{len(initial.rows)} initial experiments are stored, and they are not "
                "experiments"
            )
            raise CampaignConflict(
                "initial_experiments_stored",
                f"{stored} of the new space ({problems[0].message}). Keep the space and "
                "change only the population or replicates, or first put an empty table of "
                "initial experiments with replace=True (sigopt-like experiments put "
                "--replace) to drop them.",
            )
        rows = coerce_experiments(table, space).rows
        moved = tuple(
            attrs.evolve(row, point=tuple(new[:-1]))
            for row, new in zip(initial.rows, rows, strict=True)
        )
        return (attrs.evolve(initial, rows=moved),)

    def put_experiments(
        self, kind: str, table: Table, now: int = 0, *, replace: bool = False
    ) -> tuple[Campaign, int]:
        """The campaign with ``table`` put as ``kind`` experiments, and the number of rows.

        ``designed``: the current design's rows first, exactly as designed (same
        rows, in its order or any other), responses may be missing; then extra rows, whose
        responses are required. ``initial`` and ``final``: extra rows only.
        An ``initial`` or ``designed`` table sent again replaces the generation's
        experiments: it may correct a stored response, but an experiment put before
        that it leaves out (an extra row) is refused unless ``replace`` says to drop it.
        Raises CampaignConflict (state) or CampaignInvalid (rows, each with its
        row and column).
        """
        current = self.generation(self.gen) or Generation(gen=self.gen, created=now)
        rows = self._checked_rows(kind, table, current, replace=replace)
        n_design = len(current.design or ()) if kind == DESIGNED else 0
        new_rows = tuple(
            Row(
                point=tuple(r[:-1]),
                response=r[-1],
                designed=(kind == DESIGNED and i < n_design),
                kind=kind,
            )
            for i, r in enumerate(rows)
        )
        if kind in (INITIAL, DESIGNED):
            generation = attrs.evolve(current, rows=new_rows, uploaded=True)
        else:
            generation = attrs.evolve(current, rows=(*current.rows, *new_rows))
        out = attrs.evolve(self, generations=self._with_generation(generation))
        remaining = out._remaining(len(out.used_points()))
        # The population rule ends the campaign when no further generation can be filled.
        completed = kind == FINAL or remaining == 0
        if kind == FINAL:
            # Daptics' remaining is "how many more generations can be performed", and
            # final experiments mean "no more designs will be generated" (seed 000): none
            remaining = 0
        out = attrs.evolve(
            out,
            remaining=remaining,
            completed=completed,
            status="completed" if completed else out.status,
        )
        return out, len(new_rows)

    def check_experiments(self, kind: str, table: Table, *, replace: bool = False) -> None:
        """Raise what :meth:`put_experiments` would raise for ``table`` now, storing nothing:
        CampaignConflict (state), CampaignInvalid (every problem, by row and column).

        What the experiments route asks when it starts the update task: every check needs
        only the table and the stored campaign (no design work), so a table that does not
        match the design, holds only a header, or would erase a stored response is refused
        at once (before, a task that failed)."""
        current = self.generation(self.gen) or Generation(gen=self.gen)
        self._checked_rows(kind, table, current, replace=replace)

    def _checked_rows(
        self, kind: str, table: Table, current: Generation, *, replace: bool
    ) -> tuple[tuple[Any, ...], ...]:
        """``table``'s rows as experiments of the space (designed rows in the design's
        order), or CampaignConflict / CampaignInvalid."""
        problems = self.experiments_problems(kind, table)
        space = self.space
        assert space is not None
        design = tuple(current.design or ()) if kind == DESIGNED else ()
        n_design = len(design)
        if not problems and kind == DESIGNED:
            table = _in_design_order(table, space, design)
            problems = _design_match_problems(table, space, design, self.gen)
            if problems:
                problems = self._earlier_design_problems(table, space) or problems
        if problems:
            raise CampaignInvalid(f"The {kind} experiments are not valid.", problems)
        rows = coerce_experiments(table, space).rows
        if kind == DESIGNED and current.uploaded:
            problems = _erased_response_problems(table, current.rows[:n_design], rows, self.gen)
            if problems:
                raise CampaignInvalid("The designed experiments would erase responses.", problems)
        if kind in (INITIAL, DESIGNED) and current.uploaded and not replace:
            problems = _dropped_row_problems(
                space.names, current.rows[n_design:], rows[n_design:], self.gen
            )
            if problems:
                raise CampaignInvalid(
                    f"The {kind} experiments would drop experiments put before.", problems
                )
        return rows

    def experiments_problems(self, kind: str, table: Table) -> list[Problem]:
        """Every problem of ``table``'s header and cells as ``kind`` experiments now: a
        column that is not a parameter or is missing, a value that is not a level (or units
        in range, a mixture's rows adding up), a response that is none, a response missing
        where the row needs one (only the current design's rows may leave it empty).

        The first check of :meth:`put_experiments`, and the one the experiments route asks
        when it starts the task, against this same campaign: one answer names every bad
        cell of both kinds (before, a 422 for the responses, then the task's failure for
        the parameter values). What needs the cells to be valid first (the match with the
        design, a stored response erased, an experiment dropped) stays the task's.
        Raises CampaignConflict when the state allows no such experiments."""
        self.check_put_experiments(kind)
        assert self.space is not None
        current = self.generation(self.gen)
        n_design = len(current.design or ()) if kind == DESIGNED and current is not None else 0
        return validate_experiments(
            table, self.space, allow_missing_response=lambda i: i < n_design
        )

    def _earlier_design_problems(self, table: Table, space: Space) -> list[Problem]:
        """One problem saying ``table`` is an earlier generation's design (its first rows
        are that design's rows, in any order), or none. Before, generation 1's file put
        again after generation 2 was designed listed every row as differing from the
        design, and nothing said which file it was."""
        positions = [table.columns.index(name) for name in space.names]
        for earlier in sorted(self.generations, key=lambda g: -g.gen):
            if earlier.gen >= self.gen or not earlier.design:
                continue
            n = len(earlier.design)
            if len(table.rows) < n:
                continue
            try:
                sent = Counter(
                    tuple(
                        p.coerce(row[k]) for p, k in zip(space.parameters, positions, strict=True)
                    )
                    for row in table.rows[:n]
                )
            except (TypeError, ValueError):
                return []
            if sent != Counter(tuple(p) for p in earlier.design):
                continue
            put = "already put" if earlier.uploaded else "not put"
            return [
                Problem(
                    f"this is generation {earlier.gen}'s design, {put}; the current design is "
                    f"generation {self.gen}: send generation {self.gen}'s design (design.fetch() "
                    "in Python, sigopt-like design on the command line) with its Response "
                    "column filled in. Nothing was changed",
                    field="table",
                )
            ]
        return []

    def generate(self, design: DesignFunction, now: int = 0) -> Campaign:
        """The campaign with the next generation's design.

        ``design(space, observations, batch_size=, seed=, exclude=)`` picks
        ``population_size`` distinct untested points, or every untested point left when
        fewer (the last generation: the population rule); each is repeated
        ``replicates + 1`` times, in an order shuffled by the session's seed and
        the generation. Raises CampaignConflict when no untested experiment is left,
        RuntimeError when ``design`` returned fewer than that batch.
        """
        self.check_generate()
        space, pop, reps = self.space, self.population_size, self.replicates
        assert space is not None and pop is not None and reps is not None
        gen = self.gen + 1
        used = self.used_points()
        batch = generation_size(space.size(), len(used), pop)
        if batch <= 0:  # the stored remaining said otherwise: the count rules
            raise _space_exhausted()
        points = design(
            space,
            self.observations(),
            batch_size=batch,
            seed=design_seed(self.seed, gen),
            exclude=sorted(used, key=repr),
        )
        points = [tuple(p) for p in points]
        if len(points) < batch or len(set(points)) < batch:
            left = space.size() - len(used)
            # the population rule says this generation can be filled: a short design is
            # the optimizer's failure, not the end of the campaign (before, a candidate
            # sample of 1,481 was reported as the space's untested count, 47,500)
            raise RuntimeError(
                f"the optimizer designed {len(set(points))} distinct untested experiments, "
                f"not the {batch} of this generation, although the space holds {left} "
                "untested ones"
            )
        rows = [p for p in points for _ in range(reps + 1)]
        random.Random(f"{self.seed}:{gen}").shuffle(rows)
        generation = Generation(gen=gen, design=tuple(rows), created=now)
        out = attrs.evolve(self, gen=gen, generations=self._with_generation(generation))
        return attrs.evolve(out, remaining=out._remaining(len(used | set(points))))


def _space_exhausted() -> CampaignConflict:
    """The 409 of a generation asked for when the whole space was designed or tested."""
    return CampaignConflict(
        SPACE_EXHAUSTED,
        "The space is exhausted: every experiment of it was designed or tested; "
        "no further design can be generated.",
    )


def design_seed(seed: int, gen: int) -> int:
    """The optimizer's seed for generation ``gen`` of a session seeded ``seed``."""
    return (int(seed) * 1_000_003 + gen) % (2**32)


def _require_design_size(space: Space, population_size: Any, replicates: Any, key: str) -> None:
    """CampaignInvalid listing what the population rule refuses of the design size (the
    population named ``key``, as the caller gave it)."""
    problems = check_design_size(space, population_size, replicates, key=key)
    if problems:
        raise CampaignInvalid("The design size is not valid.", problems)


def _in_design_order(table: Table, space: Space, design: Sequence[Point]) -> Table:
    """``table`` with its first ``len(design)`` rows put in the design's order when they
    are the design's rows in another order (a spreadsheet sorted before the lab ran it);
    each row keeps its file line for messages. Any other table is returned as it is."""
    n = len(design)
    if len(table.rows) < n:
        return table
    positions = [table.columns.index(name) for name in space.names]

    def point(row: Sequence[Any]) -> tuple[Any, ...]:
        return tuple(p.coerce(row[k]) for p, k in zip(space.parameters, positions, strict=True))

    sent = [point(row) for row in table.rows[:n]]
    if sent == [tuple(p) for p in design] or Counter(sent) != Counter(tuple(p) for p in design):
        return table
    waiting: dict[tuple[Any, ...], list[int]] = {}
    for i, p in enumerate(sent):
        waiting.setdefault(p, []).append(i)
    order = [waiting[tuple(p)].pop(0) for p in design] + list(range(n, len(table.rows)))
    return Table(
        columns=table.columns,
        rows=[table.rows[i] for i in order],
        line_numbers=tuple(table.row_number(i) for i in order),
    )


def _design_match_problems(
    table: Table, space: Space, design: Sequence[Point], gen: int
) -> list[Problem]:
    """Problems where the first rows of ``table`` differ from ``design`` (same rows, same order:
    a table of the design's rows in another order was put in order by _in_design_order)."""
    problems: list[Problem] = []
    if len(table.rows) < len(design):
        problems.append(
            Problem(
                f"the table has {len(table.rows)} rows but the design of generation {gen} has "
                f"{len(design)}: give every designed row first (in any order), then any "
                "extra rows",
                field="table",
            )
        )
    positions = [table.columns.index(name) for name in space.names]
    for i, expected in enumerate(design[: len(table.rows)]):
        row = table.rows[i]
        for param, k, want in zip(space.parameters, positions, expected, strict=True):
            got = param.coerce(row[k])
            if got != want:
                line = table.row_number(i)
                problems.append(
                    Problem(
                        f"row {line}, column {param.name}: {_show(got)} differs from generation "
                        f"{gen}'s design, which has {_show(want)} in this row; designed rows "
                        "must be the design's rows exactly (in its order, or all in any order)",
                        row=line,
                        column=param.name,
                        field="table",
                    )
                )
                break
    differing = len([p for p in problems if p.row is not None])
    short = len(table.rows) < len(design)
    if differing or short:
        # a sorted sheet with one row deleted, typed twice or changed: every row after it
        # differed from the design's row, where one row is wrong
        unordered = unordered_problems(table, space, design, gen)
        if unordered is not None and (short or len(unordered) < differing):
            return problems[:short] + unordered
    if differing > 3 and differing * 2 >= len(design):
        # before: only one line per row (90 for a 90-row design), hiding the one mistake
        problems.insert(
            0,
            Problem(
                f"{differing} of the {len(design)} designed rows differ from generation "
                f"{gen}'s design: is this that design's file? Send the design as it was "
                "written (design.fetch() in Python, sigopt-like design on the command line) "
                "with its Response column filled in",
                field="table",
            ),
        )
    return problems


def _erased_response_problems(
    table: Table, stored: Sequence[Row], rows: Sequence[Sequence[Any]], gen: int
) -> list[Problem]:
    """Problems where a designed row sent again has no response but had one stored.

    A table sent again replaces the generation's experiments; an empty Response there
    would erase a measurement (the design's file sent instead of the measured one
    erased them all, with only a note). A stored response can be corrected, not blanked.
    """
    problems = [
        Problem(
            f"row {table.row_number(i)}, column {RESPONSE}: empty, but the response "
            f"{_show(kept.response)} of this designed experiment is stored; a table sent "
            "again replaces the generation's experiments, so give its response again "
            "(or a corrected one)",
            row=table.row_number(i),
            column=RESPONSE,
            field="table",
        )
        for i, (kept, row) in enumerate(zip(stored, rows, strict=False))
        if kept.response is not None and row[-1] is None
    ]
    if len(problems) > 3:
        problems.insert(
            0,
            Problem(
                f"{len(problems)} responses of generation {gen} that are stored would be "
                "erased by empty ones: is this the design's file rather than the measured "
                "one? Nothing was changed",
                field="table",
            ),
        )
    return problems


def _dropped_row_problems(
    names: Sequence[str], stored: Sequence[Row], sent: Sequence[Sequence[Any]], gen: int
) -> list[Problem]:
    """Problems for experiments put before (extra rows) that a table sent again leaves out.

    A table sent again replaces the generation's experiments, so an extra row left out
    was deleted with its measurement, without a word (the design's file sent again with
    a corrected response dropped the extras sent with the first one). A row sent again
    with the same parameter values keeps it (its response may be corrected); ``replace``
    drops what is left out.
    """
    left = Counter(tuple(row[:-1]) for row in sent)
    problems = []
    for kept in stored:
        if left[kept.point] > 0:
            left[kept.point] -= 1
            continue
        response = "no response" if kept.response is None else f"response {_show(kept.response)}"
        problems.append(
            Problem(
                f"the experiment {_point_text(names, kept.point)} ({response}), put "
                f"before in generation {gen}, is not in this table: a table sent again "
                "replaces the generation's experiments, so add its row to keep it, or send "
                "the table with replace=True (sigopt-like experiments put --replace) to "
                "drop it",
                field="table",
            )
        )
    return problems


def history_generations(campaign: Campaign) -> list[dict[str, Any]]:
    """The history: ``[{gen, validated, has_responses, design_rows, table}]``, in gen order.

    Generation 0 (the initial experiments, maybe none) always comes first.
    """
    generations = campaign.history()
    if not generations or generations[0].gen != 0:
        generations = [Generation(gen=0), *generations]
    return [generation_json(campaign, g) for g in generations]


def generation_json(
    campaign: Campaign, generation: Generation, *, design_only: bool = False
) -> dict[str, Any]:
    """One generation as ``{gen, validated, has_responses, design_rows, table}``.

    ``design_only``: the designed experiments without responses, as Daptics'
    ``get_experiments(design_only=True, gen)`` ("only return the designed experiments
    (without responses)"): the design as it was generated, no extra rows."""
    rows = generation.table_rows()
    if design_only:
        designed = [Row(r.point, None, True, r.kind) for r in rows if r.designed]
        return {
            "gen": generation.gen,
            "validated": generation.validated,
            "has_responses": False,
            "design_rows": len(designed),
            "table": table_json(campaign, designed),
        }
    return {
        "gen": generation.gen,
        "validated": generation.validated,
        "has_responses": generation.has_responses,
        "design_rows": generation.design_rows,
        "table": table_json(campaign, rows),
    }


def table_json(campaign: Campaign, rows: Iterable[Row]) -> dict[str, Any]:
    """Rows as the contract's Table JSON (parameter columns, then Response)."""
    assert campaign.space is not None
    return {
        "columns": list(campaign.space.columns),
        "rows": [[*_json_point(campaign.space, r.point), r.response] for r in rows],
    }


def points_json(space: Space, points: Iterable[Point]) -> dict[str, Any]:
    """Points as a Table JSON with an empty Response column."""
    return {
        "columns": list(space.columns),
        "rows": [[*_json_point(space, p), None] for p in points],
    }


def _json_point(space: Space, point: Point) -> list[Any]:
    out: list[Any] = []
    for param, value in zip(space.parameters, point, strict=True):
        if param.type == "numerical" and float(value).is_integer() and abs(value) < 1e15:
            out.append(int(value))
        else:
            out.append(value)
    return out
