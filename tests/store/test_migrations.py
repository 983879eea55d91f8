"""Schema migrations (Alembic): an old database opens and upgrades, on SQLite and
PostgreSQL, and every path ends at exactly the schema of ``store/schema.py``."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

import falcon.testing
import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from sigopt_like.service import create_app
from sigopt_like.service.store import migrate, open_store, schema
from sigopt_like.service.worker import TaskRunner

DUMP = Path(__file__).resolve().parents[1] / "data" / "sigopt-like-0.1.0.sql"


def _old_token() -> str:
    for line in DUMP.read_text(encoding="utf-8").splitlines():
        if line.startswith("-- user old@example.com"):
            return line.rsplit(" ", 1)[1]
    raise AssertionError("the dump names its token")


def _database_of_0_1_0(path: Path) -> str:
    with sqlite3.connect(path) as db:
        db.executescript(DUMP.read_text(encoding="utf-8"))
        # the dump's key was made on 2026-12-02: a day later it had outlived the 24-hour
        # replay window, and the replay checks below failed by the calendar alone
        db.execute("UPDATE idempotency_keys SET created = ?", (int(time.time()),))
    return str(path)


def _same_type(context, inspected, metadata, inspected_type, metadata_type) -> bool | None:
    """SQLite keeps any integer in an INTEGER column (64 bits): INTEGER and BIGINT are one."""
    integers = (sa.Integer, sa.BigInteger)
    if (
        context.dialect.name == "sqlite"
        and isinstance(inspected_type, integers)
        and isinstance(metadata_type, integers)
    ):
        return False
    return None  # Alembic's own comparison


def _differences(engine: sa.Engine) -> list:
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": _same_type})
        return compare_metadata(context, schema.metadata)


def test_the_revisions_are_alembics_scripts() -> None:
    """migrate.REVISIONS lists Alembic's scripts in order, one line, head last."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", migrate.SCRIPTS)
    scripts = ScriptDirectory.from_config(config)
    chain = [s.revision for s in scripts.walk_revisions()][::-1]
    assert tuple(chain) == migrate.REVISIONS
    assert scripts.get_current_head() == migrate.HEAD


def test_a_new_database_is_at_head_with_the_schema_of_schema_py(tmp_path: Path) -> None:
    store = open_store(tmp_path / "new.db")
    try:
        engine = store.database.engine
        with engine.connect() as conn:
            assert migrate.current_revision(conn) == migrate.HEAD
        assert _differences(engine) == []
        assert store.schema_version() == migrate.SCHEMA_VERSION
    finally:
        store.close()


def test_a_database_of_0_1_0_opens_upgraded_with_its_data(tmp_path: Path) -> None:
    database = _database_of_0_1_0(tmp_path / "old.db")
    with create_app(database=database, auth_required=True, run_tasks=False) as service:
        engine = service.context.store.database.engine
        with engine.connect() as conn:
            assert migrate.current_revision(conn) == migrate.HEAD
            assert conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
        assert _differences(engine) == []
        client = falcon.testing.TestClient(service)
        local = {"Authorization": f"Bearer {_old_token()}"}
        # the old token still works, and its owner sees nothing of the local user's
        assert client.simulate_get("/v1/sessions", headers=local).json["count"] == 0
        login = client.simulate_post(
            "/v1/login", json={"email": "old@example.com", "password": "old password"}
        )
        assert login.status_code == 201
    with create_app(database=database, run_tasks=False) as service:  # the local user's data
        client = falcon.testing.TestClient(service)
        sessions = client.simulate_get("/v1/sessions").json
        assert sorted(s["name"] for s in sessions["data"]) == ["empty one", "old campaign"]
        old = next(s for s in sessions["data"] if s["name"] == "old campaign")
        assert old["gen"] == 3 and old["description"] == "made by 0.1.0"
        history = client.simulate_get(f"/v1/sessions/{old['id']}/history").json
        assert [g["gen"] for g in history["generations"]] == [0, 1, 2, 3]
        assert all(len(g["table"]["rows"]) == 24 for g in history["generations"][1:])
        tasks = client.simulate_get(f"/v1/sessions/{old['id']}/tasks").json
        assert [t["type"] for t in tasks["data"]] == ["analytics", "generate", "simulate"]
        assert all(t["status"] == "success" for t in tasks["data"])
        listing = client.simulate_get(f"/v1/sessions/{old['id']}/analytics").json
        csv_file = next(f for f in listing["files"] if f["content_type"].startswith("text/csv"))
        path, _, query = csv_file["url"].partition("?")
        download = client.simulate_get(path, query_string=query)
        assert download.status_code == 200
        assert download.headers["Content-Type"].startswith("text/csv")
        experiments = client.simulate_get("/v1/experiments").json["data"]
        assert [e["name"] for e in experiments] == ["old sigopt"]
        observations = client.simulate_get(f"/v1/experiments/{experiments[0]['id']}/observations")
        assert observations.json["count"] == 3
        # the 0.1.0 answer under its key is replayed
        replay = client.simulate_post(
            "/v1/sessions",
            json={"name": "old campaign", "description": "made by 0.1.0", "seed": 7},
            headers={"Idempotency-Key": "old-key-1"},
        )
        assert replay.status_code == 201 and replay.headers["Idempotent-Replayed"] == "true"
        # and the campaign goes on where it stopped
        table = client.simulate_post(f"/v1/sessions/{old['id']}/responses/simulate", json={})
        put = client.simulate_post(
            f"/v1/sessions/{old['id']}/experiments",
            json={"type": "designed", "table": {k: table.json[k] for k in ("columns", "rows")}},
        )
        assert put.status_code == 202, put.json
        assert TaskRunner(service.context.store, service.settings, threads=0).run_one()
        done = client.simulate_get(f"/v1/sessions/{old['id']}/tasks/{put.json['id']}").json
        assert done["status"] == "success", done


def test_a_claim_0_1_0_left_after_doing_the_work_is_never_done_again(tmp_path: Path) -> None:
    """0.1.0 could crash between a request's writes and its answer ("done-by"); the
    migration keeps that key answered 409 ``idempotency_answer_lost``; a claim whose work
    had not committed ("claimed-by") goes, so its retry runs."""
    database = _database_of_0_1_0(tmp_path / "claims.db")
    with sqlite3.connect(database) as db:
        db.executemany(
            "INSERT INTO idempotency_keys (owner_id, key, method, path, body_hash, status, "
            "response, created) VALUES (1, ?, 'POST', '/v1/sessions', ?, NULL, ?, 2000000000)",
            [
                ("done-key", "0" * 64, "done-by host:1:gone"),
                ("claimed-key", "1" * 64, "claimed-by host:1:gone"),
            ],
        )
    with create_app(database=database, run_tasks=False) as service:
        client = falcon.testing.TestClient(service)
        lost = client.simulate_post(
            "/v1/sessions", json={"name": "x"}, headers={"Idempotency-Key": "done-key"}
        )
        assert lost.status_code == 409
        assert lost.json["code"] in ("idempotency_answer_lost", "idempotency_mismatch")
        with service.context.store.database.engine.connect() as conn:
            rows = conn.execute(
                sa.select(schema.idempotency_keys.c.key, schema.idempotency_keys.c.status)
            ).all()
        assert sorted(rows) == [("done-key", 409), ("old-key-1", 201)]


def test_a_database_of_a_newer_release_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "newer.db"
    open_store(path).close()
    with sqlite3.connect(path) as db:
        db.execute("UPDATE alembic_version SET version_num = '9999'")
    with pytest.raises(migrate.SchemaTooNew, match="9999"):
        open_store(path)


def test_a_database_that_is_not_ours_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE accounts (id INTEGER PRIMARY KEY)")
    with pytest.raises(RuntimeError, match="not a sigopt_like database"):
        open_store(path)


def test_two_processes_opening_one_new_file_at_once_both_work(tmp_path: Path) -> None:
    """Switching a new file to WAL mode answered "database is locked" at once (SQLite does
    not wait on the busy timeout there): about one new file in 30 failed one of four
    openers (found running the suite twice at once). A hundred new files, four openers each."""
    errors: list[BaseException] = []

    def open_it(path: Path) -> None:
        try:
            open_store(path).close()
        except BaseException as err:  # collected and asserted below
            errors.append(err)

    paths = [tmp_path / f"race{i}.db" for i in range(100)]
    for path in paths:
        threads = [threading.Thread(target=open_it, args=(path,)) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert errors == []
    for path in paths[:3]:
        store = open_store(path)
        try:
            assert store.accounts.local_user_id() == 1
        finally:
            store.close()


def _migrated_from_first_revision(url: str) -> sa.Engine:
    """A database at revision 0001 with rows of 0.1.0's shape, then opened (upgraded)."""
    engine = sa.create_engine(url)
    with engine.connect() as conn, conn.begin():
        migrate.upgrade(conn, "0001")
        conn.execute(sa.text("INSERT INTO meta (key, value) VALUES ('schema_version', '1')"))
        conn.execute(
            sa.text("INSERT INTO users (id, email, created) VALUES (1, 'local@localhost', 1)")
        )
        conn.execute(
            sa.text(
                "INSERT INTO sessions (id, owner_id, name, description, status, gen, completed, "
                "seed, created, updated) VALUES (5, 1, 'kept', '', 'active', -1, false, 3, 1, 1)"
            )
        )
        conn.execute(
            sa.text(
                "INSERT INTO idempotency_keys (owner_id, key, method, path, body_hash, status, "
                "response, created) VALUES (1, 'k', 'POST', '/v1/sessions', 'h', NULL, "
                "'done-by h:1:x', 1)"
            )
        )
    engine.dispose()
    open_store(url).close()
    return sa.create_engine(url)


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
def test_migrating_from_the_first_revision_ends_at_schema_py(
    dialect: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    if dialect == "sqlite":
        url = f"sqlite:///{tmp_path / 'steps.db'}"
    else:
        url = request.getfixturevalue("pg_url")
    engine = _migrated_from_first_revision(url)
    try:
        assert _differences(engine) == []
        with engine.connect() as conn:
            assert migrate.current_revision(conn) == migrate.HEAD
            assert conn.execute(sa.text("SELECT name FROM sessions")).scalar() == "kept"
            key = conn.execute(sa.text("SELECT status, response FROM idempotency_keys")).one()
            assert key.status == 409 and "idempotency_answer_lost" in key.response
    finally:
        engine.dispose()
    store = open_store(url)
    try:
        assert store.sessions.get(1, 5).name == "kept"
        assert store.sessions.get(1, 5).tag is None  # 0005: sessions made before have none
        assert store.schema_version() == migrate.SCHEMA_VERSION
    finally:
        store.close()


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
def test_tasks_of_revision_0005_count_their_runs_after_the_upgrade(
    dialect: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """0006 adds tasks.attempts: finished and queued tasks count 0 runs, a running one 1;
    that running task, whose worker is gone, is then taken over (back to the queue)."""
    from sigopt_like.service.settings import ServiceSettings

    url, engine = _database_at("0005", dialect, tmp_path / "tasks.db", request)
    with engine.connect() as conn, conn.begin():
        conn.execute(
            sa.text("INSERT INTO users (id, email, created) VALUES (1, 'local@localhost', 1)")
        )
        conn.execute(
            sa.text(
                "INSERT INTO sessions (id, owner_id, name, description, status, gen, completed, "
                "seed, created, updated, version) "
                "VALUES (5, 1, 'kept', '', 'active', -1, false, 3, 1, 1, 0)"
            )
        )
        for task_id, status, worker, heartbeat in (
            (1, "success", None, None),
            (2, "new", None, None),
            (3, "running", "gone-host:1:dead", 1),
        ):
            conn.execute(
                sa.text(
                    "INSERT INTO tasks (id, session_id, owner_id, type, status, phase, "
                    "progress_fraction, progress_message, params, errors, cancel_requested, "
                    "version, worker, heartbeat, created) VALUES (:id, 5, 1, 'generate', "
                    ":status, :status, 0, '', '{}', '[]', false, 0, :worker, :heartbeat, 1)"
                ),
                {"id": task_id, "status": status, "worker": worker, "heartbeat": heartbeat},
            )
    engine.dispose()
    store = open_store(url)
    try:
        assert _differences(store.database.engine) == []
        assert store.schema_version() == migrate.SCHEMA_VERSION
        assert [store.tasks.get(5, i).attempts for i in (1, 2, 3)] == [0, 0, 1]
        runner = TaskRunner(store, ServiceSettings(), threads=0)
        assert runner.recover() == [3]
        taken = store.tasks.get(5, 3)
        assert taken.status == "new" and taken.attempts == 1
        assert "requeued" in taken.progress_message
    finally:
        store.close()


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
def test_sigopt_rows_of_revision_0010_take_tasks_after_the_upgrade(
    dialect: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """0011 adds the task columns: an experiment, suggestion and observation made before
    read as not multitask (null), and a multitask experiment can be made beside them."""
    url, engine = _database_at("0010", dialect, tmp_path / "sigopt.db", request)
    with engine.connect() as conn, conn.begin():
        conn.execute(
            sa.text("INSERT INTO users (id, email, created) VALUES (1, 'local@localhost', 1)")
        )
        conn.execute(
            sa.text(
                "INSERT INTO sigopt_experiments (id, owner_id, kind, name, type, parameters, "
                "metrics, state, seed, created, updated) VALUES (7, 1, 'experiment', 'old', "
                "'offline', :params, :metrics, 'active', 3, 1, 1)"
            ),
            {
                "params": '[{"name":"x","type":"double","bounds":{"min":0.0,"max":1.0}}]',
                "metrics": '[{"name":null,"objective":"maximize","strategy":"optimize",'
                '"threshold":null}]',
            },
        )
        point = {"a": '{"x":0.5}', "v": '[{"name":null,"value":2.0,"value_stddev":null}]'}
        conn.execute(
            sa.text(
                "INSERT INTO suggestions (id, experiment_id, assignments, state, deleted, "
                "created) VALUES (4, 7, :a, 'closed', false, 1)"
            ),
            point,
        )
        conn.execute(
            sa.text(
                "INSERT INTO observations (id, experiment_id, suggestion_id, assignments, "
                '"values", failed, created, updated) VALUES (5, 7, 4, :a, :v, false, 1, 1)'
            ),
            point,
        )
        conn.execute(
            sa.text(
                "INSERT INTO queued_suggestions (id, experiment_id, assignments, created) "
                "VALUES (6, 7, :a, 1)"
            ),
            point,
        )
    engine.dispose()
    store = open_store(url)
    try:
        assert _differences(store.database.engine) == []
        assert store.schema_version() == migrate.SCHEMA_VERSION
    finally:
        store.close()
    with create_app(database=url, run_tasks=False) as service:
        client = falcon.testing.TestClient(service)
        old = client.simulate_get("/v1/experiments/7").json
        assert old["tasks"] == [] and old["progress"]["observation_budget_consumed"] == 1.0
        assert old["progress"]["best_observation"]["task"] is None
        assert client.simulate_get("/v1/experiments/7/suggestions/4").json["task"] is None
        assert client.simulate_get("/v1/experiments/7/observations/5").json["task"] is None
        queued = client.simulate_get("/v1/experiments/7/queued_suggestions/6").json
        assert queued["task"] is None and queued["assignments"] == {"x": 0.5}
        tasks = [{"name": "full", "cost": 1}, {"name": "cheap", "cost": 0.5}]
        made = client.simulate_post(
            "/v1/experiments",
            json={
                "name": "new",
                "parameters": old["parameters"],
                "observation_budget": 3,
                "tasks": tasks,
            },
        )
        assert made.status_code == 201, made.json
        eid = made.json["id"]
        s = client.simulate_post(f"/v1/experiments/{eid}/suggestions").json
        assert s["task"]["name"] in ("full", "cheap")
        o = client.simulate_post(
            f"/v1/experiments/{eid}/observations", json={"suggestion": s["id"], "value": 1.0}
        ).json
        assert o["task"] == s["task"]


#: 2040-01-01 00:00:00 UTC: past 2**31 unix seconds, the end of a 32-bit INTEGER
IN_2040 = 2_208_988_800
#: a time of each column at revision 0011 (2023-11-14), kept through 0012
BEFORE = 1_700_000_000


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
def test_times_of_revision_0011_are_kept_and_times_past_2038_written_after(
    dialect: str, tmp_path: Path, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    """0012 makes every time column BIGINT on PostgreSQL (INTEGER there ends on 2038-01-19):
    the times written at 0011 are kept, and the service then writes and lists 2040's."""
    url, engine = _database_at("0011", dialect, tmp_path / "times.db", request)
    with engine.connect() as conn, conn.begin():
        at = {"t": BEFORE}
        conn.execute(
            sa.text("INSERT INTO users (id, email, created) VALUES (1, 'local@localhost', :t)"), at
        )
        conn.execute(
            sa.text(
                "INSERT INTO tokens (id, user_id, token_hash, created, revoked, expires) "
                "VALUES (2, 1, 'hash', :t, false, :t + 60)"
            ),
            at,
        )
        conn.execute(
            sa.text(
                "INSERT INTO sessions (id, owner_id, name, description, status, gen, completed, "
                "seed, created, updated, version) "
                "VALUES (5, 1, 'kept', '', 'active', -1, false, 3, :t, :t, 0)"
            ),
            at,
        )
        conn.execute(
            sa.text(
                "INSERT INTO tasks (id, session_id, owner_id, type, status, phase, "
                "progress_fraction, progress_message, params, errors, cancel_requested, "
                "version, heartbeat, attempts, created, started, finished) VALUES (1, 5, 1, "
                "'generate', 'success', 'done', 1, '', '{}', '[]', false, 0, :t, 1, :t, :t, :t)"
            ),
            at,
        )
        conn.execute(
            sa.text(
                "INSERT INTO sigopt_experiments (id, owner_id, kind, name, type, parameters, "
                "metrics, state, seed, created, updated) VALUES (7, 1, 'experiment', 'old', "
                "'offline', :params, :metrics, 'active', 3, :t, :t)"
            ),
            {
                "t": BEFORE,
                "params": '[{"name":"x","type":"double","bounds":{"min":0.0,"max":1.0}}]',
                "metrics": '[{"name":null,"objective":"maximize","strategy":"optimize",'
                '"threshold":null}]',
            },
        )
    engine.dispose()
    store = open_store(url)
    try:
        assert _differences(store.database.engine) == []
        assert store.schema_version() == migrate.SCHEMA_VERSION
        with store.database.engine.connect() as conn:
            assert migrate.current_revision(conn) == migrate.HEAD
            times = [
                conn.execute(sa.text(query)).one()
                for query in (
                    "SELECT created, created FROM users",
                    "SELECT created, expires FROM tokens",
                    "SELECT created, updated FROM sessions",
                    "SELECT heartbeat, finished FROM tasks",
                    "SELECT created, updated FROM sigopt_experiments",
                )
            ]
        assert [tuple(row) for row in times] == [
            (BEFORE, BEFORE),
            (BEFORE, BEFORE + 60),
            (BEFORE, BEFORE),
            (BEFORE, BEFORE),
            (BEFORE, BEFORE),
        ]
    finally:
        store.close()
    offset = IN_2040 - time.time()
    real = time.time
    monkeypatch.setattr(time, "time", lambda: real() + offset)
    with create_app(database=url, run_tasks=False) as service:
        client = falcon.testing.TestClient(service)
        session = client.simulate_post("/v1/sessions", json={"name": "in 2040"})
        assert session.status_code == 201, session.json
        assert session.json["created"] >= IN_2040
        made = client.simulate_post(
            "/v1/experiments",
            json={
                "name": "new",
                "parameters": [{"name": "x", "type": "int", "bounds": {"min": 0, "max": 9}}],
            },
        )
        assert made.status_code == 201, made.json
        renamed = client.simulate_put("/v1/experiments/7", json={"name": "renamed"})
        assert renamed.status_code == 200, renamed.json
        assert renamed.json["created"] == BEFORE and renamed.json["updated"] >= IN_2040

        def listed(**period: int) -> list[str]:
            reply = client.simulate_get("/v1/experiments", params=period)
            assert reply.status_code == 200, reply.json
            return [e["id"] for e in reply.json["data"]]

        assert listed(period_start=2**31) == [made.json["id"]]
        assert listed(period_end=2**31) == ["7"]
        assert client.simulate_get("/v1/sessions/5").json["created"] == BEFORE


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
def test_rows_of_revision_0014_are_kept_and_a_deleted_id_is_not_given_again(
    dialect: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """0015 rebuilds ``observations`` and ``queued_suggestions`` AUTOINCREMENT on SQLite
    (nothing on PostgreSQL, whose sequences never go back): their rows, ids and indexes
    are kept, and the id of a row deleted after the upgrade is not given to the next."""
    url, engine = _database_at("0014", dialect, tmp_path / "ids.db", request)
    with engine.connect() as conn, conn.begin():
        conn.execute(
            sa.text("INSERT INTO users (id, email, created) VALUES (1, 'local@localhost', 1)")
        )
        conn.execute(
            sa.text(
                "INSERT INTO sigopt_experiments (id, owner_id, kind, name, type, parameters, "
                "metrics, state, seed, created, updated) VALUES (7, 1, 'experiment', 'old', "
                "'offline', :params, :metrics, 'active', 3, 1, 1)"
            ),
            {
                "params": '[{"name":"x","type":"double","bounds":{"min":0.0,"max":1.0}}]',
                "metrics": '[{"name":null,"objective":"maximize","strategy":"optimize",'
                '"threshold":null}]',
            },
        )
        for value in (1.0, 2.0, 3.0):  # ids 1, 2, 3 (the sequence's, on PostgreSQL)
            conn.execute(
                sa.text(
                    'INSERT INTO observations (experiment_id, assignments, "values", failed, '
                    "created, updated) VALUES (7, :a, :v, false, 1, 1)"
                ),
                {
                    "a": f'{{"x":{value / 10}}}',
                    "v": f'[{{"name":null,"value":{value},"value_stddev":null}}]',
                },
            )
        for value in (0.4, 0.5):  # ids 1, 2
            conn.execute(
                sa.text(
                    "INSERT INTO queued_suggestions (experiment_id, assignments, created) "
                    "VALUES (7, :a, 1)"
                ),
                {"a": f'{{"x":{value}}}'},
            )
    engine.dispose()
    store = open_store(url)
    try:
        engine = store.database.engine
        assert _differences(engine) == []  # the indexes on experiment_id included
        assert store.schema_version() == migrate.SCHEMA_VERSION
        with engine.connect() as conn:
            assert migrate.current_revision(conn) == migrate.HEAD
            kept = conn.execute(sa.text("SELECT id, assignments FROM observations ORDER BY id"))
            assert [tuple(r) for r in kept] == [(i, f'{{"x":0.{i}}}') for i in (1, 2, 3)]
            queued = conn.execute(sa.text("SELECT id FROM queued_suggestions ORDER BY id"))
            assert queued.scalars().all() == [1, 2]
    finally:
        store.close()
    with create_app(database=url, run_tasks=False) as service:
        client = falcon.testing.TestClient(service)
        for kind, newest, body in (
            ("observations", 3, {"assignments": {"x": 0.9}, "value": 9.0}),
            ("queued_suggestions", 2, {"assignments": {"x": 0.9}}),
        ):
            base = f"/v1/experiments/7/{kind}"
            assert client.simulate_get(f"{base}/1").status_code == 200
            assert client.simulate_delete(f"{base}/{newest}").status_code == 204
            made = client.simulate_post(base, json=body)
            assert made.status_code == 201, made.json
            assert made.json["id"] == str(newest + 1), kind
            assert client.simulate_get(f"{base}/{newest}").status_code == 404, kind
            after = client.simulate_get(base, params={"after": str(newest)}).json
            assert [item["id"] for item in after["data"]] == [str(newest + 1)], kind


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
def test_session_names_of_revision_0015_are_rewritten_composed(
    dialect: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """0016 rewrites a session name stored decomposed (NFD) composed (NFC), as names are
    kept since: found by a search for it as typed composed, and a 409 for a new session of
    that name. Of an owner's two sessions whose names are one name composed, the composed
    one keeps it and the other is renamed with its id."""
    url, engine = _database_at("0015", dialect, tmp_path / "names.db", request)
    with engine.connect() as conn, conn.begin():
        conn.execute(
            sa.text("INSERT INTO users (id, email, created) VALUES (1, 'local@localhost', 1)")
        )
        for session_id, name in (
            (5, "cafe\u0301 alloy"),  # decomposed, alone: rewritten
            (6, "Cre\u0300me"),  # decomposed, and its composed twin is id 7's
            (7, "Cr\u00e8me"),
            (8, "plain"),
        ):
            conn.execute(
                sa.text(
                    "INSERT INTO sessions (id, owner_id, name, description, status, gen, "
                    "completed, seed, created, updated, version) "
                    "VALUES (:id, 1, :name, '', 'active', -1, false, 3, 1, 1, 0)"
                ),
                {"id": session_id, "name": name},
            )
    engine.dispose()
    store = open_store(url)
    try:
        assert _differences(store.database.engine) == []
        assert store.schema_version() == migrate.SCHEMA_VERSION
        names = {i: store.sessions.get(1, i).name for i in (5, 6, 7, 8)}
        assert names == {
            5: "caf\u00e9 alloy",
            6: "Cr\u00e8me (session 6)",
            7: "Cr\u00e8me",
            8: "plain",
        }
    finally:
        store.close()
    with create_app(database=url, run_tasks=False) as service:
        client = falcon.testing.TestClient(service)
        found = client.simulate_get("/v1/sessions", params={"q": "caf\u00e9"}).json
        assert [item["id"] for item in found["data"]] == ["5"]
        again = client.simulate_post("/v1/sessions", json={"name": "caf\u00e9 alloy"})
        assert again.status_code == 409, again.json
        assert again.json["detail"]["existing_id"] == "5"


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
def test_completed_sessions_of_revision_0017_hold_no_remaining_generations(
    dialect: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """0018 writes 0 in a completed session's ``remaining``: final experiments end the
    campaign, and a session they completed before 0 was written then kept its space's
    count ("remaining 3" on a session that refuses every generate). Active and halted
    sessions keep theirs."""
    url, engine = _database_at("0017", dialect, tmp_path / "remaining.db", request)
    with engine.connect() as conn, conn.begin():
        conn.execute(
            sa.text("INSERT INTO users (id, email, created) VALUES (1, 'local@localhost', 1)")
        )
        for session_id, status, completed, remaining in (
            (5, "completed", True, 3),  # completed by final experiments before the fix
            (6, "completed", True, 0),  # completed by its space running out
            (7, "active", False, 4),
            (8, "halted", False, 2),
        ):
            conn.execute(
                sa.text(
                    "INSERT INTO sessions (id, owner_id, name, description, status, gen, "
                    "remaining, completed, seed, created, updated, version) VALUES (:id, 1, "
                    ":name, '', :status, 1, :remaining, :completed, 3, 1, 1, 0)"
                ),
                {
                    "id": session_id,
                    "name": f"s{session_id}",
                    "status": status,
                    "remaining": remaining,
                    "completed": completed,
                },
            )
    engine.dispose()
    store = open_store(url)
    try:
        assert _differences(store.database.engine) == []
        assert store.schema_version() == migrate.SCHEMA_VERSION
        left = {i: store.sessions.get(1, i).remaining for i in (5, 6, 7, 8)}
        assert left == {5: 0, 6: 0, 7: 4, 8: 2}
    finally:
        store.close()
    with create_app(database=url, run_tasks=False) as service:
        client = falcon.testing.TestClient(service)
        assert client.simulate_get("/v1/sessions/5").json["remaining"] == 0


def _database_at(
    revision: str, dialect: str, file: Path, request: pytest.FixtureRequest
) -> tuple[str, sa.Engine]:
    """The URL and an engine of a database at ``revision``, its schema version written as
    that release wrote it: an SQLite ``file``, or the test PostgreSQL (``dialect``)."""
    url = f"sqlite:///{file}" if dialect == "sqlite" else request.getfixturevalue("pg_url")
    engine = sa.create_engine(url)
    with engine.connect() as conn, conn.begin():
        migrate.upgrade(conn, revision)
        conn.execute(
            sa.text("INSERT INTO meta (key, value) VALUES ('schema_version', :version)"),
            {"version": str(int(revision))},
        )
    return url, engine
