"""A password or token read from standard input (``users create --password-stdin``,
``tokens revoke --token-stdin``), one rule for both.

- A pipe or a file: its one line, without the line ends after it (``echo``'s, an
  editor's, a CRLF); what is on the line, blanks included, is what is read (a token's
  blanks are dropped by its command: no token holds one). Before, the first line was
  taken and the rest dropped without a word: ``printf 'new\\nold\\n'`` made the password
  "new", and which one the person meant cannot be told.
- Several lines: refused in one line, nothing done.
- A terminal: asked for, not shown as typed (a password twice). Before, the command
  waited without a word for a line that was then shown on the screen.
- No standard input at all (``<&-``): refused in one line (before, a traceback).
"""

from __future__ import annotations

import re
import sys

import click

from .errors import CommandError

LINE_BREAK = re.compile(r"\r\n|\r|\n")


def read_secret(what: str, *, limit: int, nothing: str, confirm: bool = False) -> str:
    """The ``what`` ("password", "token") on standard input, as the module says; at most
    ``limit`` characters are read (an endless input, ``/dev/zero``, ends there). A
    CommandError ending with ``nothing`` ("no user was created") for input that holds
    several lines or none at all."""
    stream = sys.stdin
    if stream is None:
        raise CommandError(
            f"standard input is closed, and the {what} is read from it: give it with "
            f"< {what}.txt or a pipe; {nothing}"
        )
    if stream.isatty():
        typed: str = click.prompt(
            f"{what.capitalize()} (not shown)",
            hide_input=True,
            confirmation_prompt=confirm,
            err=True,
        )
        return typed
    text = stream.read(limit)
    body = text.rstrip("\r\n")
    lines = LINE_BREAK.split(body)
    if len(lines) > 1:
        raise CommandError(
            f"standard input holds {len(lines)} lines, and a {what} is one: give a file "
            f"or pipe holding the {what} alone on its line; {nothing}"
        )
    return body
