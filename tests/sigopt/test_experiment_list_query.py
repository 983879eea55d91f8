"""The query parameters of SigOpt's experiment lists (``GET /v1/experiments``, the client's
and the project's): ``sort`` (id | recent), ``ascending``, ``period_start`` /
``period_end``, ``user``, ``include_ai``, ``development``, with paging right under
every order; through sigopt-python and our Connection against a served instance.

Before, each of these was a 400 ("takes no query parameter 'sort'"), so a SigOpt
script that listed with ``sort="recent"`` or a period stopped there.
"""

from __future__ import annotations

import itertools

import pytest

import sigopt_like
from sigopt_like.errors import APIError
from sigopt_like.service.resources.sigopt import experiments as experiments_resource
from sigopt_like.service.store import schema

from .conftest import PARAMETERS, Api

sigopt = pytest.importorskip("sigopt")
from sigopt.exception import ApiException  # noqa: E402

START = 1_700_000_000
#: a first page's ``.data`` is what these tests look at (the lists are short)
pytestmark = pytest.mark.filterwarnings("ignore:The .data field:RuntimeWarning")


@pytest.fixture
def clock(monkeypatch):
    """The experiments' clock: each create or update one second after the last."""
    ticks = itertools.count(START)
    monkeypatch.setattr(experiments_resource, "now", lambda: next(ticks))
    return ticks


@pytest.fixture
def sigopt_conn(served):
    connection = sigopt.Connection(client_token=served.token)
    connection.set_api_url(served.url)
    return connection


@pytest.fixture
def our_conn(served, clean_env):
    connection = sigopt_like.Connection(served.url, served.token)
    try:
        yield connection
    finally:
        connection.close()


def made(conn, count: int) -> list[str]:
    """``count`` experiments e0, e1, ... (created one second apart): their ids."""
    return [conn.experiments().create(name=f"e{i}", parameters=PARAMETERS).id for i in range(count)]


def names(items) -> list[str]:
    return [e.name for e in items]


def every_page(conn, **params) -> list[str]:
    """The names of every page of a list, paged 2 at a time with sigopt-python."""
    return names(conn.experiments().fetch(limit=2, **params).iterate_pages())


def test_sort_recent_and_ascending_through_sigopt_python(sigopt_conn, clock):
    made(sigopt_conn, 5)
    e1 = sigopt_conn.experiments().fetch(search="e1").data[0]
    sigopt_conn.experiments(e1.id).update(name="e1 renamed")  # now the most recent
    by_id = ["e4", "e3", "e2", "e1 renamed", "e0"]
    recent = ["e1 renamed", "e4", "e3", "e2", "e0"]
    assert names(sigopt_conn.experiments().fetch().data) == by_id
    assert names(sigopt_conn.experiments().fetch(sort="id").data) == by_id
    assert names(sigopt_conn.experiments().fetch(ascending=True).data) == by_id[::-1]
    assert names(sigopt_conn.experiments().fetch(ascending=False).data) == by_id
    assert names(sigopt_conn.experiments().fetch(sort="recent").data) == recent
    listed = sigopt_conn.experiments().fetch(sort="recent", ascending=True)
    assert names(listed.data) == recent[::-1] and listed.count == 5
    # paged two at a time, sigopt-python's iterate_pages walks every page in each order
    assert every_page(sigopt_conn) == by_id
    assert every_page(sigopt_conn, ascending=True) == by_id[::-1]
    assert every_page(sigopt_conn, sort="recent") == recent
    assert every_page(sigopt_conn, sort="recent", ascending=True) == recent[::-1]


def test_the_same_through_our_connection(our_conn, clock):
    ids = [our_conn.experiments.create(name=f"e{i}", parameters=PARAMETERS).id for i in range(4)]
    our_conn.experiments(ids[0]).update(name="e0 renamed")
    recent = ["e0 renamed", "e3", "e2", "e1"]
    assert names(our_conn.experiments.list(sort="recent")) == recent
    assert names(our_conn.experiments.list(sort="recent", limit=1)) == recent  # 4 pages
    assert (
        names(our_conn.experiments.fetch(sort="recent", ascending=True, limit=3)) == (recent[::-1])
    )
    assert names(our_conn.experiments.list(ascending=True, limit=3)) == [
        "e0 renamed",
        "e1",
        "e2",
        "e3",
    ]
    window = our_conn.experiments.list(period_start=START + 1, period_end=START + 3)
    assert names(window) == ["e2", "e1"] and window.count == 2
    with pytest.raises(APIError) as refused:
        our_conn.experiments.list(sort="name")
    assert refused.value.status == 400 and "sort" in str(refused.value)


def test_paging_under_recent_is_a_keyset_on_update_then_id(served_on_either, clock):
    """Experiments updated in the same second keep an order (by id), and paging on
    ``before`` then back on ``after`` gives the same pages in both directions."""
    served = served_on_either
    api = Api(served.service, served.url, served.token)
    ids = [api.create_experiment(name=f"e{i}")["id"] for i in range(7)]
    for eid in (ids[1], ids[4], ids[2]):  # three updates in one second
        assert api.put(f"/v1/experiments/{eid}", {"name": "same"}).status == 200
    with served.service.context.store.database.engine.begin() as conn:
        table = schema.sigopt_experiments
        conn.execute(
            table.update()
            .where(table.c.id.in_([int(ids[i]) for i in (1, 4, 2)]))
            .values(updated=START + 100)
        )
    # most recent first: the tied three by id (4, 2, 1), then the rest newest first
    order = [ids[i] for i in (4, 2, 1, 6, 5, 3, 0)]
    for ascending, expected in ((False, order), (True, order[::-1])):
        pages, cursor = [], None
        while True:
            params = {"sort": "recent", "limit": 2, "ascending": str(ascending).lower()}
            page = api.get("/v1/experiments", **params, **({"before": cursor} if cursor else {}))
            assert page.status == 200, page.body
            assert page.body["count"] == 7
            pages.append([x["id"] for x in page.body["data"]])
            cursor = page.body["paging"]["before"]
            if cursor is None:
                break
        assert [eid for page in pages for eid in page] == expected
        assert api.get("/v1/experiments", **params).body["paging"]["after"] is None
        # back from the last page, one page at a time, on ``after``
        cursor = pages[-1][0]
        back = []
        while cursor is not None:
            page = api.get("/v1/experiments", **params, after=cursor).body
            back.insert(0, [x["id"] for x in page["data"]])
            cursor = page["paging"]["after"]
        assert [eid for page in back for eid in page] == expected[: -len(pages[-1])]
        # both cursors: the items between them
        between = api.get("/v1/experiments", **params, before=expected[0], after=expected[4])
        assert [x["id"] for x in between.body["data"]] == expected[1:3]
        assert between.body["paging"]["before"] == expected[2]


def test_period_filters_and_paging(sigopt_conn, clock):
    made(sigopt_conn, 6)  # created at START .. START + 5
    listed = sigopt_conn.experiments().fetch(period_start=START + 1, period_end=START + 5)
    assert names(listed.data) == ["e4", "e3", "e2", "e1"] and listed.count == 4
    assert names(sigopt_conn.experiments().fetch(period_start=START + 4).data) == ["e5", "e4"]
    assert names(sigopt_conn.experiments().fetch(period_end=START + 1).data) == ["e0"]
    assert every_page(sigopt_conn, period_start=START + 1, period_end=START + 5) == [
        "e4",
        "e3",
        "e2",
        "e1",
    ]
    assert every_page(
        sigopt_conn, period_start=START + 1, period_end=START + 5, ascending=True
    ) == ["e1", "e2", "e3", "e4"]
    with pytest.raises(ApiException) as refused:
        sigopt_conn.experiments().fetch(period_start=START + 3, period_end=START + 3)
    assert refused.value.status_code == 400 and "period_start" in str(refused.value)


def test_client_and_project_lists_take_them_too(sigopt_conn, served, clock):
    api = Api(served.service, served.url, served.token)
    client = api.get("/v1/tokens/self").body["client"]
    ids = [
        sigopt_conn.clients(client).experiments().create(name=f"c{i}", parameters=PARAMETERS).id
        for i in range(3)
    ]
    sigopt_conn.experiments(ids[0]).update(name="c0 renamed")
    listed = sigopt_conn.clients(client).experiments().fetch(sort="recent", search="c")
    assert names(listed.data) == ["c0 renamed", "c2", "c1"]
    for i in range(2):
        api.create_experiment(name=f"p{i}", project="proj")
    project = sigopt_conn.clients(client).projects("proj").experiments()
    assert names(project.fetch(ascending=True).data) == ["p0", "p1"]
    assert names(project.fetch(sort="recent", period_start=START + 5).data) == ["p1"]


def test_include_ai_lists_the_ai_experiments_as_ai_experiments(sigopt_conn, served, clock):
    api = Api(served.service, served.url, served.token)
    client = api.get("/v1/tokens/self").body["client"]
    plain = api.create_experiment(name="plain", project="proj")
    ai = api.post(
        f"/v1/clients/{client}/projects/proj/aiexperiments",
        {"name": "ai", "parameters": PARAMETERS, "metrics": [{"name": "m"}]},
    )
    assert ai.status == 201, ai.body
    assert names(sigopt_conn.experiments().fetch().data) == ["plain"]
    assert names(sigopt_conn.experiments().fetch(include_ai=False).data) == ["plain"]
    both = api.get("/v1/experiments", include_ai="true").body
    assert [(x["name"], x["object"]) for x in both["data"]] == [
        ("ai", "aiexperiment"),
        ("plain", "experiment"),
    ]
    assert names(sigopt_conn.experiments().fetch(include_ai=True).data) == ["ai", "plain"]
    in_project = api.get(f"/v1/clients/{client}/projects/proj/experiments", include_ai="True")
    assert [x["id"] for x in in_project.body["data"]] == [ai.body["id"], plain["id"]]


def test_the_project_ai_experiment_list_takes_sort_ascending_search_and_user(
    sigopt_conn, served, clock
):
    """SigOpt's AI-experiment list takes state, search, sort (with ascending) and user;
    not the periods, include_ai or development (refused here, as unknown there)."""
    api = Api(served.service, served.url, served.token)
    me = api.get("/v1/tokens/self").body
    route = f"/v1/clients/{me['client']}/projects/proj/aiexperiments"
    body = {"parameters": PARAMETERS, "metrics": [{"name": "m"}]}
    ids = [api.post(route, {"name": f"a{i}", **body}).body["id"] for i in range(3)]
    assert api.put(f"/v1/aiexperiments/{ids[0]}", {"name": "a0 renamed"}).status == 200
    listing = sigopt_conn.clients(me["client"]).projects("proj").aiexperiments()
    recent = ["a0 renamed", "a2", "a1"]
    assert names(listing.fetch(sort="recent").data) == recent
    assert (
        names(listing.fetch(sort="recent", ascending=True, limit=1).iterate_pages())
        == (recent[::-1])
    )
    assert names(listing.fetch(ascending=True).data) == ["a0 renamed", "a1", "a2"]
    assert names(listing.fetch(search="a1", user=me["user"]).data) == ["a1"]
    before = api.snapshot()
    for field, value in (
        ("period_start", "1"),
        ("include_ai", "true"),
        ("development", "false"),
        ("sort", "name"),
        ("ascending", "yes"),
        ("user", "999999"),
    ):
        reply = api.get(route, **{field: value})
        assert reply.status == 400, (field, reply.body)
        assert reply.body["detail"]["field"] == field
    assert api.snapshot() == before


def test_user_and_development(sigopt_conn, served, clock):
    made(sigopt_conn, 2)
    me = Api(served.service, served.url, served.token).get("/v1/tokens/self").body["user"]
    assert names(sigopt_conn.experiments().fetch(user=me).data) == ["e1", "e0"]
    assert names(sigopt_conn.experiments().fetch(development=False).data) == ["e1", "e0"]
    nothing = sigopt_conn.experiments().fetch(development=True)
    assert nothing.data == [] and nothing.count == 0
    _email, token = served.make_user()
    other = Api(served.service, served.url, token)
    someone = other.get("/v1/tokens/self").body["user"]
    with pytest.raises(ApiException) as refused:
        sigopt_conn.experiments().fetch(user=someone)
    assert refused.value.status_code == 400
    assert "only be your own user id" in str(refused.value)


def test_boolean_query_values_are_read_as_sigopt_reads_them(api: Api):
    """SigOpt's service reads a boolean query parameter as true or false in any case, or
    1 or 0 (``Request.string_to_bool``); ``?ascending=1`` and ``?ascending=TRUE`` were a
    400 here. ``include_runs`` of an AI experiment's archive takes any case, as SigOpt
    lowers it."""
    client = api.get("/v1/tokens/self").body["client"]
    made = [api.create_experiment(name=f"b{i}")["id"] for i in range(3)]
    ai = api.post(
        f"/v1/clients/{client}/projects/p/aiexperiments",
        {"name": "ai", "parameters": PARAMETERS, "metrics": [{"name": "m"}], "budget": 3},
    ).body["id"]
    for value, order in (("1", made), ("TRUE", made), ("0", made[::-1]), ("False", made[::-1])):
        reply = api.get("/v1/experiments", ascending=value)
        assert reply.status == 200, reply.body
        assert [x["id"] for x in reply.body["data"]] == order, value
    for value, listed in (("1", {*made, ai}), ("0", set(made)), ("tRuE", {*made, ai})):
        reply = api.get("/v1/experiments", include_ai=value)
        assert {x["id"] for x in reply.body["data"]} == listed, value
    assert api.get("/v1/experiments", development="1").body["data"] == []
    assert len(api.get("/v1/experiments", development="0").body["data"]) == 3
    run = api.post(f"/v1/aiexperiments/{ai}/training_runs", {"name": "r"}).body
    assert api.delete(f"/v1/aiexperiments/{ai}", include_runs="TRUE").status == 204
    assert api.get(f"/v1/training_runs/{run['id']}").body["deleted"] is True


HOSTILE = [
    ("sort", "name"),
    ("sort", ""),
    ("ascending", "yes"),
    ("ascending", "2"),
    ("ascending", ""),
    ("period_start", str(2**70)),
    ("period_start", "1e308"),
    ("period_start", "true"),
    ("period_start", "-1"),
    ("period_start", ""),
    ("period_end", "1.5"),
    ("user", "999999"),
    ("user", "me"),
    ("user", ""),
    ("include_ai", "yes"),
    ("include_ai", "t"),
    ("development", "yes"),
    ("development", ""),
]


ROUTES = (
    "/v1/experiments",
    "/v1/clients/{c}/experiments",
    "/v1/clients/{c}/projects/p/experiments",
)


@pytest.mark.parametrize(("field", "value"), HOSTILE)
def test_hostile_values_are_a_400_naming_the_field_and_change_nothing(
    api: Api, field: str, value: str
):
    client = api.get("/v1/tokens/self").body["client"]
    api.create_experiment(name="kept", project="p")
    before = api.snapshot()
    for route in ROUTES:
        reply = api.get(route.format(c=client), **{field: value})
        assert reply.status == 400, (route, reply.body)
        assert reply.body["detail"]["field"] == field
    assert api.snapshot() == before


def test_repeated_and_unknown_cursors_are_refused(api: Api):
    first = api.create_experiment(name="a")["id"]
    api.create_experiment(name="b")
    before = api.snapshot()
    repeated = api.get("/v1/experiments", sort=["id", "recent"])
    assert repeated.status == 400 and repeated.body["detail"]["field"] == "sort"
    # under sort=recent a cursor is one of the caller's experiments (the page goes on
    # from where it stands); an id that is no experiment of theirs is refused
    unknown = api.get("/v1/experiments", sort="recent", before="999999")
    assert unknown.status == 400 and unknown.body["detail"]["field"] == "before"
    assert "not one this service gave out" in unknown.body["message"]
    after = api.get("/v1/experiments", sort="recent", after=str(2**62))
    assert after.status == 400 and after.body["detail"]["field"] == "after"
    assert api.get("/v1/experiments", sort="recent", before=first).body["data"] == []
    assert api.snapshot() == before


def test_another_users_experiment_is_no_cursor_under_recent(served):
    mine = Api(served.service, served.url, served.token)
    _email, token = served.make_user()
    theirs = Api(served.service, served.url, token).create_experiment(name="theirs")["id"]
    mine.create_experiment(name="mine")
    reply = mine.get("/v1/experiments", sort="recent", before=theirs)
    assert reply.status == 400 and reply.body["detail"]["field"] == "before"


def test_observations_list_oldest_first_as_sigopt_python_asks(sigopt_conn, our_conn):
    """SigOpt's observation list takes ``sort`` (``id``, its default) and ``ascending``;
    both were a 400 here. Oldest first, sigopt-python's ``iterate_pages()`` walks every
    page; another of SigOpt's orders (``value``...) is a 400 naming ``sort``."""
    e = sigopt_conn.experiments().create(name="obs", parameters=PARAMETERS)
    made = [
        sigopt_conn.experiments(e.id)
        .observations()
        .create(assignments={"x": 1.0, "n": i, "c": "a"}, value=i)
        .id
        for i in range(5)
    ]
    listing = sigopt_conn.experiments(e.id).observations()
    assert [o.id for o in listing.fetch().iterate_pages()] == made[::-1]
    assert [o.id for o in listing.fetch(ascending=True, limit=2).iterate_pages()] == made
    assert [o.id for o in listing.fetch(sort="id", ascending=False, limit=2).iterate_pages()] == (
        made[::-1]
    )
    ours = our_conn.experiments(e.id).observations.list(ascending=True, limit=2)
    assert [o.id for o in ours] == made
    with pytest.raises(ApiException) as refused:
        listing.fetch(sort="value")
    assert refused.value.status_code == 400 and "Invalid sort" in str(refused.value)


def test_checkpoints_and_runs_lists_take_sigopts_order_and_search(api: Api):
    """SigOpt's checkpoint list takes ``ascending``, its run list ``sort`` (``id``),
    ``ascending`` and ``search`` (in the runs' names, any case); each was a 400 here."""
    client = api.get("/v1/tokens/self").body["client"]
    base = f"/v1/clients/{client}/projects/p/training_runs"
    runs = [api.post(base, {"name": name}).body["id"] for name in ("Alpha", "beta", "ALPHABET")]
    assert [r["id"] for r in api.get(base, ascending="true").body["data"]] == runs
    assert [r["id"] for r in api.get(base, sort="id").body["data"]] == runs[::-1]
    found = api.get(base, search=" alpha ", ascending="1").body
    assert [r["id"] for r in found["data"]] == [runs[0], runs[2]] and found["count"] == 2
    assert api.get(base, search="zeta").body["data"] == []
    refused = api.get(base, sort="created")
    assert refused.status == 400 and refused.body["detail"]["field"] == "sort"
    checkpoints = f"/v1/training_runs/{runs[0]}/checkpoints"
    made = [
        api.post(checkpoints, {"values": [{"name": "m", "value": v}]}).body["id"] for v in (1, 2, 3)
    ]
    assert [c["id"] for c in api.get(checkpoints).body["data"]] == made[::-1]
    oldest = api.get(checkpoints, ascending="True", limit="2").body
    assert [c["id"] for c in oldest["data"]] == made[:2]
    rest = api.get(checkpoints, ascending="True", before=oldest["paging"]["before"]).body
    assert [c["id"] for c in rest["data"]] == made[2:]


def test_search_reads_names_in_any_case_as_sigopt_does(served_on_either):
    """SigOpt's ``search`` is lowered, stripped and matched with ``ilike``: ``search=
    " franke "`` finds "Franke Optimization". Here it was matched as given (no experiment
    for the spaces; on PostgreSQL none for another case either). Runs search the same."""
    served = served_on_either
    api = Api(served.service, served.url, served.token)
    client = api.get("/v1/tokens/self").body["client"]
    franke = api.create_experiment(name="Franke Optimization", project="p")["id"]
    api.create_experiment(name="other", project="p")
    for route in ("/v1/experiments", f"/v1/clients/{client}/projects/p/experiments"):
        for text in ("franke", " FRANKE ", "Optimization"):
            found = api.get(route, search=text).body["data"]
            assert [e["id"] for e in found] == [franke], (route, text)
    runs = f"/v1/clients/{client}/projects/p/training_runs"
    made = api.post(runs, {"name": "Ünïcode Run"}).body["id"]
    assert [r["id"] for r in api.get(runs, search=" RUN").body["data"]] == [made]


def test_a_search_longer_than_any_name_is_a_400_naming_it(served_on_either):
    """Before: a ``search`` of 100,000 characters was a 500 on SQLite ("LIKE or GLOB
    pattern too complex"); no name is longer than 500 characters, so it could find
    nothing. One of 500 is still a search."""
    served = served_on_either
    api = Api(served.service, served.url, served.token)
    client = api.get("/v1/tokens/self").body["client"]
    api.create_experiment(name="n" * 500, project="p")
    runs = f"/v1/clients/{client}/projects/p/training_runs"
    for route in ("/v1/experiments", f"/v1/clients/{client}/projects/p/experiments", runs):
        refused = api.get(route, search="x" * 5_000)  # a URL over 8 KB is a 414
        assert refused.status == 400 and refused.body["detail"]["field"] == "search", route
        assert "no name here is longer than 500" in refused.body["message"]
    assert len(api.get("/v1/experiments", search="N" * 500).body["data"]) == 1
