"""The loopback HTTP server of the ``http`` probes (``probes/http.py``).

One ``ThreadingHTTPServer`` on ``127.0.0.1`` (port 0: the kernel picks), started once
per process by :func:`ensure`, serving HTTP/1.1 with a ``content-length`` on every
response. Its answers depend only on what the probe sent — the method, the path, the
body and the request's own ``x-*`` headers — so the headers Golem adds to an outgoing
request (``idempotency-key``, ``traceparent``) never change them:

* ``/echo...`` — 200, ``x-method``, ``x-path``, ``x-body-len``, each ``x-*`` request
  header echoed as ``x-echo-<name>`` (values joined with ``,`` in arrival order), the
  request body as the body.
* ``/status/N`` — status N, body ``status N`` (none for 204).
* ``/dup`` — ``x-multi`` three times and ``x-single`` once, in that order.
* ``/big`` — 100 KiB of a fixed byte pattern.
* ``/slow`` — ``slow`` after :data:`SLOW_SECONDS`.
* ``/trailers`` — a chunked body ``abc`` + ``de`` with trailers ``x-t1``, ``x-t2``.
* ``/stall`` — a chunked body: the chunk ``abc`` at once, then ``de`` and the end only
  after :data:`SLOW_SECONDS` (the between-bytes-timeout probe gives up before).

``/echo`` also says whether the request body was chunked (``x-chunked``) and echoes
its trailers as ``x-trailer-<name>``.

:func:`ensure` also holds a socket bound to another loopback port *without*
listening, so a connection there is refused (``PROBE_HTTP_CLOSED``) and no other
process can take the port meanwhile.
"""

from __future__ import annotations

import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

#: how long ``/slow`` waits before answering (the probes' first-byte timeout is shorter)
SLOW_SECONDS = 1.0

BIG = bytes((i * 13 + (i >> 9)) & 0xFF for i in range(100 * 1024))

_LOCK = threading.Lock()
_STATE: dict[str, Any] = {}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet
        return

    def _body(self) -> bytes:
        """The request body (``content-length`` or chunked); a chunked body's trailers
        go to ``self.trailers``."""
        self.trailers: list[tuple[str, str]] = []
        n = int(self.headers.get("content-length") or 0)
        if n:
            return self.rfile.read(n)
        if "chunked" in (self.headers.get("transfer-encoding") or "").lower():
            data = bytearray()
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while True:
                        line = self.rfile.readline()
                        if line in (b"\r\n", b"\n", b""):
                            return bytes(data)
                        n, _, v = line.decode("latin-1").partition(":")
                        self.trailers.append((n.strip().lower(), v.strip()))
                data += self.rfile.read(size)
                self.rfile.readline()
        return b""

    def _answer(self, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
        self.send_response_only(status)
        for n, v in headers:
            self.send_header(n, v)
        if status != 204:
            self.send_header("content-length", str(len(body)))
        self.end_headers()
        if status != 204 and self.command != "HEAD":
            self.wfile.write(body)

    def _handle(self) -> None:
        body = self._body()
        path = self.path
        if path.startswith("/status/"):
            code = int(path.rsplit("/", 1)[1])
            self._answer(code, [], b"" if code == 204 else f"status {code}".encode())
        elif path == "/dup":
            self._answer(200, [("x-multi", "1"), ("x-multi", "2"), ("x-single", "s"),
                               ("x-multi", "3")], b"dup")
        elif path == "/big":
            self._answer(200, [], BIG)
        elif path == "/slow":
            time.sleep(SLOW_SECONDS)
            self._answer(200, [], b"slow")
        elif path == "/trailers":
            self.send_response_only(200)
            self.send_header("transfer-encoding", "chunked")
            self.send_header("trailer", "x-t1, x-t2")
            self.end_headers()
            self.wfile.write(b"3\r\nabc\r\n2\r\nde\r\n0\r\nx-t1: one\r\nx-t2: two\r\n\r\n")
        elif path == "/stall":
            self.send_response_only(200)
            self.send_header("transfer-encoding", "chunked")
            self.end_headers()
            self.wfile.write(b"3\r\nabc\r\n")
            self.wfile.flush()
            time.sleep(SLOW_SECONDS)
            self.wfile.write(b"2\r\nde\r\n0\r\n\r\n")
        else:
            echoed: dict[str, list[str]] = {}
            for n, v in self.headers.items():
                if n.lower().startswith("x-"):
                    echoed.setdefault(n.lower(), []).append(v)
            headers = [("x-method", self.command), ("x-path", path),
                       ("x-body-len", str(len(body)))]
            headers += [(f"x-echo-{n}", ",".join(vs)) for n, vs in sorted(echoed.items())]
            headers += [("x-chunked", str("chunked" in (self.headers.get("transfer-encoding")
                                                     or "").lower()))]
            headers += [(f"x-trailer-{n}", v) for n, v in self.trailers]
            self._answer(200, headers, body)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = _handle
    do_PURGE = _handle


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that went away (the first-byte-timeout probe gives up on ``/slow``,
        an aborted body) is expected: no traceback on stderr. Anything else prints."""
        import sys

        if isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            return
        super().handle_error(request, client_address)


def ensure() -> tuple[str, str]:
    """``(authority of the server, authority of a refused port)``; started once."""
    with _LOCK:
        if "server" not in _STATE:
            server = _Server(("127.0.0.1", 0), _Handler)
            threading.Thread(target=server.serve_forever, name="probe-http", daemon=True).start()
            closed = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            closed.bind(("127.0.0.1", 0))  # bound, never listening: connections are refused
            _STATE.update(server=server, closed=closed)
        host, port = _STATE["server"].server_address[:2]
        return f"{host}:{port}", f"127.0.0.1:{_STATE['closed'].getsockname()[1]}"


def environment() -> list[tuple[str, str]]:
    """The variables the ``http`` probes read (``PROBE_HTTP_AUTHORITY``,
    ``PROBE_HTTP_CLOSED``)."""
    authority, closed = ensure()
    return [("PROBE_HTTP_AUTHORITY", authority), ("PROBE_HTTP_CLOSED", closed)]
