"""Client-side pieces of some endpoints: argument conversion (tables, spaces, ids),
what happens after a task starts (waiting, chaining, auto-export), file downloads.

``interface.py`` names these in its table; nothing here knows the table. Importing
this module stays light (it comes with ``import sigopt_like``): the models, tables,
spaces and the task waiter are imported by the functions that use them, which run
only once a call has been made.
"""

from __future__ import annotations

import enum
import errno
import logging
import os
import threading
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import _constants as C
from .errors import UnencodableValueError

if TYPE_CHECKING:
    from .models import AnalyticsFile, Observation, Task
    from .progress import ProgressArg
    from .resources import Call
    from .tables import Table
    from .tasks import TaskWaiter


# ---------------------------------------------------------------- arguments


def folded(value: Any) -> Any:
    """A name the service lists in lower case, in any case: Daptics' ``DapticsTaskType``
    spells them ``GENERATE``, ... (an Enum member counts by its name)."""
    if isinstance(value, enum.Enum):
        value = value.name
    return value.lower() if isinstance(value, str) else value


def table_json(value: Any) -> dict[str, Any]:
    """A table argument as JSON: a Table, a list of dicts, a DataFrame, a CSV path,
    CSV text (a ``str`` holding a line break, or none), or a ``{"columns", "rows"}`` dict. A
    float NaN in the Response column is sent as None (not measured); a cell JSON or the
    service cannot hold (NaN elsewhere, an infinity, a NUL, a list) raises TableError by
    row and column before anything is sent (:func:`sigopt_like.table_wire.sendable`)."""
    from .table_wire import sendable

    return sendable(as_table(value)).to_dict()


def as_table(value: Any) -> Table:
    """A table argument as a Table (see :func:`table_json` for what is accepted)."""
    from .tables import Table

    if isinstance(value, Table):
        return value
    if isinstance(value, str) and ("\n" in value or "\r" in value or not value):
        # CSV text itself (no path holds a line break): before, "No such file or
        # directory: 'param1,param2,...'", the whole text taken for a file's name; and
        # "" (no text, no file's name) was read as Path(""), "'.' is a folder"
        return Table.from_csv(value)
    if isinstance(value, (str, os.PathLike)):
        return Table.from_csv(Path(value))
    if isinstance(value, Mapping):
        return Table.from_dict(value)
    if hasattr(value, "itertuples") and hasattr(value, "columns"):
        return Table.from_dataframe(value)
    if isinstance(value, Sequence) and all(isinstance(row, Mapping) for row in value):
        columns: list[str] = []
        for row in value:
            columns.extend(str(key) for key in row if str(key) not in columns)
        return Table(columns=columns, rows=[[row.get(c) for c in columns] for row in value])
    raise TypeError(
        "A table must be a Table, a list of dicts, a pandas DataFrame, a CSV path, CSV "
        f"text or a {{'columns', 'rows'}} dict, not {type(value).__name__}."
    )


def space_json(value: Any) -> dict[str, Any]:
    """A space argument as JSON: a Space or its dict form. A name, type, level or bound
    the service cannot store (a NUL, a lone surrogate, an integer past 64 bits) raises
    SpaceError naming its parameter and level before anything is sent
    (:func:`sigopt_like.space_wire.unstorable_values`)."""
    from .space_wire import unstorable_values
    from .spaces import Space, SpaceError

    if isinstance(value, Space):
        data = value.to_dict()
    elif isinstance(value, Mapping):
        try:
            data = dict(value)
        except Exception as err:  # a caller's mapping whose keys() raise: before, its
            # own error escaped, from here
            raise UnencodableValueError(
                f"The field 'space' holds a {type(value).__name__} that could not be read: "
                f"reading its keys raised {type(err).__name__}. Nothing was sent.",
                field="space",
            ) from err
    else:
        raise TypeError(
            f"A space must be a Space or a dict, not {type(value).__name__}; "
            "read a space file with Space.from_csv(path, type=...)."
        )
    problems = unstorable_values(data)
    if problems:
        raise SpaceError(problems)
    return data


def id_of(value: Any) -> Any:
    """An object's ``id`` (a Suggestion passed as ``suggestion=``), or the value itself."""
    return getattr(value, "id", value)


def id_list(value: Any) -> Any:
    """The ids of a list's filter as the URL carries them, separated by commas: text as
    given, a list (or any iterable) of ids (text, whole numbers or objects with ``.id``,
    a Suggestion) joined; anything else as given (a dict or bytes: the transport refuses
    a query value that is neither text nor a number)."""
    if isinstance(value, str | bytes | Mapping) or not isinstance(value, Iterable):
        return value
    return ",".join(str(id_of(item)) for item in value)


def observation_json(value: Any) -> Any:
    """One observation of a batch: a dict or an Observation, with ``suggestion`` as an id;
    its values as given (the service reads a whole number as the float SigOpt reads, and
    refuses one past the floats naming its place, as it does for sigopt-python)."""
    from .models import Observation

    data = value.to_dict() if isinstance(value, Observation) else dict(value)
    if data.get("suggestion") is not None:
        data["suggestion"] = id_of(data["suggestion"])
    return {key: item for key, item in data.items() if item is not None}


def observations_json(items: Iterable[Any]) -> list[Any]:
    """A batch's observations, each as :func:`observation_json` sends it."""
    return [observation_json(item) for item in items]


# ---------------------------------------------------------------- responses


def parse_table(body: Any) -> Any:
    """A table response: the table itself or an object holding it under ``table``."""
    from .models import table

    if isinstance(body, Mapping):
        if "columns" in body:
            return table(body)
        for key in ("table", "experiments", "design"):
            if isinstance(body.get(key), Mapping):
                return table(body[key])
    return body


def parse_space(body: Any) -> Any:
    """A space response: the space itself or an object holding it under ``space``."""
    from .models import space

    if (
        isinstance(body, Mapping)
        and "parameters" not in body
        and isinstance(body.get("space"), Mapping)
    ):
        return space(body["space"])
    return space(body)


def parse_analytics_files(body: Any) -> list[AnalyticsFile]:
    """The files of an analytics listing."""
    from .models import AnalyticsFiles

    return AnalyticsFiles.from_dict(body).files


def parse_observations(body: Any) -> list[Observation]:
    """The observations of a batch answer (``{"data": [...]}``)."""
    from .models import Observation

    return [Observation.from_dict(o) for o in (body or {}).get("data", [])]


# ---------------------------------------------------------------- tasks


def waiter(call: Call) -> TaskWaiter:
    """A TaskWaiter on this call's connection."""
    from .tasks import TaskWaiter

    return TaskWaiter(call.conn.transport)


def finish_task(call: Call, task: Task, options: Mapping[str, Any]) -> Task:
    """After a call started ``task``: wait when asked (or by config), chain, export.

    A failed or canceled task raises; with ``generate_next`` the generate task the
    update chained is waited on too and returned.
    """
    from .models import Task
    from .tasks import resolve_wait, task_path

    config = call.conn.config
    mode, timeout = resolve_wait(
        options.get("wait"), options.get("timeout"), config.auto_task_timeout
    )
    if task.session is None:
        task.session = call.node._path[1] if len(call.node._path) > 1 else None
    if mode == "no":
        if config.run_tasks_async and options.get("progress") is not None:
            follow_in_background(call, task, options.get("progress"))
        return task
    tasks = waiter(call)
    if mode == "once":
        return tasks.fetch_once(task)
    clock = tasks.clock
    started = clock()
    progress = options.get("progress")
    task = tasks.wait(task, timeout=timeout, progress=progress)
    export_dir = options.get("export_dir") or config.export_dir
    next_id = getattr(task.result, "next_task", None)
    if task.type == "update" and next_id:
        if export_dir:
            export_after(call, task, export_dir)
        body = call.request("GET", task_path(str(task.session), str(next_id)), params=None)
        remaining = None if timeout is None else max(0.0, timeout - (clock() - started))
        task = tasks.wait(Task.from_dict(body), timeout=remaining, progress=progress)
    if export_dir:
        export_after(call, task, export_dir)
    return task


def follow_in_background(call: Call, task: Task, progress: ProgressArg) -> threading.Thread:
    """Daptics' ``run_tasks_async``: follow ``task`` in a thread, giving updates to ``progress``.

    The thread ends with the task; a failure is logged on ``sigopt_like.tasks``
    (the callable got the failed state as its last update), a cancel at INFO: the
    script most likely asked for it, and it is no failure.
    """
    from .errors import TaskCanceledError

    def follow() -> None:
        log = logging.getLogger("sigopt_like.tasks")
        try:
            waiter(call).wait(task, progress=progress)
        except TaskCanceledError as canceled:
            log.info("%s", canceled)
        except Exception as err:  # the caller is gone: log, do not raise into nothing
            log.warning("%s", err)

    thread = threading.Thread(target=follow, name=f"sigopt-like-task-{task.id}", daemon=True)
    thread.start()
    return thread


def wait_task(call: Call, *, timeout: float | None = None, progress: ProgressArg = None) -> Task:
    """``tasks(tid).wait()``: wait for this task; return it on success, raise otherwise."""
    from .models import Task
    from .tasks import check_timeout

    check_timeout(timeout)  # before: "'<' not supported between 'str' and 'int'"
    task = Task.from_dict(call.request("GET", _item_path(call)))
    return waiter(call).wait(
        task, timeout=None if timeout is None or timeout < 0 else timeout, progress=progress
    )


def _item_path(call: Call) -> str:
    from .resources import node_path

    return node_path(call.node)


# ---------------------------------------------------------------- exports


def check_export_dir(config: Any, options: Mapping[str, Any]) -> None:
    """Make the auto-export folder of a call that will wait and export, before its task
    starts; ConfigError if it cannot be. Before, a folder that was a file (or under one,
    or where nothing can be made) failed after the task had succeeded, with the system's
    NotADirectoryError: the campaign had moved on, and the error did not say so."""

    from .errors import ConfigError
    from .tasks import resolve_wait

    directory = options.get("export_dir") or config.export_dir
    if not directory:
        return
    mode, _ = resolve_wait(options.get("wait"), options.get("timeout"), config.auto_task_timeout)
    if mode != "wait":
        return  # nothing is exported
    from . import csvio
    from .errors import UnusablePathError
    from .new_files import refusal

    try:  # before: a name past 255 bytes was OSError "File name too long", quoting it whole
        csvio.check_path(directory)
    except UnusablePathError as err:
        raise ConfigError(f"The export folder: {err}; nothing was started.") from None
    folder = Path(directory).expanduser()
    existing = next((p for p in (folder, *folder.parents) if p.exists()), None)
    if existing is not None and not existing.is_dir():
        raise ConfigError(
            f"The export folder {directory} cannot be made: {existing} is a file, not a "
            "folder; nothing was started."
        )
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise ConfigError(
            f"The export folder {directory} cannot be made ({err.strerror or err}); nothing "
            "was started."
        ) from None
    refused = refusal(folder)  # the commands' -o words: a read-only mount "takes no new file"
    if refused is not None:
        raise ConfigError(f"The export folder {directory} {refused}; nothing was started.")


def export_after(call: Call, task: Task, directory: Any) -> list[Path]:
    """Write Daptics' auto-export files for a finished task into ``directory``."""
    from . import exports
    from .models import History
    from .spaces import Space
    from .tables import Table
    from .tasks import check_finished

    check_finished(task)
    result = task.result
    sid = str(task.session)
    written: list[Path] = []
    if task.type == "space" and result is not None:
        value = result.space if isinstance(result.space, Space) else Space.from_dict(result.space)
        written.append(exports.export_validated_space(directory, value))
        return written
    if task.type == "analytics" and result is not None:
        # Daptics: "the set of all available PDF analytics files for the generation will be
        # downloaded"; the PNG and CSV files stay a call away (analytics.download(dir))
        return download_files(
            call, sid, directory, gen=result.gen, name_by_gen=True, only=PDF_CONTENT_TYPE
        )
    if task.type == "generate" and result is not None and result.experiments is not None:
        written.append(exports.export_design(directory, int(result.gen), result.experiments))
    if task.type == "update" and result is not None and result.gen is not None:
        body = call.request(
            "GET", f"{C.API_PREFIX}/sessions/{sid}/experiments", params={"gen": result.gen}
        )
        experiments = parse_table(body)
        if isinstance(experiments, Table):
            written.append(exports.export_experiments(directory, int(result.gen), experiments))
    if task.type == "simulate" and isinstance(getattr(result, "history", None), History):
        history = result.history
    else:
        history = History.from_dict(call.request("GET", f"{C.API_PREFIX}/sessions/{sid}/history"))
    generations = [
        {"gen": g.gen, "table": g.table, "design_rows": g.design_rows or 0}
        for g in history.generations
        if g.table is not None
    ]
    if generations:
        written.append(exports.export_history(directory, generations))
    return written


# ---------------------------------------------------------------- files

#: the analytics files that auto-export writes, as Daptics' auto_export_path does
PDF_CONTENT_TYPE = "application/pdf"


def download(
    call: Call,
    directory: Any,
    *,
    gen: int | None = None,
    name_by_gen: bool = False,
    overwrite: bool = False,
) -> list[Path]:
    """``analytics.download(dir)``: fetch every analytics file of a generation into ``dir``.

    A file of the same name there that holds something else is kept, and none is
    written (:class:`~.errors.AnalyticsFilesExistError`), unless ``overwrite`` or it is
    this session's own earlier download (:mod:`~.analytics_output`'s rule, the one of
    ``sigopt-like analytics -o DIR``). ``name_by_gen`` names them ``auto_gen{N}_<name>``,
    as auto-export does, and replaces them as auto-export does."""
    sid = call.node._path[1]
    return download_files(
        call, sid, directory, gen=gen, name_by_gen=name_by_gen, overwrite=overwrite
    )


def download_files(
    call: Call,
    sid: str,
    directory: Any,
    *,
    gen: int | None,
    name_by_gen: bool,
    only: str | None = None,
    overwrite: bool = False,
) -> list[Path]:
    """Download the analytics files of generation ``gen`` (the latest when None); with
    ``only``, those of that content type alone (auto-export: the PDF files). All are
    fetched before any is written, so a refusal (:func:`write_downloaded`) writes none."""
    from . import csvio, exports
    from .models import AnalyticsFiles

    csvio.check_path(directory)
    folder = Path(directory)
    existing = next((p for p in (folder, *folder.parents) if p.exists()), None)
    if existing is not None and not existing.is_dir():
        # before: NotADirectoryError "Not a directory: 'notes.txt/summary.csv'", a path
        # the caller never gave, after every file was fetched
        raise NotADirectoryError(
            errno.ENOTDIR,
            "a file, not a folder: name a folder to download the analytics files into",
            os.fspath(existing),
        )
    base = f"{C.API_PREFIX}/sessions/{sid}/analytics"
    listing = AnalyticsFiles.from_dict(call.request("GET", base, params={"gen": gen}))
    if not listing.files:  # before: [] and nothing written, without a word
        from .errors import NoAnalyticsError

        which = "this campaign" if gen is None else f"generation {gen} of this campaign"
        raise NoAnalyticsError(
            f"There are no analytics of {which} to download yet: make them first with "
            "campaign.analytics.create(wait=True) in Python (sigopt-like analytics on the "
            "command line), then download them."
        )
    fetched: list[tuple[str, int | None, bytes]] = []
    for item in listing.files:
        if only is not None and item.content_type != only:
            continue
        name = str(item.name)
        file_gen = item.gen if item.gen is not None else listing.gen
        response = call.response(
            "GET", f"{base}/files/{name}", params={"gen": file_gen}, headers={"Accept": "*/*"}
        )
        if name_by_gen and file_gen is not None:
            exports.gen_prefix(int(file_gen))
        elif Path(name).name != name or name in (".", ".."):
            raise ValueError(f"the service gave a file name with a directory part: {name!r}")
        fetched.append((name, file_gen, response.content))
    if name_by_gen:  # Daptics' auto-export names, replaced as Daptics' client does
        return [
            exports.export_analytics_file(directory, int(file_gen), name, data)
            if file_gen is not None
            else _write_one(Path(directory) / name, data)
            for name, file_gen, data in fetched
        ]
    contents = {name: data for name, _, data in fetched}
    return write_downloaded(call, sid, Path(directory), contents, overwrite=overwrite)


def _write_one(path: Path, data: bytes) -> Path:
    from . import csvio

    return csvio.write_bytes_file(path, data)


def write_downloaded(
    call: Call, sid: str, folder: Path, contents: dict[str, bytes], *, overwrite: bool
) -> list[Path]:
    """Write ``contents`` (file name -> bytes) of session ``sid``'s analytics into
    ``folder`` by :mod:`~.analytics_output`'s rule: refused as a whole
    (:class:`~.errors.AnalyticsFilesExistError`) when a file there holds something else
    that is not this session's earlier download, unless ``overwrite``; the folder's
    record then names what was written."""
    from . import analytics_output, csvio
    from .errors import AnalyticsFilesExistError

    session = analytics_output.session_key(call.request("GET", f"{C.API_PREFIX}/sessions/{sid}"))
    if not overwrite:
        kept = analytics_output.kept_files(folder, contents, session)
        if kept:
            raise AnalyticsFilesExistError(kept)
    written = [csvio.write_bytes_file(folder / name, data) for name, data in contents.items()]
    # by where each file landed (a link's target), a device not at all: download_file to
    # /dev/stdout must not leave a record in /dev
    analytics_output.record_written(folder, contents, session)
    return written


def download_file(
    call: Call, file: Any, path: Any = None, *, gen: int | None = None, overwrite: bool = False
) -> Path:
    """``analytics.download_file(file, path=None)``: one analytics file, as Daptics'
    ``download_analytics_file(url, fname)``. ``file`` is an AnalyticsFile, its name or its
    URL; ``path`` a file to write, or a folder for the file's own name (default: here).
    A file there that holds something else is kept as :func:`download` keeps one
    (:class:`~.errors.AnalyticsFilesExistError`), unless ``overwrite``."""
    from urllib.parse import parse_qs, urlsplit

    sid = call.node._path[1]
    base = f"{C.API_PREFIX}/sessions/{sid}/analytics/files/"
    url = getattr(file, "url", None) or (file if isinstance(file, str) and "/" in file else None)
    name = getattr(file, "name", None) or (file if isinstance(file, str) else None)
    asked: str | None = None
    if url is not None:
        parts = urlsplit(url)
        if not parts.path.startswith(base) or "/" in parts.path.removeprefix(base):
            raise ValueError(f"{url!r} is not the URL of an analytics file of this session")
        name = parts.path.removeprefix(base)
        listed = parse_qs(parts.query, keep_blank_values=True).get("gen")
        if gen is None and listed:
            # the service reads it as it reads the keyword's, and refuses what is not a
            # generation number with a 400 naming 'gen' (BadRequestError): read here,
            # int() took Arabic-Indic one for 1 and failed on a superscript two, and
            # "?gen=abc" downloaded the latest generation's file
            asked = listed[0]
    if not name or Path(name).name != name or name in (".", ".."):
        raise ValueError(f"not the name of an analytics file: {file!r}")
    params = {"gen": gen if gen is not None else asked}
    response = call.response("GET", base + name, params=params, headers={"Accept": "*/*"})
    target = Path(path) if path is not None else Path(name)
    if target.is_dir():
        target = target / name
    contents = {target.name: response.content}
    return write_downloaded(call, sid, target.parent, contents, overwrite=overwrite)[0]


def history_csv(call: Call, path: Any = None) -> str:
    """``history.csv(path=None)``: the history CSV from the service; written to ``path`` too."""
    response = call.response("GET", params={"format": "csv"}, headers={"Accept": "text/csv"})
    text = response.content.decode("utf-8")
    if path is not None:
        from . import csvio

        csvio.write_text_file(Path(path), text)
    return text
