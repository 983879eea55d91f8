"""Every table of the service, in one place (SQLAlchemy Core).

Ids are integer primary keys, rendered as strings in the API, and never given twice:
PostgreSQL's sequences never go back, and on SQLite the tables whose rows are deleted
(``queued_suggestions``, ``observations``) are AUTOINCREMENT (``sqlite_autoincrement``).
Without it SQLite gives the next row the largest id in the table plus one, so deleting the
newest row gave its id to the next one: a 404 for the deleted id became the new row, and
the list cursors (``after``) skipped it. The other tables a user addresses by id mark
rows deleted (``deleted``, ``state``, ``revoked``) and keep them; the ids of the rows
deleted elsewhere (generations, analytics files, idempotency keys) are never shown.
A table added with hard deletes must follow: ``tests/store/test_deleted_ids.py`` fails
naming it otherwise.
Timestamps are unix seconds in BIGINT columns (INTEGER is 32 bits on PostgreSQL: it
ends in 2038).
JSON documents are stored as text.
"""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

meta = sa.Table(
    "meta",
    metadata,
    sa.Column("key", sa.String(64), primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
)

users = sa.Table(
    "users",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("email", sa.String(320), nullable=False, unique=True),
    sa.Column("password_hash", sa.Text, nullable=True),
    sa.Column("created", sa.BigInteger, nullable=False),
)

tokens = sa.Table(
    "tokens",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
    sa.Column("token_hash", sa.String(128), nullable=False, unique=True),
    sa.Column("name", sa.String(200), nullable=True),
    sa.Column("created", sa.BigInteger, nullable=False),
    sa.Column("revoked", sa.Boolean, nullable=False, default=False),
    # a guest token (SigOpt's experiment token): it reads this SigOpt experiment only
    sa.Column("experiment_id", sa.Integer, nullable=True),
    # a guest token's end (unix seconds), fixed at its making: the time its answer promised,
    # whatever lifetime a later `serve` is given. Null for API tokens, which do not expire,
    # and for guest tokens made before revision 0010 (they end guest_token_days after their
    # making, as they did)
    sa.Column("expires", sa.BigInteger, nullable=True),
)

idempotency_keys = sa.Table(
    "idempotency_keys",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("owner_id", sa.Integer, nullable=False),
    sa.Column("key", sa.String(200), nullable=False),
    sa.Column("method", sa.String(10), nullable=False),
    sa.Column("path", sa.Text, nullable=False),
    sa.Column("body_hash", sa.String(64), nullable=False),
    sa.Column("status", sa.Integer, nullable=True),  # null while the first request runs
    sa.Column("response", sa.Text, nullable=True),
    sa.Column("content_type", sa.String(100), nullable=True),
    sa.Column("created", sa.BigInteger, nullable=False),
    sa.UniqueConstraint("owner_id", "key", name="uq_idempotency_owner_key"),
)

sessions = sa.Table(
    "sessions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("owner_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("description", sa.Text, nullable=False, default=""),
    sa.Column("status", sa.String(20), nullable=False, default="active"),
    sa.Column("gen", sa.Integer, nullable=False, default=-1),
    sa.Column("remaining", sa.Integer, nullable=True),
    sa.Column("completed", sa.Boolean, nullable=False, default=False),
    sa.Column("population_size", sa.Integer, nullable=True),
    sa.Column("replicates", sa.Integer, nullable=True),
    sa.Column("seed", sa.BigInteger, nullable=False),
    sa.Column("space", sa.Text, nullable=True),  # validated Space as JSON
    sa.Column("space_size", sa.Text, nullable=True),  # exact, may exceed 64 bits
    sa.Column("created", sa.BigInteger, nullable=False),
    sa.Column("updated", sa.BigInteger, nullable=False),
    # bumped by every change of the campaign (optimistic concurrency for tasks)
    sa.Column("version", sa.Integer, nullable=False, default=0),
    # the largest response measured so far (kept by the campaign store when it writes)
    sa.Column("best_response", sa.Float, nullable=True),
    # Daptics' session tag: a read-only identifier set at create (None without one)
    sa.Column("tag", sa.String(200), nullable=True),
    sa.UniqueConstraint("owner_id", "name", name="uq_sessions_owner_name"),
)

tasks = sa.Table(
    "tasks",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("session_id", sa.Integer, sa.ForeignKey("sessions.id"), nullable=False, index=True),
    sa.Column("owner_id", sa.Integer, nullable=False),
    sa.Column("type", sa.String(20), nullable=False),
    sa.Column("status", sa.String(20), nullable=False, default="new"),
    sa.Column("phase", sa.String(100), nullable=False, default="queued"),
    sa.Column("progress_fraction", sa.Float, nullable=False, default=0.0),
    sa.Column("progress_message", sa.Text, nullable=False, default=""),
    sa.Column("params", sa.Text, nullable=False, default="{}"),  # JSON input of the task
    sa.Column("errors", sa.Text, nullable=False, default="[]"),
    sa.Column("result", sa.Text, nullable=True),
    sa.Column("cancel_requested", sa.Boolean, nullable=False, default=False),
    sa.Column("version", sa.Integer, nullable=False, default=0),  # bumped on every change
    sa.Column("worker", sa.String(100), nullable=True),  # who runs it: host:pid:uuid[:start]
    sa.Column("heartbeat", sa.BigInteger, nullable=True),  # last sign of life from that worker
    # runs started (claims); a task whose worker died is run again until this reaches the limit
    sa.Column("attempts", sa.Integer, nullable=False, default=0, server_default="0"),
    sa.Column("created", sa.BigInteger, nullable=False),
    sa.Column("started", sa.BigInteger, nullable=True),
    sa.Column("finished", sa.BigInteger, nullable=True),
)

generations = sa.Table(
    "generations",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("session_id", sa.Integer, sa.ForeignKey("sessions.id"), nullable=False),
    sa.Column("gen", sa.Integer, nullable=False),
    # every row of the generation, stored once, in the form the optimizer works in:
    # ``codes`` (JSON rows of level indices / units, see domain/codes.py), ``responses``
    # (JSON, null where missing) and ``flags`` (one letter per row: D a row of the design,
    # d an extra row put as designed, i initial, f final); the design is the first
    # ``design_rows`` rows, their responses null until ``uploaded``
    sa.Column("codes", sa.Text, nullable=False),
    sa.Column("responses", sa.Text, nullable=False),
    sa.Column("flags", sa.Text, nullable=False),
    sa.Column("design_rows", sa.Integer, nullable=False),
    sa.Column("uploaded", sa.Boolean, nullable=False),
    sa.Column("validated", sa.Boolean, nullable=False, default=False),
    sa.Column("has_responses", sa.Boolean, nullable=False, default=False),
    sa.Column("created", sa.BigInteger, nullable=False),
    sa.UniqueConstraint("session_id", "gen", name="uq_generations_session_gen"),
)

analytics_files = sa.Table(
    "analytics_files",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("session_id", sa.Integer, sa.ForeignKey("sessions.id"), nullable=False),
    sa.Column("gen", sa.Integer, nullable=False),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("content_type", sa.String(100), nullable=False),
    sa.Column("data", sa.LargeBinary, nullable=False),
    sa.Column("created", sa.BigInteger, nullable=False),
    sa.UniqueConstraint("session_id", "gen", "name", name="uq_analytics_session_gen_name"),
)

sigopt_projects = sa.Table(
    "sigopt_projects",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("owner_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
    sa.Column("key", sa.String(100), nullable=False),  # SigOpt's project id, e.g. "my-model"
    sa.Column("name", sa.String(500), nullable=False),
    sa.Column("metadata", sa.Text, nullable=True),
    sa.Column("created", sa.BigInteger, nullable=False),
    sa.Column("updated", sa.BigInteger, nullable=False),
    sa.UniqueConstraint("owner_id", "key", name="uq_sigopt_projects_owner_key"),
)

#: SigOpt's project notes (``POST /v1/clients/{cid}/projects/{pid}/notes``): every one is
#: kept, the latest is listed, as SigOpt's
sigopt_project_notes = sa.Table(
    "sigopt_project_notes",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column(
        "project_id", sa.Integer, sa.ForeignKey("sigopt_projects.id"), nullable=False, index=True
    ),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
    sa.Column("contents", sa.Text, nullable=False),
    sa.Column("created", sa.BigInteger, nullable=False),
)

#: SigOpt's tags of a client (``POST /v1/clients/{cid}/tags``); runs name theirs by id in
#: their ``fields`` (``"tags"``), as SigOpt keeps them in a run's data
sigopt_tags = sa.Table(
    "sigopt_tags",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("owner_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("color", sa.String(7), nullable=False),  # "#RRGGBB", upper case
    sa.Column("created", sa.BigInteger, nullable=False),
    sa.UniqueConstraint("owner_id", "name", name="uq_sigopt_tags_owner_name"),
)

sigopt_experiments = sa.Table(
    "sigopt_experiments",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("owner_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
    # "experiment" (SigOpt's v1 API) or "aiexperiment" (runs-based, sigopt.create_experiment)
    sa.Column("kind", sa.String(20), nullable=False, default="experiment"),
    sa.Column("project_id", sa.Integer, sa.ForeignKey("sigopt_projects.id"), nullable=True),
    sa.Column("name", sa.String(500), nullable=False),
    sa.Column("type", sa.String(20), nullable=False, default="offline"),
    sa.Column("parameters", sa.Text, nullable=False),
    sa.Column("metrics", sa.Text, nullable=False),
    sa.Column("conditionals", sa.Text, nullable=True),  # JSON list, null = none
    sa.Column("linear_constraints", sa.Text, nullable=True),  # JSON list, null = none
    sa.Column("num_solutions", sa.Integer, nullable=True),  # null = 1
    sa.Column("observation_budget", sa.BigInteger, nullable=True),
    sa.Column("parallel_bandwidth", sa.BigInteger, nullable=True),
    sa.Column("metadata", sa.Text, nullable=True),
    sa.Column("state", sa.String(20), nullable=False, default="active"),
    sa.Column("seed", sa.BigInteger, nullable=False),
    sa.Column("created", sa.BigInteger, nullable=False),
    sa.Column("updated", sa.BigInteger, nullable=False),
    sa.Column("tasks", sa.Text, nullable=True),  # JSON [{name, cost}], null = not multitask
    # true when the creator gave the seed (its suggestions then reproducible), null = drawn
    sa.Column("seed_given", sa.Boolean, nullable=True),
)

suggestions = sa.Table(
    "suggestions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column(
        "experiment_id",
        sa.Integer,
        sa.ForeignKey("sigopt_experiments.id"),
        nullable=False,
        index=True,
    ),
    sa.Column("assignments", sa.Text, nullable=False),
    sa.Column("state", sa.String(20), nullable=False, default="open"),
    sa.Column("metadata", sa.Text, nullable=True),
    sa.Column("deleted", sa.Boolean, nullable=False, default=False),
    sa.Column("created", sa.BigInteger, nullable=False),
    sa.Column("task", sa.String(500), nullable=True),  # the task's name, null = not multitask
)

queued_suggestions = sa.Table(
    "queued_suggestions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column(
        "experiment_id",
        sa.Integer,
        sa.ForeignKey("sigopt_experiments.id"),
        nullable=False,
        index=True,
    ),
    sa.Column("assignments", sa.Text, nullable=False),
    sa.Column("created", sa.BigInteger, nullable=False),
    sa.Column("task", sa.String(500), nullable=True),  # the task's name, null = not multitask
    sqlite_autoincrement=True,  # its rows are deleted: ids never reused (above)
)

observations = sa.Table(
    "observations",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column(
        "experiment_id",
        sa.Integer,
        sa.ForeignKey("sigopt_experiments.id"),
        nullable=False,
        index=True,
    ),
    sa.Column("suggestion_id", sa.Integer, nullable=True),
    sa.Column("assignments", sa.Text, nullable=False),
    sa.Column("values", sa.Text, nullable=False, default="[]"),
    sa.Column("failed", sa.Boolean, nullable=False, default=False),
    sa.Column("metadata", sa.Text, nullable=True),
    sa.Column("created", sa.BigInteger, nullable=False),
    sa.Column("updated", sa.BigInteger, nullable=False),
    sa.Column("task", sa.String(500), nullable=True),  # the task's name, null = not multitask
    sqlite_autoincrement=True,  # its rows are deleted: ids never reused (above)
)

training_runs = sa.Table(
    "training_runs",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("owner_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
    sa.Column("project_id", sa.Integer, sa.ForeignKey("sigopt_projects.id"), nullable=False),
    sa.Column(
        "experiment_id",
        sa.Integer,
        sa.ForeignKey("sigopt_experiments.id"),
        nullable=True,
        index=True,
    ),
    sa.Column("suggestion_id", sa.Integer, nullable=True),
    sa.Column("observation_id", sa.Integer, nullable=True),
    sa.Column("name", sa.String(500), nullable=True),
    sa.Column("state", sa.String(20), nullable=False, default="active"),
    sa.Column("deleted", sa.Boolean, nullable=False, default=False),
    sa.Column("assignments", sa.Text, nullable=False, default="{}"),
    sa.Column("values", sa.Text, nullable=False, default="{}"),  # {metric: {value, value_stddev}}
    sa.Column("metadata", sa.Text, nullable=True),
    # the other fields a run logs (datasets, model, source_code, logs, sys_metadata, ...)
    sa.Column("fields", sa.Text, nullable=False, default="{}"),
    sa.Column("created", sa.BigInteger, nullable=False),
    sa.Column("updated", sa.BigInteger, nullable=False),
    sa.Column("completed", sa.BigInteger, nullable=True),
)

run_checkpoints = sa.Table(
    "run_checkpoints",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column(
        "training_run_id", sa.Integer, sa.ForeignKey("training_runs.id"), nullable=False, index=True
    ),
    sa.Column("values", sa.Text, nullable=False, default="[]"),
    sa.Column("metadata", sa.Text, nullable=True),
    sa.Column("created", sa.BigInteger, nullable=False),
)

run_files = sa.Table(
    "run_files",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column(
        "training_run_id", sa.Integer, sa.ForeignKey("training_runs.id"), nullable=False, index=True
    ),
    sa.Column("name", sa.String(500), nullable=True),
    sa.Column("filename", sa.String(500), nullable=True),
    sa.Column("content_type", sa.String(100), nullable=False),
    sa.Column("content_length", sa.Integer, nullable=False),
    sa.Column("content_md5", sa.String(24), nullable=False),  # base64 of the 16-byte MD5
    # the upload URL's one-time key (its SHA-256): the client PUTs there without a token
    sa.Column("upload_key_hash", sa.String(64), nullable=False),
    sa.Column("data", sa.LargeBinary, nullable=True),  # null until uploaded
    sa.Column("created", sa.BigInteger, nullable=False),
    sa.Column("uploaded", sa.BigInteger, nullable=True),
)

rate_limits = sa.Table(
    "rate_limits",
    metadata,
    # what is limited ("requests" per token, "login" per email or address) and for whom
    sa.Column("scope", sa.String(20), primary_key=True),
    sa.Column("key", sa.String(400), primary_key=True),
    # GCRA's theoretical arrival time of the next request (unix seconds, fractional)
    sa.Column("tat", sa.Float, nullable=False),
)
