"""Under ``serve``: a request that waits for ``100 Continue`` with credentials only the
store can judge is judged before it is told to continue.

Waitress reads every connection's head in its one socket loop, where one query to the
store would stall every connection. A request whose head has ``Expect: 100-continue``
and a readable token (or a dashboard session cookie) on a route that needs one was so
told to continue at once, sent its body, and read the 401 of a token unknown or revoked
(a session signed out or ended) after it. Now its parser holds it
(``wire_errors.DoorParser.judging``: no ``100 Continue``, what comes of the body kept
aside) and :class:`JudgingChannel` asks the store in one of the request threads
(``unread_answers.refused_by_store``), the connection not read meanwhile: refused, it is
answered the auth middleware's 401 without its body (the connection closes once what
the client sends anyway is read away, as for a 404 answered unread); let in, it is told
to continue (or, when some of the body came already, goes on being read) as before; a
request pipelined behind it in the bytes held is judged in its turn. With no request
thread idle for the judgment (every one busy: long polls, slow requests) the request is
not held: it is let in at once (``100 Continue``) and the app judges its credentials
after the body, as before, so that the server's own wait never ends in a read deadline's
408 (``slow_clients``) blaming the client.
"""

from __future__ import annotations

from typing import Any

from .unread_answers import refused_by_store
from .wire_errors import JsonErrorChannel


class _Judgment:
    """A request thread's task: ask the store about the credentials of ``parser``'s head."""

    def __init__(self, channel: JudgingChannel, parser: Any) -> None:
        self.channel = channel
        self.parser = parser

    def service(self) -> None:
        self.channel.judge(self.parser)

    def cancel(self) -> None:
        """The server stops: nothing to answer (its connection closes)."""

    def defer(self) -> None:
        """Nothing to defer."""


class JudgingChannel(JsonErrorChannel):
    """A channel whose requests held for the store's judgment (``DoorParser.judging``)
    are judged in a request thread (see the module)."""

    #: a request's judgment is asked or being applied: the connection is not read
    _holding = False

    def received(self, data: bytes) -> bool:
        """Receive; a request whose head just asked for judgment is sent to a thread."""
        went_on = bool(super().received(data))
        self._judge_if_held()
        return went_on

    def _judge_if_held(self) -> None:
        """In the socket loop, after bytes were parsed: the request whose head asks for
        judgment is sent to a request thread, or, none being idle, let in at once."""
        while not self._holding:
            parser: Any = self.request
            if parser is None or not getattr(parser, "judging", False) or not self.connected:
                return  # nothing to judge, or the client left (nothing to answer)
            if self._threads_free():
                self._holding = True
                self.server.add_task(_Judgment(self, parser))
                return
            # no thread to ask in: told to continue as before (the app judges the token
            # after the body), not held until the read deadline blames the client
            self._let_in(parser)
            if self.request is parser:
                return  # nothing parsed behind it (or the client left): no other to judge

    def _threads_free(self) -> bool:
        """Whether a request thread is idle for the judgment once the tasks already queued
        are taken (it then starts at once, not behind a long poll).

        The counts are read under the dispatcher's lock, which waitress changes them under
        (a thread taking a task counts itself active, then takes it from the queue; a
        thread started is added, then counted active): read without it, one half of such
        a change could be seen without the other, and a request held for a thread that
        was not free waited behind a long poll (the read deadline's 408 for the server's
        own wait). The lock is held by waitress for those few statements only, never
        while a task runs."""
        dispatcher: Any = self.server.task_dispatcher
        with dispatcher.lock:
            idle = len(dispatcher.threads) - dispatcher.stop_count - dispatcher.active_count
            return idle > len(dispatcher.queue)

    def readable(self) -> bool:
        return bool(super().readable()) and not self._holding

    def judge(self, parser: Any) -> None:
        """In a request thread: ask the store; its verdict is applied in the socket loop.

        Only the question runs here. Answering or letting the request in touches the
        channel's buffers, which the loop flushes without their lock while the channel has
        no request running (waitress' ``handle_write``): a ``100 Continue`` written from
        this thread could be sent twice over (waitress' "Can't skip 25 bytes")."""
        refused = refused_by_store(
            self.served_app,
            authorization=parser.headers.get("AUTHORIZATION"),
            cookie=parser.headers.get("COOKIE"),
        )
        self.server.trigger.pull_trigger(lambda: self._apply(parser, refused))

    def _apply(self, parser: Any, refused: bool) -> None:
        """In the socket loop: answer the request 401 without its body, or let it go on."""
        try:
            if refused:
                self._answer_unread(parser)
            else:
                self._let_in(parser)
        finally:
            self._holding = False  # the loop reads the connection again
        self._judge_if_held()  # a head pipelined behind it, parsed from the held bytes

    def _still_judging(self, parser: Any) -> bool:
        """Whether ``parser`` is still the request being read (not answered 408 meanwhile)
        and its client still there."""
        reading: Any = self.request
        return reading is parser and bool(self.connected)

    def _answer_unread(self, parser: Any) -> None:
        with self.requests_lock:
            if not self._still_judging(parser):
                return  # answered 408 meanwhile, or the client left
            parser.refuse_unread()
            self.sent_continue = False
            self.requests.append(parser)
            if len(self.requests) == 1:
                self.server.add_task(self)
            self.request = None

    def _let_in(self, parser: Any) -> None:
        with self.requests_lock:
            if not self._still_judging(parser):
                return
            held = parser.let_in()
            if not held:
                if not self.requests and not self.sent_continue:
                    self.send_continue()  # else once the answers before it are sent
                return
        # what came of the body, parsed as the loop would have (not counted again against
        # the read deadline: it was when it came)
        JsonErrorChannel.received(self, held)
