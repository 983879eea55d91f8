"""The typed stub of the resource tree (``interface.pyi``): current, and useful to mypy."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import pytest

from sigopt_like import API, _stubgen

mypy_api = pytest.importorskip("mypy.api")

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = """
import sigopt_like

conn = sigopt_like.Connection()
s = conn.sessions.create(name="x")
reveal_type(s)
task = conn.sessions(s.id).space.put(
    space={"parameters": []}, population_size=30, replicates=2, wait=True
)
reveal_type(task)
t = conn.sessions(s.id).generate(wait=True)
reveal_type(t)
reveal_type(conn.sessions(s).design.fetch())
reveal_type(conn.sessions(s.id).analytics.download("out", gen=1))
reveal_type(conn.sessions.list())
reveal_type(conn.sessions(s.id).tasks(t).wait(timeout=5))
e = conn.experiments.create(name="e", parameters=[])
a = conn.experiments(e.id).suggestions().create()
b = conn.experiments(e.id).suggestions.create()
reveal_type(a)
reveal_type(b)
with sigopt_like.Connection("https://doe.example.org", "token") as remote:
    reveal_type(remote.version())
"""


def _mypy(
    tmp_path: Path, source: str, *files: str, python_version: str = "3.10"
) -> tuple[str, int]:
    script = tmp_path / "script.py"
    script.write_text(textwrap.dedent(source), encoding="utf-8")
    args = [
        "--cache-dir",
        str(tmp_path / "mypy_cache"),
        "--python-version",
        python_version,
        "--ignore-missing-imports",
        "--no-error-summary",
        "--hide-error-context",
        str(script),
        *files,
    ]
    limit = sys.getrecursionlimit()
    try:
        stdout, stderr, status = mypy_api.run(args)
    finally:
        # mypy raises the recursion limit to 2**14 for the whole process and leaves it
        # so; a later test that nests a body past the limit then saw it encoded and sent
        sys.setrecursionlimit(limit)
    return stdout + stderr, status


def test_stub_is_current():
    written = _stubgen.STUB_PATH.read_text(encoding="utf-8")
    assert written == _stubgen.generate(), (
        "sigopt_like/interface.pyi differs from the table: run python -m sigopt_like._stubgen"
    )


def test_every_endpoint_and_group_is_in_the_stub():
    text = _stubgen.STUB_PATH.read_text(encoding="utf-8")
    for parts, endpoint in _stubgen._all_endpoints(API, []):
        assert f"def {endpoint.name}(" in text, ".".join([*parts, endpoint.name])


def test_mypy_sees_the_tree_and_rejects_typos(tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("MYPYPATH", str(ROOT))
    out, status = _mypy(tmp_path, SCRIPT + "conn.sessions(s.id).halted()\n")
    lines = out.splitlines()
    errors = [line for line in lines if ": error:" in line]
    assert status == 1, out
    assert len(errors) == 1, out
    assert '"halted"' in errors[0], out
    notes = "\n".join(line for line in lines if "Revealed type" in line)
    for expected in (
        "sigopt_like.models.Session",
        "sigopt_like.models.Task",
        "sigopt_like.tables.Table",
        "list[pathlib.Path]",
        "sigopt_like.pagination.Page[sigopt_like.models.Session]",
        "sigopt_like.sigopt_models.Suggestion",
        "sigopt_like.models.Version",
    ):
        assert expected in notes, out
    assert "Any" not in notes, out


def test_interface_py_itself_still_type_checks(tmp_path, monkeypatch):
    # the stub hides interface.py from `mypy -p sigopt_like`; named explicitly it is checked
    monkeypatch.chdir(ROOT)
    out, status = _mypy(tmp_path, "import sigopt_like\n", "sigopt_like/interface.py")
    assert status == 0, out


def test_the_stub_follows_the_table(monkeypatch):
    from sigopt_like import interface
    from sigopt_like.models import Session
    from sigopt_like.resources import Endpoint

    sessions = interface.SESSIONS
    extra = Endpoint("archive", "POST", "archive", Session, "Archive the session.")
    changed = sessions._replace(item_endpoints=(*sessions.item_endpoints, extra))
    groups = tuple(changed if g is sessions else g for g in API.groups)
    monkeypatch.setattr(interface, "API", API._replace(groups=groups))
    text = _stubgen.generate()
    assert text != _stubgen.STUB_PATH.read_text(encoding="utf-8")
    item = text[text.index("class _SessionsItem:") :]
    assert "def archive(" in item.split("\nclass ")[0]


def test_mypy_takes_numpy_integers_for_the_connections_counts(tmp_path, monkeypatch):
    """Before: the stub said ``int``, and mypy flagged ``task_processes=np.int64(2)`` (numpy
    integers are no ``int`` to it) though the Connection takes them; a float is still an
    error. Checked for this Python: with ``--python-version 3.10``, mypy takes the numpy
    installed here (which needs 3.11) as ``Any``, and no numpy type is checked."""
    pytest.importorskip("numpy")
    here = f"{sys.version_info.major}.{sys.version_info.minor}"
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("MYPYPATH", str(ROOT))
    source = (
        "import numpy as np\n"
        "import sigopt_like\n"
        "sigopt_like.Connection(task_processes=np.int64(2), max_body_bytes=np.uint32(4096),\n"
        "                       max_table_rows=np.int32(10), retries=np.int64(3))\n"
    )
    out, status = _mypy(tmp_path, source + "reveal_type(np.int64(2))\n", python_version=here)
    assert status == 0 and "numpy.signedinteger" in out, out  # numpy's types, not Any
    out, status = _mypy(
        tmp_path, source + "sigopt_like.Connection(task_processes=2.5)\n", python_version=here
    )
    errors = [line for line in out.splitlines() if ": error:" in line]
    assert len(errors) == 1 and '"task_processes"' in errors[0], out
