"""Host names as a ``Host`` header carries them: an internationalised name in its
ASCII (IDNA, punycode) form.

A browser opening ``http://bücher.example/`` sends ``Host: xn--bcher-kva.example``
(UTS #46 processing, as browsers do); an ``allowed_hosts`` entry given as ``bücher.example``
would match no request, so every one, ``/health`` included, was a 403.
"""

from __future__ import annotations

import re
import unicodedata
import urllib.parse

import idna

# what a Host header's name is made of, in its ASCII form: a DNS name's letters, digits,
# hyphens, dots (and the underscores some local names have), or an IP address
HOST_NAME_CHARACTERS = re.compile(r"[a-z0-9._-]+|[0-9a-f:.]+")


def ascii_host(name: str) -> str:
    """``name`` in lower case, an internationalised one in its punycode form
    (``bücher.example`` -> ``xn--bcher-kva.example``); ValueError for a name IDNA refuses."""
    text = name.lower()
    if text.isascii():
        return text
    try:
        return idna.encode(text, uts46=True).decode("ascii")
    except (idna.IDNAError, UnicodeError) as err:
        raise ValueError(f"{name!r} is not a host name a browser can open ({err})") from None


def as_typed(name: str) -> str:
    """A punycode name as a person types it (``xn--bcher-kva.example`` -> ``bücher.example``);
    any other name unchanged."""
    if "xn--" not in name:
        return name
    try:
        return idna.decode(name, uts46=True)
    except (idna.IDNAError, UnicodeError):
        return name


def given(option: str, names: list[str]) -> str:
    """How ``names`` are given to ``option``: ``--allowed-host doe --allowed-host other``
    for a command's option, ``allowed_hosts=('doe', 'other')`` for a setting."""
    if option.startswith("--"):
        return " ".join(f"{option} {name}" for name in names)
    return f"{option}={tuple(names)!r}"


def allowed_host(name: str, option: str = "allowed_hosts") -> str:
    """An allowed host NAME as the Host check compares it (a bare host name, lower case,
    an internationalised name in the punycode form browsers send); ValueError, saying what
    to give ``option`` instead, for one no request's ``Host`` could ever match, with which
    every request, ``/health`` too, was a 403 "This server answers only to ...". ``serve
    --allowed-host`` and the ``allowed_hosts`` setting (``application()``, under gunicorn)
    check alike: before, only ``serve`` refused ``*``, ``doe,other`` and ``'doe'``."""
    text = name.strip().lower()
    example = "e.g. doe.lab.example"
    if not text:
        raise ValueError(f"the host name is empty; name one, {example}")
    if "*" in text:  # Django's ALLOWED_HOSTS = ["*"]; before, every request was a 403
        raise ValueError(
            f"{name!r} is a pattern, and the Host check compares whole names: leave "
            f"{option} out to answer to every host, or name each one "
            f"({given(option, ['doe.lab.example', 'doe'])})"
        )
    if "," in text and text.isprintable():
        parts = [part.strip() for part in text.split(",") if part.strip()]
        if not parts:  # before: "give one name per --allowed-host ()"
            raise ValueError(f"{name!r} names no host, only commas; name one, {example}")
        per = option if option.startswith("--") else "entry"
        raise ValueError(f"{name!r} is a list: give one name per {per} ({given(option, parts)})")
    try:  # a name a Host header can carry: before, a byte not UTF-8 ('\udce9') was taken,
        # and the server answered to no one, printing "open http://\udce9:8080"
        text.removeprefix("[").removesuffix("]").encode("idna")
        bad = any(ch.isspace() or unicodedata.category(ch) == "Cc" for ch in text)
    except UnicodeError:
        bad = True
    if bad:
        raise ValueError(f"{name!r} is not a host name: give one a browser can open, {example}")
    if "/" in text or "@" in text:
        shown = urllib.parse.urlsplit(text if "//" in text else "//" + text).hostname
        alone = f": {given(option, [shown])}" if shown else ""
        raise ValueError(
            f"{name!r} is not a host name: give the name alone, without scheme, port or path{alone}"
        )
    if text.startswith("["):  # an IPv6 address: the check compares it without brackets
        bare, _, port = text[1:].partition("]")
    else:
        bare, port = (text.partition(":")[0], text) if text.count(":") == 1 else (text, "")
    if port:
        # ':80' has no name to suggest: before, the message said to give '' (itself refused)
        alone = f": {given(option, [bare])}" if bare.strip() else f", {example}"
        raise ValueError(
            f"{name!r} has a port: give the name alone (the Host check ignores the port){alone}"
        )
    ascii_name = ascii_host(bare)  # the punycode form browsers send
    if not HOST_NAME_CHARACTERS.fullmatch(ascii_name):  # before, "'doe'" (quotes kept by a
        # shell script or a service file) was taken, and the server answered to no one
        raise ValueError(f"{name!r} is not a host name: give one a browser can open, {example}")
    return ascii_name
