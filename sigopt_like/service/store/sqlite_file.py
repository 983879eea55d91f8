"""Whether a SQLite database's path still names the file its service opened.

Used by the engine's connection and transaction events (``db``) and by the point
readers, whose detached connections no event sees (``database``).
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

import sqlalchemy as sa

from .errors import DatabaseGone


class SqliteFile:
    """The file a SQLite engine opened first (its device and inode), and whether its path
    still names it.

    An open SQLite file that is deleted (its folder removed, a clean-up script) keeps
    working through the open descriptors, so every write "succeeded" into a file no
    path names, lost when the process ends, and the next start made a new, empty
    database: a campaign gone without a word. :meth:`check` costs one ``stat``.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._opened: tuple[int, int] | None = None

    @classmethod
    def of(cls, engine: sa.Engine) -> SqliteFile | None:
        """The file of a SQLite ``engine`` that has opened it (its first connection is
        made), noted now; None for another database or one in memory."""
        url = engine.url
        if url.get_backend_name() != "sqlite" or not url.database:
            return None  # (an in-memory database is a temporary file: open_database)
        file = cls(Path(url.database))
        with contextlib.suppress(FileNotFoundError):  # not opened yet: noted once it is
            file.note()
        return file

    def note(self) -> None:
        """Note the file the path names now, unless one is noted already."""
        if self._opened is None:
            found = os.stat(self.path)
            self._opened = (found.st_dev, found.st_ino)

    def check(self) -> None:
        """Raise :class:`DatabaseGone` unless the path still names the noted file."""
        if self._opened is None:
            return
        try:
            found = os.stat(self.path)
        except FileNotFoundError:
            state = "was deleted"
        else:
            if (found.st_dev, found.st_ino) == self._opened:
                return
            state = "was replaced by another file"
        raise DatabaseGone(
            f"The database file {self.path} {state} while the service was using it: "
            "nothing of this request was stored. Restore the file (from a backup) or choose "
            "another database, then start your script or the service again.",
            detail={"database": str(self.path)},
        )
