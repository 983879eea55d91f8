"""The ``sigopt-like`` console script.

Subcommands:

- ``serve``: run the service over HTTP (waitress), auth on.
- ``users create EMAIL [--password-stdin]``: add a user.
- ``tokens create --user EMAIL``: print a new API token (shown once; only its hash is kept).
- ``tokens revoke (TOKEN | --token-stdin | --id ID | --user EMAIL)``.
- ``worker``: run only the task runner against a shared database (scaled-out
  mode, with app processes started by ``serve --no-tasks``).
- ``demo``: the end-to-end demonstration campaign (``sigopt_like.demo``).
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ._constants import DATABASE_FILE, ENV_DATABASE, SERVICE_EXTRA_HINT

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8080
DEFAULT_THREADS = 8


def default_database() -> str:
    """``$SIGOPT_LIKE_DATABASE``, else the file in the user's data dir."""
    env = os.environ.get(ENV_DATABASE)
    if env:
        return env
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return str(Path(base, *DATABASE_FILE))


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every subcommand."""
    parser = argparse.ArgumentParser(
        prog="sigopt-like", description="sigopt_like: service, users, tokens and a demo."
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def with_db(p: argparse.ArgumentParser) -> argparse.ArgumentParser:
        p.add_argument(
            "--db",
            default=None,
            metavar="PATH",
            help=f"SQLite path or SQLAlchemy URL (default: ${ENV_DATABASE} or the user data dir)",
        )
        return p

    serve = with_db(sub.add_parser("serve", help="serve the API over HTTP (auth on)"))
    serve.add_argument("--host", default=DEFAULT_HOST)
    serve.add_argument("--port", type=int, default=DEFAULT_PORT)
    serve.add_argument("--threads", type=int, default=DEFAULT_THREADS)
    serve.add_argument("--task-threads", type=int, default=None, help="task runner threads")
    serve.add_argument(
        "--requests-per-minute",
        type=int,
        default=None,
        help="per-token request limit (default: none)",
    )
    serve.add_argument("--max-body-bytes", type=int, default=None)
    serve.add_argument(
        "--no-auth",
        action="store_true",
        help="serve without tokens: everything belongs to the local user",
    )
    serve.add_argument(
        "--no-tasks",
        action="store_true",
        help="run no tasks here (scaled out: 'sigopt-like worker' runs them)",
    )

    worker = with_db(sub.add_parser("worker", help="run tasks from a shared database"))
    worker.add_argument("--threads", type=int, default=None, help="worker threads")

    users = sub.add_parser("users", help="manage users").add_subparsers(
        dest="action", required=True, metavar="ACTION"
    )
    create = with_db(users.add_parser("create", help="add a user"))
    create.add_argument("email")
    create.add_argument(
        "--password-stdin",
        action="store_true",
        help="read a password (for POST /v1/login) from standard input",
    )

    tokens = sub.add_parser("tokens", help="manage API tokens").add_subparsers(
        dest="action", required=True, metavar="ACTION"
    )
    tcreate = with_db(tokens.add_parser("create", help="print a new token for a user"))
    tcreate.add_argument("--user", required=True, metavar="EMAIL")
    tcreate.add_argument("--name", default=None, help="a label for the token")
    revoke = with_db(tokens.add_parser("revoke", help="revoke tokens"))
    which = revoke.add_mutually_exclusive_group(required=True)
    which.add_argument("token", nargs="?", default=None, help="the token itself")
    which.add_argument("--token-stdin", action="store_true", help="read the token from stdin")
    which.add_argument("--id", type=int, default=None, help="the token's id")
    which.add_argument("--user", default=None, metavar="EMAIL", help="every token of a user")

    demo = sub.add_parser("demo", help="run the demonstration campaign", add_help=False)
    demo.add_argument("demo_args", nargs=argparse.REMAINDER, help="passed to the demo")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one subcommand; the exit status (0 ok, 1 failed, 2 usage)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["demo"]:  # everything after it, options included, is the demo's
        return _demo(argparse.Namespace(command="demo", demo_args=argv[1:]))
    args = build_parser().parse_args(argv)
    handlers = {
        "serve": _serve,
        "users": _users,
        "tokens": _tokens,
        "worker": _worker,
        "demo": _demo,
    }
    try:
        return handlers[args.command](args)
    except _CLIError as err:
        print(f"sigopt-like: {err}", file=sys.stderr)
        return 1


class _CLIError(Exception):
    pass


def _service_modules() -> Any:
    try:
        from .service import app
        from .service.store import accounts
    except ImportError as err:  # the service extra is missing
        raise _CLIError(f"the service is not installed ({err}); {SERVICE_EXTRA_HINT}") from err
    return accounts, app


def _store(args: argparse.Namespace) -> Any:
    _service_modules()
    from .service.store import open_store

    return open_store(args.db or default_database())


def _read_stdin_line() -> str:
    return sys.stdin.readline().rstrip("\r\n")


def _users(args: argparse.Namespace) -> int:
    accounts, _ = _service_modules()
    password = None
    if args.password_stdin:
        password = _read_stdin_line()
        if not password:
            raise _CLIError("the password read from standard input is empty")
    store = _store(args)
    try:
        user = store.accounts.create_user(args.email, password)
    except accounts.AccountError as err:
        raise _CLIError(str(err)) from err
    finally:
        store.close()
    print(f"created user {user.email} (id {user.id})")
    return 0


def _tokens(args: argparse.Namespace) -> int:
    accounts, _ = _service_modules()
    store = _store(args)
    try:
        if args.action == "create":
            user = store.accounts.find_user(args.user)
            if user is None:
                raise _CLIError(
                    f"no user with email {args.user!r}; add one with 'sigopt-like users create'"
                )
            issued = store.accounts.issue_token(user.id, name=args.name)
            print(
                f"token {issued.id} for {user.email} (shown once, keep it safe):", file=sys.stderr
            )
            print(issued.token)
            return 0
        token = _read_stdin_line() if args.token_stdin else args.token
        try:
            count = store.accounts.revoke_token(token=token, token_id=args.id, email=args.user)
        except accounts.AccountError as err:
            raise _CLIError(str(err)) from err
        print(f"revoked {count} token(s)")
        return 0 if count else 1
    finally:
        store.close()


def _serve(args: argparse.Namespace) -> int:
    _, app = _service_modules()
    from .service.serving import create_server

    overrides: dict[str, Any] = {"auth_required": not args.no_auth}
    if args.no_tasks:
        overrides["run_tasks"] = False
    if args.task_threads is not None:
        overrides["task_threads"] = args.task_threads
    if args.requests_per_minute is not None:
        overrides["requests_per_minute"] = args.requests_per_minute
    if args.max_body_bytes is not None:
        overrides["max_body_bytes"] = args.max_body_bytes
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    service = app.create_app(database=args.db or default_database(), **overrides)
    server = create_server(service, host=args.host, port=args.port, threads=args.threads)

    def _stop(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _stop)
    print(
        f"sigopt-like serving on http://{server.effective_host}:{server.effective_port} "
        f"(auth {'on' if not args.no_auth else 'OFF'})",
        flush=True,
    )
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
        service.close()
    return 0


def _worker(args: argparse.Namespace) -> int:
    _service_modules()
    from .service import worker

    argv = ["--db", args.db or default_database()]
    if args.threads is not None:
        argv += ["--threads", str(args.threads)]
    return int(worker.main(argv) or 0)


def _demo(args: argparse.Namespace) -> int:
    try:
        demo = importlib.import_module("sigopt_like.demo")
    except ModuleNotFoundError as err:
        if err.name not in ("sigopt_like.demo",):
            raise
        print("sigopt-like: the demo is not available in this installation", file=sys.stderr)
        return 1
    result = demo.main(args.demo_args)
    return int(result or 0)


if __name__ == "__main__":
    sys.exit(main())
