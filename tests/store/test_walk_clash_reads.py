"""A grid or random search's write checks that its new point was not observed meanwhile
(by a concurrent client): it read and decoded every observation's assignments for that,
where it needs only the observations that may be the point. It now reads those whose
stored text holds the point's value of one parameter; the clash itself is still decided
on the whole assignments."""

from __future__ import annotations

import threading
from typing import Any

import sqlalchemy as sa

from sigopt_like.service import Service
from sigopt_like.service.store.sigopt import SigoptStore, dumps
from tests.sigopt.conftest import Api

POINTS = 60


def test_a_walks_write_reads_only_the_observations_that_may_be_its_point(
    service: Service,
) -> None:
    api = Api(service)
    e = api.create_experiment(type="random")
    base = f"/v1/experiments/{e['id']}"
    items = [
        {"assignments": {"x": k / 8, "n": k % 15, "c": "a"}, "value": k} for k in range(POINTS)
    ]
    assert api.post(f"{base}/observations/batch", {"observations": items}).status == 201
    engine = service.context.store.database.engine
    here = threading.get_ident()
    reads: list[tuple[str, Any]] = []
    writing: list[bool] = []

    def began(conn: Any) -> None:
        if threading.get_ident() == here:
            writing.append(True)

    def seen(conn: Any, cursor: Any, statement: str, parameters: Any, *args: Any) -> None:
        if threading.get_ident() == here and len(writing) > 1 and "FROM observations" in statement:
            reads.append((statement, parameters))

    sa.event.listen(engine, "begin", began)
    sa.event.listen(engine, "before_cursor_execute", seen)
    try:
        reply = api.post(f"{base}/suggestions")
    finally:
        sa.event.remove(engine, "begin", began)
        sa.event.remove(engine, "before_cursor_execute", seen)
    assert reply.status == 201, reply.body
    assert len(reads) == 1, reads  # the write's one read of observations
    statement, parameters = reads[0]
    with engine.connect() as conn:  # what that read gave: none of the 60 is near the point
        rows = conn.exec_driver_sql(statement, parameters).all()
    assert len(rows) < POINTS // 10, rows
    observed = [i["assignments"] for i in items]
    assert reply.body["assignments"] not in observed


def test_the_observations_near_a_point_include_every_way_its_values_are_written(
    service: Service,
) -> None:
    """An observation that is the point is found whichever way a number was written: a
    whole double stored as ``1`` or ``1.0``, a zero as ``-0.0``; a categorical value and
    names that LIKE would read as patterns are taken literally."""
    api = Api(service)
    eid = int(api.create_experiment(type="random")["id"])
    store = SigoptStore(service.context.store.database)
    texts = ['{"x":1,"n":2,"c":"a"}', '{"c":"a","n":2,"x":1.0}', '{"x":-0.0,"n":2,"c":"a"}']
    texts += ['{"x":10.0,"n":2,"c":"a"}', '{"x":2.5,"n":2,"c":"a%"}']
    with store.write() as unit:
        for _ in texts:
            unit.observations.create(
                {
                    "experiment_id": eid,
                    "suggestion_id": None,
                    "assignments": {},
                    "values": [],
                    "failed": True,
                    "metadata": None,
                    "created": 0,
                    "updated": 0,
                }
            )
        conn = unit.observations.conn
        ids = [r[0] for r in conn.execute(sa.text("SELECT id FROM observations ORDER BY id"))]
        for oid, text in zip(ids[-len(texts) :], texts, strict=True):
            conn.execute(
                sa.text("UPDATE observations SET assignments = :t WHERE id = :i"),
                {"t": text, "i": oid},
            )
    with store.read() as unit:
        near = unit.observations.assignments_near
        # both ways of writing 1.0 (and 10.0, which holds '"x":1': compared whole later)
        assert near(eid, {"x": 1.0, "n": 2, "c": "a"}) == [
            {"x": 1, "n": 2, "c": "a"},
            {"c": "a", "n": 2, "x": 1.0},
            {"x": 10.0, "n": 2, "c": "a"},
        ]
        assert near(eid, {"x": 0.0, "n": 2, "c": "a"}) == [{"x": -0.0, "n": 2, "c": "a"}]
        assert len(near(eid, {"n": 2, "c": "a%"})) == len(texts)  # by "n", the first
        assert near(eid, {"c": "a%"}) == [{"x": 2.5, "n": 2, "c": "a%"}]
        assert near(eid, {"c": "a_"}) == []
    assert dumps({"x": 1.0}) == '{"x":1.0}'
