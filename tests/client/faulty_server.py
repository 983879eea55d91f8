"""A deliberately faulty HTTP server on 127.0.0.1 for transport tests.

Each request takes the next scripted :class:`Reply` (the last one repeats) and is
recorded (method, path, headers, body), so a test can see every retry.
"""

from __future__ import annotations

import json
import socket
import struct
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import attrs


@attrs.frozen
class Reply:
    """What the server does with one request.

    kind: "json" (status, body, headers), "text" (raw body text),
    "reset" (close the connection with an RST before answering),
    "truncate" (send headers with a Content-Length, half the body, then close),
    "slow" (sleep ``delay`` seconds, then answer as "json"),
    "drip" (send the headers, then the JSON body one byte every ``delay`` seconds),
    "drip_head" (send the status line and headers one byte every ``delay`` seconds),
    "drip_stream" (an event stream: a comment every ``delay`` seconds, ``body`` of them,
    then one event whose data is ``{"done": true}``),
    "held_stream" (an event stream without chunks, ended by closing the connection: each
    text of ``body`` but the last at once, then the last after ``delay`` seconds).
    """

    kind: str = "json"
    status: int = 200
    body: Any = attrs.field(factory=dict)
    headers: dict[str, str] = attrs.field(factory=dict)
    delay: float = 0.0


@attrs.frozen
class Seen:
    """One request as the server received it."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes


class FaultyServer:
    """A threaded HTTP server that follows a script of replies."""

    def __init__(self) -> None:
        self.script: list[Reply] = [Reply()]
        self.requests: list[Seen] = []
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:  # quiet
                pass

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                reply = server._next(Seen(self.command, self.path, dict(self.headers), body))
                if reply.kind == "reset":
                    self.connection.setsockopt(
                        socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
                    )
                    self.connection.close()
                    self.close_connection = True
                    return
                if reply.kind == "slow":
                    time.sleep(reply.delay)
                if reply.kind.startswith("drip") or reply.kind == "held_stream":
                    self._drip(reply)
                    return
                if reply.kind == "text":
                    payload = str(reply.body).encode("utf-8")
                    content_type = reply.headers.get("Content-Type", "text/html")
                else:
                    payload = json.dumps(reply.body).encode("utf-8")
                    content_type = "application/json"
                self.send_response(reply.status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(payload)))
                for name, value in reply.headers.items():
                    if name != "Content-Type":
                        self.send_header(name, value)
                if reply.kind == "truncate":
                    self.send_header("Connection", "close")
                    self.end_headers()
                    self.wfile.write(payload[: len(payload) // 2])
                    self.wfile.flush()
                    self.close_connection = True
                    return
                self.end_headers()
                self.wfile.write(payload)

            def _drip(self, reply: Reply) -> None:
                self.close_connection = True
                if reply.kind == "held_stream":
                    head = b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
                    self.wfile.write(head + b"Connection: close\r\n\r\n")
                    *first, last = [str(text).encode("utf-8") for text in reply.body]
                    for text in first:
                        self.wfile.write(text)
                        self.wfile.flush()
                    time.sleep(reply.delay)
                    self.wfile.write(last)
                    return
                if reply.kind == "drip_stream":
                    head = b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
                    self.wfile.write(head + b"Connection: close\r\n\r\n")
                    for _ in range(int(reply.body)):
                        self.wfile.write(b": keep-alive\n\n")
                        self.wfile.flush()
                        time.sleep(reply.delay)
                    self.wfile.write(b'data: {"done": true}\n\n')
                    return
                payload = json.dumps(reply.body).encode("utf-8")
                head = (
                    f"HTTP/1.1 {reply.status} OK\r\nContent-Type: application/json\r\n"
                    f"Content-Length: {len(payload)}\r\nConnection: close\r\n\r\n"
                ).encode()
                if reply.kind == "drip_head":
                    trickle, rest = head, payload
                else:
                    self.wfile.write(head)
                    trickle, rest = payload, b""
                for byte in trickle:
                    self.wfile.write(bytes([byte]))
                    self.wfile.flush()
                    time.sleep(reply.delay)
                self.wfile.write(rest)

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _handle

        class Server(ThreadingHTTPServer):
            def handle_error(self, request: Any, client_address: Any) -> None:
                pass  # resets and timeouts are the point of this server

        self.httpd = Server(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self._thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()

    def _next(self, seen: Seen) -> Reply:
        with self._lock:
            self.requests.append(seen)
            return self.script.pop(0) if len(self.script) > 1 else self.script[0]

    def play(self, *replies: Reply) -> None:
        """Script the next replies (the last one repeats)."""
        with self._lock:
            self.script = list(replies)
            self.requests = []

    def calls(self, path_prefix: str = "/v1/thing") -> list[Seen]:
        """The recorded requests to paths starting with ``path_prefix``."""
        return [r for r in self.requests if r.path.startswith(path_prefix)]

    def close(self) -> None:
        """Stop serving."""
        self.httpd.shutdown()
        self.httpd.server_close()


def faulty_server() -> Iterator[FaultyServer]:
    """A generator for a pytest fixture: yields a running server, stops it after."""
    server = FaultyServer()
    try:
        yield server
    finally:
        server.close()
