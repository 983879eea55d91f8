"""The Connection, and THE table of the API's resources.

Read :data:`API` to learn the whole surface: each :class:`~.resources.Group` is a
path segment (called with an id when ``takes_id``), each
:class:`~.resources.Endpoint` a method mapped to an HTTP call and the model
its answer becomes.

The models (``"Session"``) and the table and space argument types (``"SpaceArg"``) are
named by strings, resolved on first use (:func:`~.resources.resolve`): importing this
module loads neither attrs nor the models; ``Connection()`` loads the configuration and
the transport, the first call the models.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, SupportsIndex

import requests

from . import _constants as C
from . import handlers as H
from . import sigopt_calls as SC
from ._version import __version__
from .errors import AuthenticationError, ConfigError, NotFoundError, VersionError
from .resources import Call, Endpoint, Group, Param, build_node_class, send_standard
from .url_redaction import redact_url

if TYPE_CHECKING:
    from .config import ClientConfig
    from .transport import RetryPolicy

E = Endpoint
P = Param

_GEN = P("gen", int | None, doc="a generation number (default: the latest)")
_POPULATION = P("population_size", int | None, doc="experiments per design, before replicates")
_REPLICATES = P("replicates", int | None, doc="repeats of each designed experiment")
_SPACE = P("space", "SpaceArg", doc="a Space (Space.from_csv(path, type=...)) or its dict")
_METADATA = P("metadata", dict[str, Any] | None, doc="your own key/value pairs")
#: the service's refusal of a BPTK-style session ``timeout``, said before any request
#: (before: "did you mean 'request_timeout'?", the HTTP timeout of the call)
_NO_SESSION_TIMEOUT = {
    "timeout": "Sessions do not time out: a session is a campaign stored in the service's "
    "database, kept however long it stays idle (a lab's generations may be weeks apart), so "
    "there is no timeout to set. When a campaign is done, halt it: conn.sessions(id).halt()."
}
#: a Suggestion given as the observation's ``suggestion`` is sent as its id; the values as
#: given, for the service to judge (it reads a whole number as SigOpt's float)
_OBSERVATION_CONVERT = {"suggestion": H.id_of}
_OBSERVATION = (
    P("suggestion", Any, doc="the Suggestion (or its id) this observes"),
    P("assignments", Mapping[str, Any] | None, doc="the point, when there is no suggestion"),
    P("value", float | None, doc="the metric's value"),
    P("value_stddev", float | None, doc="its standard deviation"),
    P("values", list[Mapping[str, Any]] | None, doc="[{name, value, value_stddev}] per metric"),
    P("failed", bool | None, doc="the run failed: no value"),
    _METADATA,
    P("task", str | Mapping[str, Any] | None, doc="multitask: the task (a name or {name})"),
)

TASKS = Group(
    "tasks",
    "A session's tasks: list them; fetch, cancel or wait for one.",
    endpoints=(
        E(
            "list",
            "GET",
            None,
            "Task",
            "The session's tasks, newest first.",
            page=True,
            params=(
                P("status", str | None, doc="new, running, success, failed or canceled"),
                P("type", str | None, doc="space, update, generate, simulate or analytics"),
                P(
                    "result",
                    str | None,
                    doc="include (the default) or omit: leave each task's result out",
                ),
            ),
            convert={"status": H.folded, "type": H.folded},
        ),
    ),
    item_endpoints=(
        E(
            "fetch",
            "GET",
            None,
            "Task",
            "The task's current state.",
            params=(
                P("result", str | None, doc="include (the default) or omit: leave its result out"),
            ),
        ),
        E("cancel", "POST", "cancel", "Task", "Cancel the task."),
        E(
            "wait",
            handler=H.wait_task,
            doc="Wait until the task finishes (timeout=, progress=); raise if it failed.",
        ),
    ),
)

SESSION_GROUPS = (
    Group(
        "space",
        "The session's experimental space.",
        takes_id=False,
        endpoints=(
            E(
                "put",
                "PUT",
                None,
                "Task",
                "Set the space and the design's size; starts a 'space' task.",
                task=True,
                params=(
                    P("space", "SpaceArg", required=True, doc=_SPACE.doc),
                    _POPULATION,
                    _REPLICATES,
                ),
                convert={"space": H.space_json},
            ),
            E("fetch", "GET", None, H.parse_space, "The validated space."),
        ),
    ),
    Group(
        "experiments",
        "The session's experiments, by generation.",
        takes_id=False,
        endpoints=(
            E(
                "put",
                "POST",
                None,
                "Task",
                "Send experiments with their responses; starts an 'update' task.",
                task=True,
                params=(
                    P("type", str, required=True, doc="initial, designed or final"),
                    P(
                        "table",
                        "TableArg",
                        required=True,
                        doc="a Table, DataFrame, CSV path or CSV text",
                    ),
                    P(
                        "generate_next",
                        bool | None,
                        doc="then generate the next design (default: the "
                        "auto_generate_next_design setting)",
                    ),
                    P(
                        "replace",
                        bool | None,
                        doc="sent again, drop the experiments put before that the table "
                        "leaves out (else refused)",
                    ),
                ),
                config_defaults={"generate_next": "auto_generate_next_design"},
                convert={"table": H.table_json},
            ),
            E(
                "fetch",
                "GET",
                None,
                H.parse_table,
                "A generation's experiments.",
                params=(
                    _GEN,
                    P("design_only", bool | None, doc="only the designed rows, without responses"),
                ),
            ),
        ),
    ),
    Group(
        "design",
        "The designs the service generated.",
        takes_id=False,
        endpoints=(
            E("fetch", "GET", None, H.parse_table, "The latest (or gen=N) design.", params=(_GEN,)),
        ),
    ),
    Group(
        "history",
        "Every generation of the session.",
        takes_id=False,
        endpoints=(
            E("fetch", "GET", None, "History", "The history of all generations."),
            E(
                "csv",
                handler=H.history_csv,
                args=("path",),
                doc="The history CSV (Seq_, Gen_, Designed_ columns); written to path if given.",
            ),
        ),
    ),
    Group(
        "responses",
        "Simulated responses.",
        takes_id=False,
        endpoints=(
            E(
                "simulate",
                "POST",
                "simulate",
                H.parse_table,
                "The table (default: the current design) with simulated responses filled in.",
                args=("table",),
                params=(
                    P(
                        "table",
                        "TableArg | None",
                        doc="the experiments to simulate (default: the current generation's "
                        "design, as Daptics' simulate_experiment_responses(None))",
                    ),
                ),
                convert={"table": H.table_json},
            ),
        ),
    ),
    Group(
        "best",
        "The recommended experiment.",
        takes_id=False,
        endpoints=(E("fetch", "GET", None, "Recommendation", "The recommended experiment."),),
    ),
    Group(
        "analytics",
        "Plots and summaries per generation.",
        takes_id=False,
        endpoints=(
            E(
                "create",
                "POST",
                None,
                "Task",
                "Make the plots and summaries of a generation; starts an 'analytics' task.",
                task=True,
                params=(_GEN,),
            ),
            E("fetch", "GET", None, "AnalyticsFiles", "The analytics listing.", params=(_GEN,)),
            E(
                "files",
                "GET",
                None,
                H.parse_analytics_files,
                "The analytics files.",
                params=(_GEN,),
            ),
            E(
                "download",
                handler=H.download,
                args=("directory",),
                doc="Download the files of a generation into directory (gen=, name_by_gen=).",
            ),
            E(
                "download_file",
                handler=H.download_file,
                args=("file", "path"),
                doc="Download one file (an AnalyticsFile, its name or URL) to path (gen=).",
            ),
        ),
    ),
    TASKS,
)

SESSIONS = Group(
    "sessions",
    "Design campaigns (Daptics sessions).",
    endpoints=(
        E(
            "create",
            "POST",
            None,
            "Session",
            "Create a session.",
            params=(
                P("name", str, required=True, doc="unique among your sessions"),
                P("description", str | None, doc="what the campaign is for"),
                P("seed", int | None, doc="the optimizer's random seed (reproducible designs)"),
                P("tag", str | None, doc="a read-only identifier (Daptics' session tag)"),
            ),
            refused=_NO_SESSION_TIMEOUT,
        ),
        E(
            "list",
            "GET",
            None,
            "Session",
            "Sessions, newest first.",
            page=True,
            params=(P("q", str | None, doc="search in names, descriptions and tags"),),
        ),
    ),
    item_endpoints=(
        E("fetch", "GET", None, "Session", "The session."),
        E(
            "update",
            "PUT",
            None,
            "Session",
            "Change the session's name or description.",
            params=(P("name", str | None), P("description", str | None)),
            refused=_NO_SESSION_TIMEOUT,
        ),
        E("halt", "POST", "halt", "Session", "Halt the campaign."),
        E(
            "generate",
            "POST",
            "generate",
            "Task",
            "Generate the next design; starts a 'generate' task.",
            task=True,
            params=(
                P(
                    "gen",
                    int | None,
                    doc="the session's current generation, whose experiments are in (0: the "
                    "initial ones); a check, as Daptics' generate_design(gen): default, no check",
                ),
            ),
        ),
        E(
            "simulate",
            "POST",
            "simulate",
            "Task",
            "Run generations against the simulated lab; starts a 'simulate' task.",
            task=True,
            params=(
                P("ngens", int, required=True, doc="how many generations"),
                P("space", "SpaceArg | None", doc="the space, when none is set yet"),
                _POPULATION,
                _REPLICATES,
            ),
            convert={"space": H.space_json},
        ),
    ),
    groups=SESSION_GROUPS,
)


def _with_fetch(listing: Endpoint) -> tuple[Endpoint, Endpoint]:
    """A list endpoint and the same call as ``fetch``: sigopt-python names every GET
    ``fetch`` (``conn.experiments(id).observations().fetch()``), as its README says."""
    return listing, listing._replace(name="fetch", doc=f"{listing.doc} (SigOpt's name of list)")


EXPERIMENTS = Group(
    "experiments",
    "SigOpt experiments: sequential optimization.",
    endpoints=(
        E(
            "create",
            "POST",
            handler=SC.create_experiment,
            doc="Create an experiment (name=, parameters=, metrics=, observation_budget=, "
            "conditionals=, linear_constraints=, num_solutions=, project=, tasks=, ...; "
            "or data=).",
        ),
        *_with_fetch(
            E(
                "list",
                "GET",
                None,
                "Experiment",
                "Experiments, newest first (sort= and ascending= choose).",
                page=True,
                params=(
                    P("state", str | None, doc="active (default), deleted or all"),
                    P("search", str | None, doc="search in names"),
                    P("sort", str | None, doc="id (default) or recent (last update, then id)"),
                    P("ascending", bool | None, doc="smallest first (default: largest)"),
                    P("period_start", int | None, doc="unix seconds: created at or after"),
                    P("period_end", int | None, doc="unix seconds: created before"),
                    P("user", str | None, doc="a user id: only your own is taken"),
                    P("include_ai", bool | None, doc="list the AI experiments too"),
                    P("development", bool | None, doc="none here is a development one"),
                ),
            )
        ),
    ),
    item_endpoints=(
        E("fetch", "GET", None, "Experiment", "The experiment."),
        E(
            "update",
            "PUT",
            None,
            "Experiment",
            "Change the experiment.",
            params=(
                P("name", str | None),
                _METADATA,
                P("observation_budget", int | None),
                P("parallel_bandwidth", int | None),
                P("state", str | None, doc="active or deleted"),
                P(
                    "parameters",
                    "Sequence[Mapping[str, Any]] | None",
                    doc="[{name, bounds | grid | categorical_values | default_value | prior}]: "
                    "the fields given change, every parameter named; a new name, defined "
                    "whole with a default_value, adds one",
                ),
                P(
                    "metrics",
                    "Sequence[Mapping[str, Any]] | None",
                    doc="[{name, threshold}]: a metric's threshold (null clears it)",
                ),
            ),
        ),
        E("delete", "DELETE", None, None, "Delete the experiment."),
        E("suggest", "POST", handler=SC.suggest, doc="A new suggestion (shorthand)."),
        E(
            "report",
            "POST",
            handler=SC.report,
            doc="Report an observation (suggestion= or assignments=, value=, ...; or data=).",
        ),
    ),
    groups=(
        Group(
            "suggestions",
            "Assignments to try.",
            endpoints=(
                E(
                    "create",
                    "POST",
                    None,
                    "Suggestion",
                    "A new suggestion.",
                    params=(
                        P("assignments", Mapping[str, Any] | None, doc="your own point"),
                        _METADATA,
                        P(
                            "task",
                            str | Mapping[str, Any] | None,
                            doc="multitask, with assignments: the point's task",
                        ),
                    ),
                ),
                *_with_fetch(
                    E(
                        "list",
                        "GET",
                        None,
                        "Suggestion",
                        "Suggestions.",
                        page=True,
                        params=(
                            P("state", str | None, doc="open or closed"),
                            P("deleted", bool | None, doc="true: only the deleted ones"),
                            P(
                                "id",
                                "str | Sequence[Any] | None",
                                doc="only these ids: separated by commas, or a list (of "
                                "ids or Suggestions); any number (too many for one URL "
                                "are asked in several requests)",
                            ),
                        ),
                        convert={"id": H.id_list},
                        id_list="id",
                    )
                ),
                E(
                    "delete",
                    "DELETE",
                    None,
                    None,
                    "Delete suggestions.",
                    params=(P("state", str | None, doc="open: only the open ones"),),
                ),
            ),
            item_endpoints=(
                E("fetch", "GET", None, "Suggestion", "The suggestion."),
                E(
                    "update",
                    "PUT",
                    None,
                    "Suggestion",
                    "Change the suggestion's metadata.",
                    params=(_METADATA,),
                ),
                E("delete", "DELETE", None, None, "Delete the suggestion."),
            ),
        ),
        Group(
            "queued_suggestions",
            "Assignments queued for the next suggestions (served oldest first).",
            endpoints=(
                E(
                    "create",
                    "POST",
                    None,
                    "QueuedSuggestion",
                    "Queue assignments for one of the next suggestions.",
                    params=(
                        P("assignments", Mapping[str, Any], required=True, doc="the point"),
                        P(
                            "task",
                            str | Mapping[str, Any] | None,
                            doc="multitask (required there): the suggestion's task",
                        ),
                    ),
                ),
                *_with_fetch(
                    E(
                        "list",
                        "GET",
                        None,
                        "QueuedSuggestion",
                        "The queue, newest first.",
                        page=True,
                    )
                ),
                E("delete", "DELETE", None, None, "Empty the queue."),
            ),
            item_endpoints=(
                E("fetch", "GET", None, "QueuedSuggestion", "The queued suggestion."),
                E("delete", "DELETE", None, None, "Take it out of the queue."),
            ),
        ),
        Group(
            "observations",
            "Reported results.",
            endpoints=(
                E(
                    "create",
                    "POST",
                    None,
                    "Observation",
                    "Report an observation.",
                    params=_OBSERVATION,
                    convert=_OBSERVATION_CONVERT,
                ),
                E(
                    "create_batch",
                    "POST",
                    "batch",
                    H.parse_observations,
                    "Report many observations at once.",
                    args=("observations",),
                    params=(
                        P(
                            "observations",
                            "Sequence[Mapping[str, Any] | Observation]",
                            required=True,
                            doc="dicts or Observations, each as observations.create takes",
                        ),
                    ),
                    convert={"observations": H.observations_json},
                ),
                *_with_fetch(
                    E(
                        "list",
                        "GET",
                        None,
                        "Observation",
                        "Observations, newest first (ascending= for oldest first).",
                        page=True,
                        params=(
                            P("sort", str | None, doc="id: the only order here (SigOpt's default)"),
                            P("ascending", bool | None, doc="oldest first (default: newest)"),
                        ),
                    )
                ),
                E("delete", "DELETE", None, None, "Delete every observation of the experiment."),
            ),
            item_endpoints=(
                E("fetch", "GET", None, "Observation", "The observation."),
                E(
                    "update",
                    "PUT",
                    None,
                    "Observation",
                    "Change the observation.",
                    params=_OBSERVATION,
                    convert=_OBSERVATION_CONVERT,
                ),
                E("delete", "DELETE", None, None, "Delete the observation."),
            ),
        ),
        Group(
            "best_assignments",
            "The best assignments so far.",
            takes_id=False,
            endpoints=(E("fetch", "GET", None, "BestAssignments", "Best assignments.", page=True),),
        ),
        Group(
            "tokens",
            "Guest tokens: each reads this experiment only (SigOpt's experiment tokens).",
            takes_id=False,
            endpoints=(
                E(
                    "create",
                    "POST",
                    None,
                    "TokenInfo",
                    "A guest token of the experiment; its secret (.token) is shown only here.",
                ),
            ),
        ),
        Group(
            "stopping_criteria",
            "Whether to stop, and why.",
            takes_id=False,
            endpoints=(
                E(
                    "fetch",
                    "GET",
                    None,
                    "StoppingCriteria",
                    "should_stop and its reasons (budget reached, possible stagnation).",
                ),
            ),
        ),
        Group(
            "importances",
            "How much each parameter explains the optimized metric.",
            takes_id=False,
            endpoints=(
                E("fetch", "GET", None, "Importances", "Shares of the parameters (sum 1)."),
            ),
        ),
        Group(
            "metric_importances",
            "How much each parameter explains each metric.",
            takes_id=False,
            endpoints=(
                E(
                    "fetch",
                    "GET",
                    None,
                    "MetricImportances",
                    "One MetricImportances per metric.",
                    page=True,
                    params=(P("metric", str | None, doc="only this metric"),),
                ),
            ),
        ),
    ),
)

CLIENTS = Group(
    "clients",
    "SigOpt's clients: each user is its own client here (its id: token_info().client).",
    groups=(
        Group(
            "projects",
            "The client's projects (SigOpt's; made on first use by sigopt-python).",
            groups=(
                Group(
                    "notes",
                    "The project's notes (SigOpt's): every one is kept, the latest listed.",
                    takes_id=False,
                    endpoints=(
                        E(
                            "create",
                            "POST",
                            None,
                            "ProjectNote",
                            "A new note of the project (the project must exist).",
                            params=(P("contents", str, required=True, doc="the note's text"),),
                        ),
                        E(
                            "list",
                            "GET",
                            None,
                            "ProjectNote",
                            "The project's latest note (a page of one, or none).",
                            page=True,
                        ),
                    ),
                ),
            ),
        ),
        Group(
            "tags",
            "The client's tags, for its training runs (SigOpt's tags).",
            takes_id=False,
            endpoints=(
                E(
                    "create",
                    "POST",
                    None,
                    "Tag",
                    "A new tag (a name the client's other tags do not have: else a 409).",
                    params=(
                        P("name", str, required=True, doc="the tag's name (1-100 characters)"),
                        P("color", str, required=True, doc="its color, '#RRGGBB'"),
                    ),
                ),
                E(
                    "list",
                    "GET",
                    None,
                    "Tag",
                    "The client's tags, newest first (ascending= for oldest first).",
                    page=True,
                    params=(
                        P("sort", str | None, doc="id: the only order (SigOpt's default)"),
                        P("ascending", bool | None, doc="oldest first (default: newest)"),
                    ),
                ),
            ),
        ),
    ),
)

TRAINING_RUNS = Group(
    "training_runs",
    "SigOpt's training runs (sigopt-python's sigopt.create_run and experiment loops).",
    groups=(
        Group(
            "tags",
            "The run's tags: add one of the client's tags, or remove one.",
            endpoints=(
                E(
                    "create",
                    "POST",
                    None,
                    "Tag",
                    "Give the run a tag (no change if it has it); the tag.",
                    params=(P("id", str | int, required=True, doc="the tag's id"),),
                ),
            ),
            item_endpoints=(
                E("delete", "DELETE", None, "Tag", "Take the tag off the run; the tag."),
            ),
        ),
    ),
)

#: THE table: every resource of the API.
API = Group(
    "",
    "The API's root.",
    takes_id=False,
    endpoints=(
        E("version", "GET", "version", "Version", "The service's API version."),
        E("health", "GET", "/health", "Health", "The service's liveness."),
        E(
            "token_info",
            "GET",
            "tokens/self",
            "TokenInfo",
            "The calling token's client (SigOpt's client_id) and user.",
        ),
    ),
    groups=(
        SESSIONS,
        EXPERIMENTS,
        CLIENTS,
        TRAINING_RUNS,
        Group(
            "tokens",
            "API tokens.",
            takes_id=False,
            endpoints=(
                E(
                    "create",
                    "POST",
                    None,
                    "Token",
                    "A new token for the caller.",
                    params=(P("name", str | None, doc="a label for the token"),),
                ),
            ),
        ),
        Group(
            "space_templates",
            "Sample spaces.",
            takes_id=False,
            endpoints=(E("list", "GET", None, "SpaceTemplate", "Sample spaces.", page=True),),
        ),
    ),
)

_Root = build_node_class(API)


def _check_embedded_limit(
    name: str, value: Any, embedded: bool, most: int, unit: str = "bytes"
) -> int | None:
    """An embedded service's limit as an int: any integer type (a numpy ``int64``, what a
    script computes a size with, was refused); a ConfigError when given to a remote
    Connection (its server has its own), or when not a whole number (``unit``) from 1 to
    ``most``, the range ``sigopt-like serve`` takes (``_constants``): a bool, a float (even ``5.0``)
    or text is refused, and so is ``2**70`` (before, taken: a limit in name only)."""
    if value is None:
        return None
    if not embedded:
        raise ConfigError(
            f"'{name}' is for the embedded service; a remote service has its own "
            f"(sigopt-like serve --{name.replace('_', '-')})."
        )
    from .config import whole_number  # with the Connection, not the package's import

    number = whole_number(value)
    if number is None or not 1 <= number <= most:
        raise ConfigError(
            f"'{name}' must be a whole number of {unit} from 1 to {most}, not {value!r}."
        )
    return number


def _check_task_processes(value: Any, embedded: bool) -> int | None:
    """The embedded service's count of task processes as an int: any integer type, as
    the limits take (``np.int64(2)`` was refused); a ConfigError for a remote Connection,
    or for a count that is not a whole number from 0 to ``serve --task-processes``'s most (a
    bool, a float, text, ``2**70``)."""
    if value is None:
        return None
    if not embedded:
        raise ConfigError(
            "'task_processes' is for the embedded service; a remote service runs its own tasks."
        )
    from .config import whole_number

    number = whole_number(value)
    if number is None or not 0 <= number <= C.MAX_TASK_PROCESSES:
        raise ConfigError(
            f"'task_processes' must be a whole number from 0 to {C.MAX_TASK_PROCESSES} "
            f"(0: threads of this process), not {value!r}."
        )
    return number


class Connection(_Root):  # type: ignore[misc, valid-type]
    """A connection to a sigopt_like service: remote (``host``) or embedded (no host).

    Settings come from the arguments, then the environment (``SIGOPT_LIKE_*``),
    then a JSON config file (see :mod:`sigopt_like.config`). With no host
    anywhere, the service runs in this process on ``database`` (a SQLite file,
    by default in the user's data folder). Use as a context manager, or call
    ``close()``, to release it.

    Embedded, the service's tasks run in a worker process it starts when a task is
    queued and that stops after two idle minutes, so that this process never loads
    the optimizer (its imports, memory and CPU stay out of the caller's script).
    ``task_processes=N`` starts N of them; ``task_processes=0`` runs the tasks in
    threads of this process (as does a ``:memory:`` database, unless told otherwise).
    ``max_body_bytes=N`` lets the embedded service take request bodies of up to N bytes
    (default 10 MiB; 1 to 1 GiB, as ``sigopt-like serve --max-body-bytes``): a larger
    table put whole, say. ``max_table_rows=N`` lets it take tables of up to N rows
    (default 100,000; 1 to 10,000,000, as ``sigopt-like serve --max-table-rows``).
    """

    def __init__(
        self,
        host: str | None = None,
        token: str | None = None,
        *,
        timeout: float | tuple[float, float] | None = None,
        retries: SupportsIndex | RetryPolicy | Mapping[str, Any] | None = None,
        proxies: Mapping[str, str] | None = None,
        verify: bool | str | None = None,
        cert: str | tuple[str, str] | None = None,
        session: requests.Session | None = None,
        config: str | os.PathLike[str] | None = None,
        database: str | os.PathLike[str] | None = None,
        export_dir: str | os.PathLike[str] | None = None,
        email: str | None = None,
        password: str | None = None,
        auto_task_timeout: float | None = None,
        auto_generate_next_design: bool | None = None,
        run_tasks_async: bool | None = None,
        jitter: Callable[[float], float] | None = None,
        client_token: str | None = None,
        user_token: str | None = None,
        task_processes: SupportsIndex | None = None,
        max_body_bytes: SupportsIndex | None = None,
        max_table_rows: SupportsIndex | None = None,
    ) -> None:
        super().__init__(self, (), "conn")
        from .config import default_database_path, resolve_config
        from .transport import Transport

        # SigOpt's two token kinds are one kind here: either works for every call
        # the first one given: an empty one is refused (resolve_config), not passed over
        token = next((t for t in (token, client_token, user_token) if t is not None), None)
        self.config: ClientConfig = resolve_config(
            host,
            token,
            config=config,
            email=email,
            password=password,
            database=database,
            export_dir=export_dir,
            auto_task_timeout=auto_task_timeout,
            auto_generate_next_design=auto_generate_next_design,
            run_tasks_async=run_tasks_async,
            timeout=timeout,
            retries=retries,
            verify=verify,
            cert=cert,
            proxies=proxies,
        )
        self.service: Any = None
        self.database: str | None = None
        self._closed = False
        self._lock = threading.Lock()
        processes = _check_task_processes(task_processes, self.config.embedded)
        body_bytes = _check_embedded_limit(
            "max_body_bytes", max_body_bytes, self.config.embedded, C.MAX_BODY_LIMIT
        )
        table_rows = _check_embedded_limit(
            "max_table_rows", max_table_rows, self.config.embedded, C.MAX_TABLE_ROWS_LIMIT, "rows"
        )
        if self.config.embedded:
            from .embedded import WSGIAdapter, start_embedded_service

            database_path = self.config.database or str(default_database_path())
            self.database = database_path
            if database_path != ":memory:" and "://" not in database_path:  # not a URL
                # its folder is made (or refused, a ConfigError) by start_embedded_service
                database_path = os.fspath(Path(database_path).expanduser())
            self.service = start_embedded_service(
                database_path,
                task_processes=processes,
                max_body_bytes=body_bytes,
                max_table_rows=table_rows,
            )
            session = session or requests.Session()
            adapter = WSGIAdapter(self.service)
            session.mount(C.EMBEDDED_URL, adapter)
            direct = adapter.call
            base_url = C.EMBEDDED_URL
        else:
            direct = None
            base_url = str(self.config.host)
        self.transport = Transport(
            base_url,
            session=session,
            token=self.config.token,
            timeout=self.config.timeout,
            retries=self.config.retries,
            verify=self.config.verify,
            cert=self.config.cert,
            proxies=self.config.proxies,
            embedded=self.config.embedded,
            jitter=jitter,
            direct=direct,
        )
        if not self.config.embedded and not self.config.token and self.config.email:
            self.transport.token = self._login(self.config.email, str(self.config.password))
        if not self.config.embedded:
            # an embedded service is this package: its minimum client version is met by
            # construction (tests/client/test_version_check.py), so the first call is one
            # request, not two
            self.transport.set_version_check(self._check_version)

    # -- plumbing ----------------------------------------------------------------------

    def _send(self, call: Call, kwargs: dict[str, Any], task_options: Mapping[str, Any]) -> Any:
        if not call.endpoint.task:
            return send_standard(call, kwargs)
        from .models import Task
        from .progress import check_progress

        check_progress(task_options.get("progress"))  # refused before the task starts
        H.check_export_dir(self.config, task_options)  # so is an export folder it cannot use
        result = send_standard(call, kwargs)
        if isinstance(result, Task):
            return H.finish_task(call, result, task_options)
        return result

    def _login(self, email: str, password: str) -> str:
        from .models import Token

        body = self.transport.request_json(
            "POST",
            f"{C.API_PREFIX}/login",
            json={"email": email, "password": password},
            check_version=False,
        )
        token = Token.from_dict(body).token
        if not token:
            raise AuthenticationError(
                "The service's login answer has no token.", status=200, code="no_token"
            )
        return token

    def _check_version(self) -> None:
        from .models import Version

        try:
            body = self.transport.request_json(
                "GET", f"{C.API_PREFIX}/version", check_version=False
            )
        except NotFoundError:
            return  # a service without the route makes no demand
        needed = Version.from_dict(body or {}).min_client_version
        if needed and version_tuple(needed) > version_tuple(__version__):
            raise VersionError(
                f"The service needs sigopt_like >= {needed}; this is {__version__}. "
                "Upgrade with: pip install -U sigopt_like",
                client_version=__version__,
                min_client_version=needed,
            )

    @property
    def embedded(self) -> bool:
        """True when the service runs in this process."""
        return self.config.embedded

    def close(self) -> None:
        """Release the connection pool and, when embedded, stop the service."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
        self.transport.close()
        if self.service is not None:
            self.service.close()

    def __enter__(self) -> Connection:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        host = redact_url(str(self.config.host))
        # a PostgreSQL database's URL may hold its password, like a host's
        database = (
            None if self.database is None else redact_url(self.database, key_files_shown=True)
        )
        where = f"database={database!r}" if self.embedded else f"host={host!r}"
        token = ", token='***'" if self.transport.token else ""
        return f"Connection({where}{token})"


def version_tuple(text: str) -> tuple[int, ...]:
    """A version string as numbers, for comparison (``"0.10.1"`` -> ``(0, 10, 1)``)."""
    parts = []
    for piece in str(text).strip().split("."):
        match = re.match(r"\d+", piece)
        if match is None:
            break
        parts.append(int(match.group()))
        if match.end() != len(piece):
            break
    return tuple(parts)
