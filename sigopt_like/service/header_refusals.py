"""What a request with headers too large (a 431) is told: mostly, too many cookies.

Both servers refuse a header field over :data:`~.serving.REQUEST_FIELD_BYTES` (8,190
bytes, gunicorn's ``limit_request_field_size``, which ``serve``'s waitress keeps too so
that a request is refused alike by both; nginx's default buffers are of the same size).
In practice the field is a browser's ``Cookie``: every application opened at the same
host name (``localhost``, any port) shares its cookies, and a Jupyter or a dev server
can set kilobytes of them. The dashboard's own cookie is one short token
(``dashboard.cookies``), so it is never the cause.

The limit is not raised for the dashboard: past it is not the dashboard's doing, a
larger limit only moves the line (a browser keeps up to 180 cookies of 4 KB per host),
and a proxy in front (nginx, 8 KB) would refuse the request before the service does.
Instead the refusal says what happened and what to do: a browser (``Accept:
text/html``) gets :func:`page`, an HTML page naming the host whose cookies to clear,
the largest cookies and another name of this machine with cookies of its own; an API
client the JSON error body with :func:`hint` in its message. Both servers call these
with the refused request's headers (names in capitals, as waitress keeps them; see
:func:`head_fields` for gunicorn's raw head).
"""

from __future__ import annotations

import html
from collections.abc import Mapping

from .serving import REQUEST_FIELD_BYTES

#: the cookies a page names, largest first
SHOWN_COOKIES = 5
#: local names of this machine, each with cookies of its own: one is the way around
#: another's cookies
LOCAL_NAMES = ("localhost", "127.0.0.1")


def head_fields(head: bytes) -> dict[str, str]:
    """The header fields of a raw request head (its request line and fields, as read from
    the socket; cut short is fine), names in capitals, repeated fields joined."""
    fields: dict[str, str] = {}
    for line in head.split(b"\r\n\r\n", 1)[0].split(b"\r\n")[1:]:
        name, colon, value = line.partition(b":")
        if not colon:
            continue
        key = name.strip().decode("latin-1").upper()
        text = value.strip().decode("latin-1")
        fields[key] = f"{fields[key]}; {text}" if key in fields else text
    return fields


def request_id_in_head(head: bytes) -> str | None:
    """The ``X-Request-Id`` a raw request head (as read from the socket, maybe cut short)
    carries in its whole lines, for the answer of a request refused before it was parsed
    (``request_ids`` judges it); None when its line has not come whole, or is folded
    (``X-Request-Id: abc`` then `` def``: its value is not whole there)."""
    if "X-REQUEST-ID" in folded_fields(head):
        return None
    whole = (
        head.partition(b"\r\n\r\n")[0]
        if b"\r\n\r\n" in head
        else head[: max(head.rfind(b"\r\n"), 0)]
    )
    return head_fields(whole).get("X-REQUEST-ID")


def folded_fields(head: bytes) -> set[str]:
    """The names (in capitals) of a raw head's fields continued on a folded line (one that
    starts with a space or a tab: obsolete line folding), whose value is more than their
    first line holds; the head may be cut short."""
    folded: set[str] = set()
    last: str | None = None
    for line in head.split(b"\r\n\r\n", 1)[0].split(b"\r\n")[1:]:
        if line[:1] in (b" ", b"\t"):
            if last is not None:
                folded.add(last)
            continue
        name, colon, _ = line.partition(b":")
        last = name.strip().decode("latin-1").upper() if colon else None
    return folded


def _host(headers: Mapping[str, str]) -> tuple[str, str]:
    """The host name the request was sent to, and its port (``""`` when none)."""
    host = headers.get("HOST", "").strip()[:255]
    if host.startswith("["):  # [::1]:8080
        name, _, rest = host[1:].partition("]")
        return name, rest.lstrip(":")
    name, _, port = host.partition(":")
    return name, port


def _cookies(headers: Mapping[str, str]) -> list[tuple[str, int]]:
    """The request's cookies, as (name, bytes of ``name=value``), largest first."""
    sizes = []
    for part in headers.get("COOKIE", "").split(";"):
        part = part.strip()
        if part:
            sizes.append((part.partition("=")[0][:80], len(part.encode("latin-1", "replace"))))
    return sorted(sizes, key=lambda item: -item[1])


def _cookie_bytes(headers: Mapping[str, str]) -> int:
    return len(headers.get("COOKIE", "").encode("latin-1", "replace"))


def cookies_too_large(headers: Mapping[str, str]) -> bool:
    """Whether the request's ``Cookie`` field is what passed the limit."""
    return _cookie_bytes(headers) + len("Cookie: \r\n") > REQUEST_FIELD_BYTES


def wants_page(headers: Mapping[str, str]) -> bool:
    """Whether the request is a browser's, which reads HTML (a page, not an API call)."""
    return "text/html" in headers.get("ACCEPT", "").lower()


def _other_name(name: str, port: str) -> str | None:
    """Another name of this machine (``127.0.0.1`` for ``localhost``), with its port."""
    if name.lower() not in LOCAL_NAMES:
        return None
    other = next(n for n in LOCAL_NAMES if n != name.lower())
    return f"{other}:{port}" if port else other


def hint(headers: Mapping[str, str]) -> str | None:
    """What an API client's 431 adds when its cookies are the cause (None otherwise)."""
    if not cookies_too_large(headers):
        return None
    name, _ = _host(headers)
    return (
        f"its Cookie header is {_cookie_bytes(headers):,} bytes, past this server's "
        f"{REQUEST_FIELD_BYTES:,}: clear the cookies of {name or 'this host'} (other "
        "applications on the same host name set them)"
    )


def page(headers: Mapping[str, str]) -> bytes:
    """The HTML page of a browser's 431: the cause (the cookies, or which header) and
    the fix, in words a person can act on."""
    name, port = _host(headers)
    shown = html.escape(name or "this server's address")
    title = f"Too many cookies for {shown}"
    if cookies_too_large(headers):
        cookies = _cookies(headers)
        largest = "".join(
            f"<li><code>{html.escape(cookie)}</code>: {size:,} bytes</li>"
            for cookie, size in cookies[:SHOWN_COOKIES]
        )
        other = _other_name(name, port)
        # ``serve`` speaks plain HTTP; these names are this machine's, so no proxy's TLS
        around = (
            f'<p>Or open <a href="http://{html.escape(other)}/">http://{html.escape(other)}/'
            "</a>: the same server under another name of this machine, whose cookies are "
            "its own.</p>"
            if other
            else ""
        )
        cause = (
            f"<p>Your browser sent {_cookie_bytes(headers):,} bytes of cookies "
            f"({len(cookies)} cookies) with this request, more than this server reads in "
            f"one header ({REQUEST_FIELD_BYTES:,} bytes). The dashboard's own cookie is "
            f"small: the others were set by other applications you opened at "
            f"<strong>{shown}</strong> (cookies are shared by every port of a host name).</p>"
            f"<p>The largest:</p><ul>{largest}</ul>"
        )
        fix = (
            f"<p><strong>To fix it</strong>, clear the cookies of <strong>{shown}</strong> "
            "in your browser, then reload: in Chrome or Edge, the padlock or page icon left "
            "of the address, then <em>Cookies and site data</em>; in Firefox, "
            "<em>Settings, Privacy &amp; Security, Cookies and Site Data, Manage "
            f"Data</em>, then search for {shown}.</p>{around}"
        )
    else:
        title = "Request headers too large"
        cause = (
            "<p>Your browser sent a request whose headers are more or larger than this "
            f"server reads (at most 100 fields of {REQUEST_FIELD_BYTES:,} bytes each).</p>"
        )
        fix = (
            "<p>Clear this site's cookies and reload; an extension that adds headers "
            "may be the cause too.</p>"
        )
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{title}</title></head>"
        '<body style="font-family: sans-serif; max-width: 40em; margin: 2em auto; '
        'padding: 0 1em; line-height: 1.5">'
        f"<h1>{title}</h1>{cause}{fix}"
        "<p><small>431 Request Header Fields Too Large (sigopt-like)</small></p>"
        "</body></html>"
    ).encode()
