"""Multitask experiments (``tasks``), as SigOpt's: the official sigopt-python client
against a served instance, and the API of both services (embedded and served)."""

from __future__ import annotations

from typing import Any

import pytest

from sigopt_like.service.domain import sigopt_tasks

from .conftest import Api

sigopt = pytest.importorskip("sigopt")
from sigopt.exception import ApiException  # noqa: E402

X = {"name": "x", "type": "double", "bounds": {"min": 0.0, "max": 1.0}}
TASKS = [{"name": "cheap", "cost": 0.1}, {"name": "full", "cost": 1}, {"name": "mid", "cost": 0.5}]
BUDGET = 10
#: a cheap task's value looks better than any full one: only full ones may be best
BONUS = {"cheap": 100.0, "mid": 50.0, "full": 0.0}


def value(x: float, task: str) -> float:
    return -((x - 0.3) ** 2) + BONUS[task]


@pytest.fixture
def sigopt_conn(served):
    connection = sigopt.Connection(client_token=served.token)
    connection.set_api_url(served.url)
    return connection


def test_a_multitask_loop_with_sigopt_python(sigopt_conn):
    conn = sigopt_conn
    e = conn.experiments().create(
        name="multitask",
        parameters=[X],
        metrics=[{"name": "v", "objective": "maximize"}],
        observation_budget=BUDGET,
        tasks=TASKS,
        seed=7,
    )
    assert [(t.name, t.cost) for t in e.tasks] == [("full", 1.0), ("mid", 0.5), ("cheap", 0.1)]
    assert all(isinstance(t, sigopt.objects.Task) for t in e.tasks)
    seen: list[tuple[str, float, float]] = []
    spent = 0.0
    while spent < BUDGET:
        s = conn.experiments(e.id).suggestions().create()
        assert isinstance(s.task, sigopt.objects.Task)
        cost = {t["name"]: float(t["cost"]) for t in TASKS}[s.task.name]
        assert s.task.cost == cost
        v = value(s.assignments["x"], s.task.name)
        o = conn.experiments(e.id).observations().create(suggestion=s.id, value=v)
        assert o.task.name == s.task.name and o.task.cost == cost  # the suggestion's task
        seen.append((s.task.name, s.assignments["x"], v))
        spent += cost
    tasks_seen = [t for t, _, _ in seen]
    assert "full" in tasks_seen
    fetched = conn.experiments(e.id).fetch()
    assert fetched.progress.observation_count == len(seen)
    assert fetched.progress.observation_budget_consumed == pytest.approx(spent)
    fulls = [v for t, _, v in seen if t == "full"]
    (top,) = list(conn.experiments(e.id).best_assignments().fetch().iterate_pages())
    assert top.value == pytest.approx(max(fulls))  # the cheap ones (+100) do not count
    assert top.to_json()["task"] == "full"  # SigOpt's BestAssignments: the task's name
    assert fetched.progress.best_observation.task.name == "full"
    # by hand: assignments and a task, by name or as an object
    manual = (
        conn.experiments(e.id)
        .observations()
        .create(assignments={"x": 0.3}, value=1.0, task={"name": "mid"})
    )
    assert manual.task.name == "mid" and manual.task.cost == 0.5
    with pytest.raises(ApiException) as caught:
        conn.experiments(e.id).observations().create(assignments={"x": 0.3}, value=1.0)
    assert caught.value.status_code == 422
    assert caught.value.to_json()["detail"]["field"] == "task"


COST = {t["name"]: float(t["cost"]) for t in TASKS}


def test_our_client_sends_and_reads_tasks(conn):
    """sigopt_like's own client (embedded and served): task= on observations,
    suggestions and queued suggestions; tasks on the experiment."""
    e = conn.experiments.create(
        name="mt", parameters=[X], observation_budget=BUDGET, tasks=TASKS, seed=5
    )
    assert [t["name"] for t in e.tasks] == ["full", "mid", "cheap"]
    s = conn.experiments(e.id).suggest()
    assert s.task["name"] in COST
    o = conn.experiments(e.id).report(suggestion=s.id, value=1.0)
    assert o.task == s.task
    mine = conn.experiments(e.id).observations.create(assignments={"x": 0.2}, value=2.0, task="mid")
    assert mine.task["name"] == "mid"
    by_hand = conn.experiments(e.id).suggestions.create(assignments={"x": 0.4}, task="cheap")
    assert by_hand.task == {"object": "task", "name": "cheap", "cost": 0.1}
    q = conn.experiments(e.id).queued_suggestions.create(assignments={"x": 0.6}, task="full")
    assert q.task["name"] == "full"
    assert conn.experiments(e.id).suggest().task["name"] == "full"
    assert conn.experiments(e.id).fetch().progress.observation_budget_consumed == pytest.approx(
        COST[s.task["name"]] + 0.5
    )
    conn.experiments(e.id).observations.create(assignments={"x": 0.7}, value=0.0, task="full")
    (top,) = conn.experiments(e.id).best_assignments.fetch()
    assert top.task == "full" and top.assignments == {"x": 0.7}


def test_best_assignments_name_their_task_in_a_multitask_experiment_only(api: Api):
    e = api.create_experiment(parameters=[X], observation_budget=BUDGET, tasks=TASKS)
    plain = api.create_experiment(parameters=[X])
    for made, task in ((e, "full"), (plain, None)):
        body = {"assignments": {"x": 0.5}, "value": 1.0, "task": task}
        assert api.post(f"/v1/experiments/{made['id']}/observations", body).status == 201
    (top,) = api.get(f"/v1/experiments/{e['id']}/best_assignments").body["data"]
    assert top["task"] == "full", top
    (other,) = api.get(f"/v1/experiments/{plain['id']}/best_assignments").body["data"]
    assert "task" not in other, other  # as SigOpt, which hides it there


def _suggested_tasks(api: Api, seed: int, observe: bool = True) -> list[str]:
    e = api.create_experiment(parameters=[X], observation_budget=BUDGET, tasks=TASKS, seed=seed)
    base = f"/v1/experiments/{e['id']}"
    names = []
    for _ in range(30):
        s = api.post(f"{base}/suggestions").body
        names.append(s["task"]["name"])
        if observe:
            reply = api.post(f"{base}/observations", {"suggestion": s["id"], "value": 1.0})
            assert reply.status == 201, reply.body
    return names


def test_the_tasks_follow_the_seed_not_the_budget(api: Api):
    """SigOpt draws a task without reading the budget spent or the open suggestions:
    every task while nothing is spent (open suggestions only), and cheaper tasks still
    once the budget is spent (30 observations of at least 0.1 against a budget of 10)."""
    first = _suggested_tasks(api, 11)
    assert first == _suggested_tasks(api, 11)  # the same seed, the same tasks
    assert first != _suggested_tasks(api, 12)
    spent = [sum(COST[t] for t in first[:i]) for i in range(len(first))]
    assert {t for t, before in zip(first, spent, strict=True) if before >= BUDGET} > {"full"}
    assert set(_suggested_tasks(api, 11, observe=False)) == set(COST)


@pytest.mark.parametrize(
    ("model_based", "expected"),
    [
        (False, {"cheap": 1 / 3, "mid": 1 / 3, "full": 1 / 3}),
        (True, {"cheap": 0.4815, "mid": 0.3228, "full": 0.1958}),
    ],
)
def test_the_task_draw_is_sigopts(model_based: bool, expected: dict[str, float]):
    """Each task as likely while suggestions are random; then weights exp(-cost)."""
    draws = [sigopt_tasks.next_task(TASKS, model_based, seed) for seed in range(6000)]
    for name, share in expected.items():
        assert draws.count(name) / len(draws) == pytest.approx(share, abs=0.025), name


def test_the_model_weighs_the_tasks_after_three_successes(api: Api):
    """Suggestions draw each task as likely until 3 observations succeeded (failures do
    not count), then with SigOpt's weights; the draw is seeded by the experiment's seed
    and the number of suggestions made before."""
    e = api.create_experiment(parameters=[X], observation_budget=BUDGET, tasks=TASKS, seed=3)
    base = f"/v1/experiments/{e['id']}"
    made = 0

    def observe(x: float, failed: bool) -> None:
        body = {"assignments": {"x": x}, "task": "full", "failed": failed}
        reply = api.post(f"{base}/observations", body if failed else {**body, "value": x})
        assert reply.status == 201, reply.body

    def drawn(count: int, model_based: bool) -> None:
        nonlocal made
        got = [api.post(f"{base}/suggestions").body["task"]["name"] for _ in range(count)]
        seeds = [(3 * 1_000_003 + made + i) % 2**63 for i in range(count)]
        assert got == [sigopt_tasks.next_task(TASKS, model_based, seed) for seed in seeds]
        assert got != [sigopt_tasks.next_task(TASKS, not model_based, seed) for seed in seeds]
        made += count

    for x, failed in ((0.1, True), (0.2, False), (0.3, True), (0.4, False)):
        observe(x, failed)
    drawn(8, model_based=False)
    observe(0.5, False)
    drawn(8, model_based=True)


def test_a_suggestion_by_hand_takes_assignments_and_a_task(api: Api):
    e = api.create_experiment(parameters=[X], observation_budget=BUDGET, tasks=TASKS)
    base = f"/v1/experiments/{e['id']}"
    made = api.post(f"{base}/suggestions", {"assignments": {"x": 0.5}, "task": "mid"})
    assert made.status == 201, made.body
    assert made.body["task"] == {"object": "task", "name": "mid", "cost": 0.5}
    before = api.snapshot()
    for body, field in (
        ({"assignments": {"x": 0.5}}, "task"),
        ({"task": "mid"}, "assignments"),
        ({"assignments": {"x": 0.5}, "task": "nope"}, "task"),
    ):
        reply = api.post(f"{base}/suggestions", body)
        assert reply.status == 422 and reply.body["detail"]["field"] == field, reply.body
    assert api.snapshot() == before
    plain = api.create_experiment()
    reply = api.post(f"/v1/experiments/{plain['id']}/suggestions", {"task": "full"})
    assert reply.status == 422 and reply.body["detail"]["field"] == "task", reply.body


def test_a_queued_suggestion_keeps_its_task(api: Api):
    e = api.create_experiment(parameters=[X], observation_budget=BUDGET, tasks=TASKS)
    queue = f"/v1/experiments/{e['id']}/queued_suggestions"
    before = api.snapshot()
    for body, field in (
        ({"assignments": {"x": 0.5}}, "task"),
        ({"assignments": {"x": 0.5}, "task": "nope"}, "task"),
        ({"assignments": {"x": 0.5}, "task": {"name": "mid", "cost": 0.1}}, "task.cost"),
    ):
        reply = api.post(queue, body)
        assert reply.status == 422 and reply.body["detail"]["field"] == field, reply.body
    assert api.snapshot() == before
    q = api.post(queue, {"assignments": {"x": 0.5}, "task": "full"})
    assert q.status == 201 and q.body["task"] == {"object": "task", "name": "full", "cost": 1.0}
    assert api.get(f"{queue}/{q.body['id']}").body["task"]["name"] == "full"
    assert api.get(queue).body["data"][0]["task"]["name"] == "full"
    # nothing is spent yet: the rule would give a cheaper task, the queue gives its own
    s = api.post(f"/v1/experiments/{e['id']}/suggestions").body
    assert s["assignments"] == {"x": 0.5} and s["task"]["name"] == "full"


BAD_CREATES: list[tuple[dict[str, Any], str, str]] = [
    ({"tasks": [{"name": "a", "cost": 1}]}, "tasks", "at least 2"),
    ({"tasks": [{"name": "a", "cost": 0.5}, {"name": "b", "cost": 0.2}]}, "tasks", "cost 1"),
    ({"tasks": [{"name": "a", "cost": 1}, {"name": "b", "cost": 1}]}, "tasks", "distinct"),
    ({"tasks": [{"name": "a", "cost": 1}, {"name": "a", "cost": 0.2}]}, "tasks", "distinct"),
    ({"tasks": [{"name": "a", "cost": 1}, {"name": "b", "cost": 0}]}, "tasks[1].cost", "positive"),
    ({"tasks": [{"name": "a", "cost": 1.5}, {"name": "b", "cost": 1}]}, "tasks[0].cost", "1"),
    ({"tasks": [{"name": "a", "cost": 1}, {"name": "b"}]}, "tasks[1].cost", "number"),
    ({"tasks": [{"name": "a", "cost": 1}, {"cost": 0.5}]}, "tasks[1].name", "string"),
    ({"tasks": [{"name": "a", "cost": 1}, {"name": "b", "cost": 0.5, "x": 1}]}, "tasks[1].x", "x"),
    ({"tasks": {"name": "a", "cost": 1}}, "tasks", "list"),
    ({"tasks": TASKS, "observation_budget": None}, "observation_budget", "required"),
    (
        {"tasks": TASKS, "metrics": [{"name": "a"}, {"name": "b"}]},
        "tasks",
        "multiple optimized metrics",
    ),
    (
        {
            "tasks": TASKS,
            "metrics": [{"name": "a"}, {"name": "b", "strategy": "constraint", "threshold": 1}],
        },
        "tasks",
        "constraint metrics",
    ),
    ({"tasks": TASKS, "num_solutions": 2}, "tasks", "multisolution"),
    # 100,000 distinct tasks were taken, and rendered in every read of the experiment
    (
        {"tasks": [{"name": f"t{i}", "cost": 1 - i / 101} for i in range(101)]},
        "tasks",
        "'tasks' has 101 tasks; an experiment takes at most 100",
    ),
]


@pytest.mark.parametrize(("fields", "field", "words"), BAD_CREATES)
def test_refused_multitask_creates_name_the_field(api: Api, fields, field, words):
    before = api.counts()
    body = {"name": "t", "parameters": [X], "observation_budget": BUDGET, **fields}
    reply = api.post("/v1/experiments", body)
    assert 400 <= reply.status < 500, reply.body
    assert reply.body["detail"]["field"] == field and words in reply.body["message"], reply.body
    assert api.counts() == before


def test_a_random_search_cannot_be_multitask(api: Api, sigopt_conn):
    """Before: taken, and each random point drew a task at random; nothing read a cheap
    task's evaluation (a random search reads no observation), its point never got a full
    one, and the best was chosen among the few that drew the full task. A 422 naming
    ``tasks`` that says why, nothing stored; through sigopt-python too."""
    before = api.counts()
    body = {"name": "r", "type": "random", "parameters": [X], "tasks": TASKS}
    for budget in ({"observation_budget": BUDGET}, {}):
        reply = api.post("/v1/experiments", {**body, **budget})
        assert reply.status == 422 and reply.body["detail"]["field"] == "tasks", reply.body
        assert "a random search cannot be multitask" in reply.body["message"]
        assert "would steer no later suggestion" in reply.body["message"]
    assert api.counts() == before
    with pytest.raises(ApiException) as caught:
        sigopt_conn.experiments().create(
            name="r", type="random", parameters=[X], observation_budget=BUDGET, tasks=TASKS
        )
    assert caught.value.status_code == 422
    assert "random search cannot be multitask" in str(caught.value)
    assert api.counts() == before
    # the random search alone, and the tasks with an optimized experiment, are taken
    drawn = api.post("/v1/experiments", {**body, "tasks": None})
    assert drawn.status == 201, drawn.body
    tasked = api.post("/v1/experiments", {**body, "type": "offline", "observation_budget": BUDGET})
    assert tasked.status == 201, tasked.body


def test_a_grid_search_cannot_be_multitask(api: Api, sigopt_conn):
    """Before: taken, and each grid point was suggested once with a task drawn at random,
    so most had only a cheap evaluation and the best was chosen among the few full ones.
    A 422 naming ``tasks`` that says why, nothing stored; through sigopt-python too."""
    grid = {"name": "n", "type": "int", "bounds": {"min": 0, "max": 3}}
    before = api.counts()
    body = {"name": "g", "type": "grid", "parameters": [grid], "tasks": TASKS}
    for budget in ({"observation_budget": 4}, {}):
        reply = api.post("/v1/experiments", {**body, **budget})
        assert reply.status == 422 and reply.body["detail"]["field"] == "tasks", reply.body
        assert "a grid search cannot be multitask" in reply.body["message"]
        assert "never get a full evaluation" in reply.body["message"]
    assert api.counts() == before
    with pytest.raises(ApiException) as caught:
        sigopt_conn.experiments().create(
            name="g", type="grid", parameters=[grid], observation_budget=4, tasks=TASKS
        )
    assert caught.value.status_code == 422
    assert "grid search cannot be multitask" in str(caught.value)
    # the grid search alone, and the tasks with an optimized experiment, are taken
    walked = api.post("/v1/experiments", {**body, "tasks": None})
    assert walked.status == 201, walked.body
    tasked = api.post("/v1/experiments", {**body, "type": "offline", "observation_budget": 4})
    assert tasked.status == 201, tasked.body


def test_ai_experiments_cannot_be_multitask(api: Api):
    client = api.get("/v1/tokens/self").body["client"]
    before = api.counts()
    reply = api.post(
        f"/v1/clients/{client}/projects/p/aiexperiments",
        {"name": "ai", "parameters": [X], "metrics": [{"name": "v"}], "budget": 5, "tasks": TASKS},
    )
    assert reply.status == 422 and reply.body["detail"]["field"] == "tasks", reply.body
    assert api.counts() == before


def test_refused_observations_and_updates_change_nothing(api: Api):
    e = api.create_experiment(parameters=[X], observation_budget=BUDGET, tasks=TASKS)
    base = f"/v1/experiments/{e['id']}"
    s = api.post(f"{base}/suggestions").body
    other = next(t["name"] for t in TASKS if t["name"] != s["task"]["name"])
    mine = api.post(f"{base}/observations", {"assignments": {"x": 0.1}, "value": 1, "task": "mid"})
    assert mine.status == 201 and mine.body["task"]["name"] == "mid", mine.body
    oid = mine.body["id"]
    before = api.snapshot()
    obs = f"{base}/observations"
    by_hand = {"assignments": {"x": 0.1}, "value": 1}
    other_tasks = [{"name": "full", "cost": 1}, {"name": "other", "cost": 0.2}]
    batch = {"observations": [{**by_hand, "task": "full"}, by_hand]}
    refused = [
        ("POST", obs, by_hand, "task"),
        ("POST", obs, {"suggestion": s["id"], "value": 1, "task": other}, "task"),
        ("POST", obs, {**by_hand, "task": "no"}, "task"),
        ("POST", obs, {**by_hand, "task": {}}, "task.name"),
        ("POST", obs, {**by_hand, "task": {"name": "mid", "cost": 1}}, "task.cost"),
        ("POST", f"{obs}/batch", batch, "observations[1].task"),
        ("PUT", f"{obs}/{oid}", {"task": None}, "task"),
        ("PUT", f"{obs}/{oid}", {"task": "nope"}, "task"),
        ("PUT", base, {"tasks": other_tasks}, "tasks"),
    ]
    for method, path, body, field in refused:
        reply = api.call(method, path, body)
        assert 400 <= reply.status < 500, (body, reply.body)
        assert reply.body["detail"]["field"] == field, (body, reply.body)
    assert api.snapshot() == before
    # what is accepted: a new task by hand, the tasks sent back
    moved = api.call("PUT", f"{base}/observations/{oid}", {"task": {"name": "full"}})
    assert moved.status == 200 and moved.body["task"]["name"] == "full", moved.body
    kept = api.call("PUT", base, {"tasks": api.get(base).body["tasks"], "name": "kept"})
    assert kept.status == 200 and kept.body["tasks"] == e["tasks"], kept.body
    # a null budget keeps the one a multitask experiment needs (SigOpt: no change)
    budget = api.get(base).body["observation_budget"]
    kept = api.call("PUT", base, {"observation_budget": None})
    assert kept.status == 200 and kept.body["observation_budget"] == budget > 0, kept.body


def test_sigopt_python_cannot_give_a_task_with_a_suggestion(sigopt_conn):
    """SigOpt refuses any ``task`` beside ``suggestion`` ("Cannot provide/update `task`
    when `suggestion` is provided"), even the suggestion's own: a 400 naming it."""
    e = sigopt_conn.experiments().create(
        name="mt", parameters=[X], metrics=[{"name": "v"}], observation_budget=BUDGET, tasks=TASKS
    )
    s = sigopt_conn.experiments(e.id).suggestions().create()
    observations = sigopt_conn.experiments(e.id).observations()
    for task in (s.task.name, {"name": s.task.name}):
        with pytest.raises(ApiException) as caught:
            observations.create(suggestion=s.id, value=1.0, task=task)
        assert caught.value.status_code == 400
        assert caught.value.to_json()["detail"]["field"] == "task"
    assert observations.fetch().count == 0
    made = observations.create(suggestion=s.id, value=1.0)
    assert made.task.name == s.task.name


HOSTILE_TASKS = ["\ud800", "a\x00b", 2**70, 1e308, ["full"], True, {"name": 3}, {"x": 1}]


def test_a_task_beside_a_suggestion_is_refused_and_changes_nothing(api: Api):
    e = api.create_experiment(parameters=[X], observation_budget=BUDGET, tasks=TASKS)
    base = f"/v1/experiments/{e['id']}"
    s = api.post(f"{base}/suggestions").body
    own = s["task"]["name"]
    other = next(t["name"] for t in TASKS if t["name"] != own)
    obs = f"{base}/observations"
    made = api.post(obs, {"suggestion": s["id"], "value": 1})
    assert made.status == 201 and made.body["task"]["name"] == own, made.body
    oid = made.body["id"]
    open_one = api.post(f"{base}/suggestions").body
    before = api.snapshot()
    refused = []
    for task in [own, other, s["task"], {"name": own}, *HOSTILE_TASKS]:
        body = {"suggestion": open_one["id"], "value": 1, "task": task}
        refused += [
            ("POST", obs, body, "task"),
            ("POST", f"{obs}/batch", {"observations": [body]}, "observations[0].task"),
            ("PUT", f"{obs}/{oid}", {"task": task}, "task"),
        ]
    for method, path, body, field in refused:
        reply = api.call(method, path, body)
        assert reply.status == 400, (body, reply.body)
        assert reply.body["detail"]["field"] == field, (body, reply.body)
    assert api.snapshot() == before
    # null is no task: the suggestion's is kept
    kept = api.post(obs, {"suggestion": open_one["id"], "value": 1, "task": None})
    assert kept.status == 201 and kept.body["task"] == open_one["task"], kept.body


def test_a_task_outside_a_multitask_experiment_is_refused(api: Api):
    e = api.create_experiment()
    base = f"/v1/experiments/{e['id']}"
    before = api.snapshot()
    good = {"assignments": {"x": 1.0, "n": 2, "c": "a"}, "value": 1}
    reply = api.post(f"{base}/observations", {**good, "task": "full"})
    assert reply.status == 422 and reply.body["detail"]["field"] == "task", reply.body
    assert api.snapshot() == before
    made = api.post(f"{base}/observations", {**good, "task": None})
    assert made.status == 201 and made.body["task"] is None
    assert api.get(base).body["tasks"] == []


def test_cheaper_tasks_weigh_less_in_the_fit():
    observed = [("full", {"v": 0.0}), ("full", {"v": 2.0}), ("cheap", {"v": 1.0}), ("mid", None)]
    noise = sigopt_tasks.fit_stddevs(TASKS, observed, [{"v": 0.3}, None, {"v": None}, None])
    spread = 1.0  # the standard deviation of 0, 2 and 1
    assert noise[:2] == [{"v": 0.3}, None]  # full ones keep what they reported
    assert noise[2] == {"v": pytest.approx(0.9 * spread)}
    assert noise[3] is None  # a failed one has no value
    assert sigopt_tasks.consumed(TASKS, {"cheap": 3, "full": 2, None: 1}) == pytest.approx(3.3)


def test_the_engine_reads_cheaper_observations_as_noisier(service):
    """What the engine is given (suggestions.history): a cheap task's value with a noise
    of (1 - cost) times the values' spread, a full one's as reported."""
    from sigopt_like.service.resources.sigopt import suggestions

    api = Api(service)
    e = api.create_experiment(parameters=[X], observation_budget=BUDGET, tasks=TASKS)
    base = f"/v1/experiments/{e['id']}/observations"
    for x, v, task in ((0.1, 0.0, "full"), (0.2, 2.0, "full"), (0.3, 1.0, "cheap")):
        made = api.post(base, {"assignments": {"x": x}, "value": v, "task": task})
        assert made.status == 201, made.body
    store = service.context.store.sigopt
    with store.read() as unit:
        experiment = unit.experiments.get(unit_owner(api), int(e["id"]))
        observed, noise = suggestions.history(unit, experiment)
    assert [v for _, v in observed] == [{None: 0.0}, {None: 2.0}, {None: 1.0}]
    assert noise[:2] == [{None: None}, {None: None}]
    assert noise[2] == {None: pytest.approx(0.9)}


def unit_owner(api: Api) -> int:
    return int(api.get("/v1/tokens/self").body["user"])
