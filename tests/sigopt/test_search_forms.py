"""SigOpt's ``search`` of a list finds a name however its accents are written: ``é`` as
one code point (composed, NFC, as most keyboards type it) or as ``e`` and a combining
accent (decomposed, as macOS exports names), in the search and in the stored name alike.
Before, a name stored in one form was not found by a search in the other. On SQLite and
on PostgreSQL (the store's ``text_search.holds``)."""

from __future__ import annotations

import unicodedata

from tests.fixtures.api import Reply

from .conftest import PARAMETERS, Api


def _names(reply: Reply) -> set[str]:
    assert reply.status == 200, reply.body
    return {item["name"] for item in reply.body["data"]}


def test_a_search_finds_a_name_in_either_form(served_on_either):
    served = served_on_either
    api = Api(served.service, served.url, served.token)
    client = api.get("/v1/tokens/self").body["client"]
    composed = "Café Élan"
    decomposed = unicodedata.normalize("NFD", "Crème Brûlée")
    assert composed != unicodedata.normalize("NFD", composed)
    for name in (composed, decomposed, "plain"):
        reply = api.post("/v1/experiments", {"name": name, "parameters": PARAMETERS})
        assert reply.status == 201, reply.body
    api.post(f"/v1/clients/{client}/projects", {"id": "p", "name": "p"})
    for name in (composed, decomposed):
        reply = api.post(f"/v1/clients/{client}/projects/p/training_runs", {"name": name})
        assert reply.status == 201, reply.body
    lists = ("/v1/experiments", f"/v1/clients/{client}/training_runs")
    for path in lists:
        for text, found in (
            ("café", composed),
            ("Élan", composed),
            ("CAFÉ", composed),
            ("crème brûlée", decomposed),
            ("BRÛLÉE", decomposed),
        ):
            for form in ("NFC", "NFD"):
                search = unicodedata.normalize(form, text)
                assert _names(api.get(path, search=search)) == {found}, (path, form, text)
        assert _names(api.get(path, search="zz")) == set()


def test_a_search_finds_a_name_that_mixes_both_forms(served_on_either):
    """Vietnamese ``Nguyễn`` written as ``ê`` composed and a combining tilde is neither NFC
    nor NFD; before, only those two forms of the search were tried, so the name was found
    by no search, not even one written exactly as it is."""
    served = served_on_either
    api = Api(served.service, served.url, served.token)
    mixed = "Nguy\u00ea\u0303n Van"
    assert mixed not in {unicodedata.normalize(form, mixed) for form in ("NFC", "NFD")}
    for name in (mixed, "plain"):
        reply = api.post("/v1/experiments", {"name": name, "parameters": PARAMETERS})
        assert reply.status == 201, reply.body
    for text in (mixed, mixed.upper(), "nguy\u00ea\u0303n", "NGUY\u00ca\u0303N"):
        assert _names(api.get("/v1/experiments", search=text)) == {mixed}, text
