"""The engine's single-threaded BLAS (optimizer/threads.py)."""

from __future__ import annotations

import numpy as np
import pytest
import threadpoolctl

from sigopt_like.service.optimizer.threads import one_thread, single_threaded


def _blas_threads() -> list[int]:
    return [
        lib["num_threads"] for lib in threadpoolctl.threadpool_info() if lib["user_api"] == "blas"
    ]


def test_the_limit_holds_inside_and_is_undone_after():
    np.ones((4, 4)) @ np.ones((4, 4))  # BLAS loaded
    before = _blas_threads()
    assert before, "no BLAS library found"

    @single_threaded
    def inside() -> list[int]:
        return _blas_threads()

    assert inside() == [1] * len(before)
    with one_thread():
        assert _blas_threads() == [1] * len(before)
    assert _blas_threads() == before


def test_the_libraries_are_found_once_while_no_module_is_imported(monkeypatch: pytest.MonkeyPatch):
    """Each call walked every loaded shared object to find the BLAS and OpenMP libraries
    (1-3 ms a suggestion request); they are found again only when a module was imported."""
    made: list[object] = []
    real = threadpoolctl.ThreadpoolController.__init__

    def counted(self) -> None:
        made.append(self)
        real(self)

    @single_threaded
    def work() -> float:
        return float((np.ones((8, 8)) @ np.ones((8, 8))).sum())

    work()  # whatever a first call imports
    monkeypatch.setattr(threadpoolctl.ThreadpoolController, "__init__", counted)
    for _ in range(3):
        assert work() == 512.0
        with one_thread():
            pass
    assert made == []
