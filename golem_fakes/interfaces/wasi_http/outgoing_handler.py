"""Behaviour of ``wasi:http/outgoing-handler@0.2.3``: ``handle``.

Golem's ``handle`` (``durable_host/http/outgoing_http.rs`` at v1.3.0-dev.25) around
wasmtime 33's (``crates/wasi-http/src/http_impl.rs``), with the request going to the
Golem's stub router ``golem.http`` (:class:`~golem_fakes.state.http.HttpStubs`):

1. ``begin-remote-write`` (appended and committed; in replay: read, and the request is
   re-sent live if its end was never recorded — see :mod:`golem_fakes.interfaces.wasi_http`);
2. a span ``outgoing-http-request`` (``request.uri`` = authority + path-with-query,
   ``request.method``); ``traceparent`` (and ``tracestate``) from it replace the
   guest's while trace-context forwarding is allowed; ``idempotency-key`` =
   ``IdempotencyKey::derived(invocation key, begin index)`` unless the guest set one;
3. wasmtime: the request resource is consumed (``resource has children`` while a view
   of its headers is alive); the timeouts come from the options (600 s each by
   default); a scheme other than http/https is ``HTTP-protocol-error``, a missing or
   empty authority ``HTTP-request-URI-invalid`` (Golem then writes ``end-remote-write``
   at once and leaves the span open, as its error path does); a ``host`` header with
   the authority comes first. The request is *sent* (handed to the router) once its
   body is finished (at once without a body): the response is ready at the virtual
   instant the stub's delays say; ``first-byte-timeout`` / ``connect-timeout`` shorter
   than them give ``connection-read-timeout`` / ``connection-timeout`` at the timeout.
   An aborted body (dropped unfinished, or ``finish`` with a wrong length) fails the
   request with ``HTTP-protocol-error``.
"""

from __future__ import annotations

from typing import Any

from golem_fakes.bindings.registry import implements
from golem_fakes.bindings.result import Err, Ok
from golem_fakes.bindings.runtime import Trap
from golem_fakes.interfaces.wasi_http import (OUTGOING_HANDLER, HttpCall, _invocation,
                                              router_of)
from golem_fakes.interfaces.wasi_http.types import method_text, scheme_text
from golem_fakes.state.http import DEFAULT_TIMEOUT_NS, ErrorCode, Headers, HttpRequest, Response
from golem_fakes.state.http_resources import FutureResponseRep, OutgoingRequestRep, RequestOptionsRep

__all__ = ["handle"]

_NS = 1_000_000_000


def _insert(fmap: Any, name: str, value: bytes) -> None:
    """``HeaderMap::insert``: replace every value of ``name`` (in its place), or append."""
    if name in fmap:
        names = fmap._names
        fmap._values[name] = [value]
        assert name in names
    else:
        fmap.append(name, value)


def _send(env: Any, future: FutureResponseRep) -> None:
    """Hand the request to the router now; the answer is due after the stub's delays."""
    from golem_fakes.interfaces.wasi_clocks import clock_of

    req = future.request
    assert req is not None
    clock = clock_of(env, OUTGOING_HANDLER, "handle")
    now = clock.monotonic_ns()
    req.sent_at_ns = now
    body = future._body  # type: ignore[attr-defined]
    if body is not None:
        if body.state == "aborted":
            future.outcome, future.ready_at_ns = ErrorCode("HTTP-protocol-error"), now
            future.state = "sent"
            return
        req.body = body.content
        if body.trailers is not None:
            req.trailers = Headers(body.trailers.entries())
    out = router_of(env, "handle").dispatch(req)
    connect_timeout = req.connect_timeout_ns if req.connect_timeout_ns is not None else DEFAULT_TIMEOUT_NS
    first_timeout = req.first_byte_timeout_ns if req.first_byte_timeout_ns is not None else DEFAULT_TIMEOUT_NS
    at = now
    if isinstance(out, Response):
        connect = int(out.connect_delay * _NS)
        first = int(out.delay * _NS)
        if connect > connect_timeout:
            out, at = ErrorCode("connection-timeout"), now + connect_timeout
        elif first > first_timeout:
            out, at = ErrorCode("connection-read-timeout"), now + connect + first_timeout
        else:
            at = now + connect + first
    future.outcome, future.ready_at_ns, future.state = out, at, "sent"


def _begin(env: Any, inv: Any, rt: Any) -> int:
    """``begin_durable_function(WriteRemoteBatched(None))``."""
    from golem_fakes.interfaces.golem_durability.durability import _lookup_end
    from golem_fakes.worker.replay import NON_IDEMPOTENT_WRITE

    replay = rt.replay
    begin = rt.oplog.append("begin-remote-write").index
    if replay is None:
        rt.oplog.commit()
        return begin
    if not rt.idempotent:
        if _lookup_end(rt, begin, batched=False) is None:
            replay.go_live()
            raise Trap(f"{NON_IDEMPOTENT_WRITE} (wasi:http request: the oplog has its "
                       f"begin-remote-write at index {begin} and no end-remote-write)",
                       interface=OUTGOING_HANDLER, function="handle")
        return begin
    if _lookup_end(rt, begin, batched=True) is None:
        # §5.8: the request was not finished before the crash: go live at the end of
        # the oplog, delete what followed the begin with a jump, send it again.
        target = replay.replay_target
        replay.go_live()
        start, end = begin + 1, target + 1
        rt.oplog.delete_region(start, end)
        rt.oplog.append("jump", start=start, end=end)
        rt.oplog.commit()
    return begin


@implements(OUTGOING_HANDLER, "handle")
def handle(env: Any, request: Any, options: Any) -> Any:
    """Send ``request`` (see the module docstring); the future of its response."""
    from golem_fakes.interfaces.golem_api.host import derived_idempotency_key
    from golem_fakes.interfaces.wasi_clocks import clock_of

    if not isinstance(request, OutgoingRequestRep):
        raise Trap(f"outgoing-request rep {request!r} is not an OutgoingRequestRep",
                   interface=OUTGOING_HANDLER, function="handle")
    router_of(env, "handle")
    clock = clock_of(env, OUTGOING_HANDLER, "handle")
    inv = _invocation(env)
    rt = inv.runtime if inv is not None else None
    uri = (request.authority or "") + (request.path_with_query or "")
    method = method_text(request.method)
    call: HttpCall | None = None
    if rt is not None:
        begin = _begin(env, inv, rt)
        from golem_fakes.interfaces.golem_api.context import _context

        ctx = _context(env, "start-span")
        span = ctx.start_span({"name": "outgoing-http-request", "request.uri": uri,
                               "request.method": method}, activate=False)  # v1.3.1
        serial_headers: dict[str, str] = {}
        for n, v in request.headers.entries():
            serial_headers[n] = v.decode("utf-8", "replace")
        if ctx.forward_trace_context_headers:
            for n, v in ctx.trace_context_headers(span.span_id):
                _insert(request.headers, n, v.encode())
                serial_headers[n] = v
        if "idempotency-key" not in request.headers:
            key = derived_idempotency_key(inv.idempotency_key, begin)
            request.headers.append("idempotency-key", str(key).encode())
        w = inv.worker
        instance = env.__dict__.get("_instances", {}).get((w.component.name, w.name))
        call = HttpCall(rt, begin, {"uri": uri, "method": method, "headers": serial_headers},
                        span.span_id, ctx, instance)
    # wasmtime's handle: the request resource is deleted from the table
    if request.children:
        raise Trap(f"resource has children: {request.name} is consumed by handle while "
                   f"{request.children} view(s) of its headers are alive; drop them first",
                   interface=OUTGOING_HANDLER, function="handle")
    error: ErrorCode | None = None
    if isinstance(request.scheme, tuple):
        error = ErrorCode("HTTP-protocol-error")
    elif not request.authority:
        error = ErrorCode("HTTP-request-URI-invalid")
    if error is not None:
        if call is not None:  # Golem's error path: end the write, the span stays open
            rt.oplog.append("end-remote-write", begin_index=call.begin)
            rt.oplog.commit()
        return Err(error.wit())
    opts = options if isinstance(options, RequestOptionsRep) else RequestOptionsRep()
    pairs = [("host", request.authority.encode())] + request.headers.entries()
    req = HttpRequest(method=method, scheme=scheme_text(request.scheme),
                      authority=request.authority, path_with_query=request.path_with_query or "/",
                      headers=Headers(pairs), connect_timeout_ns=opts.connect,
                      first_byte_timeout_ns=opts.first_byte,
                      between_bytes_timeout_ns=opts.between_bytes,
                      worker=str(inv.worker) if inv is not None else None)
    future = FutureResponseRep(clock, req)
    future._body = request.body  # type: ignore[attr-defined]
    future.call = call
    future.send = lambda f: _dispatch_when_ready(env, f)
    if rt is not None and rt.replay is not None:
        future.state = "deferred"  # Golem's send_request in replay: nothing is sent
        return Ok(future)
    _dispatch_when_ready(env, future)
    return Ok(future)


def _dispatch_when_ready(env: Any, future: FutureResponseRep) -> None:
    """Send now if the body is complete, else when it is finished or aborted."""
    body = future._body  # type: ignore[attr-defined]
    if body is not None:
        body.sent = True
    if body is None or body.state is not None:
        _send(env, future)
        return
    body.start_reading()

    def done(_: Any) -> None:
        _send(env, future)

    body.on_done = done
