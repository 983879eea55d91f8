"""The machinery behind the resource tree: :class:`Group`, :class:`Endpoint`, nodes.

``interface.py`` declares the whole API in one table of Groups and Endpoints.
From it, :func:`build_node_class` generates one real class per (group, bound) pair,
with a method per endpoint and a property per sub-group, so ``dir()``, ``help()``
and autocompletion show the API. A group that takes an id is called with it
(``conn.sessions("12")``); called without one it is the collection itself, so
``conn.experiments(e).suggestions().create()`` and
``conn.experiments(e).suggestions.create()`` are the same call.

Importing the package stays light (issue #12: ``import sigopt_like`` within 1.2x of
``import requests``): the table and its records are plain named tuples, a group's
class is built when the group is first reached, and the table names the models and
the argument types that need heavier modules (attrs, spaces, tables) as strings,
resolved by :func:`resolve` when a class, a call or the stub first needs them, as
Python resolves a postponed annotation.
"""

from __future__ import annotations

import functools
import importlib
import os
import threading
import typing
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, Generic, NamedTuple, TypeVar
from urllib.parse import quote

from . import _constants as C
from .errors import RequestEncodingError

if TYPE_CHECKING:
    import inspect

    from .interface import Connection

T = TypeVar("T")

_NO_ID = object()

#: per-call options every endpoint takes, beside its own arguments.
CALL_OPTIONS = ("idempotency_key", "request_timeout", "headers")
#: options of endpoints that start a task.
TASK_OPTIONS = ("wait", "timeout", "progress", "export_dir")
#: the types of those options, as signatures show them.
OPTION_TYPES: dict[str, Any] = {
    "idempotency_key": str | None,
    "request_timeout": float | tuple[float, float] | None,
    "headers": Mapping[str, str] | None,
    "wait": bool | None,
    "timeout": float | None,
    "progress": "ProgressArg",
    "export_dir": str | os.PathLike[str] | None,
}

#: where the names in the table's string types and returns live, searched in this order;
#: each module is imported when a name is first looked up (see :func:`resolve`).
NAME_MODULES = (
    "sigopt_like.models",
    "sigopt_like.arguments",
    "sigopt_like.progress",
    "sigopt_like.pagination",
    "sigopt_like.tables",
    "sigopt_like.spaces",
    "typing",
    "collections.abc",
    "os",
)


class _TableNames(Mapping[str, Any]):
    """The names a string of the table may use, each imported when first looked up."""

    def __getitem__(self, name: str) -> Any:
        if name in ("Call", "Node"):
            return globals()[name]
        for module_name in NAME_MODULES:
            module = importlib.import_module(module_name)
            if name in vars(module):
                return vars(module)[name]
            if "__getattr__" in vars(module):  # names it imports on first use (PEP 562)
                try:
                    return getattr(module, name)
                except AttributeError:
                    pass
        raise KeyError(name)

    def __iter__(self) -> Iterator[str]:
        return iter(())

    def __len__(self) -> int:
        return 0


NAMES: Mapping[str, Any] = _TableNames()


@functools.cache
def _evaluate(text: str) -> Any:
    return eval(text, {}, NAMES)  # the package's own strings, like an annotation


def resolve(value: Any) -> Any:
    """A string of the table (a type, ``"SpaceArg | None"``, or a model, ``"Session"``) as
    the object it names, importing its module now; anything else as it is."""
    return _evaluate(value) if isinstance(value, str) else value


class Lazy(Generic[T]):
    """A value built by ``build()`` on first use, once, whichever thread asks first."""

    def __init__(self, build: Callable[[], T]) -> None:
        self._build: Callable[[], T] | None = build
        self._value: T | None = None
        self._lock = threading.Lock()

    def get(self) -> T:
        """The value, built now if it is not yet."""
        build = self._build
        if build is not None:
            with self._lock:
                if self._build is not None:
                    self._value = self._build()
                    self._build = None
        return self._value  # type: ignore[return-value]


class Param(NamedTuple):
    """One keyword argument of an endpoint: its name, its type, whether it must be given.

    The type is what ``inspect.signature``, the stub and IDEs show (a string names a
    type of the package's heavier modules: see :func:`resolve`); the service checks the
    value itself.
    """

    name: str
    type: Any = Any
    required: bool = False
    doc: str = ""


#: the cursor arguments of every paginated list.
PAGE_PARAMS = (
    Param("limit", int | None, doc="items per page"),
    Param("before", str | None, doc="cursor: older items"),
    Param("after", str | None, doc="cursor: newer items"),
)


class Endpoint(NamedTuple):
    """One API call of a group.

    name: the Python method (``create``, ``fetch``, ``halt``, ...).
    method: the HTTP method. path: a segment after the group's path (``"halt"``),
        None for the group's own path, or an absolute path (``"/health"``).
    returns: a Model class (``from_dict``), its name in :mod:`sigopt_like.models`
        (``"Session"``: imported on first use), or any parser of the JSON body; None
        gives None. page: ``returns`` is the model of a paginated list -> Page.
    args: names of the positional arguments the method takes, in order (each one
        also a ``params`` entry).
    params: THE declaration of the call's arguments (query or body fields): the
        method's signature, its checks and the stub are made from it, so a
        misspelt keyword is a TypeError before any request. A paginated list
        takes ``limit``, ``before`` and ``after`` too.
    convert: per-argument converters run before the request (tables, spaces).
    config_defaults: an argument not given takes the value of this Connection
        setting (``ClientConfig`` field), when that is set.
    task: the call starts a task (-> Task, with ``wait=``, ``timeout=``, ...).
    handler: a client-side implementation ``handler(call, **kwargs)``; its own
        signature is the method's.
    id_list: the argument of a paginated list that holds ids separated by commas:
        too many for one URL, they are asked in several requests and merged into
        one page (:mod:`~sigopt_like.id_lists`).
    refused: names the service refuses with a reason of its own, each with that
        reason: the TypeError for one says it, where a near name's "did you mean"
        would mislead (``timeout`` on a session is not the call's ``request_timeout``:
        sessions do not time out).
    """

    name: str
    method: str = "GET"
    path: str | None = None
    returns: Any = None
    doc: str = ""
    page: bool = False
    args: tuple[str, ...] = ()
    params: tuple[Param, ...] = ()
    convert: Mapping[str, Callable[[Any], Any]] = {}  # never mutated
    config_defaults: Mapping[str, str] = {}  # never mutated
    task: bool = False
    handler: Callable[..., Any] | None = None
    id_list: str | None = None
    refused: Mapping[str, str] = {}  # never mutated

    def all_params(self) -> tuple[Param, ...]:
        """The declared arguments, positional ones first, then the paging cursors."""
        declared = {p.name: p for p in self.params}
        missing = [name for name in self.args if name not in declared]
        if missing and self.handler is None:
            raise ValueError(f"{self.name}: positional {missing} not declared in params")
        first = [declared[name] for name in self.args if name in declared]
        rest = [p for p in self.params if p.name not in self.args]
        return (*first, *rest, *(PAGE_PARAMS if self.page else ()))

    def options(self) -> tuple[str, ...]:
        """The per-call options the method takes beside its arguments."""
        return CALL_OPTIONS + (TASK_OPTIONS if self.task else ())


class Group(NamedTuple):
    """A family of resources at one path segment.

    takes_id: the group is a collection called with an id (``conn.sessions(sid)``);
        otherwise a single resource (``conn.sessions(sid).space``).
    endpoints: calls on the collection (or on the single resource).
    item_endpoints: calls on one item, once an id is given.
    groups: sub-groups under an item (or under the single resource).
    """

    name: str
    doc: str = ""
    takes_id: bool = True
    endpoints: tuple[Endpoint, ...] = ()
    item_endpoints: tuple[Endpoint, ...] = ()
    groups: tuple[Group, ...] = ()

    def members(self, bound: bool) -> tuple[tuple[Endpoint, ...], tuple[Group, ...]]:
        """The endpoints and sub-groups of a node of this group."""
        if self.takes_id and not bound:
            return self.endpoints, ()
        if self.takes_id:
            return self.item_endpoints, self.groups
        return self.endpoints, self.groups


class Call(NamedTuple):
    """What a client-side handler gets: the connection, the node, the endpoint, options."""

    conn: Connection
    node: Node
    endpoint: Endpoint
    options: Mapping[str, Any]

    @property
    def path(self) -> str:
        """The API path of this endpoint."""
        return endpoint_path(self.node, self.endpoint.path)

    def request(self, method: str | None = None, path: str | None = None, **kwargs: Any) -> Any:
        """Send a request (to this endpoint unless ``path``) and return its JSON body."""
        return self.conn.transport.request_json(
            method or self.endpoint.method, path or self.path, **self._request_options(kwargs)
        )

    def response(self, method: str | None = None, path: str | None = None, **kwargs: Any) -> Any:
        """Send a request and return the ``requests.Response`` (for files and streams)."""
        return self.conn.transport.request(
            method or self.endpoint.method, path or self.path, **self._request_options(kwargs)
        )

    def _request_options(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        """The caller's options (checked by the transport), then this request's own
        arguments; headers of both are merged, the request's own (``Accept``) winning.
        Before, ``headers=`` on a call that sends its own (``history.csv()``,
        ``analytics.download()``) was a TypeError, "multiple values for 'headers'"."""
        out = self._options()
        if "headers" in out and kwargs.get("headers"):
            from .call_options import check_headers

            given = check_headers(out.pop("headers"))
            kwargs = {**kwargs, "headers": {**given, **kwargs["headers"]}}
        return {**out, **kwargs}

    def _options(self) -> dict[str, Any]:
        # every option given (not None) goes to the transport, which checks it: before, a
        # falsy one (idempotency_key="", headers=0) was dropped without a word
        out: dict[str, Any] = {}
        if self.options.get("idempotency_key") is not None:
            out["idempotency_key"] = self.options["idempotency_key"]
        if self.options.get("request_timeout") is not None:
            out["timeout"] = self.options["request_timeout"]
        if self.options.get("headers") is not None:
            out["headers"] = self.options["headers"]
        return out


def endpoint_path(node: Node, suffix: str | None) -> str:
    """The API path of an endpoint of ``node``."""
    if suffix and suffix.startswith("/"):
        return suffix
    return node_path(node) + (f"/{suffix}" if suffix else "")


def node_path(node: Node) -> str:
    """The API path of ``node``: its segments percent-encoded, so that an id holding
    ``%``, ``?`` or ``#`` is that id on the server (``%31`` read as session 1, and
    ``1?x=1`` sent a query) and not part of the URL's syntax."""
    segments = [C.API_PREFIX.strip("/"), *(quote(str(s), safe="") for s in node._path)]
    return "/" + "/".join(segments)


class Node:
    """A place in the resource tree: a group, with or without an id."""

    _group: Group
    _bound: bool
    #: the class of an item, for a group that takes an id (built when first called with one)
    _item_class: Lazy[type[Node]]

    def __init__(self, conn: Connection, path: tuple[str, ...], label: str) -> None:
        self._conn = conn
        self._path = path
        self._label = label

    def __call__(self, id_: Any = _NO_ID) -> Node:
        """With an id: that item of the collection; without: this node itself."""
        if id_ is _NO_ID:
            return self
        if not self._group.takes_id or self._bound:
            raise TypeError(f"{self._label} takes no id")
        sid = _id_text(id_)
        return self._item_class.get()(self._conn, (*self._path, sid), f"{self._label}({sid})")

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        endpoints, groups = self._group.members(self._bound)
        names = [e.name for e in endpoints] + [g.name for g in groups]
        raise AttributeError(
            f"{self._label} has no endpoint or group {name!r}; it has: {', '.join(names)}"
        )

    def __repr__(self) -> str:
        return f"<{self._label}>"

    def _call(self, endpoint: Endpoint, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        where = f"{self._label}.{endpoint.name}()"
        if len(args) > len(endpoint.args):
            allowed = ", ".join(endpoint.args) or "none"
            raise TypeError(
                f"{where} takes keyword arguments (positional: {allowed}); "
                f"got {len(args)} positional"
            )
        for name, value in zip(endpoint.args, args, strict=False):
            if name in kwargs:
                raise TypeError(f"{where} got multiple values for argument {name!r}")
            kwargs[name] = value
        options = {name: kwargs.pop(name) for name in CALL_OPTIONS if name in kwargs}
        call = Call(self._conn, self, endpoint, options)
        if endpoint.handler is not None:
            return endpoint.handler(call, **kwargs)
        task_options = {}
        if endpoint.task:
            task_options = {name: kwargs.pop(name) for name in TASK_OPTIONS if name in kwargs}
            from .tasks import resolve_wait

            try:  # before the call: a wait= taken as "not given" left its task queued
                resolve_wait(task_options.get("wait"), task_options.get("timeout"), None)
            except TypeError as err:
                raise TypeError(f"{where}: {err}") from None
        check_arguments(where, endpoint, kwargs)
        for name, setting in endpoint.config_defaults.items():
            configured = getattr(self._conn.config, setting, None)
            if kwargs.get(name) is None and configured:
                kwargs[name] = configured
        for name, convert in endpoint.convert.items():
            if kwargs.get(name) is not None:
                kwargs[name] = convert(kwargs[name])
        return self._conn._send(call, kwargs, task_options)


def check_arguments(where: str, endpoint: Endpoint, kwargs: Mapping[str, Any]) -> None:
    """TypeError, as Python gives for a function, for an unknown or a missing argument."""
    params = endpoint.all_params()
    known = [p.name for p in params]
    for name in kwargs:
        if name in endpoint.refused and name not in known:
            takes = ", ".join(known) or "no arguments"
            raise TypeError(
                f"{where} got an unexpected keyword argument {name!r} (it takes: {takes}). "
                f"{endpoint.refused[name]}"
            )
        if name not in known:
            import difflib  # only for this message

            close = difflib.get_close_matches(name, [*known, *endpoint.options()], n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            takes = ", ".join(known) or "no arguments"
            raise TypeError(
                f"{where} got an unexpected keyword argument {name!r}{hint} (it takes: {takes})"
            )
    missing = [p.name for p in params if p.required and kwargs.get(p.name) is None]
    if missing:
        raise TypeError(f"{where} missing required argument(s): {', '.join(missing)}")


def endpoint_signature(endpoint: Endpoint) -> inspect.Signature:
    """The signature of an endpoint's method: ``self``, its declared arguments, its options.

    A handler's signature is the handler's own, with the per-call options added.
    """
    import inspect  # not with the package: the root's methods need no Signature object

    P = inspect.Parameter
    out = [P("self", P.POSITIONAL_OR_KEYWORD)]
    if endpoint.handler is not None:
        hints = typing.get_type_hints(endpoint.handler, localns=NAMES)
        own = [
            p.replace(annotation=hints.get(p.name, p.annotation))
            for p in list(inspect.signature(endpoint.handler).parameters.values())[1:]
        ]
        var_kw = [p for p in own if p.kind is P.VAR_KEYWORD]
        out += [p for p in own if p.kind is not P.VAR_KEYWORD]
        taken = {p.name for p in own}
        out += [
            P(name, P.KEYWORD_ONLY, default=None, annotation=resolve(OPTION_TYPES[name]))
            for name in CALL_OPTIONS
            if name not in taken
        ]
        return inspect.Signature(out + var_kw)
    for param in endpoint.all_params():
        kind = P.POSITIONAL_OR_KEYWORD if param.name in endpoint.args else P.KEYWORD_ONLY
        default = P.empty if param.required else None
        out.append(P(param.name, kind, default=default, annotation=resolve(param.type)))
    out += [
        P(name, P.KEYWORD_ONLY, default=None, annotation=resolve(OPTION_TYPES[name]))
        for name in endpoint.options()
    ]
    return inspect.Signature(out)


def _id_text(id_: Any) -> str:
    """An id as it goes in a path: the string of an id, or of an object's ``.id``."""
    value = getattr(id_, "id", id_)
    if value is None or value == "" or isinstance(value, bool):
        raise ValueError(f"not a usable id: {id_!r}")
    if not isinstance(value, str) and not hasattr(type(value), "__index__"):
        # a whole number, numpy's too, has __index__; before, str() of anything was sent
        # (a 404 for "['1']" or "12.0")
        raise TypeError(
            f"an id is text or a whole number (or an object with .id), not "
            f"{type(value).__name__}: {id_!r}"
        )
    text = str(value)
    if "/" in text or text in (".", ".."):
        raise ValueError(f"an id cannot contain '/' or be '.' or '..': {text!r}")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # the bytes of another encoding, read as lone surrogates
        raise RequestEncodingError(
            f"the id {text!r} is not text: it holds a lone UTF-16 surrogate, which no URL "
            "can carry. Nothing was sent.",
            field="id",
        ) from None
    return text


def send_standard(call: Call, kwargs: dict[str, Any]) -> Any:
    """Send a table-declared call and parse its body as the endpoint says."""
    endpoint = call.endpoint
    if endpoint.page and endpoint.id_list is not None:
        page = _id_list_page(call, endpoint.id_list, kwargs)
        if page is not None:
            return page
    if endpoint.method in ("GET", "DELETE"):
        body = call.request(params=kwargs or None)
    else:
        body = call.request(json=kwargs)
    if endpoint.page:
        from .pagination import Page

        parse = _parser(endpoint.returns)

        def fetch(params: dict[str, Any]) -> Mapping[str, Any]:
            return call.request("GET", params=params)

        return Page(body or {}, parse, fetch, kwargs)
    if endpoint.returns is None or body is None:
        return None
    return _parser(endpoint.returns)(body)


def _id_list_page(call: Call, name: str, kwargs: dict[str, Any]) -> Any:
    """The first page of a list whose ``name`` ids are too many for one URL, merged from
    several requests (and so is each next page); None when they fit in one."""
    ids = kwargs.get(name)
    if not isinstance(ids, str):
        return None
    from .id_lists import merged_page, split_ids

    runs = split_ids(ids)
    if runs is None:
        return None
    from .pagination import Page

    def fetch_run(params: dict[str, Any]) -> Mapping[str, Any]:
        return call.request("GET", params=params) or {}

    def fetch(params: dict[str, Any]) -> Mapping[str, Any]:
        return merged_page(fetch_run, params, name, runs)

    return Page(fetch(kwargs), _parser(call.endpoint.returns), fetch, kwargs)


def _parser(returns: Any) -> Callable[[Any], Any]:
    returns = resolve(returns)
    if returns is None:
        return lambda value: value
    from_dict = getattr(returns, "from_dict", None)
    return from_dict if callable(from_dict) else returns


def _method(endpoint: Endpoint) -> Callable[..., Any]:
    if _takes_options_only(endpoint):
        method = _options_only_method(endpoint)
    else:

        def method(self: Node, *args: Any, **kwargs: Any) -> Any:
            return self._call(endpoint, args, kwargs)

        method.__signature__ = endpoint_signature(endpoint)  # type: ignore[attr-defined]
    method.__name__ = endpoint.name
    method.__qualname__ = endpoint.name
    method.__doc__ = endpoint_doc(endpoint)
    return method


def _takes_options_only(endpoint: Endpoint) -> bool:
    return endpoint.handler is None and not endpoint.task and not endpoint.all_params()


def _options_only_method(endpoint: Endpoint) -> Callable[..., Any]:
    """The method of an endpoint without arguments (``conn.version()``): a plain function
    whose own signature is the one :func:`endpoint_signature` gives, so that building the
    root's class (with the package) needs no ``inspect``."""

    def method(
        self: Node, *, idempotency_key: Any = None, request_timeout: Any = None, headers: Any = None
    ) -> Any:
        given = {
            "idempotency_key": idempotency_key,
            "request_timeout": request_timeout,
            "headers": headers,
        }
        return self._call(endpoint, (), {k: v for k, v in given.items() if v is not None})

    method.__annotations__ = {name: OPTION_TYPES[name] for name in CALL_OPTIONS}
    return method


def endpoint_doc(endpoint: Endpoint) -> str:
    """The docstring of an endpoint's method: what it does, then its arguments."""
    lines = [endpoint.doc or endpoint.name]
    described = [p for p in endpoint.all_params() if p.doc]
    if described:
        lines += ["", "Arguments:"]
        lines += [f"    {p.name}: {p.doc}" for p in described]
    if endpoint.task:
        lines += [
            "",
            "Starts a task: wait=True waits for it (timeout= seconds), progress=True shows",
            "a bar (or a callable gets each update), export_dir= writes its files.",
        ]
    return "\n".join(lines)


def _group_property(group: Group) -> property:
    cls = Lazy(lambda: build_node_class(group, False))

    def get(self: Node) -> Node:
        return cls.get()(self._conn, (*self._path, group.name), f"{self._label}.{group.name}")

    get.__doc__ = group.doc or group.name
    return property(get)


def build_node_class(group: Group, bound: bool = False, base: type[Node] = Node) -> type[Node]:
    """A class for nodes of ``group``: a method per endpoint, a property per sub-group.

    Sub-groups' classes (and the class of an item, for a group that takes an id) are
    built once, when first reached: importing the package builds only the root's.
    """
    endpoints, groups = group.members(bound)
    namespace: dict[str, Any] = {
        "_group": group,
        "_bound": bound,
        "__doc__": group.doc or f"The {group.name} resources.",
    }
    if group.takes_id and not bound:
        namespace["_item_class"] = Lazy(lambda: build_node_class(group, True))
    for endpoint in endpoints:
        namespace[endpoint.name] = _method(endpoint)
    for sub in groups:
        namespace[sub.name] = _group_property(sub)
    suffix = "Item" if (bound and group.takes_id) else ""
    name = "".join(part.title() for part in group.name.split("_")) + suffix
    return type(name or "Root", (base,), namespace)
