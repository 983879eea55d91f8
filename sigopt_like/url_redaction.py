"""Secrets in URLs, hidden wherever a URL is shown: a message, a log line, an exception.

A URL may carry a password in its user part (``http://user:secret@host``) or a secret in
its query (``?token=...``, ``?password=...``): a host read from ``SIGOPT_LIKE_HOST`` or a
config file, a database URL. :func:`redact_url` is the one place that hides them, for the
client, the command line and the service alike (a pure module: no I/O, no imports of
either side); :func:`shown_url` also shortens a long one for a message.
"""

from __future__ import annotations

import bisect
import logging
import re
import string
from collections.abc import Callable
from urllib.parse import unquote_plus

#: a query parameter's name that looks like it holds a secret (``token``, ``api_key``,
#: ``access_token``, ``password``, ``client_secret``, ...), in any case
_SECRET_NAME = re.compile(
    r"token|passw|pwd|secret|key|auth|credential|bearer|jwt|signature|session|cookie",
    re.IGNORECASE,
)
#: the characters of a URL's scheme (``postgresql+psycopg``): a letter, then these
_SCHEME_CHARACTERS = frozenset(string.ascii_letters + string.digits + "+.-")
#: a plain host (``127.0.0.1:9``, ``[::1]:8080``, ``lab.example``) with no user part: what
#: follows it is a path, a query or the text around the URL, not a password (a
#: ``?email=bob@lab.example`` after it names no host)
_PLAIN_HOST = re.compile(
    r"(?:\[[^\]\s/?#@]*\]|[^\s:/?#@\[\]'\"()<>,;]+)(?::\d+)?(?![^\s/?#'\"()<>,;])"
)
#: what ends a password's search once an ``@`` is seen: the query, the fragment, or the
#: text after the URL
_PAST_PASSWORD = re.compile(r"[?#\s]")
#: the user of a user part that has a password (``bob:``, or ``:`` alone: an empty user)
_USER = re.compile(r"[^\s:/?#@]*:")
#: one ``name=value`` pair of a query: after ``?``, ``&`` or ``;`` (which some servers
#: read as a separator too)
_QUERY_PAIR = re.compile(r"([?&;])([^=&;#?\s]*)=([^&;#\s]*)")


#: names that look secret and hold a file's path in a database URL: libpq's ``sslkey``,
#: the client key's file, which a database URL's message must show for the person to
#: check it (its passphrase, ``sslpassword``, stays hidden). Only there: anywhere else
#: (a request's ``?sslkey=`` in the service's access log) it may hold the key itself
_KEY_FILES = frozenset({"sslkey"})


def looks_secret(name: str, *, key_files_shown: bool = False) -> bool:
    """Whether a query parameter's name (decoded) looks like it holds a secret;
    ``key_files_shown`` (a database URL's message) leaves out ``sslkey``, a file's path."""
    if key_files_shown and name in _KEY_FILES:
        return False
    return bool(_SECRET_NAME.search(name))


def _value_hider(key_files_shown: bool) -> Callable[[re.Match[str]], str]:
    def hide_value(match: re.Match[str]) -> str:
        separator, name, _ = match.groups()
        try:
            secret = looks_secret(unquote_plus(name), key_files_shown=key_files_shown)
        except UnicodeError:  # not text once decoded: judged as written
            secret = looks_secret(name, key_files_shown=key_files_shown)
        return f"{separator}{name}=***" if secret else match.group(0)

    return hide_value


def redact_url(text: str, *, key_files_shown: bool = False) -> str:
    """``text`` (a URL, or a message quoting one) with every password and secret hidden
    (as far as its end can be judged in free text: a password holding an ``@`` followed
    by a space, ``?`` or ``#``, or holding ``://``, may show in part; a refused host is
    quoted through :func:`refused_url`, which hides its whole user part):
    the password of a user part (``http://me:***@host:8080``, the user kept) and the value
    of each query parameter whose name looks secret (``?token=***&page=2``, the rest kept).
    ``key_files_shown``: a database URL's message, where ``?sslkey=`` is the client key's
    file's path and shown (:func:`looks_secret`).
    """
    return _QUERY_PAIR.sub(_value_hider(key_files_shown), _hide_passwords(text))


def _hide_passwords(text: str) -> str:
    """``text`` with the password of each URL's user part replaced by ``***``.

    A password may hold ``/``, ``?``, ``#``, ``@``, a space or a line break unencoded, so
    where it ends is judged, not parsed: after ``scheme://``, a plain host (``host:port``
    followed by a path, a query, a space or the end) means no password at all (an ``@``
    later is in the query or the text around); else a ``user:`` starts a password, which
    ends at the last ``@`` before the first ``?``, ``#`` or space that follows its first
    ``@`` (and before the next URL). A password of digits alone followed by
    ``/``, ``?``, ``#`` or a space (``bob:123/x@host``) reads as a port and stays: the
    client reads it so too (host ``bob``, port 123) and sends no password."""
    pieces: list[str] = []
    shown = 0
    urls = _url_starts(text)
    schemes = [scheme for scheme, _ in urls]
    for _, at in urls:
        if at < shown:  # inside a password already hidden
            continue
        if _PLAIN_HOST.match(text, at):
            continue
        user = _USER.match(text, at)
        if user is None:
            continue
        later = bisect.bisect_left(schemes, user.end())
        limit = schemes[later] if later < len(schemes) else len(text)
        first_at = text.find("@", user.end(), limit)
        if first_at < 0:  # no ``@``: a host and a port that is no number; nothing to hide
            continue
        past = _PAST_PASSWORD.search(text, first_at, limit)
        end = text.rfind("@", first_at, past.start() if past else limit)
        pieces += [text[shown : user.end()], "***"]
        shown = end
    return "".join(pieces) + text[shown:]


def _url_starts(text: str) -> list[tuple[int, int]]:
    """Each ``scheme://`` in ``text``: where its scheme begins and where its authority
    (``user:password@host``) begins, in order. From each ``://`` back over the scheme's
    characters to the first letter of that run (where a pattern searched from the left
    finds it: ``1postgresql://`` is ``postgresql://``), so each character is read at most
    twice. Written by hand, not as a pattern searched for: one tried from every letter read
    a long run of letters once per letter (a megabyte never ended), and one anchored
    outside a run of scheme characters missed a scheme after a digit or a ``-`` (a
    password then shown)."""
    found: list[tuple[int, int]] = []
    colon = text.find("://")
    while colon >= 0:
        begin = colon
        while begin > 0 and text[begin - 1] in _SCHEME_CHARACTERS:
            begin -= 1
        while begin < colon and not text[begin].isalpha():
            begin += 1
        if begin < colon:  # a scheme: at least one letter, then its characters
            found.append((begin, colon + 3))
        colon = text.find("://", colon + 3)
    return found


def refused_url(url: str) -> str:
    """``url`` as the refusal of a malformed one quotes it: everything between ``://``
    (or the start) and its last ``@`` hidden but the user name (``http://bob:***@h:9``;
    ``***@h:9`` with no ``:`` to tell the name from a password), then :func:`redact_url`.
    Where a malformed URL's password ends cannot be judged (``p@ss w0rd``, ``x://s3cret``:
    :func:`redact_url` showed ``@ss w0rd`` and the second whole), and such a URL is
    refused anyway: hiding its whole user part costs the person nothing. A plain host
    (``http://h:9/?mail=a@b``) has no user part and is quoted as :func:`redact_url` does."""
    scheme, found, after = url.partition("://")
    if not found:
        scheme, after = "", url
    user_part, at, rest = after.rpartition("@")
    if not at or _PLAIN_HOST.match(after):  # no user part: an '@' in a query names no host
        return redact_url(url)
    user, colon, _ = user_part.partition(":")
    shown_user = f"{user}:***" if colon and "@" not in user else "***"
    # an '@' before the path, the query or the fragment, and another after: the user part
    # ends at the first (a client's reading: '...:9/?email=bob@lab.example') or at the
    # second (a '?' in the password: 'bob:p@ss?w0rd@host'), which cannot be told. Cut at
    # the last, the first case was quoted as host lab.example; at the first, the second
    # showed the password's end. Nothing after the user is quoted then.
    authority = re.match(r"[^/?#]*", after)
    head = authority.group(0) if authority else ""
    if "@" in head and len(head.rpartition("@")[0]) != len(user_part):
        return f"{scheme}{found}{shown_user}@..."
    return redact_url(f"{scheme}{found}{shown_user}@{rest}")


#: the most of a URL a message shows: past it, :func:`shown_url` elides its middle
SHOWN_URL_CHARACTERS = 100
_ELIDED = "..."


def _middle_elided(text: str, most: int) -> str:
    """``text`` with its middle written ``...`` so that it is ``most`` characters long."""
    if len(text) <= most:
        return text
    head = (most - len(_ELIDED) + 1) // 2
    tail = most - len(_ELIDED) - head
    return text[:head] + _ELIDED + (text[-tail:] if tail > 0 else "")


def shown_url(url: str, most: int = SHOWN_URL_CHARACTERS) -> str:
    """``url`` as a message shows it: its secrets hidden (:func:`redact_url`) and, past
    ``most`` characters, its middle elided, the scheme, host and port kept at the start and
    the path's end (``/v1/version``) at the end:
    ``http://127.0.0.1:9/pppp...pppp/v1/version``. A host name of many labels or a long
    user name is elided in its own middle, the scheme and port kept. Before, a
    3,000-character path or host name was printed whole in every unreachable-host message.
    """
    text = redact_url(url)
    if len(text) <= most:
        return text
    scheme, found, after = text.partition("://")
    if not found:
        return _middle_elided(text, most)
    authority = re.match(r"[^/?#]*", after)
    netloc = authority.group(0) if authority else ""
    origin = _middle_elided(f"{scheme}://{netloc}", most // 2)
    rest = after[len(netloc) :]
    return origin + _middle_elided(rest, max(most - len(origin), len(_ELIDED) + 2))


class RedactedURLs(logging.Filter):
    """A handler filter that writes each record's message through :func:`redact_url`: the
    lines of other libraries (urllib3's ``"GET /?token=... HTTP/1.1"`` at ``-vv``) too."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a bad log call (``"%d" % "x"``): logging's handler reports it
            return True  # and goes on; raising here would reach the caller instead
        clean = redact_url(message)
        if clean != message:
            record.msg, record.args = clean, ()
        return True
