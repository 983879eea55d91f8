"""sigopt_like: a SigOpt-style client for design-of-experiments campaigns.

``Connection()`` talks to a remote service (``host=``) or runs one in this
process (no host). Nothing is read or started at import time, and little is
loaded: each public name is imported from its module when first used (PEP 562),
so ``from sigopt_like import Connection`` loads neither attrs nor the models
(``tests/client/test_import.py``).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ._version import __version__

if TYPE_CHECKING:
    from .errors import (
        AnalyticsFilesExistError,
        APIConnectionError,
        APIError,
        APITimeoutError,
        AuthenticationError,
        BadRequestError,
        ConfigError,
        ConflictError,
        HostNotFoundError,
        InvalidRequestError,
        MethodNotAllowedError,
        NoAnalyticsError,
        NotFoundError,
        PayloadTooLargeError,
        PermissionDeniedError,
        RateLimitError,
        RequestEncodingError,
        RequestTimeoutError,
        ServerError,
        ServiceNotInstalledError,
        SigoptLikeError,
        TaskCanceledError,
        TaskError,
        TaskFailedError,
        TaskTimeoutError,
        UnencodableValueError,
        UnusablePathError,
        ValidationError,
        VersionError,
    )
    from .interface import API, Connection
    from .models import (
        AnalyticsFile,
        AnalyticsFiles,
        Assignments,
        BestAssignments,
        Experiment,
        History,
        Metric,
        Observation,
        Parameter,
        Recommendation,
        Session,
        SpaceTemplate,
        Suggestion,
        Task,
        Token,
        Version,
    )
    from .pagination import Page
    from .spaces import Space, SpaceError
    from .tables import Table, TableError
    from .transport import RetryPolicy

#: where each public name lives (imported on first use).
_HOMES = {
    "APIConnectionError": "errors",
    "APIError": "errors",
    "APITimeoutError": "errors",
    "AuthenticationError": "errors",
    "BadRequestError": "errors",
    "ConfigError": "errors",
    "ConflictError": "errors",
    "HostNotFoundError": "errors",
    "InvalidRequestError": "errors",
    "MethodNotAllowedError": "errors",
    "AnalyticsFilesExistError": "errors",
    "NoAnalyticsError": "errors",
    "NotFoundError": "errors",
    "PayloadTooLargeError": "errors",
    "PermissionDeniedError": "errors",
    "RateLimitError": "errors",
    "RequestEncodingError": "errors",
    "UnencodableValueError": "errors",
    "RequestTimeoutError": "errors",
    "ServerError": "errors",
    "ServiceNotInstalledError": "errors",
    "SigoptLikeError": "errors",
    "TaskCanceledError": "errors",
    "TaskError": "errors",
    "TaskFailedError": "errors",
    "UnusablePathError": "errors",
    "TaskTimeoutError": "errors",
    "ValidationError": "errors",
    "VersionError": "errors",
    "API": "interface",
    "Connection": "interface",
    "AnalyticsFile": "models",
    "AnalyticsFiles": "models",
    "Assignments": "models",
    "BestAssignments": "models",
    "Experiment": "models",
    "History": "models",
    "Metric": "models",
    "Observation": "models",
    "Parameter": "models",
    "Recommendation": "models",
    "Session": "models",
    "SpaceTemplate": "models",
    "Suggestion": "models",
    "Task": "models",
    "Token": "models",
    "Version": "models",
    "Page": "pagination",
    "Space": "spaces",
    "SpaceError": "spaces",
    "Table": "tables",
    "TableError": "tables",
    "RetryPolicy": "transport",
}


def __getattr__(name: str) -> Any:
    """A public name, imported from its module now; or a submodule (``sigopt_like.models``),
    as the package gave them when it imported everything."""
    home = _HOMES.get(name)
    if home is not None:
        value = getattr(importlib.import_module(f".{home}", __name__), name)
        globals()[name] = value  # found directly from now on
        return value
    if not name.startswith("__"):
        try:
            return importlib.import_module(f".{name}", __name__)
        except ModuleNotFoundError as err:
            if err.name != f"{__name__}.{name}":
                raise
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


__all__ = [
    "API",
    "APIConnectionError",
    "APIError",
    "APITimeoutError",
    "AnalyticsFile",
    "AnalyticsFiles",
    "AnalyticsFilesExistError",
    "Assignments",
    "AuthenticationError",
    "BadRequestError",
    "BestAssignments",
    "ConfigError",
    "ConflictError",
    "Connection",
    "Experiment",
    "History",
    "HostNotFoundError",
    "InvalidRequestError",
    "MethodNotAllowedError",
    "Metric",
    "NoAnalyticsError",
    "NotFoundError",
    "Observation",
    "Page",
    "Parameter",
    "PayloadTooLargeError",
    "PermissionDeniedError",
    "RateLimitError",
    "Recommendation",
    "RequestEncodingError",
    "RequestTimeoutError",
    "RetryPolicy",
    "ServerError",
    "ServiceNotInstalledError",
    "Session",
    "SigoptLikeError",
    "Space",
    "SpaceError",
    "SpaceTemplate",
    "Suggestion",
    "Table",
    "TableError",
    "Task",
    "TaskCanceledError",
    "TaskError",
    "TaskFailedError",
    "TaskTimeoutError",
    "Token",
    "UnencodableValueError",
    "UnusablePathError",
    "ValidationError",
    "Version",
    "VersionError",
    "__version__",
]
