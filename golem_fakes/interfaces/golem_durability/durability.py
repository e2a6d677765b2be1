"""Behaviour of ``golem:durability/durability@1.2.1`` — every function and the
``lazy-initialized-pollable`` resource.

Semantics: ``golem-host-semantics.md`` §13 (and §0.4, §5), from Golem's
``golem-worker-executor/src/durable_host/durability.rs`` (the ``durability::Host`` and
``DurabilityHost`` impls, ``LazyInitializedPollableEntry``) and ``begin_function`` /
``end_function`` in ``golem-worker-executor/src/durable_host/mod.rs``, tag v1.3.0-dev.25;
``begin-durable-function``'s replay return value is v1.3.1's (dev.25 returned the
oplog's last index there, a bug v1.3.1 fixed: ``last_replayed_non_hint_index``). The
state is the calling worker's :class:`~golem_fakes.state.invocation.WorkerRuntime`:
``live``/``replay`` (replay mode), ``persistence_level``, ``idempotent``, its oplog,
and :attr:`~golem_fakes.state.invocation.WorkerRuntime.observed_calls`.

* **Live or replay.** A worker is live while ``runtime.replay`` is ``None``. While it is
  not, ``runtime.replay`` is the replay in progress (:mod:`golem_fakes.worker.replay`),
  used through ``next_entry()`` (the next non-hint entry to replay; a Trap when none is
  left) and, where Golem needs more, ``last_replayed_non_hint_index`` (attribute or
  method: ``begin-durable-function``'s return value), ``replay_target`` (the last index
  to replay; the oplog's last index when absent) and ``switch_to_live()`` (when absent,
  ``runtime.replay = None`` and ``runtime.live = True``). ``current-durable-execution-state``
  reports ``runtime.live``.
* **Recorded**: ``begin-remote-write`` (appended and committed) and ``end-remote-write``
  by begin/end-durable-function for write-remote with idempotence off and
  write-remote-batched(none); ``imported-function-invoked`` by both persist functions
  (never committed by them, live or not). Not recorded: observe, the state, the reads,
  the pollable.
* **Payloads.** Raw bytes are kept as they are, typed values converted as Golem does
  (:mod:`golem_fakes.state.durability`); ``golem:api/oplog`` shows typed payloads' values
  and fails (trap) on raw bytes, as Golem's public oplog does for bytes that are not a
  serialised ``ValueAndType``.
* **Failures trap** (:class:`golem_fakes.Trap`) with Golem's message; where the real
  executor aborts (a panic) or the outcome is not determined, the Trap says so. Reading a
  payload golem-fakes would have to re-encode with Golem's bincode raises
  :class:`golem_fakes.NotFaked` saying why.
"""

from __future__ import annotations

from typing import Any, NoReturn

from golem_fakes.bindings.registry import implements
from golem_fakes.bindings.runtime import NotFaked, Trap, case_name, dropped_by_collector
from golem_fakes.interfaces import current_runtime
from golem_fakes.interfaces.wasi_io.poll import is_ready, pollable_drop
from golem_fakes.state.durability import (
    Abort,
    ObservedCall,
    RawPayload,
    TypedPayload,
    type_from_wit,
    value_from_wit,
)
from golem_fakes.state.golem import Golem
from golem_fakes.state.invocation import Invocation, WorkerRuntime, current_invocation
from golem_fakes.state.oplog import OplogEntry
from golem_fakes.state.streams import PollableRep

__all__ = ["DURABILITY", "LazyPollable", "LazySubscription"]

DURABILITY = "golem:durability/durability@1.2.1"

#: ``observe_function_call``'s interface name for the pollable's own calls (durability.rs).
_LAZY_IFACE = "durability::lazy_initialized_pollable"


def _trap(message: str, function: str) -> Trap:
    return Trap(message, interface=DURABILITY, function=function)


def _runtime(env: Any, function: str) -> WorkerRuntime:
    """The calling worker's runtime (Golem runs worker code only inside an invocation)."""
    inv = current_invocation.get()
    if inv is not None and inv.golem is env:
        return (inv if type(inv) is Invocation else inv.resolve()).runtime  # type: ignore[union-attr]
    if not isinstance(env, Golem):
        raise NotFaked(
            f"{DURABILITY}#{function} needs a golem_fakes.Golem environment (the worker's "
            f"oplog and durable execution state), but the current environment is {env!r}. "
            f"Use `with golem_fakes.Golem():` or override it with "
            f"env.implement({DURABILITY!r}, {function!r}, ...).",
            interface=DURABILITY, function=function)
    raise NotFaked(
        f"{DURABILITY}#{function} was called with {env!r} current but outside any invocation "
        f"of it in this thread/task; enter it with `with golem:` / golem.run_as(...) / "
        f"golem.invoke(...)", interface=DURABILITY, function=function)


def _observe(env: Any, iface: str, function: str) -> None:
    """``record_host_function_call`` (a metric): kept in ``runtime.observed_calls`` when
    the caller runs inside an invocation of ``env``."""
    rt = current_runtime(env)
    if rt is not None:
        rt.observed_calls.append(ObservedCall(iface, function))


def _dtype(function_type: Any) -> tuple[str, Any]:
    """A lowered ``durable-function-type`` as ``(case, batched begin index or None)``."""
    name = case_name(function_type)
    return name, (function_type.value if name == "write-remote-batched" else None)


def _stored_dtype(function_type: Any) -> Any:
    """The form the fake's oplog entries keep: the case name, or
    ``("write-remote-batched", index | None)``."""
    name, idx = _dtype(function_type)
    return (name, idx) if name == "write-remote-batched" else name


def _wit_dtype(stored: Any) -> Any:
    """An entry's ``durable_function_type`` as the WIT variant value."""
    if isinstance(stored, tuple):
        return stored
    if stored == "write-remote-batched":
        return ("write-remote-batched", None)
    return stored


def _brackets(rt: WorkerRuntime, function_type: Any) -> bool:
    """``begin_function``'s condition for a ``BeginRemoteWrite`` / ``EndRemoteWrite``
    pair: write-remote with idempotence off, or write-remote-batched(none)."""
    name, idx = _dtype(function_type)
    return (name == "write-remote" and not rt.idempotent) or (
        name == "write-remote-batched" and idx is None)


def _debug(e: OplogEntry) -> str:
    """Approximately Rust's ``{:?}`` of an ``OplogEntry`` (the variant name; Golem prints
    every field)."""
    camel = "".join(part.capitalize() for part in e.kind.split("-"))
    return f"{camel} {{ .. }} (oplog index {e.index})"


def _expect(rt: WorkerRuntime, kind: str, rust: str, function: str) -> OplogEntry:
    """``get_oplog_entry!(replay_state, OplogEntry::<rust>)``: the next non-hint entry to
    replay, which must be ``kind`` (else trap ``Unexpected oplog entry: expected
    OplogEntry::<rust> |, got <entry>``, the macro's ``stringify!``)."""
    entry = rt.replay.next_entry()
    if entry.kind != kind:
        raise _trap(f"Unexpected oplog entry: expected OplogEntry::{rust} |, got {_debug(entry)}",
                    function)
    return entry


def _switch_to_live(rt: WorkerRuntime) -> None:
    """``ReplayState::switch_to_live``."""
    switch = getattr(rt.replay, "switch_to_live", None)
    if switch is not None:
        switch()
    else:
        rt.replay = None
        rt.live = True


def _replay_target(rt: WorkerRuntime) -> int:
    target = getattr(rt.replay, "replay_target", None)
    if callable(target):
        target = target()
    return rt.oplog.current_index if target is None else int(target)


def _lookup_end(rt: WorkerRuntime, begin: int, batched: bool) -> int | None:
    """``lookup_oplog_entry(_with_condition)`` (``replay_state.rs``): the index of the
    ``EndRemoteWrite{begin}`` after ``begin`` (deleted regions skipped); for a batched
    write ``None`` as soon as an entry in between is a concurrent side effect
    (``OplogEntry::no_concurrent_side_effect``, ``golem-common/src/model/oplog.rs``).
    Golem scans from the last replayed index; the entries it skips that way are hints,
    which neither condition looks at."""
    oplog = rt.oplog
    for e in oplog.entries[begin:]:
        if oplog.is_deleted(e.index):
            continue
        if e.kind == "end-remote-write" and e.get("begin_index") == begin:
            return e.index
        if batched and not _no_concurrent_side_effect(e, begin):
            return None
    return None


def _no_concurrent_side_effect(e: OplogEntry, begin: int) -> bool:
    if e.kind == "exported-function-completed":
        return False
    if e.kind != "imported-function-invoked":
        return True
    d = _wit_dtype(e.get("durable_function_type"))
    if isinstance(d, tuple):
        return d[1] == begin
    return d in ("read-local", "write-local", "read-remote")


def _last_replayed_non_hint_index(rt: WorkerRuntime, function: str) -> int:
    value = getattr(rt.replay, "last_replayed_non_hint_index", None)
    if callable(value):
        value = value()
    if value is None:
        raise _trap(
            f"the replay in progress ({rt.replay!r}) does not provide "
            f"last_replayed_non_hint_index, which Golem returns from begin-durable-function "
            f"in replay (v1.3.1 begin_function); this is a gap in golem-fakes' replay engine",
            function)
    return int(value)


# --- functions -----------------------------------------------------------------------


@implements(DURABILITY, "observe-function-call")
def observe_function_call(env: Golem, iface: str, function: str) -> None:
    """Golem records a host-call metric (``record_host_function_call``) and nothing else:
    no oplog entry, live or in replay. golem-fakes keeps the call in the worker's
    ``runtime.observed_calls`` (``golem.runtime(worker).observed_calls``) as an
    :class:`~golem_fakes.state.durability.ObservedCall`; the lazy pollable's own calls
    are observed there too (``durability::lazy_initialized_pollable``, ``new`` / ``set``
    / ``subscribe`` / ``drop``), the other interfaces' host calls are not."""
    _runtime(env, "observe-function-call").observed_calls.append(ObservedCall(iface, function))


@implements(DURABILITY, "begin-durable-function")
def begin_durable_function(env: Golem, function_type: Any) -> int:
    """``begin_function``. Write-remote with idempotence off and write-remote-batched(none):
    live, append and commit ``begin-remote-write`` and return its index; in replay, read
    that entry (else trap ``Unexpected oplog entry``) and return its index — if its
    ``end-remote-write`` never came, a non-idempotent write switches to live and traps
    ``Runtime error: Non-idempotent remote write operation was not completed, cannot
    retry``; an unfinished batched write (idempotence on) switches to live and appends
    and commits a ``jump`` deleting ``begin+1 ..= replay target+1``, so the write is done
    again. Every other type writes nothing and returns, live, the oplog's last index
    (buffered entries count); in replay the last replayed non-hint index (v1.3.1)."""
    fn = "begin-durable-function"
    rt = _runtime(env, fn)
    if rt.replay is None:
        if _brackets(rt, function_type):
            index = rt.oplog.append("begin-remote-write").index
            rt.oplog.commit()
            return index
        return rt.oplog.current_index
    if not _brackets(rt, function_type):
        return _last_replayed_non_hint_index(rt, fn)
    begin = _expect(rt, "begin-remote-write", "BeginRemoteWrite", fn).index
    if not rt.idempotent:
        if _lookup_end(rt, begin, batched=False) is None:
            _switch_to_live(rt)
            raise _trap("Runtime error: Non-idempotent remote write operation was not "
                        "completed, cannot retry", fn)
        return begin
    # write-remote-batched(none) with idempotence on
    if _lookup_end(rt, begin, batched=True) is None:
        target = _replay_target(rt)
        _switch_to_live(rt)
        start, end = begin + 1, target + 1
        rt.oplog.delete_region(start, end)
        rt.oplog.append("jump", start=start, end=end)
        rt.oplog.commit()
    return begin


@implements(DURABILITY, "end-durable-function")
def end_durable_function(env: Golem, function_type: Any, begin_index: int,
                         forced_commit: bool) -> None:
    """``end_function`` then the commit rule: for the bracketed types (see
    ``begin-durable-function``) append ``end-remote-write{begin_index}`` live (the
    argument as given, not checked) or read it in replay (else trap ``Unexpected oplog
    entry``); then commit the oplog if the type is write-remote or write-remote-batched
    (with or without index) or ``forced_commit`` is true."""
    fn = "end-durable-function"
    rt = _runtime(env, fn)
    if _brackets(rt, function_type):
        if rt.replay is None:
            rt.oplog.append("end-remote-write", begin_index=begin_index)
        else:
            _expect(rt, "end-remote-write", "EndRemoteWrite", fn)
    name = case_name(function_type)
    if name in ("write-remote", "write-remote-batched") or forced_commit:
        rt.oplog.commit()


@implements(DURABILITY, "current-durable-execution-state")
def current_durable_execution_state(env: Golem) -> dict[str, Any]:
    """``{is-live, persistence-level}`` from the in-memory state (``runtime.live``,
    ``runtime.persistence_level``). Not recorded."""
    rt = _runtime(env, "current-durable-execution-state")
    return {"is_live": bool(rt.live), "persistence_level": rt.persistence_level}


def _persist(rt: WorkerRuntime, name: str, request: Any, response: Any, function_type: Any) -> None:
    rt.oplog.append("imported-function-invoked", function_name=name, request=request,
                    response=response, durable_function_type=_stored_dtype(function_type))


@implements(DURABILITY, "persist-durable-function-invocation")
def persist_durable_function_invocation(env: Golem, function_name: str, request: bytes,
                                        response: bytes, function_type: Any) -> None:
    """``add_raw_imported_function_invoked``: appends ``imported-function-invoked`` with
    the bytes as given (:class:`~golem_fakes.state.durability.RawPayload`), live **or in
    replay** (the guest checks ``is-live``), not committed; the function name and type
    are not checked. ``golem:api/oplog`` cannot decode raw bytes (Golem's public oplog
    expects a serialised ``ValueAndType``): reading such an entry there traps."""
    rt = _runtime(env, "persist-durable-function-invocation")
    _persist(rt, function_name, RawPayload(request), RawPayload(response), function_type)


def _typed(vat: Any, which: str, function: str) -> TypedPayload:
    """``From<value-and-type> for ValueAndType``: value, then type; Golem panics on a
    malformed node list (an executor abort)."""
    try:
        value_from_wit(vat.value)          # Golem converts the value first
        typ = type_from_wit(vat.typ)
        return TypedPayload(value_from_wit(vat.value, typ), typ)
    except Abort as e:
        raise _trap(f"{which}: {e}. Golem panics converting this value-and-type: the real "
                    f"executor aborts (the whole process dies); golem-fakes traps instead",
                    function) from None


@implements(DURABILITY, "persist-typed-durable-function-invocation")
def persist_typed_durable_function_invocation(env: Golem, function_name: str, request: Any,
                                              response: Any, function_type: Any) -> None:
    """Like ``persist-durable-function-invocation`` with request and response converted
    to Golem's ``ValueAndType`` (:class:`~golem_fakes.state.durability.TypedPayload`);
    ``golem:api/oplog`` shows their values. A malformed ``wit-value``/``wit-type``
    (empty, an index outside the node list, a cycle, a result type with neither ok nor
    err) makes Golem panic: a Trap saying so, naming the argument."""
    fn = "persist-typed-durable-function-invocation"
    rt = _runtime(env, fn)
    req = _typed(request, "argument request", fn)
    resp = _typed(response, "argument response", fn)
    _persist(rt, function_name, req, resp, function_type)


def _datetime(ms: int) -> dict[str, int]:
    """``From<Timestamp> for Datetime``: millisecond precision."""
    return {"seconds": ms // 1000, "nanoseconds": (ms % 1000) * 1_000_000}


def _read_entry(env: Golem, function: str) -> OplogEntry:
    """``read_persisted_durable_function_invocation``: persist-nothing traps first; then
    the next non-hint entry of the replay must be ``imported-function-invoked``."""
    rt = _runtime(env, function)
    if rt.persistence_level == "persist-nothing":
        raise _trap("Runtime error: Trying to replay an durable invocation in a PersistNothing "
                    "block", function)
    if rt.replay is None:
        raise _trap(
            f"{function} called while the worker is live: there is no persisted invocation "
            f"left to read. In Golem the replay reader then reads beyond the replay target "
            f"and unwraps a missing entry (an executor abort); the outcome is not determined "
            f"(golem-host-semantics.md §13, §15). Check current-durable-execution-state's "
            f"is-live first and read only in replay.", function)
    return _expect(rt, "imported-function-invoked", "ImportedFunctionInvoked", function)


def _record(e: OplogEntry, response: Any) -> dict[str, Any]:
    return {"timestamp": _datetime(e.timestamp), "function_name": e["function_name"],
            "response": response, "function_type": _wit_dtype(e.get("durable_function_type")),
            "entry_version": "v2"}


def _bincode_gap(e: OplogEntry, function: str, what: str) -> NoReturn:
    raise NotFaked(
        f"{DURABILITY}#{function}: the entry to replay (oplog index {e.index}, "
        f"{e['function_name']!r}) holds {what}; Golem would return its bincode "
        f"serialisation, which golem-fakes does not produce. Persist with "
        f"persist-durable-function-invocation to read raw bytes back, or with "
        f"persist-typed-durable-function-invocation and read-persisted-typed-durable-"
        f"function-invocation for typed values.", interface=DURABILITY, function=function)


@implements(DURABILITY, "read-persisted-durable-function-invocation")
def read_persisted_durable_function_invocation(env: Golem) -> dict[str, Any]:
    """In replay: the next non-hint entry, which must be ``imported-function-invoked``
    (else trap ``Unexpected oplog entry: expected OplogEntry::ImportedFunctionInvoked |,
    got ...``), as ``{timestamp (ms precision), function-name, response bytes,
    function-type, entry-version v2 (always)}``; the function name is not checked.
    persist-nothing level → trap ``Runtime error: Trying to replay an durable invocation
    in a PersistNothing block``. Live → a Trap (Golem: not determined, an abort).
    Only raw payloads can be returned as bytes (see :func:`_bincode_gap`)."""
    fn = "read-persisted-durable-function-invocation"
    e = _read_entry(env, fn)
    resp = e.get("response")
    if isinstance(resp, RawPayload):
        return _record(e, resp.data)
    if isinstance(resp, TypedPayload):
        _bincode_gap(e, fn, "a typed value (persist-typed-durable-function-invocation)")
    _bincode_gap(e, fn, f"the result of a host call as golem-fakes records it ({resp!r})")


@implements(DURABILITY, "read-persisted-typed-durable-function-invocation")
def read_persisted_typed_durable_function_invocation(env: Golem) -> dict[str, Any]:
    """``read-persisted-durable-function-invocation``, then the response deserialised as a
    ``ValueAndType`` (``response_as_value_and_type``) and returned in Golem's normal form.
    Raw bytes: Golem's ``deserialize`` — bytes starting with serialisation version 2
    are bincode-decoded, failing with ``Runtime error: Failed to deserialize payload:
    Failed to deserialize value: ...``; empty bytes, version 1 or any other first byte
    make it panic (an executor abort). Both are Traps here, saying which."""
    fn = "read-persisted-typed-durable-function-invocation"
    e = _read_entry(env, fn)
    resp = e.get("response")
    if isinstance(resp, TypedPayload):
        return _record(e, resp.to_wit())
    if isinstance(resp, RawPayload):
        d = resp.data
        abort = " (a panic: the real executor aborts; golem-fakes traps instead)"
        if not d:
            raise _trap("Runtime error: cannot deserialize an empty payload: "
                        "`bytes.split_at(1)` panics on it" + abort, fn)
        if d[0] == 1:
            raise _trap("Support for v1 serialization format has been dropped" + abort, fn)
        if d[0] != 2:
            raise _trap(f"invalid serialization version: {d[0]}" + abort, fn)
        raise _trap(
            "Runtime error: Failed to deserialize payload: Failed to deserialize value: the "
            "response was persisted untyped (persist-durable-function-invocation); Golem "
            "bincode-decodes it as a ValueAndType, which fails unless the bytes are exactly "
            "such a serialisation (golem-fakes does not implement bincode)", fn)
    _bincode_gap(e, fn, f"the result of a host call as golem-fakes records it ({resp!r})")


# --- lazy-initialized-pollable -------------------------------------------------------


class LazyPollable:
    """Rep of ``lazy-initialized-pollable`` (``LazyInitializedPollableEntry``): empty
    (``attached is None``) or subscribed to an attached pollable rep. ``children``
    counts the live pollables its ``subscribe`` made (wasmtime ``push_child``)."""

    __slots__ = ("attached", "children", "name")

    def __init__(self) -> None:
        self.attached: Any = None
        self.children = 0
        self.name = "lazy-initialized-pollable"

    def __repr__(self) -> str:
        state = "empty" if self.attached is None else f"attached to {self.attached!r}"
        return f"LazyPollable({state})"


class LazySubscription(PollableRep):
    """The pollable ``subscribe`` returns (wasmtime's ``dynamic_subscribe``): a child of
    the lazy pollable, asking at every check whatever is attached *then*
    (``override_index``): ready while empty, else exactly as the attached pollable.
    :attr:`delegate` lets ``wasi:io/poll`` see through it (the clock's time skip)."""

    def __init__(self, lazy: LazyPollable) -> None:
        super().__init__(lambda: True, name=f"subscribe of {lazy.name}", parent=lazy)
        self.lazy = lazy

    @property
    def delegate(self) -> Any:
        """The attached pollable rep, ``None`` while empty."""
        return self.lazy.attached

    def ready(self) -> bool:
        attached = self.lazy.attached
        return True if attached is None else is_ready(attached, "[method]pollable.ready")

    def __repr__(self) -> str:
        return f"LazySubscription({self.lazy!r})"


@implements(DURABILITY, "[constructor]lazy-initialized-pollable")
def lazy_pollable_new(env: Any) -> LazyPollable:
    """An empty entry. Empty means **ready** — Golem's ``Pollable::ready`` for
    ``Empty`` returns at once ("Empty pollable is always ready"), contrary to the WIT
    comment "never ready until it gets attached"; golem-fakes follows the implementation."""
    _observe(env, _LAZY_IFACE, "new")
    return LazyPollable()


@implements(DURABILITY, "[method]lazy-initialized-pollable.set")
def lazy_pollable_set(env: Any, rep: LazyPollable, pollable: Any) -> None:
    """Attaches ``pollable`` (given away by the guest). A second ``set`` replaces the
    first without dropping it (Golem overwrites the entry; the old pollable stays in the
    table)."""
    _observe(env, _LAZY_IFACE, "set")
    rep.attached = pollable


@implements(DURABILITY, "[method]lazy-initialized-pollable.subscribe")
def lazy_pollable_subscribe(env: Any, rep: LazyPollable) -> LazySubscription:
    """A pollable delegating to the attached one (or ready while empty), a child of this
    resource: dropping the lazy pollable while it is alive traps ``resource has
    children``."""
    _observe(env, _LAZY_IFACE, "subscribe")
    return LazySubscription(rep)


@implements(DURABILITY, "[resource-drop]lazy-initialized-pollable")
def lazy_pollable_drop(env: Any, rep: LazyPollable) -> None:
    """Deletes the entry, then the attached pollable (so a stream it was made from may be
    dropped afterwards). While pollables made by ``subscribe`` are alive, wasmtime's
    ``ResourceTable::delete`` refuses: trap ``resource has children`` (a drop by the
    garbage collector cannot trap and goes through, as for streams)."""
    _observe(env, _LAZY_IFACE, "drop")
    if rep.children and not dropped_by_collector():
        raise _trap(f"resource has children: {rep.name} is dropped while {rep.children} "
                    f"pollable(s) made by its subscribe are alive; drop them first",
                    "[resource-drop]lazy-initialized-pollable")
    attached, rep.attached = rep.attached, None
    if attached is not None:
        pollable_drop(env, attached)
