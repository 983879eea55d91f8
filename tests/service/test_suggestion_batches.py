"""SuggestionBatches: requests of one key that wait together share one choice."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from sigopt_like.service.suggestion_batches import SuggestionBatches


def _until(condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + 30
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


class Requests:
    """Threads that each take a turn on key 1 with ``choose``; what each got."""

    def __init__(self, batches: SuggestionBatches, choose: Any) -> None:
        self.batches, self.choose = batches, choose
        self.got: dict[str, Any] = {}
        self.threads: list[threading.Thread] = []

    def start(self, name: str, leave: threading.Event | None = None) -> None:
        def run() -> None:
            try:
                with self.batches.turn(1, self.choose) as result:
                    self.got[name] = result
                    if leave is not None:
                        assert leave.wait(30)
            except Exception as exc:
                self.got[name] = exc

        thread = threading.Thread(target=run)
        thread.start()
        self.threads.append(thread)

    def join(self) -> None:
        for thread in self.threads:
            thread.join(30)


def test_requests_waiting_during_a_batch_share_the_next_one():
    batches: SuggestionBatches = SuggestionBatches()
    go, calls = threading.Event(), []

    def choose(count: int) -> list[str]:
        calls.append(count)
        if len(calls) == 1:
            assert go.wait(30)
        return [f"batch{len(calls)}-{i}" for i in range(count)]

    requests = Requests(batches, choose)
    left = threading.Event()
    requests.start("first", leave=left)
    _until(lambda: calls == [1])
    for name in ("b", "c", "d"):
        requests.start(name)
    _until(lambda: batches.waiting(1) == 3)
    go.set()
    _until(lambda: "first" in requests.got)
    # the first batch holds the line until its request has stored its suggestion
    time.sleep(0.2)
    assert calls == [1] and batches.waiting(1) == 3
    left.set()
    requests.join()
    assert calls == [1, 3]
    assert requests.got["first"] == "batch1-0"
    assert sorted(requests.got[n] for n in "bcd") == ["batch2-0", "batch2-1", "batch2-2"]
    assert batches.waiting(1) == 0 and not batches._lines  # nothing kept once all left


def test_when_the_leader_fails_the_others_choose_alone():
    batches: SuggestionBatches = SuggestionBatches()
    go, calls = threading.Event(), []

    def choose(count: int) -> list[str]:
        calls.append(count)
        if len(calls) == 1:
            assert go.wait(30)
        if count == 3:
            raise RuntimeError("the store went away")
        return [f"alone{len(calls)}"] * count

    requests = Requests(batches, choose)
    requests.start("first")
    _until(lambda: calls == [1])
    for name in ("b", "c", "d"):
        requests.start(name)
    _until(lambda: batches.waiting(1) == 3)
    go.set()
    requests.join()
    assert sorted(calls) == [1, 1, 1, 3]
    failed = [n for n in "bcd" if isinstance(requests.got[n], RuntimeError)]
    assert len(failed) == 1  # the leader, with its own error
    assert all(str(requests.got[n]).startswith("alone") for n in "bcd" if n not in failed)
