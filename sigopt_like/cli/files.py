"""The commands' FILE arguments and ``-o`` outputs: ``-`` is standard input or output,
as Unix tools take it (``lims-export | sigopt-like experiments put 1 - --type designed``,
``sigopt-like design 1 -o - | robot-load``). Before, ``-`` was a file named "-"."""

from __future__ import annotations

import os
import shlex
import stat
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO

import click

from .._constants import MAX_BODY_BYTES
from ..database_targets import quoted, shell_word
from ..new_files import refusal
from .errors import CommandError
from .quoting import typed

DASH = "-"


class NamedPath(click.Path):
    """A ``click.Path`` that refuses an empty value: before, ``-o ""`` (a shell variable
    left unset) wrote analytics files into the current folder, and a design's CSV was "a
    folder where a file was expected: ." after its task had run."""

    def convert(self, value, param, ctx):  # type: ignore[no-untyped-def]
        if isinstance(value, str) and not value.strip():
            kind = "a folder" if not self.file_okay else "a file"
            dash = " (or - for standard input or output)" if self.allow_dash else ""
            empty = "is empty" if not value else "is only blanks"
            self.fail(f"{typed(value)} {empty}: name {kind}{dash}", param, ctx)
        if isinstance(value, str) and "\x00" in value:  # before: a ValueError traceback
            self.fail(
                f"{typed(value)} holds a NUL character (U+0000), which no file name holds",
                param,
                ctx,
            )
        if self.exists and isinstance(value, str) and value != DASH:
            self._refuse_unreadable(value, param)
        if self.writable and isinstance(value, str) and value != DASH:
            self._refuse_a_folder_that_takes_no_file(value, param)
        try:
            return super().convert(value, param, ctx)
        except click.BadParameter as err:
            if not self.exists:
                raise
            # a missing, unreadable or folder FILE is a file error (one line, exit 1), as
            # the help's exit statuses say; before, Click's four-line usage error, exit 2
            raise CommandError(f"{err.message.rstrip('.')}; nothing was done") from err

    def _refuse_a_folder_that_takes_no_file(
        self, value: str, param: click.Parameter | None
    ) -> None:
        """A CommandError for an existing file, not writable, in a folder that takes no new
        file (a read-only mount): said of the folder, as a new file there is (see
        :func:`output_folder`); before, Click's usage error "File '...' is not writable"."""
        path = Path(value)
        if not path.is_file() or os.access(path, os.W_OK):
            return
        folder = written_folder(path)
        refused = refusal(folder)
        if refused is not None:
            where = "/".join(param.opts) if param is not None else "FILE"
            raise CommandError(
                f"{where}: the folder {folder}{_led_to(path)} {refused}; nothing was done."
            )

    def _refuse_unreadable(self, value: str, param: click.Parameter | None) -> None:
        """A CommandError (a file error, exit 1) in the CLI's own words, naming the
        argument, for a FILE that is missing, a folder or unreadable; nothing if it can
        be read. Before, Click's "File 'x' does not exist", "File 'x' is a directory" and
        "File 'x' is not readable" named neither the argument nor what to do."""
        name = param.human_readable_name if param is not None else "FILE"
        dash = ", or give - to read standard input" if self.allow_dash else ""
        if not os.path.exists(value):
            where = "" if os.path.isabs(value) else f" (looked for in {os.getcwd()})"
            raise CommandError(
                f"{name}: the file '{value}' does not exist{where}; check its name{dash}; "
                "nothing was done"
            )
        if not self.dir_okay and os.path.isdir(value):
            raise CommandError(
                f"{name}: '{value}' is a folder, not a file; name a file in it{dash}; "
                "nothing was done"
            )
        if self.readable and not os.access(value, os.R_OK):
            raise CommandError(
                f"{name}: the file '{value}' cannot be read by this user (permission "
                f"denied); check its permissions (ls -l {shlex.quote(value)}); "
                "nothing was done"
            )


#: a file to read that must exist, or ``-``
INPUT = NamedPath(exists=True, dir_okay=False, path_type=Path, allow_dash=True)
#: the names of spreadsheet programs' own formats, which a CSV file must not be given
WORKBOOK_SUFFIXES = {
    ".xlsx": "an Excel workbook",
    ".xlsm": "an Excel workbook",
    ".xls": "an Excel workbook",
    ".ods": "a LibreOffice spreadsheet",
    ".numbers": "a Numbers spreadsheet",
}


class CsvOutput(NamedPath):
    """An ``-o FILE`` that a command writes CSV text into: one named as a workbook
    (``gen1.xlsx``) is refused. Before, the CSV text was written under that name, and Excel,
    going by the name, then refused to open the file ("the file format or file extension
    is not valid"), the design a lab was to fill in."""

    def convert(self, value, param, ctx):  # type: ignore[no-untyped-def]
        if isinstance(value, str) and value != DASH:
            suffix = Path(value).suffix
            what = WORKBOOK_SUFFIXES.get(suffix.lower())
            if what:
                csv_name = typed(str(Path(value).with_suffix(".csv")))
                self.fail(
                    f"{typed(value)} names {what} ({suffix}), but this command writes CSV "
                    f"text, which a spreadsheet program refuses to open under that name: "
                    f"name it {csv_name} (Excel and LibreOffice open a .csv)",
                    param,
                    ctx,
                )
        return super().convert(value, param, ctx)


#: an output file of CSV text (design, history, generate -o)
CSV_OUTPUT = CsvOutput(dir_okay=False, writable=True, path_type=Path, allow_dash=True)
#: a folder to write files in (made if missing, in a folder that exists: see output_folder)
FOLDER = NamedPath(file_okay=False, path_type=Path)


def output_file_folder(output: Path) -> None:
    """:func:`output_folder` for an ``-o FILE``: its folder must take a new file (the file
    is written beside it, then renamed into place), unless the file is a device or a pipe
    (``/dev/null``), written as it is."""
    try:
        mode = output.stat().st_mode
    except OSError:
        mode = None
    if mode is not None and not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
        return
    output_folder(written_folder(output), led_from=output)


def written_folder(output: Path) -> Path:
    """The folder an ``-o FILE`` is written in: its own, or, for a symbolic link, the
    folder of the file it leads to, where ``csvio.write_bytes_file`` writes (beside the
    file, then renamed into place). Before, the link's own folder was checked: ``-o
    out/link.csv`` leading into a read-only folder was Click's "File ... is not
    writable." (exit 2), and a link in a read-only folder leading into a writable one was
    refused although the write would succeed."""
    if not output.is_symlink():
        return output.parent
    return Path(os.path.realpath(output)).parent


def _led_to(path: Path) -> str:
    """What follows a folder :func:`written_folder` found through the symbolic link
    ``path``, ``(where the link LINK leads)``, so that the message names the folder and
    how it was reached; nothing if ``path`` is no link."""
    return f" (where the link {path} leads)" if path.is_symlink() else ""


def output_folder(folder: Path, *, make: bool = False, led_from: Path | None = None) -> None:
    """Make sure files can be written in ``folder`` before anything is done; a
    CommandError (exit 1, a file error) saying that nothing was done otherwise.

    ``folder`` is an ``-o FILE``'s folder, which must exist, or (``make``) an ``-o DIR``
    named to be made, whose own folder must exist. The rule is ``--db``'s: the command
    makes the file or folder you name, never the folders above it, as ``>``, ``cp`` and
    ``mkdir`` do. A missing folder is more often a mistyped one (``reslts/gen1.csv``)
    than a wish, and one line asking for ``mkdir -p`` costs less than files, or a new and
    empty database, left where no one looks. Before, ``-o`` made every missing folder
    while ``--db`` refused one, and ``generate`` made them even when its task then failed.

    Checked before a task runs: ``generate 1 -o /etc/passwd/x.csv`` designed generation
    1, then said "File exists: /etc/passwd", and the user was unsure what happened.
    It makes and removes a file there (:func:`~sigopt_like.new_files.refusal`, the demo's
    ``--out`` check too): a permission check alone let root's ``generate 1 -o
    /proc/x.csv`` design a generation it then could not write, and ``design -o`` and
    ``history -o`` said a read-only folder "is not writable" where ``generate -o`` and
    ``demo --out`` said it "takes no new file (Read-only file system)".

    ``led_from``: the ``-o FILE`` whose folder ``folder`` is, said with it if it is a
    symbolic link leading there (:func:`written_folder`)."""
    where = "-o/--output"
    # a folder reached through a link is said with it: the user never typed it (before,
    # a dangling link was "the folder .../missing/sub does not exist", a folder unnamed)
    led = "" if led_from is None else _led_to(led_from)
    through = (
        f" (the link {led_from} leads through it)"
        if led_from is not None and led_from.is_symlink()
        else ""
    )
    above = folder.parent if make else folder
    existing = above
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if existing.exists() and not existing.is_dir():
        raise CommandError(
            f"{where}: {existing}{through} is a file, not a folder; nothing was done."
        )
    if not above.is_dir():
        raise CommandError(
            f"{where}: the folder {quoted(above)}{led} does not exist; create it first "
            f"(mkdir -p {shell_word(above)}) "
            "or name another; nothing was done."
        )
    if make and not folder.is_dir():
        if folder.exists():
            raise CommandError(f"{where}: {folder} is a file, not a folder; nothing was done.")
        try:
            folder.mkdir()
        except OSError as err:
            why = err.strerror or type(err).__name__
            raise CommandError(
                f"{where}: the folder {folder} cannot be made ({why}); nothing was done."
            ) from err
    refused = refusal(folder)
    if refused is not None:
        raise CommandError(f"{where}: the folder {folder}{led} {refused}; nothing was done.")


#: the flag that lets an ``-o FILE`` replace a file holding something else
force_option = click.option(
    "--force",
    is_flag=True,
    help="Replace an -o file that holds something else (responses, an earlier download).",
)


def refuse_to_replace(
    output: Path | None,
    text: str | None,
    *,
    force: bool,
    earlier: Callable[[bytes, bytes], bool] | None = None,
    guess: str = "",
) -> None:
    """A CommandError, before anything is written, if ``output`` is a file that holds
    something other than ``text`` and ``force`` is not given: one rule for every command
    that writes an ``-o FILE`` (design, generate, history; analytics' ``-o DIR``:
    :func:`refusal_to_replace_files`).

    ``text`` is what would be written, or None when it is not known yet (``generate``
    checks before its task designs anything): then any file that holds something is
    refused. An empty file, the same text again, standard output (``-o -``) and a device
    (``/dev/null``) are written as asked. Before, only ``design`` kept a gen1.csv the lab
    had filled in; ``generate -o`` and ``history -o`` replaced it without a word.

    ``earlier(held, data)`` says whether the file holds the command's own earlier output
    (``history``: :func:`~.earlier_outputs.is_earlier_history`), which is replaced:
    before, re-running ``history 1 -o h.csv`` after another generation was refused.
    ``guess`` is what the file may hold, said in the refusal ("the lab's responses?")."""
    if force or output is None or is_standard_stream(output):
        return
    data = None if text is None else text.encode("utf-8")
    if not _holds_something_else(output, data, text=True):
        return
    if earlier is not None and data is not None and earlier(_held(output), data):
        return
    what = f" ({guess})" if guess else ""
    raise CommandError(
        f"{shown(output)} exists and holds something else{what}: "
        "nothing was done; give --force to replace it, or another -o file"
    )


def _held(path: Path) -> bytes:
    """What ``path`` holds (it was just read: :func:`_holds_something_else`)."""
    try:
        return path.read_bytes()
    except OSError:
        return b""


def refusal_to_replace_files(held: list[Path], *, done: str) -> CommandError:
    """The CommandError of an ``-o DIR`` (``analytics``) whose files ``held`` hold
    something else: :func:`refuse_to_replace`'s rule for a folder, judged by the Python
    client's download (:mod:`sigopt_like.analytics_output`: a file is replaced if it is
    this session's own earlier download), which checks them all before writing any, so a
    refusal writes none. ``done`` says what was done before the check (the task that made
    them). Before, ``analytics -o plots`` replaced an earlier generation's files, or the
    user's own of the same name, without a word."""
    them = "it" if len(held) == 1 else "them"
    hold = "holds" if len(held) == 1 else "hold"
    exist = "exists" if len(held) == 1 else "exist"
    return CommandError(
        f"{', '.join(map(str, held))} {exist} and {hold} something else: {done}; nothing "
        f"was written; give --force to replace {them}, or another -o folder"
    )


def _holds_something_else(path: Path, data: bytes | None, *, text: bool = False) -> bool:
    """Whether ``path`` is a regular file that holds something, other than ``data`` (any
    content at all when ``data`` is None). Of a ``text``, line endings do not count (a CSV
    saved again on Windows is the same); an unreadable file does not either (writing it
    says what is wrong), nor a device (``/dev/null``)."""
    if not path.is_file():
        return False
    try:
        held = path.read_bytes()
    except OSError:
        return False
    if not held:
        return False
    if data is None:
        return True
    if text:
        return held.replace(b"\r\n", b"\n") != data.replace(b"\r\n", b"\n")
    return held != data


def is_standard_stream(path: Path | None) -> bool:
    """Whether ``path`` is ``-``: standard input or output."""
    return path is not None and str(path) == DASH


def read_input(path: Path, conn: Any) -> bytes:
    """:func:`read_bytes` for a command connected by ``conn``: an endless input is read
    up to its service's body limit (:func:`input_limit`)."""
    return read_bytes(path, input_limit(conn), embedded=conn.embedded)


def read_bytes(path: Path, limit: int = MAX_BODY_BYTES, *, embedded: bool = False) -> bytes:
    """The whole of ``path``; standard input (``-``) or a device only if it ends within
    ``limit`` bytes (the largest request the service takes by default), else a
    CommandError after reading one byte more and no further, saying how to send more
    (``embedded``: the command's ``--max-body-bytes``).

    Before, ``/dev/zero`` or an endless pipe was read until the system killed the
    process. A regular file has an end, and is read whole: what a service takes is the
    service's to say (a 413 naming its ``--max-body-bytes``), and one started with a
    larger limit takes it."""
    if is_standard_stream(path):
        if sys.stdin is None:  # started with <&-: before, an AttributeError traceback
            raise CommandError(
                "FILE is -, standard input, and standard input is closed: give the file's "
                "path, or send it with < file.csv or a pipe; nothing was done"
            )
        data = _read_at_most(sys.stdin.buffer, limit + 1)
    else:
        try:
            with open(path, "rb") as stream:
                if stat.S_ISREG(os.fstat(stream.fileno()).st_mode):
                    return stream.read()
                data = _read_at_most(stream, limit + 1)
        except OSError as err:
            # a read's error names no file (before: "error: Input/output error" alone)
            err.filename = err.filename or str(path)
            raise
    if len(data) > limit:
        if limit != MAX_BODY_BYTES:  # the embedded service's, raised or lowered
            raise CommandError(
                f"{shown(path)} goes on past {_size(limit)}, the largest request this "
                "command's --max-body-bytes lets the embedded service take; nothing was sent"
            )
        if embedded:  # before: told to save it to a file, which the same limit refuses
            raise CommandError(
                f"{shown(path)} goes on past {_size(limit)}, the largest request the "
                "embedded service takes by default; nothing was sent (give this command a "
                "larger --max-body-bytes)"
            )
        raise CommandError(
            f"{shown(path)} goes on past {_size(limit)}, the largest request a service takes "
            "by default; nothing was sent (for a service started with a larger "
            "--max-body-bytes, save it to a file and give the file's path)"
        )
    return data


#: how much of an endless input one read asks for
READ_CHUNK_BYTES = 1024 * 1024


def _read_at_most(stream: BinaryIO, count: int) -> bytes:
    """Up to ``count`` bytes of ``stream``, read a chunk at a time. Before, one
    ``read(count)`` of a ``--max-body-bytes`` of 2**63 was an OverflowError, and of 1 TiB a
    MemoryError (a buffered read sets its whole size aside first), each a traceback."""
    chunks: list[bytes] = []
    left = count
    while left > 0:
        chunk = stream.read(min(left, READ_CHUNK_BYTES))
        if not chunk:
            break
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def input_limit(conn: Any) -> int:
    """How much of an endless input (``-``, a device) :func:`read_bytes` reads for
    ``conn``: its embedded service's body limit (``--max-body-bytes``), else the
    service's default."""
    service = getattr(conn, "service", None)
    limit = getattr(getattr(service, "settings", None), "max_body_bytes", None)
    return limit if isinstance(limit, int) else MAX_BODY_BYTES


def _size(count: int) -> str:
    """``count`` bytes in words: "10 MiB", or "1,000 bytes"."""
    mib, rest = divmod(count, 1024 * 1024)
    return f"{mib:,} MiB" if mib and not rest else f"{count:,} bytes"


def shown(path: Path) -> str:
    """``path`` in a message: the file's name, or "standard input"."""
    return "standard input" if is_standard_stream(path) else str(path)
