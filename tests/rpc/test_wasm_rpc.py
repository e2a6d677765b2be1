"""``golem:rpc/types@0.2.2`` between fake workers (issue 16 §1): every function and
method, the rpc-error cases of §1.11, the caller's oplog entries of §1.14, crashes of
the caller (the recorded result is replayed, the target is not called again) and of the
callee, self calls and cycles (§1.12), scheduling on the virtual clock (§1.15).

Both sides run real component code: the target component ``test:inventory`` (module
``inventory`` of this file's world ``tests/data/rpc``), invoked by export name in its
own worker instance; callers are component code too (``forward``) or test-side
callables invoked as a worker (replayable)."""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path
from typing import Any, Iterator

import pytest

import golem_fakes
from golem_fakes.bindings.result import Err, Ok
from golem_fakes.bindings.runtime import Trap
from golem_fakes.rpc.wasm_rpc import rpc_settings, scheduler
from golem_fakes.state.promises import Deadlock

import sys

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "worker"))
from worker_world import component_sources  # noqa: E402

DATA = Path(__file__).resolve().parents[1] / "data" / "rpc"
API = "golem-fakes:rpc/api@1.0.0"
INV = "test:inventory"
CART = "test:cart"

COMPONENT = '''
import os
from wit_world import exports
from wit_world.exports import api as api_types
from wit_world.imports import types as rpc
from wit_world.imports import host
from componentize_py_types import Err

stock: dict[str, int] = {}
noted: list[int] = []
calls: list[str] = []


class Api(exports.Api):
    def add(self, name, qty):
        host.get_oplog_index()          # a host call, so that a crash can hit the callee
        calls.append(name)
        stock[name] = stock.get(name, 0) + qty
        return sum(stock.values())

    def total(self):
        return sum(stock.values())

    def echo(self, v):
        return api_types.Item(v.name.upper(), v.qty + 1)

    def classify(self, k):
        return api_types.Kind.VEG if k == api_types.Kind.FRUIT else api_types.Kind.FRUIT

    def maybe(self, ok):
        if not ok:
            raise Err("no stock")
        return 7

    def boom(self, msg):
        raise RuntimeError(msg)

    def note(self, x):
        noted.append(x)

    def notes(self):
        return list(noted)

    def env_of(self, name):
        return os.environ.get(name)

    def forward(self, component, worker, name, qty):
        u = rpc.parse_uuid(component)
        target = rpc.WasmRpc(rpc.WorkerId(rpc.ComponentId(u), worker))
        out = target.invoke_and_await(
            "golem-fakes:rpc/api@1.0.0.{add}",
            [rpc.WitValue([rpc.WitNode_PrimString(name)]),
             rpc.WitValue([rpc.WitNode_PrimU32(qty)])])
        return out.nodes[1].value


class WitWorld:
    def ping(self):
        return "pong"
'''

RESOURCES = '''
class Counter:
    def __init__(self, start):
        self.n = start

    def add(self, n):
        self.n += n
        return self.n

    def get(self):
        return self.n

    @staticmethod
    def make(start):
        return Counter(start * 10)
'''


@pytest.fixture(scope="module")
def src(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    with component_sources(tmp_path_factory, DATA, "rpc-world",
                           {"inventory": COMPONENT, "api": RESOURCES}) as d:
        yield d


@pytest.fixture
def g(src: Path) -> golem_fakes.Golem:
    g = golem_fakes.Golem()
    g.add_component(INV, code="inventory", path=src)
    g.add_component(CART, code="inventory", path=src)
    return g


def rpc() -> Any:
    from wit_world.imports import types

    return types


def s(v: str) -> Any:
    t = rpc()
    return t.WitValue([t.WitNode_PrimString(v)])


def u32(v: int) -> Any:
    t = rpc()
    return t.WitValue([t.WitNode_PrimU32(v)])


def target(g: golem_fakes.Golem, name: str = "stock", component: str = INV) -> Any:
    t = rpc()
    cid = g.registry.component(component).component_id
    return t.WasmRpc(t.WorkerId(t.ComponentId(t.Uuid(cid.int >> 64, cid.int & (2**64 - 1))), name))


def ADD(fn: str = "add") -> str:
    return f"{API}.{{{fn}}}"


def plain(v: Any) -> list[tuple[str, Any]]:
    from golem_fakes.rpc.values import node_case

    return [node_case(n) for n in v.nodes]


def ifi(g: golem_fakes.Golem, component: str, worker: str) -> list[str]:
    return [e.payload["function_name"] for e in g.oplog(component, worker).entries
            if e.kind == "imported-function-invoked" and
            e.payload["function_name"].startswith("golem::rpc")]


def kinds_after(g: golem_fakes.Golem, component: str, worker: str, first: str) -> list[str]:
    out, on = [], False
    for e in g.oplog(component, worker).entries:
        name = e.payload.get("function_name", "") if e.kind == "imported-function-invoked" else ""
        on = on or name == first
        if on:
            out.append(name or e.kind)
    return out


# --- invoke-and-await -------------------------------------------------------------------


def test_invoke_and_await_runs_the_target_workers_code_and_wraps_the_result(g) -> None:
    def call() -> Any:
        r = target(g)
        return r.invoke_and_await(ADD(), [s("apple"), u32(3)]), \
            r.invoke_and_await(ADD(), [s("pear"), u32(2)])

    first, second = g.invoke(CART, "alice", call)
    assert plain(first) == [("tuple-value", [1]), ("prim-u32", 3)]
    assert plain(second) == [("tuple-value", [1]), ("prim-u32", 5)]
    inst = g.instance(INV, "stock").module("inventory")
    assert inst.stock == {"apple": 3, "pear": 2}
    assert g.instance(CART, "alice").module("inventory").stock == {}   # its own instance
    # the target's own oplog: two invocations by export name
    names = [e.payload["function_name"] for e in g.oplog(INV, "stock").entries
             if e.kind == "exported-function-invoked"]
    assert names == [ADD(), ADD()]


def test_the_callers_oplog_has_golems_entries_in_order(g) -> None:
    def call() -> None:
        with target(g) as r:                   # the drop closes the connection span
            r.invoke_and_await(ADD(), [s("apple"), u32(1)])

    g.invoke(CART, "alice", call)
    seq = kinds_after(g, CART, "alice", "golem::rpc::wasm-rpc::invoke-and-await idempotency key")
    assert seq[:5] == ["golem::rpc::wasm-rpc::invoke-and-await idempotency key", "start-span",
                       "golem::rpc::wasm-rpc::invoke-and-await result", "finish-span",
                       "finish-span"]
    entries = g.oplog(CART, "alice").entries
    starts = [e for e in entries if e.kind == "start-span"]
    assert [e.payload["attributes"]["name"] for e in starts] == ["rpc-connection", "rpc-invocation"]
    finishes = [e.payload["span_id"] for e in entries if e.kind == "finish-span"]
    assert finishes == [starts[1].payload["span_id"], starts[0].payload["span_id"]]
    assert starts[1].payload["parent"] == starts[0].payload["span_id"]
    conn = starts[0].payload["attributes"]
    assert conn["target_worker_id"] == str(g.worker(INV, "stock"))
    res = next(e for e in entries if e.payload.get("function_name") ==
               "golem::rpc::wasm-rpc::invoke-and-await result")
    assert res.payload["durable_function_type"] == "write-remote"
    req = res.payload["request"]
    assert req["function_name"] == ADD() and req["remote_worker_id"] == str(g.worker(INV, "stock"))
    key_entry = next(e for e in entries if e.payload.get("function_name") ==
                     "golem::rpc::wasm-rpc::invoke-and-await idempotency key")
    hi, lo = key_entry.payload["response"].value
    assert req["idempotency_key"] == str(uuid.UUID(int=(hi << 64) | lo))
    # the target ran it with that key
    inv = next(e for e in g.oplog(INV, "stock").entries if e.kind == "exported-function-invoked")
    assert inv.payload["idempotency_key"] == req["idempotency_key"]


def test_the_key_is_derived_from_the_invocation_key_and_the_oplog_index(g) -> None:
    from golem_fakes.interfaces.golem_api.host import derived_idempotency_key

    def call() -> None:
        target(g).invoke_and_await(ADD(), [s("a"), u32(1)])

    g.invoke(CART, "alice", call, idempotency_key="order-1")
    entries = g.oplog(CART, "alice").entries
    key_entry = next(e for e in entries if e.payload.get("function_name") ==
                     "golem::rpc::wasm-rpc::invoke-and-await idempotency key")
    hi, lo = key_entry.payload["response"].value
    assert uuid.UUID(int=(hi << 64) | lo) == derived_idempotency_key("order-1", key_entry.index - 1)


def test_records_enums_results_and_unit_results_are_encoded_by_the_target_types(g) -> None:
    t = rpc()

    def call() -> Any:
        r = target(g)
        item = t.WitValue([t.WitNode_RecordValue([1, 2]), t.WitNode_PrimString("fig"),
                           t.WitNode_PrimU32(4)])
        return (r.invoke_and_await(ADD("echo"), [item]),
                r.invoke_and_await(ADD("classify"), [t.WitValue([t.WitNode_EnumValue(0)])]),
                r.invoke_and_await(ADD("maybe"), [t.WitValue([t.WitNode_PrimBool(True)])]),
                r.invoke_and_await(ADD("maybe"), [t.WitValue([t.WitNode_PrimBool(False)])]),
                r.invoke_and_await(ADD("note"), [u32(9)]),
                r.invoke_and_await("ping", []))

    echo, kind, ok, err, unit, ping = g.invoke(CART, "alice", call)
    assert plain(echo) == [("tuple-value", [1]), ("record-value", [2, 3]),
                           ("prim-string", "FIG"), ("prim-u32", 5)]
    assert plain(kind) == [("tuple-value", [1]), ("enum-value", 1)]
    assert plain(ok) == [("tuple-value", [1]), ("result-value", Ok(2)), ("prim-u32", 7)]
    assert plain(err) == [("tuple-value", [1]), ("result-value", Err(2)),
                          ("prim-string", "no stock")]
    assert plain(unit) == [("record-value", [])]
    assert plain(ping) == [("tuple-value", [1]), ("prim-string", "pong")]
    assert g.instance(INV, "stock").module("inventory").noted == [9]


@pytest.mark.parametrize("name", [
    "golem-fakes:rpc/api@1.0.0.{[constructor]counter}", "golem-fakes:rpc/api@1.0.0.{counter.new}"])
def test_resources_of_the_target_are_handles_with_its_urn(g, name: str) -> None:
    t = rpc()

    def call() -> Any:
        r = target(g)
        h = r.invoke_and_await(name, [t.WitValue([t.WitNode_PrimU64(5)])])
        handle = h.nodes[1].value
        hv = t.WitValue([t.WitNode_Handle(handle)])
        added = r.invoke_and_await(f"{API}.{{[method]counter.add}}", [hv, t.WitValue([t.WitNode_PrimU64(2)])])
        got = r.invoke_and_await(f"{API}.{{counter.get}}", [hv])
        made = r.invoke_and_await(f"{API}.{{[static]counter.make}}", [t.WitValue([t.WitNode_PrimU64(1)])])
        made2 = r.invoke_and_await(f"{API}.{{counter.make}}", [t.WitValue([t.WitNode_PrimU64(2)])])
        dropped = r.invoke_and_await(f"{API}.{{counter.drop}}", [hv])
        try:
            after = r.invoke_and_await(f"{API}.{{counter.get}}", [hv])
        except Err as e:
            after = e.value
        return handle, added, got, made, made2, dropped, after

    handle, added, got, made, made2, dropped, after = g.invoke(CART, "alice", call)
    assert handle[0].value == f"urn:worker:{g.worker(INV, 'stock').component_id}/stock"
    assert plain(added)[1] == ("prim-u64", 7) and plain(got)[1] == ("prim-u64", 7)
    assert plain(made)[1][0] == "handle" and plain(made2)[1][0] == "handle"
    assert plain(dropped) == [("record-value", [])]
    assert type(after).__name__ == "RpcError_RemoteInternalError"   # dropped: resource not found


def test_a_dropped_or_foreign_handle_is_an_rpc_error(g) -> None:
    t = rpc()

    def call() -> list[Any]:
        r = target(g)
        h = r.invoke_and_await(f"{API}.{{counter.new}}", [t.WitValue([t.WitNode_PrimU64(5)])])
        uri, rid = h.nodes[1].value
        foreign = t.WitValue([t.WitNode_Handle((t.Uri("urn:worker:00000000-0000-0000-0000-000000000000/x"), rid))])
        hv = t.WitValue([t.WitNode_Handle((uri, rid))])
        out = []
        for params in ([foreign], [hv]):
            try:
                r.invoke_and_await(f"{API}.{{counter.get}}", params)
                out.append("ok")
            except Err as e:
                out.append(e.value)
            if len(out) == 1:
                r.invoke_and_await(f"{API}.{{counter.drop}}", [hv])
        return out

    foreign, dropped = g.invoke(CART, "alice", call)
    assert type(foreign).__name__ == "RpcError_RemoteInternalError"
    assert "different worker" in foreign.value
    assert type(dropped).__name__ == "RpcError_RemoteInternalError"


# --- rpc-error cases (§1.11) ------------------------------------------------------------


def _error_of(g: golem_fakes.Golem, name: str, params: list[Any], component: str = INV) -> Any:
    def call() -> Any:
        try:
            target(g, component=component).invoke_and_await(name, params)
        except Err as e:
            return e.value
        return None

    return g.invoke(CART, "alice", call)


@pytest.mark.parametrize("name", [
    "golem-fakes:rpc/api@1.0.0.{nope}",         # unknown function
    "golem-fakes:rpc/other@1.0.0.{add}",        # unknown interface
    "golem-fakes:rpc/api.{add}",                # the version is required
    "api.{add}",                                # dev.25: not enriched
    "add",                                      # a bare name is a world-level export
    "not a {function name",                     # does not parse
])
def test_unknown_functions_are_remote_internal_errors(g, name: str) -> None:
    e = _error_of(g, name, [s("a"), u32(1)])
    assert type(e).__name__ == "RpcError_RemoteInternalError", e
    assert g.instance(INV, "stock").module("inventory").stock == {}


def test_v131_enriches_an_interface_name_without_package(g) -> None:
    rpc_settings(g).version = "v1.3.1"

    def call() -> Any:
        return target(g).invoke_and_await("api.{add}", [s("a"), u32(1)])

    assert plain(g.invoke(CART, "alice", call))[1] == ("prim-u32", 1)


@pytest.mark.parametrize("params", [
    [],                                            # too few
    ["s", 1, 2],                                   # too many
    ["u8"],                                        # a u8 for a u32: no widening
    ["s32"],                                       # a s32 for a u32
    ["str-as-list"],                               # a list for a string
])
def test_wrong_parameter_shapes_are_remote_internal_errors_and_leave_the_target_untouched(
        g, params: list[str]) -> None:
    t = rpc()
    made = {"s": s("a"), 1: u32(1), 2: u32(2),
            "u8": t.WitValue([t.WitNode_PrimU8(1)]),
            "s32": t.WitValue([t.WitNode_PrimS32(1)]),
            "str-as-list": t.WitValue([t.WitNode_ListValue([])])}
    if params in (["u8"], ["s32"]):
        ps = [s("a"), made[params[0]]]
    elif params == ["str-as-list"]:
        ps = [made["str-as-list"], u32(1)]
    else:
        ps = [made[p] for p in params]
    e = _error_of(g, ADD(), ps)
    assert type(e).__name__ == "RpcError_RemoteInternalError"
    assert "mismatch" in e.value
    stock = g.worker(INV, "stock")
    assert [x.kind for x in g.oplog(INV, "stock").entries] == ["create"]
    assert stock.status.wit_name == "idle"


def test_a_trap_in_the_callee_is_a_remote_internal_error_after_its_retries(g) -> None:
    from golem_fakes.state.invocation import RetryPolicy

    g.retry_policy = RetryPolicy(max_attempts=1)
    e = _error_of(g, ADD("boom"), [s("kaput")])
    assert type(e).__name__ == "RpcError_RemoteInternalError"
    assert "kaput" in e.value
    assert g.worker(INV, "stock").status.wit_name == "failed"
    assert g.runtime(INV, "stock").retries == 1
    # the caller is fine and gets an error for the failed target afterwards too
    e2 = _error_of(g, ADD(), [s("a"), u32(1)])
    assert type(e2).__name__ == "RpcError_RemoteInternalError"
    assert g.worker(CART, "alice").status.wit_name == "idle"


def test_no_such_component_is_a_remote_internal_error(g) -> None:
    t = rpc()

    def call() -> Any:
        r = t.WasmRpc(t.WorkerId(t.ComponentId(t.Uuid(1, 2)), "w"))
        try:
            r.invoke_and_await(ADD(), [s("a"), u32(1)])
        except Err as e:
            return e.value

    e = g.invoke(CART, "alice", call)
    assert type(e).__name__ == "RpcError_RemoteInternalError"
    assert "not found" in e.value


def test_v131_constructor_creates_the_target_and_traps_for_no_such_component(g) -> None:
    t = rpc()
    rpc_settings(g).version = "v1.3.1"
    g.invoke(CART, "alice", lambda: target(g, "eager"))
    assert g.worker(INV, "eager").status.wit_name == "idle"
    with pytest.raises(KeyError):
        g.worker(INV, "lazy")

    with pytest.raises(Trap, match="Failed to create the target worker"):
        g.invoke(CART, "bob", lambda: t.WasmRpc(t.WorkerId(t.ComponentId(t.Uuid(1, 2)), "w")))


def test_dev25_constructor_creates_nothing(g) -> None:
    g.invoke(CART, "alice", lambda: target(g, "lazy"))
    with pytest.raises(KeyError):
        g.worker(INV, "lazy")


def test_the_target_gets_the_callers_args_env_and_config(g) -> None:
    g.add_worker(CART, "alice", args=["--x"], env={"REGION": "eu", "GOLEM_WORKER_NAME": "fake"},
                 config={"k": "v"})
    g.registry.component(INV).env["ONLY_INV"] = "1"

    def call() -> Any:
        r = target(g)
        return [plain(r.invoke_and_await(ADD("env-of"), [s(n)]))
                for n in ("REGION", "GOLEM_WORKER_NAME", "ONLY_INV")]

    region, name, only = g.invoke(CART, "alice", call)
    assert region[-1] == ("prim-string", "eu")
    assert name[-1] == ("prim-string", "stock")
    assert only[-1] == ("prim-string", "1")
    w = g.worker(INV, "stock")
    assert w.args == ["--x"] and w.config == {"k": "v"}


# --- durability ---------------------------------------------------------------------------


def test_a_crash_of_the_caller_after_the_call_replays_the_result_and_does_not_call_again(g) -> None:
    def call() -> Any:
        out = target(g).invoke_and_await(ADD(), [s("apple"), u32(3)])
        from wit_world.imports import host
        host.get_oplog_index()
        return plain(out)

    g.add_worker(CART, "alice")
    # host calls of the caller: key, (span), result, get-oplog-index: crash after the result
    g.crash(CART, "alice", after=2)
    assert g.invoke(CART, "alice", call) == [("tuple-value", [1]), ("prim-u32", 3)]
    assert g.runtime(CART, "alice").recoveries == 1
    assert g.instance(INV, "stock").module("inventory").calls == ["apple"]
    assert len([e for e in g.oplog(INV, "stock").entries if e.kind == "exported-function-invoked"]) == 1
    # and once more between invocations: replay only
    g.crash(CART, "alice")
    assert g.instance(INV, "stock").module("inventory").calls == ["apple"]


def test_a_caller_re_executing_the_call_is_answered_from_the_targets_key_cache(g) -> None:
    """The key entry is committed with the result; a call whose result entry was lost
    is sent again with the same key, and the target does not run it twice."""
    def call() -> Any:
        return plain(target(g).invoke_and_await(ADD(), [s("apple"), u32(3)]))

    g.add_worker(CART, "alice")
    first = g.invoke(CART, "alice", call, idempotency_key="k1")
    assert first == [("tuple-value", [1]), ("prim-u32", 3)]
    key = ifi(g, CART, "alice")
    assert key[0].endswith("idempotency key")
    # the same invocation key again is answered by the caller's own cache;
    # a new caller invocation with the same derived key reaches the target's cache
    from golem_fakes.rpc.wasm_rpc import call_target

    req = next(e for e in g.oplog(CART, "alice").entries
               if e.payload.get("function_name", "").endswith("result")).payload["request"]
    with g.run_as(CART, "bob"):
        again = call_target(g, g.worker(INV, "stock"), ADD(), req["function_params"],
                            req["idempotency_key"])
    assert again == Ok({"nodes": [("tuple-value", [1]), ("prim-u32", 3)]})
    assert g.instance(INV, "stock").module("inventory").calls == ["apple"]


def test_a_crash_of_the_callee_is_recovered_and_the_caller_gets_the_result(g) -> None:
    def call() -> Any:
        r = target(g)
        r.invoke_and_await(ADD(), [s("apple"), u32(1)])
        return plain(r.invoke_and_await(ADD(), [s("pear"), u32(2)]))

    g.invoke(INV, "stock", "total")
    g.crash(INV, "stock", after=1)     # lost inside the first rpc invocation's code path
    assert g.invoke(CART, "alice", call) == [("tuple-value", [1]), ("prim-u32", 3)]
    assert g.runtime(INV, "stock").recoveries >= 1
    assert g.instance(INV, "stock").module("inventory").stock == {"apple": 1, "pear": 2}


def test_two_components_of_real_code_call_each_other_by_export(g) -> None:
    cid = str(g.registry.component(INV).component_id)
    assert g.invoke(CART, "alice", ADD("forward"), cid, "stock", "fig", 4) == 4
    assert g.invoke(CART, "alice", ADD("forward"), cid, "stock", "fig", 1) == 5
    assert g.instance(INV, "stock").module("inventory").stock == {"fig": 5}
    g.crash(CART, "alice")                       # replay: the target is not called again
    assert g.instance(INV, "stock").module("inventory").calls == ["fig", "fig"]


# --- self calls and cycles (§1.12) --------------------------------------------------------


def test_a_self_call_deadlocks_in_dev25_and_traps_in_v131(g) -> None:
    from golem_fakes.state.invocation import RetryPolicy

    g.retry_policy = RetryPolicy(max_attempts=0)

    def call() -> Any:
        return target(g, "me", component=CART).invoke_and_await(ADD("total"), [])

    with pytest.raises(Deadlock):
        g.invoke(CART, "me", call)
    rpc_settings(g).version = "v1.3.1"
    with pytest.raises(Trap, match="RPC calls to the same agent are not supported"):
        g.invoke(CART, "me2", lambda: target(g, "me2", component=CART).invoke_and_await(
            ADD("total"), []))


def test_a_cycle_deadlocks(g) -> None:
    from golem_fakes.state.invocation import RetryPolicy

    g.retry_policy = RetryPolicy(max_attempts=0)
    cart = str(g.registry.component(CART).component_id)

    def call() -> Any:
        # inventory/stock.forward calls cart/alice (running this) -> cycle
        return target(g).invoke_and_await(ADD("forward"), [s(cart), s("alice"), s("x"), u32(1)])

    with pytest.raises(Deadlock):
        g.invoke(CART, "alice", call)


# --- invoke (fire and forget) ------------------------------------------------------------


def test_invoke_queues_and_reports_nothing_back(g) -> None:
    def call() -> list[Any]:
        r = target(g)
        return [r.invoke(ADD("note"), [u32(1)]), r.invoke(ADD("nope"), []),
                r.invoke(ADD("boom"), [s("x")])]

    from golem_fakes.state.invocation import RetryPolicy

    g.retry_policy = RetryPolicy(max_attempts=0)
    assert g.invoke(CART, "alice", call) == [None, None, None]
    assert g.instance(INV, "stock").module("inventory").noted == [1]
    assert "golem::rpc::wasm-rpc::invoke" in ifi(g, CART, "alice")


def test_invoke_on_yourself_runs_after_the_current_invocation(g) -> None:
    def call() -> None:
        target(g, "me", component=CART).invoke(ADD("note"), [u32(5)])

    g.invoke(CART, "me", call)
    assert g.invoke(CART, "me", ADD("notes")) == [5]


# --- async-invoke-and-await ---------------------------------------------------------------


def test_async_invoke_get_is_none_until_the_pollable_was_seen_ready(g) -> None:
    from wit_world.imports import poll

    out: list[Any] = []

    def call() -> None:
        out.clear()
        fut = target(g).async_invoke_and_await(ADD(), [s("apple"), u32(2)])
        out.extend([fut.get(), fut.get()])
        p = fut.subscribe()
        poll.poll([p])
        res = fut.get()
        assert isinstance(res, Ok)
        out.append(plain(res.value))
        fut.get()                               # consumed: a trap

    g.retry_policy = golem_fakes.RetryPolicy(max_attempts=0)
    with pytest.raises(Trap, match="future-invoke-result already consumed"):
        g.invoke(CART, "alice", call)
    # the call itself ran at once: only the pollable moved the future on
    assert out == [None, None, [("tuple-value", [1]), ("prim-u32", 2)]]
    gets = [e for e in g.oplog(CART, "alice").entries
            if e.payload.get("function_name") == "golem::rpc::future-invoke-result::get"]
    assert [e.payload["response"] for e in gets[:2]] == ["Pending", "Pending"]
    assert gets[2].payload["response"][0] == "Completed"
    assert gets[3].payload["response"] == ("Failed", "future-invoke-result already consumed")
    assert g.instance(INV, "stock").module("inventory").calls == ["apple"]


def test_async_invoke_errors_come_through_get(g) -> None:
    def call() -> Any:
        fut = target(g).async_invoke_and_await(ADD("nope"), [])
        fut.subscribe().block()
        return fut.get()

    out = g.invoke(CART, "alice", call)
    assert isinstance(out, Err) and type(out.value).__name__ == "RpcError_RemoteInternalError"


@pytest.mark.parametrize("after, nones", [
    # env reads (2), key, get (pending), poll, get (completed), get-oplog-index:
    (6, 1),   # lost after the completing get: every get replays as recorded
    # lost after the poll, whose read-local entry was not committed: the replayed
    # future is *deferred*; the poll runs live and finds it ready at once, the next get
    # sends the call again (same key: the target answers from its cache) and says none
    (5, 2),
])
def test_async_gets_replay_one_by_one_after_a_crash(g, after: int, nones: int) -> None:
    def call() -> Any:
        fut = target(g).async_invoke_and_await(ADD(), [s("apple"), u32(2)])
        nones = 0
        while fut.get() is None:
            nones += 1
            fut.subscribe().block()
        from wit_world.imports import host
        host.get_oplog_index()
        return nones

    g.add_worker(CART, "alice")
    g.crash(CART, "alice", after=after)
    assert g.invoke(CART, "alice", call) == nones
    assert g.runtime(CART, "alice").recoveries == 1
    assert g.instance(INV, "stock").module("inventory").calls == ["apple"]


# --- scheduling --------------------------------------------------------------------------


def _when(g: golem_fakes.Golem, seconds: float) -> Any:
    from wit_world.imports import wall_clock

    ms = g.clock.wall_ms() + int(seconds * 1000)
    return wall_clock.Datetime(ms // 1000, (ms % 1000) * 1_000_000)


def test_scheduled_invocations_fire_when_the_virtual_clock_reaches_them(g) -> None:
    def call() -> None:
        r = target(g)
        r.schedule_invocation(_when(g, 10), ADD("note"), [u32(1)])
        tok = r.schedule_cancelable_invocation(_when(g, 20), ADD("note"), [u32(2)])
        r.schedule_cancelable_invocation(_when(g, 30), ADD("note"), [u32(3)])
        tok.cancel()
        tok.cancel()                               # a no-op

    g.invoke(CART, "alice", call)
    assert g.registry.find(INV, "stock") is None    # nothing yet, no target check
    g.clock.advance(dt.timedelta(seconds=9))
    assert g.registry.find(INV, "stock") is None
    g.clock.advance(dt.timedelta(seconds=3))
    assert g.invoke(INV, "stock", ADD("notes")) == [1]
    g.clock.advance(dt.timedelta(seconds=30))
    assert g.invoke(INV, "stock", ADD("notes")) == [1, 3]
    assert ifi(g, CART, "alice").count("golem::rpc::wasm-rpc::schedule_invocation") == 3
    assert ifi(g, CART, "alice").count("golem::rpc::cancellation-token::cancel") == 2
    # created with nothing from the caller
    assert g.worker(INV, "stock").args == []


def test_an_action_older_than_the_previous_hour_never_fires(g) -> None:
    def call() -> None:
        target(g).schedule_invocation(_when(g, -2 * 3600), ADD("note"), [u32(1)])
        target(g).schedule_invocation(_when(g, -1), ADD("note"), [u32(2)])

    g.invoke(CART, "alice", call)
    g.clock.advance(dt.timedelta(seconds=3))
    assert g.invoke(INV, "stock", ADD("notes")) == [2]
    assert [a.state for a in scheduler(g).actions] == ["lost", "fired"]


def test_a_replayed_schedule_does_not_schedule_again(g) -> None:
    def call() -> None:
        target(g).schedule_invocation(_when(g, 5), ADD("note"), [u32(1)])
        from wit_world.imports import host
        host.get_oplog_index()

    g.add_worker(CART, "alice")
    g.crash(CART, "alice", after=1)
    g.invoke(CART, "alice", call)
    assert len(scheduler(g).actions) == 1


# --- pure functions -----------------------------------------------------------------------


def test_parse_uuid_and_uuid_to_string(g) -> None:
    t = rpc()
    u = uuid.UUID("67e55044-10b1-426f-9247-bb680e5fe0c8")

    def call() -> list[Any]:
        out = []
        for text in (str(u), u.hex, "{" + str(u) + "}", "urn:uuid:" + str(u), str(u).upper()):
            v = t.parse_uuid(text)
            out.append((v.high_bits, v.low_bits))
        for bad in ("67e5504410b1-426f-9247-bb680e5fe0c8", "nope", ""):
            try:
                t.parse_uuid(bad)
                out.append("accepted")
            except Err:
                out.append("err")
        out.append(t.uuid_to_string(t.Uuid(u.int >> 64, u.int & (2**64 - 1))))
        return out

    out = g.invoke(CART, "alice", call)
    assert out[:5] == [(u.int >> 64, u.int & (2**64 - 1))] * 5
    assert out[5:8] == ["err"] * 3
    assert out[8] == str(u)
    assert ifi(g, CART, "alice") == []


def test_extract_value_and_type_are_projections(g) -> None:
    t = rpc()

    def call() -> Any:
        v = t.WitValue([t.WitNode_PrimU8(3)])
        ty = t.WitType([t.NamedWitTypeNode(None, None, t.WitTypeNode_PrimU8Type())])
        vnt = t.ValueAndType(v, ty)
        return t.extract_value(vnt), t.extract_type(vnt)

    v, ty = g.invoke(CART, "alice", call)
    assert plain(v) == [("prim-u8", 3)]
    assert type(ty.nodes[0].type).__name__ == "WitTypeNode_PrimU8Type"


def test_ephemeral_targets_a_fresh_recorded_worker_name(g) -> None:
    t = rpc()

    def call() -> Any:
        cid = g.registry.component(INV).component_id
        r = t.WasmRpc.ephemeral(t.ComponentId(t.Uuid(cid.int >> 64, cid.int & (2**64 - 1))))
        return plain(r.invoke_and_await(ADD(), [s("a"), u32(1)]))

    assert g.invoke(CART, "alice", call) == [("tuple-value", [1]), ("prim-u32", 1)]
    names = [w.name for w in g.registry.workers_of(INV)]
    assert len(names) == 1 and uuid.UUID(names[0]).version == 4
    assert ifi(g, CART, "alice")[0] == "golem::rpc::wasm-rpc::generate_unique_local_worker_id"


def test_rpc_needs_a_golem_environment(g) -> None:
    from golem_fakes.bindings.runtime import NotFaked

    with golem_fakes.Environment():
        with pytest.raises(NotFaked, match="needs a golem_fakes.Golem environment"):
            target(g)
