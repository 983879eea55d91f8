"""Importing the package is light, and the lazy names are the same objects as before.

Issue #12: ``from sigopt_like import Connection`` within 1.2x of ``import requests``
(``benchmarks/perf_start.py``). The public names come from their modules on first use
(PEP 562), the table names its models as strings, and a group's class is built when the
group is first reached; none of that may change what a caller sees.
"""

from __future__ import annotations

import inspect
import json
import pickle
import subprocess
import sys
import threading
from pathlib import Path

import pytest

import sigopt_like
from sigopt_like import resources

ROOT = Path(__file__).resolve().parents[2]
#: what the import must not load (each one costs about as much as requests, or more)
HEAVY = (
    "attrs",
    "attr",
    "sqlalchemy",
    "falcon",
    "alembic",
    "numpy",
    "scipy",
    "pandas",
    "inspect",
    "sigopt_like.models",
    "sigopt_like.spaces",
    "sigopt_like.tables",
    "sigopt_like.transport",
    "sigopt_like.config",
    "sigopt_like.service",
)


def _fresh(code: str) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_the_import_loads_nothing_heavy():
    """Before: attrs, the 34 model classes, spaces and tables came with the import (2.26x
    requests' import time)."""
    loaded = _fresh(
        "import sys, json\n"
        "from sigopt_like import Connection\n"
        f"print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))\n"
    )
    assert loaded == []


def test_a_remote_connection_loads_no_service_and_no_models():
    loaded = _fresh(
        "import sys, json\n"
        "from sigopt_like import Connection\n"
        "conn = Connection('http://127.0.0.1:9', 'token')\n"
        "print(json.dumps([m for m in ('sqlalchemy', 'falcon', 'sigopt_like.service', "
        "'sigopt_like.models', 'numpy') if m in sys.modules]))\n"
    )
    assert loaded == []


def test_every_public_name_resolves_to_its_modules_object():
    for name in sigopt_like.__all__:
        value = getattr(sigopt_like, name)
        assert value is not None, name
    assert sigopt_like.Session is sigopt_like.models.Session
    assert sigopt_like.Task is sigopt_like.models.Task
    assert sigopt_like.NotFoundError is sigopt_like.errors.NotFoundError
    assert sigopt_like.Connection is sigopt_like.interface.Connection
    assert sigopt_like.RetryPolicy is sigopt_like.transport.RetryPolicy
    assert set(sigopt_like.__all__) <= set(dir(sigopt_like))
    with pytest.raises(AttributeError, match="no attribute 'Sesion'"):
        _ = sigopt_like.Sesion


def test_every_error_a_user_can_meet_is_a_public_name():
    # the docs tell users to catch SpaceError and TableError (raised on their side,
    # before any request): each error class of the client's modules is exported
    from sigopt_like import errors, spaces, tables

    defined = {
        cls.__name__
        for module in (errors, spaces, tables)
        for cls in vars(module).values()
        if isinstance(cls, type)
        and issubclass(cls, sigopt_like.SigoptLikeError)
        and cls.__module__ == module.__name__
    }
    assert {"SpaceError", "TableError"} <= defined
    assert defined <= set(sigopt_like.__all__)
    assert sigopt_like.SpaceError is spaces.SpaceError
    assert sigopt_like.TableError is tables.TableError


def test_star_import_and_submodules_work_in_a_fresh_interpreter():
    found = _fresh(
        "import json\n"
        "import sigopt_like\n"
        "sub = sigopt_like.models.Session.__name__\n"  # a submodule, as before
        "ns = {}\n"
        "exec('from sigopt_like import *', ns)\n"
        "print(json.dumps({'sub': sub, 'missing': sorted(set(sigopt_like.__all__) - set(ns))}))\n"
    )
    assert found == {"sub": "Session", "missing": []}


def test_models_and_errors_pickle_and_match_isinstance(embedded_conn):
    session = embedded_conn.sessions.create(name="lazy-pickle")
    assert isinstance(session, sigopt_like.Session)
    again = pickle.loads(pickle.dumps(session))
    assert again == session and type(again) is sigopt_like.Session
    with pytest.raises(sigopt_like.NotFoundError) as info:
        embedded_conn.sessions("999999").fetch()
    error = pickle.loads(pickle.dumps(info.value))
    assert isinstance(error, sigopt_like.NotFoundError) and error.status == 404


def test_a_groups_class_is_built_once_and_shared(embedded_conn):
    first = type(embedded_conn.sessions)
    assert type(embedded_conn.sessions) is first
    item = type(embedded_conn.sessions("1"))
    assert type(embedded_conn.sessions("2")) is item
    assert "halt" in dir(item) and "create" in dir(first)


def test_threads_reaching_a_group_first_get_one_class():
    group = sigopt_like.API._replace(name="fresh")  # a class nobody built yet
    lazy = resources.Lazy(lambda: resources.build_node_class(group, False))
    classes: list[type] = []
    barrier = threading.Barrier(8)

    def reach() -> None:
        barrier.wait()
        classes.append(lazy.get())

    threads = [threading.Thread(target=reach) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len({id(c) for c in classes}) == 1


def test_methods_without_arguments_have_the_signature_the_table_gives():
    """The root's methods are plain functions (no inspect at import): their signature must
    stay the one endpoint_signature makes for them."""
    plain = [e for e in sigopt_like.API.endpoints if resources._takes_options_only(e)]
    assert plain, "the root has endpoints without arguments"
    for endpoint in plain:
        method = getattr(sigopt_like.Connection, endpoint.name)
        assert inspect.signature(method) == resources.endpoint_signature(endpoint), endpoint.name


def test_a_string_of_the_table_resolves_as_an_annotation_would():
    from sigopt_like.arguments import SpaceArg
    from sigopt_like.models import Session

    assert resources.resolve("Session") is Session
    assert resources.resolve("SpaceArg | None") == SpaceArg | None
    assert resources.resolve(int) is int
    with pytest.raises(NameError):
        resources.resolve("NoSuchModel")


def test_every_string_of_the_table_resolves():
    """A misspelt model or type name in the table fails here, not at a user's first call."""
    from sigopt_like import _stubgen

    checked = 0
    for parts, endpoint in _stubgen._all_endpoints(sigopt_like.API, []):
        where = ".".join([*parts, endpoint.name])
        if isinstance(endpoint.returns, str):
            assert hasattr(resources.resolve(endpoint.returns), "from_dict"), where
            checked += 1
        for param in endpoint.params:
            if isinstance(param.type, str):
                resources.resolve(param.type)
                checked += 1
    for name, option in resources.OPTION_TYPES.items():
        assert resources.resolve(option) is not None, name
    assert checked >= 30
