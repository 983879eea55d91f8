"""The campaign store: each generation holds its rows once, as codes; a task's write
touches only the generations it changed and is refused if the session changed."""

from __future__ import annotations

import json
from pathlib import Path

import falcon.testing
import pytest
import sqlalchemy as sa

from sigopt_like.service import create_app
from sigopt_like.service.store import schema
from sigopt_like.service.store.errors import Conflict
from sigopt_like.service.worker import TaskRunner

SPACE = {
    "type": "factorial",
    "parameters": [
        {"name": "a", "type": "numerical", "values": [0, 1, 2]},
        {"name": "b", "type": "numerical", "values": [0, 1.5, 3, 4.5]},
        {"name": "c", "type": "categorical", "values": ["x", "y", "z", "w"]},
    ],
}


class Campaign:
    """One session on an app without a runner: each task runs when asked."""

    def __init__(self, service) -> None:
        self.service = service
        self.client = falcon.testing.TestClient(service)
        self.runner = TaskRunner(service.context.store, service.settings, threads=0)
        self.sid = self.client.simulate_post("/v1/sessions", json={"name": "c"}).json["id"]

    def run(self, method: str, path: str, body=None) -> dict:
        task = self.client.simulate_request(method, f"/v1/sessions/{self.sid}{path}", json=body)
        assert task.status_code == 202, task.json
        assert self.runner.run_one()
        done = self.client.simulate_get(f"/v1/sessions/{self.sid}/tasks/{task.json['id']}").json
        assert done["status"] == "success", done
        return done

    def generations(self) -> list:
        with self.service.context.store.database.engine.connect() as conn:
            return conn.execute(
                sa.select(schema.generations)
                .where(schema.generations.c.session_id == int(self.sid))
                .order_by(schema.generations.c.gen)
            ).all()

    def upload_simulated(self) -> None:
        table = self.client.simulate_post(
            f"/v1/sessions/{self.sid}/responses/simulate", json={}
        ).json
        self.run("POST", "/experiments", {"type": "designed", "table": table})


@pytest.fixture
def campaign(tmp_path: Path):
    with create_app(database=str(tmp_path / "c.db"), run_tasks=False) as service:
        c = Campaign(service)
        c.run("PUT", "/space", {"space": SPACE, "population_size": 6, "replicates": 1})
        yield c


def _stored_tasks(campaign: Campaign) -> list:
    with campaign.service.context.store.database.engine.connect() as conn:
        return conn.execute(
            sa.select(schema.tasks.c.type, schema.tasks.c.params, schema.tasks.c.result)
            .where(schema.tasks.c.session_id == int(campaign.sid))
            .order_by(schema.tasks.c.id)
        ).all()


def test_a_design_is_stored_once_in_its_generation(campaign: Campaign) -> None:
    generated = campaign.run("POST", "/generate", {})
    [g] = campaign.generations()
    codes, responses = json.loads(g.codes), json.loads(g.responses)
    assert len(codes) == g.design_rows == 12 and g.flags == "D" * 12
    assert responses == [None] * 12 and not g.uploaded
    design = campaign.client.simulate_get(f"/v1/sessions/{campaign.sid}/design").json
    decoded = [[SPACE["parameters"][j]["values"][k] for j, k in enumerate(row)] for row in codes]
    assert [row[:-1] for row in design["table"]["rows"]] == decoded
    assert generated["result"]["experiments"] == design["table"]  # shown, from the generation
    campaign.upload_simulated()
    [after] = campaign.generations()
    assert after.id == g.id and json.loads(after.codes) == codes  # the same row, same codes
    assert after.uploaded and None not in json.loads(after.responses)
    # no task keeps a copy: the generate result and the upload's input are not stored
    tasks = _stored_tasks(campaign)
    assert [t.type for t in tasks] == ["space", "generate", "update"]
    assert "experiments" not in json.loads(tasks[1].result)
    assert all(json.loads(t.params) == {} for t in tasks)
    shown = campaign.client.simulate_get(f"/v1/sessions/{campaign.sid}/tasks").json["data"]
    assert shown[1]["result"]["experiments"]["rows"] == design["table"]["rows"]


def test_a_new_generation_is_one_insert_and_nothing_else_is_rewritten(
    campaign: Campaign,
) -> None:
    for _ in range(3):
        campaign.run("POST", "/generate", {})
        campaign.upload_simulated()
    before = campaign.generations()
    statements: list[str] = []
    engine = campaign.service.context.store.database.engine

    def seen(conn, cursor, statement, *args) -> None:
        if "generations" in statement and not statement.lstrip().upper().startswith("SELECT"):
            statements.append(statement.split()[0].upper())

    sa.event.listen(engine, "before_cursor_execute", seen)
    try:
        campaign.run("POST", "/generate", {})
    finally:
        sa.event.remove(engine, "before_cursor_execute", seen)
    assert statements == ["INSERT"]
    after = campaign.generations()
    assert [tuple(g) for g in after[:3]] == [tuple(g) for g in before]


def test_a_write_is_refused_when_the_session_changed_meanwhile(campaign: Campaign) -> None:
    store = campaign.service.context.store
    sid = int(campaign.sid)
    old = store.campaigns.load(sid)
    store.sessions.halt(store.accounts.local_user_id(), sid, 0)
    with pytest.raises(Conflict, match="halted"):
        store.campaigns.replace(sid, old, old, 0)
    renamed = store.campaigns.load(sid)
    store.sessions.update(store.accounts.local_user_id(), sid, 0, name="renamed")
    store.campaigns.replace(sid, renamed, renamed, 0)  # a rename is not a campaign change


def test_a_generate_gathers_the_history_once(
    campaign: Campaign, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The history's codes were gathered twice per generate: for the progress line (is a
    model fitted?) and again inside ``design_batch``. Gathered once, both read it."""
    from sigopt_like.service.optimizer import design

    for _ in range(2):
        campaign.run("POST", "/generate", {})
        campaign.upload_simulated()
    real, calls = design.gather_codes, []

    def counted(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(design, "gather_codes", counted)
    done = campaign.run("POST", "/generate", {})
    assert len(calls) == 1
    assert done["status"] == "success" and len(campaign.generations()) == 3
