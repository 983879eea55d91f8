"""The dashboard's page (``/``) and its files (``/assets/{name}``), from ``static/``.

Files are read once per service, on the first request for one (a service that never
serves the dashboard, such as an embedded one, never reads them), served with an ETag
(a repeat view is a 304) and with headers that keep the page to itself: a
Content-Security-Policy that allows only this origin's scripts, styles and API (no
inline code), no framing, no MIME sniffing, no referrer.
"""

from __future__ import annotations

import hashlib
import threading
from importlib import resources

import attrs
import falcon

from ..errors import NotFound

CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
}

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' blob: data:",
        "connect-src 'self'",
        "form-action 'self'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
    )
)

PAGE_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}


@attrs.frozen
class StaticFile:
    """One file of the dashboard, with its type and ETag."""

    body: bytes
    content_type: str
    etag: str


@attrs.frozen
class StaticFiles:
    """Every file of ``static/`` by name (a flat folder: no paths, no traversal)."""

    files: dict[str, StaticFile]

    @classmethod
    def load(cls) -> StaticFiles:
        """Read the files shipped in this package."""
        files: dict[str, StaticFile] = {}
        for entry in resources.files(__package__).joinpath("static").iterdir():
            suffix = "." + entry.name.rpartition(".")[2]
            if not entry.is_file() or suffix not in CONTENT_TYPES:
                continue
            body = entry.read_bytes()
            etag = hashlib.sha256(body).hexdigest()[:32]
            files[entry.name] = StaticFile(body, CONTENT_TYPES[suffix], etag)
        return cls(files)

    def get(self, name: str) -> StaticFile:
        """The file called ``name``; a 404 for any other name."""
        found = self.files.get(name)
        if found is None or name == "index.html":
            raise NotFound(f"The dashboard has no file named {name!r}.")
        return found


class FilesOnFirstUse:
    """The dashboard's files, read on the first call (once, whichever thread asks)."""

    def __init__(self) -> None:
        self._files: StaticFiles | None = None
        self._lock = threading.Lock()

    @property
    def loaded(self) -> bool:
        """Whether the files were read."""
        return self._files is not None

    def __call__(self) -> StaticFiles:
        files = self._files
        if files is None:
            with self._lock:
                if self._files is None:
                    self._files = StaticFiles.load()
                files = self._files
        return files


def _send(req: falcon.Request, resp: falcon.Response, file: StaticFile) -> None:
    resp.set_headers(PAGE_HEADERS)
    resp.etag = file.etag
    resp.content_type = file.content_type
    if req.if_none_match and any(tag == file.etag for tag in req.if_none_match):
        resp.status = falcon.HTTP_304
        return
    resp.data = file.body


class Shell:
    """GET /: the dashboard's one page (it routes itself: ``/#/sessions/12``)."""

    auth_exempt = True

    def __init__(self, files: FilesOnFirstUse) -> None:
        self._files = files

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        """The page; the data comes from the API once it is signed in."""
        _send(req, resp, self._files().files["index.html"])


class Asset:
    """GET /assets/{name}: a script, a stylesheet or an icon of the page."""

    auth_exempt = True

    def __init__(self, files: FilesOnFirstUse) -> None:
        self._files = files

    def on_get(self, req: falcon.Request, resp: falcon.Response, name: str) -> None:
        """The file, or a 404 naming it."""
        _send(req, resp, self._files().get(name))
