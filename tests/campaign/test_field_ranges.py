"""A whole-number field of the campaign routes answers a number past it with its own range.

Before, ``{"ngens": 1e308}`` and ``{"ngens": 2**70}`` (ngens takes 1 to 100) were
refused quoting the store's 64-bit range (-9223372036854775808 to 9223372036854775807),
the door's words for any integer field, while ``101`` said "1 to 100" as a 422: three
answers for one mistake. Now every such field says its range, however the number is
written, in a 422 (a query parameter's in a 400), and nothing is stored or started.
"""

from __future__ import annotations

import pytest

from sigopt_like import Connection
from sigopt_like.errors import ValidationError

from .conftest import small_space

WIDE = 2**70

#: (method, route, body field or ?query, the range it takes, the numbers past it)
FIELDS = [
    ("POST", "simulate", "ngens", "from 1 to 100", [WIDE, 1e308, 101, 0, -WIDE]),
    ("PUT", "space", "population_size", "from 1 to 2500", [WIDE, 1e308, 2501]),
    ("PUT", "space", "populationSize", "from 1 to 2500", [WIDE, -1e308]),
    ("PUT", "space", "replicates", "from 0 to 27499", [WIDE, 1e308, -1]),
    ("POST", "simulate", "replicates", "from 0 to 27499", [WIDE]),
    ("POST", "generate", "gen", "from 0 to 2147483647", [WIDE, 1e308, -5]),
    ("POST", "analytics", "gen", "from 0 to 2147483647", [WIDE, 1e19]),
    ("GET", "experiments", "?gen", "from 0 to 2147483647", [WIDE, "1e308", 2**31]),
    ("GET", "design", "?gen", "from 1 to 2147483647", [WIDE, 0]),
    ("GET", "analytics", "?gen", "from 0 to 2147483647", [WIDE]),
]


def _body(method: str, route: str, name: str, value: object) -> dict[str, object]:
    if route == "space" or (route == "simulate" and name != "ngens"):
        body: dict[str, object] = {"space": small_space(), "population_size": 12, "replicates": 1}
        if name == "populationSize":
            del body["population_size"]
        body[name] = value
        return {**body, "ngens": 1} if route == "simulate" else body
    return {name: value}


@pytest.mark.parametrize(("method", "route", "name", "said", "numbers"), FIELDS)
def test_a_number_past_a_field_is_refused_with_its_range(api, method, route, name, said, numbers):
    sid = api.session()
    if route in ("experiments", "design", "generate", "analytics"):
        assert api.put_space(sid, small_space(), 12, 1)["status"] == "success"
    before = api.snapshot(sid)
    for value in numbers:
        if name.startswith("?"):
            reply = api.get(f"/v1/sessions/{sid}/{route}", **{name[1:]: str(value)})
            where, status = f"The query parameter '{name[1:]}'", 400
        else:
            reply = api.call(
                method, f"/v1/sessions/{sid}/{route}", _body(method, route, name, value)
            )
            where, status = f"The field '{name}'", 422  # as a SigOpt field's (was 400)
        assert reply.status == status, (value, reply)
        message = reply.body["message"]
        assert message.startswith(f"{where} is "), message
        assert f"outside its range: it takes a whole number {said}." in message, message
        assert "9223372036854775807" not in message and len(message) < 200, message
        assert reply.body["detail"] == {"field": name.lstrip("?")}
    assert api.snapshot(sid) == before


def test_the_connection_says_the_range_too(tmp_path):
    """The client sends the number and raises the service's refusal, typed, unchanged."""
    with Connection(database=str(tmp_path / "ranges.db")) as conn:
        session = conn.sessions(conn.sessions().create(name="ranges").id)
        for ngens in (WIDE, 1e308, 101):
            with pytest.raises(ValidationError) as raised:
                session.simulate(ngens=ngens)
            assert "'ngens' is " in str(raised.value), raised.value
            assert "outside its range: it takes a whole number from 1 to 100." in str(raised.value)
        assert list(session.tasks.list()) == []
