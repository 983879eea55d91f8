"""The "Unknown field(s)" refusal shows a client's key as a path shows it.

``named_fields`` quoted each unknown key with Python's ``repr`` (``'x\\x1by'``, not
JSON's ``\\u001b``; a U+2028 raw) and ``detail.fields`` carried the keys raw; a
2,400-character key with spaces made the message pass the error layer's limit, which
cut it mid-sentence. Now both go through :func:`sigopt_like.json_kinds.path_key`, as
``detail.field`` does elsewhere; the list of known fields stays whole. Called through the
real service, embedded and served; no session is stored.
"""

from __future__ import annotations

import pytest

from tests.service.conftest import Api
from tests.sigopt.test_refused_keys_shown import KEYS, RAW


@pytest.mark.parametrize(("key", "shown"), KEYS)
def test_an_unknown_field_of_a_session(api: Api, key: str, shown: str):
    before = api.sessions_count()
    reply = api.post("/v1/sessions", {"name": "q", key: 1})
    assert reply.status == 400, reply.body
    said = reply.body["message"]
    assert not any(char in said for char in RAW), ascii(said)
    assert said.startswith(f"Unknown field(s) '{shown}'; allowed: "), ascii(said)
    assert said.endswith("."), ascii(said)  # whole, not cut by the error layer
    assert reply.body["detail"]["fields"] == [shown]
    assert api.sessions_count() == before
