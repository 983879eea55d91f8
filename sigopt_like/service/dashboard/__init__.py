"""The browser dashboard: static pages that read the service's own ``/v1`` API.

Served at ``/`` by every service whose settings have ``dashboard=True`` (the
default): ``sigopt-like serve`` for a team, ``sigopt-like dashboard`` for a
local database. The pages are plain HTML, CSS and JavaScript modules shipped
in this package (``static/``): no Node build step, nothing fetched from a CDN.
They call ``/v1`` with a session cookie, so auth, ownership and every check
are the API's own; the dashboard has no SQL and no data routes of its own.

Modules: :mod:`.assets` (the page and its files), :mod:`.signin` (cookie
sign-in, sign-out and "who am I"), :mod:`.cookies` (the cookie and its CSRF
token), :mod:`.guard` (middleware: a browser may only read, unless actions
are on, and then only with the CSRF token).

The plots are small hand-written SVG (``static/plots.js``): the pages must
install with pip alone, and a plotting library shipped in a Python package
would add megabytes for four kinds of chart.
"""

from __future__ import annotations

from typing import Any

import falcon

from .assets import Asset, FilesOnFirstUse, Shell
from .guard import BrowserGuard
from .signin import Me, SignIn, SignOut

__all__ = ["BrowserGuard", "register"]


def register(app: falcon.App, context: Any) -> None:
    """Add the dashboard's routes (nothing when ``settings.dashboard`` is off)."""
    if not context.settings.dashboard:
        return
    files = FilesOnFirstUse()  # read on the first request for one
    app.add_route("/", Shell(files))
    app.add_route("/assets/{name}", Asset(files))
    app.add_route("/auth/sign-in", SignIn(context.store.accounts, context))
    app.add_route("/auth/sign-out", SignOut(context.store.accounts, context.settings))
    app.add_route("/auth/me", Me(context))
