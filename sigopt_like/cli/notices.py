"""Telling a person at the terminal that a served instance does not answer yet.

The client retries connection errors and timeouts until its deadline (two
minutes by default), which suits a script left running; a person who typed a
command would otherwise wait that long in silence. The first such retry of a
command prints one line on standard error naming the URL, the problem, how
long the retries may last and the setting that shortens them. Hooked on the
``sigopt_like.http`` retry log records, so the transport stays unaware of the command
line.
"""

from __future__ import annotations

import logging

import click

from .._constants import ENV_MAX_RETRY_TIME
from ..transport import LOGGER, PLAIN_HTTP_HINT, UNREACHABLE
from ..url_redaction import shown_url


class RetryNotice(logging.Handler):
    """Prints one line at the first retry of a call that could not reach ``host`` (shown
    with its password and secrets hidden, and a long one's middle)."""

    def __init__(self, host: str, max_time: float) -> None:
        super().__init__(level=logging.INFO)
        self.host = shown_url(host)
        self.max_time = max_time
        self.shown = False

    def emit(self, record: logging.LogRecord) -> None:
        unreachable = getattr(record, UNREACHABLE, None)
        if unreachable is None:
            if record.levelno >= logging.WARNING and logging.lastResort is not None:
                logging.lastResort.handle(record)  # what would have been shown without us
            return  # a retry of a status (429, 503) is the service answering: no notice
        if self.shown:
            return
        self.shown = True
        _, what, why = unreachable
        hint = ""
        if "Timeout" in why and self.host.startswith("https://"):  # TLS to a plain server
            hint = f"; {PLAIN_HTTP_HINT} http://{self.host.removeprefix('https://')}"
        click.echo(
            f"sigopt-like: {self.host} {what} ({why}){hint}; trying again for up to "
            f"{self.max_time:.0f} s (Ctrl-C to stop; {ENV_MAX_RETRY_TIME}=SECONDS shortens "
            "it; -v shows each try)",
            err=True,
        )


def install(host: str, max_time: float) -> RetryNotice:
    """Add the notice to the retry logger (not with ``-v``, which logs every retry)."""
    logger = logging.getLogger(LOGGER)
    notice = RetryNotice(host, max_time)
    logger.addHandler(notice)
    logger.setLevel(logging.INFO)
    return notice


def remove(notice: RetryNotice) -> None:
    """Undo :func:`install` (the logger goes back to its defaults)."""
    logger = logging.getLogger(LOGGER)
    logger.removeHandler(notice)
    if not any(isinstance(h, RetryNotice) for h in logger.handlers):
        logger.setLevel(logging.NOTSET)
