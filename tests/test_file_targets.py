"""Where a written file goes: through a link, into a pipe or a device, never in its place.

Files are written atomically (a temporary file, then a rename); a rename over a link,
a pipe or a device put a regular file where it was, so that ``-o /dev/stdout`` run as
root replaced the system's link and a full device took a whole design without an error.
"""

from __future__ import annotations

import errno
import os
import stat
import threading
from pathlib import Path

import pytest

from sigopt_like import exports
from sigopt_like.tables import Table

TABLE = Table(columns=["a", "Response"], rows=[[1, 2.5], [2, None]])


def test_a_link_is_followed_and_stays_a_link(tmp_path: Path) -> None:
    real = tmp_path / "results" / "design.csv"
    real.parent.mkdir()
    real.write_text("old\n")
    link = tmp_path / "latest.csv"
    link.symlink_to(real)
    exports.export_design(tmp_path, 1, TABLE)  # a file beside, as before
    TABLE.to_csv(link)
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert real.read_text() == TABLE.to_csv()
    assert not [p for p in real.parent.iterdir() if p.name.startswith(".")]


def test_a_named_pipe_is_written_into(tmp_path: Path) -> None:
    pipe = tmp_path / "to-the-robot"
    os.mkfifo(pipe)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(pipe.read_bytes()), daemon=True)
    reader.start()
    TABLE.to_csv(pipe)
    reader.join(timeout=30)
    assert received == [TABLE.to_csv().encode()]
    assert stat.S_ISFIFO(os.stat(pipe).st_mode)


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="no /dev/full on this system")
def test_a_full_device_is_an_error_naming_the_file(tmp_path: Path) -> None:
    """Through a link in ``tmp_path``: before, the rename replaced that link, and the
    write passed for a success."""
    full = tmp_path / "design.csv"
    full.symlink_to("/dev/full")
    with pytest.raises(OSError) as raised:
        TABLE.to_csv(full)
    assert raised.value.errno == errno.ENOSPC and raised.value.filename == str(full)
    assert full.is_symlink() and stat.S_ISCHR(os.stat(full).st_mode)


def test_a_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(IsADirectoryError):
        TABLE.to_csv(tmp_path)
    assert tmp_path.is_dir()
