"""A database with no room left (a full disk or quota): every write is a 507 that
says so and stores nothing, through a key or not, and the service works again once
there is room. Before: a 500 "internal", and through an Idempotency-Key the clean-up
ended the request's unit twice (a RuntimeError on top of the full disk).

The disk is filled by SQLite's ``max_page_count`` on every new connection (the file
may not grow by a page): what a full disk makes SQLite say ("database or disk is full").
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import requests
import sqlalchemy as sa

import sigopt_like
from sigopt_like.errors import ServerError

pytestmark = pytest.mark.reliability

SPACE = "a,numerical,1,2,3,4\nb,categorical,x,y,z\n"


@contextmanager
def full_disk(engine: sa.Engine) -> Iterator[None]:
    """No page more for the database while the block runs (every new connection)."""

    def no_room(dbapi_conn: Any, record: Any) -> None:
        cursor = dbapi_conn.cursor()
        pages = cursor.execute("PRAGMA page_count").fetchone()[0]
        cursor.execute(f"PRAGMA max_page_count = {pages}")
        cursor.close()

    sa.event.listen(engine, "connect", no_room)
    engine.dispose()
    try:
        yield
    finally:
        sa.event.remove(engine, "connect", no_room)
        engine.dispose()


def test_a_full_database_is_a_507_that_stores_nothing(served: Any) -> None:
    headers = served.headers()
    url = f"{served.url}/v1/sessions"
    assert requests.post(url, json={"name": "kept"}, headers=headers, timeout=10).status_code == 201
    before = requests.get(url, headers=headers, timeout=10).json()
    big = {"description": "a long note " * 400}
    with full_disk(served.service.context.store.database.engine):
        for key in (None, "full-1"):
            sent = {**headers, **({"Idempotency-Key": key} if key else {})}
            answer = requests.post(
                url, json={"name": f"new {key}", **big}, headers=sent, timeout=10
            )
            assert answer.status_code == 507, answer.text
            error = answer.json()
            assert error["code"] == "insufficient_storage"
            assert (
                "no room left" in error["message"]
                and "nothing of this request was stored" in (error["message"])
            )
        with sigopt_like.Connection(served.url, served.token) as conn:
            with pytest.raises(ServerError) as raised:
                conn.sessions.create(name="from the client", **big)
            assert raised.value.status == 507 and raised.value.code == "insufficient_storage"
        assert requests.get(url, headers=headers, timeout=10).json() == before
    # room again: the same key is free (nothing was stored under it), and writes work
    again = {**headers, "Idempotency-Key": "full-1"}
    answer = requests.post(url, json={"name": "new full-1", **big}, headers=again, timeout=10)
    assert answer.status_code == 201, answer.text
    with sigopt_like.Connection(served.url, served.token) as conn:
        session = conn.sessions.create(name="after")
        task = conn.sessions(session.id).space.put(
            space=sigopt_like.Space.from_csv(SPACE, type="factorial"),
            population_size=3,
            replicates=0,
            wait=True,
        )
        assert task.status == "success"


BIG_SPACE = "".join(f"p{i},numerical,{','.join(str(j) for j in range(10))}\n" for i in range(4))


def test_a_task_whose_result_finds_no_room_says_so_and_changes_nothing(served: Any) -> None:
    """Before: "the task failed unexpectedly: StorageFull: ... nothing of this request
    was stored ... send it again", as if it were a bug and a request."""
    with sigopt_like.Connection(served.url, served.token) as conn:
        session = conn.sessions.create(name="full while designing")
        space = sigopt_like.Space.from_csv(BIG_SPACE, type="factorial")
        conn.sessions(session.id).space.put(
            space=space, population_size=400, replicates=0, wait=True
        )
        engine = served.service.context.store.database.engine
        with full_disk(engine), pytest.raises(sigopt_like.errors.TaskFailedError) as raised:
            conn.sessions(session.id).generate(wait=True)
        said = str(raised.value)
        assert "generate could not store its result" in said and "no room left" in said
        assert "unexpectedly" not in said and "session is unchanged" in said
        # room again: the session is as it was (no generation), and the design is made
        assert conn.sessions(session.id).fetch().gen == 0
        assert conn.sessions(session.id).generate(wait=True).status == "success"
