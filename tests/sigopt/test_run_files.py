"""sigopt-python's ``run.log_image``, unchanged, against a served instance.

Before, ``POST /v1/training_runs/{id}/files`` was a 404: the script's ``log_image``
raised inside ``with run:``, and the run ended failed. Now the file is described, its
bytes put at the upload URL the answer gives, and the run lists it; what does not
match its description is refused and changes nothing."""

from __future__ import annotations

import base64
import hashlib
import re

import pytest
import requests
import sqlalchemy as sa

pytest.importorskip("sigopt")

from sigopt_like.service import create_app
from tests.fixtures.servers import IN_THREADS, ServedInstance

from .conftest import run_sigopt_script

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'


def md5(data: bytes) -> str:
    return base64.b64encode(hashlib.md5(data).digest()).decode()


def _statements(engine, run):
    """What ``run()`` answers, and the SQL statements the service executed meanwhile."""
    said: list[str] = []

    def seen(conn, cursor, statement, parameters, context, executemany):
        said.append(statement)

    sa.event.listen(engine, "before_cursor_execute", seen)
    try:
        return run(), said
    finally:
        sa.event.remove(engine, "before_cursor_execute", seen)


def get(served, path: str, token: str | None = None) -> requests.Response:
    return requests.get(f"{served.url}{path}", headers=served.headers(token), timeout=30)


def test_log_image_uploads_and_the_run_lists_the_files(served, tmp_path):
    (tmp_path / "loss.png").write_bytes(PNG)
    (tmp_path / "model.svg").write_bytes(SVG)
    out = run_sigopt_script(served, tmp_path, "log_image.py", "images", "loss.png", "model.svg")
    rid = out["run"]
    run = get(served, f"/v1/training_runs/{rid}").json()
    assert run["state"] == "completed" and len(run["files"]) == 2, run
    first, second = (get(served, f"/v1/files/{fid}").json() for fid in run["files"])
    assert first["name"] == "loss curve" and first["content_type"] == "image/png"
    assert second["content_type"] == "image/svg+xml" and first["upload"] is None
    content = get(served, f"/v1/files/{first['id']}/content")
    assert content.status_code == 200 and content.content == PNG
    assert content.headers["Content-Type"] == "image/png"
    # HEAD: the GET's headers, the bytes not read (before, it ran the GET)
    engine = served.service.context.store.database.engine
    head, said = _statements(
        engine,
        lambda: requests.head(
            f"{served.url}/v1/files/{first['id']}/content", headers=served.headers(), timeout=30
        ),
    )
    assert head.status_code == 200 and head.content == b""
    for name in ("Content-Type", "Content-Length", "Content-Disposition"):
        assert head.headers[name] == content.headers[name], name
    assert said and not [sql for sql in said if re.search(r"\.data\b", sql)], said
    svg = get(served, f"/v1/files/{second['id']}/content")
    assert svg.content == SVG and svg.headers["Content-Disposition"].startswith("attachment")
    assert svg.headers["X-Content-Type-Options"] == "nosniff"
    assert svg.headers["Content-Security-Policy"] == "sandbox"
    # another user reads none of it
    _, other = served.make_user()
    for path in (f"/v1/files/{first['id']}", f"/v1/files/{first['id']}/content"):
        assert get(served, path, other).status_code == 404


@pytest.fixture(params=["sqlite", "postgresql"])
def served_on(request, tmp_path):
    """A served instance (auth on) on SQLite or on PostgreSQL (the bytes in a bytea)."""
    if request.param == "sqlite":
        database = str(tmp_path / "files.db")
    else:
        database = request.getfixturevalue("pg_url")
    instance = ServedInstance(
        create_app(database=database, auth_required=True, **IN_THREADS), database
    )
    yield instance
    instance.close()


def test_an_upload_that_does_not_match_is_refused_and_changes_nothing(served_on):
    served = served_on
    headers = served.headers()
    project = f"{served.url}/v1/clients/{get(served, '/v1/tokens/self').json()['client']}"
    run = requests.post(
        f"{project}/projects/files/training_runs", json={"name": "r"}, headers=headers, timeout=30
    ).json()
    files = f"{served.url}/v1/training_runs/{run['id']}/files"
    described = {"content_type": "image/png", "content_length": len(PNG), "content_md5": md5(PNG)}
    for wrong, field in (
        ({"content_type": "text/html"}, "content_type"),
        ({"content_length": 0}, "content_length"),
        ({"content_length": 2**40}, "content_length"),
        ({"content_md5": "not base64"}, "content_md5"),
        ({"url": "x"}, "url"),
    ):
        reply = requests.post(files, json={**described, **wrong}, headers=headers, timeout=30)
        assert reply.status_code in (400, 422), (wrong, reply.text)
        assert reply.json()["detail"]["field"] == field
    made = requests.post(files, json=described, headers=headers, timeout=30)
    assert made.status_code == 201, made.text
    upload = made.json()["upload"]
    assert upload["method"] == "PUT" and "key=" in upload["url"]
    url, sent = upload["url"], upload["headers"]
    no_key = url.split("?")[0]
    refused = [
        (no_key, PNG, sent, 404),
        (url + "x", PNG, sent, 404),
        (url, PNG[:-1], sent, 400),
        (url, PNG[:-1] + b"!", sent, 400),
        (url, PNG, {**sent, "Content-Type": "image/gif"}, 400),
    ]
    for target, data, with_headers, status in refused:
        reply = requests.put(target, data=data, headers=with_headers, timeout=30)
        assert reply.status_code == status, (target[-12:], reply.text)
        assert get(served, f"/v1/training_runs/{run['id']}").json()["files"] == []
    assert requests.put(url, data=PNG, headers=sent, timeout=30).status_code == 204
    again = requests.put(url, data=PNG, headers=sent, timeout=30)
    assert again.status_code == 409
    fid = made.json()["id"]
    assert get(served, f"/v1/training_runs/{run['id']}").json()["files"] == [fid]
    assert get(served, f"/v1/files/{fid}/content").content == PNG


def test_files_and_tags_are_sent_back_as_rendered_or_refused(served):
    """A run renders ``files`` (its uploads) and ``tags`` (none); a body may send them back
    as rendered. Any other value was dropped unseen; it is now a 400 with the run as it was."""
    headers = served.headers()
    client = get(served, "/v1/tokens/self").json()["client"]
    runs = f"{served.url}/v1/clients/{client}/projects/echo/training_runs"
    run = requests.post(runs, json={"name": "r"}, headers=headers, timeout=30).json()
    path = f"{served.url}/v1/training_runs/{run['id']}"
    echoed = {k: run[k] for k in ("object", "id", "created", "files", "tags")}
    same = requests.put(path, json={**echoed, "name": "again"}, headers=headers, timeout=30)
    assert same.status_code == 200 and same.json()["name"] == "again", same.text
    for body, field in (({"files": ["1"]}, "files"), ({"tags": ["best"]}, "tags")):
        reply = requests.put(path, json=body, headers=headers, timeout=30)
        assert reply.status_code == 400 and reply.json()["detail"]["field"] == field, reply.text
        batch = requests.post(
            f"{runs}/batch", json={"runs": [{"name": "b", **body}]}, headers=headers, timeout=30
        )
        assert batch.status_code == 400, batch.text
    listed = requests.get(runs, headers=headers, timeout=30).json()["data"]
    assert [(r["name"], r["files"], r["tags"]) for r in listed] == [("again", [], [])]
