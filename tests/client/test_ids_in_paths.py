"""An id goes into the URL as one path segment, whatever it holds.

Found trying the CLI as a stranger: ``sigopt-like sessions show %31`` showed session 1
(the id was put in the path as it was, and ``%31`` decodes to ``1``), ``1%2F2`` asked for
``/v1/sessions/1/2``, ``1?x=1`` sent a query string over HTTP, and an id of bytes that
are not UTF-8 (a lone surrogate in Python) was a ``UnicodeEncodeError`` traceback.
"""

from __future__ import annotations

import pytest

import sigopt_like
from sigopt_like.errors import NotFoundError, RequestEncodingError

ODD_IDS = ["%31", "1%2F2", "1?x=1", "1#frag", "1 2", "1;x", "é"]


@pytest.fixture(params=["embedded", "served"])
def conn(request, tmp_path):
    if request.param == "embedded":
        connection = sigopt_like.Connection(database=tmp_path / "ids.db")
    else:
        served = request.getfixturevalue("served")
        connection = sigopt_like.Connection(served.url, served.token)
    with connection:
        yield connection


def test_an_odd_id_is_that_id_on_the_server(conn):
    first = conn.sessions.create(name="first")
    assert first.id == "1"  # the id the odd ones would have reached before
    experiment = conn.experiments.create(
        name="e", parameters=[{"name": "x", "type": "int", "bounds": {"min": 0, "max": 3}}]
    )
    assert experiment.id == "1"
    for odd in ODD_IDS:
        with pytest.raises(NotFoundError) as caught:
            conn.sessions(odd).fetch()
        assert f"No session with id {odd!r}" in str(caught.value)
        with pytest.raises(NotFoundError):
            conn.experiments(odd).fetch()
        with pytest.raises(NotFoundError):
            conn.sessions(odd).history.fetch()
    assert conn.sessions("1").fetch().name == "first"


def test_an_id_that_is_not_text_is_refused_before_sending(conn):
    with pytest.raises(RequestEncodingError, match="not text"):
        conn.sessions("a\udcff").fetch()
    with pytest.raises(RequestEncodingError, match="not text"):
        conn.experiments("\ud800").suggestions().create()


def test_an_id_of_another_type_is_a_type_error_and_whole_numbers_are_ids(conn):
    """Before: ``str()`` of any object was the id: ``sessions(["1"])`` asked for session
    "['1']" and ``sessions(1.0)`` for "1.0", each a 404 that hid the caller's mistake."""
    import numpy as np

    created = conn.sessions.create(name="typed")
    for wrong in (["1"], 1.0, {"id": "1"}, b"1"):
        with pytest.raises(TypeError, match="an id is text or a whole number"):
            conn.sessions(wrong).fetch()
    for whole in (1, np.int64(1), "1", created):
        assert conn.sessions(whole).fetch().name == "typed"
