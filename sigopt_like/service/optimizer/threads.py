"""Run engine work with single-threaded BLAS.

The engine's matrices are small; multi-threaded BLAS only adds overhead, and
under load (several workers on few cores) it oversubscribes the CPUs and slows a
Gaussian-process fit twenty-fold. The limit applies for the duration of a call.

Finding the process's BLAS and OpenMP libraries walks every shared object loaded (1-3
ms, more than a random search's whole choice of a point); ``threadpool_limits`` did it
at each call, each suggestion request. The libraries found are kept while the set of
imported modules stays the same (a library comes with the extension module that loads
it), so a steady service finds them once.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import lru_cache, wraps
from typing import ParamSpec, TypeVar

from threadpoolctl import ThreadpoolController

P = ParamSpec("P")
R = TypeVar("R")


@lru_cache(maxsize=1)
def _controller(module_count: int) -> ThreadpoolController:
    """The pools of the libraries loaded when ``module_count`` modules are imported."""
    return ThreadpoolController()


def single_threaded(func: Callable[P, R]) -> Callable[P, R]:
    """Decorator: call ``func`` with BLAS and OpenMP pools limited to one thread."""

    @wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with one_thread():
            return func(*args, **kwargs)

    return wrapper


@contextmanager
def one_thread() -> Iterator[None]:
    """For the block, BLAS and OpenMP pools limited to one thread (a generator's body,
    which the decorator cannot wrap)."""
    with _controller(len(sys.modules)).limit(limits=1):
        yield
