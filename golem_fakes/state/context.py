"""Invocation contexts and spans of ``golem:api/context@1.1.7`` (semantics §12).

Golem keeps, per worker instance, an ``InvocationContext`` (``golem-worker-executor/src/model/mod.rs``):
the current trace id and trace states, a map of the *live* spans by id, a root span, and the id
of the current span (``current_span_id`` in ``PrivateDurableWorkerState``,
``golem-worker-executor/src/durable_host/mod.rs``). Spans (``InvocationContextSpan``,
``golem-common/src/model/invocation_context.rs``) are local (id, start, parent, attributes,
optional linked context, ``inherited`` flag) or external parents (an id only).

Each invocation (``invoke_exported_function_with_context`` / ``extend_invocation_context``,
``golem-worker-executor/src/worker/invocation_loop.rs``) takes the caller's context — without
one, ``InvocationContextStack::fresh()``: a v4-UUID trace id and one local root span — pushes
an *invocation* span (attributes ``name = "invoke-exported-function"``, ``idempotency_key``,
``function_name``, ``worker_id``) and switches the worker to it (``switch_to``: open spans of
earlier invocations stay); the stack is stored in the ``exported-function-invoked`` entry
(``trace_id``, ``trace_states``, ``invocation_context``: the chain innermost first). When the
invocation ends its own (local and inherited) spans are removed from the map without a
``finish-span`` entry (``remove_span``).

golem-fakes' invocations have no incoming trace context (a caller without ``traceparent``), so
each starts a fresh trace. Ids are not random: they are derived with BLAKE2b from the Golem's
seed, the worker and the oplog index of the entry that creates them (the invocation's
``exported-function-invoked``, a ``start-span``), so they are the same in every process and do
not depend on when they are first looked at. That lets :meth:`WorkerContext.enter` build the
worker's context only when the invocation first uses the context API, with the ids (and
timestamps) of the invocation's oplog entry, exactly as if it had been built when the
invocation began.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Iterable

if TYPE_CHECKING:  # pragma: no cover
    from golem_fakes.state.invocation import Invocation
    from golem_fakes.state.oplog import Oplog

__all__ = ["Span", "SpanRecord", "WorkerContext", "ContextSnapshot", "SpanHandle",
           "SpanNotFound", "derived_id", "invoked_payload", "spans_of"]


class SpanNotFound(LookupError):
    """A span id that is not (any more) in the worker's span map. ``str()`` is Golem's
    ``Span <id> not found`` (``InvocationContext::span``, ``golem-worker-executor/src/model/mod.rs``)."""


def derived_id(seed: int, worker: str, index: int, what: str, hex_digits: int) -> str:
    """A deterministic id for ``what`` created by the oplog entry ``index`` of ``worker``:
    lowercase hex, non-zero. ``hex_digits`` 32 gives a v4-UUID-shaped trace id
    (``TraceId::generate`` is ``Uuid::new_v4().as_u128()``), 16 a span id (Golem XORs the
    halves of a v4 UUID and retries on zero, ``SpanId::generate``)."""
    counter = 0
    while True:
        d = hashlib.blake2b(f"golem-fakes/context/{seed}/{worker}/{index}/{what}/{counter}".encode(),
                            digest_size=16).digest()
        if hex_digits == 32:
            return uuid.UUID(bytes=d, version=4).hex
        n = int.from_bytes(d[:8], "big") ^ int.from_bytes(d[8:], "big")
        if n:
            return f"{n:016x}"
        counter += 1  # pragma: no cover - a zero XOR is a 2**-64 event


def invoked_payload(seed: int, worker: Any, function: str, key: str, index: int,
                    timestamp: int) -> dict[str, Any]:
    """The payload of the ``exported-function-invoked`` entry at ``index`` (``timestamp``
    epoch ms): ``function_name``, ``idempotency_key``, ``trace_id``, ``trace_states`` and
    ``invocation_context`` — the invocation's stack innermost first as ``local-span-data``
    dicts (WIT field names of ``golem:api/oplog@1.1.7``: ``span_id``, ``start`` (epoch ms),
    ``parent``, ``linked_context``, ``attributes`` (key → string value), ``inherited``): the
    invocation span, then the fresh root span. ``worker``: the worker (its ``str`` is
    ``<component-uuid>/<worker-name>``, the ``worker_id`` attribute)."""
    worker = str(worker)
    root = derived_id(seed, worker, index, "root-span", 16)
    span = derived_id(seed, worker, index, "invocation-span", 16)
    return {
        "function_name": function, "idempotency_key": key,
        "trace_id": derived_id(seed, worker, index, "trace", 32), "trace_states": [],
        "invocation_context": [
            {"span_id": span, "start": timestamp, "parent": root, "linked_context": None,
             "attributes": {"name": "invoke-exported-function", "idempotency_key": key,
                            "function_name": function, "worker_id": worker},
             "inherited": False},
            {"span_id": root, "start": timestamp, "parent": None, "linked_context": None,
             "attributes": {}, "inherited": False},
        ],
    }


@dataclass(eq=False, slots=True)
class Span:
    """A local span (``InvocationContextSpan::Local``): ``start`` in epoch ms, attribute
    values are strings (``attribute-value`` has the one case ``string``). ``external``
    marks an ``ExternalParent`` span (id only; it ends every attribute walk)."""

    span_id: str
    start: int | None
    parent: "Span | None" = None
    attributes: dict[str, str] = field(default_factory=dict)
    linked_context: "Span | None" = None
    inherited: bool = False
    external: bool = False

    def get_attribute(self, key: str, inherit: bool) -> str | None:
        """``InvocationContextSpan::get_attribute``: this span; with ``inherit``, then its
        linked context (that span only), then up the parent chain; an external span ends
        the walk."""
        current: Span | None = self
        while current is not None and not current.external:
            value = current.attributes.get(key)
            if value is not None:
                return value
            if not inherit:
                return None
            link = current.linked_context
            if link is not None:
                value = link.get_attribute(key, False)
                if value is not None:
                    return value
            current = current.parent
        return None

    def get_attribute_chain(self, key: str) -> list[str]:
        """``get_attribute_chain``: every value of ``key`` from this span up the parent
        chain (each span's own, then its linked context's), innermost first; ``[]`` if
        none (Golem's ``None``, ``unwrap_or_default`` in the host function)."""
        out: list[str] = []
        current: Span | None = self
        while current is not None and not current.external:
            value = current.attributes.get(key)
            if value is not None:
                out.append(value)
            link = current.linked_context
            if link is not None:
                value = link.get_attribute(key, False)
                if value is not None:
                    out.append(value)
            current = current.parent
        return out

    def get_attributes(self, inherit: bool) -> dict[str, list[str]]:
        """``get_attributes``: key → values innermost first (only this span's without
        ``inherit``; with it also linked contexts' own and the parent chain's). Golem
        returns a ``HashMap`` (unspecified order); golem-fakes keeps first-seen order."""
        out: dict[str, list[str]] = {}
        current: Span | None = self
        while current is not None and not current.external:
            for k, v in current.attributes.items():
                out.setdefault(k, []).append(v)
            if not inherit:
                break
            link = current.linked_context
            if link is not None:
                for k, vs in link.get_attributes(False).items():
                    out.setdefault(k, []).extend(vs)
            current = current.parent
        return out


class WorkerContext:
    """A worker's invocation context (Golem's ``InvocationContext`` plus
    ``current_span_id`` and ``forward_trace_context_headers``), kept in its
    :class:`~golem_fakes.state.invocation.WorkerRuntime` for as long as the worker lives."""

    __slots__ = ("seed", "worker", "oplog", "trace_id", "trace_states", "spans", "root",
                 "current", "forward_trace_context_headers", "invocation", "_invocation_spans")

    def __init__(self, seed: int, worker: str, oplog: "Oplog") -> None:
        self.seed = seed
        #: ``<component-uuid>/<worker-name>``.
        self.worker = worker
        self.oplog = oplog
        self.trace_id = ""
        self.trace_states: list[str] = []
        #: The live spans by id (finished and removed ones are gone).
        self.spans: dict[str, Span] = {}
        self.root: Span | None = None
        #: Id of the current span.
        self.current = ""
        #: ``allow-forwarding-trace-context-headers`` flag (default true, never recorded).
        self.forward_trace_context_headers = True
        #: The invocation whose stack is switched in, and its spans to remove at its end.
        self.invocation: Invocation | None = None
        self._invocation_spans: tuple[str, ...] = ()

    # --- invocations ------------------------------------------------------------

    def enter(self, inv: "Invocation") -> None:
        """Make ``inv``'s context current if it is not yet: the spans of the invocation
        before it are removed (Golem removes them when that invocation ends; nothing can
        observe the map in between), ``inv``'s stack is rebuilt from its
        ``exported-function-invoked`` entry and switched in, its invocation span is
        current (``set_current_invocation_context``)."""
        if self.invocation is inv:
            return
        for sid in self._invocation_spans:
            self.spans.pop(sid, None)
        entry = self.oplog[inv.start_index]
        chain = entry["invocation_context"]
        built: list[Span] = []
        for data in reversed(chain):  # root first, so parents exist
            span = Span(data["span_id"], data["start"], built[-1] if built else None,
                        dict(data["attributes"]), None, data["inherited"])
            built.append(span)
        self.trace_id = entry["trace_id"]
        self.trace_states = list(entry["trace_states"])
        for span in built:
            self.spans.setdefault(span.span_id, span)
        self.root = built[0]
        self.current = built[-1].span_id
        self.invocation = inv
        self._invocation_spans = tuple(s.span_id for s in built)

    # --- spans -------------------------------------------------------------------

    def get(self, span_id: str) -> Span:
        """The live span ``span_id`` or :class:`SpanNotFound` (``Span <id> not found``)."""
        span = self.spans.get(span_id)
        if span is None:
            raise SpanNotFound(f"Span {span_id} not found")
        return span

    def start_span(self, attributes: dict[str, str], activate: bool = True) -> Span:
        """``InvocationContextManagement::start_span`` (live): a child of the current span,
        made current (``activate``; v1.3.1 starts the spans of outgoing HTTP requests and
        RPC connections with ``activate = false``, so that concurrent requests ending in
        any order never leave a finished span current — dev.25 activated them all and
        its next span then trapped ``Span not found``:
        ``durable_host/http/outgoing_http.rs``, ``wasm_rpc/mod.rs``
        ``create_rpc_connection_span``); appends and commits ``start-span`` (``span_id``, ``parent`` = the
        current span, ``linked_context`` None, ``attributes``) timestamped with the span's
        start (v1.3.1 ``add_and_commit_oplog``; dev.25 only buffers it, ``oplog.add``). A
        current span that was removed traps ``Runtime error: Span <id> not found``
        (``WorkerExecutorError::runtime``)."""
        try:
            parent = self.get(self.current)
        except SpanNotFound as e:
            raise SpanNotFound(f"Runtime error: {e}") from None
        oplog = self.oplog
        start = oplog.now()
        span_id = derived_id(self.seed, self.worker, oplog.current_index + 1, "span", 16)
        span = Span(span_id, start, parent, dict(attributes))
        self.spans[span_id] = span
        entry = oplog.append("start-span", span_id=span_id, parent=parent.span_id,
                             linked_context=None, attributes=dict(attributes))
        entry.timestamp = start
        oplog.commit()
        if activate:
            self.current = span_id
        return span

    def set_attribute(self, span_id: str, key: str, value: str) -> None:
        """``set_span_attribute`` (live): updates the span, appends (buffered)
        ``set-span-attribute`` (``span_id``, ``key``, ``value``); a finished span traps
        ``Runtime error: Span <id> not found``."""
        try:
            span = self.get(span_id)
        except SpanNotFound as e:
            raise SpanNotFound(f"Runtime error: {e}") from None
        span.attributes[key] = value
        self.oplog.append("set-span-attribute", span_id=span_id, key=key, value=value)

    def finish_span(self, span_id: str) -> None:
        """``finish_span`` (live): appends and commits (v1.3.1; dev.25 buffers)
        ``finish-span`` (``span_id``) — even for a span
        already finished, so ``finish`` then drop writes two — and, if the span is the
        current one, makes its parent (else the root) current; removes it from the map.
        Never fails."""
        self.oplog.append("finish-span", span_id=span_id)
        self.oplog.commit()
        if self.current == span_id:
            span = self.spans.get(span_id)
            parent = span.parent if span is not None else None
            self.current = (parent.span_id if parent is not None
                            else self.root.span_id if self.root is not None else "")
        self.spans.pop(span_id, None)

    def stack(self, span_id: str) -> list[Span]:
        """``get_stack``: the span and its parents, innermost first (trap if not live)."""
        out = []
        current: Span | None = self.get(span_id)
        while current is not None:
            out.append(current)
            current = current.parent
        return out

    def trace_context_headers(self, span_id: str) -> list[tuple[str, str]]:
        """``TraceContextHeaders::from_invocation_context(get_stack(span))
        .to_raw_headers_map()`` (``golem-service-base/src/headers.rs``): ``traceparent =
        "00-<trace id>-<span id>-00"`` (the worker's current trace id), plus ``tracestate``
        (trace states joined with ``,``) only if there are any."""
        stack = self.stack(span_id)
        headers = [("traceparent", f"00-{self.trace_id}-{stack[0].span_id}-00")]
        if self.trace_states:
            headers.append(("tracestate", ",".join(self.trace_states)))
        return headers


@dataclass(eq=False, slots=True)
class SpanHandle:
    """Rep of a ``span`` resource (Golem's ``SpanEntry``: the span id only)."""

    context: WorkerContext
    span_id: str


@dataclass(eq=False, slots=True)
class ContextSnapshot:
    """Rep of an ``invocation-context`` resource (``InvocationContextEntry``): the trace id
    and the span as they were when ``current-context`` (or ``parent``) made it."""

    context: WorkerContext
    trace_id: str
    span: Span


@dataclass(eq=False)
class SpanRecord:
    """One span of a worker as its oplog records it (:meth:`golem_fakes.Golem.spans`):
    ``started_at`` / ``finished_at`` epoch ms (``finished_at`` of an invocation's own spans
    is its ``exported-function-completed``, as Golem's oplog processors assume; ``None``
    while open), ``name`` the ``name`` attribute (``None`` for a root span)."""

    span_id: str
    parent: str | None
    name: str | None
    attributes: dict[str, str]
    started_at: int
    finished_at: int | None = None
    #: The index of the entry that started it.
    oplog_index: int = 0


def spans_of(entries: Iterable[Any]) -> list[SpanRecord]:
    """The spans recorded in an oplog, in the order they started: each invocation's
    (from its ``exported-function-invoked`` entry: invocation span, then root) and every
    ``start-span``, with ``set-span-attribute`` applied and the first ``finish-span`` as
    ``finished_at``."""
    out: list[SpanRecord] = []
    by_id: dict[str, SpanRecord] = {}
    running: list[SpanRecord] = []
    for e in entries:
        kind = e.kind
        if kind == "exported-function-invoked":
            running = []
            for data in e.payload.get("invocation_context", ()):
                if data.get("inherited"):
                    continue
                r = SpanRecord(data["span_id"], data["parent"], data["attributes"].get("name"),
                               dict(data["attributes"]), data["start"], None, e.index)
                running.append(r)
            for r in reversed(running):  # root first: it started the invocation
                out.append(r)
                by_id[r.span_id] = r
        elif kind == "exported-function-completed":
            for r in running:
                r.finished_at = e.timestamp
            running = []
        elif kind == "start-span":
            r = SpanRecord(e["span_id"], e["parent"], e["attributes"].get("name"),
                           dict(e["attributes"]), e.timestamp, None, e.index)
            out.append(r)
            by_id[r.span_id] = r
        elif kind == "set-span-attribute":
            r = by_id.get(e["span_id"])
            if r is not None:
                r.attributes[e["key"]] = e["value"]
                if e["key"] == "name":
                    r.name = e["value"]
        elif kind == "finish-span":
            r = by_id.get(e["span_id"])
            if r is not None and r.finished_at is None:
                r.finished_at = e.timestamp
    return out
