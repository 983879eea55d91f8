"""One way to call the service in tests, embedded (in-process) or over a real socket."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from sigopt_like.service.store import schema
from tests.fixtures.api import Reply, ServiceApi, assert_error

__all__ = ["Api", "Reply", "assert_error"]


class Api(ServiceApi):
    """The platform tests' caller: the shared one, plus session counts."""

    def sessions_count(self) -> int:
        """How many sessions the database holds."""
        return self.count(schema.sessions)


@pytest.fixture(params=["embedded", "served"])
def api(request: pytest.FixtureRequest) -> Iterator[Api]:
    """The service, once embedded and once served (auth on, a fresh user's token)."""
    if request.param == "embedded":
        service = request.getfixturevalue("service")
        yield Api(service)
    else:
        served = request.getfixturevalue("served")
        yield Api(served.service, served.url, served.token)
