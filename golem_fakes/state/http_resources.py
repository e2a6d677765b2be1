"""The reps behind ``wasi:http/types@0.2.3``'s resources (behaviour in
:mod:`golem_fakes.interfaces.wasi_http`).

They follow wasmtime 33's host objects (``crates/wasi-http/src/types.rs``, ``body.rs``):

* :class:`OutgoingRequestRep` — ``HostOutgoingRequest`` (method ``GET``, no scheme,
  authority or path until set; headers moved in from the constructor's ``fields``).
* :class:`OutgoingBodyRep` / :class:`BodyOutputStreamRep` — ``HostOutgoingBody`` and its
  ``BodyWriteStream``: ``check-write`` permits 1 MiB (``DEFAULT_OUTGOING_BODY_CHUNK_SIZE``)
  while the body channel (``mpsc::channel(buffer_chunks + 1)``, 2 chunks) has room; a
  write into a full channel traps ``write exceeded budget``. Until
  ``outgoing-handler.handle`` is called nothing reads the channel (hyper starts reading
  once the request is sent), so only 2 writes fit before it; afterwards the fake's
  server reads every chunk at once. With a ``content-length`` header, writing more
  fails the write with ``last-operation-failed`` carrying
  ``HTTP-request-body-size(written)`` (the bytes count; the stream stays open while
  nothing reads the channel, so every later write fails the same way, and is closed
  once the request was sent) and ``finish`` with another count fails with it.
* :class:`FutureResponseRep` — ``HostFutureIncomingResponse``: pending until the body
  is finished (the fake's server needs the whole request) and the stub's delay has
  passed on the virtual clock; then ready once, consumed afterwards; ``deferred`` for a
  request re-made during Golem's replay (not sent).
* :class:`IncomingResponseRep`, :class:`IncomingBodyRep`, :class:`BodyInputStreamRep`,
  :class:`FutureTrailersRep` — the response, its body (one ``stream``, then ``finish``
  → trailers) and the body stream (each read returns at most the rest of one body
  frame, as ``HostIncomingBodyStream::read`` does).
* :class:`IncomingRequestRep`, :class:`ResponseOutparamRep`,
  :class:`OutgoingResponseRep` — for driving an exported ``incoming-handler``.

Every rep counts its live children (views of its headers, a body's stream, pollables
made by ``subscribe``): dropping it while it has some traps ``resource has children``
(wasmtime ``ResourceTable``).
"""

from __future__ import annotations

import itertools
from typing import Any, Callable

from golem_fakes.state.http import ErrorCode, HttpRequest, Response
from golem_fakes.state.http_fields import FieldMap
from golem_fakes.state.streams import InputStreamRep, OutputStreamRep, StreamErrorRep

__all__ = ["OutgoingRequestRep", "RequestOptionsRep", "OutgoingBodyRep",
           "BodyOutputStreamRep", "FutureResponseRep", "IncomingResponseRep",
           "IncomingBodyRep", "BodyInputStreamRep", "FutureTrailersRep",
           "IncomingRequestRep", "ResponseOutparamRep", "OutgoingResponseRep",
           "HttpStreamError", "rust_debug", "CHUNK_SIZE", "BODY_CHANNEL_CHUNKS"]

#: wasmtime's ``DEFAULT_OUTGOING_BODY_CHUNK_SIZE``: what ``check-write`` permits.
CHUNK_SIZE = 1024 * 1024
#: ``mpsc::channel(DEFAULT_OUTGOING_BODY_BUFFER_CHUNKS + 1)``: chunks the body channel holds.
BODY_CHANNEL_CHUNKS = 2

_ids = itertools.count(1)


def rust_debug(code: ErrorCode) -> str:
    """Rust's ``{:?}`` of an ``ErrorCode`` (what ``to-debug-string`` of an io error
    carrying one shows): ``HttpRequestBodySize(Some(5))``, ``ConnectionRefused``."""
    camel = "".join(w[:1].upper() + w[1:].lower() for w in code.case.split("-"))
    p = code.payload
    if p is None and code.case in ("DNS-error", "TLS-alert-received", "HTTP-request-trailer-size",
                                   "HTTP-response-header-size", "HTTP-response-trailer-size"):
        return camel
    if p is None:
        return camel if not _has_payload(code) else f"{camel}(None)"
    if isinstance(p, dict):
        inner = ", ".join(f"{k}: {_some(v)}" for k, v in p.items())
        name = {"DNS-error": "DnsErrorPayload", "TLS-alert-received": "TlsAlertReceivedPayload"
                }.get(code.case, "FieldSizePayload")
        return f"{camel}({name} {{ {inner} }})"
    return f"{camel}({_some(p)})"


def _has_payload(code: ErrorCode) -> bool:
    from golem_fakes.state.http import ERROR_CODES

    return ERROR_CODES[code.case]


def _some(v: Any) -> str:
    if v is None:
        return "None"
    return f"Some({v!r})" if isinstance(v, str) else f"Some({v})"


class HttpStreamError(StreamErrorRep):
    """A ``wasi:io/error`` carrying an ``error-code`` (``http-error-code`` returns it)."""

    def __init__(self, code: ErrorCode) -> None:
        super().__init__(rust_debug(code))
        self.code = code


class _Parent:
    """A rep with child resources (views, streams, pollables)."""

    children = 0


class RequestOptionsRep:
    """``types::RequestOptions``: the three timeouts in ns (``None``: not set)."""

    __slots__ = ("connect", "first_byte", "between_bytes")

    def __init__(self) -> None:
        self.connect: int | None = None
        self.first_byte: int | None = None
        self.between_bytes: int | None = None


class OutgoingRequestRep(_Parent):
    """``HostOutgoingRequest``."""

    def __init__(self, headers: FieldMap) -> None:
        #: WIT case name (``"get"``) or ``("other", text)``.
        self.method: Any = "get"
        self.scheme: Any = None
        self.authority: str | None = None
        self.path_with_query: str | None = None
        self.headers = headers
        self.body: OutgoingBodyRep | None = None
        self.name = f"outgoing-request#{next(_ids)}"


class BodyOutputStreamRep(OutputStreamRep):
    """wasmtime's ``BodyWriteStream``: see the module docstring."""

    write_checks_permit = False
    #: a write that exceeds the content-length fails at once (``write`` returns the error)
    fails_on_write = True

    @property  # type: ignore[override]
    def closes_on_failure(self) -> bool:
        """wasmtime 33's ``BodyWriteStream::write`` (``crates/wasi-http/src/body.rs``,
        v33.0.0) keeps no error state: it sends the bytes, adds them to ``written`` and
        fails while the total exceeds the content-length. While nothing reads the body
        channel (a response body, a request not yet sent) the stream stays open and every
        later write fails anew; once hyper reads it (the request was sent, the response
        was set in its response-outparam), hyper rejects the oversized body and drops the
        channel, so later writes report ``closed``."""
        return self.body.sent

    def __init__(self, body: "OutgoingBodyRep") -> None:
        super().__init__(self._sink, budget=CHUNK_SIZE, name=f"body of {body.owner_name}")
        self.body = body
        self.closed = body.receiver_gone

    @property  # type: ignore[override]
    def permit(self) -> int:
        if self.closed:
            return 0
        return 0 if self.body.queued >= BODY_CHANNEL_CHUNKS else CHUNK_SIZE

    @permit.setter
    def permit(self, value: int) -> None:  # the base class sets it once
        pass

    def emit(self, data: memoryview) -> None:
        self.body.write(bytes(data))

    def emit_raw(self, data: memoryview) -> None:
        self.body.write(bytes(data))

    def _sink(self, data: memoryview) -> None:  # pragma: no cover - emit is overridden
        self.body.write(bytes(data))

    def on_drop(self) -> None:
        """The stream was dropped: no longer a child of its body (once)."""
        body, self._parent = self._parent, None
        if body is not None:
            body.children -= 1

    _parent: "OutgoingBodyRep | None" = None


class OutgoingBodyRep(_Parent):
    """``HostOutgoingBody`` of a request or response (``context``: ``"request"`` /
    ``"response"``)."""

    def __init__(self, context: str, expected: int | None, owner_name: str) -> None:
        self.context = context
        self.expected = expected
        self.owner_name = owner_name
        self.chunks: list[bytes] = []
        self.written = 0
        #: chunks in the channel that nobody read yet (only before the request is sent)
        self.queued = 0
        #: the request was handed to outgoing-handler.handle: the server reads the body
        self.reading = False
        #: its request was sent (``outgoing-handler.handle``) or its response set in a
        #: ``response-outparam``: in wasmtime, hyper now reads it from the channel
        self.sent = False
        #: the request or response was dropped before it was sent: wasmtime dropped the
        #: hyper body (the channel's receiver) with it, so the stream reports ``closed``
        self.receiver_gone = False
        self.stream: BodyOutputStreamRep | None = None
        self.stream_taken = False
        #: ``None`` while writing; ``"finished"`` or ``"aborted"``
        self.state: str | None = None
        self.trailers: FieldMap | None = None
        #: called once when the body is finished or aborted
        self.on_done: Callable[["OutgoingBodyRep"], None] | None = None

    def write(self, data: bytes) -> None:
        from golem_fakes.bindings.runtime import Trap

        stream = self.stream
        if not self.reading:
            if self.queued >= BODY_CHANNEL_CHUNKS:
                raise Trap(f"write exceeded budget: the body channel of {self.owner_name} "
                           f"holds {BODY_CHANNEL_CHUNKS} chunks and nothing reads it until "
                           f"the request is sent with outgoing-handler.handle (check-write "
                           f"returns 0 meanwhile); send the request first, or wait with "
                           f"subscribe", interface="wasi:io/streams@0.2.3",
                           function="[method]output-stream.write")
            self.queued += 1
        self.chunks.append(data)
        self.written += len(data)
        if self.expected is not None and self.written > self.expected and stream is not None:
            code = ErrorCode("HTTP-request-body-size" if self.context == "request"
                             else "HTTP-response-body-size", self.written)
            stream.failure = HttpStreamError(code)  # type: ignore[assignment]

    def owner_dropped(self) -> None:
        """Its outgoing-request / outgoing-response was dropped unsent: in wasmtime 33
        the ``HostOutgoingRequest``/``HostOutgoingResponse`` holds the receiving end of
        the body channel (``HostOutgoingBody::new`` → ``req.body = Some(hyper_body)``,
        ``crates/wasi-http/src/types_impl.rs``), dropped with it, so
        ``BodyWriteStream`` reports ``closed`` from then on (``check-write``, ``write``,
        ``flush``; ``crates/wasi-http/src/body.rs``); nothing more is counted, so
        ``finish`` with a content-length reports the bytes written before."""
        if self.sent:
            return
        self.receiver_gone = True
        if self.stream is not None:
            self.stream.closed = True

    def start_reading(self) -> None:
        self.reading = True
        self.queued = 0

    @property
    def content(self) -> bytes:
        return b"".join(self.chunks)

    def size_error(self) -> ErrorCode | None:
        if self.expected is not None and self.written != self.expected:
            return ErrorCode("HTTP-request-body-size" if self.context == "request"
                             else "HTTP-response-body-size", self.written)
        return None

    def done(self, state: str) -> None:
        self.state = state
        if self.stream is not None:
            self.stream.closed = True
        hook, self.on_done = self.on_done, None
        if hook is not None:
            hook(self)


class FutureResponseRep(_Parent):
    """``HostFutureIncomingResponse``. ``state``: ``"waiting"`` (the request body is not
    finished), ``"sent"`` (the answer is known; ready once the clock reaches
    ``ready_at_ns``), ``"consumed"``, or ``"deferred"`` (made in Golem's replay: not
    sent; its pollable is ready at once)."""

    def __init__(self, clock: Any, request: HttpRequest | None) -> None:
        self.clock = clock
        self.request = request
        self.state = "waiting"
        self.outcome: Response | ErrorCode | None = None
        self.ready_at_ns = 0
        #: the durable request (golem_fakes.interfaces.wasi_http.HttpCall), if recorded
        self.call: Any = None
        #: sends the request (set by outgoing-handler.handle): ``send(future)``
        self.send: Callable[["FutureResponseRep"], None] | None = None
        self.name = (f"future-incoming-response({request.method} {request.url})"
                     if request is not None else "future-incoming-response")

    def is_ready(self) -> bool:
        if self.state in ("consumed", "deferred"):
            return True
        if self.state == "sent":
            return self.clock.monotonic_ns() >= self.ready_at_ns
        return False


class IncomingResponseRep(_Parent):
    """``HostIncomingResponse``: ``status``, ``headers`` (forbidden ones removed) and the
    body (taken once by ``consume``)."""

    def __init__(self, status: int, headers: FieldMap, body: "IncomingBodyRep | None") -> None:
        self.status = status
        self.headers = headers
        self.body = body
        self.call: Any = None
        self.name = f"incoming-response#{next(_ids)}"


class IncomingBodyRep(_Parent):
    """``HostIncomingBody``: the frames still to read, the trailers, and a failure (the
    ``FailingStream`` Golem puts behind a response replayed from the oplog: ``Body
    stream was interrupted due to a restart``)."""

    def __init__(self, frames: list[bytes], trailers: FieldMap | None = None,
                 failure: str | None = None, error: ErrorCode | None = None) -> None:
        self.frames = list(frames)
        self.trailers = trailers
        self.failure = failure
        #: an error-code the body ends with (a stream error, then the trailers' error)
        self.error = error
        self.stream_taken = False
        self.stream: BodyInputStreamRep | None = None
        self.call: Any = None
        self.name = f"incoming-body#{next(_ids)}"
        #: frames arriving over time (``Response.chunk_delay``): the virtual clock, the
        #: gap between frames, the between-bytes timeout, when the next frame arrives,
        #: and the timeout's deadline once a read or poll found no frame (wasmtime 33
        #: ``BodyWithTimeout``: the timer restarts at the first poll after a frame)
        self.clock: Any = None
        self.gap_ns = 0
        self.timeout_ns = 0
        self.next_at_ns = 0
        self.deadline_ns: int | None = None

    def timed(self, clock: Any, gap_ns: int, timeout_ns: int) -> "IncomingBodyRep":
        """Frames ``gap_ns`` apart from now on; ``timeout_ns`` between them at most."""
        self.clock, self.gap_ns, self.timeout_ns = clock, gap_ns, timeout_ns
        self.next_at_ns = clock.monotonic_ns()
        return self

    def poll_frame(self) -> str:
        """wasmtime ``BodyWithTimeout::poll_frame`` on the virtual clock: ``"frame"``
        (the next frame is here), ``"timeout"`` (the between-bytes timeout elapsed: the
        body ends with ``connection-read-timeout``) or ``"pending"``."""
        clock = self.clock
        if clock is None:
            return "frame"
        now = clock.monotonic_ns()
        if self.deadline_ns is None:
            self.deadline_ns = now + self.timeout_ns
        if now >= self.deadline_ns:
            return "timeout"
        if now >= self.next_at_ns:
            self.deadline_ns = None          # restarted at the next poll
            self.next_at_ns += self.gap_ns   # the frame after this one
            return "frame"
        return "pending"

    def wake_at_ns(self) -> int | None:
        """When a waiting read could go on (the next frame or the timeout), if timed."""
        if self.clock is None or not self.frames:
            return None
        if self.deadline_ns is None:
            self.deadline_ns = self.clock.monotonic_ns() + self.timeout_ns
        return min(self.next_at_ns, self.deadline_ns)


class BodyInputStreamRep(InputStreamRep):
    """``HostIncomingBodyStream``: each read returns at most the rest of the current
    frame (a read of ``n`` bytes splits a frame), ``closed`` after the last frame."""

    def __init__(self, body: IncomingBodyRep) -> None:
        self.body = body
        self._frame: memoryview | None = None
        super().__init__(self._read, name=f"input-stream of {body.name}", ready=self._ready_now)
        if body.failure is not None:
            self.failure = body.failure
        #: the durable request this stream's reads are recorded for
        self.call: Any = None
        self._parent: IncomingBodyRep | None = body
        body.children += 1

    #: a read that polls the body's error returns it (``HostIncomingBodyStream::read``)
    fails_in_read = True

    #: ``intercept(rep, kind, compute)``: the durable read of a recorded request's body
    #: (set by ``incoming-body.stream``; ``wasi:io/streams`` calls it for every read/skip)
    intercept: Any = None

    def on_drop(self) -> None:
        """The stream was dropped: no longer a child of its body; a recorded request
        it owns is closed (Golem's ``HostInputStream::drop``)."""
        body, self._parent = self._parent, None
        if body is not None:
            body.children -= 1
        if self.call is not None:
            self.call.close("stream")

    def _ready_now(self) -> bool:
        """Whether a read would not block: a frame (or the end, or the error) is here;
        for frames arriving over time, polling starts the between-bytes timer."""
        if self._frame is not None or self.body.clock is None or not self.body.frames:
            return True
        state = self.body.poll_frame()
        if state == "frame":
            self.body.next_at_ns -= self.body.gap_ns  # not taken yet: the read takes it
            self.body.deadline_ns = None
            return True
        return state == "timeout"

    def wake_at_ns(self) -> int | None:
        """When waiting on this stream ends (``block``/``poll``/``blocking-read`` jump
        the virtual clock there), or ``None`` when it is not waiting for time."""
        if self._frame is not None:
            return None
        return self.body.wake_at_ns()

    @property
    def clock(self) -> Any:
        return self.body.clock

    def _read(self, n: int) -> bytes | memoryview | None:
        frame = self._frame
        if frame is None:
            frames = self.body.frames
            if frames and self.body.clock is not None:
                state = self.body.poll_frame()
                if state == "pending":
                    return b""
                if state == "timeout":  # wasmtime: the body ends with the error
                    frames.clear()
                    self.body.trailers = None
                    self.body.error = ErrorCode("connection-read-timeout")
            if not frames:
                if self.body.error is not None:
                    err, self.body.error = self.body.error, None
                    self.failure = HttpStreamError(err)  # type: ignore[assignment]
                    return b""
                return None
            frame = memoryview(frames.pop(0))
        chunk = frame[:n]
        rest = frame[len(chunk):]
        self._frame = rest if len(rest) else None
        return bytes(chunk)


class FutureTrailersRep(_Parent):
    """``HostFutureTrailers``: ready when the body's stream is done (or was never taken:
    the rest of the body is skipped); ``get`` once, then consumed."""

    def __init__(self, body: IncomingBodyRep) -> None:
        self.body = body
        self.consumed = False
        self.call: Any = None
        self.name = f"future-trailers of {body.name}"

    def is_ready(self) -> bool:
        return True


class IncomingRequestRep(_Parent):
    """``HostIncomingRequest`` made by the test (``golem.http.incoming``)."""

    def __init__(self, method: Any, scheme: Any, authority: str, path_with_query: str | None,
                 headers: FieldMap, body: IncomingBodyRep) -> None:
        self.method = method
        self.scheme = scheme
        self.authority = authority
        self.path_with_query = path_with_query
        self.headers = headers
        self.body: IncomingBodyRep | None = body
        self.name = f"incoming-request#{next(_ids)}"


class ResponseOutparamRep:
    """``HostResponseOutparam``: where the worker's ``response-outparam.set`` puts the
    response (:attr:`result`: an :class:`OutgoingResponseRep` or an :class:`ErrorCode`)."""

    def __init__(self) -> None:
        self.result: Any = None
        self.set = False


class OutgoingResponseRep(_Parent):
    """``HostOutgoingResponse``: status 200 until set, headers moved in, one body."""

    def __init__(self, headers: FieldMap) -> None:
        self.status = 200
        self.headers = headers
        self.body: OutgoingBodyRep | None = None
        self.name = f"outgoing-response#{next(_ids)}"
