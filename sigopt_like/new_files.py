"""Whether a folder takes a new file: asked before a command writes there, so that a
folder that refuses one is said before anything is done, in the same words everywhere
(the commands' ``-o``, the demo's ``--out``)."""

from __future__ import annotations

import tempfile
from pathlib import Path


def refusal(folder: Path) -> str | None:
    """Why ``folder`` takes no new file ("takes no new file (Read-only file system)",
    "is not writable for this user"), or None when it takes one.

    It makes and removes a file there: a permission check alone passes root in ``/proc``,
    and a read-only mount or an immutable folder refuses root too."""
    try:  # a new file, as an output is written (beside it, then renamed into place)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".sigopt-like-"):
            pass
    except OSError as err:
        if isinstance(err, PermissionError):
            return "is not writable for this user"
        if isinstance(err, FileNotFoundError):  # /proc's word for it
            return "takes no new file"
        # a read-only file system, a full disk
        return f"takes no new file ({err.strerror or type(err).__name__})"
    return None
