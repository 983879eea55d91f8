"""The service's JSON error body for requests waitress refuses before the app sees them.

Waitress answers a request it cannot parse itself: a header holding a NUL or
another character HTTP does not allow, a raw non-ASCII byte in the URI, headers
or a body beyond its limits. Its answer is plain text (``Bad Request ... (generated
by sigopt-like)``), while every other answer of the service is the one JSON error
body (``errors.error_body``) that the client turns into a typed exception.

Waitress has no public hook for these answers; its channel class names the task
that renders them (``HTTPChannel.error_task_class``) and each listening server the
channel class it builds (``channel_class``). Hand-written because there is no
library for it: :class:`JsonErrorTask` renders waitress's own status and reason as
the service's body, and :func:`answer_in_json` gives the servers of one
``create_server`` a channel class that uses it. ``tests/reliability/test_door.py``
sends such requests to a real server, so a waitress release that moved these
names would fail there, not in production. Each refusal is counted in the served app's
``/metrics`` and written to its access log, as the app's answers are (``door_records``).
"""

from __future__ import annotations

import json
import re
import socket
import time
from itertools import pairwise
from typing import Any

from waitress.channel import HTTPChannel
from waitress.parser import HTTPRequestParser, ParsingError, TransferEncodingNotImplemented
from waitress.server import BaseWSGIServer
from waitress.task import ErrorTask
from waitress.utilities import Error, RequestEntityTooLarge, RequestHeaderFieldsTooLarge

from ..error_codes import default_code
from . import header_refusals
from .door_records import count_refusal, log_refusal
from .errors import body_too_large_message, error_body
from .head_answers import HeadTask
from .request_ids import HEADER, answer_id
from .serving import (
    LINGER_BYTES,
    LINGER_IDLE_SECONDS,
    LINGER_SECONDS,
    REQUEST_FIELD_BYTES,
    REQUEST_FIELDS,
    REQUEST_LINE_BYTES,
    linger_slots,
)

#: what waitress's reasons mean for the caller (its ``body`` says which rule broke)
_HINTS = {
    400: "the request is not valid HTTP; check its request line and headers (no NUL or "
    "other control character, non-ASCII in the URI percent-encoded, a numeric "
    "Content-Length)",
    408: "send each request whole, without pausing (the server's --request-read-timeout "
    "says how long it waits)",
    414: f"the request line is longer than this server accepts ({REQUEST_LINE_BYTES} bytes): "
    "shorten the URL (fewer or shorter ids, names or filters in it)",
    417: "the only expectation this server meets is 'Expect: 100-continue'; leave the header out",
    431: f"the request's headers are more or larger than this server accepts (at most "
    f"{REQUEST_FIELDS} fields of {REQUEST_FIELD_BYTES} bytes each)",
}
#: what a 400 for a malformed chunked body means for the caller (both servers')
CHUNKS_HINT = (
    "the chunked body is malformed: each chunk is its size in hexadecimal digits (then "
    "';' and an extension, at most), CRLF, that many bytes, CRLF, and a chunk of size 0 "
    "ends the body; or send the body with a Content-Length"
)

#: a request with both a Content-Length and a Transfer-Encoding (both servers' 400)
TWO_FRAMINGS = "both Transfer-Encoding and Content-Length"
TWO_FRAMINGS_HINT = (
    "send one of the two: a Content-Length with the body as it is, or "
    "'Transfer-Encoding: chunked' with the body in chunks (a request with both can be read "
    "two ways, by a proxy one way and by this server the other, which smuggles a request "
    "past the proxy; RFC 9112 section 6.3 lets a server refuse it, and it is refused)"
)
#: a header field continued on the next line (obsolete line folding; both servers' 400)
FOLDING_HINT = (
    "header values cannot be continued on the next line (obsolete line folding, RFC 9112 "
    "section 5.2): send each header field on one line, its value without line breaks"
)


#: a request line's HTTP version, ``HTTP/<major>.<minor>`` (both servers read no other)
_VERSION = re.compile(rb" HTTP/([0-9])\.([0-9])\Z")
#: what a 505 for a major version other than 1 means for the caller (both servers')
VERSION_HINT = (
    "this server speaks HTTP/1.1 (and HTTP/1.0) over a cleartext connection, not HTTP/2 "
    "(nor HTTP/0.9, which has no version in its request line): send the request as HTTP/1.1"
)


def unserved_version(request_line: bytes) -> str | None:
    """The version ``HTTP/x.y`` of a ``request_line`` whose major version is not 1 (which
    both servers answer ``505 HTTP Version Not Supported``, RFC 9110 section 15.6.6), else
    ``None``. A request line of a method and a target alone (``GET /health``) is
    HTTP/0.9's, which has no version (RFC 9112 appendix C.1): ``serve`` answered it as
    HTTP/1.0 with a 200, gunicorn refused it as a malformed request line."""
    words = request_line.split(b" ")
    if len(words) == 2 and all(words) and not words[1].startswith(b"HTTP/"):
        return "HTTP/0.9"
    found = _VERSION.search(request_line)
    if found is None or found[1] == b"1":
        return None
    return f"HTTP/{found[1].decode()}.{found[2].decode()}"


def as_http_1_1(header_plus: bytes) -> bytes:
    """``header_plus`` with a request line of HTTP/1.2 to 1.9 read as HTTP/1.1 (RFC 9110
    section 2.5: a later minor version is handled as the highest the server speaks);
    waitress answered such a request as HTTP/1.0, with no keep-alive."""
    line, crlf, rest = header_plus.partition(b"\r\n")
    found = _VERSION.search(line)
    if found is None or found[1] != b"1" or found[2] in b"01":
        return header_plus
    return line[: found.start()] + b" HTTP/1.1" + crlf + rest


#: a request head's line ended by a bare LF (both servers' 400)
LINE_ENDS_HINT = (
    "end each line of the request line and headers with CRLF (\\r\\n), not a bare LF "
    "(\\n), as HTTP requires (RFC 9112 section 2.2), and the headers with an empty line"
)
_BARE_LF = re.compile(rb"(?<!\r)\n")


def bare_line_feed(head: bytes) -> bool:
    """Whether a request ``head`` (or what came of it) has a line ended by a bare LF (the
    empty lines before its request line aside, which RFC 9112 has a server ignore)."""
    end = head.find(b"\r\n\r\n")
    return _BARE_LF.search(head[: end if end >= 0 else len(head)].lstrip(b"\r\n")) is not None


#: the headers both servers refuse when sent twice (RFC 9110 section 5.3's one-valued
#: fields the service reads, and the Content-Length)
ONE_VALUED_FIELDS = ("CONTENT-LENGTH", "CONTENT-TYPE", "HOST")


def repeated_field(head: bytes, names: tuple[str, ...]) -> str | None:
    """The first of ``names`` (capitals) that a request ``head`` sends more than once."""
    seen: set[str] = set()
    for line in head.split(b"\r\n\r\n", 1)[0].split(b"\r\n")[1:]:
        name = line.partition(b":")[0].strip().decode("latin-1").upper()
        if name in names:
            if name in seen:
                return name
            seen.add(name)
    return None


def repeated_message(name: str) -> tuple[str, str]:
    """What is wrong with a request that sends the one-valued header ``name`` twice, and
    the hint (both servers' 400)."""
    shown = name.title()
    return (
        f"the {shown} header is sent more than once",
        f"send the {shown} header once: it holds one value, and two may be read one way by "
        "a proxy and another by the server (RFC 9110 section 5.3)",
    )


class RepeatedField(Error):  # type: ignore[misc]
    code = 400
    reason = "Bad Request"

    def __init__(self, name: str) -> None:
        said, self.hint = repeated_message(name)
        super().__init__(said)


def first_field_folded(head: bytes) -> str | None:
    """What is wrong with a request ``head`` whose first header line begins with a space or
    a tab, as a line continued from the request line (``None`` if it does not): waitress
    said "Malformed header line", gunicorn "Invalid HTTP header name: ' X-Note'", both with
    the hint to check the request line and headers, where a folded line further down was
    told it cannot be continued (:data:`FOLDING_HINT`). RFC 9112 section 2.2 has a server
    refuse it or ignore the line; both refuse it."""
    first = head.partition(b"\r\n")[2].partition(b"\r\n")[0]
    if not first.startswith((b" ", b"\t")):
        return None
    name = first.partition(b":")[0].strip().decode("latin-1").upper()
    return (
        f"Obsolete line folding is unacceptable: the first header line, {name!r}, begins "
        "with whitespace"
    )


class VersionNotSupported(Error):  # type: ignore[misc]
    code = 505
    reason = "HTTP Version Not Supported"
    hint = VERSION_HINT


class UriTooLong(Error):  # type: ignore[misc]
    code = 414
    reason = "URI Too Long"


class ExpectationFailed(Error):  # type: ignore[misc]
    code = 417
    reason = "Expectation Failed"


class FramedTwice(Error):  # type: ignore[misc]
    code = 400
    reason = "Bad Request"
    hint = TWO_FRAMINGS_HINT


class BareLineFeed(Error):  # type: ignore[misc]
    code = 400
    reason = "Bad Request"
    hint = LINE_ENDS_HINT


class FoldedHeader(Error):  # type: ignore[misc]
    code = 400
    reason = "Bad Request"
    hint = FOLDING_HINT


#: the most of a request's head kept as it came (its ``X-Request-Id`` for a refusal)
HEAD_SEEN_BYTES = 64 * 1024


class DoorParser(HTTPRequestParser):  # type: ignore[misc]
    """Waitress's request parser with gunicorn's limits (``gunicorn_conf``), so that a
    request is refused alike by both servers: a request line over
    :data:`~.serving.REQUEST_LINE_BYTES` is a 414, more than
    :data:`~.serving.REQUEST_FIELDS` header fields or one over
    :data:`~.serving.REQUEST_FIELD_BYTES` a 431, an ``Expect`` other than
    ``100-continue`` a 417 (waitress alone served a 5 KB URL gunicorn refused, and ignored
    an expectation gunicorn refused), and a header continued on the next line or a request
    with both a Transfer-Encoding and a Content-Length a 400 (waitress joined the lines,
    and read the chunks with the length ignored: a smuggling vector)."""

    #: this parser's own refusal of the head, if any
    door_error: Error | None = None
    #: answered without its body (``unread_answers``): how much of it may still come, to
    #: be read away once the answer is sent (``JsonErrorChannel.service``)
    unread_left = 0
    #: waitress's receiver of the body (None: no body to read)
    body_rcv: Any
    #: the WSGI app served (set on the channel's parser class by ``serving``): a request
    #: it answers without its body is not told to continue (``unread_answers``)
    served_app: Any = None
    #: its head leaves it to the store whether the app answers it 401 without its body
    #: (``unread_answers.store_judges``): told nothing, its bytes held (``held``), until
    #: a request thread has asked (``judged_heads``)
    judging = False
    held = b""
    #: what came of its head, as it came (up to :data:`HEAD_SEEN_BYTES`): the
    #: ``X-Request-Id`` of a refusal before the head was parsed (a head too large, a 408)
    head_seen = b""

    def parse_header(self, header_plus: bytes) -> None:
        """Parse as waitress does, then refuse what gunicorn refuses (a head framed both
        ways is that refusal even where waitress refuses its Transfer-Encoding). A major
        version other than 1 is a 505, as under gunicorn (waitress answered HTTP/2.0 and
        HTTP/0.9 as HTTP/1.0, with a 200), and 1.2 to 1.9 are read as 1.1."""
        header_plus = as_http_1_1(header_plus)
        version = unserved_version(header_plus.partition(b"\r\n")[0])
        try:
            super().parse_header(header_plus)
        except (ParsingError, TransferEncodingNotImplemented):
            if version is None and _refusal(header_plus, self.headers) is None:
                raise
        error = _refusal(header_plus, self.headers)
        if version is not None:  # the request line is read first, as gunicorn reads it
            error = VersionNotSupported(f"{version}")
        if error is not None:
            self.error = self.door_error = error
            self.completed = True
            self._no_continue()

    def received(self, data: bytes) -> int:
        """Receive as waitress does; a head refused here stays refused so, as gunicorn
        refuses it: waitress then judged the Content-Length, and a body declared over the
        limit made a 413 of a 431, 414 or 417 (the head's fault, which the client must mend
        first, and which gunicorn answers). A chunked body whose chunk sizes said so far
        pass the limit is a 413 at once, as under gunicorn: waitress counted the bytes
        received, and a chunk said to be 2**70 bytes long was waited for until the read
        deadline's 408, which blamed a slow client."""
        if self.judging:  # what comes of the body is held until the store has said
            self.held += data
            return len(data)
        if getattr(self, "body_rcv", None) is None and not self.completed:
            self.head_seen = (self.header_plus + data)[:HEAD_SEEN_BYTES]
        if (
            getattr(self, "body_rcv", None) is None
            and not self.completed
            and bare_line_feed(self.header_plus + data)
        ):
            # waitress looks for the head's end as CRLF CRLF alone: a head of bare LFs
            # (``printf 'GET / HTTP/1.1\nHost: x\n\n' | nc``) never ended, and was answered
            # the read deadline's 408, 30 s on, which blamed a slow client
            self.error = BareLineFeed("a line of the request's head ends in a bare LF")
            self.completed = True
            return len(data)
        was_complete = self.completed
        consumed = int(super().received(data))
        if self.door_error is not None:
            self.error = self.door_error
        elif not was_complete and isinstance(self.error, RequestHeaderFieldsTooLarge):
            # a head past waitress's size limit: it parsed "GET / HTTP/1.0" in its place,
            # and the 431 said HTTP/1.0 to a 1.1 client: its own request line says which
            line, crlf, _ = self.head_seen.partition(b"\r\n")
            self.first_line = line if crlf else b""
        chunks: Any = self.body_rcv if self.chunked else None
        limit = int(self.adj.max_request_body_size) - 1  # ``serving.server_options``
        if (
            self.error is None
            and chunks is not None
            and not self.completed
            and len(chunks) + int(chunks.chunk_remainder) > limit
        ):
            self.error = RequestEntityTooLarge(f"exceeds max_body of {limit}")
            self.completed = True
        if self.error is not None:
            # waitress sent a 100 Continue to a request it had refused (a Content-Length
            # over the limit, or not a number), and marked it incomplete on sending it: the
            # refusal was never sent, and a client that waited read "continue", then
            # nothing until the read deadline's 408, 30 s on
            self._no_continue()
        elif self._answered_unread():
            # a 404, a 405: the app answers it without the body, so it answers now, the
            # body unread and never asked for (no 100 Continue), and the connection closes
            # after it (what the client sent of the body anyway is dropped with it)
            self._no_continue()
            self.unread_left = self._body_to_come(len(data) - consumed)
            self.body_rcv = None
            self.headers["CONNECTION"] = "close"
            self.connection_close = True
            self.completed = True
            return len(data)
        elif self._store_judges():
            self._no_continue()  # nor yet: a request thread asks the store first
            self.judging = True
        return consumed

    def refuse_unread(self) -> None:
        """The store refused the credentials of this request being judged: it is answered
        (the auth middleware's 401) without its body, the connection to close after."""
        self.judging = False
        self.unread_left = self._body_to_come(len(self.held))
        self.held = b""
        self.body_rcv = None
        self.headers["CONNECTION"] = "close"
        self.connection_close = True
        self.completed = True

    def let_in(self) -> bytes:
        """The store let this request being judged in: it waits for ``100 Continue`` again,
        unless some of its body came already (then it is not told: it sends); what came of
        it, to parse."""
        held, self.held, self.judging = self.held, b"", False
        self.expect_continue = not held
        return held

    def _body_to_come(self, received: int) -> int:
        """How much of the body of a request answered unread may still come (``received``
        bytes of it came with its head), to be read away after the answer: a client may
        send it without waiting for ``100 Continue`` (RFC 9110 section 10.1.1; curl
        does after 1 s), and a close with it unread reset the connection."""
        if self.chunked:
            return LINGER_BYTES
        return max(0, min(int(self.content_length or 0) - received, LINGER_BYTES))

    def _answered_unread(self) -> bool:
        """Whether this request waits for ``100 Continue`` (its head just read) and the
        app would answer it without reading its body (``unread_answers``)."""
        from .unread_answers import answered_unread

        return self._asked_of_its_head(answered_unread)

    def _store_judges(self) -> bool:
        """Whether this request waits for ``100 Continue`` (its head just read) and only
        the store can say whether the app answers it 401 without its body."""
        from .unread_answers import store_judges

        return self._asked_of_its_head(store_judges)

    def _asked_of_its_head(self, question: Any) -> bool:
        """``question(app, method, path, authorization=, cookie=)`` of this request, if it
        waits for ``100 Continue`` with its head read whole (else False)."""
        if not (
            getattr(self, "expect_continue", False)
            and self.headers_finished
            and not self.completed
            and self.served_app is not None
        ):
            return False
        return bool(
            question(
                self.served_app,
                str(self.command),
                str(self.path),
                authorization=self.headers.get("AUTHORIZATION"),
                cookie=self.headers.get("COOKIE"),
            )
        )

    def _no_continue(self) -> None:
        """No ``100 Continue`` for a refused request: its refusal is the answer."""
        if getattr(self, "expect_continue", False):  # waitress's own attribute
            self.expect_continue = False


def _refusal(header_plus: bytes, headers: dict[str, str]) -> Error | None:
    """What gunicorn refuses in a request's head (``header_plus``), as waitress's error."""
    line, _, fields = header_plus.partition(b"\r\n")
    if len(line) > REQUEST_LINE_BYTES:
        return UriTooLong(f"the request line is {len(line)} bytes")
    lines = [field for field in fields.split(b"\r\n") if field]
    if len(lines) > REQUEST_FIELDS:
        return RequestHeaderFieldsTooLarge(f"{len(lines)} header fields")
    longest = max((len(field) + 2 for field in lines), default=0)  # with its CRLF, as gunicorn
    if longest > REQUEST_FIELD_BYTES:
        return RequestHeaderFieldsTooLarge(f"a header field of {longest} bytes")
    # waitress joined a folded line to the field above it and served the request; gunicorn
    # refuses it, as RFC 9112 section 5.2 allows (its words, for the same message)
    folded_first = first_field_folded(header_plus)
    if folded_first is not None:
        return FoldedHeader(folded_first)
    for above, field in pairwise(lines):
        if field.startswith((b" ", b"\t")):
            name = above.partition(b":")[0].strip().decode("latin-1").upper()
            return FoldedHeader(f"Obsolete line folding is unacceptable: {name!r}")
    # waitress read the chunks and ignored the Content-Length: a proxy in front that read
    # the Content-Length saw another request where the chunks end (request smuggling)
    names = {field.partition(b":")[0].strip().lower() for field in lines}
    if {b"transfer-encoding", b"content-length"} <= names:
        return FramedTwice(TWO_FRAMINGS)
    # waitress joined the two ("12, 12") and said "Content-Length is invalid"; it served
    # two Hosts (RFC 9112 section 3.2: a server MUST answer 400) and read two Content-Types
    # as one list, a 415 for what it said: refused as gunicorn refuses them
    twice = repeated_field(header_plus, ONE_VALUED_FIELDS)
    if twice is not None:
        return RepeatedField(twice)
    expect = headers.get("EXPECT")
    if expect is not None and expect.strip().lower() != "100-continue":
        return ExpectationFailed(f"Expect: {expect[:100]}")
    return None


def _sent_id(request: Any) -> str | None:
    """The ``X-Request-Id`` a refused request sent: as waitress parsed its head, or, with
    none parsed (a head over waitress's size limit, a 408 while it came), as its whole
    lines came (``head_seen``)."""
    sent = getattr(request, "headers", None) or {}
    if sent:
        return sent.get("X_REQUEST_ID")  # type: ignore[no-any-return]
    return header_refusals.request_id_in_head(bytes(getattr(request, "head_seen", b"")))


def _body_left(request: Any) -> int:
    """How many bytes of a refused request's body may still come, to be read away: its
    Content-Length, up to :data:`~.serving.LINGER_BYTES` (a declared 10 GB is not read:
    the connection closes once that much came); that bound when the length is not known
    (a chunked body, or a head refused before its framing was read). So for a client that
    waits for ``100 Continue`` too: it is not sent one, but may send its body anyway (RFC
    9110 section 10.1.1; curl does after 1 s), and one that does not closes its end or
    sends nothing (the linger ends :data:`~.serving.LINGER_IDLE_SECONDS` on). Before,
    only a 413 lingered (a 431, 414, 400, 417 or 408 closed at once on a body still
    coming, and the client's send was reset after 64 KiB), then a refusal of a client
    that waited for ``100 Continue`` closed at once: one that sent 8 MiB anyway read a
    reset, not its 413 (20 times in 20)."""
    if getattr(request, "body_rcv", None) is None or getattr(request, "chunked", False):
        return LINGER_BYTES
    return min(int(getattr(request, "content_length", 0) or 0), LINGER_BYTES)


class JsonErrorTask(ErrorTask):  # type: ignore[misc]
    """Waitress's error answer with the service's JSON error body."""

    def execute(self) -> None:
        """Write the status waitress chose (a 4xx for the client's fault), with the one
        JSON error body."""
        error = self.request.error
        first_line = getattr(self.request, "first_line", None) or b""
        if not first_line.endswith(b" HTTP/1.0"):
            # refused before its request line was read (slow headers, a TLS handshake),
            # or before its version was (a header waitress cannot parse, a malformed
            # request line): waitress's parser then says HTTP/1.0, which a 1.1 client
            # reads as "no keep-alive, no chunking" from an older server; the server
            # speaks 1.1, and answers a 1.0 request (its request line says so) in 1.0
            self.version = "1.1"
        status, reason = int(error.code), str(error.reason)
        if status == 413:  # RFC 9110's phrase, gunicorn's and the app's (waitress: RFC 2616's)
            reason = "Content Too Large"
        detail: dict[str, Any] = {"server": "waitress", "reason": str(error.body)}
        limit = getattr(self.channel, "body_limit", None)
        if status == 501:
            # waitress's 501 is for a Transfer-Encoding it does not implement: the request's
            # fault, as every other refusal here, so a 400 (a 5xx says "the server failed",
            # which alerts are raised and clients retry on)
            status, reason = 400, "Bad Request"
            message = (
                f"{reason} ({str(error.body).rstrip('.')}): send the body with a "
                "Content-Length, or with 'Transfer-Encoding: chunked' alone."
            )
        elif status == 413 and limit is not None:
            size = getattr(self.request, "content_length", 0)
            # the app's words (size > limit: declared; else its chunks passed the limit)
            message = body_too_large_message(limit, size if size > limit else None)
            detail["limit"] = limit
            # waitress's own words name its max_request_body_size, the limit plus one
            # (``serving.server_options``): "exceeds max_body of 4097" for a 4096 limit
            detail["reason"] = f"exceeds max_body of {limit}"
        else:
            hint = getattr(error, "hint", None) or _HINTS.get(status, reason.lower())
            if status == 400 and "chunk" in str(error.body).lower():
                hint = CHUNKS_HINT  # waitress's words: "Invalid chunk size", ...
            if status == 431:
                hint = header_refusals.hint(self.request.headers) or hint
            message = f"{reason} ({str(error.body).rstrip('.')}): {hint}."
        content_type = "application/json"
        if status == 431 and header_refusals.wants_page(self.request.headers):
            # a browser's: a page that says which cookies to clear, not JSON it shows raw
            body = header_refusals.page(self.request.headers)
            content_type = "text/html; charset=utf-8"
        else:
            body = json.dumps(error_body(status, default_code(status), message, detail)).encode()
        self.status = f"{status} {reason}"
        self.response_headers.extend(
            [
                ("Content-Type", content_type),
                (HEADER, answer_id(_sent_id(self.request))),  # as the app's answers do
            ]
        )
        self.set_close_on_finish()
        # the body may still be coming: read it away before closing (``JsonErrorChannel``)
        self.channel.linger_left = _body_left(self.request)
        self.content_length = len(body)
        self.write(body)
        self._record(status, len(body))

    def _record(self, status: int, size: int) -> None:
        """Count the refusal in the app's ``/metrics`` and write it to the service's access
        log, as the app's answers are (it never reached the app: ``door_records``)."""
        request = self.request
        headers = getattr(request, "headers", None) or {}
        command = getattr(request, "command", None) or None
        path = getattr(request, "path", None) if command else None
        addr = getattr(self.channel, "addr", None)
        environ = {
            "REMOTE_ADDR": str(addr[0]) if addr else "-",
            "REQUEST_METHOD": command or "-",
            "PATH_INFO": path or "-",
            "QUERY_STRING": getattr(request, "query", "") or "" if command else "",
            "SERVER_PROTOCOL": f"HTTP/{self.version}",
            "HTTP_USER_AGENT": headers.get("USER_AGENT", "-"),
            "HTTP_REFERER": headers.get("REFERER", "-"),
        }
        app = self.channel.served_app
        seconds = self.channel.seconds_reading()
        count_refusal(app, command, path, status)
        log_refusal(app, environ, self.status, self.response_headers, size, seconds)


class JsonErrorChannel(HTTPChannel):  # type: ignore[misc]
    """A waitress channel whose refusals are the service's JSON error body."""

    error_task_class = JsonErrorTask
    parser_class = DoorParser
    task_class = HeadTask  # a HEAD of the event stream: its headers, no stray last chunk
    #: the largest request body, which waitress refuses past (413) before reading the rest:
    #: ``serving.server_options`` sets ``max_request_body_size`` to one byte more
    body_limit: int | None = None
    #: the WSGI app the server serves (waitress holds it wrapped in its proxy-headers
    #: middleware): its metrics and access log record what the channel refuses itself
    served_app: Any = None
    #: bytes of a refused body to read and throw away once its 413 is sent (0: none)
    linger_left = 0
    #: while lingering: the monotonic times it stops, in all and without a byte
    linger_until: float | None = None
    linger_idle_until = 0.0

    # A Content-Length over the limit is answered 413 before any of the body is read, and
    # the connection closed: with the rest of the body coming, the kernel reset it and a
    # client still sending saw a broken pipe, not the 413. Once the 413 is out, the
    # channel shuts its side and reads the body away (``serving.LINGER_*`` bound it)
    # before it closes: a lingering close, in waitress's socket loop (no thread waits).
    # So after every refusal (400, 408, 414, 417, 431: ``_body_left``), while fewer than
    # ``serving.linger_slots`` of the connections linger (past them: closed at once).

    def seconds_reading(self) -> float:
        """How long the request being answered took to come, as far as known (0 here)."""
        return 0.0

    def service(self) -> None:
        """Answer the next request (in a request thread, as waitress does); one the app
        answers without its body (``unread_answers``) is the connection's last, and what
        the client sends of the body anyway is read away before it closes (as after a
        refusal: ``handle_close``). Before, it closed on the body coming, and the client
        could see a reset, not the 404 (or 405, 401)."""
        with self.requests_lock:
            answering = self.requests[0] if self.requests else None
        left = int(getattr(answering, "unread_left", 0) or 0)
        if left:
            self.linger_left = left
        super().service()

    def handle_close(self) -> None:
        """Close; or, once the 413 of a body still coming is sent, linger first."""
        if not self.linger_left or self.linger_until is not None or self.total_outbufs_len:
            self._stop_lingering()
            return
        if not self._may_linger():
            self._stop_lingering()  # at once: the lingering share of connections is taken
            return
        now = time.monotonic()
        self.linger_until, self.linger_idle_until = now + LINGER_SECONDS, now + LINGER_IDLE_SECONDS
        self.will_close = self.close_when_flushed = False
        self.request = None  # what the parser took of the body is no request
        try:
            self.socket.shutdown(socket.SHUT_WR)  # the answer is whole: the client may read
        except OSError:
            self._stop_lingering()

    def _may_linger(self) -> bool:
        """Whether fewer of the server's connections linger than it allows
        (``serving.linger_slots`` of its ``connection_limit``)."""
        channels = getattr(self.server, "active_channels", {})
        lingering = sum(1 for c in channels.values() if getattr(c, "linger_until", None))
        return lingering < linger_slots(int(self.adj.connection_limit))

    def readable(self) -> bool:
        if self.linger_until is None:
            return bool(super().readable())
        if time.monotonic() < min(self.linger_until, self.linger_idle_until):
            return True
        self._stop_lingering()
        return False

    def writable(self) -> bool:
        return self.linger_until is None and bool(super().writable())

    def handle_read(self) -> None:
        """While lingering, read and throw away; close once all of it (or the client's
        end) came."""
        if self.linger_until is None:
            super().handle_read()
            return
        try:
            data = self.recv(min(self.linger_left, 65536))  # b"": the client closed
        except OSError:
            data = b""
        self.linger_left -= len(data)
        if self.linger_until is None:  # the client's end came: recv closed the channel
            return
        if not data or self.linger_left <= 0:
            self._stop_lingering()
        else:
            self.linger_idle_until = time.monotonic() + LINGER_IDLE_SECONDS

    def _stop_lingering(self) -> None:
        self.linger_until, self.linger_left = None, 0
        super().handle_close()


def answer_in_json(server: Any, channel_class: type[JsonErrorChannel] = JsonErrorChannel) -> Any:
    """Make every listening server of a ``waitress.create_server`` result (one, or the
    several a ``MultiSocketServer`` registered in its socket map) answer its refusals
    in JSON, with ``channel_class`` (a :class:`JsonErrorChannel`); returns ``server``."""
    socket_map = server.map if hasattr(server, "map") else server._map
    for listener in [server, *socket_map.values()]:
        if isinstance(listener, BaseWSGIServer):
            listener.channel_class = channel_class
    return server
