"""Campaign routes: space, experiments, design, history, generate, simulate, best, templates.

What is refused at once and what a task reports (see docs/campaign.md):

* at once, nothing stored and no task: a body that cannot be read (400), a
  space or table whose shape or words cannot be parsed (422 with every
  problem), a step the session's state does not allow (409 with a code and
  what to do), a second task while one is active (409 ``task_running``);
* when a space's or an experiments table's task is started (422 with every problem,
  no task), against the campaign the task will read: the rules of a space; each bad
  header and cell of a table, parameters and responses alike, then its match with
  the design, a stored response it would erase, an experiment it would drop;
* in the task, failing it with each problem's row and column and leaving the
  session as it was: the design size against the space's size (counting a large
  mixture takes seconds).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import falcon

from sigopt_like._constants import MAX_GENERATION, MAX_SIMULATED_GENERATIONS
from sigopt_like.json_kinds import json_shown, json_written_short, path_key
from sigopt_like.population import MAX_DESIGN_ROWS, MAX_POPULATION, MIN_POPULATION
from sigopt_like.spaces import Space, SpaceError, capped_problems
from sigopt_like.tables import (
    Table,
    TableError,
    history_to_csv,
    validate_experiments,
)

from ..domain.campaign import (
    DAPTICS_EXPERIMENT_TYPES,
    EXPERIMENT_TYPES,
    FINAL,
    NO_SPACE,
    Campaign,
    CampaignConflict,
    CampaignInvalid,
    experiment_type,
    generation_json,
    history_generations,
    points_json,
    table_json,
)
from ..door import table_rows
from ..errors import (
    BadRequest,
    Conflict,
    NotFound,
    ValidationFailed,
    too_many_rows,
)
from ..http import (
    QUERY_SHOWN,
    WholeRange,
    field,
    owner_id,
    paginate_list,
    parse_id,
    query_bool,
    query_int,
    read_json,
    reject_unknown,
)
from ..store.campaigns import CampaignStore
from ..task_kinds import simulated_responses
from .tasks import TaskStarter

#: the whole numbers each campaign field takes, in one place: a number past its range is a
#: 400 giving it (``http.field``, ``http.query_int``), however it is written (101, 1e308,
#: 2**70). The population rule then judges a population and replicates against the space
#: (in the task): these are the service's own limits (``sigopt_like.population``).
SIMULATED_GENERATIONS: WholeRange = (1, MAX_SIMULATED_GENERATIONS)
POPULATION: WholeRange = (MIN_POPULATION, MAX_POPULATION)
REPLICATES: WholeRange = (0, MAX_DESIGN_ROWS - 1)  # x (replicates + 1) rows, at population 1
GENERATIONS: WholeRange = (0, MAX_GENERATION)
DESIGNED_GENERATIONS: WholeRange = (1, MAX_GENERATION)


def _problems(problems: Any, field: str) -> list[dict[str, Any]]:
    """The problems a 422 lists: the first hundred, then how many more (before, a table of
    40,000 rows of the wrong width listed each, a 422 of megabytes)."""
    return [p.to_dict() for p in capped_problems(problems, field)]


#: a space's fields (``totalUnits`` and ``table``: Daptics' form of the same space)
SPACE_FIELDS = ("type", "total_units", "parameters", "totalUnits", "table")
#: a space parameter's fields (``values`` of a factorial one, ``min``/``max`` of a component)
SPACE_PARAMETER_FIELDS = ("name", "type", "values", "min", "max")
#: a table's fields (``colHeaders`` and ``data``: Daptics' names; ``object`` as rendered)
TABLE_FIELDS = ("columns", "rows", "colHeaders", "data", "object")


def parse_space(raw: Any) -> Space:
    """The space of a request body, parsed but not rule-checked; 400/422 at once otherwise.

    A field the space (or one of its parameters) does not have is a 400 naming it: it
    was dropped, so a misspelt key looked accepted."""
    if not isinstance(raw, dict):
        raise BadRequest("The field 'space' must be an object.", detail={"field": "space"})
    _known_keys(raw, SPACE_FIELDS, "space")
    parameters = raw.get("parameters")
    for i, item in enumerate(parameters if isinstance(parameters, list) else []):
        if isinstance(item, dict):
            _known_keys(item, SPACE_PARAMETER_FIELDS, f"space.parameters[{i}]")
    try:
        return Space.from_dict(raw, validate=False)
    except SpaceError as exc:
        raise ValidationFailed(
            f"The space cannot be read: {exc.problems[0].message}",
            _problems(exc.problems, "space"),
        ) from exc


def _known_keys(item: dict[str, Any], allowed: tuple[str, ...], where: str) -> None:
    for key in item:
        if key not in allowed:
            path = f"{where}.{path_key(str(key))}"
            raise BadRequest(
                f"'{path}' is not a field of this object (fields: {', '.join(allowed)}); "
                "remove it or fix its spelling.",
                detail={"field": path},
            )


def parse_table(raw: Any, max_rows: int) -> Table:
    """The table of a request body, parsed (shape only); 400/422/413 at once otherwise."""
    if not isinstance(raw, dict):
        raise BadRequest(
            'The field \'table\' must be an object {"columns": [...], "rows": [[...]]}.',
            detail={"field": "table"},
        )
    _known_keys(raw, TABLE_FIELDS, "table")
    rows = table_rows(raw)
    if rows is not None and len(rows) > max_rows:  # the door counts them first (door.py)
        raise too_many_rows(len(rows), max_rows)
    try:
        return Table.from_dict(raw)
    except TableError as exc:
        raise ValidationFailed(
            f"The table cannot be read: {exc.problems[0].message}",
            _problems(exc.problems, "table"),
        ) from exc


def _population_key(body: dict[str, Any]) -> str:
    """The key the body gives its population under: ours, or Daptics' ``populationSize``
    (its params dict for put_experimental_parameters and start_simulation: ``{populationSize,
    replicates, space}``), as a space's ``totalUnits`` and ``table`` are taken; read under
    that key, so that a refusal names what was sent. Both is a 400, neither dropped unseen."""
    if "populationSize" not in body:
        return "population_size"
    if "population_size" in body:
        raise BadRequest(
            "The body gives both 'population_size' and Daptics' 'populationSize', two names "
            "of one thing: send one of them.",
            detail={"field": "populationSize"},
        )
    return "populationSize"


def _design_size(body: dict[str, Any], required: bool) -> tuple[Any, Any]:
    population = field(body, _population_key(body), int, required=required, within=POPULATION)
    replicates = field(body, "replicates", int, required=required, within=REPLICATES)
    return population, replicates


def _campaign(campaigns: CampaignStore, req: falcon.Request, sid: str) -> Campaign:
    return campaigns.load(parse_id(sid, "session"), owner_id(req))


#: what a route that needs a space says before one is validated (the 409 of the routes that
#: act on it, the 404 of reading it): both name the way to put one
NO_SPACE_YET = (
    "The session has no validated space yet: "
    "set one first (space.put in Python, sigopt-like space put on the command line)."
)


def _require_space(c: Campaign) -> Space:
    return _space_in(c.space, c.state)


def _space_in(space: Space | None, state: str) -> Space:
    """The campaign's space; 409 ``space_required`` before one is validated."""
    if space is None or state == NO_SPACE:
        raise Conflict(NO_SPACE_YET, code="space_required")
    return space


Responder = Callable[[Any, falcon.Request, falcon.Response, str], None]


def _explained(responder: Responder) -> Responder:
    """A campaign route's GET whose "not yet" answer (no space, no design, no responses)
    names the task under way that is making it (:meth:`TaskStarter.explained`)."""

    @functools.wraps(responder)
    def answer(route: Any, req: falcon.Request, resp: falcon.Response, sid: str) -> None:
        with route._starter.explained(sid):
            responder(route, req, resp, sid)

    return answer


class _CampaignRoute:
    """What every campaign route is handed: the campaign store, the task starter and
    the table size limit (``max_table_rows``, which the door judges before reading every
    cell of a body's ``table``)."""

    #: the door leaves a top-level integer past 64 bits to the field's check, which names
    #: the field's own range (``door.parse_json``)
    fields_judge_integers = True

    def __init__(self, campaigns: CampaignStore, starter: TaskStarter, max_table_rows: int) -> None:
        self._campaigns = campaigns
        self._starter = starter
        self._max_table_rows = max_table_rows
        #: a foreign or unknown session is a 404 whatever the body, as the routes' own
        #: checks are (the door calls it when it refuses one: ``lazy.path_before_body``)
        self.judge_path = starter.owned_session

    @property
    def max_table_rows(self) -> int:
        """The most rows a body's ``table`` may have (the door's count, ``door.parse_json``)."""
        return self._max_table_rows

    def _start_with_space(
        self,
        req: falcon.Request,
        resp: falcon.Response,
        sid: str,
        task_type: str,
        params: dict[str, Any],
        space: Space,
    ) -> None:
        """Start a task that puts ``space`` at the population and replicates of ``params``
        (under the key they were sent): a 409 when the session takes no space now, a 422
        listing every rule the space breaks, in the words a space file's refusal uses, or
        what the population rule refuses of a factorial's design size, in the task's words
        (``Campaign.check_design``); nothing stored and no task."""
        key = _population_key(params)

        def precheck(c: Campaign) -> None:
            c.check_design(space, params[key], params["replicates"], population_key=key)

        try:
            self._starter.start(req, resp, sid, task_type, params, precheck)
        except CampaignInvalid as exc:
            raise ValidationFailed(
                f"{exc.message.rstrip('.')}: {exc.problems[0].message}",
                _problems(exc.problems, "space"),
            ) from exc


class SpaceResource(_CampaignRoute):
    """PUT /v1/sessions/{sid}/space starts a ``space`` task; GET returns the validated space."""

    def on_put(self, req: falcon.Request, resp: falcon.Response, sid: str) -> None:
        """Start validating ``{space, population_size, replicates}`` (or Daptics'
        ``populationSize``)."""
        self._starter.require_session(req, sid)  # 404 before looking at the body
        body = read_json(req)
        reject_unknown(body, {"space", _population_key(body), "replicates"})
        raw_space = field(body, "space", dict, required=True)
        population, replicates = _design_size(body, required=True)
        space = parse_space(raw_space)
        # under the key sent, so that the task's refusal of the population names it
        params = {"space": space.to_dict(), _population_key(body): population}
        params["replicates"] = replicates
        self._start_with_space(req, resp, sid, "space", params, space)

    def on_get(self, req: falcon.Request, resp: falcon.Response, sid: str) -> None:
        """The validated space with its size and design settings; 404 before one is put."""
        c = _campaign(self._campaigns, req, sid)
        if c.space is None:
            # a 404, as docs/contract.md says: nothing to read
            raise self._starter.explain(NotFound(NO_SPACE_YET), sid)
        resp.media = {
            "object": "space",
            "space": c.space.to_dict(),
            "space_size": c.space.size(),
            "population_size": c.population_size,
            "replicates": c.replicates,
            "gen": c.gen,
            "remaining": c.remaining,
            "completed": c.completed,
        }


class ExperimentsResource(_CampaignRoute):
    """POST /v1/sessions/{sid}/experiments starts an ``update`` task; GET a generation's table."""

    def on_post(self, req: falcon.Request, resp: falcon.Response, sid: str) -> None:
        """Start storing ``{type, table, generate_next, replace}``."""
        self._starter.require_session(req, sid)  # 404 before looking at the body
        body = read_json(req)
        reject_unknown(body, {"type", "table", "generate_next", "replace"})
        given = field(body, "type", str, required=True)
        kind = experiment_type(given)
        if kind is None:
            raise ValidationFailed(
                f"Unknown experiments type {json_shown(given)}: use one of "
                f"{', '.join(EXPERIMENT_TYPES)} "
                f"(or Daptics' {', '.join(DAPTICS_EXPERIMENT_TYPES)}).",
                [{"message": "unknown type", "row": None, "column": None, "field": "type"}],
            )
        raw_table = field(body, "table", dict, required=True)
        generate_next = field(body, "generate_next", bool, default=False)
        replace = field(body, "replace", bool, default=False)
        if replace and kind == FINAL:  # before: taken and ignored (final rows are added)
            raise BadRequest(
                "'replace' applies to initial or designed experiments sent again: final "
                "experiments are added to the last generation and end the campaign, so "
                "they replace nothing. Leave 'replace' out.",
                detail={"field": "replace"},
            )
        table = parse_table(raw_table, self._max_table_rows)
        params = {"type": kind, "table": table.to_dict(), "generate_next": generate_next}
        if replace:  # only when set, so that the params of earlier tasks read the same
            params["replace"] = True

        def precheck(c: Campaign) -> None:
            # every check of the task at once, against the campaign the task will read
            # (none can change it while the task is queued: one task at a time): every
            # bad header and cell, then the match with the design, a stored response
            # erased, an experiment dropped (Campaign.check_experiments). Before, the
            # match with the design was a task that failed, the stored state unchanged.
            c.check_experiments(kind, table, replace=replace)

        try:
            self._starter.start(req, resp, sid, "update", params, precheck)
        except CampaignInvalid as exc:
            raise ValidationFailed(
                f"The table cannot be stored: {exc.problems[0].message}",
                _problems(exc.problems, "table"),
            ) from exc

    @_explained
    def on_get(self, req: falcon.Request, resp: falcon.Response, sid: str) -> None:
        """Generation ``gen`` (default: current) with responses; ``design_only``: its
        designed rows without responses (Daptics' get_experiments(design_only=True))."""
        c = _campaign(self._campaigns, req, sid)
        _require_space(c)
        gen = query_int(req, "gen", max(c.gen, 0), within=GENERATIONS) or 0
        design_only = query_bool(req, "design_only", False)
        generation = c.generation(gen)
        if generation is None:
            if gen == 0 and c.gen >= 0:
                resp.media = {
                    "object": "experiments",
                    "gen": 0,
                    "validated": False,
                    "has_responses": False,
                    "design_rows": 0,
                    "table": table_json(c, []),
                }
                return
            raise NotFound(f"No generation {gen}: the session is at generation {c.gen}.")
        resp.media = {
            "object": "experiments",
            **generation_json(c, generation, design_only=design_only),
        }


class DesignResource(_CampaignRoute):
    """GET /v1/sessions/{sid}/design?gen=: a generation's design (empty responses);
    ``?format=csv`` the design file, as the library writes it (``Table.to_csv``)."""

    @_explained
    def on_get(self, req: falcon.Request, resp: falcon.Response, sid: str) -> None:
        """The design of ``gen`` (default: the current generation)."""
        fmt = _format(req)
        c = _campaign(self._campaigns, req, sid)
        _require_space(c)
        gen = query_int(req, "gen", c.gen, within=DESIGNED_GENERATIONS)
        generation = c.generation(gen) if gen is not None and gen >= 1 else None
        if generation is None or not generation.design:
            if c.gen < 1:
                raise Conflict(
                    "No design was generated yet: generate the first design "
                    "(generate() in Python, sigopt-like generate on the command line).",
                    code="no_design",
                )
            raise NotFound(f"No design for generation {gen}: the session is at {c.gen}.")
        rows = [r for r in generation.table_rows() if r.designed]
        table = table_json(c, rows)
        table["rows"] = [[*row[:-1], None] for row in table["rows"]]
        if fmt == "csv":  # the dashboard's download: the bytes design.fetch().to_csv() gives
            resp.content_type = "text/csv; charset=utf-8"
            resp.text = Table(columns=table["columns"], rows=table["rows"]).to_csv()
            return
        resp.media = {
            "object": "design",
            "gen": gen,
            "design_rows": len(rows),
            "table": table,
        }


class HistoryResource(_CampaignRoute):
    """GET /v1/sessions/{sid}/history: every generation; ``?format=csv`` the history CSV."""

    def on_get(self, req: falcon.Request, resp: falcon.Response, sid: str) -> None:
        """The history as JSON, or as Daptics' CSV with Seq_, Gen_ and Designed_ columns."""
        fmt = _format(req)
        c = _campaign(self._campaigns, req, sid)
        generations = history_generations(c) if c.space is not None else []
        if fmt == "csv":
            resp.content_type = "text/csv; charset=utf-8"
            resp.text = history_to_csv(generations)  # no space yet: the header row alone
            return
        resp.media = {"object": "history", "gen": c.gen, "generations": generations}


def _format(req: falcon.Request) -> str:
    """The ``format`` asked for: ``json`` (the default) or ``csv``; a 400 otherwise."""
    fmt = req.get_param("format", default="json")  # as the schema: blank or CSV is no format
    if fmt not in ("json", "csv"):
        raise BadRequest(  # a query's text, cut, as JSON writes it (docs/contract.md)
            f"Unknown format {json_written_short(fmt, QUERY_SHOWN)}: use json or csv.",
            detail={"field": "format"},
        )
    return str(fmt)


class GenerateResource(_CampaignRoute):
    """POST /v1/sessions/{sid}/generate starts a ``generate`` task."""

    def on_post(self, req: falcon.Request, resp: falcon.Response, sid: str) -> None:
        """Start designing the next generation (409 when the state does not allow it)."""
        self._starter.require_session(req, sid)  # 404 before looking at the body
        body = read_json(req, required=False)
        reject_unknown(body, {"gen"})
        # below 0, before: a 409 "the session is at generation 0"
        gen = field(body, "gen", int, within=GENERATIONS)

        def precheck(c: Campaign) -> None:
            c.check_generate()
            if gen is not None and gen != c.gen:
                raise CampaignConflict(
                    "conflict",
                    f"The session is at generation {c.gen}, not {gen}: generate from the "
                    "current generation.",
                )

        self._starter.start(req, resp, sid, "generate", {}, precheck)


class SimulateResource(_CampaignRoute):
    """POST /v1/sessions/{sid}/simulate starts a ``simulate`` task."""

    def on_post(self, req: falcon.Request, resp: falcon.Response, sid: str) -> None:
        """Start a simulated campaign: ``{ngens, space?, population_size?, replicates?}``
        (or Daptics' ``populationSize``)."""
        self._starter.require_session(req, sid)  # 404 before looking at the body
        body = read_json(req)
        reject_unknown(body, {"ngens", "space", _population_key(body), "replicates"})
        ngens = field(body, "ngens", int, required=True, within=SIMULATED_GENERATIONS)
        raw_space = field(body, "space", dict)
        params: dict[str, Any] = {"ngens": ngens}
        if raw_space is not None:
            population, replicates = _design_size(body, required=True)
            space = parse_space(raw_space)
            params.update(space=space.to_dict(), replicates=replicates)
            params[_population_key(body)] = population  # the key sent: the task names it
        elif _population_key(body) in body or "replicates" in body:
            raise BadRequest(
                "population_size and replicates go with a space; without 'space' the "
                "session's own are used.",
                detail={"field": "space"},
            )

        if raw_space is not None:
            self._start_with_space(req, resp, sid, "simulate", params, space)
            return

        def precheck(c: Campaign) -> None:
            c.require_open()
            if c.state == NO_SPACE:
                raise CampaignConflict(
                    "space_required",
                    # before: only the body's fields, which simulate on the command
                    # line does not take
                    "The session has no validated space yet: give 'space', "
                    "'population_size' and 'replicates' with the simulation, or set one "
                    "first (space.put in Python, sigopt-like space put on the command "
                    "line).",
                )

        self._starter.start(req, resp, sid, "simulate", params, precheck)


class ResponsesSimulateResource(_CampaignRoute):
    """POST /v1/sessions/{sid}/responses/simulate: the table with simulated responses."""

    def on_post(self, req: falcon.Request, resp: falcon.Response, sid: str) -> None:
        """``{table}`` (default: the current design) with responses from the session's surface."""
        c = _campaign(self._campaigns, req, sid)  # 404 before looking at the body
        body = read_json(req, required=False)
        reject_unknown(body, {"table"})
        space = _require_space(c)
        raw = field(body, "table", dict)
        if raw is None:
            generation = c.generation(c.gen) if c.gen >= 1 else None
            if generation is None or not generation.design:
                raise Conflict(
                    "No design to simulate: give a 'table', or generate a design first.",
                    code="no_design",
                )
            points = list(generation.design)
        else:
            table = parse_table(raw, self._max_table_rows)
            problems = validate_experiments(table, space, allow_missing_response=True)
            if problems:
                raise ValidationFailed(
                    f"The table is not valid for the space: {problems[0].message}",
                    _problems(problems, "table"),
                )
            positions = [table.columns.index(n) for n in space.names]
            points = [
                tuple(p.coerce(row[k]) for p, k in zip(space.parameters, positions, strict=True))
                for row in table.rows
            ]
        responses = simulated_responses(space, c.seed, points)
        out = points_json(space, points)
        out["rows"] = [[*row[:-1], y] for row, y in zip(out["rows"], responses, strict=True)]
        resp.media = {"object": "table", **out}


class BestResource(_CampaignRoute):
    """GET /v1/sessions/{sid}/best: the recommended experiment (best predicted response)."""

    @_explained
    def on_get(self, req: falcon.Request, resp: falcon.Response, sid: str) -> None:
        """The optimizer's recommendation, with its observed mean; 409 before any response."""
        from ..optimizer import finite, recommend

        # read as stored, without decoding (see StoredResponses); the codes the experiments
        # are stored as: encoding 130,000 points again one by one took 12 s of a `best`
        stored = self._campaigns.responses(parse_id(sid, "session"), owner_id(req))
        space = _space_in(stored.space, stored.state)
        encoded = stored.measured_codes()
        if not encoded.values:
            raise Conflict(
                "No responses yet: put experiments with responses first.", code="no_responses"
            )
        point, predicted = recommend(space, [], encoded=encoded)
        point = tuple(point)
        readings = stored.responses_at(point)
        experiment = dict(
            zip(space.names, points_json(space, [point])["rows"][0][:-1], strict=True)
        )
        resp.media = {
            "object": "recommendation",
            "experiment": experiment,
            "predicted_response": predicted,
            "observed_mean": finite.mean(readings) if readings else None,
            "n_observations": len(readings),
            "gen": stored.gen,
        }


class SpaceTemplates:
    """GET /v1/space_templates: the packaged space templates, paginated."""

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        """A page of ``space_template`` objects."""
        from sigopt_like.data import load_templates

        resp.media = paginate_list(load_templates(), req)


def register(app: falcon.App, context: Any) -> None:
    """Add the campaign routes."""
    parts = (
        context.store.campaigns,
        TaskStarter(context.store, context.runner),
        context.settings.max_table_rows,
    )
    app.add_route("/v1/sessions/{sid}/space", SpaceResource(*parts))
    app.add_route("/v1/sessions/{sid}/experiments", ExperimentsResource(*parts))
    app.add_route("/v1/sessions/{sid}/design", DesignResource(*parts))
    app.add_route("/v1/sessions/{sid}/history", HistoryResource(*parts))
    app.add_route("/v1/sessions/{sid}/generate", GenerateResource(*parts))
    app.add_route("/v1/sessions/{sid}/simulate", SimulateResource(*parts))
    app.add_route("/v1/sessions/{sid}/responses/simulate", ResponsesSimulateResource(*parts))
    app.add_route("/v1/sessions/{sid}/best", BestResource(*parts))
    app.add_route("/v1/space_templates", SpaceTemplates())


__all__ = ["FINAL", "paginate_list", "register"]
