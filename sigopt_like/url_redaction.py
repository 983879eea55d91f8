"""Secrets in URLs, hidden wherever a URL is shown: a message, a log line, an exception.

A URL may carry a password in its user part (``http://user:secret@host``) or a secret in
its query (``?token=...``, ``?password=...``): a host read from ``SIGOPT_LIKE_HOST`` or a
config file, a database URL. :func:`redact_url` is the one place that hides them, for the
client, the command line and the service alike (a pure module: no I/O, no imports of
either side).
"""

from __future__ import annotations

import logging
import re
from urllib.parse import unquote_plus

#: a query parameter's name that looks like it holds a secret (``token``, ``api_key``,
#: ``access_token``, ``password``, ``client_secret``, ...), in any case
_SECRET_NAME = re.compile(
    r"token|passw|pwd|secret|key|auth|credential|bearer|jwt|signature|session|cookie",
    re.IGNORECASE,
)
#: a URL's password: up to the last ``@`` before its query or fragment (an unencoded ``@``
#: in it must not show its rest), else up to its LAST ``@`` (a ``?`` or ``#`` in it)
_USERINFO_PASSWORD = re.compile(r"(://[^:/@\s]+:)(?:[^\s?#]*@|\S*@)")
#: one ``name=value`` pair of a query: after ``?``, ``&`` or ``;`` (which some servers
#: read as a separator too)
_QUERY_PAIR = re.compile(r"([?&;])([^=&;#?\s]*)=([^&;#\s]*)")


#: names that look secret and hold a file's path: libpq's ``sslkey``, the client key's
#: file, which a database URL's message must show for the person to check it (its
#: passphrase, ``sslpassword``, stays hidden)
_PATHS = frozenset({"sslkey"})


def looks_secret(name: str) -> bool:
    """Whether a query parameter's name (decoded) looks like it holds a secret."""
    return name not in _PATHS and bool(_SECRET_NAME.search(name))


def _hide_value(match: re.Match[str]) -> str:
    separator, name, _ = match.groups()
    try:
        secret = looks_secret(unquote_plus(name))
    except UnicodeError:  # not text once decoded: judged as written
        secret = looks_secret(name)
    return f"{separator}{name}=***" if secret else match.group(0)


def redact_url(text: str) -> str:
    """``text`` (a URL, or a message quoting one) with every password and secret hidden:
    the password of a user part (``http://me:***@host:8080``, the user kept) and the value
    of each query parameter whose name looks secret (``?token=***&page=2``, the rest kept).
    """
    return _QUERY_PAIR.sub(_hide_value, _USERINFO_PASSWORD.sub(r"\1***@", text))


class RedactedURLs(logging.Filter):
    """A handler filter that writes each record's message through :func:`redact_url`: the
    lines of other libraries (urllib3's ``"GET /?token=... HTTP/1.1"`` at ``-vv``) too."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = redact_url(message)
        if clean != message:
            record.msg, record.args = clean, ()
        return True
