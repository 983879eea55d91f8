"""No service token in any line a served process logs, whoever wrote the line.

The access log and the service's own messages redact tokens where they are written
(``access_log.redact_tokens``), but other writers do not know to: waitress logs "Client
disconnected while serving /v1/sessions/slk_..." with the path as the client sent it,
and a traceback may quote a URL or an argument. :func:`redact_handlers` puts
:class:`TokenRedaction` on the handlers of the process's root logger, where every line
of every logger ends, so that each line is redacted once, as a whole: its message, its
traceback and its stack.
"""

from __future__ import annotations

import logging

from .access_log import LOGGER as ACCESS_LOGGER
from .access_log import loggable, redact_tokens


class TokenRedaction(logging.Filter):
    """A handler filter writing every service token of a record as ``slk_***``, and
    waitress's messages on one line (:func:`~.access_log.loggable`)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        # waitress quotes a request's path percent-decoded ("Client disconnected while
        # serving <path>"): a %0d%0a in it would begin a forged line
        quotes_requests = record.name == "waitress" or record.name.startswith("waitress.")
        clean = loggable(message) if quotes_requests else redact_tokens(message)
        if clean != message:
            record.msg, record.args = clean, ()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact_tokens(record.exc_text)
        if record.stack_info:
            record.stack_info = redact_tokens(record.stack_info)
        return True


def log_served(quiet_access: bool = False) -> None:
    """The logging of ``sigopt-like serve``: INFO and up on standard error (or what the
    root logger already has, ``-v``'s), the access log unless ``quiet_access``, and every
    line of every logger redacted."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    redact_handlers()
    if quiet_access:
        logging.getLogger(ACCESS_LOGGER).setLevel(logging.WARNING)


def redact_handlers(logger: logging.Logger | None = None) -> None:
    """Add :class:`TokenRedaction` to each handler of ``logger`` (default: the root's)."""
    for handler in (logger or logging.getLogger()).handlers:
        if not any(isinstance(f, TokenRedaction) for f in handler.filters):
            handler.addFilter(TokenRedaction())
