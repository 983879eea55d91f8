"""Sessions through the client, embedded and served: the contract end to end."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

import sigopt_like
from sigopt_like import ConflictError, NotFoundError, Session


def test_create_fetch_update_halt(conn):
    created = conn.sessions.create(name="alloy", description="screen")
    assert isinstance(created, Session)
    assert (created.name, created.description, created.status) == ("alloy", "screen", "active")
    assert created.id.isdigit()
    assert conn.sessions(created.id).fetch() == created
    updated = conn.sessions(created.id).update(name="alloy-2", description="second")
    assert (updated.name, updated.description) == ("alloy-2", "second")
    halted = conn.sessions(created).halt()
    assert halted.status == "halted"
    assert conn.sessions(created.id).fetch().status == "halted"


def test_a_tag_is_given_at_create_kept_and_searched(conn):
    """Daptics' session tag: set by create, read-only afterwards, matched by ``q``."""
    tagged = conn.sessions.create(name="tagged", tag="AL-7")
    plain = conn.sessions.create(name="plain")
    assert tagged.tag == "AL-7" and plain.tag is None
    assert conn.sessions(tagged.id).fetch().tag == "AL-7"
    assert [s.name for s in conn.sessions.list(q="al-7")] == ["tagged"]
    with pytest.raises(TypeError, match="tag"):  # update does not take it
        conn.sessions(tagged.id).update(tag="AL-8")
    assert conn.sessions(tagged.id).fetch() == tagged


def test_duplicate_name_is_a_conflict(conn):
    conn.sessions.create(name="alloy")
    with pytest.raises(ConflictError) as info:
        conn.sessions.create(name="alloy")
    err = info.value
    assert err.status == 409 and err.code == "duplicate_name"
    assert "alloy" in err.message
    assert err.request_id and err.request_id in str(err)


def test_missing_session_is_not_found(conn):
    with pytest.raises(NotFoundError) as info:
        conn.sessions("999999").fetch()
    assert info.value.code == "not_found" and info.value.request_id


def test_list_and_search(conn):
    for name in ("alloy-a", "alloy-b", "polymer"):
        conn.sessions.create(name=name)
    page = conn.sessions.list(q="alloy")
    assert page.count == 2
    assert sorted(s.name for s in page) == ["alloy-a", "alloy-b"]
    assert next(s.name for s in conn.sessions.list()) == "polymer"  # newest first


def test_same_idempotency_key_replays_the_create(conn):
    first = conn.sessions.create(name="once", idempotency_key="k-123")
    again = conn.sessions.create(name="once", idempotency_key="k-123")
    assert again.id == first.id
    assert conn.sessions.list(q="once").count == 1


def test_page_iterates_all_250_sessions(embedded_conn):
    for i in range(250):
        embedded_conn.sessions.create(name=f"s{i:03d}")
    page = embedded_conn.sessions.list(limit=100)
    assert page.count == 250 and len(page.data) == 100
    ids = [s.id for s in page]
    assert len(ids) == 250 and len(set(ids)) == 250
    assert sum(1 for _ in embedded_conn.sessions.list(limit=100, after=ids[-1])) == 249


def test_one_connection_shared_by_eight_threads(conn):
    barrier = threading.Barrier(8)

    def work(i: int) -> list[str]:
        barrier.wait(10)
        made = [conn.sessions.create(name=f"t{i}-{j}").id for j in range(5)]
        for sid in made:
            assert conn.sessions(sid).fetch().name.startswith(f"t{i}-")
        return made

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(work, range(8)))
    ids = [sid for made in results for sid in made]
    assert len(set(ids)) == 40
    assert conn.sessions.list(q="t").count == 40


def test_other_users_sessions_are_invisible(served, clean_env):
    with sigopt_like.Connection(served.url, served.token) as mine:
        session = mine.sessions.create(name="private")
        _, other_token = served.make_user()
        with sigopt_like.Connection(served.url, other_token) as theirs:
            with pytest.raises(NotFoundError):
                theirs.sessions(session.id).fetch()
            assert theirs.sessions.list().count == 0


def test_wrong_token_is_an_authentication_error(served, clean_env):
    with (
        sigopt_like.Connection(served.url, "not-a-token") as conn,
        pytest.raises(sigopt_like.AuthenticationError) as info,
    ):
        conn.sessions.list()
    assert info.value.status == 401


def test_login_with_email_and_password(served, clean_env):

    served.service.context.store.accounts.create_user("lab@example.com", "correct horse battery")
    with sigopt_like.Connection(
        served.url, email="lab@example.com", password="correct horse battery"
    ) as conn:
        assert conn.transport.token
        assert "correct horse" not in repr(conn) and conn.transport.token not in repr(conn)
        assert conn.sessions.create(name="via-login").name == "via-login"


def test_tokens_create(conn):
    token = conn.tokens.create()
    assert token.token and token.token not in repr(token)


def test_tokens_tasks_and_token_info_type_every_field_sent(conn):
    """Before: a new token's ``id``, ``name`` and ``created``, a task's ``cancel_requested``
    and ``version``, and SigOpt's token fields of ``token_info()`` landed in ``extra``."""
    token = conn.tokens.create(name="robot arm")
    assert token.id and token.name == "robot arm" and token.created
    assert token.token not in repr(token) and "robot arm" in repr(token)
    info = conn.token_info()
    assert info.development is False and info.all_experiments is True
    node = conn.sessions(conn.sessions.create(name="typed tasks").id)
    space = {
        "type": "factorial",
        "parameters": [{"name": "p", "type": "numerical", "values": [1, 2]}],
    }
    task = node.space.put(space=space, population_size=2, replicates=0, wait=True)
    assert task.cancel_requested is False and task.version >= 1
    for received in (token, info, task):
        assert set(received.extra) <= {"object"}, (type(received).__name__, received.extra)
