"""Concurrent suggestion requests of one experiment share one engine call.

Each request for a new SigOpt suggestion used to run the engine on its own: 20 clients
of one experiment on a 2-core machine ran 20 model fits side by side, each slower than
the time budget, and a quarter of the suggestions came from the random fallback.

Here the requests of one experiment (a *line*) take turns by batch. A request that
finds no batch of its experiment running leads one: it takes every request waiting in
the line (itself included), runs ``choose(count)`` once for all of them, and hands
each its own result. Requests that arrive meanwhile wait in the line and make up
the next batch, whose leader is one of them. A batch holds the line until each of its
requests has stored its suggestion (left its :meth:`SuggestionBatches.turn`), so the
next batch reads those suggestions as open and chooses other points.

Stored means committed: a request whose write joins a longer transaction (an
Idempotency-Key's, which commits with the answer; an AI experiment's run, made with its
suggestion) hands ``turn`` a ``release`` that lets the line go when that transaction
ends. Left at once, the next batch read the store before the commit, missed the
suggestion, chose the same point from the same inputs, and found it taken in its write:
the engine's point was thrown away for a random one.

A request that leads a batch may have read the engine's inputs itself, before its turn
(with what else it reads to check the request): the batch uses them, instead of
reading them again, when no request of this service stored a suggestion since (when
:meth:`SuggestionBatches.stored` did not change); a lone request then reads the store
once.

One instance per service (``ServiceContext.suggestion_batches``): requests coalesce
within one process. Several processes on one database (gunicorn workers, app processes
over PostgreSQL) each coalesce their own requests; between them the store's checks
(an open suggestion, or one made meanwhile, is never served twice) still hold.
"""

from __future__ import annotations

import contextlib
import threading
import typing
from collections.abc import Callable, Hashable, Iterator, Sequence
from typing import Generic, TypeVar

T = TypeVar("T")

#: what a batch runs: how many requests -> one result per request, in their order
Choose = Callable[[int], Sequence[T]]
#: when a request leaves its turn: given the leaving, runs it now or once its writes commit
Release = Callable[[Callable[[], None]], None]


def _at_once(leave: Callable[[], None]) -> None:
    leave()


class _Ticket(Generic[T]):
    """One waiting request, and the result its batch handed it."""

    def __init__(self) -> None:
        self.answered = False
        self.failed = False  # its batch's leader failed: the request chooses alone
        self.result: T | None = None


class _Line(Generic[T]):
    """The requests of one experiment: those waiting for the next batch, and how many
    of the running batch have not stored their suggestion yet."""

    def __init__(self, lock: threading.Lock) -> None:
        self.waiting: list[_Ticket[T]] = []
        self.holding = 0  # > 0: a batch runs, or its requests are storing their results
        self.changed = threading.Condition(lock)


class SuggestionBatches(Generic[T]):
    """The lines of one service's experiments (keyed by experiment id)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._lines: dict[Hashable, _Line[T]] = {}
        self._left = 0

    def stored(self) -> int:
        """How many requests, of any key, have left their turn (stored their suggestion,
        or failed): inputs read before it changed may miss a suggestion stored since."""
        with self._lock:
            return self._left

    def busy(self, key: Hashable) -> bool:
        """Whether a batch of ``key`` runs, or its requests are storing their results
        (a request of ``key`` would wait for the next batch)."""
        with self._lock:
            line = self._lines.get(key)
            return line is not None and line.holding > 0

    def waiting(self, key: Hashable) -> int:
        """How many requests of ``key`` wait for the next batch."""
        with self._lock:
            line = self._lines.get(key)
            return 0 if line is None else len(line.waiting)

    @contextlib.contextmanager
    def turn(self, key: Hashable, choose: Choose[T], release: Release = _at_once) -> Iterator[T]:
        """This request's result of a batch of ``key``'s waiting requests; the next
        batch of ``key`` starts when every request of this one has left the block (and
        ``release`` has let it go: when what it wrote in the block is committed).

        ``choose`` is run by the batch's leader (one of the waiting requests); if it
        raises, the leader's request fails with it and each other request runs
        ``choose(1)`` for itself.
        """
        ticket: _Ticket[T] = _Ticket()
        with self._lock:
            line = self._lines.get(key)
            if line is None:
                line = self._lines[key] = _Line(self._lock)
            line.waiting.append(ticket)
            while not ticket.answered and line.holding:
                line.changed.wait()
            batch: list[_Ticket[T]] = []
            if not ticket.answered:  # no batch runs: this request leads the next one
                batch, line.waiting = line.waiting, []
                line.holding = len(batch)
        try:
            if batch:
                self._lead(line, batch, choose)
            if ticket.failed:
                yield choose(1)[0]
            else:
                yield typing.cast(T, ticket.result)  # answered
        finally:
            release(lambda: self._leave(key, line))

    def _lead(self, line: _Line[T], batch: list[_Ticket[T]], choose: Choose[T]) -> None:
        """Run the batch's choice and hand out its results (the leader's failure is
        raised after the others are told to choose alone)."""
        try:
            results = list(choose(len(batch)))
        except BaseException:
            with self._lock:
                for ticket in batch:
                    ticket.answered = ticket.failed = True
                line.changed.notify_all()
            raise
        with self._lock:
            for ticket, result in zip(batch, results, strict=True):
                ticket.answered, ticket.result = True, result
            line.changed.notify_all()

    def _leave(self, key: Hashable, line: _Line[T]) -> None:
        with self._lock:
            self._left += 1
            line.holding -= 1
            if line.holding == 0:
                if not line.waiting and self._lines.get(key) is line:
                    del self._lines[key]
                line.changed.notify_all()  # one of the waiting requests leads the next
