"""Behaviour of ``golem:api/context@1.1.7`` — every function and both resources.

Semantics: ``golem-host-semantics.md`` §12, from Golem's
``golem-worker-executor/src/durable_host/golem/invocation_context_api.rs`` (the host functions),
the ``InvocationContextManagement`` impl in ``golem-worker-executor/src/durable_host/mod.rs``
(start/finish span, attributes), ``InvocationContext`` in ``golem-worker-executor/src/model/mod.rs``
(span map, ``Span <id> not found``) and ``golem-common/src/model/invocation_context.rs`` (spans,
ids, attribute lookup). The state is the calling worker's
:class:`~golem_fakes.state.context.WorkerContext` (``WorkerRuntime.context``).

* ``span`` reps are :class:`~golem_fakes.state.context.SpanHandle` (the span id, like Golem's
  ``SpanEntry``); every method looks the span up again. Dropping the resource finishes the span
  as ``finish`` does (so ``finish`` then drop writes two ``finish-span`` entries, no trap).
* ``invocation-context`` reps are :class:`~golem_fakes.state.context.ContextSnapshot` (trace id
  and span when taken): ``trace-id``, ``span-id``, ``parent`` answer from it even after the
  span finished; the attribute functions and ``trace-context-headers`` look the span up and
  trap ``Span <id> not found`` once it is finished.
* Recorded: ``start-span`` and ``finish-span`` (appended and committed, v1.3.1), one
  ``set-span-attribute`` per attribute (buffered). Not recorded: ``current-context``, the
  ``invocation-context`` methods, ``started-at``, ``allow-forwarding-trace-context-headers``.
* Failures trap (:class:`golem_fakes.Trap`) with Golem's message.
"""

from __future__ import annotations

from typing import Any

from golem_fakes.bindings.registry import implements
from golem_fakes.bindings.runtime import NotFaked, Trap
from golem_fakes.state.context import (ContextSnapshot, SpanHandle, SpanNotFound,
                                       WorkerContext)
from golem_fakes.state.golem import Golem
from golem_fakes.state.invocation import Invocation, current_invocation

CONTEXT = "golem:api/context@1.1.7"


def _trap(message: str, function: str) -> Trap:
    return Trap(message, interface=CONTEXT, function=function)


def _context(env: Any, function: str) -> WorkerContext:
    """The calling worker's context with the current invocation's stack switched in
    (built on first use, :meth:`WorkerContext.enter`)."""
    inv = current_invocation.get()
    if inv is None or inv.golem is not env:
        if not isinstance(env, Golem):
            raise NotFaked(
                f"{CONTEXT}#{function} needs a golem_fakes.Golem environment (workers, "
                f"invocations, oplog), but the current environment is {env!r}. Use `with "
                f"golem_fakes.Golem():` or override it with env.implement({CONTEXT!r}, "
                f"{function!r}, ...).", interface=CONTEXT, function=function)
        raise NotFaked(
            f"{CONTEXT}#{function} was called with {env!r} current but outside any invocation "
            f"of it in this thread/task; enter it with `with golem:` / golem.run_as(...) / "
            f"golem.invoke(...)", interface=CONTEXT, function=function)
    if type(inv) is not Invocation:
        inv = inv.resolve()  # type: ignore[union-attr]
    rt = inv.runtime
    ctx = rt.context
    if ctx is None:
        ctx = rt.context = WorkerContext(env.seed, str(inv.worker), rt.oplog)
    ctx.enter(inv)
    return ctx


def _value(v: Any) -> str:
    """The string of a lowered ``attribute-value`` (its only case, ``string``)."""
    return v.value


# --- functions -------------------------------------------------------------------------


@implements(CONTEXT, "start-span")
def start_span(env: Golem, name: str) -> SpanHandle:
    """A child of the current span with attribute ``name``, made current; appends and
    commits ``start-span``. Traps ``Runtime error: Span <id> not found`` if the current
    span was finished while a child of it was current (then finished too)."""
    ctx = _context(env, "start-span")
    try:
        span = ctx.start_span({"name": name})
    except SpanNotFound as e:
        raise _trap(str(e), "start-span") from None
    return SpanHandle(ctx, span.span_id)


@implements(CONTEXT, "current-context")
def current_context(env: Golem) -> ContextSnapshot:
    """A snapshot of the current span with the worker's trace id (not recorded); traps
    ``Span <id> not found`` if the current span is no longer live."""
    ctx = _context(env, "current-context")
    try:
        span = ctx.get(ctx.current)
    except SpanNotFound as e:
        raise _trap(str(e), "current-context") from None
    return ContextSnapshot(ctx, ctx.trace_id, span)


@implements(CONTEXT, "allow-forwarding-trace-context-headers")
def allow_forwarding_trace_context_headers(env: Golem, allow: bool) -> bool:
    """Sets the worker's flag (default true; outgoing HTTP would forward
    ``traceparent``/``tracestate`` while it is set) and returns the previous value. Not
    recorded."""
    ctx = _context(env, "allow-forwarding-trace-context-headers")
    previous = ctx.forward_trace_context_headers
    ctx.forward_trace_context_headers = allow
    return previous


# --- span ----------------------------------------------------------------------------


@implements(CONTEXT, "[method]span.started-at")
def span_started_at(env: Any, rep: SpanHandle) -> dict[str, int]:
    """The span's start, millisecond precision; traps ``Span <id> not found`` once the
    span is finished."""
    try:
        span = rep.context.get(rep.span_id)
    except SpanNotFound as e:
        raise _trap(str(e), "[method]span.started-at") from None
    if span.start is None:
        raise _trap("Span has no start timestamp", "[method]span.started-at")
    ms = span.start
    return {"seconds": ms // 1000, "nanoseconds": (ms % 1000) * 1_000_000}


@implements(CONTEXT, "[method]span.set-attribute")
def span_set_attribute(env: Any, rep: SpanHandle, name: str, value: Any) -> None:
    """Sets the attribute and appends ``set-span-attribute``; traps ``Runtime error:
    Span <id> not found`` once the span is finished."""
    try:
        rep.context.set_attribute(rep.span_id, name, _value(value))
    except SpanNotFound as e:
        raise _trap(str(e), "[method]span.set-attribute") from None


@implements(CONTEXT, "[method]span.set-attributes")
def span_set_attributes(env: Any, rep: SpanHandle, attributes: list[Any]) -> None:
    """``set-attribute`` for each attribute in order (one entry each); on a finished
    span the first one traps ``Runtime error: Span <id> not found``."""
    ctx = rep.context
    try:
        for a in attributes:
            ctx.set_attribute(rep.span_id, a.key, _value(a.value))
    except SpanNotFound as e:
        raise _trap(str(e), "[method]span.set-attributes") from None


@implements(CONTEXT, "[method]span.finish")
def span_finish(env: Any, rep: SpanHandle) -> None:
    """Finishes the span: appends and commits ``finish-span`` (also when it was
    finished already); its parent becomes current if it was current. Never traps."""
    rep.context.finish_span(rep.span_id)


@implements(CONTEXT, "[resource-drop]span")
def span_drop(env: Any, rep: SpanHandle) -> None:
    """Dropping a span finishes it exactly as ``finish`` does (Golem's ``HostSpan::drop``),
    also after an explicit ``finish`` (a second ``finish-span`` entry)."""
    rep.context.finish_span(rep.span_id)


# --- invocation-context --------------------------------------------------------------


def _live_span(rep: ContextSnapshot, function: str) -> Any:
    try:
        return rep.context.get(rep.span.span_id)
    except SpanNotFound as e:
        raise _trap(str(e), function) from None


@implements(CONTEXT, "[method]invocation-context.trace-id")
def ic_trace_id(env: Any, rep: ContextSnapshot) -> str:
    """The trace id of the snapshot (32 lowercase hex digits)."""
    return rep.trace_id


@implements(CONTEXT, "[method]invocation-context.span-id")
def ic_span_id(env: Any, rep: ContextSnapshot) -> str:
    """The snapshot's span id (16 lowercase hex digits), also after it finished."""
    return rep.span.span_id


@implements(CONTEXT, "[method]invocation-context.parent")
def ic_parent(env: Any, rep: ContextSnapshot) -> ContextSnapshot | None:
    """A snapshot of the span's parent (same trace id), ``None`` at the root."""
    parent = rep.span.parent
    return None if parent is None else ContextSnapshot(rep.context, rep.trace_id, parent)


@implements(CONTEXT, "[method]invocation-context.get-attribute")
def ic_get_attribute(env: Any, rep: ContextSnapshot, key: str, inherited: bool) -> Any:
    """This span's value of ``key``; with ``inherited`` the linked context's, then the
    parents' (innermost wins). Traps ``Span <id> not found`` once finished."""
    value = _live_span(rep, "[method]invocation-context.get-attribute").get_attribute(key, inherited)
    return None if value is None else ("string", value)


@implements(CONTEXT, "[method]invocation-context.get-attributes")
def ic_get_attributes(env: Any, rep: ContextSnapshot, inherited: bool) -> list[dict[str, Any]]:
    """One attribute per key (its innermost value)."""
    attrs = _live_span(rep, "[method]invocation-context.get-attributes").get_attributes(inherited)
    return [{"key": k, "value": ("string", vs[0])} for k, vs in attrs.items() if vs]


@implements(CONTEXT, "[method]invocation-context.get-attribute-chain")
def ic_get_attribute_chain(env: Any, rep: ContextSnapshot, key: str) -> list[Any]:
    """Every value of ``key`` up the chain, innermost first; ``[]`` if absent."""
    chain = _live_span(rep, "[method]invocation-context.get-attribute-chain").get_attribute_chain(key)
    return [("string", v) for v in chain]


@implements(CONTEXT, "[method]invocation-context.get-attribute-chains")
def ic_get_attribute_chains(env: Any, rep: ContextSnapshot) -> list[dict[str, Any]]:
    """Every key with its chain (``get_attributes(inherited = true)``)."""
    attrs = _live_span(rep, "[method]invocation-context.get-attribute-chains").get_attributes(True)
    return [{"key": k, "values": [("string", v) for v in vs]} for k, vs in attrs.items()]


@implements(CONTEXT, "[method]invocation-context.trace-context-headers")
def ic_trace_context_headers(env: Any, rep: ContextSnapshot) -> list[tuple[str, str]]:
    """``traceparent`` = ``00-<trace id>-<span id>-00`` (the worker's current trace id and
    this span), ``tracestate`` only if there are trace states."""
    fn = "[method]invocation-context.trace-context-headers"
    try:
        return rep.context.trace_context_headers(rep.span.span_id)
    except SpanNotFound as e:
        raise _trap(str(e), fn) from None
