"""A search in text columns, in any case, that finds names written outside ASCII.

A name column is compared lowered by the database's ``lower()``, the search text lowered
here. SQL's ``lower()`` lowers ASCII letters only on SQLite (until
:func:`register_lower` gives its connections Python's, as each of the store's does) and
on PostgreSQL under the C locale; so the text is also tried with its ASCII letters alone
lowered, which finds a name by its accented letters as written on any database (before,
``Élan`` was searched for as ``élan`` and never matched ``Élan Ärger``).

An accent is one code point (composed, NFC, as most keyboards type it) or a letter and a
combining accent (decomposed, NFD, as macOS exports names); a SigOpt name is stored as
sent, in either. So the text is tried in both forms: a name written wholly in one is found
by a search in the other (before, ``café`` composed never found ``café`` decomposed). A
name that mixes both forms in one word (Vietnamese ``Nguyễn`` as ``ê`` composed and a
combining tilde) is found by a search written as it is, which is tried too (before, only
the two forms were, and such a name was found by no search at all).
"""

from __future__ import annotations

import unicodedata
from typing import Any

import sqlalchemy as sa


def lowered(text: str) -> str:
    """``text`` lowered as SQL's ``lower()`` does where it lowers ASCII letters only (SQLite's
    own, on a connection not given Python's by :func:`register_lower`; PostgreSQL under the
    C locale): its ASCII letters alone lowered."""
    return "".join(ch.lower() if ch.isascii() else ch for ch in text)


def holds(column: sa.ColumnElement[Any], text: str) -> sa.ColumnElement[bool]:
    """Whether ``column`` holds ``text`` in any case, as written or in either Unicode form
    (its ``%`` and ``_`` taken as written); ``text`` is matched as it comes otherwise
    (strip it first where that is meant)."""
    folded = sa.func.lower(column)
    forms = dict.fromkeys(
        shape
        for each in (text.lower(), lowered(text))
        for shape in (each, *(unicodedata.normalize(form, each) for form in ("NFC", "NFD")))
    )
    found = [folded.contains(each, autoescape=True) for each in forms]
    return found[0] if len(found) == 1 else sa.or_(*found)


def _lower(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


def register_lower(dbapi_connection: Any) -> None:
    """Give a SQLite connection a ``lower()`` that lowers every letter (Python's), as
    PostgreSQL's does under a UTF-8 locale; SQLite's own lowers ASCII letters only."""
    dbapi_connection.create_function("lower", 1, _lower, deterministic=True)
