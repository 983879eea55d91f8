"""Daptics' config keys are understood and honoured: user, auto_generate_next_design,
run_tasks_async (before: refused as unknown keys)."""

from __future__ import annotations

import json
import logging
import threading

import pytest
import requests

import sigopt_like
from sigopt_like import ConfigError
from sigopt_like.config import resolve_config
from sigopt_like.models import Task

SPACE = {
    "type": "factorial",
    "parameters": [
        {"name": "p1", "type": "numerical", "values": list(range(20))},
        {"name": "c", "type": "categorical", "values": list("abcdefgh")},
    ],
}


def write_config(path, **keys):
    path.write_text(json.dumps(keys))
    return path


def test_user_is_the_email_to_log_in_with(tmp_path, clean_env):
    path = write_config(
        tmp_path / "daptics.conf",
        host="https://doe.example",
        user="a@b.example",
        password="pw",
        run_tasks_async=True,
        auto_generate_next_design=True,
    )
    config = resolve_config(config=path)
    assert config.email == "a@b.example" and config.run_tasks_async
    assert config.auto_generate_next_design


def test_flags_from_the_environment_and_bad_values(tmp_path, clean_env, monkeypatch):
    monkeypatch.setenv("SIGOPT_LIKE_RUN_TASKS_ASYNC", "yes")
    assert resolve_config().run_tasks_async is True
    monkeypatch.setenv("SIGOPT_LIKE_AUTO_GENERATE_NEXT_DESIGN", "maybe")
    with pytest.raises(ConfigError, match="auto_generate_next_design"):
        resolve_config()


def test_auto_generate_next_design_makes_put_generate(tmp_path, clean_env):
    path = write_config(tmp_path / "c.json", auto_generate_next_design=True)
    with sigopt_like.Connection(database=tmp_path / "a.db", config=path) as conn:
        session = conn.sessions(conn.sessions.create(name="auto-next").id)
        session.space.put(space=SPACE, population_size=10, replicates=0, wait=True)
        design = session.generate(wait=True).result.experiments
        measured = session.responses.simulate(design)
        task = session.experiments.put(type="designed", table=measured, wait=True)
        assert task.type == "generate" and task.result.gen == 2
        measured = session.responses.simulate(task.result.experiments)
        task = session.experiments.put(
            type="designed", table=measured, generate_next=False, wait=True
        )
        assert task.type == "update"  # said otherwise: honoured


def test_run_tasks_async_follows_the_task_in_the_background(tmp_path, clean_env):
    seen: list[str] = []
    finished = threading.Event()

    async def on_update(task: Task) -> bool:
        seen.append(str(task.status))
        if task.done:
            finished.set()
        return not task.done

    with sigopt_like.Connection(database=tmp_path / "a.db", run_tasks_async=True) as conn:
        session = conn.sessions(conn.sessions.create(name="async").id)
        started = session.space.put(
            space=SPACE, population_size=10, replicates=0, progress=on_update
        )
        assert started.status in ("new", "running")  # returned at once
        assert finished.wait(60), seen
        assert seen[-1] == "success"
        assert session.tasks(started.id).fetch().status == "success"


def test_daptics_environment_variables_reach_the_host_they_name(served, clean_env, monkeypatch):
    """Seed 000: with no config file, DAPTICS_HOST and friends configure the client; a
    shell set up for Daptics used to get the embedded service, and its campaign a local
    database nobody else saw."""
    monkeypatch.setenv("DAPTICS_HOST", served.url)
    monkeypatch.setenv("SIGOPT_LIKE_TOKEN", served.token)
    with sigopt_like.Connection() as conn:
        assert not conn.embedded
        created = conn.sessions.create(name="from-daptics-env")
    seen = requests.get(f"{served.url}/v1/sessions/{created.id}", headers=served.headers())
    assert seen.status_code == 200 and seen.json()["name"] == "from-daptics-env"


def test_a_daptics_conf_in_the_folder_reaches_the_host_it_names(served, clean_env):
    """Seed 000: DapticsClient's ``config`` "Defaults to daptics.conf" (host, user,
    password, options). Before, ``Connection()`` in a folder set up for Daptics ignored
    that file and used the embedded service, its campaign in a local database."""
    email = f"daptics-{served.email}"
    served.service.context.store.accounts.create_user(email, "pw-daptics-conf")
    write_config(
        clean_env / "daptics.conf",
        host=served.url,
        user=email,
        password="pw-daptics-conf",
        auto_task_timeout=-1,
    )
    with sigopt_like.Connection() as conn:
        assert not conn.embedded
        session = conn.sessions(conn.sessions.create(name="from-daptics-conf").id)
        task = session.space.put(space=SPACE, population_size=4, replicates=0)
        assert task.status == "success"  # auto_task_timeout -1: the call waited
    login = requests.post(
        f"{served.url}/v1/login", json={"email": email, "password": "pw-daptics-conf"}
    ).json()["token"]
    mine = requests.get(f"{served.url}/v1/sessions", headers={"Authorization": f"Bearer {login}"})
    assert [s["name"] for s in mine.json()["data"]] == ["from-daptics-conf"]
    write_config(clean_env / "sigopt_like.conf", host="https://ours.example")
    assert resolve_config().host == "https://ours.example"  # ours first, as with variables


def test_daptics_environment_variables_rank_below_ours(clean_env, tmp_path):
    env = {
        "DAPTICS_HOST": "https://daptics.example",
        "DAPTICS_USER": "a@b.example",
        "DAPTICS_PASSWORD": "pw",
        "DAPTICS_AUTO_EXPORT_PATH": str(tmp_path / "exports"),
        "DAPTICS_AUTO_TASK_TIMEOUT": "-1",
        "DAPTICS_AUTO_GENERATE_NEXT_DESIGN": "true",
        "DAPTICS_RUN_TASKS_ASYNC": "1",
        "DAPTICS_VERIFY_SSL_CERTIFICATES": "false",
    }
    config = resolve_config(environ=env)
    assert config.host == "https://daptics.example" and config.email == "a@b.example"
    assert config.password == "pw" and config.export_dir == str(tmp_path / "exports")
    assert config.auto_task_timeout == -1 and config.auto_generate_next_design
    assert config.run_tasks_async and config.verify is False
    ours = resolve_config(environ={**env, "SIGOPT_LIKE_HOST": "https://ours.example"})
    assert ours.host == "https://ours.example"


def test_run_tasks_async_says_nothing_of_a_cancel_the_script_asked_for(tmp_path, clean_env, caplog):
    """A canceled task is not a failure: its background follower logged the
    TaskCanceledError as a WARNING, a stray "Task 2 ... was canceled" on the standard
    error of a script with no logging set up (red in a notebook) after its own cancel()."""
    seen: list[str] = []
    big = {
        "type": "factorial",
        "parameters": [
            {"name": "temperature", "type": "numerical", "values": list(range(20, 121))},
            {"name": "catalyst", "type": "categorical", "values": ["Pd", "Pt", "Ni", "Cu"]},
        ],
    }
    with sigopt_like.Connection(
        database=tmp_path / "a.db", run_tasks_async=True, task_processes=0
    ) as conn:
        session = conn.sessions(conn.sessions.create(name="async").id)
        session.space.put(space=big, population_size=20, replicates=0, wait=True)
        with caplog.at_level(logging.INFO, logger="sigopt_like.tasks"):
            started = session.simulate(ngens=100, progress=lambda t: seen.append(t.status))
            session.tasks(started.id).cancel()
            with pytest.raises(sigopt_like.TaskCanceledError):
                session.tasks(started.id).wait(timeout=60)
            for thread in threading.enumerate():
                if thread.name == f"sigopt-like-task-{started.id}":
                    thread.join(30)
    assert seen[-1] == "canceled"
    said = [(r.levelno, r.getMessage()) for r in caplog.records if r.name == "sigopt_like.tasks"]
    assert said == [(logging.INFO, f"Task {started.id} (simulate) of session 1 was canceled")]


@pytest.mark.parametrize("timeout", ["5", float("nan"), True])
def test_tasks_wait_refuses_a_timeout_that_is_no_number_of_seconds(tmp_path, clean_env, timeout):
    """As a call that starts a task does: ``tasks(tid).wait(timeout="5")`` was a bare
    "'<' not supported between instances of 'str' and 'int'", and NaN or True was taken."""
    with sigopt_like.Connection(database=tmp_path / "a.db", task_processes=0) as conn:
        session = conn.sessions(conn.sessions.create(name="waits").id)
        done = session.space.put(space=SPACE, population_size=10, replicates=0, wait=True)
        with pytest.raises(TypeError, match="timeout must be a number of seconds or None"):
            session.tasks(done.id).wait(timeout=timeout)
        assert session.tasks(done.id).wait(timeout=5).status == "success"
