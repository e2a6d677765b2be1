"""Behaviour of ``wasi:http@0.2.3``: ``types`` and ``outgoing-handler``.

The resources follow wasmtime 33's wasi-http host (``crates/wasi-http/src/types_impl.rs``,
``types.rs``, ``body.rs``, ``http_impl.rs`` at v33.0.0), which Golem v1.3.0-dev.25 links
and wraps with its durability (``golem-worker-executor/src/durable_host/http/``,
``durable_host/io/streams.rs``; ``docs/golem-io-semantics.md`` §5.8). Requests go to
the Golem's stub router ``golem.http`` (:mod:`golem_fakes.state.http`) instead of the
network.

Durability, as Golem records an outgoing request (:class:`HttpCall`):

* ``outgoing-handler.handle`` appends and commits ``begin-remote-write`` (the
  ``WriteRemoteBatched(None)`` begin, whatever the idempotence mode), starts a span
  ``outgoing-http-request`` (attributes ``request.uri``, ``request.method``; a
  ``start-span`` entry), sets ``traceparent``/``tracestate`` from it (while
  ``allow-forwarding-trace-context-headers`` is on) and an ``idempotency-key`` header
  (``IdempotencyKey::derived(invocation key, begin index)``) unless the guest set one.
* every ``future-incoming-response.get`` — also one that finds the response still
  pending — is recorded as ``http::types::future_incoming_response::get`` with
  ``durable_function_type`` ``("write-remote-batched", begin)`` and committed; the
  request payload is Golem's ``SerializableHttpRequest`` (``uri`` = authority + path,
  ``method``, ``headers``: a map, so one value per name, without the idempotency key),
  the response its ``SerializableResponse`` (``pending``, ``headers-received`` with
  ``status`` and a header map, ``http-error``, ``internal-error``).
* every ``read`` / ``blocking-read`` / ``skip`` / ``blocking-skip`` of the response
  body stream is recorded as ``http::types::incoming_body_stream::<name>`` (same type)
  and committed.
* the request is closed — ``end-remote-write`` (committed) and ``finish-span`` — when
  the resource that owns it goes: the future if no response was taken, else the
  response, else its body (dropped or finished), else the body stream (dropped, or a
  read that returned ``closed``).
* on replay nothing is sent: ``handle`` reads the begin and makes a *deferred* request;
  ``get`` and body reads return what was recorded (a recorded response's body is
  Golem's failing stream ``Body stream was interrupted due to a restart``, only
  reached by reads beyond the recorded ones). If the oplog has no ``end-remote-write``
  for the begin — or one only after another remote write or the invocation's end
  (``no_concurrent_side_effect``) — the worker switches to live at once, a ``jump``
  deletes the rest of the oplog, and the deferred request is sent for real on its first
  ``get`` (which returns ``none``, recorded as pending): the request is sent again.
  With idempotence off it traps ``Non-idempotent remote write operation was not
  completed, cannot retry`` instead.
* ``future-trailers.get`` is recorded by Golem only when an open request is keyed by
  the trailers' own handle (``open_http_requests.get(&self_.rep())``), which happens
  only by a coincidence of handle numbers: golem-fakes never records it.
"""

from __future__ import annotations

from typing import Any

from golem_fakes.bindings.result import Err, Ok
from golem_fakes.bindings.runtime import Trap

__all__ = ["TYPES", "OUTGOING_HANDLER", "HttpCall", "router_of", "GET_NAME",
           "BODY_READ_NAMES", "BATCHED"]

TYPES = "wasi:http/types@0.2.3"
OUTGOING_HANDLER = "wasi:http/outgoing-handler@0.2.3"
GET_NAME = "http::types::future_incoming_response::get"
BODY_READ_NAMES = {
    "read": "http::types::incoming_body_stream::read",
    "blocking-read": "http::types::incoming_body_stream::blocking_read",
    "skip": "http::types::incoming_body_stream::skip",
    "blocking-skip": "http::types::incoming_body_stream::blocking_skip",
}
BATCHED = "write-remote-batched"
#: Golem's replayed response body (``SerializableResponseHeaders`` →
#: ``HostIncomingBody::failing``, ``durable_host/http/serialized.rs``).
REPLAYED_BODY_FAILURE = "Body stream was interrupted due to a restart"


def router_of(env: Any, function: str, interface: str = OUTGOING_HANDLER) -> Any:
    """``golem.http`` of the current Golem (``NotFaked`` for a bare Environment)."""
    from golem_fakes.interfaces import golem_state
    from golem_fakes.state.http import HttpStubs

    return golem_state(env, "http", HttpStubs, interface, function)


def _invocation(env: Any) -> Any:
    from golem_fakes.state.invocation import Invocation, current_invocation

    inv = current_invocation.get()
    if inv is None or getattr(inv, "golem", None) is not env:
        return None
    return inv if type(inv) is Invocation else inv.resolve()


class HttpCall:
    """One outgoing request's durable state (Golem's ``HttpRequestState``): the begin
    index, the ``SerializableHttpRequest`` payload, the span, which resource closes
    it (``owner``: ``"future"``, ``"response"``, ``"body"``, ``"stream"``)."""

    __slots__ = ("rt", "begin", "request", "span_id", "owner", "ended", "ctx", "instance")

    def __init__(self, rt: Any, begin: int, request: dict[str, Any], span_id: str | None,
                 ctx: Any, instance: Any = None) -> None:
        self.rt = rt
        #: the worker instance that made the request: once it is lost (a crash, an
        #: interrupt) its resources are dropped without anything being recorded
        self.instance = instance
        self.begin = begin
        self.request = request
        self.span_id = span_id
        self.ctx = ctx
        self.owner = "future"
        self.ended = False

    @property
    def dtype(self) -> tuple[str, int]:
        return (BATCHED, self.begin)

    def hand_over(self, owner: str) -> None:
        """``continue_http_request``: another resource now closes the request."""
        self.owner = owner

    def close(self, owner: str) -> None:
        """``end_http_request`` if ``owner`` closes the request: ``end-remote-write``
        (read in replay) and the commit, then ``finish-span``."""
        if self.ended or self.owner != owner:
            return
        if self.instance is not None and self.instance.dropped:
            return  # the executor lost the instance: nothing is written
        self.ended = True
        rt = self.rt
        rt.oplog.append("end-remote-write", begin_index=self.begin)
        rt.oplog.commit()
        if self.span_id is not None and self.ctx is not None:
            self.ctx.finish_span(self.span_id)

    def replaying(self) -> Any:
        """The replay in progress (``None``: live)."""
        rt = self.rt
        return rt.replay

    def record(self, name: str, response: Any, guest: Any) -> None:
        """Append and commit one recorded call (the caller then finishes the host call
        and calls :meth:`tick`)."""
        rt = self.rt
        rt.oplog.record(name, self.request, response, self.dtype, guest)
        rt.oplog.commit()

    def tick(self) -> None:
        """The recorded host call completed: count it for an armed crash
        (``golem.crash(..., after=N)``)."""
        rt = self.rt
        if rt.crash_in is not None and rt.replay is None:
            from golem_fakes.interfaces import crash_tick

            crash_tick(rt)


def body_read(call: HttpCall, kind: str, compute: Any, persist_nothing: bool) -> Any:
    """A durable read/skip of a response body stream (Golem's ``HostInputStream`` for
    ``is_incoming_http_body_stream``): recorded live, answered from the oplog in
    replay; a ``closed`` result closes the request if the stream owns it."""
    name = BODY_READ_NAMES[kind]
    replay = call.replaying()
    if replay is not None and not persist_nothing:
        e = replay.take_call(name, call.request)
        from golem_fakes.worker.replay import guest_value

        result = guest_value(e)
    else:
        result = compute()
        call.record(name, result, result)
    if isinstance(result, Err) and result.value == "closed":
        call.close("stream")
    if replay is None or persist_nothing:
        call.tick()
    return result


def persist_nothing(rt: Any) -> bool:
    return rt is not None and rt.persistence_level == "persist-nothing"


def trap(message: str, function: str, interface: str = TYPES) -> Trap:
    return Trap(message, interface=interface, function=function)


def ok_unit() -> Ok:
    return Ok(None)


def err_unit() -> Err:
    return Err(None)
