"""One way to call the service in tests, embedded (in-process) or over a real socket."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import attrs
import falcon.testing
import pytest
import requests
import sqlalchemy as sa
from requests.structures import CaseInsensitiveDict

from sigopt_like.service import Service
from sigopt_like.service.store import schema


@attrs.frozen
class Reply:
    """Status, parsed body (JSON when it is JSON) and headers of one response."""

    status: int
    body: Any
    headers: CaseInsensitiveDict
    text: str


class Api:
    """Calls the service embedded (falcon TestClient) or served (requests + token)."""

    def __init__(self, service: Service, url: str | None = None, token: str | None = None):
        self.service = service
        self.url = url
        self.token = token
        self._client = falcon.testing.TestClient(service.app) if url is None else None
        self._http = requests.Session() if url is not None else None

    @property
    def mode(self) -> str:
        """``embedded`` or ``served``."""
        return "embedded" if self.url is None else "served"

    def call(
        self,
        method: str,
        path: str,
        json_body: Any = None,
        *,
        data: bytes | str | None = None,
        headers: dict[str, str] | None = None,
        params: dict[str, Any] | None = None,
        token: str | None = None,
    ) -> Reply:
        """One request; ``json_body`` is sent as JSON, ``data`` as raw bytes."""
        headers = dict(headers or {})
        if json_body is not None:
            data = json.dumps(json_body)
            headers.setdefault("Content-Type", "application/json")
        if self._client is not None:
            r = self._client.simulate_request(
                method, path, body=data, headers=headers, params=params or None
            )
            return Reply(r.status_code, _parse(r.text), CaseInsensitiveDict(r.headers), r.text)
        assert self._http is not None
        if token or self.token:
            headers.setdefault("Authorization", f"Bearer {token or self.token}")
        r = self._http.request(
            method, f"{self.url}{path}", data=data, headers=headers, params=params, timeout=30
        )
        return Reply(r.status_code, _parse(r.text), r.headers, r.text)

    def count(self, table: sa.Table) -> int:
        """Rows in a table of the service's database."""
        with self.service.context.engine.connect() as conn:
            return conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()

    def sessions_count(self) -> int:
        """How many sessions the database holds."""
        return self.count(schema.sessions)


def _parse(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text


@pytest.fixture(params=["embedded", "served"])
def api(request: pytest.FixtureRequest) -> Iterator[Api]:
    """The service, once embedded and once served (auth on, a fresh user's token)."""
    if request.param == "embedded":
        service = request.getfixturevalue("service")
        yield Api(service)
    else:
        served = request.getfixturevalue("served")
        yield Api(served.service, served.url, served.token)


def assert_error(reply: Reply, status: int, code: str, *words: str) -> None:
    """The reply is the one error body with this status and code, its message naming words."""
    assert reply.status == status, reply.text
    body = reply.body
    assert isinstance(body, dict), reply.text
    assert set(body) == {"object", "status", "code", "message", "detail"}, body
    assert body["object"] == "error"
    assert body["status"] == status
    assert body["code"] == code, body
    for word in words:
        assert word.lower() in body["message"].lower(), body["message"]
