"""A search finds a name written outside ASCII, on SQLite and on PostgreSQL.

Before: the store lowered the search text with Python (every script) and the name with
SQL's ``lower()``, which SQLite (and PostgreSQL under the C locale) applies to ASCII
letters only: ``?q=Élan`` became ``%élan%``, compared with ``Élan ärger`` unchanged, so a
session, experiment or run named with an accented capital was not found even by its
exact name (a 200 with no data: the query text decoded, and not honoured)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from sigopt_like.service import create_app
from tests.fixtures.api import Reply, ServiceApi

DOUBLE = [{"name": "x", "type": "double", "bounds": {"min": 0, "max": 1}}]


@pytest.fixture
def api(request: pytest.FixtureRequest, either_database: str) -> ServiceApi:
    service = create_app(database=either_database, run_tasks=False)
    request.addfinalizer(service.close)
    return ServiceApi(service)


def _names(reply: Reply) -> list[str]:
    assert reply.status == 200, reply
    return sorted(item["name"] for item in reply.body["data"])


@pytest.mark.parametrize("query", ["Élan", "ÉLAN ÄRGER", "élan", "ärger", "LAN"])
def test_a_name_outside_ascii_is_found_by_its_own_words(api: ServiceApi, query: str) -> None:
    for name in ("Élan Ärger", "plain"):
        assert api.post("/v1/sessions", {"name": name}).status == 201
        made = api.post("/v1/experiments", {"name": name, "parameters": DOUBLE})
        assert made.status == 201, made
    client = api.get("/v1/tokens/self").body["client"]
    project = api.post(f"/v1/clients/{client}/projects", {"id": "p"}).body["id"]
    runs = f"/v1/clients/{client}/projects/{project}/training_runs"
    for name in ("Élan Ärger", "plain"):
        assert api.post(runs, {"name": name}).status == 201
    found = [
        _names(api.get("/v1/sessions", q=query)),
        _names(api.get("/v1/experiments", search=query)),
        _names(api.get(runs, search=query)),
    ]
    # its accented letters as written: found on every database; in another case: found
    # where the database lowers letters outside ASCII (SQLite now, with the store's own
    # lower(); PostgreSQL as its locale says: not under the C locale)
    same_accents = query in ("Élan", "ÉLAN ÄRGER", "LAN")
    if same_accents or _lowers_beyond_ascii(api):
        assert found == [["Élan Ärger"]] * 3, found
    else:
        assert found == [[]] * 3, found


def _lowers_beyond_ascii(api: ServiceApi) -> bool:
    """Whether the database's ``lower()`` lowers É, as the store's connections see it."""
    engine = api.service.context.store.database.engine  # type: ignore[union-attr]
    with engine.connect() as conn:
        folded = conn.execute(sa.text("SELECT lower('É')")).scalar_one()
    if engine.dialect.name == "sqlite":
        assert folded == "é", "the store's SQLite connections lower only ASCII"
    return bool(folded == "é")
