"""Idempotency keys: replay, mismatch, concurrency, expiry, 5xx not kept."""

from __future__ import annotations

import threading
import time

import falcon.testing
import pytest
import sqlalchemy as sa

from sigopt_like.service import create_app
from sigopt_like.service.store import schema

from .conftest import Api, assert_error


def test_same_key_and_body_replays_and_creates_once(api):
    key = {"Idempotency-Key": "k-1"}
    first = api.call("POST", "/v1/sessions", {"name": "once"}, headers=key)
    second = api.call("POST", "/v1/sessions", {"name": "once"}, headers=key)
    assert first.status == second.status == 201
    assert first.body == second.body
    assert second.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert second.headers["Content-Type"].startswith("application/json")
    assert api.sessions_count() == 1


def test_same_key_other_body_is_409_and_creates_nothing(api):
    key = {"Idempotency-Key": "k-2"}
    api.call("POST", "/v1/sessions", {"name": "a"}, headers=key)
    reply = api.call("POST", "/v1/sessions", {"name": "b"}, headers=key)
    assert_error(reply, 409, "idempotency_mismatch", "k-2", "new key")
    assert api.sessions_count() == 1


def test_same_key_other_path_is_409(api):
    key = {"Idempotency-Key": "k-3"}
    made = api.call("POST", "/v1/sessions", {"name": "a"}, headers=key).body
    reply = api.call("PUT", f"/v1/sessions/{made['id']}", {"name": "a"}, headers=key)
    assert_error(reply, 409, "idempotency_mismatch")


def test_errors_below_500_are_replayed_too(api):
    api.call("POST", "/v1/sessions", {"name": "dup"})
    key = {"Idempotency-Key": "k-4"}
    first = api.call("POST", "/v1/sessions", {"name": "dup"}, headers=key)
    second = api.call("POST", "/v1/sessions", {"name": "dup"}, headers=key)
    assert first.status == second.status == 409
    assert second.headers["Idempotent-Replayed"] == "true"


def test_replayed_update_does_not_apply_twice(api):
    made = api.call("POST", "/v1/sessions", {"name": "u"}).body
    key = {"Idempotency-Key": "k-5"}
    first = api.call("PUT", f"/v1/sessions/{made['id']}", {"description": "one"}, headers=key)
    api.call("PUT", f"/v1/sessions/{made['id']}", {"description": "two"})
    again = api.call("PUT", f"/v1/sessions/{made['id']}", {"description": "one"}, headers=key)
    assert again.body == first.body
    assert api.call("GET", f"/v1/sessions/{made['id']}").body["description"] == "two"


def test_gets_ignore_the_key(api):
    key = {"Idempotency-Key": "k-6"}
    api.call("GET", "/v1/sessions", headers=key)
    assert "Idempotent-Replayed" not in api.call("GET", "/v1/sessions", headers=key).headers
    assert api.count(schema.idempotency_keys) == 0


@pytest.mark.parametrize("key", ["x" * 201, "y" * 1000])
def test_bad_key_is_400(api, key):
    reply = api.call("POST", "/v1/sessions", {"name": "a"}, headers={"Idempotency-Key": key})
    assert_error(reply, 400, "bad_request", "Idempotency-Key")
    assert api.sessions_count() == 0


def test_concurrent_requests_with_one_key_run_once(served):
    api = Api(served.service, served.url, served.token)
    results = []
    barrier = threading.Barrier(6)

    def post():
        barrier.wait()
        results.append(
            api.call("POST", "/v1/sessions", {"name": "race"}, headers={"Idempotency-Key": "same"})
        )

    threads = [threading.Thread(target=post) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [r.status for r in results] == [201] * 6
    assert len({r.body["id"] for r in results}) == 1
    assert sum(r.headers.get("Idempotent-Replayed") == "true" for r in results) == 5
    assert api.sessions_count() == 1


class _SlowThenServerError:
    """A test resource: a POST that holds its key in flight (``entered`` is set once it
    runs, which is after its key was claimed; with ``?hold=1`` it then waits for
    ``release``; with ``?sleep=S`` it sleeps) and a PUT that fails with 500 once."""

    def __init__(self):
        self.calls = 0
        self.entered = threading.Event()
        self.release = threading.Event()

    def on_post(self, req, resp):
        self.calls += 1
        self.entered.set()
        if req.get_param("hold"):
            self.release.wait(30)
        time.sleep(float(req.get_param("sleep") or 0))
        resp.media = {"object": "thing", "calls": self.calls}

    def on_put(self, req, resp):
        self.calls += 1
        if self.calls == 1:
            raise RuntimeError("first call fails")
        resp.media = {"object": "thing", "calls": self.calls}


@pytest.fixture
def rigged(tmp_path):
    svc = create_app(database=str(tmp_path / "r.db"), idempotency_wait_seconds=0.3)
    thing = _SlowThenServerError()
    svc.app.add_route("/v1/test-thing", thing)
    try:
        yield svc, thing, falcon.testing.TestClient(svc.app)
    finally:
        svc.close()


def test_5xx_is_not_kept_so_a_retry_runs(rigged):
    _svc, _thing, client = rigged
    key = {"Idempotency-Key": "boom"}
    assert client.simulate_put("/v1/test-thing", json={}, headers=key).status_code == 500
    retry = client.simulate_put("/v1/test-thing", json={}, headers=key)
    assert retry.status_code == 200 and retry.json["calls"] == 2
    replay = client.simulate_put("/v1/test-thing", json={}, headers=key)
    assert replay.json["calls"] == 2 and replay.headers["Idempotent-Replayed"] == "true"


def test_key_in_flight_waits_then_409_in_progress(rigged):
    _svc, thing, client = rigged
    key = {"Idempotency-Key": "slow"}
    out = {}
    first = threading.Thread(
        target=lambda: out.setdefault(
            "first",
            client.simulate_post("/v1/test-thing", json={}, params={"hold": "1"}, headers=key),
        )
    )
    first.start()
    assert thing.entered.wait(30)  # the first holds the key until released
    try:
        second = client.simulate_post("/v1/test-thing", json={}, params={"hold": "1"}, headers=key)
    finally:
        thing.release.set()
    assert second.status_code == 409
    assert second.json["code"] == "idempotency_in_progress"
    assert "retry" in second.json["message"].lower()
    assert second.headers["Retry-After"] == "1"
    first.join()
    assert out["first"].status_code == 200
    third = client.simulate_post("/v1/test-thing", json={}, params={"hold": "1"}, headers=key)
    assert third.headers["Idempotent-Replayed"] == "true" and thing.calls == 1


def test_key_in_flight_is_waited_for_and_replayed(tmp_path):
    svc = create_app(database=str(tmp_path / "w.db"), idempotency_wait_seconds=5)
    thing = _SlowThenServerError()
    svc.app.add_route("/v1/test-thing", thing)
    client = falcon.testing.TestClient(svc.app)
    key = {"Idempotency-Key": "wait"}
    try:
        first = threading.Thread(
            target=lambda: client.simulate_post(
                "/v1/test-thing", json={}, params={"sleep": "0.5"}, headers=key
            )
        )
        first.start()
        assert thing.entered.wait(30)  # its key is claimed: the second waits for it
        second = client.simulate_post(
            "/v1/test-thing", json={}, params={"sleep": "0.5"}, headers=key
        )
        first.join()
        assert second.status_code == 200
        assert second.headers["Idempotent-Replayed"] == "true"
        assert thing.calls == 1
    finally:
        svc.close()


def test_expired_keys_are_forgotten(service):
    api = Api(service)
    key = {"Idempotency-Key": "old"}
    api.call("POST", "/v1/sessions", {"name": "a"}, headers=key)
    ttl = service.settings.idempotency_ttl_seconds
    with service.context.store.database.engine.begin() as conn:
        conn.execute(schema.idempotency_keys.update().values(created=int(time.time()) - ttl - 5))
    reply = api.call("POST", "/v1/sessions", {"name": "b"}, headers=key)
    assert reply.status == 201 and reply.body["name"] == "b"
    with service.context.store.database.engine.connect() as conn:
        rows = conn.execute(sa.select(schema.idempotency_keys.c.path)).all()
    assert len(rows) == 1


def test_a_claim_left_unanswered_by_an_older_release_is_taken_over(service):
    """Older releases committed a claim before the request's work; one whose request
    never finished (its process died) no longer blocks the key."""
    api = Api(service)
    with service.context.store.database.engine.begin() as conn:
        conn.execute(
            schema.idempotency_keys.insert().values(
                owner_id=service.context.local_user_id,
                key="dead",
                method="POST",
                path="/v1/sessions",
                body_hash="0" * 64,
                created=int(time.time()) - 5,
                response="claimed-by elsewhere:1:gone",
            )
        )
    reply = api.call(
        "POST", "/v1/sessions", {"name": "revived"}, headers={"Idempotency-Key": "dead"}
    )
    assert reply.status == 201
    assert api.sessions_count() == 1


def test_replay_survives_a_server_crash(served_process):
    import requests

    url = f"{served_process.url}/v1/sessions"
    headers = {"Idempotency-Key": "crash", **served_process.headers()}
    first = requests.post(url, json={"name": "durable"}, headers=headers, timeout=10)
    served_process.restart()
    again = requests.post(url, json={"name": "durable"}, headers=headers, timeout=10)
    assert first.status_code == again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()


class _WritesThenFails:
    """A test resource: writes a session through the store, then fails with a 500."""

    def __init__(self, service):
        self.store = service.context.store
        self.owner = service.context.local_user_id

    def on_post(self, req, resp):
        self.store.sessions.create(self.owner, "half-done", "", 1, int(time.time()))
        raise RuntimeError("fails after writing")


def test_a_failed_request_rolls_back_its_writes_and_its_claim(service):
    """Claim, work and answer are one transaction: a 5xx leaves nothing behind, so the
    retry finds the key free (never 'in progress') and nothing half done."""
    service.app.add_route("/v1/test-half", _WritesThenFails(service))
    client = falcon.testing.TestClient(service.app)
    key = {"Idempotency-Key": "half"}
    for _ in range(2):
        assert client.simulate_post("/v1/test-half", json={}, headers=key).status_code == 500
    api = Api(service)
    assert api.sessions_count() == 0
    assert api.count(schema.idempotency_keys) == 0


def test_the_answer_commits_with_the_work(service):
    """Inside the request's transaction its own writes and its claim are invisible to
    others until the answer is stored with them."""
    seen = {}
    store = service.context.store

    class Peek:
        def on_post(self, req, resp):
            made = store.sessions.create(service.context.local_user_id, "peek", "", 1, 0)
            with store.database.engine.connect() as other:  # another connection
                seen["sessions"] = other.execute(
                    sa.select(sa.func.count()).select_from(schema.sessions)
                ).scalar_one()
                seen["keys"] = other.execute(
                    sa.select(sa.func.count()).select_from(schema.idempotency_keys)
                ).scalar_one()
            resp.media = {"id": made.id}

    service.app.add_route("/v1/test-peek", Peek())
    client = falcon.testing.TestClient(service.app)
    reply = client.simulate_post("/v1/test-peek", json={}, headers={"Idempotency-Key": "peek"})
    assert reply.status_code == 200
    assert seen == {"sessions": 0, "keys": 0}
    api = Api(service)
    assert api.sessions_count() == 1 and api.count(schema.idempotency_keys) == 1
    replay = client.simulate_post("/v1/test-peek", json={}, headers={"Idempotency-Key": "peek"})
    assert replay.json == reply.json and replay.headers["Idempotent-Replayed"] == "true"
