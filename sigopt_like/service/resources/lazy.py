"""A route whose resource is built, and its module imported, on its first request.

A family of routes that a service may never be asked for (the SigOpt API beside the
campaign one, in an embedded ``Connection()`` that runs campaigns) is registered with
:func:`on_first_use`: Falcon gets, at start, a stand-in with the same responders
(``on_get``, ``on_post``, ...), which imports the real resource's module and builds it
the first time one of them is called, or the first time middleware asks the resource
for one of its attributes (``auth_exempt``, ``idempotent_replay``). Routing, the
``Allow`` header, 405s and the OpenAPI check see the same methods as before
(``tests/service/test_lazy_routes.py`` compares each stand-in with its resource).
"""

from __future__ import annotations

import contextlib
import importlib
import threading
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from ..errors import APIError
from ..http import owner_id, parse_id

if TYPE_CHECKING:
    from ..store.sessions import SessionStore

#: how a route judges the objects its path names: ``(req, params)``, a 404 for one that is
#: not the caller's
PathJudge = Callable[[Any, dict[str, Any]], None]


class OwnedSession:
    """The ``judge_path`` of a session's routes: a 404 unless ``{sid}`` is the caller's
    session (one precompiled point read, ``SessionStore.get``), the one judge of every
    route under ``/v1/sessions/{sid}``."""

    def __init__(self, sessions: SessionStore) -> None:
        self._sessions = sessions

    def __call__(self, req: Any, params: dict[str, Any]) -> None:
        self._sessions.get(owner_id(req), parse_id(params["sid"], "session"))


class OnFirstUse:
    """Stands in for a resource; see the module docstring."""

    #: "module:Class" of the resource this one stands for
    target: str = ""
    #: whether the door reads an integer past 64 bits as the double it denotes (SigOpt's
    #: routes, which read every JSON number as a double; see ``..door``)
    numbers_as_doubles: bool = False
    #: whether the door leaves a too-wide integer at the top of a body to its field's
    #: check, which gives the field's own range (see ``..door``)
    fields_judge_integers: bool = False

    def __init__(
        self,
        build: Callable[[type], object],
        judge_path: PathJudge | None = None,
    ) -> None:
        self._build = build
        #: judges the path when the body is refused (:func:`path_before_body`)
        self.judge_path = judge_path
        self._real: object | None = None
        self._lock = threading.Lock()

    def resource(self) -> Any:
        """The real resource (imported and built on the first call, once)."""
        real = self._real
        if real is None:
            with self._lock:
                if self._real is None:
                    module, _, name = self.target.partition(":")
                    self._real = self._build(getattr(importlib.import_module(module), name))
                real = self._real
        return real

    def __getattr__(self, name: str) -> Any:
        # only what the class does not define comes here: a responder it lacks is one the
        # resource lacks too (Falcon asks for every method's when the route is added)
        if name.startswith(("__", "on_", "_")):
            raise AttributeError(name)
        return getattr(self.resource(), name)


@contextlib.contextmanager
def path_before_body(judge: PathJudge | None, req: Any, params: dict[str, Any]) -> Iterator[None]:
    """A refusal (a 4xx but 404) raised inside becomes the route's 404 when its path names
    something not the caller's (``judge``): a foreign or unknown id is a 404 whatever the
    body, as SigOpt answers, not a 400 or 422 on a body that told the two apart. The path
    is judged only on a refusal, so a request taken reads nothing more (the write paths'
    statements are counted by tests); the refused request's transaction is over by then."""
    try:
        yield
    except APIError as err:
        if judge is not None and 400 <= err.status < 500 and err.status != 404:
            judge(req, params)
        raise


def _forward(responder: str) -> Callable[..., Any]:
    def forward(self: OnFirstUse, req: Any, resp: Any, **params: Any) -> Any:
        with path_before_body(self.judge_path, req, params):
            return getattr(self.resource(), responder)(req, resp, **params)

    forward.__name__ = responder
    return forward


def on_first_use(
    target: str,
    methods: str,
    build: Callable[[type], object],
    *,
    numbers_as_doubles: bool = False,
    fields_judge_integers: bool = False,
    judge_path: PathJudge | None = None,
) -> OnFirstUse:
    """A stand-in for the resource ``target`` ("package.module:Class") whose responders
    are ``methods`` ("get post ..."); ``build(cls)`` makes the resource from its class.
    ``numbers_as_doubles``, ``fields_judge_integers``, ``judge_path``: see
    :class:`OnFirstUse`."""
    name = target.rpartition(":")[2]
    responders = {f"on_{method}": _forward(f"on_{method}") for method in methods.split()}
    attributes = {
        "target": target,
        "numbers_as_doubles": numbers_as_doubles,
        "fields_judge_integers": fields_judge_integers,
    }
    kind = type(name, (OnFirstUse,), {**attributes, **responders})
    return kind(build, judge_path)
