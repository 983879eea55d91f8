"""Waiting on tasks: event stream, long-poll fallback, failures raise, timeouts."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import pytest

import sigopt_like
from sigopt_like import TaskCanceledError, TaskFailedError, TaskTimeoutError, ValidationError
from sigopt_like.models import Task
from sigopt_like.tasks import TaskWaiter, resolve_wait
from sigopt_like.transport import RetryPolicy, Transport

from .faulty_server import FaultyServer, Reply, faulty_server

SPACE = {
    "type": "factorial",
    "parameters": [
        {"name": "p1", "type": "numerical", "values": list(range(20))},
        {"name": "c", "type": "categorical", "values": list("abcdefgh")},
    ],
}
#: 15 compositions of 10,000 units over six components: too large to count at the
#: request (6 x 10,001 cells), so its design size is the space task's to judge
MIXTURE = {
    "type": "mixture",
    "total_units": 10_000,
    "parameters": [{"name": f"c{i}", "type": "unit", "min": 1666, "max": 1667} for i in range(6)],
}


def task(status: str, fraction: float = 0.0, **extra) -> dict:
    return {
        "object": "task",
        "id": "7",
        "session": "3",
        "type": "generate",
        "status": status,
        "progress": {"fraction": fraction, "message": status},
        "errors": [],
        **extra,
    }


def sse(*tasks: dict) -> Reply:
    text = ": keep-alive\n\n" + "".join(f"data: {json.dumps(t)}\n\n" for t in tasks)
    return Reply(kind="text", body=text, headers={"Content-Type": "text/event-stream"})


@pytest.fixture
def server() -> Iterator[FaultyServer]:
    yield from faulty_server()


def waiter(server: FaultyServer, read_timeout: float = 5.0) -> TaskWaiter:
    timeout = (2.0, read_timeout)
    transport = Transport(server.url, retries=RetryPolicy(max_tries=1), timeout=timeout)
    return TaskWaiter(transport, long_poll=0.2, sleep=lambda s: None)


def test_follows_the_event_stream(server):
    server.play(
        sse(task("running", 0.3), task("running", 0.6), task("success", 1.0, result={"gen": 1}))
    )
    seen = []
    done = waiter(server).wait(Task.from_dict(task("new")), progress=seen.append)
    assert done.status == "success" and done.result.gen == 1
    # the queued state it started from ("new", 0.0) is not passed to a callable
    assert [t.progress.fraction for t in seen] == [0.3, 0.6, 1.0]
    assert [r.path for r in server.requests] == ["/v1/sessions/3/tasks/7/events"]
    assert server.requests[0].headers["Accept"] == "text/event-stream"


@pytest.mark.parametrize("status", [[[1]], {"a": 1}, 7, ["success"]])
def test_an_event_whose_status_is_not_text_is_passed_over(server, status):
    """Before: an event such as ``{"object": "task", "id": "7", "status": [[1]]}`` made
    ``wait`` raise ``TypeError: unhashable type: 'list'`` (its status looked up among the
    finished ones); it is not a task's JSON, passed over as one that is not JSON is."""
    bad = {"object": "task", "id": "7", "status": status}
    _passed_over(server, f"data: {json.dumps(bad)}\n\n")


def test_an_event_nested_past_pythons_stack_is_passed_over(server):
    """Before: an event whose data was 100,000 lists inside each other made the decoder
    raise RecursionError out of ``wait``; an event that is not a task is passed over, as
    one that is not JSON is."""
    deep = "[" * 100_000 + "]" * 100_000
    _passed_over(server, f"data: {deep}\n\n")


def _passed_over(server, event: str) -> None:
    """``event`` (one event's text), then a running and a finished task's events: ``wait``
    passes the first over and hands on the other two, from one stream."""
    text = event + "".join(
        f"data: {json.dumps(t)}\n\n" for t in (task("running", 0.5), task("success", 1.0))
    )
    server.play(Reply(kind="text", body=text, headers={"Content-Type": "text/event-stream"}))
    seen = []
    done = waiter(server).wait(Task.from_dict(task("new")), progress=seen.append)
    assert done.status == "success"
    assert [t.progress.fraction for t in seen] == [0.5, 1.0]
    assert [r.path for r in server.requests] == ["/v1/sessions/3/tasks/7/events"]


def test_a_stream_without_chunks_hands_over_each_event_as_it_comes(server):
    """A stream ended by closing its connection (no chunked encoding: what a proxy
    speaking HTTP/1.0 sends) was read 64 KiB at a time: urllib3 waits for the whole
    read, so a task's progress came all at once, when the stream ended. Each event now
    reaches the caller as it comes."""

    def event(t: dict) -> str:
        return f"event: task\ndata: {json.dumps(t)}\n\n"

    hold = 4.0  # the first event is given half of it, far from the end of the stream
    server.play(
        Reply(
            kind="held_stream",
            body=[": keep-alive\n\n" + event(task("running", 0.3)), event(task("success", 1.0))],
            delay=hold,
        )
    )
    started = time.monotonic()
    seen: list[tuple[float, float]] = []
    done = waiter(server, read_timeout=2 * hold).wait(
        Task.from_dict(task("new")),
        progress=lambda t: seen.append((t.progress.fraction, time.monotonic() - started)),
    )
    assert done.status == "success"
    assert [fraction for fraction, _ in seen] == [0.3, 1.0]  # "new" is not passed
    assert seen[0][1] < hold / 2, seen  # as it came, not when the stream ended
    assert seen[1][1] >= hold - 0.5, seen
    assert [r.path for r in server.requests] == ["/v1/sessions/3/tasks/7/events"]


def test_falls_back_to_long_poll_when_there_is_no_stream(server):
    server.play(
        Reply(status=404, body={"object": "error", "code": "not_found", "message": "no"}),
        Reply(body=task("running", 0.5)),
        Reply(body=task("success", 1.0)),
    )
    transport = Transport(server.url, retries=RetryPolicy(max_tries=1), timeout=(2.0, 5.0))
    tasks = TaskWaiter(transport, long_poll=3.0, sleep=lambda s: None)
    done = tasks.wait(Task.from_dict(task("running")))
    assert done.succeeded
    paths = [r.path for r in server.requests]
    assert paths[0].endswith("/events")
    assert paths[1:] == ["/v1/sessions/3/tasks/7?wait=3"] * 2


def test_long_polls_ask_for_whole_seconds_within_the_timeout(server):
    """The service takes whole seconds; a deadline 2.5 s away asks for 2, never 2.5."""
    server.play(Reply(status=404), Reply(body=task("running")), Reply(body=task("success")))
    transport = Transport(server.url, retries=RetryPolicy(max_tries=1), timeout=(2.0, 5.0))
    # a clock that stands still: the first request's own time (0.5 s of a loaded
    # machine) must not turn the deadline's 2 whole seconds into 1
    tasks = TaskWaiter(transport, long_poll=20.0, clock=lambda: 100.0, sleep=lambda s: None)
    assert tasks.wait(Task.from_dict(task("running")), timeout=2.5).succeeded
    waits = [r.path.partition("?")[2] for r in server.requests[1:]]
    assert waits == ["wait=2", "wait=2"], waits


def test_falls_back_when_the_stream_ends_early(server):
    server.play(sse(task("running", 0.5)), Reply(body=task("success", 1.0)))
    assert waiter(server).wait(Task.from_dict(task("running"))).succeeded
    assert len(server.requests) == 2


def test_failed_task_raises_with_its_errors(server):
    errors = [{"message": "not a level of p1", "category": "validation", "row": 3, "column": "p1"}]
    server.play(sse(task("running"), task("failed", 1.0, errors=errors)))
    with pytest.raises(TaskFailedError) as info:
        waiter(server).wait(Task.from_dict(task("running")))
    err = info.value
    assert err.task.status == "failed"
    assert err.errors[0].row == 3 and err.errors[0].column == "p1"
    assert "row 3, column p1: not a level of p1" in str(err)


def test_canceled_task_raises(server):
    server.play(Reply(status=404), Reply(body=task("canceled")))
    with pytest.raises(TaskCanceledError):
        waiter(server).wait(Task.from_dict(task("running")))


def test_timeout_raises_and_does_not_cancel(server):
    server.play(Reply(status=404), Reply(body=task("running")))
    with pytest.raises(TaskTimeoutError) as info:
        waiter(server).wait(Task.from_dict(task("running")), timeout=0.5)
    assert info.value.task.status == "running"
    assert not any("cancel" in r.path for r in server.requests)
    assert all(r.method == "GET" for r in server.requests)


def test_already_finished_task_needs_no_request(server):
    with pytest.raises(TaskFailedError):
        waiter(server).wait(Task.from_dict(task("failed")))
    assert server.requests == []


@pytest.mark.parametrize(
    ("wait", "timeout", "auto", "expected"),
    [
        (None, None, None, ("no", None)),
        (True, None, None, ("wait", None)),
        (False, 5, -1, ("no", None)),
        (None, 5, None, ("wait", 5.0)),
        (None, None, 30, ("wait", 30.0)),
        (None, None, -1, ("wait", None)),
        (None, None, 0, ("once", None)),
        (True, -1, None, ("wait", None)),
    ],
)
def test_resolve_wait(wait, timeout, auto, expected):
    assert resolve_wait(wait, timeout, auto) == expected


# ------------------------------------------------------------ against the real service


def test_space_task_waits_and_reports_progress(conn):
    session = conn.sessions.create(name="alloy")
    seen = []
    done = conn.sessions(session.id).space.put(
        space=SPACE, population_size=10, replicates=1, wait=True, progress=seen.append
    )
    assert done.status == "success" and done.type == "space"
    assert done.result.space_size == 160
    assert seen and seen[-1].status == "success"
    assert isinstance(conn.sessions(session.id).space.fetch(), sigopt_like.Space)


def test_a_failed_task_is_never_a_success(conn):
    # a population a large mixture cannot fill: its space task fails (a factorial's and a
    # small mixture's are a 422)
    session = conn.sessions.create(name="unfillable")
    with pytest.raises(TaskFailedError) as info:
        conn.sessions(session.id).space.put(
            space=MIXTURE, population_size=2500, replicates=1, wait=True
        )
    assert info.value.task.status == "failed"
    assert info.value.errors and info.value.errors[0].message
    started = conn.sessions(session.id).space.put(space=MIXTURE, population_size=2500, replicates=1)
    assert started.status in ("new", "running", "failed")
    with pytest.raises(TaskFailedError):
        conn.sessions(session.id).tasks(started.id).wait(timeout=30)


def test_auto_task_timeout_from_config_makes_calls_wait(tmp_path, clean_env):
    with sigopt_like.Connection(database=tmp_path / "a.db", auto_task_timeout=-1) as conn:
        session = conn.sessions.create(name="auto")
        done = conn.sessions(session.id).space.put(space=SPACE, population_size=10, replicates=1)
        assert done.status == "success"


def test_generate_next_chains_and_returns_the_generate_task(conn, tmp_path):
    session = conn.sessions(conn.sessions.create(name="chain").id)
    session.space.put(space=SPACE, population_size=10, replicates=1, wait=True)
    design = session.generate(wait=True, export_dir=tmp_path / "out").result.experiments
    assert isinstance(design, sigopt_like.Table) and len(design) == 20
    measured = session.responses.simulate(design)
    assert all(value is not None for value in measured.responses())
    task = session.experiments.put(
        type="designed",
        table=measured.records(),
        generate_next=True,
        wait=True,
        export_dir=tmp_path / "out",
    )
    assert task.type == "generate" and task.succeeded and task.result.gen == 2
    files = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert {
        "auto_gen1_design.csv",
        "auto_gen1_experiments.csv",
        "auto_gen2_design.csv",
        "auto_history.csv",
    } <= set(files)
    history = session.history.fetch()
    assert {1, 2} <= {g.gen for g in history.generations}
    assert session.history.csv().splitlines()[0].startswith("Seq_,Gen_,Designed_")


def test_wait_is_a_boolean_and_timeout_a_number_before_anything_starts(embedded_conn):
    """Before: ``wait=1`` and ``wait="yes"`` were taken as "not given": the call returned
    at once with its task queued (accepted, not honoured); ``timeout="10"`` failed with
    Python's "'<' not supported" after the task had started."""
    space = sigopt_like.Space.from_csv("a,numerical,1,2,3\nb,categorical,x,y\n")
    session = embedded_conn.sessions(embedded_conn.sessions.create(name="w").id)
    done = session.space.put(space=space, population_size=2, replicates=0, wait=1)
    assert done.status == "success"  # 1 is True
    for options, says in (
        ({"wait": "yes"}, "wait must be True, False or None, not 'yes'"),
        ({"wait": 2}, "wait must be True"),
        ({"wait": True, "timeout": "10"}, "timeout must be a number of seconds"),
        ({"timeout": float("nan")}, "timeout must be a number of seconds"),
    ):
        with pytest.raises(TypeError, match=says):
            session.generate(**options)
    assert [t.type for t in session.tasks.list()] == ["space"]  # nothing was started
    assert session.generate(wait=0).status in ("new", "running", "success")  # 0 is False


def test_event_lines_split_at_any_line_end_across_chunks():
    from sigopt_like.tasks import _iter_stream_lines

    chunks = [b"data: a\r", b"\ndata: b\n\n: note\rdata: c\r\n", b"\r\ndata: d"]
    assert list(_iter_stream_lines(chunks)) == [
        b"data: a",
        b"data: b",
        b"",
        b": note",
        b"data: c",
        b"",
        b"data: d",
    ]


def test_a_very_large_event_from_a_served_instance_is_read_in_linear_time(idle_server):
    """A task whose event is 12 MB is followed to its end in seconds.

    Before, the stream was read with ``iter_lines`` (512-byte chunks, re-split on
    each): a failed task's 30 MB event held ``wait`` at 100% CPU for over 10 minutes,
    and this one for far longer than the test allows.
    """
    import threading
    import time

    from tests.fixtures.waiting import queued_tasks

    ((session_id, task_id),) = queued_tasks(idle_server, 1)
    transport = Transport(idle_server.url, token=idle_server.token, timeout=(5.0, 30.0))
    started = Task.from_dict(
        transport.request_json("GET", f"/v1/sessions/{session_id}/tasks/{task_id}")
    )
    outcome: dict = {}

    def follow() -> None:
        try:
            outcome["task"] = TaskWaiter(transport).wait(started)
        except Exception as exc:  # reported by the test's thread
            outcome["error"] = exc

    follower = threading.Thread(target=follow, daemon=True)
    follower.start()
    time.sleep(0.5)  # the stream is open: the big event comes on it
    tasks = idle_server.service.context.store.tasks
    claimed = tasks.claim("test", int(time.time()))
    assert claimed is not None and str(claimed.id) == task_id
    blob = "".join(f"{i:09d}," for i in range(1_200_000))  # 12 MB
    assert tasks.finish(claimed.id, "success", int(time.time()), result={"blob": blob})
    follower.join(timeout=20)
    assert not follower.is_alive(), "wait() did not return within 20 s of a 12 MB event"
    assert "error" not in outcome, outcome
    assert outcome["task"].status == "success"
    assert outcome["task"].result.to_dict()["blob"] == blob


def test_a_table_with_very_many_problems_is_refused_with_the_first_ones_and_a_count(conn):
    """A re-sent initial table that leaves out 800 experiments put before is refused at
    once (422, no task), listing the first hundred problems and how many more, not one per
    experiment; the experiments put before stay stored.

    Before, as a failed task, every one was kept, each repeating the same sentence: 77,478
    of them made a 30 MB task, sent whole in every task listing (the dashboard's, every
    3 s). A failed task's own cap is tests/campaign/test_tasks.py's."""
    from sigopt_like.spaces import MAX_LISTED_PROBLEMS

    space = {
        "type": "factorial",
        "parameters": [
            {"name": f"p{i}", "type": "numerical", "values": list(range(10))} for i in range(4)
        ],
    }
    session = conn.sessions(conn.sessions.create(name="many-errors").id)
    session.space.put(space=space, population_size=20, replicates=0, wait=True)
    columns = ["p0", "p1", "p2", "p3", "Response"]
    first = [[0, i // 100, i // 10 % 10, i % 10, float(i)] for i in range(1000)]
    session.experiments.put(type="initial", table={"columns": columns, "rows": first}, wait=True)
    tasks_before = len(list(session.tasks.list()))
    kept = first[800:]  # leaves out 800 experiments put before
    with pytest.raises(ValidationError) as info:
        session.experiments.put(type="initial", table={"columns": columns, "rows": kept}, wait=True)
    refused = info.value
    assert len(refused.errors) == MAX_LISTED_PROBLEMS + 1, len(refused.errors)
    assert "not in this table" in refused.errors[0]["message"]
    assert "p0=0, p1=0, p2=0, p3=0" in refused.errors[0]["message"]  # which experiment
    assert refused.errors[-1]["message"] == "... and 700 more problems not listed"
    assert len(list(session.tasks.list())) == tasks_before  # no task was made
    assert len(session.experiments.fetch().rows) == 1000  # nothing dropped


def test_tasks_are_listed_without_their_results_when_asked(conn):
    """``result="omit"`` lists tasks without their results; an unknown value is a 400.

    Before, a listing always carried every result: a simulate task's is the campaign's
    whole history (4.9 MB for 20 tasks of a 130,000-response campaign), and the
    dashboard polled it every 3 s for the tasks' statuses.
    """
    from sigopt_like.errors import BadRequestError

    sid = conn.sessions.create(name="listing").id
    session = conn.sessions(sid)
    session.space.put(space=SPACE, population_size=10, replicates=1, wait=True)
    session.simulate(ngens=3, wait=True)
    full = list(session.tasks.list())
    bare = list(session.tasks.list(result="omit"))
    assert [t.id for t in bare] == [t.id for t in full] and len(bare) == 2
    assert full[0].type == "simulate" and full[0].result is not None
    assert all(t.result is None for t in bare)
    assert [t.status for t in bare] == ["success", "success"]
    raw = conn.transport.request_json("GET", f"/v1/sessions/{sid}/tasks", params={"result": "omit"})
    assert all("result" not in t for t in raw["data"])
    assert next(iter(session.tasks.list(result="include"))).result is not None
    with pytest.raises(BadRequestError) as info:
        list(session.tasks.list(result="none"))
    assert "'result'" in str(info.value) and "include, omit" in str(info.value)


def test_a_task_and_its_event_stream_leave_the_result_out_when_asked(conn):
    """``result=omit`` on a task's GET and on its event stream, as the listing takes it:
    the task without its result (the key left out); ``include`` is the default; another
    value is a 400 that names the choices, on both routes.

    Before, both always carried the result: a simulate task's is the campaign's whole
    history, which a caller that only wants the status read again at every poll.
    """
    from sigopt_like.errors import BadRequestError
    from sigopt_like.tasks import iter_event_data

    sid = conn.sessions.create(name="one-task").id
    session = conn.sessions(sid)
    session.space.put(space=SPACE, population_size=10, replicates=1, wait=True)
    done = session.simulate(ngens=2, wait=True)
    task = session.tasks(done.id)
    assert task.fetch().result is not None
    assert task.fetch(result="include").result is not None
    bare = task.fetch(result="omit")
    assert bare.result is None and bare.status == "success" and bare.id == done.id
    path = f"/v1/sessions/{sid}/tasks/{done.id}"
    raw = conn.transport.request_json("GET", path, params={"result": "omit"})
    assert "result" not in raw and raw["status"] == "success"
    assert "history" in conn.transport.request_json("GET", path)["result"]

    def events(**params):
        response = conn.transport.request("GET", f"{path}/events", params=params, stream=True)
        try:
            return [json.loads(data) for data in iter_event_data(response)]
        finally:
            response.close()

    (omitted,) = events(result="omit")
    assert "result" not in omitted and omitted["status"] == "success"
    (full,) = events()
    assert "history" in full["result"]
    for call in (lambda: task.fetch(result="none"), lambda: events(result="none")):
        with pytest.raises(BadRequestError) as info:
            call()
        assert "'result'" in str(info.value) and "include, omit" in str(info.value)
    assert task.fetch().result is not None  # nothing changed


def test_a_long_poll_gives_its_version_until_it_has_seen_a_warning(server):
    """The version the wait has goes with its long poll while it has seen no warning: the
    service answers at once when the task's worker is gone already (before: asked without
    it, the service held the poll for its whole wait). Once the warning is seen, it is left
    out, so the service waits for the take-over rather than answering again at once."""
    gone = ["its worker was last heard from 21 s ago (at 100) and is gone"]
    server.play(
        Reply(body=task("running", 0.5, version=4, warnings=gone)),
        Reply(body=task("success", 1.0, version=6)),
    )
    transport = Transport(server.url, retries=RetryPolicy(max_tries=1), timeout=(2.0, 5.0))
    pauses: list[float] = []
    tasks = TaskWaiter(transport, long_poll=3.0, use_events=False, sleep=pauses.append)
    assert tasks.wait(Task.from_dict(task("running", 0.5, version=4))).succeeded
    paths = [r.path for r in server.requests]
    assert paths == [
        "/v1/sessions/3/tasks/7?wait=3&version=4",
        "/v1/sessions/3/tasks/7?wait=3",
    ], paths
    assert pauses == [], pauses  # the warning at once was news, not a refusal to hold
