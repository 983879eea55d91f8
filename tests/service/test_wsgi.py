"""The production entry point: gunicorn (gthread, several worker processes) serves the
app built by ``sigopt_like.service.wsgi:application``; every worker uses one database."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import attrs
import pytest
import requests

from sigopt_like.service import create_app
from sigopt_like.service.settings import ServiceSettings
from sigopt_like.service.store import open_store
from sigopt_like.service.wsgi import WAITING_REQUESTS, StartError, application
from tests.fixtures.servers import gunicorn_answering


def _gunicorn(database: str, factory: str = "application", settings: str = "") -> list[str]:
    """gunicorn with the service's settings (docs/service.md's command), two workers of 4
    threads on the factory's app (``settings``: more of its arguments, as written in the
    command); it draws the port and says which (no race with other servers)."""
    return [
        sys.executable,
        "-m",
        "gunicorn",
        "-c",
        "python:sigopt_like.service.gunicorn_conf",
        "--workers",
        "2",
        "--threads",
        "4",
        "--bind",
        "127.0.0.1:0",
        f"sigopt_like.service.wsgi:{factory}(database={database!r}{settings})",
    ]


def _gunicorn_stopping(database: str, settings: str = "") -> tuple[int, str]:
    """Start :func:`_gunicorn` on ``database`` (and ``settings``), which it should refuse:
    its exit code and all it said (still serving after a minute is a ``TimeoutExpired``, it
    killed)."""
    proc = subprocess.Popen(
        _gunicorn(database, settings=settings),
        cwd=Path(__file__).resolve().parents[2],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        said, _ = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
    return proc.returncode, said


def _no_traceback_but_gunicorns_halt(said: str) -> None:
    """No traceback in ``said`` passes through this package, and none is raised but
    gunicorn's own ``HaltServer``: when both workers fail to load at once, gunicorn 27's
    arbiter reaps the second while halting for the first and prints that traceback itself
    (its race, seen on a CI rehearsal; docs/service.md says so), after the app's one line."""
    frames = re.findall(r'File "([^"]+)"', said)
    assert not [frame for frame in frames if "sigopt_like" in frame], said
    raised = set(re.findall(r"^\s*([\w.]+(?:Error|Exception|Server)): ", said, re.M))
    assert raised <= {"gunicorn.errors.HaltServer"}, said


def test_the_factory_needs_a_database(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SIGOPT_LIKE_DATABASE", raising=False)
    with pytest.raises(RuntimeError, match="database"):
        application()


def test_the_factory_refuses_a_database_it_cannot_use_in_one_line(
    tmp_path: Path, postgres_server: str
) -> None:
    """Before: gunicorn logged sqlalchemy's 290-line traceback from every worker for a
    database that does not exist (or a wrong password), and a SQLite path in a folder
    that does not exist made the folder and a new, empty database in it."""
    missing = tmp_path / "nonexistent" / "x.sqlite3"
    with pytest.raises(StartError, match=r"folder .*nonexistent does not exist") as raised:
        application(database=str(missing))
    assert not missing.parent.exists()
    assert raised.value.__cause__ is None and raised.value.__suppress_context__
    with pytest.raises(StartError, match='database "nosuchdb" does not exist'):
        application(database=postgres_server.format(db="nosuchdb"))
    with pytest.raises(StartError, match=re.escape("write postgresql+psycopg://me:***@db/doe")):
        application(database="postgres://me:s3cret@db/doe")
    with pytest.raises(StartError, match=r"takes no threads: its settings are .*task_threads"):
        application(database=str(tmp_path / "w.db"), threads=4)
    # a value a setting refuses: before, a ValueError traceback from each gunicorn worker
    with pytest.raises(StartError, match="guest_token_days must be a finite number of at least 0"):
        application(database=str(tmp_path / "w.db"), guest_token_days=-1)
    assert not (tmp_path / "w.db").exists()  # refused before anything was opened
    # a file SQLite cannot make there: before, the line did not say which database
    unusable = "/proc/sigopt-like.db"
    with pytest.raises(StartError, match=re.escape(f"cannot use the database {unusable}: ")):
        application(database=unusable)


def test_gunicorn_says_a_wrong_database_in_one_line_and_stops(tmp_path: Path) -> None:
    missing = tmp_path / "nonexistent" / "x.sqlite3"
    returncode, said = _gunicorn_stopping(str(missing))  # before: served on, from a new folder
    assert returncode != 0
    assert f"the database's folder {missing.parent} does not exist" in said
    assert "App failed to load" in said
    assert "Exception in worker process" not in said and "sqlalchemy" not in said
    assert not missing.parent.exists()


def test_gunicorn_refuses_an_in_memory_database_in_serves_words(tmp_path: Path) -> None:
    """Before: ``application(database=":memory:")`` (auth on, the factory's default) booted,
    and no user could be added to its database (``users create`` is another process):
    every request was a 401 no token could cure. ``sigopt-like serve`` refuses it; gunicorn
    now stops in one line with the same words, and with tasks left to workers (the
    factory's default) says that none would run too."""
    returncode, said = _gunicorn_stopping(":memory:")  # before: served on
    assert returncode != 0, said
    assert "database ':memory:' is an in-memory database, which only this process sees" in said
    assert "so with tokens on nobody could sign in" in said, said
    assert "no worker can reach it" in said and "App failed to load" in said, said
    _no_traceback_but_gunicorns_halt(said)
    for memory in ("sqlite://", "sqlite:///:memory:"):
        with pytest.raises(StartError, match="nobody could sign in") as raised:
            application(database=memory, run_tasks=True)
        assert "auth_required=False" in str(raised.value)
        assert "no worker" not in str(raised.value)
    with application(database=":memory:", auth_required=False, run_tasks=True) as service:
        assert not service.settings.auth_required  # a scratch service, as serve --no-auth


def test_gunicorn_finds_no_create_app_in_the_factorys_module(tmp_path: Path) -> None:
    """``wsgi:create_app(...)``, the Python API's name typed for the factory's, booted:
    without the factory's checks, it made a missing folder and served an empty database
    in it, with auth off and tasks run in the web workers."""
    missing = tmp_path / "nonexistent" / "x.sqlite3"
    proc = subprocess.run(
        _gunicorn(str(missing), factory="create_app"),
        cwd=Path(__file__).resolve().parents[2],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode != 0
    assert "Failed to find attribute 'create_app'" in proc.stdout + proc.stderr
    assert not missing.parent.exists()


def test_the_factory_serves_with_auth_and_leaves_tasks_to_workers(tmp_path: Path) -> None:
    with application(database=str(tmp_path / "w.db")) as service:
        assert service.settings.auth_required and not service.settings.run_tasks
    with application(database=str(tmp_path / "w.db"), run_tasks=True) as service:
        assert service.settings.run_tasks


def test_the_factory_keeps_few_waiting_slots_unless_told(tmp_path: Path) -> None:
    """gunicorn keeps ``--threads`` as given, and each waiting client holds one: the
    setting's 256 slots let 16 event streams take every thread of two 8-thread workers
    (``/health`` timed out). The factory keeps a few unless given more."""
    with application(database=str(tmp_path / "w.db")) as service:
        assert service.settings.max_waiting_requests == WAITING_REQUESTS < 8
    with application(database=str(tmp_path / "w.db"), max_waiting_requests=32) as service:
        assert service.settings.max_waiting_requests == 32


@pytest.mark.parametrize("value", [-1, 0, True, "10", float("nan"), 1.5])
def test_the_factory_refuses_a_body_limit_no_body_can_meet(tmp_path: Path, value) -> None:
    """Before: ``application(max_body_bytes=-1)`` (0, True) started, and every request with
    a body was a 413 "the limit is -1 bytes"; ``"10"`` was a 500 on each. Refused at the
    start in one line, nothing opened."""
    with pytest.raises(StartError, match="max_body_bytes must be a whole number of bytes"):
        application(database=str(tmp_path / "w.db"), max_body_bytes=value)
    assert not (tmp_path / "w.db").exists()


@pytest.mark.parametrize("value", [2**70, 1_000_001, 0, -1, True, "10", 1.5])
def test_the_factory_refuses_a_request_limit_out_of_serves_range(tmp_path: Path, value) -> None:
    """Before: ``application(requests_per_minute=2**70)`` started (a limit in name only),
    and ``-1`` too (a budget no request met). The range is ``serve --requests-per-minute``'s,
    refused at the start in one line, nothing opened."""
    with pytest.raises(StartError, match="requests_per_minute must be"):
        application(database=str(tmp_path / "w.db"), requests_per_minute=value)
    assert not (tmp_path / "w.db").exists()
    with application(database=str(tmp_path / "w.db"), requests_per_minute=1_000_000) as service:
        assert service.settings.requests_per_minute == 1_000_000


#: 10**5000 as a setting's refusal quotes it, as every message does: its first digits and
#: how many it has
HUGE_SHOWN = "1" + "0" * 19 + "... (a number of 5,001 digits)"


@pytest.mark.parametrize(
    "setting",
    [
        "max_body_bytes",
        "max_table_rows",
        "requests_per_minute",
        "task_threads",
        "task_processes",
        "idempotency_wait_seconds",
        "guest_token_days",
        "dashboard_session_hours",
        "idempotency_ttl_seconds",
        "login_attempts_per_minute",
        "task_time_limit_seconds",
        "task_max_attempts",
        "max_waiting_requests",
    ],
)
@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (10**5000, HUGE_SHOWN),
        (
            [0] * 200_000,
            "[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, ..., 0, 0, 0] (600,000 characters)",
        ),
    ],
    ids=["10**5000", "a list of 200,000"],
)
def test_a_setting_refuses_a_huge_value_in_a_short_line(
    tmp_path: Path, setting: str, value: Any, shown: str
) -> None:
    """Every setting's refusal quotes the value as the allowed_hosts refusal does
    (``settings._shown``): before, ``10**5000`` was Python's own "Exceeds the limit (4300
    digits)" ValueError (an OverflowError "int too large to convert to float" for a
    duration), never naming the setting, and a list of 200,000 zeros a message of
    600,000 characters quoting it whole."""
    with pytest.raises(StartError, match=re.escape(f"{setting} must be")) as raised:
        application(database=str(tmp_path / "w.db"), **{setting: value})
    assert str(raised.value).endswith(f"not {shown}"), str(raised.value)[:300]
    assert len(str(raised.value)) < 300, len(str(raised.value))
    assert not (tmp_path / "w.db").exists()


#: each setting that had no check, the range its refusal names (a pattern), and the edges
#: it takes
UNCHECKED_BEFORE = {
    # 0 or -1 forgot every stored answer at once (a retried POST ran again); 2**70 was a
    # 500 on a request with an Idempotency-Key (the purge's bound overflowed SQLite)
    "idempotency_ttl_seconds": (
        "must be a whole number of seconds from 1 to 3155760000",
        [1, 3_155_760_000],
    ),
    # 0 was a 500 on every sign-in (a division by zero), "abc" too (a TypeError)
    "login_attempts_per_minute": (
        "must be a whole number of attempts a minute from 1 to 1000000",
        [1, 1_000_000],
    ),
    # 10**400 or "abc" was a traceback when the service was made, -1 failed every task
    "task_time_limit_seconds": (
        r"must be (a finite number of at least 0|at most 3\.15576e\+09 \(100 years\))",
        [0, 0.5, 3_155_760_000],  # 0: no limit
    ),
    # 0 and -1 were taken (and run as 1), "3" a TypeError where a busy database requeued
    "task_max_attempts": ("must be a whole number of runs from 1 to 1000", [1, 1000]),
    # 2**70 asked serve for that many threads, "abc" a TypeError when the service was made
    "max_waiting_requests": (
        "must be a whole number of waiting requests from 0 to 1024",
        [0, 1024],  # 0: nobody waits, long polls answer and streams end at once
    ),
}
HOSTILE = [0, -1, 2**70, 1e308, float("nan"), float("inf"), "abc", "", True, "10"]


@pytest.mark.parametrize("setting", sorted(UNCHECKED_BEFORE))
def test_the_factory_refuses_each_setting_out_of_its_range(tmp_path: Path, setting: str) -> None:
    """Five settings had no check: ``application(...)`` (gunicorn) and ``create_app`` took
    any value, and it failed later, a 500 on each request that used it or a traceback (see
    UNCHECKED_BEFORE). Refused at the start in one line that names the setting and its
    range, nothing opened; its edges are taken."""
    said, edges = UNCHECKED_BEFORE[setting]
    meaningful = set(edges)
    for value in HOSTILE:
        if value in meaningful and not isinstance(value, (bool, str)):
            continue
        with pytest.raises(StartError, match=f"sigopt_like: {setting} {said}") as err:
            application(database=str(tmp_path / "w.db"), **{setting: value})
        assert str(err.value).endswith(f", not {value!r}"), err.value  # the value as given
        assert not (tmp_path / "w.db").exists()
    # attempts are the workers' (sigopt-like worker): an app that runs tasks takes them
    here = {"run_tasks": True} if setting == "task_max_attempts" else {}
    for value in edges:
        with application(database=str(tmp_path / "w.db"), **here, **{setting: value}) as service:
            assert getattr(service.settings, setting) == value


def test_an_app_that_runs_no_task_refuses_task_max_attempts(tmp_path: Path) -> None:
    """Before: ``application(task_max_attempts=5)`` (tasks left to ``sigopt-like worker``)
    started, and the workers gave each task the default 3 runs: taken and ignored. Now it
    is refused, saying where it goes; the default, and run_tasks=True, are taken."""
    from sigopt_like.service import create_app

    database = str(tmp_path / "w.db")
    said = (
        "sigopt_like: task_max_attempts=5 has no effect with run_tasks=False: this process "
        "runs no task; give it to the workers that run them "
        "('sigopt-like worker --task-max-attempts 5')"
    )
    with pytest.raises(StartError) as err:
        application(database=database, task_max_attempts=5)
    assert str(err.value) == said
    assert not (tmp_path / "w.db").exists()
    with pytest.raises(ValueError, match=re.escape(said.removeprefix("sigopt_like: "))):
        create_app(database=database, run_tasks=False, task_max_attempts=5)
    with application(database=database, task_max_attempts=3) as service:
        assert service.settings.task_max_attempts == 3
    with application(database=database, run_tasks=True, task_max_attempts=5) as service:
        assert service.settings.task_max_attempts == 5
    # the time limit is still this process's: it bounds how long an event stream stays open
    with application(database=database, task_time_limit_seconds=5) as service:
        assert service.settings.task_time_limit_seconds == 5


WHOLE_NUMBER_SETTINGS = [
    "idempotency_ttl_seconds",
    "login_attempts_per_minute",
    "task_max_attempts",
    "max_waiting_requests",
    "max_body_bytes",
]


@pytest.mark.parametrize("setting", WHOLE_NUMBER_SETTINGS)
def test_a_whole_number_setting_takes_a_whole_float_as_before(setting: str) -> None:
    """``idempotency_ttl_seconds=3600.0`` and the like were taken before their ranges were
    checked, and then refused at the start ("must be a whole number"): a whole float is
    taken again, as the int it is (as ``max_body_bytes=50e6`` always was); 3.5, NaN, an
    infinity and 1e308 are still refused, the last two as given."""
    default = attrs.fields_dict(ServiceSettings)[setting].default
    with create_app(**{setting: float(default)}) as service:
        taken = getattr(service.settings, setting)
    assert taken == default and type(taken) is int
    for value in [default + 0.5, float("nan"), float("inf"), 1e308]:
        with pytest.raises(
            ValueError, match=f"^{setting} must be .*, not {re.escape(repr(value))}$"
        ):
            ServiceSettings(**{setting: value})


@pytest.mark.parametrize(
    "setting", ["task_threads", "task_processes", "max_table_rows", "requests_per_minute"]
)
def test_the_settings_that_took_an_int_only_take_a_whole_float_too(
    tmp_path: Path, setting: str
) -> None:
    """Before: ``application(task_threads=4.0)`` (and ``task_processes``,
    ``max_table_rows``, ``requests_per_minute``) stopped the start "must be a whole
    number", where every other whole-number setting takes a whole float as its int: one
    rule for all, through the same converter. 4.5, True, "4", 2**70, 1e308 and NaN are
    still refused, naming the setting and quoting the value as given."""
    with application(database=str(tmp_path / "w.db"), **{setting: 4.0}) as service:
        taken = getattr(service.settings, setting)
    assert taken == 4 and type(taken) is int
    for value in [4.5, True, "4", 2**70, 1e308, float("nan")]:
        with pytest.raises(
            ValueError, match=f"^{setting} must be .*, not {re.escape(repr(value))}$"
        ):
            ServiceSettings(**{setting: value})


BOOL_SETTINGS = [
    name for name, field in attrs.fields_dict(ServiceSettings).items() if field.type == "bool"
]


@pytest.mark.parametrize("value", ["off", "false", "", 0, 1, 2**70, None, [0]])
def test_each_true_or_false_setting_refuses_anything_else(tmp_path: Path, value: Any) -> None:
    """Before: ``application(dashboard_actions="off", auth_required="false")`` started, and
    a non-empty string is true: the dashboard could halt sessions and cancel tasks, sign-in
    was required. Each true-or-false setting now refuses another value at the start, in one
    line that names it (docs/service.md: every setting is checked)."""
    assert {"auth_required", "run_tasks", "dashboard", "dashboard_actions"} <= set(BOOL_SETTINGS)
    for setting in BOOL_SETTINGS:
        with pytest.raises(
            StartError, match=f"^sigopt_like: {setting} takes true or false, not "
        ) as err:
            application(database=str(tmp_path / "w.db"), **{setting: value})
        assert str(err.value).endswith(f", not {value!r}"), err.value
        assert not (tmp_path / "w.db").exists()
    with application(database=str(tmp_path / "w.db"), dashboard_actions=True) as service:
        assert service.settings.dashboard_actions is True


@pytest.mark.parametrize("value", [5, b"w.db", None, ""])
def test_the_settings_refuse_a_database_that_is_not_text(value: Any) -> None:
    """Before: ``ServiceSettings(database=5)`` was taken; a path object is still its text."""
    with pytest.raises(ValueError, match=r"^database must be a SQLite path, :memory: or a"):
        ServiceSettings(database=value)
    assert ServiceSettings(database=Path("/x/w.db")).database == "/x/w.db"


def test_gunicorn_refuses_a_setting_out_of_its_range_in_one_line(tmp_path: Path) -> None:
    """Before: ``application(login_attempts_per_minute=0)`` booted, and every sign-in was
    a 500 (a division by zero); gunicorn now stops in the setting's own words."""
    database = str(tmp_path / "w.db")
    returncode, said = _gunicorn_stopping(database, ", login_attempts_per_minute=0")
    assert returncode != 0, said
    assert (
        "sigopt_like: login_attempts_per_minute must be a whole number of attempts a minute "
        "from 1 to 1000000, not 0"
    ) in said, said
    assert "App failed to load" in said, said
    _no_traceback_but_gunicorns_halt(said)
    assert not Path(database).exists()


@pytest.mark.parametrize(
    ("hosts", "said"),
    [
        (
            "*",
            "'*' is a pattern, and the Host check compares whole names: leave allowed_hosts "
            "out to answer to every host",
        ),
        (("doe", "*.lab.example"), "'*.lab.example' is a pattern"),
        ("doe,other", "is a list: give one name per entry (allowed_hosts=('doe', 'other'))"),
        (" , ", "' , ' names no host, only commas; name one, e.g. doe.lab.example"),
        ("'doe'", "\"'doe'\" is not a host name: give one a browser can open"),
        (
            "doe:8080",
            "has a port: give the name alone (the Host check ignores the port): "
            "allowed_hosts=('doe',)",
        ),
        (None, "must be a host name or a list of them (leave it out to answer to every host)"),
        (5, "must be a host name or a list of them"),  # before (and None): a TypeError
        # before: str() made these the names 'none' and '5'; the server started and answered
        # every request 403 "This server answers only to none"
        ([None], "each entry must be a host name (text), not None"),
        ([5], "each entry must be a host name (text), not 5"),
        (["doe", None], "each entry must be a host name (text), not None"),
        # before: Python's own "Exceeds the limit (4300 digits)" ValueError, never naming
        # allowed_hosts, and a 600,107-character message quoting the list whole
        ([10**5000], "each entry must be a host name (text), not 10000000000000000000... (a"),
        ([[10**5000]], "not a list holding 10000000000000000000... (a number of 5,001 digits)"),
        ([[0] * 200000], "not [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, ..., 0, 0, 0] (600,000 c"),
        # before: the message said to give allowed_hosts=('',), itself refused
        (":80", "':80' has a port: give the name alone (the Host check ignores the port), e.g."),
    ],
)
def test_the_factory_refuses_an_allowed_host_no_request_carries(
    tmp_path: Path, hosts, said
) -> None:
    """Before: only ``serve --allowed-host`` refused ``*``, ``doe,other`` and ``'doe'``;
    ``application(allowed_hosts=...)`` (gunicorn) took them and answered every request,
    ``/health`` too, 403 host_not_allowed. Refused at the start in one line, nothing opened;
    ``create_app`` refuses them too."""
    with pytest.raises(StartError, match=re.escape(said)) as raised:
        application(database=str(tmp_path / "w.db"), allowed_hosts=hosts)
    assert str(raised.value).startswith("sigopt_like: allowed_hosts"), raised.value
    assert len(str(raised.value)) < 300, len(str(raised.value))
    assert not (tmp_path / "w.db").exists()
    with pytest.raises(ValueError, match=re.escape(said)):
        create_app(database=str(tmp_path / "w.db"), allowed_hosts=hosts)
    with application(
        database=str(tmp_path / "w.db"), allowed_hosts=("Doe.lab.example", "[::1]")
    ) as service:
        assert service.settings.allowed_hosts == ("doe.lab.example", "::1")


def test_the_factory_takes_a_body_limit_written_as_a_float(tmp_path: Path) -> None:
    """``max_body_bytes=1e2`` in gunicorn's factory call is the whole number it is: its
    413 said "the limit is 100.0 bytes"."""
    import falcon.testing

    with application(database=str(tmp_path / "w.db"), max_body_bytes=1e2) as service:
        client = falcon.testing.TestClient(service)
        headers = {"Authorization": "Bearer nobody"}
        refused = client.simulate_post("/v1/sessions", json={"name": "x" * 200}, headers=headers)
    assert refused.status_code == 413, refused.text
    assert "the limit is 100 bytes" in refused.json["message"], refused.json


def test_gunicorn_gthread_workers_serve_one_database(tmp_path: Path) -> None:
    database = str(tmp_path / "g.db")
    store = open_store(database)
    accounts = store.accounts
    token = accounts.issue_token(accounts.create_user("g@example.com").id).token
    store.close()
    log = tmp_path / "gunicorn.log"
    out = open(log, "wb")  # noqa: SIM115 - the server writes to it until the test ends
    proc = subprocess.Popen(
        _gunicorn(database),
        cwd=Path(__file__).resolve().parents[2],
        stdout=out,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    headers = {"Authorization": f"Bearer {token}"}
    try:
        url = gunicorn_answering(proc, log)
        made = [
            requests.post(f"{url}/v1/sessions", json={"name": f"g{i}"}, headers=headers, timeout=10)
            for i in range(8)
        ]
        assert [r.status_code for r in made] == [201] * 8
        listed = requests.get(f"{url}/v1/sessions", headers=headers, timeout=10).json()
        assert listed["count"] == 8
        assert requests.get(f"{url}/v1/sessions", timeout=10).status_code == 401
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(30)
        out.close()
