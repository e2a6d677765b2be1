"""The TypeScript worker (``src/cart.ts``, built by componentize-js) run as a worker of a
``Golem`` through golem_fakes.compiled: the same stores, clock, console, oplog, crash
plans and golem:api as a Python worker gets.

Most tests use the ``golem`` fixture: the test's own code is the default (Python)
worker, calling the bindings, and ``ts-cart`` is the compiled TypeScript component. The
crash-point tests take a plain ``Golem`` (``plain``): ``explore_crashes`` copies the
environment, which cannot be done while the fixture's own worker is running the test.

Every test runs twice (``ts_wasm``): ``[pinned]`` on the component of the toolchain
pinned in package-lock.json (imports at WASI ``@0.2.3``), ``[latest]`` on the component
of the newest componentize-js and jco, only with ``GOLEM_FAKES_TS_LATEST=1`` (their WASI
imports, ``@0.2.10`` / ``@0.2.12`` so far, link by semver to the installed ``@0.2.3``).
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("wasmtime")

import golem_fakes  # noqa: E402
from golem_fakes import Golem, LogRecord  # noqa: E402
from golem_fakes.bindings.result import Err  # noqa: E402

TS = "ts-cart"
CART = "golem-fakes:ts-cart/cart"


@pytest.fixture
def ts(golem: Golem, ts_wasm: Path) -> Golem:
    golem.add_component(TS, wasm=ts_wasm)
    return golem


@pytest.fixture
def plain(ts_wasm: Path) -> Golem:
    golem_fakes.install()
    g = Golem(seed=7)
    g.add_component(TS, wasm=ts_wasm)
    return g


def _orders(g: Golem) -> dict[str, Any]:
    return {k: json.loads(v) for k, v in g.keyvalue["orders"].items()} \
        if "orders" in g.keyvalue else {}


def test_an_export_called_by_name_runs_the_typescript_code(ts: Golem) -> None:
    assert ts.invoke(TS, "alice", "add-item", "apple", 2) == 2
    assert ts.invoke(TS, "alice", f"{CART}.{{add-item}}", "pear", 1) == 3
    assert ts.invoke(TS, "alice", "add_item", "apple", 3) == 6
    lines = ts.invoke(TS, "alice", "lines")
    assert [(line.sku, line.qty) for line in lines] == [("apple", 5), ("pear", 1)]
    assert ts.invoke(TS, "bob", "lines") == []   # every worker has its own instance
    assert ts.invoke(TS, "bob", "whoami") == "bob"


def test_keyvalue_writes_are_in_the_buckets_python_workers_see(ts: Golem) -> None:
    from wit_world.imports import eventual, wasi_keyvalue_types as kv_types

    ts.invoke(TS, "alice", "add-item", "apple", 2)
    assert ts.keyvalue["carts"]["alice/apple"] == b"2"            # the test's view
    carts = kv_types.Bucket.open_bucket("carts")                  # a Python worker's
    assert eventual.get(carts, "alice/apple").incoming_value_consume_sync() == b"2"

    value = kv_types.OutgoingValue.new_outgoing_value()           # Python writes...
    value.outgoing_value_write_body_sync("3 figs".encode())
    eventual.set(carts, "from-python", value)
    assert ts.invoke(TS, "bob", "read", "carts", "from-python") == "3 figs"   # ...TS reads
    ts.keyvalue["notes"]["k"] = b"seeded by the test"
    assert ts.invoke(TS, "bob", "read", "notes", "k") == "seeded by the test"
    assert ts.invoke(TS, "bob", "read", "notes", "missing") is None


def test_keyvalue_is_shared_with_a_componentize_py_component(ts: Golem,
                                                            linker_wasm: Path) -> None:
    """Two compiled components in two languages, one store."""
    ts.add_component("lt", wasm=linker_wasm)
    ts.invoke(TS, "alice", "add-item", "kiwi", 4)
    assert ts.invoke("lt", "w1", "kv-get", "carts", "alice/kiwi") == b"4"
    ts.invoke("lt", "w1", "kv-set", "carts", "alice/fig", b"7")
    assert ts.invoke(TS, "alice", "read", "carts", "alice/fig") == "7"


def test_its_clocks_are_the_virtual_clock(ts: Golem) -> None:
    wall_ms, mono_ns = ts.invoke(TS, "alice", "clocks")
    assert wall_ms == ts.clock.wall_ms()
    ts.clock.advance(dt.timedelta(minutes=5))
    later_ms, later_ns = ts.invoke(TS, "alice", "clocks")
    assert later_ms - wall_ms == 300_000
    assert later_ns - mono_ns >= 300 * 10**9
    ts.invoke(TS, "alice", "add-item", "apple", 1)
    receipt = ts.invoke(TS, "alice", "checkout")
    assert receipt.placed_at_ms == ts.clock.wall_ms()           # Date.now() in the worker


def test_console_log_and_wasi_logging_are_captured(ts: Golem) -> None:
    ts.invoke(TS, "alice", "add-item", "apple", 2)
    receipt = ts.invoke(TS, "alice", "checkout")
    console = ts.console(TS, "alice")
    order = json.loads(console.text().removeprefix("placed ").strip())
    assert order == {"orderId": receipt.order_id, "worker": "alice",
                     "lines": [{"sku": "apple", "qty": 2}]}
    assert console.stderr == b""
    assert console.logs == [LogRecord("info", "cart", f"order {receipt.order_id} placed: 2 items")]
    assert ts.invoke(TS, "bob", "whoami") == "bob"
    assert ts.console(TS, "bob").text() == ""           # each worker's own output


def test_checkout_of_an_empty_cart_is_an_error_result(ts: Golem) -> None:
    """A value the TypeScript export throws is the err of its result<receipt, string>."""
    with pytest.raises(Err) as e:
        ts.invoke(TS, "carol", "checkout")
    assert e.value.value == "cart is empty"
    assert ts.worker(TS, "carol").status.name == "IDLE"   # an error result, not a failure


def test_arguments_are_checked_against_the_wit_before_the_worker_runs(ts: Golem) -> None:
    from golem_fakes.bindings.exports import InvalidArgument

    with pytest.raises((InvalidArgument, TypeError), match="qty"):
        ts.invoke(TS, "alice", "add-item", "apple", -1)   # qty: u32
    assert "carts" not in ts.keyvalue


def test_the_order_id_is_the_invocation_s_idempotency_key(ts: Golem,
                                                         ts_wasm: Path) -> None:
    """Golem re-runs a failed invocation with the same idempotency key, and the key the
    worker generates derives from it: a re-run places the same order, not a second one."""
    def place_order(g: Golem, key: str) -> Any:
        g.invoke(TS, "alice", "add-item", "apple", 1)
        return g.invoke(TS, "alice", "checkout", idempotency_key=key)

    def another_golem() -> Golem:
        g = ts.fresh()   # the same seed and configuration; components are added again
        g.add_component(TS, wasm=ts_wasm)
        return g

    first = place_order(ts, "order-42")
    assert uuid.UUID(first.order_id) in ts.idempotency_keys[(TS, "alice")]
    again = place_order(another_golem(), "order-42")
    other = place_order(another_golem(), "order-43")
    assert first.order_id == again.order_id != other.order_id
    assert list(_orders(ts)) == [first.order_id]
    # the same Golem answers a completed key from its first result, without running it
    sets = ts.call_count("wasi:keyvalue/eventual@0.1.0", "set")
    assert ts.invoke(TS, "alice", "checkout", idempotency_key="order-42") == first
    assert ts.call_count("wasi:keyvalue/eventual@0.1.0", "set") == sets


def test_the_receipt_s_oplog_index_is_the_worker_s_oplog(ts: Golem) -> None:
    ts.invoke(TS, "alice", "add-item", "apple", 1)
    receipt = ts.invoke(TS, "alice", "checkout")
    oplog = ts.oplog(TS, "alice")
    started = [e.index for e in oplog if e.kind == "exported-function-invoked"][-1]
    assert started < receipt.oplog_index < oplog.current_index
    # Golem's get-oplog-index appends a no-op entry and returns its index
    assert [e.kind for e in oplog if e.index == receipt.oplog_index] == ["no-op"]
    # the order was written before it: the set is recorded at a lower index
    sets = [e.index for e in oplog if e.get("function_name") == "golem keyvalue::eventual::set"]
    assert started < sets[-1] < receipt.oplog_index


def test_a_crash_drops_the_instance_and_recovery_replays_without_repeating_effects(
        ts: Golem) -> None:
    ts.invoke(TS, "alice", "add-item", "apple", 2)
    ts.invoke(TS, "alice", "add-item", "pear", 1)
    ts.keyvalue["carts"]["alice/apple"] = b"changed by the test"  # a repeated set overwrites
    before = ts.instance(TS, "alice").wasm
    ts.crash(TS, "alice")
    assert ts.runtime(TS, "alice").crashes == 1
    # the JavaScript heap is rebuilt by replaying both invocations into a new instance
    assert [(x.sku, x.qty) for x in ts.invoke(TS, "alice", "lines")] == [("apple", 2), ("pear", 1)]
    assert ts.instance(TS, "alice").wasm is not before and before.dropped
    assert ts.keyvalue["carts"]["alice/apple"] == b"changed by the test"   # not written again
    assert ts.invoke(TS, "alice", "add-item", "apple", 1) == 4


def test_a_crash_inside_checkout_places_the_order_once(plain: Golem) -> None:
    plain.invoke(TS, "alice", "add-item", "apple", 2)
    plain.keyvalue["carts"]["alice/apple"] = b"changed by the test"
    # right after checkout's 5th recorded host call, the order's eventual.set (before it:
    # two monotonic-clock reads of StarlingMonkey's, the idempotency key, Date.now())
    plain.crash(TS, "alice", after=5)
    receipt = plain.invoke(TS, "alice", "checkout", idempotency_key="order-1")
    assert plain.runtime(TS, "alice").crashes == 1
    assert list(_orders(plain)) == [receipt.order_id]
    assert plain.keyvalue["carts"]["alice/apple"] == b"changed by the test"  # add-item replayed
    assert plain.console(TS, "alice").text().count("placed ") == 1   # printed once, live
    assert plain.invoke(TS, "alice", "lines") == []
    sets = [e for e in plain.oplog(TS, "alice")
            if e.get("function_name") == "golem keyvalue::eventual::set"]
    assert len(sets) == 2   # add-item's and checkout's, each recorded once


def test_every_crash_point_of_checkout_places_one_order(plain: Golem) -> None:
    """At every crash point of checkout the order is written once, under the same id,
    and the cart ends empty. Its output is not: console.log and wasi:logging output
    whose ``log`` entries were not committed when the worker crashed is written again
    when the invocation goes on live (as in Golem, whose buffered oplog entries are lost
    with the executor); the eventual.set is a write-remote call, committed before it
    returned, so it is never repeated."""
    plain.invoke(TS, "alice", "add-item", "apple", 2)
    printed: set[int] = set()

    def one_order(copy: Golem, receipt: Any) -> None:
        assert list(_orders(copy)) == [receipt.order_id]
        printed.add(copy.console(TS, "alice").text().count("placed "))
        assert copy.invoke(TS, "alice", "lines") == []

    report = plain.explore_crashes(TS, "alice", "checkout", check=one_order)
    assert report.host_calls >= 5
    assert len(report.points) == report.host_calls + 1
    assert not report.failures
    assert printed == {1, 2}   # once, or twice when the crash lost its log entries
    assert "orders" not in plain.keyvalue   # the Golem itself is not changed
