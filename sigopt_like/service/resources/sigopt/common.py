"""What the SigOpt resources share: the caller, paging, loading what they own, and
turning a broken rule into the service's error body."""

from __future__ import annotations

import math
from typing import Any

import falcon

from ...domain import sigopt_rules as rules
from ...domain.sigopt_checks import IDS, MAX_NAME_LENGTH, json_shown, whole_number
from ...errors import APIError, BadRequest, Conflict, NotFound, Unauthorized, ValidationFailed
from ...http import is_id_text, now, page_request, paginate_list, query_flag
from ...store.pages import PageRequest
from ...store.sigopt import ExperimentRecord, SigoptUnit
from ...store.sigopt_runs import ProjectRecord
from ...wide_integers import WideInteger


def caller(req: falcon.Request, context: Any) -> int:
    """The id of the calling user (the local user when the service needs no token)."""
    user_id = getattr(req.context, "user_id", None)
    if user_id is not None:
        return int(user_id)
    if context.settings.auth_required:
        raise Unauthorized("This service needs an API token.")
    return int(context.local_user_id)


def whole(data: list[dict[str, Any]]) -> dict[str, Any]:
    """A pagination that holds everything in one page."""
    return {
        "object": "pagination",
        "count": len(data),
        "data": data,
        "paging": {"before": None, "after": None},
    }


#: the page of a SigOpt list asked without ``limit``: SigOpt's service answers up to 1000
#: items (``Request.get_paging``: the limit defaults to its maximum), so that a script
#: reading ``.fetch().data`` sees as many here as there
SIGOPT_PAGE_LIMIT = 1000


def sigopt_page(req: falcon.Request) -> PageRequest:
    """The page a SigOpt list asks for: ``limit`` (default :data:`SIGOPT_PAGE_LIMIT`, as
    SigOpt's), ``before`` and ``after``."""
    return page_request(req, SIGOPT_PAGE_LIMIT)


def whole_or_paged(items: list[dict[str, Any]], req: falcon.Request) -> dict[str, Any]:
    """Every item in one page, as SigOpt answers these lists; pages of them when the caller
    asks (``limit``, ``before`` or ``after``; a value it cannot take, ``limit=`` too, is a
    400 either way)."""
    sigopt_page(req)
    if any(req.get_param(name) for name in ("limit", "before", "after")):
        return paginate_list(items, req, SIGOPT_PAGE_LIMIT)
    return whole(items)


def own_user_only(req: falcon.Request, owner: int, what: str) -> None:
    """SigOpt's ``user`` of a list (whose items that user made): only the caller's own id,
    since a client is one user here and the list holds only the caller's {what}; another
    is a 400 naming it."""
    user = req.get_param("user")
    if user is not None and user != str(owner):
        raise BadRequest(
            f"The query parameter 'user' can only be your own user id ({owner}): a client "
            f"is one user in this service, so the list holds only your own {what}; "
            f"leave 'user' out or give {owner}, not {json_shown(user[:40])}.",
            detail={"field": "user"},
        )


def query_search(req: falcon.Request) -> str | None:
    """SigOpt's ``search`` of a list (in the names, any case), or None; one longer than
    any name (MAX_NAME_LENGTH) is a 400 naming it: it could find nothing, and SQLite
    refuses a pattern of 50,000 bytes (it was a 500)."""
    search = req.get_param("search")
    if search is not None and len(search.strip()) > MAX_NAME_LENGTH:
        raise BadRequest(
            f"Invalid search: the query parameter 'search' has {len(search.strip())} "
            f"characters, and no name here is longer than {MAX_NAME_LENGTH}.",
            detail={"field": "search"},
        )
    return search


def query_sort(req: falcon.Request, sorts: tuple[str, ...], of: str = "") -> str:
    """SigOpt's ``sort`` of a list (``of`` names the list in the message): one of
    ``sorts``, the first when not given; another is a 400 naming ``sort``."""
    sort = req.get_param("sort", default=sorts[0])
    if sort not in sorts:
        raise BadRequest(
            f"Invalid sort: the query parameter 'sort'{of} must be one of "
            f"{', '.join(sorts)}, not {json_shown(sort[:40])}.",
            detail={"field": "sort"},
        )
    return str(sort)


def id_order(req: falcon.Request, sorts: tuple[str, ...] = ("id",)) -> bool:
    """Whether a list of ids is asked oldest first: ``ascending`` (SigOpt's boolean) and,
    for the lists whose ``sort`` SigOpt takes, ``sort``, of which only ``id`` (SigOpt's
    default) is served here; another of SigOpt's orders is a 400 naming ``sort``."""
    sort = req.get_param("sort")
    if sort is not None and sort not in sorts:
        raise BadRequest(
            f"Invalid sort: this list is sorted by {' or '.join(sorts)} only here, not "
            f"{json_shown(sort[:40])} (SigOpt's other orders of it are not supported by this "
            "service); "
            "'ascending=true' lists the oldest first.",
            detail={"field": "sort"},
        )
    return bool(query_flag(req, "ascending"))


def rule_error(err: rules.RuleError, prefix: str = "") -> APIError:
    """The API error for a broken rule: 400 or 422, with ``detail.field``."""
    field = f"{prefix}{err.field}" if prefix else err.field
    message = err.message
    if prefix and message.startswith("'"):
        message = f"'{prefix}{message[1:]}"
    problem = {"message": message, "field": field, "row": None, "column": None}
    if err.status == 400:
        return BadRequest(message, detail={"field": field, "errors": [problem]})
    return ValidationFailed(message, [problem], detail={"field": field})


def project_on_use(
    unit: SigoptUnit, owner: int, key: str, field: str = "project", stamp: int | None = None
) -> ProjectRecord:
    """The owner's project ``key`` (a checked project id), made on first use and named
    after its id; an id a new project cannot take (``rules.new_project_id``) is refused
    only when the project would be made."""
    found = unit.projects.get(owner, key)
    if found is not None:
        return found
    try:
        rules.new_project_id(key, field)
    except rules.RuleError as err:
        raise rule_error(err) from err
    return unit.projects.get_or_create(owner, key, now() if stamp is None else stamp)


def invalid(message: str, field: str) -> ValidationFailed:
    """A 422 naming ``field``."""
    problem = {"message": message, "field": field, "row": None, "column": None}
    return ValidationFailed(message, [problem], detail={"field": field})


def experiment_of(
    unit: SigoptUnit, raw_id: str, owner: int, kind: str | None = None
) -> ExperimentRecord:
    """The caller's experiment with this path id, or a 404 (also for others' experiments)."""
    what = "AI experiment" if kind == "aiexperiment" else "experiment"
    eid = path_id(raw_id, what)
    found = unit.experiments.get(owner, eid, kind)
    if found is None:
        raise NotFound(f"No {what} with id {id_shown(raw_id)}.", detail={"field": "experiment"})
    return found


def skips_content(req: falcon.Request) -> bool:
    """Whether the caller asked for no body (``X-Response-Content: skip``, which
    sigopt-python sends with every log into a run): SigOpt answers those 204."""
    return (req.get_header("X-Response-Content") or "").strip().lower() == "skip"


def require_v1_writable(experiment: ExperimentRecord) -> None:
    """A 409 for a v1 write of an AI experiment's suggestions or observations: they come
    from its training runs (SigOpt refuses them too), and a v1 observation or deletion
    would count for the engine but not for the runs and their progress."""
    if experiment.kind == "aiexperiment":
        raise Conflict(
            f"Experiment {experiment.id} is an AI experiment: its suggestions and "
            "observations come from its training runs; create a run instead (POST "
            f"/v1/aiexperiments/{experiment.id}/training_runs, sigopt-python's "
            "experiment.loop()).",
            detail={"field": "experiment"},
        )


def require_active(experiment: ExperimentRecord) -> None:
    """A 409 when the experiment is deleted (its state must be set back to active first)."""
    if experiment.state != "active":
        raise Conflict(
            f"Experiment {experiment.id} is deleted (archived); update its state to 'active' "
            "to use it.",
            detail={"field": "experiment"},
        )


def body_id(value: Any, field: str) -> int | None:
    """An id given in a JSON body: a string of ASCII digits (as a path's id, leading zeros
    too) or a whole number, written ``12`` or ``12.0`` (JSON has one number type; before,
    ``12.0`` was refused though ``12`` was taken); a 400 naming the field otherwise (a
    fraction, a list). A whole number past the ids there can be (``1e308``, one past 64
    bits, which the door read as a double) is a 422 giving their range
    (``sigopt_checks.whole_number``), as a string of digits past them is a 422."""
    if value is None:
        return None
    integral = isinstance(value, float) and math.isfinite(value) and value.is_integer()
    if integral or (isinstance(value, (int, WideInteger)) and not isinstance(value, bool)):
        try:
            return whole_number(value, field, IDS)
        except rules.RuleError as err:
            raise rule_error(err) from err
    if not isinstance(value, str):
        # before: "must be an id string", where the whole number 12 is taken as well
        shown = repr(value) if isinstance(value, float) else rules.kind(value)
        raise BadRequest(
            f"'{field}' must be an id, as a string or a whole number (\"12\" or 12), not {shown}.",
            detail={"field": field},
        )
    text = str(value)
    if not is_id_text(text):  # ASCII digits: "²" and "٨٣" pass str.isdigit()
        # shown as the body wrote it (Python's repr showed 'abc', which no JSON body writes)
        raise invalid(f"'{field}': {json_shown(value)} is not an id of this service.", field)
    return int(text)


def not_found(what: str, raw_id: str, parent: str = "") -> NotFound:
    """A 404 for an unknown child id."""
    where = f" in {parent}" if parent else ""
    return NotFound(f"No {what} with id {id_shown(raw_id)}{where}.", detail={"field": what})


def shown_id(raw: str) -> str:
    """A path's id as a message names it: the id ``raw`` reads as (``"7"`` for ``"007"``,
    as the answer of an id found is rendered), else ``raw`` as sent."""
    return str(int(raw)) if is_id_text(raw) else raw


def id_shown(raw: str) -> str:
    """A path's id as a 404 shows it: :func:`shown_id` written as JSON writes an id
    (``"7"``, as an object renders its id; Python's repr showed ``'7'``, which no JSON
    body writes)."""
    return json_shown(shown_id(raw))


def path_id(raw: str, what: str) -> int:
    """An id from a SigOpt path; anything but a positive integer is a 404 showing ``raw``
    as JSON writes it (``No file with id "abc"``, where the shared ``parse_id`` shows
    Python's repr)."""
    if not is_id_text(raw):
        raise NotFound(f"No {what} with id {json_shown(raw)}.")
    return int(raw)


def is_own_id(raw: str, owner: int) -> bool:
    """Whether the path's ``raw`` reads as the id ``owner`` (``"07"`` as 7, as every id of
    a path is read), for the client and organization ids, which are the caller's own."""
    return is_id_text(raw) and int(raw) == owner
