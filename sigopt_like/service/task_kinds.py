"""The task kinds: what each task type does (space, update, generate, simulate, analytics).

Each handler reads the session's campaign, computes the new state with the
pure domain (reporting progress and checking for cancellation between steps)
and returns an :class:`~.worker.Outcome` whose ``apply`` writes it in the
runner's final transaction. Nothing is written before that, so a failed,
canceled or interrupted task leaves the session exactly as it was; but a canceled
simulate task keeps the generations it finished before the cancel (written in that
final transaction as well, the task ending ``canceled``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sigopt_like.spaces import Space, SpaceError
from sigopt_like.tables import Table, TableError
from sigopt_like.wording import counted

from .design_progress import DesignProgress
from .domain.campaign import (
    DESIGN_PENDING,
    DESIGNED,
    NO_SPACE,
    Campaign,
    CampaignConflict,
    CampaignInvalid,
    Generation,
    generation_json,
    history_generations,
)
from .domain.codes import Codec, Codes, encoded_history
from .domain.tasks import VALIDATION, TaskError, capped_errors
from .http import now
from .store.analytics import StoredFile
from .store.campaigns import LoadedCampaign, StoredCodes
from .worker import Handler, Outcome, TaskCanceled, TaskContext, TaskFailure

RESPONSE_DIGITS = 6


def default_handlers() -> dict[str, Handler]:
    """A fresh registry of the task kinds: type -> handler."""
    return {
        "space": run_space,
        "update": run_update,
        "generate": run_generate,
        "simulate": run_simulate,
        "analytics": run_analytics,
    }


# --------------------------------------------------------------------------- helpers


def problems_failure(problems: Sequence[Any]) -> TaskFailure:
    """A validation failure listing the problems with their rows and columns; past
    ``MAX_TASK_ERRORS`` of them, a summary first (the count of each kind) and the
    first ones only (see :func:`~.domain.tasks.capped_errors`)."""
    return TaskFailure(
        capped_errors(
            [
                TaskError(p.message, VALIDATION, row=p.row, column=p.column, field=p.field)
                for p in problems
            ]
        )
    )


def _domain_call(step: Callable[..., Any], *args: Any) -> Any:
    """Run a domain step ``step(*args)``; its refusals become task failures."""
    try:
        return step(*args)
    except CampaignInvalid as exc:
        raise problems_failure(exc.problems) from exc
    except CampaignConflict as exc:
        raise TaskFailure([TaskError(exc.message, VALIDATION)]) from exc
    except (SpaceError, TableError) as exc:
        raise problems_failure(exc.problems) from exc


def _load(ctx: TaskContext) -> Campaign:
    return ctx.store.campaigns.load(ctx.session_id)


class _CodeBook:
    """The codes of a task's campaign generations: as stored, or encoded once when a
    generation is new (one task's working memory)."""

    def __init__(self, loaded: LoadedCampaign) -> None:
        self._stored = loaded.codes
        self._codec: tuple[Space, Codec] | None = None
        self._made: dict[int, tuple[Generation, Sequence[Codes]]] = {}

    def codes(self, generation: Generation, space: Space) -> Sequence[Codes]:
        """The codes of a generation's table, in ``space`` (the campaign's)."""
        made = self._made.get(generation.gen)
        if made is not None and made[0] is generation:
            return made[1]
        if self._codec is None or self._codec[0] is not space:
            self._codec = (space, Codec(space))
        codes = self._stored.codes_of(generation, self._codec[1])
        self._made[generation.gen] = (generation, codes)
        return codes

    def stored(self) -> StoredCodes:
        """Every generation's codes known so far (so saving encodes none again)."""
        made = {gen: (g, tuple(codes)) for gen, (g, codes) in self._made.items()}
        return StoredCodes({**self._stored.by_gen, **made})


def _saver(
    ctx: TaskContext, old: Campaign, new: Campaign, book: _CodeBook | None = None
) -> Callable[[], None]:
    """Write ``new`` if the session still is ``old`` (else the store's Conflict fails
    the task: someone changed it)."""

    def save() -> None:
        stored = book.stored() if book is not None else None
        ctx.store.campaigns.replace(ctx.session_id, old, new, now(), stored)

    return save


def _designer(
    ctx: TaskContext, low: float, high: float, campaign: Campaign, book: _CodeBook
) -> Callable[..., list[tuple]]:
    """The optimizer's ``design_batch`` on ``campaign``'s history as stored (codes, not
    points encoded again), reporting progress between ``low`` and ``high`` at its steps
    (:class:`~.design_progress.DesignProgress`)."""
    from .optimizer import design_batch
    from .optimizer.design import gathered_history, without_model
    from .optimizer.engine import Settings

    def design(space: Space, observations: Sequence[Any], **kw: Any) -> list[tuple]:
        encoded = encoded_history(campaign, lambda g: book.codes(g, space))
        gathered = gathered_history(space, encoded)  # once: the progress line's, the design's
        scored = sum(1 for y in encoded.values if y is not None)
        no_model = without_model(gathered, kw.get("settings") or Settings())
        told = DesignProgress(ctx.progress, low, high, int(kw["batch_size"]))
        told.begin(*modelling_progress(scored, no_model))
        points = design_batch(
            space, observations, encoded=encoded, gathered=gathered, on_step=told.step, **kw
        )
        told.chosen(len(points))
        return points

    return design


def modelling_progress(responses: int, no_model: str | None) -> tuple[str, str]:
    """The phase and the message of a design's first step: fitting the model to
    ``responses``, or, when the optimizer fits none (``no_model`` says why: the first
    generation has no responses), spreading the experiments over the space. Before, the
    first generation said "fitting the model to 0 responses"."""
    if no_model is None:
        return "fitting model", f"fitting the model to {responses:,} responses"
    return "spreading experiments", f"{no_model}: spreading the experiments over the space"


def simulated_responses(space: Space, seed: int, points: Sequence[Sequence[Any]]) -> list[float]:
    """The session's synthetic responses of ``points`` (seeded: the same every time)."""
    from .simulator import Surface

    if not points:
        return []
    surface = Surface.for_space(space, seed)
    return [round(float(v), RESPONSE_DIGITS) for v in surface.values([tuple(p) for p in points])]


def _state_result(c: Campaign) -> dict[str, Any]:
    return {"gen": c.gen, "remaining": c.remaining, "completed": c.completed}


# --------------------------------------------------------------------------- kinds


def _put_space(old: Campaign, space: Space, params: dict[str, Any]) -> Campaign:
    """``old`` with ``space`` put at the population and replicates of a task's params;
    the population is read under the key the caller sent it under (Daptics'
    ``populationSize`` is kept so by the route), so that a refusal names that key."""
    key = "populationSize" if "populationSize" in params else "population_size"
    return old.put_space(space, params.get(key), params.get("replicates"), population_key=key)


def run_space(ctx: TaskContext) -> Outcome:
    """Validate a space and a design size; on success the session is at gen 0."""
    params = ctx.params
    ctx.progress("reading space", 0.1, "reading the space")
    space = _domain_call(lambda: Space.from_dict(params["space"], validate=False))
    old = _load(ctx)
    ctx.progress("validating space", 0.3, "checking the space and the design size")
    new = _domain_call(lambda: _put_space(old, space, params))
    ctx.progress("counting experiments", 0.8, "counting the space's experiments")
    result = {
        "space": space.to_dict(),
        "space_size": space.size(),
        "population_size": new.population_size,
        "replicates": new.replicates,
        **_state_result(new),
    }
    save = _saver(ctx, old, new)
    return Outcome(result=result, apply=lambda _r: save(), message="space validated")


def run_update(ctx: TaskContext) -> Outcome:
    """Validate and store experiments (initial, designed, final); may chain a generate task."""
    kind = ctx.params["type"]
    generate_next = bool(ctx.params.get("generate_next"))
    ctx.progress("reading table", 0.1, "reading the experiments table")
    table = _domain_call(lambda: Table.from_dict(ctx.params["table"]))
    old = _load(ctx)
    ctx.progress(
        "validating experiments", 0.4, f"checking {counted(len(table.rows), 'experiment')}"
    )
    replace = bool(ctx.params.get("replace"))
    new, count = _domain_call(lambda: old.put_experiments(kind, table, now(), replace=replace))
    result = {"type": kind, "rows": count, "next_task": None, **_state_result(new)}
    save = _saver(ctx, old, new)

    def apply(_result: dict[str, Any]) -> dict[str, Any]:
        save()
        if not generate_next:
            return {}
        # final experiments complete the campaign: check_generate says so in the result
        # (before, generate_next with them was taken and silently not done)
        try:
            new.check_generate()
        except CampaignConflict as exc:
            return {"next_task": None, "next_task_skipped": exc.message}
        next_id = ctx.store.tasks.create_next(
            ctx.session_id, ctx.owner_id, "generate", {}, now(), besides=ctx.task_id
        )
        return {"next_task": str(next_id)}

    return Outcome(
        result=result, apply=apply, message=f"{counted(count, kind + ' experiment')} stored"
    )


def run_generate(ctx: TaskContext) -> Outcome:
    """Design the next generation with the optimizer."""
    loaded = ctx.store.campaigns.load_with_codes(ctx.session_id)
    old, book = loaded.campaign, _CodeBook(loaded)
    _domain_call(old.check_generate)
    new = _domain_call(lambda: old.generate(_designer(ctx, 0.1, 0.9, old, book), now()))
    generation = new.generation(new.gen)
    assert generation is not None
    # the design itself is stored once, in its generation: the task's result shows it
    # from there (store/tasks.py), as ``experiments``
    result = {"gen": new.gen, "remaining": new.remaining, "completed": new.completed}
    save = _saver(ctx, old, new, book)
    return Outcome(result=result, apply=lambda _r: save(), message=f"generation {new.gen} designed")


def _simulated_design(c: Campaign) -> Table:
    generation = c.generation(c.gen)
    assert c.space is not None and generation is not None and generation.design is not None
    responses = simulated_responses(c.space, c.seed, generation.design)
    return Table(
        columns=c.space.columns,
        rows=[(*p, y) for p, y in zip(generation.design, responses, strict=True)],
    )


def run_simulate(ctx: TaskContext) -> Outcome:
    """Run ``ngens`` generations on simulated responses (putting a space first if given)."""
    params = ctx.params
    ngens = int(params["ngens"])
    loaded = ctx.store.campaigns.load_with_codes(ctx.session_id)
    old, book = loaded.campaign, _CodeBook(loaded)
    c = old
    if params.get("space") is not None:
        ctx.progress("validating space", 0.02, "checking the space and the design size")
        space = _domain_call(lambda: Space.from_dict(params["space"], validate=False))
        c = _domain_call(lambda: _put_space(old, space, params))
    if c.state == NO_SPACE:
        raise TaskFailure(
            [TaskError("the session has no space: give one or put one first", VALIDATION)]
        )
    _domain_call(c.require_open)
    if c.state == DESIGN_PENDING:
        ctx.progress(
            "simulating responses", 0.04, f"simulating the responses of generation {c.gen}"
        )
        c, _ = _domain_call(c.put_experiments, DESIGNED, _simulated_design(c), now())
    run, note = 0, None
    planned, room = _planned_generations(c, ngens)
    try:
        for i in range(ngens):
            share = max(planned, i + 1)
            low, high = 0.05 + 0.9 * i / share, 0.05 + 0.9 * (i + 1) / share
            try:
                c.check_generate()
            except CampaignConflict as exc:
                note = exc.message
                break
            ctx.progress(
                "generation", low, f"generation {c.gen + 1} ({i + 1} of {planned}{room}): designing"
            )
            design = _designer(ctx, low, low + (high - low) * 0.8, c, book)
            designed = _domain_call(c.generate, design, now())
            ctx.progress(
                "simulating responses",
                low + (high - low) * 0.85,
                f"generation {designed.gen}: simulating responses",
            )
            c, _ = _domain_call(
                designed.put_experiments, DESIGNED, _simulated_design(designed), now()
            )
            run += 1
    except TaskCanceled:
        # the generations finished before the cancel are kept (each is designed and
        # measured: a lab's campaign as far as it got); one under way is not
        if not run:
            raise
        raise TaskCanceled(_kept_generations(ctx, old, c, book, run, planned, room)) from None
    # the history is the campaign's own: the task's result shows it from there
    # (store/tasks.py), as ``history``, through generation ``gen``
    result = {"generations_run": run, **_state_result(c)}
    if note:
        result["stopped"] = note
    save = _saver(ctx, old, c, book)
    return Outcome(
        result=result,
        apply=lambda _r: save(),
        message=f"simulated {run} generations",
        on_cancel=_kept_generations(ctx, old, c, book, run, planned, room) if run else None,
    )


def _planned_generations(c: Campaign, ngens: int) -> tuple[int, str]:
    """How many of ``ngens`` generations a simulate on ``c`` can run (the population rule:
    ``c.remaining``), and what its messages add after that count when it is fewer than
    ``ngens`` (", all the space has room for"; nothing when the space has room for all).
    The task's progress is spread over those: before, it was spread over ``ngens``, so a
    simulate of 100 generations on a space with room for 16 read 19% when it ended (and a
    watcher waiting for 20% never saw it). Its progress lines and its cancel message say
    the same count (before, a cancel said "5 of 100" after lines saying "5 of 16")."""
    if c.remaining is None or c.remaining >= ngens:
        return ngens, ""
    return max(1, c.remaining), ", all the space has room for"


def _kept_generations(
    ctx: TaskContext,
    old: Campaign,
    c: Campaign,
    book: _CodeBook,
    run: int,
    planned: int,
    room: str,
) -> Outcome:
    """What a simulate task canceled after ``run`` finished generations keeps: them (the
    task ends ``canceled``, its result saying how many, of the ``planned`` its progress
    lines counted, with their ``room`` wording: :func:`_planned_generations`)."""
    result = {"generations_run": run, **_state_result(c)}
    save = _saver(ctx, old, c, book)
    return Outcome(
        result=result,
        apply=lambda _r: save(),
        message=(
            f"canceled after {run} of {max(planned, run)} generations{room}; the {run} "
            f"finished are kept (the session is at generation {c.gen})"
        ),
        canceled=True,
    )


def run_analytics(ctx: TaskContext) -> Outcome:
    """Render the analytics files of generation ``gen`` (default: the current one) and
    store them."""
    from .analytics import render_analytics

    c = _load(ctx)
    if c.space is None:
        raise TaskFailure(
            [TaskError("the session has no space yet: put a space first", VALIDATION)]
        )
    gen = max(c.gen, 0)
    asked = ctx.params.get("gen")
    if asked is not None:
        if int(asked) > gen:
            raise TaskFailure(
                [TaskError(f"the session is at generation {gen}, not {asked}", VALIDATION)]
            )
        gen = int(asked)
    ctx.progress("rendering", 0.2, f"rendering the analytics of generation {gen}")
    files = render_analytics(
        c.space, history_generations(c), gen, session=f"session {ctx.session_id}"
    )
    ctx.check()
    stamp = now()
    listing = [file_json(ctx.session_id, gen, f.name, f.content_type, len(f.data)) for f in files]

    stored = [StoredFile(f.name, gen, f.content_type, f.data) for f in files]

    def apply(_result: dict[str, Any]) -> None:
        ctx.store.analytics.replace(ctx.session_id, gen, stored, stamp)

    return Outcome(
        result={"gen": gen, "files": listing}, apply=apply, message=f"{len(files)} files"
    )


def file_json(session_id: int, gen: int, name: str, content_type: str, size: int) -> dict[str, Any]:
    """One analytics file's listing entry, with its caption and the URL that downloads it
    (same auth)."""
    from .analytics import file_title

    return {
        "object": "analytics_file",
        "name": name,
        "title": file_title(name),
        "gen": gen,
        "content_type": content_type,
        "size": size,
        "url": f"/v1/sessions/{session_id}/analytics/files/{name}?gen={gen}",
    }


__all__ = ["default_handlers", "file_json", "generation_json", "simulated_responses"]
