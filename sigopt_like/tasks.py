"""Waiting on a task: follow its event stream, fall back to long-polling.

A finished task comes back only when it succeeded: a failed one raises
:class:`~sigopt_like.errors.TaskFailedError` (with its errors), a canceled one
:class:`~sigopt_like.errors.TaskCanceledError`; running out of time raises
:class:`~sigopt_like.errors.TaskTimeoutError` and leaves the task running.
"""

from __future__ import annotations

import http.client
import json
import math
import re
import time
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any

import requests
import urllib3.exceptions

from . import _constants as C
from .errors import (
    APIConnectionError,
    APIError,
    TaskCanceledError,
    TaskFailedError,
    TaskTimeoutError,
)
from .models import Task
from .progress import ProgressArg, Reporter, reporter

if TYPE_CHECKING:
    from .transport import Transport

#: what ``progress=`` takes (see :mod:`sigopt_like.progress`).
Progress = ProgressArg


def task_path(session_id: str, task_id: str) -> str:
    """The API path of a task."""
    return f"{C.API_PREFIX}/sessions/{session_id}/tasks/{task_id}"


def resolve_wait(
    wait: bool | None, timeout: float | None, auto_task_timeout: float | None
) -> tuple[str, float | None]:
    """How to treat a just-started task: ("no", None), ("once", None) or ("wait", timeout).

    ``wait=True`` waits up to ``timeout`` (None: no limit); ``wait=False`` never
    waits. With ``wait`` not given, a ``timeout`` means wait that long, and
    otherwise the config's ``auto_task_timeout`` decides (Daptics semantics:
    None -> don't wait, > 0 -> wait that long, < 0 -> no limit, 0 -> look once).

    ``wait=1`` and ``wait=0`` (and numpy's booleans) are taken as True and False;
    another ``wait`` (``"yes"``), or a ``timeout`` that is no number of seconds (a
    string, NaN), is a TypeError. Before, ``wait=1`` and ``wait="yes"`` were taken
    as "not given": the call returned at once, its task still queued.
    """
    wait = _as_wait(wait)
    check_timeout(timeout)
    if wait is False:
        return "no", None
    if wait is True:
        return "wait", _limit(timeout)
    if timeout is not None:
        return "wait", _limit(timeout)
    if auto_task_timeout is None:
        return "no", None
    if auto_task_timeout == 0:
        return "once", None
    return "wait", _limit(auto_task_timeout)


def _as_wait(wait: Any) -> bool | None:
    """``wait`` as True, False or None (see :func:`resolve_wait`)."""
    if wait is None or isinstance(wait, bool):
        return wait
    item = getattr(wait, "item", None)  # numpy's bool_ and integers
    value = item() if callable(item) else wait
    if isinstance(value, (bool, int)) and not isinstance(value, float) and value in (0, 1):
        return bool(value)
    raise TypeError(f"wait must be True, False or None, not {wait!r}")


def _limit(timeout: float | None) -> float | None:
    return None if timeout is None or timeout < 0 else float(timeout)


def check_timeout(timeout: object) -> None:
    """A TypeError unless ``timeout`` is a number of seconds (not a bool, not NaN) or None."""
    if timeout is not None and (
        isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or math.isnan(timeout)
    ):
        raise TypeError(f"timeout must be a number of seconds or None, not {timeout!r}")


def check_finished(task: Task) -> Task:
    """Return a successful task; raise for a failed or canceled one."""
    if task.status == "failed":
        raise TaskFailedError(
            f"Task {task.id} ({task.type}) of session {task.session} failed", task, task.errors
        )
    if task.status == "canceled":
        raise TaskCanceledError(
            f"Task {task.id} ({task.type}) of session {task.session} was canceled", task
        )
    return task


class TaskWaiter:
    """Follows one task until it finishes, calling ``progress(task)`` on each change."""

    def __init__(
        self,
        transport: Transport,
        *,
        long_poll: float = C.LONG_POLL_SECONDS,
        use_events: bool = True,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.transport = transport
        self.long_poll = long_poll
        self.use_events = use_events
        self.clock = clock
        self.sleep = sleep

    def wait(self, task: Task, *, timeout: float | None = None, progress: Progress = None) -> Task:
        """Wait until ``task`` finishes; return it on success, raise otherwise.

        ``progress``: True for a bar (or log lines), a callable (or async
        callable) for each new state; see :mod:`sigopt_like.progress`.
        """
        deadline = None if timeout is None else self.clock() + timeout
        state = _Seen(reporter(progress))
        try:
            state.update(task)
            if task.done:
                return check_finished(task)
            session_id, task_id = str(task.session), str(task.id)
            # In-process, a stream cannot be interrupted by a read timeout: with a
            # deadline there, long-poll instead.
            if self.use_events and (deadline is None or not self.transport.embedded):
                task = self._follow_events(session_id, task_id, deadline, state) or state.last
            while not task.done:
                task = self._poll(session_id, task_id, deadline, state)
            return check_finished(task)
        finally:
            state.close()

    def fetch_once(self, task: Task) -> Task:
        """Look at the task once: a finished one is checked, a running one returned."""
        body = self.transport.request_json("GET", task_path(str(task.session), str(task.id)))
        fresh = Task.from_dict(body)
        return check_finished(fresh) if fresh.done else fresh

    def _remaining(self, deadline: float | None, task: Task) -> float | None:
        if deadline is None:
            return None
        remaining = deadline - self.clock()
        if remaining <= 0:
            # a task no one started: most often a service run with no task runner
            # ('serve --no-tasks', the WSGI factory) and no worker on its database
            unstarted = (
                "; no worker has started it: every one is busy, or none runs (a service "
                "run with 'serve --no-tasks' or the WSGI factory needs 'sigopt-like worker' "
                "processes on its database)"
                if task.status == "new"
                else ""
            )
            raise TaskTimeoutError(
                f"Task {task.id} ({task.type}) of session {task.session} did not finish in time; "
                f"it is still {task.status} (it was not canceled){unstarted}",
                task,
            )
        return remaining

    def _follow_events(
        self, session_id: str, task_id: str, deadline: float | None, state: _Seen
    ) -> Task | None:
        path = task_path(session_id, task_id) + "/events"
        remaining = self._remaining(deadline, state.last)
        connect, read = self.transport.timeout
        read_timeout = read if remaining is None else min(read, remaining + 1.0)
        try:
            response = self.transport.request(
                "GET",
                path,
                headers={"Accept": "text/event-stream"},
                stream=True,
                timeout=(connect, max(read_timeout, 1.0)),
                # heartbeats keep a stream's reads short; the wait's deadline ends it
                stream_within=None if remaining is None else remaining + 1.0,
            )
        except (APIConnectionError, APIError):
            return None  # no stream here: long-poll instead
        try:
            for data in iter_event_data(response):
                task = _event_task(data)
                if task is None:  # not a task's JSON: passed over
                    continue
                state.update(task)
                if task.done:
                    return task
                self._remaining(deadline, task)
        except TaskTimeoutError:
            raise
        except (requests.RequestException, OSError, ValueError):
            pass  # the stream broke: long-poll from here
        finally:
            response.close()
        return None

    def _poll(self, session_id: str, task_id: str, deadline: float | None, state: _Seen) -> Task:
        remaining = self._remaining(deadline, state.last)
        # The service holds a request for whole seconds: never longer than what is left.
        limit = self.long_poll if remaining is None else min(self.long_poll, remaining)
        wait = max(0, math.floor(limit))
        connect, read = self.transport.timeout
        params: dict[str, Any] | None = {"wait": wait} if wait > 0 else None
        had = state.last
        # the version it has, while it has seen no warning: a worker gone just before the
        # request (after the last answer) is news, answered at once, where the service,
        # asked without one, waited out the whole wait; once the warning is seen, left out,
        # so the service waits for the take-over instead of answering again at once
        if params is not None and had.version is not None and not had.warnings:
            params["version"] = had.version
        started = self.clock()
        body = self.transport.request_json(
            "GET", task_path(session_id, task_id), params=params, timeout=(connect, read + wait)
        )
        task = Task.from_dict(body)
        state.update(task)
        # an answer at once that is news (a new version, a warning) was no refusal to hold
        news = task.version != had.version or bool(task.warnings) != bool(had.warnings)
        if not task.done and not (params is not None and "version" in params and news):
            spent = self.clock() - started
            if wait == 0 or spent < min(wait, 0.5):  # the service did not hold the request
                pause = min(2.0, 0.2 * (2 ** min(state.quick_polls, 4)))
                state.quick_polls += 1
                if remaining is not None:
                    pause = min(pause, max(0.0, remaining - spent))
                self.sleep(pause)
        if not task.done:
            self._remaining(deadline, task)
        return task


class _Seen:
    """The last state of a task, and the reporter told when it changes."""

    def __init__(self, report: Reporter | None) -> None:
        self.report = report
        self.last: Task = Task()
        self._key: Any = object()
        self.quick_polls = 0

    def update(self, task: Task) -> None:
        # a worker gone (``warnings``) is a new state: the service sends it with no other
        # change; not their words, whose "s ago" counts up with every read
        key = (task.status, task.phase, _progress_key(task), bool(getattr(task, "warnings", None)))
        self.last = task
        if key != self._key:
            self._key = key
            if self.report is not None:
                self.report.update(task)

    def close(self) -> None:
        if self.report is not None:
            self.report.close()


def _event_task(data: str) -> Task | None:
    """The task an event of a task's stream carries; None for one that is not a task's
    JSON: not JSON, nested past Python's stack (the decoder's RecursionError, out of
    ``wait``), not an object, or with a status that is not text (``[[1]]``: before,
    ``TypeError: unhashable type`` from ``task.done``, out of ``wait``)."""
    try:
        task = Task.from_dict(json.loads(data))
    except (ValueError, TypeError, RecursionError):
        return None
    if task.status is not None and not isinstance(task.status, str):
        return None
    return task


def _progress_key(task: Task) -> Any:
    progress = task.progress
    if progress is None:
        return None
    return (getattr(progress, "fraction", None), getattr(progress, "message", None))


#: bytes asked of an event stream per read. A chunked stream (waitress, gunicorn, the
#: embedded service) hands over each chunk as it comes, up to this size, and a stream
#: without chunks (ended by closing the connection, as a proxy speaking HTTP/1.0 sends
#: it) what has come, up to this size (:func:`_stream_chunks`): a small event is not held
#: back; a 30 MB one takes some 500 reads rather than 60,000.
EVENT_READ_BYTES = 64 * 1024

_LINE_END = re.compile(rb"\r\n|\r|\n")


def iter_event_data(response: requests.Response) -> Iterator[str]:
    """The ``data`` of each server-sent event of a streaming response.

    Reads in time linear in the stream's size, whatever an event's size. Before, it
    read with ``Response.iter_lines``, which joins what it holds to each new 512-byte
    chunk and splits it all again: a failed task's 30 MB event kept ``wait`` at
    100% CPU for over 10 minutes. Hand-written rather than a maintained SSE parser:
    the client's only HTTP library is requests, the parsers built for it read with
    ``iter_lines`` or a per-line copy of the event, and the part of the format the
    service sends (``data:`` lines, comments, blank-line ends) is these few lines.
    """
    data: list[str] = []
    for raw in _iter_stream_lines(_stream_chunks(response)):
        if not raw:
            if data:
                yield "\n".join(data)
                data = []
            continue
        if raw.startswith(b":"):
            continue
        name, _, value = raw.partition(b":")
        if name == b"data":
            data.append((value[1:] if value.startswith(b" ") else value).decode("utf-8"))
    if data:
        yield "\n".join(data)


def _stream_chunks(response: requests.Response) -> Iterable[bytes]:
    """The bytes of a streaming response as they come, up to :data:`EVENT_READ_BYTES` a
    read.

    ``iter_content`` hands over a chunked body chunk by chunk, but reads a body without
    chunks (its end the connection's close) through urllib3's ``read(amt)``, which waits
    until ``amt`` bytes came: a stream's small events and keep-alives waited for 64 KiB
    or the stream's end (a task's progress came all at once, when it finished). Such a
    body (not encoded: what the service sends) is read with ``read1``, at most one read
    of the socket each: urllib3's own (2.3 and later), else that of the standard
    library's response under it. A failed read raises ``requests.ConnectionError``, as
    ``iter_content``'s timeouts do.
    """
    raw = response.raw
    encoding = response.headers.get("Content-Encoding", "identity").strip().lower()
    if getattr(raw, "chunked", True) or encoding not in ("", "identity"):
        return response.iter_content(chunk_size=EVENT_READ_BYTES)
    read1 = getattr(raw, "read1", None) or getattr(getattr(raw, "_fp", None), "read1", None)
    if not callable(read1):
        return response.iter_content(chunk_size=EVENT_READ_BYTES)
    return _read1_chunks(read1)


def _read1_chunks(read1: Callable[[int], bytes]) -> Iterator[bytes]:
    while True:
        try:
            chunk = read1(EVENT_READ_BYTES)
        except (OSError, http.client.HTTPException, urllib3.exceptions.HTTPError) as err:
            raise requests.exceptions.ConnectionError(err) from err
        if not chunk:
            return
        yield chunk


def _iter_stream_lines(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """The lines of a byte stream, split at CRLF, CR or LF, without their ends.

    Each chunk is scanned once: what came before holds no line end (but a CR ending
    the last chunk, whose LF may open the next), so no byte is looked at twice.
    """
    pending = bytearray()
    after_cr = False
    for chunk in chunks:
        if not chunk:
            continue
        start = 1 if after_cr and chunk.startswith(b"\n") else 0
        for end in _LINE_END.finditer(chunk, start):
            pending += chunk[start : end.start()]
            yield bytes(pending)
            pending.clear()
            start = end.end()
        pending += chunk[start:]
        after_cr = chunk.endswith(b"\r")
    if pending:
        yield bytes(pending)
