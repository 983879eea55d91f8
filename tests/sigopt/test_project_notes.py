"""SigOpt's project notes (``POST``/``GET /v1/clients/{c}/projects/{p}/notes``), through
sigopt-python's driver against a served instance and through our own Connection.

Before, both were a bare "No route or object" 404."""

from __future__ import annotations

import pytest

sigopt = pytest.importorskip("sigopt")
from sigopt import ratelimit as sigopt_ratelimit  # noqa: E402
from sigopt.exception import ApiException  # noqa: E402

import sigopt_like  # noqa: E402
from sigopt_like.errors import BadRequestError, NotFoundError  # noqa: E402
from sigopt_like.service.domain.sigopt_notes import NOTE_MAX_LENGTH  # noqa: E402


def test_sigopt_python_keeps_notes_and_lists_the_latest(served):
    conn = sigopt.Connection(client_token=served.token)
    conn.set_api_url(served.url)
    client = conn.tokens("self").fetch().client
    conn.clients(client).projects().create(id="noted", name="Noted")

    def notes(method: str, **body: object) -> dict:
        return conn.impl.request(
            method, ["clients", client, "projects", "noted", "notes"], body, None
        )

    assert notes("GET") == {
        "object": "pagination",
        "count": 0,
        "data": [],
        "paging": {"before": None, "after": None},
    }
    first = notes("POST", contents="lr 1e-3 diverges")
    assert first["object"] == "project_note" and first["contents"] == "lr 1e-3 diverges"
    assert (first["client"], first["user"], first["project"]) == (client, client, "noted")
    assert isinstance(first["created"], int)
    assert notes("GET")["data"] == [first]
    second = notes("POST", contents="")  # SigOpt takes an empty note
    listed = notes("GET")
    assert listed["count"] == 1 and listed["data"] == [second]  # the latest only, as SigOpt's

    for status, words, body in (
        (400, "'contents' is required", {}),
        (400, "'contents' must be a string", {"contents": 5}),
        (400, "'title'", {"contents": "x", "title": "t"}),
        (422, "longer than", {"contents": "x" * (NOTE_MAX_LENGTH + 1)}),
    ):
        with pytest.raises(ApiException) as caught:
            notes("POST", **body)
        assert caught.value.status_code == status and words in caught.value.message
        sigopt_ratelimit.failed_status_rate_limit.clear()  # sigopt-python's sleep after 5
    assert notes("GET")["data"] == [second]

    with pytest.raises(ApiException) as caught:  # a note does not make a project
        conn.impl.request(
            "POST", ["clients", client, "projects", "absent", "notes"], {"contents": "x"}, None
        )
    assert caught.value.status_code == 404 and "No project" in caught.value.message
    _, other_token = served.make_user()
    stranger = sigopt.Connection(client_token=other_token)
    stranger.set_api_url(served.url)
    with pytest.raises(ApiException) as caught:
        stranger.impl.request("GET", ["clients", client, "projects", "noted", "notes"], {}, None)
    assert caught.value.status_code == 404
    assert notes("GET")["data"] == [second]


def test_our_connection_writes_and_reads_notes(tmp_path):
    conn = sigopt_like.Connection(database=str(tmp_path / "notes.db"))
    client = conn.token_info().client
    with pytest.raises(NotFoundError):
        conn.clients(client).projects("model").notes.create(contents="first")
    conn.transport.request_json("GET", f"/v1/clients/{client}/projects/model")  # made on first use
    made = conn.clients(client).projects("model").notes.create(contents="first")
    assert (made.contents, made.project, made.user) == ("first", "model", client)
    conn.clients(client).projects("model").notes.create(contents="second")
    assert [n.contents for n in conn.clients(client).projects("model").notes.list()] == ["second"]
    with pytest.raises(BadRequestError):
        conn.transport.request_json(
            "POST", f"/v1/clients/{client}/projects/model/notes", json={"text": "x"}
        )
    assert [n.contents for n in conn.clients(client).projects("model").notes.list()] == ["second"]
