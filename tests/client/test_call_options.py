"""Per-call options (``idempotency_key=``, ``headers=``, ``request_timeout=``), query values
and a closed Connection: each wrong one is a typed error before anything is sent, on the
embedded service and on a served one, and the store is as before."""

from __future__ import annotations

import pickle

import pytest

import sigopt_like
from sigopt_like import errors


def _names(conn: sigopt_like.Connection) -> list[str]:
    return sorted(s.name for s in conn.sessions.list(limit=100).data)


@pytest.mark.parametrize("key", [5, 2**70, float("nan"), True, ["k"], {"k": 1}, b"k"])
def test_an_idempotency_key_that_is_not_text_is_a_type_error(conn, key):
    """Before: embedded, a 500 from the service (it got the int in its WSGI environ);
    served, requests' InvalidHeader."""
    before = _names(conn)
    with pytest.raises(TypeError, match="idempotency_key must be text"):
        conn.sessions.create(name="keyed", idempotency_key=key)
    assert _names(conn) == before


@pytest.mark.parametrize("key", ["\ud800", "a\x00b", "a\r\nX-Evil: 1", "k\u20ac", "  "])
def test_an_idempotency_key_no_header_carries_is_refused_and_nothing_sent(conn, key):
    """Before: a lone surrogate was a 500 embedded and a UnicodeEncodeError served; a
    blank key was swapped for a fresh one, so the call was no replay."""
    before = _names(conn)
    with pytest.raises((errors.RequestEncodingError, ValueError), match=r"Idempotency-Key|blank"):
        conn.sessions.create(name="keyed", idempotency_key=key)
    assert _names(conn) == before


def test_an_idempotency_key_longer_than_the_service_takes_is_refused_and_nothing_sent(conn):
    """Before: a key of 201 characters was sent and came back the service's 400, naming its
    header rather than the argument. The client refuses it, naming the argument and the
    limit; a key of 200 is still sent and replayed."""
    before = _names(conn)
    with pytest.raises(ValueError) as caught:
        conn.sessions.create(name="keyed", idempotency_key="k" * 201)
    message = str(caught.value)
    assert "idempotency_key has 201 characters" in message and "at most 200" in message
    assert "Nothing was sent" in message
    assert not isinstance(caught.value, errors.APIError)
    assert _names(conn) == before
    first = conn.sessions.create(name="keyed", idempotency_key="k" * 200)
    again = conn.sessions.create(name="keyed", idempotency_key="k" * 200)
    assert again.id == first.id and _names(conn) == sorted([*before, "keyed"])


@pytest.mark.parametrize(
    "headers, match",
    [
        (5, "must be a dict"),
        ("X-Note", "must be a dict"),
        ({"X-Note": 1}, "map text to text"),
        ({"X-Note": "\ud800"}, "surrogate"),
        ({"X-Note": "a\r\nX-Evil: 1"}, "control character"),
    ],
)
def test_headers_of_the_wrong_kind_are_refused_and_nothing_sent(conn, headers, match):
    """Before: "'int' object is not iterable", requests' InvalidHeader, a UnicodeEncodeError."""
    before = _names(conn)
    with pytest.raises((TypeError, errors.RequestEncodingError), match=match):
        conn.sessions.create(name="headed", headers=headers)
    assert _names(conn) == before


@pytest.mark.parametrize("timeout", ["5", [1, 2, 3], True, 0, -1.0, float("nan"), 2**70])
def test_a_request_timeout_that_is_no_number_of_seconds_is_refused(conn, timeout):
    """Before: served, urllib3's ValueError or the socket layer's OverflowError; embedded,
    taken without a word."""
    before = _names(conn)
    with pytest.raises((TypeError, ValueError), match="request_timeout must be"):
        conn.sessions.create(name="timed", request_timeout=timeout)
    assert _names(conn) == before


def test_a_query_value_no_url_carries_names_its_parameter(conn):
    """Before: a bare UnicodeEncodeError."""
    with pytest.raises(errors.RequestEncodingError) as caught:
        conn.sessions.list(q="\ud800")
    assert caught.value.field == "q"


def _nested(depth: int) -> list:
    outer: list = []
    inner = outer
    for _ in range(depth):
        inner.append([])
        inner = inner[0]
    return outer


@pytest.mark.parametrize(
    "value", [["alloy", "steel"], b"alloy", {"name": "alloy"}, object(), _nested(10_000)]
)
def test_a_query_value_that_is_neither_text_nor_a_number_is_refused(conn, value):
    """Before: str() of it was sent, so ``q=["alloy", "steel"]`` searched for the text
    "['alloy', 'steel']" and found nothing, without a word; a list nested 10,000 deep
    was a RecursionError from deep inside."""
    conn.sessions.create(name="alloy")
    with pytest.raises(TypeError, match=r"The query parameter 'q' is .* carries text or a number"):
        conn.sessions.list(q=value)
    assert [s.name for s in conn.sessions.list(q="alloy")] == ["alloy"]
    assert conn.sessions.list(q=1.5, limit=2).count == 0  # numbers are still sent


def test_headers_given_to_a_call_that_sends_its_own_are_merged(conn):
    """Before: history.csv(headers=...) was a TypeError, multiple values for 'headers'."""
    sid = conn.sessions.create(name="csv-with-headers").id
    text = conn.sessions(sid).history.csv(headers={"X-Note": "lab 3"})
    assert isinstance(text, str)


def test_a_closed_connection_sends_nothing(tmp_path, clean_env):
    """Before: embedded, a call after close() was carried out by the closed service: a
    task put after it was stored and never run (no worker was left to run it)."""
    conn = sigopt_like.Connection(database=tmp_path / "closed.db")
    sid = conn.sessions.create(name="before-close").id
    with conn:
        pass
    with pytest.raises(errors.APIConnectionError, match="closed"):
        conn.sessions(sid).generate()
    with pytest.raises(errors.APIConnectionError, match="closed"):
        conn.sessions.create(name="after-close")
    with sigopt_like.Connection(database=tmp_path / "closed.db") as again:
        assert _names(again) == ["before-close"]
        assert again.sessions(sid).tasks.list().data == []


@pytest.mark.parametrize("timeout", [float("inf"), float("nan"), 2**70, (5, float("inf"))])
def test_a_connection_timeout_beyond_any_clock_is_a_config_error(tmp_path, clean_env, timeout):
    """Before: taken, and every call then failed in the socket layer (OverflowError)."""
    with pytest.raises(errors.ConfigError, match="'timeout' must be a finite number"):
        sigopt_like.Connection("http://127.0.0.1:9", "tok", timeout=timeout)


@pytest.mark.parametrize(
    "host",
    ["http://[::1", "\ud800", "http://\ud800:8080", "http://lab\x00.example", "http://h\x7f:80"],
)
def test_a_host_that_is_no_url_is_a_config_error(clean_env, host):
    """Before: urllib's bare ValueError ('Invalid IPv6 URL'), or taken and then
    requests' InvalidURL at the first call; a NUL or DEL taken, then sent by requests as a
    space ("http://lab .example"), retried for two minutes."""
    with pytest.raises(errors.ConfigError, match="'host' must be the service's URL"):
        sigopt_like.Connection(host, "tok")


@pytest.mark.parametrize(
    "policy, match",
    [
        ({"base": "x"}, "'base' must be a number"),
        ({"cap": float("nan")}, "'cap' must be 0 or more"),
        ({"max_tries": 2.5}, "'max_tries' must be a whole number"),
        ({"retry_after_cap": -1}, "'retry_after_cap' must be 0 or more"),
        # before: "'max_time' must be >= 0: nan", Python's "'>=' not supported between
        # instances of 'str' and 'int'", and True taken as one second
        ({"max_time": float("nan")}, "'max_time' must be 0 or more seconds, not nan"),
        ({"max_time": "60"}, "'max_time' must be a number of seconds, not '60'"),
        ({"max_time": True}, "'max_time' must be a number of seconds, not True"),
    ],
)
def test_a_retry_policy_of_the_wrong_kind_is_refused_when_made(clean_env, policy, match):
    """Before: taken, and the first retry failed with a TypeError inside the back-off."""
    with pytest.raises(errors.ConfigError, match=match):
        sigopt_like.Connection("http://127.0.0.1:9", "tok", retries=policy)


def test_a_version_error_pickles():
    """Before: a TypeError when unpickled (its versions are keyword-only)."""
    err = errors.VersionError("too old", client_version="0.1.0", min_client_version="2.0")
    again = pickle.loads(pickle.dumps(err))
    assert (str(again), again.client_version, again.min_client_version) == (
        "too old",
        "0.1.0",
        "2.0",
    )
