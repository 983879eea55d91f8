"""/v1/experiments/{id}/suggestions over the embedded and the served service."""

from __future__ import annotations

import concurrent.futures
import threading

import pytest
import requests

from .conftest import Api


def feasible(assignments: dict) -> bool:
    x, n, c = assignments["x"], assignments["n"], assignments["c"]
    return (
        set(assignments) == {"x", "n", "c"}
        and isinstance(x, float)
        and -5 <= x <= 10
        and isinstance(n, int)
        and 0 <= n <= 15
        and c in ("a", "b", "c")
    )


def test_create_fetch_list_delete(api: Api):
    e = api.create_experiment()
    base = f"/v1/experiments/{e['id']}/suggestions"
    reply = api.post(base)
    assert reply.status == 201
    s = reply.body
    assert s["object"] == "suggestion" and s["state"] == "open" and s["deleted"] is False
    assert s["experiment"] == e["id"] and s["id"].isdigit() and isinstance(s["created"], int)
    assert feasible(s["assignments"])
    assert api.get(f"{base}/{s['id']}").body == s
    t = api.post(base, {"metadata": {"worker": "w1"}}).body
    assert t["metadata"] == {"worker": "w1"}
    assert api.put(f"{base}/{t['id']}", {"metadata": {"worker": "w2"}}).body["metadata"] == {
        "worker": "w2"
    }
    api.post(f"/v1/experiments/{e['id']}/observations", {"suggestion": s["id"], "value": 1})
    assert api.get(f"{base}/{s['id']}").body["state"] == "closed"
    assert [x["id"] for x in api.get(base, state="open").body["data"]] == [t["id"]]
    assert [x["id"] for x in api.get(base, state="closed").body["data"]] == [s["id"]]
    assert [x["id"] for x in api.get(base).body["data"]] == [t["id"], s["id"]]
    assert api.delete(f"{base}/{t['id']}").status == 204
    assert api.get(f"{base}/{t['id']}").body["deleted"] is True
    assert api.get(base, state="open").body["count"] == 0
    assert api.get(f"{base}/12345").status == 404
    assert api.get(base, state="maybe").status == 400


def test_delete_open_suggestions_only(api: Api):
    e = api.create_experiment(parallel_bandwidth=4)
    base = f"/v1/experiments/{e['id']}/suggestions"
    done = api.post(base).body
    api.post(f"/v1/experiments/{e['id']}/observations", {"suggestion": done["id"], "value": 2})
    for _ in range(3):
        api.post(base)
    assert api.get(base, state="open").body["count"] == 3
    assert api.delete(base, state="open").status == 204
    assert api.get(base, state="open").body["count"] == 0
    assert [x["id"] for x in api.get(base).body["data"]] == [done["id"]]
    assert api.delete(base).status == 204
    assert api.get(base).body["count"] == 0


def test_many_suggestions_are_feasible_and_open_ones_differ(api: Api):
    e = api.create_experiment(parallel_bandwidth=5)
    base = f"/v1/experiments/{e['id']}"
    for round_ in range(12):
        opened = [api.post(f"{base}/suggestions").body for _ in range(3)]
        points = [tuple(sorted(s["assignments"].items())) for s in opened]
        assert len(set(points)) == 3
        for s in opened:
            assert feasible(s["assignments"]), s
            a = s["assignments"]
            value = -((a["x"] - 2) ** 2) - (a["n"] - 4) ** 2 + (a["c"] == "b")
            api.post(f"{base}/observations", {"suggestion": s["id"], "value": value})
        assert round_ >= 0
    assert api.get(f"{base}/suggestions", state="open").body["count"] == 0


def test_small_discrete_space_open_suggestions_differ(api: Api):
    params = [
        {"name": "n", "type": "int", "bounds": {"min": 1, "max": 2}},
        {"name": "c", "type": "categorical", "categorical_values": ["a", "b"]},
    ]
    e = api.create_experiment(parameters=params, parallel_bandwidth=4)
    opened = [api.post(f"/v1/experiments/{e['id']}/suggestions").body for _ in range(4)]
    assert len({tuple(sorted(s["assignments"].items())) for s in opened}) == 4


def test_a_spent_grid_says_what_to_do(api: Api):
    """The 409 of a grid with no point left said "raise no more suggestions"; it now says
    what a person does: ask for no more, or delete open ones. Nothing is stored."""
    e = api.create_experiment(
        type="grid", parameters=[{"name": "n", "type": "int", "bounds": {"min": 1, "max": 2}}]
    )
    base = f"/v1/experiments/{e['id']}/suggestions"
    assert [api.post(base).status for _ in range(2)] == [201, 201]
    before = api.snapshot()
    spent = api.post(base)
    assert spent.status == 409 and spent.body["detail"]["field"] == "experiment", spent.body
    assert "ask for no more suggestions" in spent.body["message"]
    assert "delete open ones" in spent.body["message"]
    assert api.snapshot() == before


SIMPLEX = {
    "parameters": [{"name": n, "type": "int", "bounds": {"min": 0, "max": 20}} for n in "abcd"],
    "linear_constraints": [
        {"type": "less_than", "threshold": 4, "terms": [{"name": n, "weight": 1} for n in "abcd"]}
    ],
}
"""21**4 = 194,481 points in the box, more than the engine walks; 70 satisfy the constraint."""


def test_a_large_box_that_constraints_cut_small_is_searched_to_its_last_point(api: Api):
    """Whether a discrete space could be walked was judged on its box, before its linear
    constraints: ints a..d over 0..20 with a+b+c+d <= 4 (70 points) were only drawn at
    random, and the draws reach few of them, so a random search repeated observed points
    after about 20 of the 70 (50 repeats in 75 suggestions), and a grid search of it was
    refused ("the grid has 194481 points"). The constrained points are now enumerated:
    the random search tries all 70 before any repeat, and the grid search takes them as
    its budget, walks them all, then answers 409."""
    e = api.create_experiment(type="random", **SIMPLEX)
    base = f"/v1/experiments/{e['id']}"
    seen = set()
    for _ in range(70):
        s = api.post(f"{base}/suggestions").body
        seen.add(tuple(sorted(s["assignments"].items())))
        reply = api.post(f"{base}/observations", {"suggestion": s["id"], "value": 1.0})
        assert reply.status == 201, reply.body
    assert len(seen) == 70
    grid = api.post("/v1/experiments", {"name": "g", "type": "grid", **SIMPLEX})
    assert grid.status == 201, grid.body
    assert grid.body["observation_budget"] == 70
    points = [api.post(f"/v1/experiments/{grid.body['id']}/suggestions") for _ in range(71)]
    assert [r.status for r in points] == [201] * 70 + [409]
    assert len({tuple(sorted(r.body["assignments"].items())) for r in points[:70]}) == 70
    loose = {
        **SIMPLEX,
        "linear_constraints": [{**SIMPLEX["linear_constraints"][0], "threshold": 60}],
    }
    refused = api.post("/v1/experiments", {"name": "g", "type": "grid", **loose})
    assert refused.status == 422 and refused.body["detail"]["field"] == "type", refused.body
    assert "before its linear constraints" in refused.body["message"]


def test_a_constrained_space_of_huge_ints_is_searched_to_its_last_point(api: Api):
    """Ints a, b over 0..2**62 with a+b <= 5 hold 21 points. The walk over them took its
    rounding slack from the bounds (1e-9 of 2**63: about 9e9), so it saw billions of
    points and gave up; random draws then missed some of the 21 (the corners, where
    rounding inside the polytope never lands), and the search repeated observed points
    first. The walk's slack is now the rules' (relative to the threshold)."""
    e = api.create_experiment(
        type="random",
        parameters=[{"name": n, "type": "int", "bounds": {"min": 0, "max": 2**62}} for n in "ab"],
        linear_constraints=[
            {"type": "less_than", "threshold": 5, "terms": [{"name": n, "weight": 1} for n in "ab"]}
        ],
    )
    base = f"/v1/experiments/{e['id']}"
    seen = set()
    for _ in range(21):
        s = api.post(f"{base}/suggestions").body
        seen.add((s["assignments"]["a"], s["assignments"]["b"]))
        assert api.post(f"{base}/observations", {"suggestion": s["id"], "value": 1.0}).status == 201
    assert seen == {(a, b) for a in range(6) for b in range(6) if a + b <= 5}


def test_manual_suggestion_with_assignments(api: Api):
    e = api.create_experiment()
    base = f"/v1/experiments/{e['id']}/suggestions"
    s = api.post(base, {"assignments": {"x": 1, "n": 2, "c": "c"}}).body
    assert s["assignments"] == {"x": 1.0, "n": 2, "c": "c"}
    before = api.snapshot()
    reply = api.post(base, {"assignments": {"x": 1, "n": 2, "c": "nope"}})
    assert reply.status == 422 and reply.body["detail"]["field"] == "assignments.c"
    reply = api.post(base, {"metadata": "text"})
    assert reply.status == 400 and reply.body["detail"]["field"] == "metadata"
    assert api.snapshot() == before


def test_random_experiment_type_suggests_feasibly(api: Api):
    e = api.create_experiment(type="random")
    assert e["type"] == "random"
    for _ in range(5):
        s = api.post(f"/v1/experiments/{e['id']}/suggestions").body
        assert feasible(s["assignments"])


def test_concurrent_suggestions_differ(served):
    api = Api(served.service, served.url, served.token)
    e = api.create_experiment(parallel_bandwidth=8)
    url = f"{served.url}/v1/experiments/{e['id']}/suggestions"

    def create(_):
        reply = requests.post(url, json={}, auth=(served.token, ""), timeout=60)
        assert reply.status_code == 201, reply.text
        return tuple(sorted(reply.json()["assignments"].items()))

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        points = list(pool.map(create, range(8)))
    assert len(set(points)) == 8


def test_seeded_experiments_suggest_reproducibly(tmp_path):
    from sigopt_like.service import create_app

    runs = []
    for i in range(2):
        # a budget the engine never meets here: every point is the optimizer's, not a fallback
        with create_app(
            database=str(tmp_path / f"run{i}.db"), suggestion_time_budget_seconds=120.0
        ) as service:
            api = Api(service)
            e = api.create_experiment(seed=7)
            points = []
            for _ in range(6):
                s = api.post(f"/v1/experiments/{e['id']}/suggestions").body
                a = s["assignments"]
                points.append(a)
                value = -((a["x"] - 2) ** 2) - (a["n"] - 4) ** 2
                api.post(
                    f"/v1/experiments/{e['id']}/observations",
                    {"suggestion": s["id"], "value": value},
                )
            runs.append(points)
            text = service.context.metrics.render().decode()
            assert 'sigopt_like_suggestion_choices_total{source="optimizer"} 6.0' in text
    assert runs[0] == runs[1]


def test_a_seeded_experiment_suggests_the_same_on_a_loaded_machine(tmp_path):
    """One seed and one history give one suggestion whatever the time budget affords: a
    budget of 0 s (a machine too loaded for any fit) served the random fallback, or the
    model with fewer fit restarts, where an idle machine served the model's point."""
    from sigopt_like.service import create_app

    runs = []
    for i, budget in enumerate([120.0, 0.0]):
        with create_app(
            database=str(tmp_path / f"run{i}.db"), suggestion_time_budget_seconds=budget
        ) as service:
            api = Api(service)
            e = api.create_experiment(seed=11)
            for k in range(14):  # past the space-filling start: the models' points
                a = {"x": -5 + 15 * ((k * 7) % 14) / 13, "n": k % 10, "c": "abc"[k % 3]}
                value = -((a["x"] - 2) ** 2) - (a["n"] - 4) ** 2
                reply = api.post(
                    f"/v1/experiments/{e['id']}/observations", {"assignments": a, "value": value}
                )
                assert reply.status == 201, reply.body
            points = []
            for _ in range(3):
                s = api.post(f"/v1/experiments/{e['id']}/suggestions").body
                points.append(s["assignments"])
                api.post(
                    f"/v1/experiments/{e['id']}/observations",
                    {"suggestion": s["id"], "value": -((s["assignments"]["x"] - 2) ** 2)},
                )
            runs.append(points)
            text = service.context.metrics.render().decode()
            assert 'sigopt_like_suggestion_choices_total{source="optimizer"} 3.0' in text
    assert runs[0] == runs[1]


@pytest.mark.parametrize("kind", ["grid", "random"])
def test_a_walk_past_300_observations_repeats_no_point(api: Api, kind: str):
    """A grid (or random) search never repeats a point while one is left: it read only
    the latest 300 observations, so a 310-point grid suggested again points observed
    before those (and some points never). Every point once, then the grid's 409."""
    e = api.create_experiment(
        type=kind,
        parameters=[
            {"name": "a", "type": "int", "bounds": {"min": 1, "max": 31}},
            {"name": "b", "type": "int", "bounds": {"min": 1, "max": 10}},
        ],
        observation_budget=310,
        seed=3,
    )
    base = f"/v1/experiments/{e['id']}"
    seen = []
    for _ in range(310):
        s = api.post(f"{base}/suggestions")
        assert s.status == 201, s.body
        seen.append((s.body["assignments"]["a"], s.body["assignments"]["b"]))
        o = api.post(f"{base}/observations", {"suggestion": s.body["id"], "value": 1.0})
        assert o.status == 201, o.body
    assert len(set(seen)) == 310
    if kind == "grid":
        assert api.post(f"{base}/suggestions").status == 409


#: x + y <= 1 over two unit doubles (and an int beside them, unconstrained)
CONSTRAINED = {
    "parameters": [
        {"name": "x", "type": "double", "bounds": {"min": 0, "max": 1}},
        {"name": "y", "type": "double", "bounds": {"min": 0, "max": 1}},
        {"name": "k", "type": "int", "bounds": {"min": 0, "max": 3}},
    ],
    "linear_constraints": [
        {
            "type": "less_than",
            "threshold": 1,
            "terms": [{"name": "x", "weight": 1}, {"name": "y", "weight": 1}],
        }
    ],
}


@pytest.mark.parametrize("route", ["suggestions", "queued_suggestions"])
def test_given_assignments_must_satisfy_the_linear_constraints(api: Api, route: str):
    """A suggestion or a queued suggestion of the caller's that breaks a linear constraint
    is refused, naming the constraint, as SigOpt's service refuses it
    (``validate_assignments_map``); it used to be stored and served."""
    e = api.create_experiment(**CONSTRAINED)
    base = f"/v1/experiments/{e['id']}/{route}"
    before = api.snapshot()
    reply = api.post(base, {"assignments": {"x": 0.75, "y": 0.5, "k": 1}})
    assert reply.status == 422, reply.body
    assert reply.body["detail"]["field"] == "assignments"
    assert "linear_constraints[0] (x + y <= 1)" in reply.body["message"]
    assert "1.25" in reply.body["message"]
    assert api.snapshot() == before
    # on the boundary, up to the last digits' rounding (0.1 + 0.9 is not exactly 1)
    edge = api.post(base, {"assignments": {"x": 0.1, "y": 0.9, "k": 1}})
    assert edge.status == 201, edge.body
    assert edge.body["assignments"] == {"x": 0.1, "y": 0.9, "k": 1}


def test_the_list_takes_sigopts_deleted_and_id(api: Api):
    """SigOpt's suggestion list takes ``deleted`` (true: only the deleted suggestions) and
    ``id`` (comma-separated ids; blank: none); both were a 400 here."""
    e = api.create_experiment()
    base = f"/v1/experiments/{e['id']}/suggestions"
    made = [api.post(base).body["id"] for _ in range(4)]
    assert api.delete(f"{base}/{made[1]}").status == 204

    def listed(**query: str) -> list[str]:
        reply = api.get(base, **query)
        assert reply.status == 200, reply.body
        return [s["id"] for s in reply.body["data"]]

    assert listed() == [made[3], made[2], made[0]]
    assert listed(deleted="true") == [made[1]]
    assert listed(deleted="0") == listed()
    assert listed(id=f"{made[0]},{made[3]}") == [made[3], made[0]]
    assert listed(id=f"{made[1]}", deleted="1") == [made[1]]
    assert listed(id=f"{made[1]}") == [] and listed(id="") == []
    assert listed(id=f"{made[2]},{2**40}") == [made[2]]
    for query in ({"id": "1,x"}, {"deleted": "yes"}):
        reply = api.get(base, **query)
        assert reply.status == 400 and reply.body["detail"]["field"] == next(iter(query))


def test_a_point_suggested_and_observed_during_a_request_is_not_suggested_again(
    service, engine_time, monkeypatch: pytest.MonkeyPatch
):
    """Two requests that read the same history get the same seed, so the engine gives them
    the same point. The second was checked against the open suggestions only: when the
    first's suggestion was observed before the second was stored, the point was suggested
    twice (found running sigopt-python's examples/parallel.py with two workers). The
    suggestions made since its inputs were read now count as taken too. Within one process
    the two requests would share one engine call; two processes on one database (two
    services here) each choose for their own."""
    import threading

    from sigopt_like.service import create_app
    from sigopt_like.service.optimizer import sequential

    real = sequential.suggest_next
    held, entered = threading.Event(), threading.Event()
    calls = []

    def first_call_waits(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            entered.set()
            assert held.wait(60)
        return real(*args, **kwargs)

    monkeypatch.setattr(sequential, "suggest_next", first_call_waits)
    api = Api(service)
    e = api.create_experiment()
    base = f"/v1/experiments/{e['id']}"
    replies = []
    slow = threading.Thread(target=lambda: replies.append(api.post(f"{base}/suggestions")))
    slow.start()
    with create_app(database=service.settings.database, task_processes=0) as other_process:
        other = Api(other_process)
        try:
            assert entered.wait(60)
            fast = other.post(f"{base}/suggestions").body
            observed = other.post(f"{base}/observations", {"suggestion": fast["id"], "value": 1})
            assert observed.status == 201, observed.body
        finally:
            held.set()
            slow.join(60)
    (second,) = replies
    assert second.status == 201, second.body
    assert second.body["assignments"] != fast["assignments"]


def test_a_lone_suggestion_request_reads_the_store_once(service):
    """A lone request read the experiment and its count of suggestions twice: once to
    check the request, once more as its batch's leader (the engine's inputs). Its own
    read now serves the batch it leads: one read transaction, then the write."""
    import sqlalchemy as sa

    api = Api(service)
    e = api.create_experiment()
    base = f"/v1/experiments/{e['id']}"
    for value in range(3):
        made = api.post(f"{base}/suggestions").body
        api.post(f"{base}/observations", {"suggestion": made["id"], "value": value})
    engine = service.context.store.database.engine
    transactions: list[str] = []
    counts: list[str] = []
    # the embedded call runs in this thread; the service's own threads (its task
    # threads, its heartbeat) may open a transaction meanwhile, which is not this
    # request's: under load one was counted (3, not 2)
    caller = threading.get_ident()

    def began(conn) -> None:
        if threading.get_ident() == caller:
            transactions.append("begin")

    def seen(conn, cursor, statement, *args) -> None:
        if threading.get_ident() != caller:
            return
        if statement.lstrip().upper().startswith("SELECT COUNT(*)") and "suggestions" in statement:
            counts.append(statement)

    sa.event.listen(engine, "begin", began)
    sa.event.listen(engine, "before_cursor_execute", seen)
    try:
        reply = api.post(f"{base}/suggestions")
    finally:
        sa.event.remove(engine, "begin", began)
        sa.event.remove(engine, "before_cursor_execute", seen)
    assert reply.status == 201, reply.body
    assert len(transactions) == 2  # the read, the write
    assert len(counts) == 2  # once in each
    # a second lone request reads afresh: the first's suggestion is open
    again = api.post(f"{base}/suggestions").body
    assert again["assignments"] != reply.body["assignments"]


def test_a_walks_write_reads_the_observations_assignments_only(service):
    """A random search's write checks its point against every observation: it read each
    one whole (values, metadata) where the check needs the assignments; the whole rows
    are read only when the point clashes."""
    import sqlalchemy as sa

    api = Api(service)
    e = api.create_experiment(type="random")
    base = f"/v1/experiments/{e['id']}"
    items = [
        {"assignments": {"x": k / 4, "n": k % 15, "c": "a"}, "value": k, "metadata": {"k": k}}
        for k in range(10)
    ]
    assert api.post(f"{base}/observations/batch", {"observations": items}).status == 201
    engine = service.context.store.database.engine
    writing: list[bool] = []
    whole_reads: list[tuple[bool, str]] = []

    def began(conn) -> None:
        writing.append(len(writing) > 0)  # the request's first transaction reads, then writes

    def seen(conn, cursor, statement, *args) -> None:
        if statement.lstrip().upper().startswith("SELECT") and "observations.metadata" in statement:
            whole_reads.append((writing[-1], statement))

    sa.event.listen(engine, "begin", began)
    sa.event.listen(engine, "before_cursor_execute", seen)
    try:
        reply = api.post(f"{base}/suggestions")
    finally:
        sa.event.remove(engine, "begin", began)
        sa.event.remove(engine, "before_cursor_execute", seen)
    assert reply.status == 201, reply.body
    assert writing == [False, True]  # the read (the engine's inputs), the write
    assert [in_write for in_write, _ in whole_reads] == [False]  # the inputs only
    observed = [o["assignments"] for o in api.get(f"{base}/observations", limit=100).body["data"]]
    assert reply.body["assignments"] not in observed


def _observed_seeded(api: Api, seed: int) -> str:
    """A seeded experiment past its space-filling start; its suggestions' path."""
    e = api.create_experiment(seed=seed)
    for k in range(14):
        a = {"x": -5 + 15 * ((k * 7) % 14) / 13, "n": k % 10, "c": "abc"[k % 3]}
        value = -((a["x"] - 2) ** 2) - (a["n"] - 4) ** 2
        reply = api.post(
            f"/v1/experiments/{e['id']}/observations", {"assignments": a, "value": value}
        )
        assert reply.status == 201, reply.body
    return f"/v1/experiments/{e['id']}/suggestions"


def test_a_seeded_request_past_its_ceiling_is_a_503_and_its_retry_gets_the_engines_point(
    tmp_path,
):
    """A seeded experiment's suggestion has no time budget, and its request had no
    ceiling either: a slow engine held it until the client's own timeout, and its retry
    waited again from scratch. Past ``seeded_suggestion_ceiling_seconds`` it is a 503
    that says why, with Retry-After, nothing stored; the engine goes on, and the retry is
    served its point: the one an unhurried service serves (never a random one)."""
    import time

    from sigopt_like.service import create_app

    points = []
    for i, ceiling in enumerate([120.0, 0.0]):
        with create_app(
            database=str(tmp_path / f"run{i}.db"), seeded_suggestion_ceiling_seconds=ceiling
        ) as service:
            api = Api(service)
            base = _observed_seeded(api, 11)
            reply = api.post(base)
            if ceiling == 0.0:
                assert reply.status == 503, reply.body
                assert reply.body["code"] == "suggestion_in_progress"
                message = reply.body["message"]
                assert "longer than 0 s for this seeded experiment" in message, message
                assert "retry in 5 s" in message and "never served a random point" in message
                assert reply.headers["Retry-After"] == "5"
                assert api.get(base).body["count"] == 0  # nothing stored
                retries = 0
                deadline = time.monotonic() + 120
                while reply.status == 503 and time.monotonic() < deadline:
                    time.sleep(0.1)
                    reply = api.post(base)
                    retries += 1
                assert service.context.engine_runs.under_way() == 0  # served, forgotten
            assert reply.status == 201, reply.body
            points.append(reply.body["assignments"])
            text = service.context.metrics.render().decode()
            assert 'sigopt_like_suggestion_choices_total{source="optimizer"} 1.0' in text
    assert points[0] == points[1]


def test_the_seeded_ceiling_is_below_the_clients_timeouts():
    """sigopt-python waits 150 s for an answer (``DEFAULT_HTTP_TIMEOUT``; it retries only
    a 429), this package's client 60 s: both read the 503's message rather than time out."""
    from sigopt.request_driver import DEFAULT_HTTP_TIMEOUT

    from sigopt_like._constants import DEFAULT_TIMEOUT
    from sigopt_like.service.settings import ServiceSettings

    ceiling = ServiceSettings().seeded_suggestion_ceiling_seconds
    assert 0 < ceiling < DEFAULT_TIMEOUT[1] <= DEFAULT_HTTP_TIMEOUT


def test_clients_read_the_seeded_ceilings_503_and_ours_retries_it(tmp_path):
    """Past the ceiling, sigopt-python (which retries only a 429) raises its
    ApiException with the 503's status and message, not a timeout of its own; this
    package's client retries after Retry-After and gets the engine's point."""
    import sigopt

    from sigopt_like import Connection
    from tests.fixtures.servers import serve_in_thread

    served = serve_in_thread(tmp_path, seeded_suggestion_ceiling_seconds=0.0)
    try:
        base = _observed_seeded(Api(served.service, served.url, served.token), 11)
        eid = base.split("/")[3]
        official = sigopt.Connection(client_token=served.token)
        official.set_api_url(served.url)
        with pytest.raises(sigopt.exception.ApiException) as caught:
            official.experiments(eid).suggestions().create()
        assert caught.value.status_code == 503
        assert "for this seeded experiment" in str(caught.value)
        ours = Connection(host=served.url, token=served.token)
        point = ours.experiments(eid).suggestions().create()
        assert point.assignments
    finally:
        served.close()
