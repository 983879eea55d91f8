"""The resource tree: one table, real methods, paths, typos that name the path."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

import sigopt_like
from sigopt_like import API, Connection
from sigopt_like.resources import Endpoint, Group, Node

from .faulty_server import FaultyServer, Reply, faulty_server


@pytest.fixture
def server() -> Iterator[FaultyServer]:
    yield from faulty_server()


@pytest.fixture
def remote(server, clean_env) -> Iterator[Connection]:
    conn = Connection(server.url, "tok")
    try:
        yield conn
    finally:
        conn.close()


def paths(server: FaultyServer) -> list[tuple[str, str]]:
    return [(r.method, r.path) for r in server.requests if r.path != "/v1/version"]


def test_sub_groups_work_as_attributes_and_called(remote, server):
    server.play(Reply(body={"object": "suggestion", "id": "7", "assignments": {"x": 1}}))
    a = remote.experiments("3").suggestions().create()
    b = remote.experiments(3).suggestions.create()
    assert a == b
    assert a.assignments == {"x": 1}
    assert paths(server) == [("POST", "/v1/experiments/3/suggestions")] * 2


def test_nested_items_and_verbs(remote, server):
    server.play(Reply(body={"object": "task", "id": "5", "session": "2", "status": "running"}))
    task = remote.sessions("2").tasks("5").fetch()
    remote.sessions(2).tasks(5).cancel()
    remote.sessions(2).halt()
    assert task.status == "running"
    assert paths(server) == [
        ("GET", "/v1/sessions/2/tasks/5"),
        ("POST", "/v1/sessions/2/tasks/5/cancel"),
        ("POST", "/v1/sessions/2/halt"),
    ]


def test_an_object_with_an_id_can_stand_for_its_id(remote, server):
    server.play(Reply(body={"object": "session", "id": "9", "name": "n"}))
    session = remote.sessions("9").fetch()
    remote.sessions(session).fetch()
    assert paths(server)[-1] == ("GET", "/v1/sessions/9")


def test_query_and_body_placement(remote, server):
    server.play(Reply(body={"object": "pagination", "count": 0, "data": [], "paging": {}}))
    remote.experiments("1").suggestions.delete(state="open")
    remote.sessions.list(q="alloy", limit=5)
    assert ("DELETE", "/v1/experiments/1/suggestions?state=open") in paths(server)
    assert ("GET", "/v1/sessions?q=alloy&limit=5") in paths(server)
    server.play(Reply(body={"object": "observation", "id": "1"}))
    suggestion = sigopt_like.Suggestion(id="44")
    remote.experiments(1).report(suggestion=suggestion, value=0.5)
    assert server.requests[-1].path == "/v1/experiments/1/observations"
    assert json.loads(server.requests[-1].body) == {"suggestion": "44", "value": 0.5}


def test_root_endpoints(remote, server):
    server.play(Reply(body={"status": "ok"}))
    assert remote.health().status == "ok"
    assert server.requests[-1].path == "/health"


def test_typo_names_the_path_and_what_exists(remote):
    with pytest.raises(AttributeError) as info:
        remote.sessions(12).halted  # noqa: B018
    text = str(info.value)
    assert text.startswith("conn.sessions(12) has no endpoint or group 'halted'; it has: ")
    assert "fetch, update, halt" in text and "space" in text and "tasks" in text
    with pytest.raises(
        AttributeError, match=r"conn.experiments\(3\).suggestions has no .*'craete'"
    ):
        remote.experiments(3).suggestions.craete  # noqa: B018
    with pytest.raises(AttributeError, match="conn has no endpoint or group 'sesions'"):
        remote.sesions  # noqa: B018


def test_dir_shows_real_methods_with_docs(remote):
    names = dir(remote.sessions("1"))
    for name in ("fetch", "update", "halt", "generate", "simulate", "space", "tasks", "analytics"):
        assert name in names
    assert {"create", "list"} <= set(dir(remote.sessions))
    assert {"sessions", "experiments", "tokens", "space_templates", "version", "health"} <= set(
        dir(remote)
    )
    assert "Halt" in type(remote.sessions("1")).halt.__doc__
    assert callable(type(remote.sessions("1").space).put)


def test_item_endpoints_need_an_id(remote):
    with pytest.raises(AttributeError, match=r"conn\.sessions has no endpoint or group 'fetch'"):
        remote.sessions.fetch()
    with pytest.raises(TypeError, match="takes no id"):
        remote.sessions("1").space("x")


def test_positional_arguments_only_where_declared(remote):
    with pytest.raises(TypeError, match="keyword arguments"):
        remote.sessions.create("alloy")


@pytest.mark.parametrize("bad", ["", None, "a/b", ".."])
def test_bad_ids_are_refused(remote, bad):
    with pytest.raises(ValueError):
        remote.sessions(bad)


def test_every_endpoint_of_the_table_is_reachable():
    """Walk THE table: every group and endpoint has a name, a doc, and a known method."""
    seen = []

    def walk(group: Group):
        for endpoint in group.endpoints + group.item_endpoints:
            assert isinstance(endpoint, Endpoint)
            assert endpoint.doc, endpoint.name
            assert endpoint.method in {"GET", "POST", "PUT", "DELETE"}
            seen.append(endpoint.name)
        for sub in group.groups:
            assert sub.doc
            walk(sub)

    walk(API)
    assert {
        "create",
        "list",
        "fetch",
        "update",
        "delete",
        "halt",
        "generate",
        "put",
        "create_batch",
        "suggest",
        "report",
        "wait",
        "download",
    } <= set(seen)


def test_nodes_repr_their_path(remote):
    node = remote.experiments("3").observations("4")
    assert isinstance(node, Node)
    assert repr(node) == "<conn.experiments(3).observations(4)>"
