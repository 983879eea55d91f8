"""Where an analytics download may write: the one rule of ``analytics.download``,
``analytics.download_file`` and ``sigopt-like analytics -o DIR``.

A file of the same name that holds something else is kept, and nothing is written,
unless the caller says to replace it (``overwrite=True``; ``--force``), or it is this
session's own earlier analytics download: the folder's record (:data:`RECORD_FILE`)
says a download of the same session wrote it, and it holds what was written then. Every
download writes that record: for each file it wrote, the session (its id and its
creation time, so that session 1 of another database is another session) and the
SHA-256 of the bytes. An empty file, or one that holds the very bytes to write, is
written as asked.

So a rerun over its own earlier output, of any generation, goes through, while another
session's download, a file edited since, or a file no download recorded (the user's
own; one written before the record existed) is kept. Before, the command judged "the
same session" by ``summary.csv`` alone (a session of the same design size was taken for
this one, and its files replaced), refused the download of generation 1 over that of
generation 0 (its ``parameter_summary.csv`` had no rows yet), and the Python client
replaced any file without a word.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from . import csvio

#: the record, in the folder, of the files analytics downloads wrote there
RECORD_FILE = ".sigopt-like-analytics.json"


def session_key(session: Mapping[str, Any] | Any) -> str:
    """How the record names a session: ``"<id>@<created>"`` (a session's JSON or model)."""
    get = session.get if isinstance(session, Mapping) else lambda k: getattr(session, k, None)
    return f"{get('id')}@{get('created')}"


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _held(path: Path) -> bytes | None:
    """What the regular file ``path`` holds; None if it is no regular file or unreadable."""
    if not path.is_file():
        return None
    try:
        return path.read_bytes()
    except OSError:
        return None


def read_record(folder: Path) -> dict[str, dict[str, str]]:
    """The folder's record: file name -> ``{"session", "sha256"}``; empty if none (or
    not one this module wrote)."""
    held = _held(folder / RECORD_FILE)
    try:
        files = json.loads(held or b"{}").get("files", {})
    except (ValueError, AttributeError):
        return {}
    if not isinstance(files, dict):
        return {}
    return {k: v for k, v in files.items() if isinstance(v, dict)}


def kept_files(folder: Path, contents: Mapping[str, bytes], session: str) -> list[Path]:
    """The files of ``contents`` (a name in ``folder``: what would be written there) that
    hold something else and are not ``session``'s own earlier download: the ones the
    rule keeps."""
    record = read_record(folder)
    kept = []
    for name, data in contents.items():
        held = _held(folder / name)
        if not held or held == data:
            continue
        entry = record.get(name, {})
        if entry.get("session") == session and entry.get("sha256") == _digest(held):
            continue
        kept.append(folder / name)
    return kept


def record_written(folder: Path, contents: Mapping[str, bytes], session: str) -> None:
    """Note in the folder's record that ``session``'s download wrote ``contents`` there
    (the entries of files that are gone since are dropped)."""
    record = {
        name: entry for name, entry in read_record(folder).items() if (folder / name).is_file()
    }
    for name, data in contents.items():
        record[name] = {"session": session, "sha256": _digest(data)}
    text = json.dumps({"object": "analytics_downloads", "files": record}, indent=1, sort_keys=True)
    csvio.write_text_file(folder / RECORD_FILE, text + "\n")
