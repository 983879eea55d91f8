"""Host names as a ``Host`` header carries them: an internationalised name in its
ASCII (IDNA, punycode) form.

A browser opening ``http://bücher.example/`` sends ``Host: xn--bcher-kva.example``
(UTS #46 processing, as browsers do); an ``allowed_hosts`` entry given as ``bücher.example``
would match no request, so every one, ``/health`` included, was a 403.
"""

from __future__ import annotations

import idna


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
