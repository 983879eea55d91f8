"""Simulated responses, the simulate task, the recommendation, analytics and templates."""

from __future__ import annotations

import re
import time

import requests

from .conftest import Api, small_space, space_json


def test_simulated_responses_repeat_per_session(api):
    sid = api.session()
    assert api.put_space(sid, space_json("esd-factorial-4x8"), 10, 0)["status"] == "success"
    table = {
        "columns": ["param1", "param2", "param3", "param4"],
        "rows": [[0, 0, 0, 0], [7, 7, 7, 7], [3, 4, 5, 6]],
    }
    first = api.simulated(sid, table)
    assert first["columns"] == ["param1", "param2", "param3", "param4", "Response"]
    assert all(isinstance(r[-1], float) for r in first["rows"])
    assert api.simulated(sid, table) == first
    other = api.session()
    assert api.put_space(other, space_json("esd-factorial-4x8"), 10, 0)["status"] == "success"
    assert api.simulated(other, table) != first  # each session has its own seeded surface
    bad = api.post(
        f"/v1/sessions/{sid}/responses/simulate",
        {"table": {"columns": ["param1", "param2", "param3", "param4"], "rows": [[9, 0, 0, 0]]}},
    )
    assert bad.status == 422 and bad.body["detail"]["errors"][0]["column"] == "param1"


def test_simulate_task_runs_a_whole_campaign(api):
    sid = api.session()
    task = api.run(
        "POST",
        f"/v1/sessions/{sid}/simulate",
        {"ngens": 3, "space": small_space(), "population_size": 12, "replicates": 1},
    )
    assert task["status"] == "success", task
    result = task["result"]
    assert result["generations_run"] == 3 and result["gen"] == 3
    gens = result["history"]["generations"]
    assert [g["gen"] for g in gens] == [0, 1, 2, 3]
    assert all(g["has_responses"] for g in gens[1:])
    assert api.get(f"/v1/sessions/{sid}/history").body["generations"] == gens
    session = api.get(f"/v1/sessions/{sid}").body
    assert session["gen"] == 3 and session["population_size"] == 12


def test_simulate_needs_a_space(api):
    sid = api.session()
    r = api.post(f"/v1/sessions/{sid}/simulate", {"ngens": 2})
    assert r.status == 409 and r.body["code"] == "space_required"
    r = api.post(f"/v1/sessions/{sid}/simulate", {"ngens": 0})  # past its range: a 422
    assert r.status == 422 and "from 1 to 100" in r.body["message"]
    r = api.post(f"/v1/sessions/{sid}/simulate", {"ngens": 2, "space": small_space()})
    assert r.status == 400


def test_simulate_fills_a_pending_design_first(api):
    sid = api.session()
    assert api.put_space(sid, small_space(), 12, 0)["status"] == "success"
    api.generate(sid)
    task = api.run("POST", f"/v1/sessions/{sid}/simulate", {"ngens": 1})
    assert task["status"] == "success", task
    gens = api.get(f"/v1/sessions/{sid}/history").body["generations"]
    assert [g["gen"] for g in gens] == [0, 1, 2]
    assert gens[1]["has_responses"]


def test_best_is_the_best_predicted_experiment(api):
    sid = api.session()
    assert api.put_space(sid, small_space(), 12, 1)["status"] == "success"
    r = api.get(f"/v1/sessions/{sid}/best")
    assert r.status == 409 and r.body["code"] == "no_responses"
    assert api.run("POST", f"/v1/sessions/{sid}/simulate", {"ngens": 2})["status"] == "success"
    best = api.get(f"/v1/sessions/{sid}/best").body
    assert best["object"] == "recommendation"
    assert set(best["experiment"]) == {"a", "b", "c", "d"}
    assert isinstance(best["predicted_response"], float)
    assert best["n_observations"] == 2  # one design point, replicated
    history = api.get(f"/v1/sessions/{sid}/history").body["generations"]
    observed = [
        r
        for g in history
        for r in g["table"]["rows"]
        if r[:-1] == [best["experiment"][k] for k in ("a", "b", "c", "d")]
    ]
    assert abs(best["observed_mean"] - sum(r[-1] for r in observed) / len(observed)) < 1e-9


def test_analytics_files_are_made_listed_and_downloaded(api):
    sid = api.session()
    r = api.post(f"/v1/sessions/{sid}/analytics")
    assert r.status == 409
    assert (
        api.run(
            "POST",
            f"/v1/sessions/{sid}/simulate",
            {"ngens": 2, "space": small_space(), "population_size": 12, "replicates": 0},
        )["status"]
        == "success"
    )
    task = api.run("POST", f"/v1/sessions/{sid}/analytics")
    assert task["status"] == "success", task
    assert task["result"]["gen"] == 2
    names = {f["name"] for f in task["result"]["files"]}
    assert {"summary.csv"} <= names
    assert any(n.endswith(".png") for n in names) and any(n.endswith(".pdf") for n in names)
    listing = api.get(f"/v1/sessions/{sid}/analytics").body
    assert listing["object"] == "analytics" and listing["gen"] == 2
    assert {f["name"] for f in listing["files"]} == names
    for f in listing["files"]:
        assert f["size"] > 0 and "token" not in f["url"]
        got = api.get(f["url"].split("?")[0], gen=f["gen"])
        assert got.status == 200
        assert got.headers["content-type"] == f["content_type"]
        assert len(got.content) == f["size"]
        if f["name"].endswith(".png"):
            assert got.content.startswith(b"\x89PNG")
        if f["name"].endswith(".pdf"):
            assert got.content.startswith(b"%PDF")
    assert api.get(f"/v1/sessions/{sid}/analytics/files/nope.png").status == 404


def test_analytics_listing_names_the_sessions_generation_before_any_files(api):
    """Before: a session with no space listed its (no) analytics files as of ``"gen": 0``
    while the session itself said generation -1, the contract's "no space yet"."""
    sid = api.session()
    listing = api.get(f"/v1/sessions/{sid}/analytics").body
    session = api.get(f"/v1/sessions/{sid}").body
    assert session["gen"] == -1
    assert listing == {"object": "analytics", "gen": -1, "files": []}
    assert api.put_space(sid, small_space(), 12, 0)["status"] == "success"
    listing = api.get(f"/v1/sessions/{sid}/analytics").body
    assert listing["gen"] == api.get(f"/v1/sessions/{sid}").body["gen"] == 0
    assert listing["files"] == []


def test_analytics_of_an_earlier_generation_are_made_when_asked(api):
    """``gen`` in the body is honoured (it was accepted and ignored: the current one was made)."""
    sid = api.session()
    simulate = {"ngens": 2, "space": small_space(), "population_size": 12, "replicates": 0}
    assert api.run("POST", f"/v1/sessions/{sid}/simulate", simulate)["status"] == "success"
    task = api.run("POST", f"/v1/sessions/{sid}/analytics", {"gen": 1})
    assert task["status"] == "success", task
    assert task["result"]["gen"] == 1
    assert {f["gen"] for f in task["result"]["files"]} == {1}
    assert api.get(f"/v1/sessions/{sid}/analytics", gen=1).body["files"]
    assert api.get(f"/v1/sessions/{sid}/analytics", gen=2).body["files"] == []
    later = api.post(f"/v1/sessions/{sid}/analytics", {"gen": 3})
    assert later.status == 409 and "generation 2" in later.body["message"]
    # a number past the field's range is a 422; a wrong kind or an unknown field a 400
    for body, status in (({"gen": -1}, 422), ({"gen": "1"}, 400), ({"generation": 1}, 400)):
        refused = api.post(f"/v1/sessions/{sid}/analytics", body)
        assert refused.status == status, (body, refused.body)


def test_analytics_download_needs_the_owner(served):
    api = Api(served.service, served.url, served.token)
    sid = api.session()
    assert (
        api.run(
            "POST",
            f"/v1/sessions/{sid}/simulate",
            {"ngens": 1, "space": small_space(), "population_size": 12, "replicates": 0},
        )["status"]
        == "success"
    )
    assert api.run("POST", f"/v1/sessions/{sid}/analytics")["status"] == "success"
    url = f"{served.url}/v1/sessions/{sid}/analytics/files/summary.csv"
    assert requests.get(url, timeout=10).status_code == 401
    _, other = served.make_user()
    assert requests.get(url, headers=served.headers(other), timeout=10).status_code == 404
    ok = requests.get(url, headers=served.headers(), timeout=10)
    assert ok.status_code == 200 and ok.text.startswith("gen,")


def test_space_templates(api):
    page = api.get("/v1/space_templates").body
    assert page["object"] == "pagination" and page["count"] >= 1
    for template in page["data"]:
        assert template["object"] == "space_template"
        assert {"name", "description", "space", "population_size", "replicates"} <= set(template)
    first = api.get("/v1/space_templates", limit=1).body
    assert len(first["data"]) == 1
    if page["count"] > 1:
        second = api.get("/v1/space_templates", limit=1, before=first["paging"]["before"]).body
        assert second["data"][0]["name"] == page["data"][1]["name"]


def test_a_space_template_cursor_is_ascii_digits(api):
    """``before=²`` (a digit to ``str.isdigit``, not to ``int``) was a 500."""
    for raw in ("\u00b2", "\u0661", "1" * 30):
        reply = api.get("/v1/space_templates", before=raw)
        assert reply.status == 400 and reply.body["detail"]["field"] == "before", reply.body


def test_a_template_space_validates(api):
    template = api.get("/v1/space_templates").body["data"][0]
    sid = api.session()
    task = api.put_space(
        sid, template["space"], template["population_size"], template["replicates"]
    )
    assert task["status"] == "success", task


def test_a_canceled_simulate_keeps_the_generations_it_finished(api):
    """A lab user who stops a long simulation keeps the generations already designed and
    measured (before, a cancel threw every one of them away, undocumented): the task ends
    ``canceled``, its result and message saying how many it kept, the session at the last
    finished generation, every kept generation measured, and the campaign goes on from
    there."""
    sid = api.session()
    ngens = 60
    r = api.post(
        f"/v1/sessions/{sid}/simulate",
        {
            "ngens": ngens,
            "space": space_json("esd-factorial-4x8"),
            "population_size": 10,
            "replicates": 0,
        },
    )
    assert r.status == 202, r
    tid = r.body["id"]
    version, deadline = 0, time.monotonic() + 120
    while True:  # until generation 3 or a later one is under way: 2 finished
        task = api.get(f"/v1/sessions/{sid}/tasks/{tid}", wait=10, version=version).body
        version = task["version"]
        assert task["status"] in ("new", "running"), task
        under_way = re.match(r"generation (\d+)", task["progress"]["message"] or "")
        if under_way and int(under_way.group(1)) >= 3:
            break
        assert time.monotonic() < deadline, task
    c = api.post(f"/v1/sessions/{sid}/tasks/{tid}/cancel")
    assert c.status == 200, c
    done = api.wait(sid, tid)
    assert done["status"] == "canceled", done
    kept = done["result"]["generations_run"]
    assert 2 <= kept < ngens, done
    assert done["result"]["gen"] == kept
    assert done["progress"]["message"].startswith(f"canceled after {kept} of {ngens} ")
    history = api.get(f"/v1/sessions/{sid}/history").body["generations"]
    assert [g["gen"] for g in history] == list(range(kept + 1))
    assert all(g["has_responses"] and g["design_rows"] == 10 for g in history[1:]), history
    assert done["result"]["history"]["generations"] == history
    session = api.get(f"/v1/sessions/{sid}").body
    assert session["gen"] == kept and session["population_size"] == 10
    more = api.run("POST", f"/v1/sessions/{sid}/simulate", {"ngens": 1})
    assert more["status"] == "success" and more["result"]["gen"] == kept + 1, more


def test_a_cancel_after_the_last_generation_keeps_them_all(api):
    """The cancel comes after a simulate task's last generation, before its final
    transaction (the real handler, then the cancel): every generation is finished, so
    every one is kept, the task ending ``canceled`` (before, all were dropped)."""
    from sigopt_like.service.task_kinds import run_simulate

    sid = api.session()
    asked: list[int] = []

    def simulate_then_cancel(ctx):
        outcome = run_simulate(ctx)
        r = api.post(f"/v1/sessions/{sid}/tasks/{ctx.task_id}/cancel")
        asked.append(r.status)
        return outcome

    api.service.context.runner.handlers["simulate"] = simulate_then_cancel
    task = api.run(
        "POST",
        f"/v1/sessions/{sid}/simulate",
        {"ngens": 3, "space": small_space(), "population_size": 12, "replicates": 1},
    )
    assert asked == [200]
    assert task["status"] == "canceled" and task["cancel_requested"], task
    assert task["result"]["generations_run"] == 3 and task["result"]["gen"] == 3, task
    assert task["progress"]["message"].startswith("canceled after 3 of 3 generations")
    gens = api.get(f"/v1/sessions/{sid}/history").body["generations"]
    assert [g["gen"] for g in gens] == [0, 1, 2, 3]
    assert all(g["has_responses"] for g in gens[1:])


def test_a_simulate_spreads_its_progress_over_the_generations_the_space_has_room_for(api):
    """Before: the progress of ``simulate(ngens=100)`` was spread over 100 generations
    whatever the space held, so on a space with room for 16 it read 19% when the task
    ended (then 100% at once), and "generation 2 (2 of 100)" promised 84 that never came.
    Now it is spread over the generations the space has room for, and says so; a space
    with room for more than ``ngens`` keeps ``ngens``."""
    from sigopt_like.service.task_kinds import run_simulate

    said: list[tuple[float, str]] = []

    def recorded(ctx):
        report = ctx.progress

        def progress(phase: str, fraction: float, message: str = "") -> None:
            said.append((fraction, message))
            report(phase, fraction, message)

        ctx.progress = progress
        return run_simulate(ctx)

    api.service.context.runner.handlers["simulate"] = recorded
    for ngens, room, of in ((100, 16, "16, all the space has room for"), (3, 3, "3")):
        said.clear()
        sid = api.session()
        body = {"ngens": ngens, "space": small_space(), "population_size": 12, "replicates": 0}
        task = api.run("POST", f"/v1/sessions/{sid}/simulate", body)
        assert task["status"] == "success" and task["result"]["generations_run"] == room, task
        fractions = [f for f, _ in said]
        assert fractions == sorted(fractions), said  # never backwards
        assert 0.9 < fractions[-1] < 1.0, said  # the last generation's last step
        designing = [m for _, m in said if m.endswith(": designing")]
        assert designing == [
            f"generation {g} ({g} of {of}): designing" for g in range(1, room + 1)
        ], designing


def test_a_canceled_simulate_says_the_count_its_progress_lines_said(api):
    """A simulate of 100 generations on a space with room for 16, canceled as its sixth
    begins (the real handler; the cancel sent from its progress report): its message
    counts the generations as its progress lines did, "5 of 16 generations, all the
    space has room for" (before: "5 of 100 generations", after lines saying "5 of 16")."""
    from sigopt_like.service.task_kinds import run_simulate

    sid = api.session()
    said: list[str] = []

    def canceled_at_the_sixth(ctx):
        report = ctx.progress

        def progress(phase: str, fraction: float, message: str = "") -> None:
            said.append(message)
            if message.startswith("generation 6 ("):
                r = api.post(f"/v1/sessions/{sid}/tasks/{ctx.task_id}/cancel")
                assert r.status == 200, r
            report(phase, fraction, message)

        ctx.progress = progress
        return run_simulate(ctx)

    api.service.context.runner.handlers["simulate"] = canceled_at_the_sixth
    body = {"ngens": 100, "space": small_space(), "population_size": 12, "replicates": 0}
    task = api.run("POST", f"/v1/sessions/{sid}/simulate", body)
    assert task["status"] == "canceled" and task["result"]["generations_run"] == 5, task
    assert "generation 5 (5 of 16, all the space has room for): designing" in said, said
    assert task["progress"]["message"] == (
        "canceled after 5 of 16 generations, all the space has room for; the 5 finished "
        "are kept (the session is at generation 5)"
    ), task
