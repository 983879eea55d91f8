"""The sigopt_like service: embedded in a client's process, or served over HTTP.

Needs the ``service`` extra: ``pip install 'sigopt_like[service]'``.

Its names are imported when first used (PEP 562), not with the package: importing
``sigopt_like.service`` imported the app and with it the worker module, so
``python -m sigopt_like.service.worker`` began with runpy's RuntimeWarning that the
module was already imported, which "may result in unpredictable behaviour".
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .app import Service, ServiceContext, create_app
    from .settings import ServiceSettings

__all__ = ["Service", "ServiceContext", "ServiceSettings", "create_app"]

_HOMES = {
    "Service": ".app",
    "ServiceContext": ".app",
    "create_app": ".app",
    "ServiceSettings": ".settings",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(home, __name__), name)
