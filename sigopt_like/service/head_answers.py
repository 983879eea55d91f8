"""HEAD on an answer whose length is not known (the event stream), under waitress.

An answer without a Content-Length is sent chunked over HTTP/1.1, and waitress closes
each one with the last chunk, ``0\\r\\n\\r\\n``, a HEAD's too: the HEAD of a task's event
stream was its headers and then those five stray bytes, which a client reading the
connection's next answer read as its status line, and the connection was closed after
it. :class:`HeadTask` sends the HEAD's headers as the GET's would be (``Transfer-Encoding:
chunked`` included: HTTP lets a HEAD say what its GET would use) and nothing after them,
and keeps the connection open unless the client asked to close it.
"""

from __future__ import annotations

from typing import Any

from waitress.task import WSGITask


class HeadTask(WSGITask):  # type: ignore[misc]
    """Waitress's WSGI task, with a HEAD of unknown length answered by its headers alone."""

    _unframed_head = False  # building the headers of such a HEAD

    def build_response_header(self) -> Any:
        """The headers waitress builds; for a HEAD of unknown length, no last chunk to
        follow them and no close forced for the lack of a length."""
        self._unframed_head = (
            self.request.command == "HEAD"
            and self.version == "1.1"
            and self.has_body
            and not any(name.lower() == "content-length" for name, _ in self.response_headers)
        )
        try:
            return super().build_response_header()
        finally:
            if self._unframed_head:
                self.chunked_response = False  # no body: nothing to frame, nothing to end
            self._unframed_head = False

    def set_close_on_finish(self) -> None:
        """Close after the answer, unless waitress does so only for the lack of a
        Content-Length of a HEAD (nothing follows its headers: the next answer can)."""
        asked = self.request.headers.get("CONNECTION", "").lower() == "close"
        if self._unframed_head and not asked:
            return
        super().set_close_on_finish()
