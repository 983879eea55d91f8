"""Routes whose resource is built on first use stand for it exactly (issue #12).

The SigOpt routes are registered with stand-ins (``resources/lazy.py``) so that a
service that only runs campaigns never imports the SigOpt resources, store and domain.
Each stand-in must have the responders of the resource it stands for (routing, 405s and
``Allow`` depend on them), and become that resource on its first request.
"""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from sigopt_like.service import create_app
from sigopt_like.service.resources.lazy import OnFirstUse
from sigopt_like.service.resources.sigopt import ROUTES

from .conftest import Api

ROOT = Path(__file__).resolve().parents[2]


def _nodes(app):
    def walk(nodes):
        for node in nodes:
            yield node
            yield from walk(node.children)

    return walk(app._router._roots)


def _responders(obj) -> set[str]:
    return {name for name in dir(obj) if name.startswith("on_")}


def _printed_by(code: str, database: Path) -> Any:
    """What ``code`` printed last (as JSON), run in a fresh interpreter from the
    repository's root with ``database`` as its one argument: a fresh process, so that its
    ``sys.modules`` holds only what the code imported."""
    out = subprocess.run(
        [sys.executable, "-c", code, str(database)],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_each_stand_in_has_its_resources_responders(tmp_path: Path) -> None:
    with create_app(database=str(tmp_path / "l.db")) as service:
        stand_ins = {
            node.uri_template: node.resource
            for node in _nodes(service.app)
            if isinstance(node.resource, OnFirstUse)
        }
        assert set(stand_ins) == {template for template, *_ in ROUTES}
        for template, stand_in in stand_ins.items():
            module, _, name = stand_in.target.partition(":")
            real = getattr(importlib.import_module(module), name)
            assert _responders(stand_in) == _responders(real), template
            assert type(stand_in.resource()) is real, template
            assert stand_in.resource() is stand_in.resource()


def test_a_stand_in_serves_as_its_resource(tmp_path: Path) -> None:
    with create_app(database=str(tmp_path / "l.db")) as service:
        api = Api(service)
        created = api.call(
            "POST",
            "/v1/experiments",
            {
                "name": "lazy",
                "parameters": [{"name": "x", "type": "double", "bounds": {"min": 0, "max": 1}}],
            },
        )
        assert created.status == 201, created.body
        eid = created.body["id"]
        assert api.call("GET", f"/v1/experiments/{eid}").body["name"] == "lazy"
        not_allowed = api.call("PATCH", f"/v1/experiments/{eid}")
        assert not_allowed.status == 405
        assert set(not_allowed.headers["Allow"].replace(" ", "").split(",")) >= {
            "GET",
            "PUT",
            "DELETE",
        }


def test_a_service_that_runs_campaigns_loads_no_sigopt_module(tmp_path: Path) -> None:
    code = (
        "import json, sys\n"
        "from sigopt_like.service import create_app\n"
        "from tests.service.conftest import Api\n"
        "with create_app(database=sys.argv[1]) as service:\n"
        "    api = Api(service)\n"
        "    sid = api.call('POST', '/v1/sessions', {'name': 's'}).body['id']\n"
        "    assert api.call('GET', f'/v1/sessions/{sid}').status == 200\n"
        "    print(json.dumps(sorted(m for m in sys.modules if m.startswith(("
        "'sigopt_like.service.resources.sigopt.', 'sigopt_like.service.store.sigopt', "
        "'sigopt_like.service.domain.sigopt')))))\n"
    )
    assert _printed_by(code, tmp_path / "c.db") == []


def test_a_served_process_has_every_route_module_at_start(tmp_path: Path) -> None:
    """``serve`` and the WSGI factory start through ``start_service``: every route's
    module is imported by then. Before, the SigOpt ones were imported on their first
    request, so a release installed over a running ``serve`` (its files removed or
    replaced) made that request a 500."""
    code = (
        "import json, sys\n"
        "from sigopt_like.service.app import ServiceSettings, create_app\n"
        "from sigopt_like.service.starting import start_service\n"
        "service = start_service(ServiceSettings(database=sys.argv[1]), create_app)\n"
        "service.close()\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    loaded = set(_printed_by(code, tmp_path / "s.db"))
    package = "sigopt_like.service.resources.sigopt"
    wanted = {f"{package}.{target.partition(':')[0]}" for _, target, _, _ in ROUTES}
    assert wanted <= loaded, sorted(wanted - loaded)
