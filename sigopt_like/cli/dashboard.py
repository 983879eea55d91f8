"""``sigopt-like dashboard``: look at a local database in the browser.

The service of ``serve``, with no accounts (the local user owns everything),
listening on 127.0.0.1 and answering only to local host names, running no tasks
(the scripts that use the database run theirs), read-only unless ``--actions``:
a change is refused to anyone, a script with no token as much as a browser.
"""

from __future__ import annotations

import click

from .options import PORT, PORT_HELP, db_option

DEFAULT_PORT = 8050
LOCAL_NAMES = ("127.0.0.1", "localhost", "::1")


@click.command()
@db_option
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=PORT, default=DEFAULT_PORT, show_default=True, help=PORT_HELP)
@click.option("--actions", is_flag=True, help="Let the dashboard halt campaigns and cancel tasks.")
@click.pass_context
def dashboard(ctx: click.Context, db: str | None, host: str, port: int, actions: bool) -> None:
    """Look at a local database in your browser: campaigns, tasks, SigOpt experiments.

    No sign-in: every request counts as the local user (the owner of work made
    without a token: embedded scripts, the demo), so it listens on this machine
    only. It is read-only for everyone, browser or script (any change is a 403
    read_only); --actions lets the page halt sessions and cancel tasks, and nothing
    else. To change work through the API, use 'sigopt-like serve' with tokens.
    With another --host, anyone who reaches the port can read the local user's
    sessions and experiments (and, with --actions, halt and cancel them); work of
    users made by 'sigopt-like users create' is neither listed nor reachable.

    \b
    Example:
      sigopt-like dashboard --db ~/doe.sqlite3      # then open http://127.0.0.1:8050/
    """
    from .admin import serve
    from .database import choose, existing

    target = choose(db)
    if target != ":memory:":  # before: a mistyped path became an empty dashboard
        existing(target, what="the dashboard")
    local = host in LOCAL_NAMES
    ctx.invoke(
        serve,
        host=host,
        port=port,
        db=target,
        no_auth=True,
        no_tasks=True,
        quiet_access=True,
        dashboard_actions=actions,
        allowed_hosts=LOCAL_NAMES if local else (),
        browser_hint=True,
        local_dashboard=True,
        # said once it listens (before: first, then "cannot listen on ..." for nothing served)
        warning=None
        if local
        else (
            f"sigopt-like: warning: serving {host} without accounts: anyone who can reach "
            "this port can read the local user's work (not other users')"
            + (", and halt its sessions and cancel its tasks" if actions else "")
        ),
    )
