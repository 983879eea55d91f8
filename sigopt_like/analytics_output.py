"""Where an analytics download may write: the one rule of ``analytics.download``,
``analytics.download_file`` and ``sigopt-like analytics -o DIR``.

A file of the same name that holds something else is kept, and nothing is written,
unless the caller says to replace it (``overwrite=True``; ``--force``), or it is this
session's own earlier analytics download: the folder's record (:data:`RECORD_FILE`)
says a download of the same session wrote it, and it holds what was written then. Every
download writes that record: for each file it wrote, the session (its id and its
creation time, so that session 1 of another database is another session) and the
SHA-256 of the bytes. An empty file, or one that holds the very bytes to write, is
written as asked. A symbolic link is judged and recorded where the bytes land: the file
it points to, in that file's folder's record (:func:`landing`); a link to a device
(``/dev/null``) is recorded nowhere.

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
import os
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
    except (ValueError, AttributeError, RecursionError):  # not our record (nested past
        # Python's stack: the decoder's RecursionError, out of every download here)
        return {}
    if not isinstance(files, dict):
        return {}
    return {k: v for k, v in files.items() if isinstance(v, dict)}


def landing(path: Path) -> Path:
    """Where bytes written to ``path`` land: the file a symbolic link (or a chain of them)
    points to, as :func:`~.csvio.write_bytes_file` writes through it; ``path`` itself
    when it is no link. A path no file can have is an
    :class:`~.errors.UnusablePathError`, as the write's own would be."""
    csvio.check_path(path)
    return Path(os.path.realpath(path))


def kept_files(folder: Path, contents: Mapping[str, bytes], session: str) -> list[Path]:
    """The files of ``contents`` (a name in ``folder``: what would be written there) that
    hold something else and are not ``session``'s own earlier download: the ones the
    rule keeps. A symbolic link is judged as it is written, by the file it points to and
    that file's folder's record (:func:`record_written` keeps the same one)."""
    records: dict[Path, dict[str, dict[str, str]]] = {}
    kept = []
    for name, data in contents.items():
        target = landing(folder / name)
        held = _held(target)
        if not held or held == data:
            continue
        if target.parent not in records:
            records[target.parent] = read_record(target.parent)
        entry = records[target.parent].get(target.name, {})
        if entry.get("session") == session and entry.get("sha256") == _digest(held):
            continue
        kept.append(folder / name)
    return kept


def record_written(folder: Path, contents: Mapping[str, bytes], session: str) -> None:
    """Note that ``session``'s download wrote ``contents`` (file name -> bytes) into
    ``folder``, once written: in the record of the folder each file landed in (a
    symbolic link's target's, so that :func:`kept_files` finds it there), for a regular
    file only (a device, or a link to one as ``/dev/null``, gets no record); the entries
    of files that are gone since are dropped. Before, a linked file was left out of the
    record while :func:`kept_files` judged it by its target, so every later download over
    it was refused."""
    landed: dict[Path, dict[str, bytes]] = {}
    for name, data in contents.items():
        target = landing(folder / name)
        if target.is_file():
            landed.setdefault(target.parent, {})[target.name] = data
    for where, files in landed.items():
        record = {
            name: entry for name, entry in read_record(where).items() if (where / name).is_file()
        }
        for name, data in files.items():
            record[name] = {"session": session, "sha256": _digest(data)}
        text = json.dumps(
            {"object": "analytics_downloads", "files": record}, indent=1, sort_keys=True
        )
        csvio.write_text_file(where / RECORD_FILE, text + "\n")
