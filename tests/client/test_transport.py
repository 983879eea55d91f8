"""Transport against a real, deliberately faulty HTTP server on 127.0.0.1."""

from __future__ import annotations

import email.utils
import socket
import time
import warnings
from collections.abc import Iterator

import pytest

import sigopt_like
from sigopt_like import errors
from sigopt_like.transport import (
    USER_AGENT,
    InsecureTransportWarning,
    RetryPolicy,
    Transport,
    parse_retry_after,
    should_retry,
    sleep_time,
)

from .faulty_server import FaultyServer, Reply, faulty_server

OK = Reply(body={"object": "thing", "id": "1"})


class FakeClock:
    """A clock that only moves when the transport sleeps."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def server() -> Iterator[FaultyServer]:
    yield from faulty_server()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def make(server: FaultyServer, clock: FakeClock, **policy) -> Transport:
    """A transport with identity jitter (the full step), a fake clock, quick timeouts."""
    return Transport(
        server.url,
        token="tok-123",
        timeout=(2.0, 2.0),
        retries=RetryPolicy(**policy),
        jitter=lambda step: step,
        sleep=clock.sleep,
        clock=clock,
    )


def test_503_is_retried_with_exponential_steps_and_the_same_idempotency_key(server, clock):
    server.play(Reply(status=503), Reply(status=503), Reply(status=503), OK)
    transport = make(server, clock, base=0.5, cap=8)
    body = transport.request_json("POST", "/v1/thing", json={"a": 1})
    assert body == {"object": "thing", "id": "1"}
    calls = server.calls()
    assert len(calls) == 4
    keys = {c.headers["Idempotency-Key"] for c in calls}
    assert len(keys) == 1 and len(keys.pop()) == 36
    assert clock.sleeps == [0.5, 1.0, 2.0]
    assert all(c.body == b'{"a": 1}' for c in calls)


def test_callers_idempotency_key_is_sent_and_reused(server, clock):
    server.play(Reply(status=502), OK)
    make(server, clock).request("DELETE", "/v1/thing", idempotency_key="my-key")
    assert [c.headers["Idempotency-Key"] for c in server.calls()] == ["my-key", "my-key"]


def test_get_has_no_idempotency_key_and_sends_user_agent_and_token(server, clock):
    server.play(OK)
    make(server, clock).request("GET", "/v1/thing", params={"a": True, "b": None, "c": 3})
    (call,) = server.calls()
    assert "Idempotency-Key" not in call.headers
    assert (
        call.headers["User-Agent"] == USER_AGENT == f"sigopt-like-python/{sigopt_like.__version__}"
    )
    assert call.headers["Authorization"] == "Bearer tok-123"
    assert call.path == "/v1/thing?a=true&c=3"


@pytest.mark.parametrize("status", [408, 429, 502, 503, 504])
def test_retryable_statuses(server, clock, status):
    server.play(Reply(status=status), OK)
    assert make(server, clock).request_json("GET", "/v1/thing")["id"] == "1"
    assert len(server.calls()) == 2


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409, 422, 500, 501])
def test_other_statuses_are_not_retried(server, clock, status):
    server.play(Reply(status=status, body={"object": "error", "code": "x", "message": "m"}), OK)
    with pytest.raises(errors.APIError) as info:
        make(server, clock).request("POST", "/v1/thing", json={})
    assert info.value.status == status
    assert len(server.calls()) == 1
    assert clock.sleeps == []


def test_a_408_closing_its_connection_is_sent_again_with_the_same_key(server, clock):
    """Before: a 408 (the server, or a proxy, closed a request that did not arrive whole in
    time: nothing was done) raised ``RequestTimeoutError`` at once, though RFC 9110 says a
    client may repeat it, and the Idempotency-Key makes the repeat safe as for a 503. The
    408 here closes its connection, as servers do; its Retry-After is honoured."""
    server.play(Reply(status=408, headers={"Connection": "close", "Retry-After": "2"}), OK)
    body = make(server, clock).request_json("POST", "/v1/thing", json={"a": 1})
    assert body == {"object": "thing", "id": "1"}
    calls = server.calls()
    assert len(calls) == 2 and all(c.body == b'{"a": 1}' for c in calls)
    assert calls[0].headers["Idempotency-Key"] == calls[1].headers["Idempotency-Key"]
    assert clock.sleeps == [2.0]


def test_retry_after_seconds_is_honoured(server, clock):
    server.play(Reply(status=503, headers={"Retry-After": "3"}), OK)
    make(server, clock).request("GET", "/v1/thing")
    assert clock.sleeps == [3.0]


def test_retry_after_http_date_is_honoured(server, clock):
    # a minute ahead (whole seconds): the wait is the date less the time the call took, so
    # a loaded machine's slow request must not push it out of the range (it was 5 s, with
    # 1 s of room once the date's truncation to whole seconds was counted)
    when = email.utils.formatdate(time.time() + 60, usegmt=True)
    server.play(Reply(status=429, headers={"Retry-After": when}), OK)
    make(server, clock, retry_after_cap=120.0, max_time=300).request("GET", "/v1/thing")
    assert len(clock.sleeps) == 1 and 30.0 <= clock.sleeps[0] <= 60.0


def test_retry_after_is_capped(server, clock):
    server.play(Reply(status=503, headers={"Retry-After": "1000"}), OK)
    make(server, clock, retry_after_cap=7.0, max_time=60).request("GET", "/v1/thing")
    assert clock.sleeps == [7.0]


def test_bounded_tries(server, clock):
    server.play(
        Reply(status=503, body={"object": "error", "code": "unavailable", "message": "busy"})
    )
    with pytest.raises(errors.ServerError) as info:
        make(server, clock, max_tries=3).request("GET", "/v1/thing")
    assert len(server.calls()) == 3
    assert info.value.status == 503 and info.value.code == "unavailable"


def test_bounded_total_time(server, clock):
    server.play(Reply(status=503))
    with pytest.raises(errors.ServerError):
        make(server, clock, max_tries=100, max_time=5.0, base=1.0, cap=100).request(
            "GET", "/v1/thing"
        )
    # steps 1, 2 fit in 5 s; the next (4) would end at 7 s: three tries in all
    assert clock.sleeps == [1.0, 2.0]
    assert len(server.calls()) == 3


def test_the_default_budget_is_a_deadline_not_a_count(server, clock):
    """Twelve faults in a row cost time, not the call (the old default gave up after 5)."""
    server.play(*[Reply(status=503)] * 12, OK)
    assert RetryPolicy().max_tries is None
    assert make(server, clock).request_json("POST", "/v1/thing", json={})["id"] == "1"
    assert len(server.calls()) == 13
    assert len({c.headers["Idempotency-Key"] for c in server.calls()}) == 1


def test_the_default_deadline_ends_a_call_that_cannot_succeed(server, clock):
    server.play(Reply(status=503))
    with pytest.raises(errors.ServerError):
        make(server, clock).request("GET", "/v1/thing")
    policy = RetryPolicy()
    # steps 0.5, 1, 2, 4, then 8 each: the last sleep that still ends within the deadline
    assert sum(clock.sleeps) <= policy.max_time < sum(clock.sleeps) + policy.cap
    assert clock.sleeps[:5] == [0.5, 1.0, 2.0, 4.0, 8.0]


def test_idempotency_in_progress_is_waited_out_with_retry_after(server, clock):
    in_progress = Reply(
        status=409,
        headers={"Retry-After": "1"},
        body={"object": "error", "code": "idempotency_in_progress", "message": "still running"},
    )
    server.play(in_progress, in_progress, OK)
    body = make(server, clock).request_json("POST", "/v1/thing", json={"a": 1})
    assert body["id"] == "1"
    assert clock.sleeps == [1.0, 1.0]
    assert len({c.headers["Idempotency-Key"] for c in server.calls()}) == 1


def test_other_conflicts_are_not_retried(server, clock):
    server.play(
        Reply(
            status=409,
            headers={"Retry-After": "1"},
            body={"object": "error", "code": "duplicate_name", "message": "taken"},
        ),
        OK,
    )
    with pytest.raises(errors.APIError) as info:
        make(server, clock).request("POST", "/v1/thing", json={})
    assert info.value.code == "duplicate_name" and len(server.calls()) == 1


def test_rate_limit_error_carries_retry_after(server, clock):
    server.play(
        Reply(
            status=429,
            headers={"Retry-After": "2"},
            body={"object": "error", "status": 429, "code": "rate_limited", "message": "slow down"},
        )
    )
    with pytest.raises(errors.RateLimitError) as info:
        make(server, clock, max_tries=2).request("GET", "/v1/thing")
    assert info.value.retry_after == 2.0
    assert len(server.calls()) == 2


def test_connection_reset_before_the_response_is_retried(server, clock):
    server.play(Reply(kind="reset"), Reply(kind="reset"), OK)
    body = make(server, clock).request_json("POST", "/v1/thing", json={"x": 1})
    assert body["id"] == "1"
    calls = server.calls()
    assert len(calls) == 3
    assert len({c.headers["Idempotency-Key"] for c in calls}) == 1


def test_connection_reset_every_time_is_a_connection_error(server, clock):
    server.play(Reply(kind="reset"))
    with pytest.raises(errors.APIConnectionError) as info:
        make(server, clock, max_tries=2).request("GET", "/v1/thing")
    assert not isinstance(info.value, errors.APITimeoutError)
    assert len(server.calls()) == 2


def test_truncated_body_is_retried(server, clock):
    server.play(Reply(kind="truncate", body={"object": "thing", "padding": "x" * 200}), OK)
    assert make(server, clock).request_json("GET", "/v1/thing")["id"] == "1"
    assert len(server.calls()) == 2


def test_truncated_body_every_time_is_a_connection_error(server, clock):
    server.play(Reply(kind="truncate", body={"padding": "x" * 200}))
    with pytest.raises(errors.APIConnectionError):
        make(server, clock, max_tries=2).request("GET", "/v1/thing")
    assert len(server.calls()) == 2


def test_read_timeout_is_retried_then_raises_timeout(server, clock):
    server.play(Reply(kind="slow", delay=1.0))
    transport = make(server, clock, max_tries=2)
    transport.timeout = (1.0, 0.2)
    with pytest.raises(errors.APITimeoutError) as info:
        transport.request("GET", "/v1/thing")
    assert isinstance(info.value, TimeoutError)
    assert len(server.calls()) == 2


def test_slow_then_fast_succeeds(server, clock):
    server.play(Reply(kind="slow", delay=1.0), OK)
    transport = make(server, clock)
    transport.timeout = (1.0, 0.2)
    assert transport.request_json("PUT", "/v1/thing", json={})["id"] == "1"
    calls = server.calls()
    assert (
        len(calls) == 2
        and calls[0].headers["Idempotency-Key"] == calls[1].headers["Idempotency-Key"]
    )


def test_connection_refused_is_a_connection_error(clock):
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    transport = Transport(
        f"http://127.0.0.1:{port}",
        retries=RetryPolicy(max_tries=2),
        sleep=clock.sleep,
        clock=clock,
        jitter=lambda s: s,
    )
    with pytest.raises(errors.APIConnectionError, match="failed"):
        transport.request("GET", "/v1/thing")
    assert clock.sleeps == [0.5]


ERROR_CASES = [
    (400, "bad_request", errors.BadRequestError),
    (401, "unauthorized", errors.AuthenticationError),
    (403, "forbidden", errors.PermissionDeniedError),
    (404, "not_found", errors.NotFoundError),
    (405, "method_not_allowed", errors.MethodNotAllowedError),
    (409, "duplicate_name", errors.ConflictError),
    (413, "payload_too_large", errors.PayloadTooLargeError),
    (422, "validation_failed", errors.ValidationError),
    (429, "rate_limited", errors.RateLimitError),
    (500, "internal", errors.ServerError),
    (418, "teapot", errors.APIError),
]


@pytest.mark.parametrize(("status", "code", "cls"), ERROR_CASES)
def test_each_status_gives_its_error_class_with_request_id(server, clock, status, code, cls):
    body = {
        "object": "error",
        "status": status,
        "code": code,
        "message": "It went wrong.",
        "detail": {"k": 1},
    }
    server.play(Reply(status=status, body=body, headers={"X-Request-Id": "req-42"}))
    with pytest.raises(cls) as info:
        make(server, clock, max_tries=1).request("GET", "/v1/thing")
    err = info.value
    assert type(err) is cls
    assert isinstance(err, sigopt_like.SigoptLikeError)
    assert (err.status, err.code, err.message, err.request_id) == (
        status,
        code,
        "It went wrong.",
        "req-42",
    )
    assert err.detail == {"k": 1}
    assert str(err) == f"{status} {code}: It went wrong. (request req-42)"


def test_400_and_422_share_invalid_request_error():
    assert issubclass(errors.BadRequestError, errors.InvalidRequestError)
    assert issubclass(errors.ValidationError, errors.InvalidRequestError)


def test_validation_error_lists_its_items(server, clock):
    body = {
        "object": "error",
        "status": 422,
        "code": "validation_failed",
        "message": "Bad table.",
        "detail": {
            "errors": [
                {"message": "not a level", "row": 3, "column": "p1", "field": "table"},
                {"message": "missing", "row": None, "column": None, "field": "name"},
            ]
        },
    }
    server.play(Reply(status=422, body=body))
    with pytest.raises(errors.ValidationError) as info:
        make(server, clock).request("POST", "/v1/thing", json={})
    assert len(info.value.errors) == 2
    assert "row 3, column p1: not a level" in str(info.value)
    assert "field name: missing" in str(info.value)


def test_non_json_error_body(server, clock):
    server.play(Reply(kind="text", status=502, body="<html><body>Bad Gateway</body></html>"))
    with pytest.raises(errors.ServerError) as info:
        make(server, clock, max_tries=1).request("GET", "/v1/thing")
    assert info.value.status == 502
    assert info.value.code == "bad_gateway"  # a proxy's, not the service's failure
    assert "Bad Gateway" in info.value.message
    assert info.value.body.startswith("<html>")


def test_non_json_success_body_is_an_api_error(server, clock):
    server.play(Reply(kind="text", status=200, body="not json"))
    with pytest.raises(errors.APIError, match="not JSON"):
        make(server, clock).request_json("GET", "/v1/thing")


def test_verify_false_warns():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        Transport("https://example.invalid", verify=False)
    assert any(issubclass(w.category, InsecureTransportWarning) for w in caught)


def test_policy_functions():
    policy = RetryPolicy(max_tries=3, base=1.0, cap=3.0, retry_after_cap=10.0)
    assert should_retry(policy, 1, status=503)
    assert not should_retry(policy, 3, status=503)
    assert not should_retry(policy, 1, status=500)
    assert not should_retry(policy, 1, error=ValueError())
    assert should_retry(policy, 1, status=409, code="idempotency_in_progress")
    assert not should_retry(policy, 1, status=409, code="conflict")
    assert should_retry(RetryPolicy(), 1000, status=503)  # no count by default
    assert sleep_time(policy, 1, None, lambda s: s) == 1.0
    assert sleep_time(policy, 3, None, lambda s: s) == 3.0  # capped
    assert sleep_time(policy, 5, 20.0, lambda s: s) == 10.0
    assert sleep_time(policy, 2, None, lambda s: s / 2) == 1.0
    assert parse_retry_after("2.5") == 2.5
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None
    assert parse_retry_after("-3") == 0.0


def test_nan_in_a_body_is_refused_before_sending(server, clock):
    with pytest.raises(ValueError, match="JSON"):
        make(server, clock).request("POST", "/v1/thing", json={"value": float("nan")})
    assert server.calls() == []


# A slow-drip server: each read gets a byte long before the read timeout, so requests'
# per-read timeout never fires; the whole answer has the read timeout as its deadline.
# The drip would last about 20 s; the bounds below are generous for a loaded machine.
DRIP = {"object": "thing", "id": "1", "pad": "x" * 60}


@pytest.mark.parametrize("kind", ["drip", "drip_head"])
def test_a_server_that_trickles_its_answer_times_out_at_the_read_timeout(server, clock, kind):
    server.play(Reply(kind=kind, body=DRIP, delay=0.25))
    transport = make(server, clock, max_tries=1)
    transport.timeout = (2.0, 1.5)
    started = time.monotonic()
    with pytest.raises(errors.APITimeoutError) as info:
        transport.request("GET", "/v1/thing")
    assert time.monotonic() - started < 12
    assert "no whole answer within 1.5 s" in str(info.value)


def test_a_trickled_answer_within_the_read_timeout_arrives_whole(server, clock):
    server.play(Reply(kind="drip", body={"id": "1"}, delay=0.01))
    transport = make(server, clock, max_tries=1)
    transport.timeout = (2.0, 30.0)
    assert transport.request_json("GET", "/v1/thing") == {"id": "1"}


def test_a_stream_outlives_the_read_timeout_while_the_server_talks(server, clock):
    from sigopt_like.tasks import iter_event_data

    server.play(Reply(kind="drip_stream", body=8, delay=0.25))
    transport = make(server, clock, max_tries=1)
    transport.timeout = (2.0, 1.0)  # the stream lasts 2 s: twice one read's timeout
    response = transport.request("GET", "/v1/thing/events", stream=True)
    assert list(iter_event_data(response)) == ['{"done": true}']


def test_a_stream_ends_at_its_own_deadline_however_often_the_server_talks(server, clock):
    import requests

    from sigopt_like.tasks import iter_event_data

    server.play(Reply(kind="drip_stream", body=80, delay=0.25))  # 20 s of keep-alives
    transport = make(server, clock, max_tries=1)
    started = time.monotonic()
    response = transport.request("GET", "/v1/thing/events", stream=True, stream_within=1.5)
    with pytest.raises(requests.RequestException):
        list(iter_event_data(response))
    assert time.monotonic() - started < 12


# A session handed in (Connection(session=...)): the read timeout the caller gave is
# honoured there too. Before, the transport used the session's adapters as they were, so
# a trickling server held the call for ever despite the timeout.


def _with_session(server: FaultyServer, clock: FakeClock, session) -> Transport:
    return Transport(
        server.url,
        session=session,
        token="tok-123",
        timeout=(2.0, 1.5),
        retries=RetryPolicy(max_tries=1),
        jitter=lambda step: step,
        sleep=clock.sleep,
        clock=clock,
    )


@pytest.mark.parametrize("kind", ["drip", "drip_head"])
def test_a_callers_session_keeps_the_whole_answer_deadline(server, clock, kind):
    import requests

    server.play(Reply(kind=kind, body=DRIP, delay=0.25))
    with requests.Session() as session:
        transport = _with_session(server, clock, session)
        started = time.monotonic()
        with pytest.raises(errors.APITimeoutError) as info:
            transport.request("GET", "/v1/thing")
    assert time.monotonic() - started < 12
    assert "no whole answer within 1.5 s" in str(info.value)


def test_a_callers_session_keeps_its_adapters_and_their_settings(server, clock):
    """Only the service's URL gets the deadline adapter, set up as the one it replaces
    there; the caller's adapters for anything else (and narrower ones) stay theirs, and
    closing the Connection leaves the session as it was."""
    import requests
    from urllib3.util.retry import Retry

    from sigopt_like.deadline import DeadlineAdapter

    with requests.Session() as session:
        theirs = requests.adapters.HTTPAdapter(pool_maxsize=33, max_retries=Retry(total=2))
        other = requests.adapters.HTTPAdapter()
        narrow = requests.adapters.HTTPAdapter()
        session.mount("http://", theirs)
        session.mount("https://elsewhere.example/", other)
        session.mount(f"{server.url}/narrow/", narrow)
        before = dict(session.adapters)
        transport = _with_session(server, clock, session)
        mine = session.get_adapter(f"{server.url}/v1/thing")
        assert isinstance(mine, DeadlineAdapter) and mine is not theirs
        assert mine._pool_maxsize == 33 and mine.max_retries.total == 2
        assert session.get_adapter("http://other.example/x") is theirs
        assert session.get_adapter("https://elsewhere.example/x") is other
        assert session.get_adapter(f"{server.url}/narrow/x") is narrow
        server.play(OK)
        assert transport.request_json("GET", "/v1/thing")["id"] == "1"
        transport.close()
        assert session.adapters == before


def test_a_callers_own_adapter_class_is_kept_and_the_limit_said(server, clock):
    """A subclass (a custom TLS context, a mock) is the caller's to keep: the deadline
    cannot be kept there, and a warning says so rather than leaving the option unsaid."""
    import requests

    from sigopt_like.transport import UnboundedAnswerWarning

    class TheirAdapter(requests.adapters.HTTPAdapter):
        pass

    with requests.Session() as session:
        theirs = TheirAdapter()
        session.mount("http://", theirs)
        with pytest.warns(UnboundedAnswerWarning, match="TheirAdapter"):
            _with_session(server, clock, session)
        assert session.get_adapter(f"{server.url}/v1/thing") is theirs


def test_a_connection_given_a_session_mounts_the_deadline_for_its_host_only(server):
    import requests

    from sigopt_like.deadline import DeadlineAdapter

    with requests.Session() as session:
        default = session.get_adapter("http://other.example/")
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # nothing to warn of
            conn = sigopt_like.Connection(host=server.url, token="tok-123", session=session)
        try:
            assert isinstance(session.get_adapter(f"{server.url}/v1/x"), DeadlineAdapter)
            assert session.get_adapter("http://other.example/") is default
        finally:
            conn.close()
        assert session.get_adapter(f"{server.url}/v1/x") is default


def test_a_body_nested_past_pythons_stack_is_an_api_error(server, clock):
    """Before: the JSON decoder's RecursionError escaped from a success body, an error
    body or its ``code``, when a host answered 100,000 lists inside each other (a proxy,
    a wrong host), no error of the library's."""
    deep = "[" * 100_000 + "]" * 100_000
    server.play(Reply(kind="text", status=200, body=deep))
    with pytest.raises(errors.APIError, match="not JSON") as caught:
        make(server, clock).request_json("GET", "/v1/thing")
    assert caught.value.code == "invalid_response"
    server.play(
        Reply(kind="text", status=400, body=deep, headers={"Content-Type": "application/json"})
    )
    with pytest.raises(errors.BadRequestError) as refused:
        make(server, clock, max_tries=1).request("GET", "/v1/thing")
    assert refused.value.status == 400 and refused.value.body.startswith("[[[")
