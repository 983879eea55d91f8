"""How long revision 0012 (time columns to BIGINT) takes on a large PostgreSQL database.

    python benchmarks/migration_time.py [--pg ADMIN_URL] [--campaigns 200] [--rows 1000000]

Builds a database at revision 0011 holding ``--campaigns`` campaigns, half of them Daptics
sessions (20 generations of 50 experiments each, 3 tasks a generation) and half SigOpt
experiments sharing ``--rows`` observations, each answering a suggestion of its own (so
twice ``--rows`` rows in those two tables), the rows made by SQL (``generate_series``),
then times the upgrade to head as the service runs it on its first open
(``migrate.upgrade`` in one transaction, committed). ``ALTER COLUMN ... TYPE BIGINT``
rewrites each table (and rebuilds its indexes) under an ACCESS EXCLUSIVE lock, and the
locks are held until the upgrade commits: every request of a service still running on that
database waits for the whole upgrade.

The baselines, measured in the same run on the same tables (before and after the upgrade,
medians), are one full read of them (``SELECT count(*)`` of each table 0012 rewrites) and one
copy of them (``CREATE TABLE ... AS SELECT *``, no indexes); the figures printed are the
upgrade's seconds and its ratio to each.

Without ``--pg`` a throw-away server is started (``initdb`` and ``pg_ctl``, found on PATH or
in Debian's ``/usr/lib/postgresql/<version>/bin``; fsync on, as a real server).
"""

from __future__ import annotations

import argparse
import contextlib
import glob
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent))
from perf_common import Figure, free_port, median, report

from sigopt_like.service.store import migrate

#: the tables revision 0012 rewrites (its TIME_COLUMNS), read for the baseline
TABLES = (
    "users",
    "tokens",
    "idempotency_keys",
    "sessions",
    "tasks",
    "generations",
    "analytics_files",
    "sigopt_projects",
    "sigopt_experiments",
    "suggestions",
    "queued_suggestions",
    "observations",
    "training_runs",
    "run_checkpoints",
    "run_files",
)
GENERATIONS = 20  # per Daptics session
EXPERIMENTS = 50  # per generation
PARAMETERS = 5  # per campaign
T0 = 1_700_000_000  # 2023-11-14: every row's time


def _bin(name: str) -> str:
    found = shutil.which(name) or max(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), default="")
    if not found:
        raise SystemExit(f"{name} not found: install PostgreSQL or pass --pg")
    return found


def _as_server_user(cmd: list[str]) -> list[str]:
    return ["runuser", "-u", "nobody", "--", *cmd] if os.geteuid() == 0 else cmd


@contextlib.contextmanager
def throwaway_server(*settings: str) -> Iterator[str]:
    """A PostgreSQL server in a temporary folder (Unix socket only), with ``settings``
    (``-c`` options such as ``fsync=off``); its admin URL."""
    root = Path(tempfile.mkdtemp(prefix="sigopt-like-migration-"))
    if os.geteuid() == 0:
        shutil.chown(root, "nobody")
    data = root / "data"
    initdb = [_bin("initdb"), "-D", str(data), "-A", "trust", "-U", "postgres", "-E", "UTF8"]
    subprocess.run(_as_server_user(initdb), check=True, capture_output=True)
    port = free_port()
    options = f"-k {root} -p {port} -c listen_addresses=''"
    options += "".join(f" -c {setting}" for setting in settings)
    pg_ctl = _bin("pg_ctl")
    start = [pg_ctl, "-D", str(data), "-o", options, "-l", str(root / "log"), "-w", "start"]
    subprocess.run(_as_server_user(start), check=True, capture_output=True)
    try:
        yield f"postgresql+psycopg://postgres@/postgres?host={root}&port={port}"
    finally:
        stop = [pg_ctl, "-D", str(data), "-m", "fast", "stop"]
        subprocess.run(_as_server_user(stop), capture_output=True)
        shutil.rmtree(root, ignore_errors=True)


def fresh_database(admin_url: str) -> str:
    """A new, empty database on the server; its URL."""
    name = f"migration_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f"CREATE DATABASE {name}"))
    admin.dispose()
    return sa.engine.make_url(admin_url).set(database=name).render_as_string(hide_password=False)


def _assignments() -> str:
    """SQL for a JSON object of PARAMETERS random values, as the service stores one."""
    parts = [f"'\"x{i}\": ', round(random()::numeric, 6)" for i in range(PARAMETERS)]
    return "concat('{', " + ", ', ', ".join(parts) + ", '}')"


#: the rows of a database at revision 0011, made by SQL; :c campaigns, :r observations
FILL = (
    "INSERT INTO meta (key, value) VALUES ('schema_version', '11')",
    "INSERT INTO users (id, email, created) SELECT g, 'user' || g || '@example.com', :t "
    "FROM generate_series(1, 10) g",
    "INSERT INTO tokens (user_id, token_hash, created, revoked, expires) "
    "SELECT 1 + g % 10, md5(g::text), :t, false, NULL FROM generate_series(1, 50) g",
    "INSERT INTO idempotency_keys (owner_id, key, method, path, body_hash, status, response, "
    "created) SELECT 1 + g % 10, md5(g::text), 'POST', '/v1/experiments/1/observations', "
    "md5(g::text), 201, '{}', :t FROM generate_series(1, 20000) g",
    "INSERT INTO sessions (id, owner_id, name, description, status, gen, completed, seed, "
    "created, updated, version) SELECT g, 1 + g % 10, 'campaign ' || g, '', 'active', "
    f"{GENERATIONS - 1}, false, g, :t, :t, 0 FROM generate_series(1, :c / 2) g",
    "INSERT INTO generations (session_id, gen, codes, responses, flags, design_rows, uploaded, "
    "validated, has_responses, created) SELECT s, gen, "
    f"(SELECT '[' || string_agg('[0, 1, 2, 1, 0]', ', ') || ']' "
    f"FROM generate_series(1, {EXPERIMENTS})), "
    f"(SELECT '[' || string_agg(round(random()::numeric, 6)::text, ', ') || ']' "
    f"FROM generate_series(1, {EXPERIMENTS})), repeat('D', {EXPERIMENTS}), {EXPERIMENTS}, "
    f"true, true, true, :t FROM generate_series(1, :c / 2) s, "
    f"generate_series(0, {GENERATIONS - 1}) gen",
    "INSERT INTO tasks (session_id, owner_id, type, status, phase, progress_fraction, "
    "progress_message, params, errors, cancel_requested, version, heartbeat, attempts, "
    "created, started, finished) SELECT s, 1 + s % 10, 'generate', 'success', 'done', 1, '', "
    "'{}', '[]', false, 3, :t, 1, :t, :t, :t FROM generate_series(1, :c / 2) s, "
    f"generate_series(1, {3 * GENERATIONS}) k",
    "INSERT INTO sigopt_experiments (id, owner_id, kind, name, type, parameters, metrics, "
    "state, seed, created, updated) SELECT g, 1 + g % 10, 'experiment', 'experiment ' || g, "
    '\'offline\', \'[{"name": "x0", "type": "double", "bounds": {"min": 0, "max": '
    '1}}]\', \'[{"name": "y", "objective": "maximize"}]\', \'active\', g, :t, :t '
    "FROM generate_series(1, :c - :c / 2) g",
    "INSERT INTO suggestions (id, experiment_id, assignments, state, deleted, created) "
    "SELECT g, 1 + g % (:c - :c / 2), {assignments}, 'closed', false, :t "
    "FROM generate_series(1, :r) g",
    'INSERT INTO observations (experiment_id, suggestion_id, assignments, "values", failed, '
    'created, updated) SELECT s.experiment_id, s.id, s.assignments, concat(\'[{"name": "y", '
    '"value": \', round(random()::numeric, 6), \', "value_stddev": null}]\'), false, :t, :t '
    "FROM suggestions s",
    *(
        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"
        for table in ("users", "sessions", "sigopt_experiments", "suggestions")
    ),  # ids given above: the service's next rows take theirs from these sequences
)


def build(url: str, campaigns: int, rows: int) -> None:
    """The database at revision 0011 with the campaigns' rows."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn, conn.begin():
            migrate.upgrade(conn, "0011")
            for statement in FILL:
                sql = statement.replace("{assignments}", _assignments())
                conn.execute(sa.text(sql), {"t": T0, "c": campaigns, "r": rows})
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sa.text("VACUUM ANALYZE"))
    finally:
        engine.dispose()


def read_everything(url: str) -> float:
    """Seconds to count every row of the tables 0012 rewrites (the baseline)."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            start = time.perf_counter()
            for table in TABLES:
                conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar()
            return time.perf_counter() - start
    finally:
        engine.dispose()


def copy_everything(url: str) -> float:
    """Seconds to copy every row of the tables 0012 rewrites into new tables (no indexes),
    dropped afterwards: what "about as long as copying its tables" means."""
    engine = sa.create_engine(url)
    try:
        start = time.perf_counter()
        with engine.connect() as conn, conn.begin():
            for table in TABLES:
                conn.execute(sa.text(f"CREATE TABLE copy_{table} AS SELECT * FROM {table}"))
        took = time.perf_counter() - start
        with engine.connect() as conn, conn.begin():
            for table in TABLES:
                conn.execute(sa.text(f"DROP TABLE copy_{table}"))
        return took
    finally:
        engine.dispose()


def upgrade(url: str) -> tuple[float, float]:
    """Seconds to upgrade the database to head (one transaction, committed), and how long
    a read of ``users`` (the first table rewritten) begun a second after the upgrade
    waited for its answer: as a request of a service left running would."""
    engine = sa.create_engine(url)
    waited: list[float] = []

    def read_meanwhile() -> None:
        time.sleep(1.0)
        with engine.connect() as conn:
            begun = time.perf_counter()
            conn.execute(sa.text("SELECT count(*) FROM users")).scalar()
            waited.append(time.perf_counter() - begun)

    reader = threading.Thread(target=read_meanwhile)
    try:
        start = time.perf_counter()
        reader.start()
        with engine.connect() as conn, conn.begin():
            migrate.upgrade(conn, "head")
        took = time.perf_counter() - start
        reader.join()
        return took, waited[0]
    finally:
        engine.dispose()


def sizes(url: str) -> tuple[int, int]:
    """Rows of observations + suggestions, and the bytes of the tables 0012 rewrites."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            counted = conn.execute(
                sa.text(
                    "SELECT (SELECT count(*) FROM observations) "
                    "+ (SELECT count(*) FROM suggestions)"
                )
            ).scalar_one()
            total = sum(
                conn.execute(sa.text(f"SELECT pg_total_relation_size('{t}')")).scalar_one()
                for t in TABLES
            )
            return int(counted), int(total)
    finally:
        engine.dispose()


def run(admin_url: str, campaigns: int, rows: int) -> None:
    url = fresh_database(admin_url)
    start = time.perf_counter()
    build(url, campaigns, rows)
    built = time.perf_counter() - start
    counted, total = sizes(url)
    print(
        f"built revision 0011 in {built:.0f} s: {campaigns} campaigns, {counted:,} observation "
        f"and suggestion rows, {total / 2**20:,.0f} MiB in the tables 0012 rewrites"
    )
    reads = [read_everything(url) for _ in range(3)]
    copies = [copy_everything(url)]
    took, waited = upgrade(url)
    reads += [read_everything(url) for _ in range(3)]
    copies.append(copy_everything(url))
    report(
        "Upgrade 0011 -> 0012 (time columns to BIGINT) on PostgreSQL",
        [
            Figure(
                "upgrade to head vs one full read of the same tables",
                took,
                median(reads),
                "s",
                "-",
                note=f"a read of users begun 1 s in waited {waited:.1f} s",
            ),
            Figure(
                "upgrade to head vs one copy of the same tables",
                took,
                median(copies),
                "s",
                "-",
                note=f"{total / 2**20 / took:,.0f} MiB rewritten a second",
            ),
        ],
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pg", help="an admin URL of a PostgreSQL server (else a throw-away one)")
    parser.add_argument("--campaigns", type=int, default=200)
    parser.add_argument("--rows", type=int, default=1_000_000, help="observations in all")
    args = parser.parse_args(argv)
    if args.pg:
        run(args.pg, args.campaigns, args.rows)
        return 0
    with throwaway_server() as admin_url:
        run(admin_url, args.campaigns, args.rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
