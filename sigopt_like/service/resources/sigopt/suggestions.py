"""/v1/experiments/{eid}/suggestions and /v1/experiments/{eid}/suggestions/{sid}."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs
import falcon

from .... import error_codes
from ...domain import sigopt_rules as rules
from ...domain import sigopt_runs as run_rules
from ...domain import sigopt_suggestion_state as suggestion_state
from ...domain import sigopt_tasks
from ...domain.sigopt_checks import json_shown, known_fields, without_own_id
from ...errors import BadRequest, Conflict, Unavailable
from ...http import is_id_text, now, query_flag, read_json, render_page
from ...store.sigopt import ExperimentRecord, SigoptStore, SigoptUnit, SuggestionRecord
from . import render, suggester
from .common import (
    caller,
    experiment_of,
    invalid,
    not_found,
    path_id,
    require_active,
    require_v1_writable,
    rule_error,
    sigopt_page,
)

STATES = ("open", "closed")

#: what a suggestion create takes (given ``assignments``: a suggestion of the caller's)
CREATE_FIELDS = ("assignments", "metadata", "task")
#: what a suggestion update may change
UPDATE_FIELDS = ("metadata",)
#: what the service sets in a suggestion that a fetched one sent back carries: taken as
#: a GET answers it now, another value is a 400 (``id`` is checked apart)
SET_BY_SERVICE = ("assignments", "state", "experiment", "created", "deleted", "task")


def _state_param(req: falcon.Request) -> str | None:
    state = req.get_param("state")
    if state is None or state == "all":  # a blank state is no answer: refused below
        return None
    if state not in STATES:
        raise BadRequest(
            f"The query parameter 'state' must be open, closed or all, not {json_shown(state)}.",
            detail={"field": "state"},
        )
    return state


def _ids_param(req: falcon.Request) -> list[int] | None:
    """SigOpt's ``id`` of a suggestion list: comma-separated suggestion ids (blank: none,
    as SigOpt reads ``?id=``); None when it is not given; a 400 naming it for what is not
    an id."""
    raw = req.get_param("id")
    if raw is None:
        return None
    parts = [part for part in raw.split(",") if part]
    for part in parts:
        if not part.isascii() or not part.isdigit():
            raise BadRequest(
                f"The query parameter 'id' must be suggestion ids separated by commas, "
                f"not {json_shown(part[:40])}.",
                detail={"field": "id"},
            )
    return [int(part) for part in parts if is_id_text(part)]  # a larger one is no suggestion


#: experiment types that walk the space without repeats: they read every observation
WALKS = ("grid", "random")


def history(
    unit: SigoptUnit, experiment: ExperimentRecord
) -> tuple[list[tuple[dict, Any]], list[Mapping[str | None, float | None] | None]]:
    """The observations as the engine reads them: (assignments, values or None), and
    beside them each one's value_stddev by metric (None when failed). The model reads
    the latest ones; a grid or random search all of them, since it must not repeat any
    point observed (with the latest 300 only, a 400-point grid repeated points)."""
    walk = experiment.definition()["type"] in WALKS
    latest = None if walk else suggester.MAX_FIT_OBSERVATIONS
    rows = unit.observations.all(experiment.id, latest=latest)
    observed = [(row.assignments, None if row.failed else row.values_by_name()) for row in rows]
    stddevs: list[Mapping[str | None, float | None] | None] = [
        None if row.failed else row.stddevs_by_name() for row in rows
    ]
    if experiment.tasks:  # a cheaper task's value counts as noisier: the model trusts it less
        tasked = [(row.task, values) for row, (_, values) in zip(rows, observed, strict=True)]
        stddevs = sigopt_tasks.fit_stddevs(experiment.tasks, tasked, stddevs)
    return observed, stddevs


#: the Retry-After of a seeded experiment's request that outlasted its ceiling: its
#: engine call goes on, and the retry waits for it again (up to the ceiling)
BUSY_RETRY_AFTER = 5


def time_budget(context: Any, experiment: ExperimentRecord) -> suggester.Limit:
    """The engine's time budget per suggestion (past it, the random fallback answers);
    for an experiment whose creator gave its ``seed``, no budget (``suggester.UNTIMED``)
    but the request's ceiling (``seeded_suggestion_ceiling_seconds``: past it a 503)."""
    if experiment.seed_given:
        seconds = float(context.settings.seeded_suggestion_ceiling_seconds)
        return suggester.Ceiling(context.engine_runs, seconds)
    return float(context.settings.suggestion_time_budget_seconds)


def engine_busy(seconds: float) -> Unavailable:
    """The 503 of a seeded experiment's request whose engine call outlasted the ceiling."""
    return Unavailable(
        f"The engine needs longer than {seconds:g} s for this seeded experiment's "
        f"suggestion; it goes on choosing it: retry in {BUSY_RETRY_AFTER} s to be served "
        "its point. A seeded experiment is never served a random point instead, so that "
        "its suggestions stay reproducible.",
        code="suggestion_in_progress",
        headers={"Retry-After": str(BUSY_RETRY_AFTER)},
    )


@attrs.frozen
class Pick:
    """One request's share of a batch of suggestion requests (``suggestion_batches``):
    its point (None: no point left), the definition and the count of suggestions when
    the batch read its inputs, and its seed; ``busy``: the seconds of the ceiling that
    a seeded experiment's engine call outlasted (no point: a 503)."""

    choice: suggester.Choice | None
    definition: dict[str, Any]
    made: int
    seed: int
    busy: float | None = None


@attrs.frozen
class Inputs:
    """The engine's inputs as one read found them: the experiment, its observations
    (:func:`history`), its open suggestions and how many suggestions it has."""

    experiment: ExperimentRecord
    past: list[tuple[dict, Any]]
    stddevs: list[Mapping[str | None, float | None] | None]
    pending: list[dict[str, Any]]
    made: int


def read_inputs(unit: SigoptUnit, experiment: ExperimentRecord) -> Inputs:
    """The engine's inputs of ``experiment``, read in ``unit``."""
    past, stddevs = history(unit, experiment)
    pending = unit.suggestions.open_assignments(experiment.id)
    return Inputs(experiment, past, stddevs, pending, unit.suggestions.count(experiment.id))


def suggest(
    store: SigoptStore,
    context: Any,
    owner: int,
    raw_eid: str,
    *,
    kind: str = "experiment",
    given: Any = None,
    metadata: Any = None,
    given_task: Any = None,
) -> tuple[ExperimentRecord, SuggestionRecord]:
    """Make and store one new open suggestion (``given`` assignments, the oldest queued
    suggestion's, or the engine's).

    The engine's requests of one experiment that wait together in this process share
    one engine call (:mod:`sigopt_like.service.suggestion_batches`), which chooses a
    different point for each. The engine runs outside any transaction; each write then
    checks again that no open suggestion took the same point meanwhile (nor, in a grid
    or random search, an observation: a point suggested and observed by another client
    in the meantime). A queued suggestion is taken in the write: when another request
    took the last one meanwhile, this one gets a seeded random point instead of waiting
    on the engine.

    In a multitask experiment the suggestion has a task: ``given_task`` with ``given``
    assignments (SigOpt wants both or neither), a queued suggestion's own, else
    :func:`sigopt_tasks.next_task`'s.
    """
    v1 = kind == "experiment"  # the v1 route: an AI experiment is found, then refused
    found_as = None if v1 else kind
    batches = context.suggestion_batches
    stored = batches.stored()  # before the read: a suggestion stored since is missed
    inputs: Inputs | None = None  # the engine's, read here unless they will be read again
    with store.read() as unit:
        experiment = experiment_of(unit, raw_eid, owner, found_as)
        if v1:
            require_v1_writable(experiment)
        require_active(experiment)
        definition = experiment.definition()
        queued = given is None and unit.queued.waiting(experiment.id)
        if given is None and not queued and not batches.busy(experiment.id):
            inputs = read_inputs(unit, experiment)  # likely this request leads, now
            made = inputs.made
        else:  # a batch runs: the next one reads its inputs when it stored its suggestions
            made = unit.suggestions.count(experiment.id)
        successes = unit.observations.successes(experiment.id) if experiment.tasks else 0
    seed = (experiment.seed * 1_000_003 + made) % (2**63)
    model_based = definition["type"] not in WALKS and successes >= sigopt_tasks.MODEL_SUCCESSES
    task = _task(experiment, given, given_task, model_based, seed)
    if given is not None or queued:  # a queued one is taken in the write
        given_point = None if given is None else _given_point(definition, given)
        pick = Pick(None, definition, made, seed)
        return _store(
            store, context, owner, raw_eid, found_as, pick, given_point, metadata, task, queued
        )

    def choose(count: int) -> list[Pick]:
        current = inputs if batches.stored() == stored else None
        return _choose_batch(store, context, owner, raw_eid, found_as, count, current)

    # the line is let go when the request's transaction ends, not when this block does:
    # the next batch must read this suggestion as open (see suggestion_batches)
    with context.suggestion_batches.turn(experiment.id, choose, store.after_end) as pick:
        if pick.busy is not None:
            raise engine_busy(pick.busy)
        if experiment.tasks:  # the batch's seed: requests of one batch draw their own
            task = _task(experiment, None, None, model_based, pick.seed)
        return _store(store, context, owner, raw_eid, found_as, pick, None, metadata, task)


def _given_point(definition: Mapping[str, Any], given: Any) -> dict[str, Any]:
    """The caller's assignments, checked against the definition (a 4xx if refused)."""
    try:
        point = rules.assignments(
            definition["parameters"], given, conditionals=definition["conditionals"]
        )
        rules.check_constraints(definition["linear_constraints"], point)
    except rules.RuleError as err:
        raise rule_error(err) from err
    return point


def _choose_batch(
    store: SigoptStore,
    context: Any,
    owner: int,
    raw_eid: str,
    found_as: str | None,
    count: int,
    inputs: Inputs | None = None,
) -> list[Pick]:
    """The points of ``count`` requests waiting together: the engine's inputs read once
    (after the batch before stored its suggestions, now open; ``inputs`` when the
    leading request read them and no suggestion was stored since), then one engine call
    within the time budget: what it has not chosen by then falls back, point by point."""
    if inputs is None:
        with store.read() as unit:
            inputs = read_inputs(unit, experiment_of(unit, raw_eid, owner, found_as))
    definition, made = inputs.experiment.definition(), inputs.made
    seed = (inputs.experiment.seed * 1_000_003 + made) % (2**63)
    try:
        choices = suggester.choose_several(
            definition,
            inputs.past,
            inputs.pending,
            count=count,
            seed=seed,
            time_budget=time_budget(context, inputs.experiment),
            stddevs=inputs.stddevs,
        )
    except suggester.EngineBusy as busy:  # every request of the batch: a 503
        return [Pick(None, definition, made, seed + i, busy.seconds) for i in range(count)]
    context.metrics.suggestions_batched(count)
    return [Pick(choice, definition, made, seed + i) for i, choice in enumerate(choices)]


def _store(
    store: SigoptStore,
    context: Any,
    owner: int,
    raw_eid: str,
    found_as: str | None,
    pick: Pick,
    given_point: dict[str, Any] | None,
    metadata: Any,
    task: str | None,
    queued: bool = False,
) -> tuple[ExperimentRecord, SuggestionRecord]:
    """Store the suggestion: the oldest queued one's assignments if any (``queued``: one
    was waiting when the request came), else the given point or the pick's (another
    point if a concurrent request took it meanwhile)."""
    definition, choice, seed = pick.definition, pick.choice, pick.seed
    given = given_point is not None
    with store.write() as unit:
        experiment = experiment_of(unit, raw_eid, owner, found_as)
        require_active(experiment)
        first = unit.queued.take(experiment.id) if not given else None
        if first is not None:
            return experiment, unit.suggestions.create(
                experiment.id, first.assignments, metadata, now(), first.task or task
            )
        if queued:  # another request took the queue's last one meanwhile
            pending = unit.suggestions.open_assignments(experiment.id)
            choice = suggester.choose({**definition, "type": "random"}, [], pending, seed=seed)
        if not given:
            pending = unit.suggestions.open_assignments(experiment.id)
            walk = definition["type"] in WALKS
            # a walk's observed points that may be this one: their assignments only (the
            # whole rows only if one clashes)
            observed = (
                unit.observations.assignments_near(experiment.id, choice.assignments)
                if walk and choice is not None
                else []
            )
            # and those a concurrent request made since the engine's inputs were read: made
            # from the same inputs and seed, it may be this very point, observed since
            meanwhile = unit.suggestions.latest_assignments(
                experiment.id, unit.suggestions.count(experiment.id) - pick.made
            )
            taken = [*pending, *observed, *meanwhile]
            if choice is not None and any(
                rules.same_assignments(choice.assignments, p) for p in taken
            ):
                # a concurrent request took this point meanwhile: a random one unlike every
                # point taken and observed (unlike the open ones only, a request of another
                # process drew with the same seed the point a request made meanwhile, whose
                # client had observed it since: one point served twice)
                choice = suggester.choose(
                    definition if walk else {**definition, "type": "random"},
                    history(unit, experiment)[0],
                    taken,
                    seed=seed + len(taken),
                )
        chosen = given_point if choice is None else choice.assignments
        if chosen is None:
            raise _exhausted(definition)
        # an update added parameters meanwhile: as the suggestions it rewrote
        chosen = rules.redefined(
            chosen, definition["parameters"], experiment.parameters, experiment.conditionals
        )
        made_now = unit.suggestions.create(experiment.id, chosen, metadata, now(), task)
    if choice is not None:  # the point served, not the engine's when a race replaced it
        context.metrics.suggestion_chosen(choice.source)
    return experiment, made_now


def _task(
    experiment: ExperimentRecord,
    given: Any,
    given_task: Any,
    model_based: bool,
    seed: int,
) -> str | None:
    """The new suggestion's task (None when the experiment is not multitask)."""
    if not experiment.tasks:
        if given_task is not None:
            raise invalid("'task' should only be present for multitask experiments.", "task")
        return None
    if (given is None) != (given_task is None):
        missing = "task" if given_task is None else "assignments"
        raise invalid(
            f"'{missing}': for multitask experiments, manually created suggestions must "
            "have both 'assignments' and 'task'.",
            missing,
        )
    try:
        if given_task is not None:
            return str(sigopt_tasks.task(experiment.tasks, given_task)["name"])
    except rules.RuleError as err:
        raise rule_error(err) from err
    return sigopt_tasks.next_task(experiment.tasks, model_based, seed)


def _exhausted(definition: Mapping[str, Any]) -> Conflict:
    """The 409 of an experiment with no point left to suggest, its code saying which
    (error_codes: the command line's advice is chosen by it, not by these words)."""
    if definition["type"] == "grid":
        return Conflict(
            "Every point of this grid search has been suggested; ask for no more "
            "suggestions, or delete open ones to have them suggested again.",
            code=error_codes.GRID_EXHAUSTED,
            detail={"field": "experiment"},
        )
    return Conflict(
        "Every point of this experiment's space has an open suggestion; report or delete "
        "one before asking for another.",
        code=error_codes.SPACE_EXHAUSTED,
        detail={"field": "experiment"},
    )


class SuggestionCollection:
    """Create a suggestion (from the engine, or given ``assignments``); list; delete."""

    def __init__(self, context: Any, store: SigoptStore) -> None:
        self.context = context
        self.store = store

    def on_post(self, req: falcon.Request, resp: falcon.Response, eid: str) -> None:
        """A new open suggestion; never waits on the engine for more than its budget (a
        seeded experiment's: its ceiling, then a 503)."""
        owner = caller(req, self.context)
        body = read_json(req, required=False)
        try:
            known_fields(body, CREATE_FIELDS, "", "suggestion")
            meta = rules.metadata(body.get("metadata"))
        except rules.RuleError as err:
            raise rule_error(err) from err
        experiment, row = suggest(
            self.store,
            self.context,
            owner,
            eid,
            given=body.get("assignments"),
            metadata=meta,
            given_task=body.get("task"),
        )
        resp.media = render.suggestion(row, experiment.tasks)
        resp.status = falcon.HTTP_201

    def on_get(self, req: falcon.Request, resp: falcon.Response, eid: str) -> None:
        """A page of the experiment's suggestions (not deleted); ``state=open|closed``;
        SigOpt's ``deleted=true`` (only the deleted ones) and ``id`` (those ids)."""
        owner = caller(req, self.context)
        state = _state_param(req)
        request = sigopt_page(req)
        deleted, ids = bool(query_flag(req, "deleted")), _ids_param(req)
        with self.store.read() as unit:
            experiment = experiment_of(unit, eid, owner)
            page = unit.suggestions.page(experiment.id, request, state, deleted=deleted, ids=ids)
        resp.media = render_page(page, lambda row: render.suggestion(row, experiment.tasks))

    def on_delete(self, req: falcon.Request, resp: falcon.Response, eid: str) -> None:
        """Delete every suggestion, or only the open ones with ``state=open``."""
        owner = caller(req, self.context)
        state = _state_param(req)
        with self.store.write() as unit:
            experiment = experiment_of(unit, eid, owner)
            require_v1_writable(experiment)
            unit.suggestions.delete(experiment.id, state=state)
        resp.status = falcon.HTTP_204


class SuggestionItem:
    """Fetch, update (metadata) and delete one suggestion."""

    def __init__(self, context: Any, store: SigoptStore) -> None:
        self.context = context
        self.store = store

    def _row(self, unit: SigoptUnit, experiment: ExperimentRecord, sid: str) -> SuggestionRecord:
        row = unit.suggestions.get(experiment.id, path_id(sid, "suggestion"))
        if row is None:
            raise not_found("suggestion", sid, f"experiment {experiment.id}")
        return row

    def on_get(self, req: falcon.Request, resp: falcon.Response, eid: str, sid: str) -> None:
        """The suggestion (a deleted one shows ``deleted: true``)."""
        owner = caller(req, self.context)
        with self.store.read() as unit:
            experiment = experiment_of(unit, eid, owner)
            resp.media = render.suggestion(self._row(unit, experiment, sid), experiment.tasks)

    def on_put(self, req: falcon.Request, resp: falcon.Response, eid: str, sid: str) -> None:
        """Replace the suggestion's metadata (a deleted suggestion's is a 409)."""
        owner = caller(req, self.context)
        body = read_json(req)
        with self.store.write() as unit:
            experiment = experiment_of(unit, eid, owner)
            row = self._row(unit, experiment, sid)
            if row.deleted:  # not edited unseen, nor restored (SigOpt answers it 404)
                why, field = suggestion_state.deleted_refusal(
                    row.id, experiment.id, body.get("deleted")
                )
                raise Conflict(why, detail={"field": field})
            try:  # sent back whole, it carries its own id (taken; another is a 400)
                body = without_own_id(body, str(row.id), "suggestion")
                # and what the service sets, as a GET answers it now (another is a 400)
                shown = render.suggestion(row, experiment.tasks)
                if "state" in body:  # a stale "open" says which observation closed it
                    closed_by = (
                        unit.observations.first_of_suggestion(experiment.id, row.id)
                        if row.state == "closed"
                        else None
                    )
                    suggestion_state.check_state(body["state"], shown["state"], closed_by)
                body = run_rules.without_echoes(body, shown, SET_BY_SERVICE, "suggestion")
                known_fields(body, UPDATE_FIELDS, "", "suggestion")
            except rules.RuleError as err:
                raise rule_error(err) from err
            try:  # its stored keys sent back are taken, though stored before the names' rule
                meta = rules.metadata(body.get("metadata"), kept=row.metadata or {})
            except rules.RuleError as err:
                raise rule_error(err) from err
            if "metadata" in body:
                unit.suggestions.set_metadata(row.id, meta)
            resp.media = render.suggestion(self._row(unit, experiment, sid), experiment.tasks)

    def on_delete(self, req: falcon.Request, resp: falcon.Response, eid: str, sid: str) -> None:
        """Delete the suggestion: it leaves the lists and can no longer be observed."""
        owner = caller(req, self.context)
        with self.store.write() as unit:
            experiment = experiment_of(unit, eid, owner)
            require_v1_writable(experiment)
            row = self._row(unit, experiment, sid)
            unit.suggestions.delete(experiment.id, sid=row.id)
        resp.status = falcon.HTTP_204
