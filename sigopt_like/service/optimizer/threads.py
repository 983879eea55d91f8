"""Run engine work with single-threaded BLAS.

The engine's matrices are small; multi-threaded BLAS only adds overhead, and
under load (several workers on few cores) it oversubscribes the CPUs and slows a
Gaussian-process fit twenty-fold. The limit applies for the duration of a call.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from typing import ParamSpec, TypeVar

from threadpoolctl import threadpool_limits

P = ParamSpec("P")
R = TypeVar("R")


def single_threaded(func: Callable[P, R]) -> Callable[P, R]:
    """Decorator: call ``func`` with BLAS and OpenMP pools limited to one thread."""

    @wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with threadpool_limits(limits=1):
            return func(*args, **kwargs)

    return wrapper


@contextmanager
def one_thread() -> Iterator[None]:
    """For the block, BLAS and OpenMP pools limited to one thread (a generator's body,
    which the decorator cannot wrap)."""
    with threadpool_limits(limits=1):
        yield
