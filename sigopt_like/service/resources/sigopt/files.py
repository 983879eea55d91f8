"""Files of training runs: what sigopt-python's ``run.log_image`` uploads.

``POST /v1/training_runs/{rid}/files`` describes the file and answers with where to
put its bytes: ``upload`` ``{method: PUT, url, headers}``, as SigOpt's answers with a
presigned storage URL. sigopt-python then PUTs the bytes there with those headers and
no token, so the URL carries a one-time key of its own (only its hash is kept; the
access log hides it). The bytes must match the description (length, MD5, type); once
they are in, the run lists the file in ``files``, and its owner reads it at
``GET /v1/files/{fid}`` and ``.../content`` (served as an attachment, never rendered
by the service's own pages: an SVG can hold script).
"""

from __future__ import annotations

import hmac
import secrets
from typing import Any

import falcon

from ...domain import sigopt_files as file_rules
from ...domain.sigopt_checks import RuleError, json_shown
from ...errors import BadRequest, Conflict, NotFound
from ...http import body_bytes, now, read_json
from ...store.accounts import hash_token
from ...store.sigopt import SigoptStore, SigoptUnit
from ...store.sigopt_files import FileRecord
from .common import caller, path_id, rule_error
from .runs import run_of


def render(record: FileRecord, base: str, upload_key: str | None = None) -> dict[str, Any]:
    upload = None
    if upload_key is not None:
        upload = {
            "method": "PUT",
            "url": f"{base}/v1/files/{record.id}/upload?key={upload_key}",
            "headers": {
                "Content-Type": record.content_type,
                "Content-MD5": record.content_md5,
            },
        }
    uploaded = record.uploaded is not None
    return {
        "object": "file",
        "id": str(record.id),
        "training_run": str(record.training_run_id),
        "name": record.name,
        "filename": record.filename,
        "content_type": record.content_type,
        "content_length": record.content_length,
        "content_md5": record.content_md5,
        "created": record.created,
        "uploaded": record.uploaded,
        "upload": upload,
        "download": {"url": f"{base}/v1/files/{record.id}/content"} if uploaded else None,
    }


def file_of(unit: SigoptUnit, raw_id: str, owner: int) -> FileRecord:
    """The caller's file with this path id, or a 404 (also for another's file)."""
    fid = path_id(raw_id, "file")
    found = unit.files.get(fid)
    if found is None or found.owner_id != owner:
        raise NotFound(f"No file with id {json_shown(str(fid))}.", detail={"field": "file"})
    return found


class RunFiles:
    """POST /v1/training_runs/{rid}/files: describe a file of the run; get where to put it."""

    def __init__(self, context: Any, store: SigoptStore) -> None:
        self.context = context
        self.store = store

    def on_post(self, req: falcon.Request, resp: falcon.Response, rid: str) -> None:
        owner = caller(req, self.context)
        try:
            columns = file_rules.described(read_json(req), self.context.settings.max_body_bytes)
        except RuleError as err:
            raise rule_error(err) from err
        key = secrets.token_urlsafe(32)
        with self.store.write() as unit:
            run = run_of(unit, rid, owner)
            record = unit.files.create(run.id, columns, hash_token(key), now())
        resp.media = render(record, req.prefix, key)
        resp.status = falcon.HTTP_201


class FileUpload:
    """PUT /v1/files/{fid}/upload?key=...: the file's bytes, once, with its upload key."""

    auth_exempt = True  # the one-time key in the URL is the credential
    takes_bytes = True  # the body is the file, not JSON (see the door)

    def __init__(self, context: Any, store: SigoptStore) -> None:
        self.context = context
        self.store = store

    def on_put(self, req: falcon.Request, resp: falcon.Response, fid: str) -> None:
        key = req.get_param("key") or ""
        data = body_bytes(req)
        with self.store.write() as unit:
            file_id = path_id(fid, "file")
            record = unit.files.get(file_id)
            if record is None or not hmac.compare_digest(hash_token(key), record.upload_key_hash):
                raise NotFound(f"No file with id {json_shown(str(file_id))} for this upload key.")
            if record.uploaded is not None:
                raise Conflict("This file is uploaded already; an upload key works once.")
            problem = file_rules.content_problem(
                data,
                record.content_length,
                record.content_md5,
                record.content_type,
                req.content_type,
            )
            if problem is not None:
                raise BadRequest(problem[0], detail={"field": problem[1]})
            stamp = now()
            if not unit.files.put_data(record.id, data, stamp):
                raise Conflict("This file is uploaded already; an upload key works once.")
            run = unit.runs.get(record.owner_id, record.training_run_id)
            assert run is not None  # a file's run is never removed
            files = [*run.fields.get("files", []), str(record.id)]
            unit.runs.update(run.id, {"fields": {**run.fields, "files": files}}, stamp)
        resp.status = falcon.HTTP_204


class _FileRead:
    """What the two reads of a file share: the caller's file, else a 404."""

    def __init__(self, context: Any, store: SigoptStore) -> None:
        self.context = context
        self.store = store

    def owned(self, req: falcon.Request, fid: str, *, data: bool = False) -> tuple[FileRecord, Any]:
        owner = caller(req, self.context)
        with self.store.read() as unit:
            record = file_of(unit, fid, owner)
            return record, unit.files.data(record.id) if data else None


class FileItem(_FileRead):
    """GET /v1/files/{fid}: the file's description, and where to read it once uploaded."""

    def on_get(self, req: falcon.Request, resp: falcon.Response, fid: str) -> None:
        record, _ = self.owned(req, fid)
        resp.media = render(record, req.prefix)


class FileContent(_FileRead):
    """GET /v1/files/{fid}/content: the bytes, as an attachment of their own type."""

    def on_get(self, req: falcon.Request, resp: falcon.Response, fid: str) -> None:
        record, data = self.owned(req, fid, data=True)
        if data is None:
            raise _not_uploaded(fid)
        resp.data = data
        _content_headers(resp, record)

    def on_head(self, req: falcon.Request, resp: falcon.Response, fid: str) -> None:
        """The GET's status and headers without reading the bytes: an uploaded file's
        length is the one it was described with (the upload was refused otherwise)."""
        record, _ = self.owned(req, fid)
        if record.uploaded is None:
            raise _not_uploaded(fid)
        resp.content_length = record.content_length
        _content_headers(resp, record)


def _not_uploaded(fid: str) -> NotFound:
    return NotFound(f"File {fid} has no content yet: it was described, not uploaded.")


def _content_headers(resp: falcon.Response, record: FileRecord) -> None:
    resp.content_type = record.content_type
    resp.set_header("Content-Disposition", f'attachment; filename="file-{record.id}"')
    resp.set_header("X-Content-Type-Options", "nosniff")
    resp.set_header("Content-Security-Policy", "sandbox")
