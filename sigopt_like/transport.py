"""HTTP transport: one pooled ``requests.Session``, timeouts, retries, typed errors.

The retry policy lives in two small functions, :func:`should_retry` and
:func:`sleep_time`; the randomness in one injectable ``jitter`` callable (the
default is ``backoff.full_jitter``), so tests can pin it. Every mutating request
carries an ``Idempotency-Key`` that stays the same across its retries, which is
what makes every retry safe, so the default budget is a deadline
(``RetryPolicy.max_time``), not a count: connection faults, 408/429/502/503/504 and
``409 idempotency_in_progress`` are retried, with Retry-After honoured, until it.
"""

from __future__ import annotations

import json as jsonlib
import logging
import math
import numbers
import re
import reprlib
import socket
import sys
import threading
import time
import urllib.parse
import uuid
import warnings
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import attrs
import requests
import urllib3.exceptions

from . import _constants as C
from ._version import __version__
from .call_options import check_headers, check_idempotency_key, check_timeout
from .deadline import DeadlineAdapter, Timeouts, keeps_deadlines, mount_for
from .errors import (
    APIConnectionError,
    APIError,
    APITimeoutError,
    HostNotFoundError,
    RequestEncodingError,
    UnencodableValueError,
    api_error,
    error_class_for,
)
from .retry_after import parse_retry_after as parse_retry_after  # re-exported: its old home
from .url_redaction import redact_url, shown_url

USER_AGENT = f"sigopt-like-python/{__version__}"
#: one DEBUG line per call, one INFO line per retry; never a header or a body.
LOGGER = "sigopt_like.http"
#: the attribute of the WARNING record of a call's first retry when the service cannot be
#: reached: ``(base URL, "cannot be reached" or "does not answer in time", error name)``
UNREACHABLE = "sigopt_like_unreachable"

Jitter = Callable[[float], float]
#: an in-process service's answer to one call given by its parts:
#: ``(method, path, query pairs, body, headers, stream) -> requests.Response``
DirectCall = Callable[
    [str, str, "list[tuple[str, str]] | None", "bytes | None", dict[str, str], bool],
    requests.Response,
]


class InsecureTransportWarning(UserWarning):
    """TLS certificate verification was turned off for a Connection."""


class UnboundedAnswerWarning(UserWarning):
    """A Connection's ``session=`` sends its calls through an adapter of the caller's that
    cannot bound a whole answer: its read timeout bounds each socket read only."""


def _seconds(instance: Any, attribute: Any, value: Any) -> None:
    """attrs validator: a finite number of seconds, 0 or more."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"'{attribute.name}' must be a number of seconds, not {value!r}")
    if not 0 <= value < math.inf:  # NaN fails this too
        raise ValueError(f"'{attribute.name}' must be 0 or more finite seconds, not {value!r}")


def _deadline(instance: Any, attribute: Any, value: Any) -> None:
    """attrs validator: 0 or more seconds (infinity: no deadline). Before, ``max_time=nan``
    was "'max_time' must be >= 0: nan", ``max_time="60"`` Python's "'>=' not supported
    between instances of 'str' and 'int'", and ``max_time=True`` one second."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"'{attribute.name}' must be a number of seconds, not {value!r}")
    if not value >= 0:  # NaN fails this too
        raise ValueError(f"'{attribute.name}' must be 0 or more seconds, not {value!r}")


def _tries(attribute: Any, value: Any) -> None:
    """A number of tries: None (the deadline alone) or a whole number, 1 or more."""
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(
            f"'{attribute.name}' must be a whole number of tries or None, not {value!r}"
        )
    if value < 1:
        raise ValueError(f"'{attribute.name}' must be 1 or more (1: no retry), not {value!r}")


@attrs.frozen
class RetryPolicy:
    """How one call is retried: until a deadline (and, if given, a number of tries).

    max_tries: attempts in all, the first included (1 turns retries off); None
        (the default) counts none: the deadline alone bounds the call.
    max_time: the deadline in seconds: no retry starts and no sleep goes past it.
    base, cap: the exponential back-off's first step and largest step (seconds),
        each step drawn with full jitter in [0, step].
    retry_after_cap: a server's Retry-After is honoured up to this many seconds.
    statuses: the HTTP statuses worth a retry.
    codes: error codes worth a retry whatever their status (``idempotency_in_progress``:
        the first attempt of this very call is still running; its answer will be replayed).
    """

    max_tries: int | None = attrs.field(
        default=C.DEFAULT_MAX_TRIES,
        validator=lambda _, attribute, value: _tries(attribute, value),
    )
    max_time: float = attrs.field(default=C.DEFAULT_MAX_RETRY_TIME, validator=_deadline)
    # before, these took anything: base="x" failed inside the first retry, a TypeError
    base: float = attrs.field(default=C.DEFAULT_BACKOFF_BASE, validator=_seconds)
    cap: float = attrs.field(default=C.DEFAULT_BACKOFF_CAP, validator=_seconds)
    retry_after_cap: float = attrs.field(default=C.DEFAULT_RETRY_AFTER_CAP, validator=_seconds)
    statuses: frozenset[int] = attrs.field(default=C.RETRY_STATUSES, converter=frozenset)
    codes: frozenset[str] = attrs.field(default=C.RETRY_CODES, converter=frozenset)


class TruncatedResponseError(requests.exceptions.ConnectionError):
    """The body ended before its Content-Length (urllib3 1.26 does not always say)."""


_RETRYABLE_ERRORS = (
    requests.exceptions.ConnectionError,  # resets, refused, truncated bodies (ours)
    requests.exceptions.Timeout,
    requests.exceptions.ChunkedEncodingError,
)


#: TLS failures no retry mends: the port answers plain HTTP (``serve`` answers a TLS
#: handshake at once), or the service's certificate is not one this machine trusts
_TLS_FOR_GOOD = ("wrong version number", "certificate verify failed", "hostname mismatch")


def _tls_for_good(error: BaseException) -> bool:
    """Whether ``error`` is a TLS failure that trying again would only repeat."""
    text = str(error).lower()
    return isinstance(error, requests.exceptions.SSLError) and any(
        words in text for words in _TLS_FOR_GOOD
    )


#: getaddrinfo's answers that there is no such name (not "try again": EAI_AGAIN is a
#: resolver that did not answer, retried like a refused connection)
_NO_SUCH_NAME = frozenset(
    getattr(socket, name) for name in ("EAI_NONAME", "EAI_NODATA") if hasattr(socket, name)
)


def unresolved_host(error: BaseException) -> bool:
    """Whether ``error`` (requests' or urllib3's) comes from a host name that DNS says does
    not exist: a ``socket.gaierror`` with no such name, somewhere in its chain."""
    seen: set[int] = set()
    todo: list[BaseException] = [error]
    while todo:
        current = todo.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, socket.gaierror):
            return current.errno in _NO_SUCH_NAME
        for inner in (
            *(arg for arg in current.args if isinstance(arg, BaseException)),
            getattr(current, "reason", None),
            current.__cause__,
            current.__context__,
        ):
            if isinstance(inner, BaseException):
                todo.append(inner)
    return False


def should_retry(
    policy: RetryPolicy,
    attempt: int,
    *,
    status: int | None = None,
    error: BaseException | None = None,
    code: str | None = None,
) -> bool:
    """Whether a call that just made its ``attempt``-th try should try again.

    The deadline is the caller's to check (it needs the clock and the next sleep).
    """
    if policy.max_tries is not None and attempt >= policy.max_tries:
        return False
    if error is not None:
        return isinstance(error, _RETRYABLE_ERRORS) and not _tls_for_good(error)
    if status is not None and status in policy.statuses:
        return True
    return code is not None and code in policy.codes


def backoff_step(policy: RetryPolicy, attempt: int) -> float:
    """The exponential step before try ``attempt + 1`` (backoff's expo, capped)."""
    import backoff  # imported when a call is first retried, not with the package

    steps = backoff.expo(base=2, factor=policy.base, max_value=policy.cap)
    value = next(steps)
    if value is None:  # backoff 2.x primes its generators with a bare yield
        value = next(steps)
    for _ in range(attempt - 1):
        value = next(steps)
    return float(value)


def full_jitter(value: float) -> float:
    """The default jitter: ``backoff.full_jitter`` (uniform in [0, value])."""
    import backoff

    return float(backoff.full_jitter(value))


def sleep_time(
    policy: RetryPolicy, attempt: int, retry_after: float | None, jitter: Jitter
) -> float:
    """Seconds to sleep after try ``attempt``: Retry-After when given (capped), else
    the jittered exponential step."""
    if retry_after is not None:
        return max(0.0, min(retry_after, policy.retry_after_cap))
    return max(0.0, float(jitter(backoff_step(policy, attempt))))


def new_idempotency_key() -> str:
    """A fresh Idempotency-Key (uuid4)."""
    return str(uuid.uuid4())


def _json_default(value: Any) -> Any:
    for name in ("to_dict", "tolist", "item"):  # our models, numpy arrays and scalars
        method = getattr(value, name, None)
        if callable(method):
            return method()
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    if isinstance(value, Mapping):  # a mapping that is not a dict: its items, as a dict's
        return dict(value.items())
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def encode_json(body: Any) -> bytes:
    """The request body as UTF-8 JSON; NaN and infinities, a list or dict inside itself
    and one nested past Python's recursion limit raise RequestEncodingError, a value JSON
    has no form for (bytes, a Decimal, a date), or one whose reading raises (a mapping's
    ``keys()``, an object's ``to_dict()``), an UnencodableValueError (a TypeError too)
    naming its field."""
    try:
        return jsonlib.dumps(body, default=_json_default, allow_nan=False).encode("utf-8")
    except Exception as err:  # a caller's object may raise anything when read
        try:
            refusal = _refusal(body, err)
        except RecursionError:  # looking for the field went as deep as the encoder did
            refusal = _too_deep()
        raise refusal from err


def _too_deep() -> RequestEncodingError:
    # before: the encoder's RecursionError, untyped
    return RequestEncodingError(
        "The request body is nested too deeply to be encoded as JSON (lists or dicts "
        f"inside each other past Python's recursion limit, {sys.getrecursionlimit()}); "
        "no field of this API nests more than a few levels. Nothing was sent."
    )


def _refusal(body: Any, err: Exception) -> RequestEncodingError:
    """Why ``body`` cannot be sent, the encoder having raised ``err``: its first field that
    JSON does not write, named."""
    if isinstance(err, RecursionError):
        return _too_deep()
    if not isinstance(err, ValueError):  # a TypeError, or what a caller's object raised
        return _unencodable(body, err) or UnencodableValueError(
            f"The request body cannot be sent as JSON: {_error_text(err)}. Nothing was sent."
        )
    field = _unwritten_field(body)
    if field is None:
        return _unencodable(body, err) or RequestEncodingError(
            f"The request body cannot be sent as JSON: {err}"
        )
    path, value, key = field
    if not key and not _unwritten_number(value):  # before: RecursionError, from the walk
        # that looked for this field after the encoder's "Circular reference detected"
        return RequestEncodingError(
            f"The field '{path}' is {_container_kind(value)} that holds it (a circular "
            "reference: the value refers to itself), which JSON cannot carry: put the "
            "values it should hold in its place. Nothing was sent.",
            field=path,
        )
    said = "has a key" if key else "is"
    if isinstance(value, int):  # before: Python's "Exceeds the limit (4300 digits) for
        # integer string conversion", naming no field
        from . import csvio  # a refusal's words: not loaded by every Connection

        return RequestEncodingError(
            f"The field '{path}' {said} {csvio.clip_int(value)}, more digits than Python "
            f"writes ({sys.get_int_max_str_digits():,}), and no field takes a number that "
            "long (a number stops at about 1.8e308, a whole number at 2**63-1). Nothing "
            "was sent.",
            field=path,
        )
    if key:  # before: the advice for a NaN measurement, which a key is not
        return RequestEncodingError(
            f"The field '{path}' has a key {value!r}, which JSON cannot carry: an object's "
            "keys are names, so key it by a name (text). Nothing was sent.",
            field=path,
        )
    # the advice for a failed measurement where the field is one; before, a name, a
    # bound, metadata or a parameter named 'value' got it too
    measured = _MEASURED_VALUE.fullmatch(path) is not None
    failed = " (a failed measurement is reported with failed=True, not NaN)" if measured else ""
    return RequestEncodingError(
        f"The field '{path}' is {value!r}, which JSON cannot carry: send a finite number"
        f"{failed}. Nothing was sent.",
        field=path,
    )


#: the paths of a measured value: an observation's ``value`` or ``values[0].value``, at
#: the top of its body or in a batch's ``observations[0]`` (the only bodies that have them)
_MEASURED_VALUE = re.compile(r"(?:observations\[\d+\]\.)?(?:values\[\d+\]\.)?value")


def _container_kind(value: Any) -> str:
    """What a value inside itself is, in a refusal's words: a dict, a list, or a caller's
    object (a model whose ``to_dict()`` holds it)."""
    if isinstance(value, Mapping):
        return "a dict"
    if isinstance(value, (list, tuple)):
        return "a list"
    return f"a {type(value).__name__} object"


def _unencodable(body: Any, err: Exception) -> UnencodableValueError | None:
    """The UnencodableValueError naming the first value of ``body`` that JSON has no form
    for, or that raised when read; None if there is none."""
    found = _unencodable_field(body)
    if found is None:
        return None
    path, value, failure = found
    if failure is None:
        return UnencodableValueError(
            f"The field '{path}' holds {_shown(value)} ({type(value).__name__}), which JSON "
            "cannot carry: send text, a number, True/False, None, a list or a dict (str() "
            "or float() it first). Nothing was sent.",
            field=path,
        )
    # before: the caller's object's own error, from deep inside the encoder's error path
    return UnencodableValueError(
        f"The field '{path}' holds a {type(value).__name__} that could not be read as "
        f"JSON: {failure}. Nothing was sent.",
        field=path,
    )


def _shown(value: Any) -> str:
    """``repr(value)`` in at most 40 characters, or its type's name when the repr raises."""
    try:
        shown = repr(value)
    except Exception:  # a caller's object whose __repr__ raises
        return f"a {type(value).__name__} object"
    return shown if len(shown) <= 40 else shown[:37] + "..."


def _error_text(err: BaseException) -> str:
    """``err`` as ``RuntimeError: message``, its message cut, whatever its ``__str__`` does."""
    try:
        text = str(err)
    except Exception:
        text = ""
    text = text if len(text) <= 200 else text[:197] + "..."
    return f"{type(err).__name__}: {text}" if text else type(err).__name__


#: the keys JSON writes as its own words (``{True: 1}`` is sent as ``{"true": 1}``)
_JSON_KEY_WORDS = {True: "true", False: "false", None: "null"}


def _key_text(key: Any) -> str:
    """A dict key as JSON sends it: True, False and None as ``true``, ``false`` and
    ``null`` (``str()`` named them 'True' and 'None', keys that were never sent)."""
    if key is None or isinstance(key, bool):
        return _JSON_KEY_WORDS[key]
    try:
        return str(key)
    except Exception:  # a caller's key whose __str__ raises, an int too long to write
        return f"<a {type(key).__name__} key>"


def _key_place(path: str, key: Any) -> str:
    """The path of ``key`` of the object at ``path``, as the service's refusals write it
    (``values[0].value``; a key as :func:`~sigopt_like.json_kinds.path_key` shows it)."""
    from .json_kinds import path_key  # a refusal's words: not loaded by every Connection

    shown = path_key(_key_text(key))
    return f"{path}.{shown}" if path else shown


def _index_place(path: str, index: int) -> str:
    """The path of item ``index`` of the list at ``path``: ``values[0]``, as the service's
    refusals write it (the client wrote ``values.0``)."""
    return f"{path}[{index}]"


def _unencodable_field(
    value: Any, path: str = "", inside: set[int] | None = None
) -> tuple[str, Any, str | None] | None:
    """The path and value of the first value in a request body that JSON has no
    form for (after ``_json_default``'s conversions), with why reading it failed (a
    mapping whose ``items()`` raise, a ``to_dict()`` that raises; None: JSON has no form
    for it); a bad dict key is its own place. A value inside itself (``inside``: the ids
    of the values that hold ``value``, one set added to and taken from as the walk goes
    down and up) is looked into once."""
    if value is None or isinstance(value, (str, int, float)):
        return None
    if inside is None:
        inside = set()
    if id(value) in inside:  # before: RecursionError (:func:`_unwritten_field` names it)
        return None
    inside.add(id(value))  # the caller's object, not what it converts to: a model whose
    # to_dict() holds it converts to a new dict each time
    found: tuple[str, Any, str | None] | None = None
    if isinstance(value, Mapping):
        try:
            pairs = list(value.items())
        except Exception as err:  # a caller's mapping whose keys() or items() raise
            pairs = []
            found = (path or "body", value, f"reading its keys raised {_error_text(err)}")
        for key, item in pairs:
            place = _key_place(path, key)
            if key is not None and not isinstance(key, (str, int, float)):
                found = (place, key, None)
            else:
                found = _unencodable_field(item, place, inside)
            if found is not None:
                break
    elif isinstance(value, (list, tuple)):  # a tuple as a list, one frame a level as the
        # encoder's: through _json_default it took two, and tuples nested 500 deep that
        # the encoder wrote ran out of Python's stack here, RecursionError
        for index, item in enumerate(value):
            found = _unencodable_field(item, _index_place(path, index), inside)
            if found is not None:
                break
    else:
        try:
            converted = _json_default(value)
        except TypeError:
            found = (path or "body", value, None)
        except Exception as err:  # a caller's to_dict() (tolist(), item()) that raises
            found = (path or "body", value, f"converting it raised {_error_text(err)}")
        else:
            found = _unencodable_field(converted, path, inside)
    inside.discard(id(value))
    return found


def _unwritten_number(value: Any) -> bool:
    """Whether ``value`` is a number JSON does not write: a NaN or an infinity, or an int
    of more digits than Python writes (``10**5000``)."""
    if isinstance(value, float):
        return not math.isfinite(value)
    if isinstance(value, int) and not isinstance(value, bool):
        try:
            int.__repr__(value)
        except ValueError:
            return True
    return False


def _unwritten_field(
    value: Any, path: str = "", inside: set[int] | None = None
) -> tuple[str, Any, bool] | None:
    """The path and value of the first value in a request body that JSON does not write,
    and whether it is a key of the object at that path: a number (:func:`_unwritten_number`),
    or a value inside itself (a list, a mapping, a model whose ``to_dict()`` holds it;
    ``inside``: the ids of the values that hold ``value``, one set added to and taken
    from as the walk goes down and up), as the encoder meets them; what ``_json_default``
    converts (a set, a model's ``to_dict()``, numpy's ``tolist()`` and ``item()``) is
    looked into as it is sent."""
    if isinstance(value, (float, int)):
        return (path or "body", value, False) if _unwritten_number(value) else None
    if value is None or isinstance(value, str):
        return None
    if inside is None:
        inside = set()
    if id(value) in inside:  # the caller's object, before it is converted: a UserDict or
        # a model holding itself converts to a new dict each time, and was walked round
        # the loop to RecursionError ("nested too deeply", naming no field)
        return (path or "body", value, False)
    inside.add(id(value))
    found: tuple[str, Any, bool] | None = None
    places: Iterable[tuple[str, Any]] = ()
    if isinstance(value, dict):
        try:
            pairs = list(value.items())
        except Exception:  # a caller's mapping whose keys() raise: _unencodable_field's
            pairs = []
        for key, _ in pairs:
            if _unwritten_number(key):
                found = (path or "body", key, True)
                break
        places = ((_key_place(path, key), item) for key, item in pairs)
    elif isinstance(value, (list, tuple)):
        places = ((_index_place(path, index), item) for index, item in enumerate(value))
    else:
        try:
            converted = _json_default(value)
        except Exception:  # JSON has no form for it, or reading it raised: not a number
            converted = None
        found = _unwritten_field(converted, path, inside)
    if found is None:
        for place, item in places:
            found = _unwritten_field(item, place, inside)
            if found is not None:
                break
    inside.discard(id(value))
    return found


class Transport:
    """Sends requests to one service, with retries, and turns failures into typed errors.

    Thread-safe: the ``requests.Session`` pools up to ``pool_maxsize`` connections
    per host, and the only mutable state (the one-time version check) is locked.
    """

    def __init__(
        self,
        base_url: str,
        *,
        session: requests.Session | None = None,
        token: str | None = None,
        timeout: tuple[float, float] = C.DEFAULT_TIMEOUT,
        retries: RetryPolicy | None = None,
        verify: bool | str = True,
        cert: str | tuple[str, str] | None = None,
        proxies: Mapping[str, str] | None = None,
        embedded: bool = False,
        jitter: Jitter | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        pool_maxsize: int = C.POOL_MAXSIZE,
        direct: DirectCall | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.timeout = timeout
        self.retries = retries or RetryPolicy()
        self.verify = verify
        self.cert = cert
        self.proxies = dict(proxies) if proxies else None
        self.embedded = embedded
        self.jitter: Jitter = jitter or full_jitter
        self.sleep = sleep
        self.clock = clock
        #: the embedded service's direct call (no network: no session work, no timeouts)
        self.direct = direct
        self._own_session = session is None
        #: the adapter mounted on a caller's session for this service (closed with us)
        self._mounted: DeadlineAdapter | None = None
        if session is None:
            session = requests.Session()
            # the whole answer within its deadline, not only each read (deadline.py)
            adapter = DeadlineAdapter(pool_connections=4, pool_maxsize=pool_maxsize, max_retries=0)
            session.mount("http://", adapter)
            session.mount("https://", adapter)
        elif direct is None and not embedded:
            # the caller's session: the read timeout bounds the whole answer there too
            # (before, their adapters kept requests' per-read timeout, and a server that
            # trickled its answer held a call for ever despite the timeout given)
            self._mounted = mount_for(session, self.base_url)
            try:
                kind = type(session.get_adapter(self.url("/"))).__name__
            except requests.exceptions.InvalidSchema:  # no adapter: the call will say so
                kind = None
            if kind is not None and not keeps_deadlines(session, self.base_url):
                warnings.warn(
                    f"the session given sends this Connection's calls through its own {kind}, "
                    "which is kept: the read timeout bounds each socket read of an answer, "
                    "not the whole answer (mount a requests.adapters.HTTPAdapter, or none, "
                    "for the service's URL to have it bounded)",
                    UnboundedAnswerWarning,
                    stacklevel=3,
                )
        session.trust_env = not embedded and session.trust_env
        self.session = session
        if verify is False and not embedded:
            warnings.warn(
                "TLS certificate verification is off for this Connection; "
                "anyone on the network path can read and change its traffic.",
                InsecureTransportWarning,
                stacklevel=3,
            )
        self._version_check: Callable[[], None] | None = None
        self._version_lock = threading.Lock()
        self._version_done = False
        self._closed = False

    def set_version_check(self, check: Callable[[], None] | None) -> None:
        """Run ``check`` once, before the first request (thread-safe)."""
        self._version_check = check
        self._version_done = check is None

    def url(self, path: str) -> str:
        """The absolute URL of an API path."""
        return self.base_url + (path if path.startswith("/") else "/" + path)

    def close(self) -> None:
        """Release pooled connections (only of a session this transport created); a
        request after this raises APIConnectionError and sends nothing."""
        self._closed = True
        if self._own_session:
            self.session.close()
        elif self._mounted is not None:  # the caller's session stays theirs, as it was
            for prefix, adapter in list(self.session.adapters.items()):
                if adapter is self._mounted:
                    del self.session.adapters[prefix]
            self._mounted.close()

    # -- requests ----------------------------------------------------------------------

    def request_json(self, method: str, path: str, **kwargs: Any) -> Any:
        """Send a request and return its JSON body (None for an empty body)."""
        response = self.request(method, path, **kwargs)
        return self.decode(response)

    def decode(self, response: requests.Response) -> Any:
        """The JSON body of a successful response (None when empty)."""
        if response.status_code == 204 or not response.content:
            return None
        try:
            return response.json()
        except (ValueError, RecursionError) as err:  # nested past Python's stack too: it
            # was the decoder's RecursionError (a proxy's or a wrong host's answer)
            raise APIError(
                f"The service answered {response.status_code} with a body that is not JSON.",
                status=response.status_code,
                code="invalid_response",
                request_id=response.headers.get("X-Request-Id"),
                body=response.text[:1000],
                headers=dict(response.headers),
            ) from err

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
        idempotency_key: str | None = None,
        timeout: float | tuple[float, float] | None = None,
        stream: bool = False,
        stream_within: float | None = None,
        check_version: bool = True,
    ) -> requests.Response:
        """Send one call (retrying as the policy says) and return its successful response.

        ``timeout`` (else the transport's): ``(connect, read)`` seconds, or one number for
        both. Each try has ``connect`` seconds to connect and ``read`` seconds for its whole
        answer, from the request sent to the last byte, not for each read: a server that
        trickles its answer cannot hold the call longer. A ``stream`` (an event stream,
        read by the caller as it comes) has ``read`` seconds for each read, and
        ``stream_within`` seconds in all (None: as long as the server keeps talking).

        Raises an APIError subclass for an error status, APITimeoutError or
        APIConnectionError when the service cannot be reached in time. A per-call
        option of the wrong kind (``timeout``, ``headers``, ``idempotency_key``) is a
        TypeError, one no request can carry a RequestEncodingError: nothing is sent.
        """
        if self._closed:
            raise APIConnectionError(
                f"{method.upper()} {path}: this Connection is closed (close() was called, or "
                "its with block ended); nothing was sent. Open a new Connection."
            )
        timeout = check_timeout(timeout, "request_timeout")
        key = check_idempotency_key(idempotency_key)
        extra_headers = check_headers(headers)
        if check_version:
            self._check_version_once()
        method = method.upper()
        send_headers = {"User-Agent": USER_AGENT, "Accept": "application/json"}
        if self.token:
            send_headers["Authorization"] = f"Bearer {self.token}"
        query = _query(params)
        data = None
        if json is not None:
            data = encode_json(json)
            send_headers["Content-Type"] = "application/json"
        if method in C.MUTATING_METHODS:
            send_headers["Idempotency-Key"] = key or new_idempotency_key()
        send_headers.update(extra_headers)
        connect, read = _pair(timeout if timeout is not None else self.timeout)
        timeouts = Timeouts(connect, read, stream_within if stream else read)
        start = self.clock()
        attempt = 0
        log = _CallLog(self, method, path, start)
        while True:
            attempt += 1
            try:
                response = self._send(method, path, query, data, send_headers, timeouts, stream)
            except _RETRYABLE_ERRORS as err:
                if self._may_retry(start, attempt, error=err, log=log):
                    continue
                log.done(type(err).__name__, None, attempt)
                error = _connection_error(
                    err, method, self.url(path), attempt, self.clock() - start, timeouts.whole
                )
                if redact_url(self.base_url) != self.base_url:
                    # requests' and urllib3's own words quote the URL whole ("Max retries
                    # exceeded with url: /?token=..."): chained, a traceback would print the
                    # host's secrets; the message keeps the cause's words, redacted
                    raise error from None
                raise error from err
            request_id = response.headers.get("X-Request-Id")
            if response.status_code < 400:
                log.done(response.status_code, request_id, attempt)
                return response
            retry_after = parse_retry_after(response.headers.get("Retry-After"))
            if self._may_retry(
                start,
                attempt,
                status=response.status_code,
                code=_error_code(response) if self.retries.codes else None,
                retry_after=retry_after,
                log=log,
            ):
                response.close()
                continue
            log.done(response.status_code, request_id, attempt)
            raise self._error(response)

    def _may_retry(
        self,
        start: float,
        attempt: int,
        *,
        status: int | None = None,
        error: BaseException | None = None,
        code: str | None = None,
        retry_after: float | None = None,
        log: _CallLog | None = None,
    ) -> bool:
        if not should_retry(self.retries, attempt, status=status, error=error, code=code):
            return False
        delay = sleep_time(self.retries, attempt, retry_after, self.jitter)
        if self.clock() - start + delay > self.retries.max_time:
            return False
        no_such_name = error is not None and unresolved_host(error)
        if no_such_name and self.clock() - start + delay > C.UNRESOLVED_HOST_GRACE:
            return False  # a moment's grace, not the deadline: a typo will not resolve
        if log is not None:
            log.retry(
                status if error is None else type(error).__name__,
                attempt,
                delay,
                unreachable=error is not None and not no_such_name,
            )
        if delay > 0:
            self.sleep(delay)
        return True

    def _send(
        self,
        method: str,
        path: str,
        query: list[tuple[str, str]] | None,
        data: bytes | None,
        headers: dict[str, str],
        timeouts: Timeouts,
        stream: bool,
    ) -> requests.Response:
        if self.direct is not None:
            return self.direct(method, path, query, data, headers, stream)
        response = self.session.request(
            method,
            self.url(path),
            params=query,
            data=data,
            headers=headers,
            timeout=timeouts,
            verify=self.verify,
            cert=self.cert,
            proxies=self.proxies,
            stream=stream,
            allow_redirects=False,
        )
        if not stream:
            _check_complete(response)
        return response

    def _error(self, response: requests.Response) -> APIError:
        try:
            body: Any = response.json()
        except (ValueError, RecursionError):  # not JSON, or nested past Python's stack
            body = response.text
        if response.status_code in (404, 405) and not _service_error(body):
            return error_class_for(response.status_code)(
                _not_the_service(response, self.base_url),
                status=response.status_code,
                code="not_found" if response.status_code == 404 else "method_not_allowed",
                request_id=response.headers.get("X-Request-Id"),
                body=body,  # the other server's page, as it came
                headers=dict(response.headers),
            )
        return api_error(
            response.status_code,
            body,
            request_id=response.headers.get("X-Request-Id"),
            headers=dict(response.headers),
            reason=response.reason,
        )

    def _check_version_once(self) -> None:
        if self._version_done or self._version_check is None:
            return
        with self._version_lock:
            if not self._version_done:
                self._version_check()
                self._version_done = True


class _CallLog:
    """The log lines of one call: INFO for each retry, DEBUG when it ends; the first retry
    of a call that cannot reach the service is a WARNING naming the URL and the deadline
    (a plain script shows it: before, it waited out the two minutes in silence).

    Only the method, the path (no query string), the status, the time, the
    request id and the number of tries are logged: never headers or bodies,
    which may hold tokens or passwords.
    """

    def __init__(self, transport: Transport, method: str, path: str, start: float) -> None:
        self.logger = logging.getLogger(LOGGER)
        self.transport = transport
        self.method = method
        self.path = path
        self.start = start

    def retry(
        self, why: int | str | None, attempt: int, delay: float, *, unreachable: bool = False
    ) -> None:
        most = self.transport.retries.max_tries
        if unreachable and attempt == 1:
            what = "does not answer in time" if "Timeout" in str(why) else "cannot be reached"
            self.logger.warning(
                "%s %s: %s %s (%s); retrying for up to %.0f s (%s or the Connection's "
                "retries={'max_time': seconds} shortens it)",
                self.method,
                self.path,
                shown_url(self.transport.base_url),
                what,
                why,
                self.transport.retries.max_time,
                C.ENV_MAX_RETRY_TIME,
                extra={UNREACHABLE: (shown_url(self.transport.base_url), what, str(why))},
            )
            return
        self.logger.info(
            "%s %s: %s; retrying in %.2f s (try %d%s)",
            self.method,
            self.path,
            why,
            delay,
            attempt + 1,
            f" of {most}" if most is not None else "",
        )

    def done(self, status: int | str, request_id: str | None, attempt: int) -> None:
        if self.logger.isEnabledFor(logging.DEBUG):
            self.logger.debug(
                "%s %s %s %.0f ms request_id=%s retries=%d",
                self.method,
                self.path,
                status,
                (self.transport.clock() - self.start) * 1000,
                request_id or "-",
                attempt - 1,
            )


def _query(params: Mapping[str, Any] | None) -> list[tuple[str, str]] | None:
    if not params:
        return None
    pairs = []
    for key, value in params.items():
        if value is None:
            continue
        if isinstance(value, bool):
            value = "true" if value else "false"
        if not isinstance(value, (str, numbers.Real)):
            # before: str() of anything was sent, so q=["a", "b"] searched for "['a', 'b']"
            # and q=b"a" for "b'a'"; a list nested deep raised RecursionError
            raise TypeError(
                f"The query parameter {key!r} is {reprlib.repr(value)} "
                f"({type(value).__name__}): a URL's query carries text or a number (str() "
                "or int() it first). Nothing was sent."
            )
        text = str(value)
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate: no URL can carry it
            raise RequestEncodingError(
                f"The query parameter {key!r} is {text!r}, which is not text: it holds a lone "
                "UTF-16 surrogate, which no URL can carry. Nothing was sent.",
                field=str(key),
            ) from None
        pairs.append((key, text))
    return pairs


def _service_error(body: Any) -> bool:
    """Whether ``body`` is an error body of this service (or of SigOpt's API)."""
    return isinstance(body, dict) and isinstance(body.get("message"), str)


def _not_the_service(response: requests.Response, base_url: str) -> str:
    """The message of a 404 or 405 that no sigopt-like service wrote: another web server
    (a wrong port, a path in the host's URL) answers so, with a page of its own. Before, the
    page itself was the message, HTML and all. The URL's password and secrets are hidden,
    and a long one's middle."""
    base_url = shown_url(base_url)
    kind = response.headers.get("Content-Type", "").split(";")[0].strip() or "no content type"
    method = response.request.method if response.request is not None else "the request"
    path = urllib.parse.urlsplit(response.url).path if response.url else ""
    return (
        f"{base_url} answered {method} {path} with {response.status_code} "
        f"{response.reason or ''} ({kind}), not as a sigopt-like service does: is "
        f"{base_url} the URL 'sigopt-like serve' printed (no path after the port)?"
    ).replace("  ", " ")


def _error_code(response: requests.Response) -> str | None:
    """The ``code`` of a JSON error body, or None (a body that is not one says nothing)."""
    if "json" not in response.headers.get("Content-Type", ""):
        return None
    try:
        body = response.json()
    except (ValueError, RecursionError):  # not JSON, or nested past Python's stack
        return None
    code = body.get("code") if isinstance(body, dict) else None
    return code if isinstance(code, str) else None


def _check_complete(response: requests.Response) -> None:
    """Raise TruncatedResponseError when the body is shorter than its Content-Length."""
    content = response.content  # reads the whole body
    length = response.headers.get("Content-Length")
    if length is None or response.headers.get("Content-Encoding"):
        return
    try:
        expected = int(length)
    except ValueError:
        return
    if len(content) < expected:
        raise TruncatedResponseError(
            f"The response body ended after {len(content)} of {expected} bytes."
        )


def _pair(timeout: float | tuple[float, float]) -> tuple[float, float]:
    """``(connect, read)`` seconds of a timeout given as a pair or as one number."""
    if isinstance(timeout, (tuple, list)):
        return float(timeout[0]), float(timeout[1])
    return float(timeout), float(timeout)


def _connection_error(
    err: BaseException,
    method: str,
    url: str,
    tries: int = 1,
    seconds: float = 0.0,
    whole: float | None = None,
) -> APIConnectionError:
    timed_out = isinstance(err, requests.exceptions.Timeout) or any(
        isinstance(arg, (urllib3.exceptions.ReadTimeoutError, urllib3.exceptions.TimeoutError))
        for arg in getattr(err, "args", ())
    )
    after = f" ({tries} tries in {seconds:.0f} s)" if tries > 1 else ""
    problem = redact_url(_connection_problem(err))
    # the host's password and a ?token= in it are hidden in every message (HostNotFoundError
    # keeps the bare host name): the URL may come from SIGOPT_LIKE_HOST or a config file;
    # a long one (a 3,000-character path or host name) is shown with its middle elided
    url = redact_url(url)
    shown = shown_url(url)
    if unresolved_host(err):
        host = urllib.parse.urlsplit(url).hostname or url
        return HostNotFoundError(
            f"{method} {shown} failed: the host name {shown_url(host)!r} does not resolve "
            f"({problem}): "
            "check its spelling, and that this machine's DNS (or /etc/hosts) knows it",
            host=host,
        )
    if timed_out and whole is not None and not isinstance(err, requests.ConnectTimeout):
        # urllib3 words it "Read timed out." whichever bound ended the answer
        problem = (
            f"no whole answer within {whole:g} s (the read timeout bounds the whole "
            "answer, not each read)"
        )
    if url.startswith("https://") and (timed_out or "wrong version number" in problem.lower()):
        # TLS asked of a plain-HTTP server: it waits for a request that never comes
        plain = shown_url("http://" + urllib.parse.urlsplit(url).netloc)
        problem = f"{problem.rstrip('.')}. {PLAIN_HTTP_HINT} {plain}"
    if timed_out:
        return APITimeoutError(f"{method} {shown} timed out{after}: {problem}")
    return APIConnectionError(f"{method} {shown} failed{after}: {problem}")


#: said when an https:// call times out: the likeliest cause on a lab's network
PLAIN_HTTP_HINT = (
    "sigopt-like serve answers plain HTTP (TLS is a proxy's job): if it runs there, its URL is"
)


def _connection_problem(err: BaseException) -> str:
    """What went wrong on the wire, in words (requests and urllib3 wrap it in object reprs).

    ``Connection refused``, ``Name or service not known``, ``Read timed out. (read
    timeout=5.0)``, or the TLS library's words for a certificate problem.
    """
    inner = err.args[0] if err.args and isinstance(err.args[0], BaseException) else err
    text = str(getattr(inner, "reason", None) or inner)
    text = re.sub(r"<[\w.]+ object at 0x[0-9a-fA-F]+>: ", "", text)
    text = re.sub(r"^\w*ConnectionPool\([^)]*\): ", "", text)
    text = re.sub(r"^Max retries exceeded with url: \S+ \(Caused by \w+\((.*)\)\)$", r"\1", text)
    text = text.replace("Failed to establish a new connection: ", "")
    text = re.sub(r"\[Errno -?\d+\] ", "", text).strip("'\" ")
    return text or type(err).__name__
