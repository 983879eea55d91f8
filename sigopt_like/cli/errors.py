"""What the command line says about a failure: one readable line, never a traceback.

:func:`describe_error` knows the mistakes a person makes (a wrong id, a bad
file, a busy port, a database that is not one, a missing driver) and returns
None for anything else, which is a bug and keeps its traceback.
"""

from __future__ import annotations

import errno
import os
import sys
from collections.abc import Sequence

from ..database_targets import describe_opening_error
from ..errors import (
    APIConnectionError,
    APIError,
    AuthenticationError,
    HostNotFoundError,
    SigoptLikeError,
    TaskFailedError,
    _as_dict,
    _describe_item,
)

TASK_PROBLEMS_SHOWN = 12  # a failed task's problems printed; the rest are counted


class CommandError(Exception):
    """A mistake the command itself found; its message is shown as it is (exit 1)."""


def describe_error(err: BaseException) -> str | None:
    """One line (or a few, for a failed task's problems) about ``err``; None if unknown."""
    if isinstance(err, TaskFailedError):
        head = err.message.split(": ", 1)[0] if err.errors else err.message
        if not err.errors:
            return str(err)
        return _problem_lines(head, err.errors)
    if isinstance(err, APIError):
        if isinstance(err.body, dict) and err.body.get("object") == "error":
            if len(err.errors) > 1:  # a table's or a space's problems, as a task's are
                # (before the service refused a table not matching the design at once,
                # its task's failure listed them so; the 422 was one line of 90 problems)
                where = f" (request {err.request_id})" if err.request_id else ""
                head = err.message.split(": ", 1)[0]
                return _problem_lines(
                    f"the service refused{where}: {err.status} {err.code}: {head}", err.errors
                )
            if isinstance(err, AuthenticationError) and _sent_no_token(err):
                # the service's advice is the HTTP header; a person at a command line
                # sets an option or a variable, which this names (before, only the header)
                return (
                    f"the service refused: {err}\n  (this command sent no token: give "
                    "--token, or export SIGOPT_LIKE_TOKEN, with one of "
                    "'sigopt-like tokens create')"
                )
            return f"the service refused: {err}"
        return str(err)  # not an answer of the service: another server's, or a proxy's
    if isinstance(err, HostNotFoundError):
        return f"{err}; is --host (or $SIGOPT_LIKE_HOST) the service's URL?"
    if isinstance(err, APIConnectionError) and "certificate" not in str(err).lower():
        return f"{err}; is the service running, and is --host (or $SIGOPT_LIKE_HOST) its URL?"
    if isinstance(err, SigoptLikeError):
        return str(err)
    if isinstance(err, OSError):
        return describe_os_error(err)
    if isinstance(err, UnicodeEncodeError) and "surrogate" in str(err):
        # an argument's undecodable bytes reached the database (a token name, an email to
        # look up): main() names the argument; this was a traceback
        return f"the text cannot be stored or looked up: {err}"
    if isinstance(err, UnicodeEncodeError):
        # printing a name to an output whose encoding lacks one of its characters (a
        # Latin-1 terminal, or Windows writing a redirect in its code page): before, a
        # traceback ending "'latin-1' codec can't encode character '\u2615'". Printing
        # comes after acting: a session created is created, so running the command again
        # would be refused (409 duplicate_name) or do it twice; say how to see it instead
        unwritable = err.object[err.start : err.end]
        lacking = _output_encoding_lacking(unwritable)
        if lacking is not None:
            return (
                f"the output's encoding ({lacking}) cannot write {unwritable!a}: what the "
                "command did is done, only its output could not be written; to see it, set "
                "PYTHONIOENCODING=utf-8 (or a UTF-8 locale, e.g. LANG=C.UTF-8) and list or "
                "show it"
            )
    return describe_opening_error(err)


def _sent_no_token(err: AuthenticationError) -> bool:
    """Whether a 401 says no credentials came: its challenge has no ``error=`` (RFC 6750
    section 3.1; a token sent and refused is ``error="invalid_token"``)."""
    challenge = next(
        (value for name, value in err.headers.items() if name.lower() == "www-authenticate"),
        None,
    )
    return challenge is not None and "error=" not in challenge


def _output_encoding_lacking(text: str) -> str | None:
    """The encoding of standard output (or error) that cannot write ``text``, if one
    cannot (a charmap codec's error names no encoding: "'charmap' codec can't ...")."""
    for stream in (sys.stdout, sys.stderr):
        encoding = getattr(stream, "encoding", None)
        if not encoding:
            continue
        try:
            text.encode(encoding)
        except UnicodeEncodeError:
            return str(encoding)
        except LookupError:
            continue
    return None


def _problem_lines(head: str, errors: Sequence[object]) -> str:
    """``head:`` then the first :data:`TASK_PROBLEMS_SHOWN` problems, one a line, and how
    many more there are."""
    shown = errors[:TASK_PROBLEMS_SHOWN]
    lines = [head + ":"] + [f"  - {_item(item)}" for item in shown]
    more = len(errors) - len(shown)
    if more:  # before: every one, 90 lines for a wrong 90-row file
        lines.append(f"  ... and {more} more problems like these")
    return "\n".join(lines)


def undecodable_arguments(args: Sequence[str]) -> str | None:
    """What to say of command-line arguments that were not UTF-8, or None if all were.

    Python keeps such bytes as lone surrogates (``\\udce9`` for the byte 0xE9), which the
    service refuses as "not text"; this names the argument as the person typed it and
    the way out (the bytes are another encoding's, and only the person knows which).
    """
    undecodable = [arg for arg in args if any("\udc80" <= char <= "\udcff" for char in arg)]
    # a file name may be any bytes, and is not sent: named only when nothing else is to
    # blame (before, a --user value that a file in this folder happened to be named was
    # passed over, and the codec's "surrogates not allowed" was all one read)
    bad = [arg for arg in undecodable if not _looks_like_a_path(arg)] or undecodable
    if not bad:
        return None
    shown = ", ".join(repr(os.fsencode(arg))[1:] for arg in bad[:3])
    return (
        f"the command line holds text that is not UTF-8 ({shown}): set the terminal to "
        "UTF-8 (e.g. LANG=C.UTF-8) and type it again, or put the text in a UTF-8 file"
    )


def _looks_like_a_path(arg: str) -> bool:
    return os.sep in arg or os.path.exists(arg)


def _item(item: object) -> str:
    """One problem, its place said once (before: "row 1: row 1 should be the header...")."""
    return _describe_item(_as_dict(item))


def describe_os_error(err: OSError) -> str:
    """One line for a file or network error, naming the file where there is one."""
    where = f" {err.filename}" if err.filename else ""
    if err.errno == errno.EADDRINUSE:
        return f"the address is already in use{where}: another server listens on that port"
    if isinstance(err, FileNotFoundError):
        return f"no such file or folder:{where}"
    if isinstance(err, IsADirectoryError):
        return f"a folder where a file was expected:{where}"
    if isinstance(err, PermissionError):
        return f"permission denied:{where}"
    return f"{err.strerror or err}{':' + where if where else ''}"
