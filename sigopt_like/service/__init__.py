"""The sigopt_like service: embedded in a client's process, or served over HTTP.

Needs the ``service`` extra: ``pip install 'sigopt_like[service]'``.
"""

from .app import Service, ServiceContext, create_app
from .settings import ServiceSettings

__all__ = ["Service", "ServiceContext", "ServiceSettings", "create_app"]
