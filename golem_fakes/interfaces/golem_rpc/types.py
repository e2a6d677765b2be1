"""Behaviour of ``golem:rpc/types@0.2.2``: every function and resource method
(semantics ``golem-rpc-rdbms-semantics.md`` §1; the runtime is
:mod:`golem_fakes.rpc.wasm_rpc`).

Oplog entries of the caller (§1.14, ``assume_idempotence`` on):

* constructor / ``ephemeral``: ``start-span`` (``rpc-connection``); ``ephemeral`` first
  records ``golem::rpc::wasm-rpc::generate_unique_local_worker_id`` (read-local);
* ``invoke-and-await``: ``golem::rpc::wasm-rpc::invoke-and-await idempotency key``
  (read-local, ``(high, low)``), ``start-span`` (``rpc-invocation``),
  ``golem::rpc::wasm-rpc::invoke-and-await result`` (write-remote, committed),
  ``finish-span``; ``invoke`` the same with ``golem::rpc::wasm-rpc::invoke``;
* ``async-invoke-and-await``: the key entry and ``start-span``; every ``get``:
  ``golem::rpc::future-invoke-result::get`` (write-remote; ``Pending`` / the result),
  the completing one also ``finish-span``;
* ``schedule-*``: ``golem::rpc::wasm-rpc::schedule_invocation`` (write-remote);
  ``cancel``: ``golem::rpc::cancellation-token::cancel``;
* drop of ``wasm-rpc``: ``finish-span``; ``parse-uuid``, ``uuid-to-string``,
  ``extract-*``, ``subscribe`` and other drops: nothing.

In replay the recorded results are returned and nothing is sent; constructors run again.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from golem_fakes.bindings.registry import implements
from golem_fakes.bindings.result import Err, Ok
from golem_fakes.bindings.runtime import NotFaked, Trap
from golem_fakes.interfaces import WRITE_REMOTE, durable_call, record_ok
from golem_fakes.interfaces.golem_api.context import _context
from golem_fakes.interfaces.golem_api.host import derived_idempotency_key, parse_uuid_strict
from golem_fakes.rpc.wasm_rpc import (
    CONSUMED,
    RPC,
    SELF_CALL,
    RpcFailure,
    ScheduledAction,
    TargetCall,
    check_tree,
    enrich,
    find_target,
    plain_wit_value,
    rpc_settings,
    scheduler,
)
from golem_fakes.state.golem import Golem
from golem_fakes.state.invocation import Invocation, current_invocation
from golem_fakes.state.registry import as_uuid, uuid_value
from golem_fakes.state.streams import PollableRep

__all__ = ["WasmRpcRep", "FutureRep", "TokenRep"]

KEY_FUNCTION = "golem::rpc::wasm-rpc::invoke-and-await idempotency key"
RESULT_FUNCTION = "golem::rpc::wasm-rpc::invoke-and-await result"
INVOKE_FUNCTION = "golem::rpc::wasm-rpc::invoke"
GET_FUNCTION = "golem::rpc::future-invoke-result::get"
SCHEDULE_FUNCTION = "golem::rpc::wasm-rpc::schedule_invocation"
CANCEL_FUNCTION = "golem::rpc::cancellation-token::cancel"
EPHEMERAL_FUNCTION = "golem::rpc::wasm-rpc::generate_unique_local_worker_id"
READ_LOCAL = "read-local"


def _trap(message: str, function: str) -> Trap:
    return Trap(message, interface=RPC, function=function)


def _ctx(env: Any, function: str) -> Invocation:
    """The calling worker's invocation (RPC needs a caller)."""
    inv = current_invocation.get()
    if inv is not None and inv.golem is env:
        return inv if type(inv) is Invocation else inv.resolve()  # type: ignore[union-attr]
    if not isinstance(env, Golem):
        raise NotFaked(
            f"{RPC}#{function} needs a golem_fakes.Golem environment (workers, components, "
            f"oplog), but the current environment is {env!r}. Use `with golem_fakes.Golem():` "
            f"or override it with env.implement({RPC!r}, {function!r}, ...).",
            interface=RPC, function=function)
    raise NotFaked(
        f"{RPC}#{function} was called with {env!r} current but outside any invocation of it "
        f"in this thread/task; call it from worker code run by golem.invoke(...) (or inside "
        f"`with golem:` / golem.run_as(...))", interface=RPC, function=function)


@dataclass(eq=False)
class WasmRpcRep:
    """Rep of ``wasm-rpc``: the target ``(component id, worker name)`` and the
    ``rpc-connection`` span."""

    golem: Golem
    component_id: uuid.UUID
    worker_name: str
    span_id: str
    context: Any = field(repr=False, default=None)

    @property
    def target_display(self) -> str:
        return f"{self.component_id}/{self.worker_name}"


def _open(env: Golem, inv: Invocation, component_id: uuid.UUID, name: str,
          function: str) -> WasmRpcRep:
    ctx = _context(env, function)
    span = ctx.start_span({"name": "rpc-connection",
                           "target_worker_id": f"{component_id}/{name}"})
    if rpc_settings(env).version == "v1.3.1":  # create_demand: made and started now
        try:
            find_target(env, component_id, name, inv.worker)
        except RpcFailure as f:
            raise _trap(f"Failed to create the target worker {component_id}/{name}: "
                        f"{f.message}", function) from None
    return WasmRpcRep(env, component_id, name, span.span_id, ctx)


@implements(RPC, "[constructor]wasm-rpc")
def wasm_rpc_new(env: Golem, worker_id: Any) -> WasmRpcRep:
    """§1.3: dev.25 only starts the ``rpc-connection`` span (the target is made at the
    first call); v1.3.1 also creates the target now (a failure traps)."""
    inv = _ctx(env, "[constructor]wasm-rpc")
    cid = as_uuid(worker_id.component_id if not isinstance(worker_id, dict)
                  else worker_id["component_id"])
    name = worker_id.worker_name if not isinstance(worker_id, dict) else worker_id["worker_name"]
    return _open(env, inv, cid, name, "[constructor]wasm-rpc")


@implements(RPC, "[static]wasm-rpc.ephemeral")
def wasm_rpc_ephemeral(env: Golem, component_id: Any) -> WasmRpcRep:
    """§1.3 [dev.25]: a fresh UUIDv4 worker name (from the Golem's seeded generator),
    recorded as ``generate_unique_local_worker_id`` (replay reuses it), then as the
    constructor. Every call through the handle goes to that one worker."""
    inv = _ctx(env, "[static]wasm-rpc.ephemeral")
    cid = as_uuid(component_id)
    rng = env.__dict__.get("_rpc_ephemeral_rng")
    if rng is None:
        import random

        rng = env.__dict__["_rpc_ephemeral_rng"] = random.Random(
            f"golem-fakes/rpc-ephemeral/{env.seed}")
    fresh = str(uuid.UUID(int=rng.getrandbits(128), version=4))
    name = record_ok(env, EPHEMERAL_FUNCTION, READ_LOCAL, str(cid), fresh)
    return _open(env, inv, cid, name, "[static]wasm-rpc.ephemeral")


@implements(RPC, "[resource-drop]wasm-rpc")
def wasm_rpc_drop(env: Any, rep: WasmRpcRep) -> None:
    """§1.3: closes the connection span (``finish-span``); no remote effect."""
    if rep.context is not None:
        rep.context.finish_span(rep.span_id)


def _key(env: Golem, inv: Invocation) -> str:
    """§1.4/§1.13: the call's idempotency key, derived from the invocation's key and the
    index of the caller's last oplog entry, recorded as two u64s (replay reads it)."""
    rt = inv.runtime
    live = uuid_value(derived_idempotency_key(inv.idempotency_key, rt.oplog.current_index))
    hl = record_ok(env, KEY_FUNCTION, READ_LOCAL, None, (live["high_bits"], live["low_bits"]))
    return str(uuid.UUID(int=(hl[0] << 64) | hl[1]))


def _is_self(inv: Invocation, rep: WasmRpcRep) -> bool:
    w = inv.worker
    return w.component.component_id == rep.component_id and w.name == rep.worker_name


def _request(rep: WasmRpcRep, key: str, name: str, params: list[Any]) -> dict[str, Any]:
    return {"remote_worker_id": rep.target_display, "idempotency_key": key,
            "function_name": name, "function_params": params}


def _rpc_error(f: RpcFailure) -> Any:
    return Err((f.case, f.message))


def _plain(params: Any, function: str) -> list[Any]:
    """The parameters as plain node lists; a list Golem cannot convert to its value tree
    is fatal for the caller (the host panics there, §2.1: golem-fakes traps)."""
    plain = [plain_wit_value(p) for p in params]
    for n, p in enumerate(plain):
        why = check_tree(p)
        if why is not None:
            raise _trap(f"parameter {n} is not a valid wit-value: {why} (Golem's host panics "
                        f"converting it; the worker fails)", function)
    return plain


def _begin(env: Golem, rep: WasmRpcRep, function_name: str, params: Any,
           function: str) -> tuple[Invocation, str, list[Any], Any]:
    inv = _ctx(env, function)
    plain = _plain(params, function)
    key = _key(env, inv)
    ctx = _context(env, function)
    span = ctx.start_span({"name": "rpc-invocation", "function_name": function_name,
                           "idempotency_key": key})
    if _is_self(inv, rep) and rpc_settings(env).version == "v1.3.1":
        raise _trap(SELF_CALL, function)
    return inv, key, plain, (ctx, span.span_id)


def _target_call(env: Golem, inv: Invocation, rep: WasmRpcRep, function_name: str,
                 plain: list[Any], key: str) -> TargetCall | RpcFailure:
    try:
        target = find_target(env, rep.component_id, rep.worker_name, inv.worker)
    except RpcFailure as f:
        return f
    name = enrich(function_name, rpc_settings(env).version)
    return TargetCall(env, target, name, plain, key)


@implements(RPC, "[method]wasm-rpc.invoke-and-await")
def invoke_and_await(env: Golem, rep: WasmRpcRep, function_name: str,
                     function_params: list[Any]) -> Any:
    """§1.5: the target runs the export (behind its queue) and the caller waits;
    ``ok(tuple-value([result]))`` / ``ok(record-value([]))``, or ``err(rpc-error)``
    (§1.11: an unknown function, wrong parameters, a trapping target, an unknown
    component are ``remote-internal-error``). Recorded, committed; replay returns the
    recorded result without calling the target."""
    fn = "[method]wasm-rpc.invoke-and-await"
    inv, key, plain, (ctx, span) = _begin(env, rep, function_name, function_params, fn)

    def compute() -> tuple[Any, Any]:
        call = _target_call(env, inv, rep, function_name, plain, key)
        if isinstance(call, RpcFailure):
            return _rpc_error(call), _rpc_error(call)
        call.start()
        call.run()
        out = call.outcome
        if isinstance(out, RpcFailure):
            return _rpc_error(out), _rpc_error(out)
        return out, out

    result = durable_call(env, RESULT_FUNCTION, WRITE_REMOTE,
                          _request(rep, key, function_name, plain), compute)
    ctx.finish_span(span)
    scheduler(env).drain()
    return result


@implements(RPC, "[method]wasm-rpc.invoke")
def invoke(env: Golem, rep: WasmRpcRep, function_name: str, function_params: list[Any]) -> Any:
    """§1.6: queue the invocation on the target and return ``ok`` at once; whatever
    happens there (unknown function, bad parameters, a trap) is never reported. The
    target runs it as soon as it is free (now, unless it is busy or waits on the
    caller)."""
    fn = "[method]wasm-rpc.invoke"
    inv, key, plain, (ctx, span) = _begin(env, rep, function_name, function_params, fn)
    queued: list[TargetCall] = []

    def compute() -> tuple[Any, Any]:
        call = _target_call(env, inv, rep, function_name, plain, key)
        if isinstance(call, RpcFailure):  # the target could not be made: an enqueue failure
            return _rpc_error(call), _rpc_error(call)
        call.start()
        if not call.done:
            queued.append(call)
        return Ok(None), Ok(None)

    result = durable_call(env, INVOKE_FUNCTION, WRITE_REMOTE,
                          _request(rep, key, function_name, plain), compute)
    ctx.finish_span(span)
    for call in queued:
        scheduler(env).background(call)
    return result


@dataclass(eq=False)
class FutureRep:
    """Rep of ``future-invoke-result`` (``FutureInvokeResultState``, §1.7): ``state``
    ``pending`` / ``completed`` / ``consumed`` / ``deferred`` (made in replay)."""

    golem: Golem
    rep: WasmRpcRep
    caller: Invocation = field(repr=False)
    function_name: str
    params: list[Any] = field(repr=False)
    key: str
    context: Any = field(repr=False)
    span_id: str
    state: str = "pending"
    call: TargetCall | RpcFailure | None = field(default=None, repr=False)
    begin_index: int | None = None

    def launch(self) -> None:
        """Send the call now (the background task of ``async-invoke-and-await``): the
        target runs it at once unless it is busy or waits on the caller."""
        call = self.call = _target_call(self.golem, self.caller, self.rep,
                                        self.function_name, self.params, self.key)
        self.state = "pending"
        if isinstance(call, RpcFailure):
            return
        call.start()
        self.advance()

    def advance(self) -> bool:
        """Run the call if it can run now; whether it is finished."""
        call = self.call
        if isinstance(call, RpcFailure) or call is None:
            return call is not None
        if not call.done and not call.blocked():
            call.run()
        return call.done

    def ready(self) -> bool:
        """The pollable's readiness check: the only place ``pending`` becomes
        ``completed`` (§1.7)."""
        if self.state == "pending":
            if self.advance():
                self.state = "completed"
                return True
            return False
        return True

    def outcome(self) -> Any:
        call = self.call
        out = call if isinstance(call, RpcFailure) else call.outcome  # type: ignore[union-attr]
        return _rpc_error(out) if isinstance(out, RpcFailure) else out


@implements(RPC, "[method]wasm-rpc.async-invoke-and-await")
def async_invoke_and_await(env: Golem, rep: WasmRpcRep, function_name: str,
                           function_params: list[Any]) -> FutureRep:
    """§1.7: the key entry and ``start-span``; live the call is sent at once (state
    ``pending``), in replay nothing is sent (state ``deferred``). Never an error."""
    fn = "[method]wasm-rpc.async-invoke-and-await"
    inv = _ctx(env, fn)
    if _is_self(inv, rep) and rpc_settings(env).version == "v1.3.1":
        raise _trap(SELF_CALL, fn)  # v1.3.1 checks before the key step
    rt = inv.runtime
    plain = _plain(function_params, fn)
    begin = None
    if not rt.idempotent:
        begin = rt.oplog.append("begin-remote-write").index
        rt.oplog.commit()
    key = _key(env, inv)
    ctx = _context(env, fn)
    span = ctx.start_span({"name": "rpc-invocation", "function_name": function_name,
                           "idempotency_key": key})
    fut = FutureRep(env, rep, inv, function_name, plain, key, ctx, span.span_id,
                    begin_index=begin)
    if rt.replay is not None:
        fut.state = "deferred"
    else:
        fut.launch()
    return fut


@implements(RPC, "[method]future-invoke-result.subscribe")
def future_subscribe(env: Any, rep: FutureRep) -> PollableRep:
    """A pollable ready once the call finished (a ``deferred`` future: at once); being
    seen ready moves ``pending`` to ``completed``. Not recorded."""
    return PollableRep(rep.ready, name=f"future-invoke-result {rep.function_name} on "
                                      f"{rep.rep.target_display}")


@implements(RPC, "[method]future-invoke-result.get")
def future_get(env: Golem, rep: FutureRep) -> Any:
    """§1.7: ``none`` while ``pending`` (whatever the call did: only the pollable moves
    it on), the result once (``some(ok(wrapped))`` / ``some(err(rpc-error))``), then a
    trap ``future-invoke-result already consumed``; a ``deferred`` future (made in
    replay, now live) sends the call and answers ``none``. Every call is recorded
    (``Pending`` ones too) and replayed one by one."""
    fn = "[method]future-invoke-result.get"
    inv = _ctx(env, fn)
    rt = inv.runtime
    request = {"remote_worker_id": rep.rep.target_display, "idempotency_key": rep.key,
               "function_name": rep.function_name}
    if rt.replay is not None and rt.persistence_level != "persist-nothing":
        try:
            value = rt.replay.replayed(GET_FUNCTION, request, WRITE_REMOTE)
        except Trap:
            rep.state = "consumed"
            raise
        if value is not None:
            rep.state = "consumed"
            rep.context.finish_span(rep.span_id)
            if rep.begin_index is not None:
                rt.oplog.append("end-remote-write", begin_index=rep.begin_index)
        return value

    finished: list[bool] = []

    def compute() -> tuple[Any, Any]:
        if rep.state == "deferred":
            rep.launch()
            return None, "Pending"
        if rep.state == "pending":
            return None, "Pending"
        if rep.state == "completed":
            rep.state = "consumed"
            finished.append(True)
            out = rep.outcome()
            return out, (("Completed", out.value) if isinstance(out, Ok)
                         else ("Failed", out.value))
        t = _trap(CONSUMED, fn)
        return t, ("Failed", CONSUMED)

    value = durable_call(env, GET_FUNCTION, WRITE_REMOTE, request, compute)
    if finished:
        rep.context.finish_span(rep.span_id)
        if rep.begin_index is not None:
            rt.oplog.append("end-remote-write", begin_index=rep.begin_index)
    return value


@implements(RPC, "[resource-drop]future-invoke-result")
def future_drop(env: Any, rep: FutureRep) -> None:
    """Dropping a pending future aborts the wait (whether the target got the call is
    not promised, §1.7); nothing is recorded."""
    rep.state = "consumed"


@dataclass(eq=False)
class TokenRep:
    """Rep of ``cancellation-token``: the schedule id."""

    golem: Golem
    schedule_id: str


def _datetime_ms(dt: Any, fn: str) -> int:
    seconds = dt["seconds"] if isinstance(dt, dict) else dt.seconds
    nanos = dt["nanoseconds"] if isinstance(dt, dict) else dt.nanoseconds
    # chrono 0.4.41 ``from_timestamp`` (§1.8): seconds within ±262143 years, nanoseconds
    # below 10**9 (2·10**9 for a leap second at :59)
    leap = 1_000_000_000 <= nanos < 2_000_000_000 and seconds % 60 == 59
    if seconds > 8_210_266_876_799 or (nanos >= 1_000_000_000 and not leap):
        raise _trap(f"datetime {{seconds: {seconds}, nanoseconds: {nanos}}} is out of chrono's "
                    f"range (Golem's host panics on `from_timestamp(...).expect`; golem-fakes "
                    f"traps)", fn)
    return seconds * 1000 + nanos // 1_000_000


def _schedule(env: Golem, rep: WasmRpcRep, when: Any, function_name: str, params: Any,
              fn: str) -> TokenRep:
    inv = _ctx(env, fn)
    rt = inv.runtime
    plain = _plain(params, fn)
    at_ms = _datetime_ms(when, fn)
    request = {"remote_worker_id": rep.target_display, "function_name": function_name,
               "function_params": plain, "datetime": at_ms}

    def compute() -> tuple[Any, Any]:
        key = str(derived_idempotency_key(inv.idempotency_key, rt.oplog.current_index))
        sched = scheduler(env)
        sid = f"{rep.target_display}/{key}"
        sched.schedule(ScheduledAction(sid, (rep.component_id, rep.worker_name), key,
                                       function_name, plain, at_ms, env.clock.wall_ms()))
        return sid, Ok(sid)

    request_key = dict(request)
    sid = durable_call(env, SCHEDULE_FUNCTION, WRITE_REMOTE, request_key, compute)
    return TokenRep(env, sid)


@implements(RPC, "[method]wasm-rpc.schedule-invocation")
def schedule_invocation(env: Golem, rep: WasmRpcRep, scheduled_time: Any, function_name: str,
                        function_params: list[Any]) -> None:
    """§1.8: ``schedule-cancelable-invocation`` with the token discarded."""
    _schedule(env, rep, scheduled_time, function_name, function_params,
              "[method]wasm-rpc.schedule-invocation")


@implements(RPC, "[method]wasm-rpc.schedule-cancelable-invocation")
def schedule_cancelable_invocation(env: Golem, rep: WasmRpcRep, scheduled_time: Any,
                                   function_name: str, function_params: list[Any]) -> TokenRep:
    """§1.8, §1.15: stores ``Invoke {target, key derived now, name as given (no
    enrichment, no target check), params}`` for the wall-clock millisecond; it runs at
    the scheduler's first 2-second tick at or after that time (the virtual clock moving:
    ``golem.clock.advance``), on the target created with nothing from the caller; the
    result is discarded. Recorded (write-remote); replay schedules nothing."""
    return _schedule(env, rep, scheduled_time, function_name, function_params,
                     "[method]wasm-rpc.schedule-cancelable-invocation")


@implements(RPC, "[method]cancellation-token.cancel")
def cancellation_token_cancel(env: Golem, rep: TokenRep) -> None:
    """Removes the pending action (a silent no-op after it ran or was cancelled);
    recorded (write-remote, request = the schedule id); replay does nothing."""
    def compute() -> tuple[Any, Any]:
        scheduler(env).cancel(rep.schedule_id)
        return None, Ok(None)

    durable_call(env, CANCEL_FUNCTION, WRITE_REMOTE, rep.schedule_id, compute)


@implements(RPC, "parse-uuid")
def parse_uuid(env: Any, text: str) -> Any:
    """``Uuid::parse_str`` (uuid 1.18): hyphenated, 32-digit simple, ``{braced}``,
    ``urn:uuid:`` forms, either case; ``err(message)`` otherwise. Not recorded."""
    u = parse_uuid_strict(text)
    if u is None:
        return Err(f"invalid UUID {text!r}: expected 32 hex digits, optionally hyphenated "
                   f"8-4-4-4-12, braced or with a urn:uuid: prefix")
    return Ok(uuid_value(u))


@implements(RPC, "uuid-to-string")
def uuid_to_string(env: Any, value: Any) -> str:
    """Lowercase hyphenated. Not recorded."""
    return str(as_uuid(value))


@implements(RPC, "extract-value")
def extract_value(env: Any, vnt: Any) -> Any:
    """[dev.25] ``vnt.value`` unchanged. Not recorded."""
    return vnt["value"] if isinstance(vnt, dict) else vnt.value


@implements(RPC, "extract-type")
def extract_type(env: Any, vnt: Any) -> Any:
    """[dev.25] ``vnt.typ`` unchanged. Not recorded."""
    return vnt["typ"] if isinstance(vnt, dict) else vnt.typ


@implements(RPC, "[resource-drop]cancellation-token")
def cancellation_token_drop(env: Any, rep: TokenRep) -> None:
    """Dropping the token does not cancel (§1.8); nothing recorded."""
    del rep
