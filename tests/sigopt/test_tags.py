"""SigOpt's tags: a client's tags (``POST``/``GET /v1/clients/{c}/tags``) and a run's
(``POST /v1/training_runs/{r}/tags``, ``DELETE .../tags/{t}``), through sigopt-python
against a served instance and through our own Connection.

Before, every one of these routes was a bare "No route or object" 404, and a run's
``tags`` was always ``[]``."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

sigopt = pytest.importorskip("sigopt")
from sigopt import ratelimit as sigopt_ratelimit  # noqa: E402
from sigopt.exception import ApiException  # noqa: E402

import sigopt_like  # noqa: E402
from sigopt_like.errors import ConflictError, NotFoundError, ValidationError  # noqa: E402


def official(served) -> tuple[object, str]:
    """sigopt-python's Connection to the served instance, and the caller's client id."""
    conn = sigopt.Connection(client_token=served.token)
    conn.set_api_url(served.url)
    return conn, conn.tokens("self").fetch().client


def raw(conn, method: str, *path: str, **body: object) -> dict:
    """A call through sigopt-python's own driver (its auth, its error handling): the
    client has no resource for tags, so scripts reach them with ``conn.impl.request``."""
    return conn.impl.request(method, list(path), body, None)


def test_sigopt_python_makes_lists_and_gives_tags_to_runs(served):
    conn, client = official(served)
    made = raw(conn, "POST", "clients", client, "tags", name=" baseline ", color="#1f77b4")
    assert made == {
        "object": "tag",
        "id": made["id"],
        "name": "baseline",  # as SigOpt keeps it, without the spaces around it
        "color": "#1F77B4",  # as SigOpt renders a color
        "client": client,
    }
    other = raw(conn, "POST", "clients", client, "tags", name="ablation", color="#FF7F0E")
    listed = raw(conn, "GET", "clients", client, "tags")
    assert [t["id"] for t in listed["data"]] == [other["id"], made["id"]]  # newest first
    assert listed["count"] == 2
    assert [
        t["name"] for t in raw(conn, "GET", "clients", client, "tags", ascending="true")["data"]
    ] == [
        "baseline",
        "ablation",
    ]

    run = conn.clients(client).projects("tagged").training_runs().create(name="r")
    assert run.tags == []
    assert raw(conn, "POST", "training_runs", run.id, "tags", id=made["id"]) == made
    raw(conn, "POST", "training_runs", run.id, "tags", id=int(other["id"]))  # an id as a number
    raw(conn, "POST", "training_runs", run.id, "tags", id=made["id"])  # again: no change
    fetched = conn.training_runs(run.id).fetch()
    assert fetched.tags == [made["id"], other["id"]]
    # a run fetched and sent back keeps its tags (sent back as rendered)
    assert conn.training_runs(run.id).update(tags=fetched.tags, name="r2").tags == fetched.tags

    assert raw(conn, "DELETE", "training_runs", run.id, "tags", made["id"]) == made
    raw(conn, "DELETE", "training_runs", run.id, "tags", made["id"])  # not on it: no change
    assert conn.training_runs(run.id).fetch().tags == [other["id"]]


def test_refused_tags_change_nothing(served):
    conn, client = official(served)
    tag = raw(conn, "POST", "clients", client, "tags", name="keep", color="#000000")
    run = conn.clients(client).projects("p").training_runs().create(name="r")
    refusals = [
        (
            409,
            "already exists",
            ("POST", "clients", client, "tags"),
            {"name": "keep", "color": "#111111"},
        ),
        (422, "'color'", ("POST", "clients", client, "tags"), {"name": "x", "color": "red"}),
        (
            422,
            "'name'",
            ("POST", "clients", client, "tags"),
            {"name": "x" * 101, "color": "#111111"},
        ),
        (422, "'name'", ("POST", "clients", client, "tags"), {"name": "a\tb", "color": "#111111"}),
        (400, "'color' is required", ("POST", "clients", client, "tags"), {"name": "x"}),
        (
            400,
            "'colour'",
            ("POST", "clients", client, "tags"),
            {"name": "x", "color": "#111111", "colour": "#1"},
        ),
        (422, "does not exist", ("POST", "training_runs", run.id, "tags"), {"id": "999"}),
        (400, "'id' is required", ("POST", "training_runs", run.id, "tags"), {}),
        (404, "No tag with id", ("DELETE", "training_runs", run.id, "tags", "999"), {}),
        (400, "'tags'", ("PUT", "training_runs", run.id), {"tags": [tag["id"]]}),
        (400, "'tags'", ("MERGE", "training_runs", run.id), {"tags": ["999"]}),
    ]
    for status, words, (method, *path), body in refusals:
        with pytest.raises(ApiException) as caught:
            raw(conn, method, *path, **body)
        # sigopt-python sleeps after 5 failures in a row (ratelimit.py, 1 s and more each,
        # 20 s over this test): cleared, as a success clears it
        sigopt_ratelimit.failed_status_rate_limit.clear()
        assert caught.value.status_code == status, (method, path, body)
        assert words in caught.value.message, caught.value.message
    assert [t["id"] for t in raw(conn, "GET", "clients", client, "tags")["data"]] == [tag["id"]]
    assert conn.training_runs(run.id).fetch().tags == []

    # another user's tags and runs are not this caller's
    _, other_token = served.make_user()
    stranger = sigopt.Connection(client_token=other_token)
    stranger.set_api_url(served.url)
    with pytest.raises(ApiException) as caught:
        raw(stranger, "POST", "training_runs", run.id, "tags", id=tag["id"])
    assert caught.value.status_code == 404
    mine = stranger.tokens("self").fetch().client
    theirs = stranger.clients(mine).projects("q").training_runs().create(name="theirs")
    with pytest.raises(ApiException) as caught:
        raw(stranger, "POST", "training_runs", theirs.id, "tags", id=tag["id"])
    assert caught.value.status_code == 422
    assert raw(stranger, "GET", "clients", mine, "tags")["data"] == []
    with pytest.raises(ApiException) as caught:
        raw(stranger, "GET", "clients", client, "tags")
    assert caught.value.status_code == 404


def test_our_connection_makes_and_gives_tags(served):
    conn = sigopt_like.Connection(host=served.url, token=served.token)
    client = conn.token_info().client
    tag = conn.clients(client).tags.create(name="fast", color="#2ca02c")
    assert (tag.name, tag.color, tag.client) == ("fast", "#2CA02C", client)
    assert [t.id for t in conn.clients(client).tags.list()] == [tag.id]
    with pytest.raises(ConflictError):
        conn.clients(client).tags.create(name="fast", color="#2ca02c")
    with pytest.raises(ValidationError):
        conn.clients(client).tags.create(name="slow", color="green")

    reply = requests.post(
        f"{served.url}/v1/clients/{client}/projects/p/training_runs",
        json={"name": "r"},
        headers=served.headers(),
        timeout=30,
    )
    rid = reply.json()["id"]
    assert conn.training_runs(rid).tags.create(id=tag.id).id == tag.id
    run = requests.get(f"{served.url}/v1/training_runs/{rid}", headers=served.headers(), timeout=30)
    assert run.json()["tags"] == [tag.id]
    assert conn.training_runs(rid).tags(tag.id).delete().name == "fast"
    with pytest.raises(NotFoundError):
        conn.training_runs(rid).tags("12345").delete()
    run = requests.get(f"{served.url}/v1/training_runs/{rid}", headers=served.headers(), timeout=30)
    assert run.json()["tags"] == []


def test_embedded_connection_keeps_tags(tmp_path):
    conn = sigopt_like.Connection(database=str(tmp_path / "tags.db"))
    client = conn.token_info().client
    made = [conn.clients(client).tags.create(name=n, color="#abcdef") for n in ("a", "b", "c")]
    page = conn.clients(client).tags.list(limit=2)
    assert [t.name for t in page.data] == ["c", "b"] and page.count == 3
    assert [t.name for t in page] == ["c", "b", "a"]  # every page, in order
    assert {t.id for t in made} == {t.id for t in conn.clients(client).tags.list()}


def test_tags_made_at_once_with_one_name_make_one(served_on_either):
    """Clients making the same tag together: one is made (201), the others are told it
    exists (409), on SQLite and on PostgreSQL (where the unique key is what decides)."""
    headers = served_on_either.headers()
    url = served_on_either.url
    client = requests.get(f"{url}/v1/tokens/self", headers=headers, timeout=30).json()["client"]
    barrier = threading.Barrier(6)

    def make(_: int) -> int:
        barrier.wait()
        body = {"name": "together", "color": "#010203"}
        return requests.post(
            f"{url}/v1/clients/{client}/tags", json=body, headers=headers
        ).status_code

    with ThreadPoolExecutor(6) as pool:
        statuses = sorted(pool.map(make, range(6)))
    assert statuses == [201] + [409] * 5
    listed = requests.get(f"{url}/v1/clients/{client}/tags", headers=headers, timeout=30).json()
    assert [t["name"] for t in listed["data"]] == ["together"]
