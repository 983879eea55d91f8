"""Secrets in URLs: query parameters whose names look secret (``token``, ``api_key``,
``password``, ...).

The service reads a token only from the ``Authorization`` header (or the dashboard's
cookie), never from a URL: a URL is kept in access logs, proxy logs and browser history.
Which names look secret is :func:`sigopt_like.url_redaction.looks_secret`'s one list.
A caller who puts one there anyway is told where it goes instead
(:func:`secret_query_names`), and the access log writes the values of such parameters
as ``***`` (:func:`redacted_query`).
"""

from __future__ import annotations

import re
from urllib.parse import quote_plus, unquote_plus

from ..url_redaction import looks_secret

#: the separators of query pairs: ``&``, and ``;``, which some servers and proxies read as
#: one too (``a=1;token=x`` is a token there)
_SEPARATORS = re.compile(r"([&;])")
#: written as they are in a logged query (as ``urlencode`` did before)
_SAFE = "*,/:"

HEADER_HINT = (
    "send it in the header 'Authorization: Bearer <token>' instead: a token is never "
    "read from a URL, which access logs, proxies and browser history keep"
)


def secret_query_names(query: str) -> list[str]:
    """The names (decoded) of the query's parameters that look secret, in order."""
    names = (unquote_plus(piece.partition("=")[0]) for piece in _SEPARATORS.split(query))
    return [name for name in names if name not in ("&", ";") and looks_secret(name)]


def redacted_query(query: str) -> str:
    """The query string with the values of secret-looking names written as ``***``; pairs
    are split at ``&`` and ``;``, and each name and value is percent-encoded again, so
    that a logged query holds no space, control character or line end."""
    if not query:
        return ""
    written = []
    for piece in _SEPARATORS.split(query):
        if piece in ("", "&", ";"):
            written.append(piece)
            continue
        raw_name, equals, raw_value = piece.partition("=")
        name, value = unquote_plus(raw_name), unquote_plus(raw_value)
        if looks_secret(name):
            equals, value = "=", "***"
        written.append(quote_plus(name, safe=_SAFE) + equals + quote_plus(value, safe=_SAFE))
    return "".join(written)
