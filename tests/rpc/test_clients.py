"""Generated RPC clients (issue 16 §2, semantics §1.16): the client WIT golem-cli's stub
generator writes, and every stub function kind linked onto golem:rpc as Golem
v1.3.0-dev.25's dynamic linker does — traps included.

World ``tests/parity/worlds/rpcclient``: the caller imports
``golem-fakes:target-client/target-world-client`` (its ``client.wit`` is
:func:`golem_fakes.rpc.stubgen.client_def`'s output, checked below) and includes the
target's world; the target component ``test:target`` runs real code."""

from __future__ import annotations

import contextlib
import shutil
import sys
from pathlib import Path
from typing import Any, Iterator

import pytest

import golem_fakes
from golem_fakes.bindings.result import Err
from golem_fakes.bindings.runtime import Trap
from golem_fakes.rpc import stubgen
from golem_fakes.wit import load
from golem_fakes.worker.executor import component_exports, set_component_exports

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "worker"))
from worker_world import component_sources  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
WIT = REPO / "tests" / "parity" / "worlds" / "rpcclient"
TARGET, CALLER = "test:target", "test:caller"
CLIENT = "golem-fakes:target-client/target-world-client"

# The target's code: test_wasm_rpc's inventory component (its `forward` and `env_of` are
# not exported by this world's target, and componentize-py looks up only the exports)
# and its exported resource `counter`.
from test_wasm_rpc import COMPONENT as TARGET_CODE, RESOURCES  # noqa: E402


def target_world() -> Any:
    """The target's own world, loaded alone (as golem-cli reads the target's WIT)."""
    import tempfile

    tmp = Path(tempfile.mkdtemp())
    shutil.copy(WIT / "deps" / "target" / "target.wit", tmp / "target.wit")
    (tmp / "deps").symlink_to(REPO / "golem_fakes" / "data" / "wit" / "deps")
    return load(tmp).world("target-world")


@contextlib.contextmanager
def caller_sources(tmp_path_factory: pytest.TempPathFactory, wit: Path,
                   client_def: Any) -> Iterator[Path]:
    """The caller world's sources (``wit``), the client ``client_def`` linked onto
    golem:rpc, and the target's exports declared, for the duration."""
    before = component_exports()
    with component_sources(tmp_path_factory, wit, "caller-world",
                           {"target": TARGET_CODE, "api": RESOURCES}) as d:
        stubgen.link(client_def)
        set_component_exports({TARGET: {"golem-fakes:target/api", ""}, CALLER: set()})
        try:
            yield d
        finally:
            set_component_exports(before)


@pytest.fixture(scope="module")
def src(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    with caller_sources(tmp_path_factory, WIT, stubgen.client_def(target_world(), TARGET)) as d:
        yield d


@pytest.fixture
def g(src: Path) -> Iterator[golem_fakes.Golem]:
    golem = golem_fakes.Golem(seed=5, component=CALLER)
    golem.add_component(TARGET, code="target", path=src)
    with golem:
        yield golem


def client() -> Any:
    import importlib

    return importlib.import_module("wit_world.imports.target_world_client")


def run(g: golem_fakes.Golem, fn: Any, *args: Any, worker: str = "c1") -> Any:
    return g.invoke(CALLER, worker, fn, *args)


def target_calls(g: golem_fakes.Golem, name: str, worker: str = "t1") -> int:
    return sum(1 for i in g.invocations(TARGET, worker) if i.function_name.endswith(name))


# --- the client WIT -------------------------------------------------------------------


def test_the_checked_in_client_wit_is_what_stubgen_generates() -> None:
    d = stubgen.client_def(target_world(), TARGET)
    assert (WIT / "deps" / "target-client" / "client.wit").read_text() == d.text
    assert d.interface_id == CLIENT and d.world == "wasm-rpc-client-target-world"
    # stub resources: the interface, its resource, the world functions (no target)
    assert [e.name for e in d.entities] == ["api", "counter", "target-world"]
    assert d.targets == {"api": "golem-fakes:target/api", "counter": "golem-fakes:target/api"}
    assert [e.is_interface_stub for e in d.entities[:2]] == [True, False]
    text = d.text
    assert "use golem-fakes:target-exports/api.{item, kind};" in text
    assert "constructor(worker-name: string, start: u64);" in text
    assert "custom: static func(worker-id: golem-rpc-worker-id) -> api;" in text
    assert "blocking-note: func(x: u32);\n    note: func(x: u32);" in text   # unit: no future
    assert "resource future-counter-add-result {" in text
    assert ("schedule-add: func(name: string, qty: u32, scheduled-for: wasi-clocks-datetime) "
            "-> golem-rpc-cancellation-token;") in text


def test_a_type_name_two_interfaces_declare_gets_golem_clis_alias(tmp_path: Path) -> None:
    (tmp_path / "t.wit").write_text(
        "package a:b@1.0.0;\ninterface one { record item { x: u32 } f: func(i: item); }\n"
        "interface two { record item { y: string } g: func() -> item; }\n"
        "world w { export one; export two; }\n")
    d = stubgen.client_def(load(tmp_path).world("w"), "a:b")
    assert d.package.name == "b-client" and d.package.version == "1.0.0"
    assert "use a:b-exports/one@1.0.0.{item as a-b-one-item};" in d.text
    assert "use a:b-exports/two@1.0.0.{item as a-b-two-item};" in d.text
    assert "blocking-g: func() -> a-b-two-item;" in d.text


# --- interface stubs ------------------------------------------------------------------


def test_blocking_functions_invoke_and_await_and_unwrap_the_result(g) -> None:
    def call() -> Any:
        from wit_world.imports import api as types   # the target's types the client uses

        with client().Api("t1") as api:
            item = api.blocking_echo(types.Item("pear", 1))
            return (api.blocking_add("apple", 2), api.blocking_add("fig", 1), item.name,
                    item.qty, api.blocking_classify(types.Kind.FRUIT), api.blocking_maybe(True),
                    api.blocking_note(4), api.blocking_notes())

    out = run(g, call)
    assert out[:4] == (2, 3, "PEAR", 2)
    assert out[4].name == "VEG" and out[5] == 7 and out[6] is None and out[7] == [4]
    assert g.instance(TARGET, "t1").module("target").stock == {"apple": 2, "fig": 1}
    called = [e["function_name"] for e in g.oplog(CALLER, "c1").entries
              if e.kind == "imported-function-invoked"]
    assert called.count("golem::rpc::wasm-rpc::invoke-and-await result") == 7


def test_an_err_result_of_the_target_is_the_stubs_err(g) -> None:
    def call() -> Any:
        with client().Api("t1") as api, pytest.raises(Err) as e:
            api.blocking_maybe(False)
        return e.value.value

    assert run(g, call) == "no stock"


def boom() -> None:
    with client().Api("t1") as api:
        api.blocking_boom("kaboom")


def test_an_rpc_error_traps_the_caller_with_golems_message(g) -> None:
    with pytest.raises(Trap, match=r'^RpcError::RemoteInternalError\("Component trapped: .*kaboom'):
        run(g, boom)
    assert g.worker(TARGET, "t1").status.name == "FAILED"


def test_an_unknown_target_component_traps_the_constructor(src) -> None:
    with golem_fakes.Golem(seed=1, component=CALLER) as g:   # no test:target added
        with pytest.raises(Trap, match="^Failed to resolve component test:target$"):
            g.invoke(CALLER, "c1", lambda: client().Api("t1"))


def test_custom_takes_a_worker_id(g) -> None:
    def call() -> int:
        with client().Api.custom(worker_id(g, "t9")) as api:
            return api.blocking_add("x", 5)

    assert run(g, call) == 5
    assert g.instance(TARGET, "t9").module("target").stock == {"x": 5}


def test_async_functions_answer_through_the_future_once(g) -> None:
    def call(again: bool) -> Any:
        with client().Api("t1") as api:
            fut = api.add("kiwi", 3)
            first = fut.get()                  # pending until the pollable was seen ready
            fut.subscribe().block()
            value = fut.get()
            if again:
                fut.get()                      # a trap: the invocation is over
            return first, value

    assert run(g, call, False) == (None, 3)
    with pytest.raises(Trap, match="future-invoke-result already consumed"):
        run(g, call, True, worker="c2")


def test_an_async_rpc_error_traps_get_with_golems_message(g) -> None:
    def call() -> None:
        with client().Api("t1") as api:
            fut = api.boom("late")
            fut.subscribe().block()
            fut.get()

    with pytest.raises(Trap, match=r"^RPC invocation of golem-fakes:target-client/"
                                   r"target-world-client\.\{future-boom-result\.get\} failed "
                                   r"with: Remote internal error: Component trapped: .*late"):
        run(g, call)


def test_a_function_without_result_is_fire_and_forget(g) -> None:
    def call() -> None:
        with client().Api("t1") as api:
            api.note(11)

    run(g, call)
    called = [e["function_name"] for e in g.oplog(CALLER, "c1").entries
              if e.kind == "imported-function-invoked"]
    assert "golem::rpc::wasm-rpc::invoke" in called
    assert g.invoke(TARGET, "t1", "golem-fakes:target/api.{notes}") == [11]


def test_schedule_functions_fire_on_the_virtual_clock_and_cancel(g) -> None:
    def call(at: int) -> None:
        from wit_world.imports import wall_clock

        with client().Api("t1") as api:
            api.schedule_add("lime", 2, wall_clock.Datetime(at, 0))
            api.schedule_add("lemon", 9, wall_clock.Datetime(at, 0)).cancel()

    now = g.clock.wall_ms() // 1000
    run(g, call, now + 30)
    assert g.registry.find(g.registry.component(TARGET), "t1") is None   # not yet
    g.clock.advance(32)
    assert g.instance(TARGET, "t1").module("target").stock == {"lime": 2}


def call_add() -> int:
    with client().Api("t1") as api:
        return api.blocking_add("plum", 1)


def test_the_target_function_must_exist_in_the_target(g) -> None:
    set_component_exports({TARGET: {""}, CALLER: set()})   # test:target without api
    try:
        with pytest.raises(Trap, match=r"^Target function golem-fakes:target/api\.\{add\} not "
                                       r"found in component metadata$"):
            run(g, call_add)
    finally:
        set_component_exports({TARGET: {"golem-fakes:target/api", ""}, CALLER: set()})


def test_world_functions_are_not_linked(g) -> None:
    def call() -> None:
        with client().TargetWorld("t1"):
            pass

    with pytest.raises(Trap, match="does not link it"):
        run(g, call)


def test_a_crash_of_the_caller_after_the_call_does_not_call_again(g) -> None:
    assert run(g, call_add) == 1
    g.crash(CALLER, "c1")
    g.invoke(CALLER, "c1", lambda: None)           # recovered by replay first
    assert target_calls(g, "{add}") == 1
    assert g.instance(TARGET, "t1").module("target").stock == {"plum": 1}


# --- resource stubs -------------------------------------------------------------------


def worker_id(g: golem_fakes.Golem, name: str) -> Any:
    from wit_world.imports import types as rpc   # golem:rpc/types

    cid = rpc.parse_uuid(str(g.registry.component(TARGET).component_id))
    return rpc.WorkerId(rpc.ComponentId(cid), name)


def test_a_resource_stub_constructs_remotely_prepends_its_handle_and_drops(g) -> None:
    def call() -> Any:
        with client().Counter.custom(worker_id(g, "t1"), 5) as counter:
            return counter.blocking_add(3), counter.blocking_get()

    assert run(g, call) == (8, 8)
    names = [i.function_name for i in g.invocations(TARGET, "t1")]
    assert names == ["golem-fakes:target/api.{counter.new}", "golem-fakes:target/api.{counter.add}",
                     "golem-fakes:target/api.{counter.get}", "golem-fakes:target/api.{counter.drop}"]
    assert len(g.instance(TARGET, "t1").resources) == 0   # dropped remotely
    # dev.25: the constructor opens two connections; only the second span is finished
    spans = [s for s in g.spans(CALLER, "c1") if s.name == "rpc-connection"]
    assert len(spans) == 2 and spans[0].finished_at is None and spans[1].finished_at is not None


def test_a_resource_stubs_plain_constructor_loses_its_last_argument(g) -> None:
    """dev.25's ResourceStubConstructor: the target gets one parameter too few."""
    def call() -> None:
        with client().Counter("t1", 5):
            pass

    with pytest.raises(Trap, match=r'^RpcError::RemoteInternalError\(".*expected 1, got 0'):
        run(g, call)
    assert g.invocations(TARGET, "t1") == []   # refused before it ran


def test_static_functions_of_a_resource_stub_trap(g) -> None:
    def call() -> None:
        with client().Counter.blocking_make(2):
            pass

    with pytest.raises(Trap, match="must be a resource handle"):
        run(g, call)


# --- discovery ------------------------------------------------------------------------


def test_discovery_reads_wasm_rpc_dependencies_from_golem_yaml() -> None:
    from golem_fakes.discovery import discover, find_app

    shop = REPO / "examples" / "shop"
    if not (shop / "wit" / "deps").is_dir():
        shutil.copytree(REPO / "golem_fakes" / "data" / "wit" / "deps", shop / "wit" / "deps")
    app = find_app(shop / "components-python" / "shop-cart")
    assert app is not None and app.wasm_rpc_targets("shop:cart") == ["shop:inventory"]
    d = discover(shop / "components-python" / "shop-cart")
    assert [c.interface_id for c in d.clients] == ["shop:inventory-client/shop-inventory-client"]
    assert d.component_exports == {"shop:cart": {"shop:cart/shop-cart-api"},
                                   "shop:inventory": {"shop:inventory/inventory-api"}}
    assert set(d.other_code) == {"shop:inventory"}
    world = load(d.install_kwargs["wit"]).world("shop-cart")
    imported = {wi.key for wi in world.imports}
    assert "shop:inventory-client/shop-inventory-client" in imported
    assert {wi.key for wi in world.exports} == {"shop:cart/shop-cart-api",
                                                "shop:inventory/inventory-api"}


def test_discovery_of_a_caller_whose_world_imports_its_client_already(tmp_path: Path) -> None:
    """A WIT golem-cli generated imports the client already: not imported twice; a
    package only the target needs comes from the target's WIT."""
    from golem_fakes.discovery import discover

    shop = tmp_path / "shop"
    shutil.copytree(REPO / "examples" / "shop", shop,
                    ignore=shutil.ignore_patterns("deps", "__pycache__", ".pytest_cache"))
    deps = shop / "wit" / "deps"
    deps.mkdir()
    for entry in (REPO / "golem_fakes" / "data" / "wit" / "deps").iterdir():
        if entry.name != "golem-rdbms":   # only shop:inventory needs it: from its own wit/
            (deps / entry.name).symlink_to(entry)
    inv_deps = shop / "components-python" / "shop-inventory" / "wit" / "deps"
    inv_deps.mkdir()
    (inv_deps / "golem-rdbms").symlink_to(REPO / "golem_fakes" / "data" / "wit" / "deps" /
                                          "golem-rdbms")
    cart_wit = shop / "components-python" / "shop-cart" / "wit" / "shop-cart.wit"
    cart_wit.write_text(cart_wit.read_text().replace(
        "world shop-cart {", "world shop-cart {\n  import shop:inventory-client/shop-inventory-client;"))
    d = discover(shop / "components-python" / "shop-cart")
    main = (Path(d.install_kwargs["wit"]) / "shop-cart.wit").read_text()
    assert main.count("import shop:inventory-client/shop-inventory-client;") == 1
    world = load(d.install_kwargs["wit"]).world("shop-cart")
    assert "golem:rdbms/postgres@0.0.1" in {wi.key for wi in world.imports}
