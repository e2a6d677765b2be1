"""The worker registry: components, workers, metadata (through the real binding types)
and get-workers enumeration (pages, ordering, cursor) — ``golem-host-semantics.md``
§1, §9, §10, §16 rules 19-26."""

from __future__ import annotations

import uuid
from types import ModuleType
from typing import Any, Iterator

import pytest

import golem_fakes
from golem_fakes.bindings.runtime import Trap
from golem_fakes.state.environment import Environment
from golem_fakes.state.registry import (
    PAGE_SIZE,
    Component,
    Worker,
    WorkerRegistry,
    WorkerStatus,
    as_uuid,
    component_uuid,
    uuid_value,
)

HOST = "golem:api/host@1.1.7"


@pytest.fixture(scope="module")
def b() -> ModuleType:
    """The generated modules: ``b.host``, ``b.rpc`` (golem:rpc/types)."""
    golem_fakes.install()
    from wit_world.imports import golem_rpc_types, host

    return type("B", (), {"host": host, "rpc": golem_rpc_types})  # type: ignore[return-value]


@pytest.fixture
def reg() -> WorkerRegistry:
    return WorkerRegistry(seed=7, now_ms=lambda: 1_700_000_000_123)


@pytest.fixture
def env(reg: WorkerRegistry) -> Iterator[Environment]:
    """An environment whose get-workers / get-worker-metadata behaviours are the
    registry's (what golem_fakes/interfaces/golem_api/host.py wires for ``Golem``)."""
    e = Environment()
    e.implement(HOST, "[constructor]get-workers",
                lambda env, cid, flt, precise: reg.get_workers(cid, flt, precise))
    e.implement(HOST, "[method]get-workers.get-next", lambda env, rep: rep.get_next())

    def get_worker_metadata(env: Any, worker_id: Any) -> Any:
        w = reg.find_by_id(worker_id)
        return None if w is None else w.metadata()

    e.implement(HOST, "get-worker-metadata", get_worker_metadata)
    with e:
        yield e


def rpc_component_id(b: ModuleType, comp: Component) -> Any:
    n = comp.component_id.int
    return b.rpc.ComponentId(uuid=b.rpc.Uuid(high_bits=n >> 64, low_bits=n & (2**64 - 1)))


def all_pages(b: ModuleType, comp: Component, flt: Any = None, precise: bool = False) -> list[Any]:
    """Every get_next() result through the bindings, including the final None."""
    gw = b.host.GetWorkers(rpc_component_id(b, comp), flt, precise)
    out: list[Any] = []
    while True:
        page = gw.get_next()
        out.append(page)
        if page is None:
            return out


# --- statuses, ids, components -----------------------------------------------------------


def test_worker_status_is_golems_order(b: ModuleType) -> None:
    assert [s.wit_name for s in sorted(WorkerStatus)] == [
        "running", "idle", "suspended", "interrupted", "retrying", "failed", "exited"]
    assert [s.value for s in WorkerStatus] == [m.value for m in b.host.WorkerStatus]
    assert WorkerStatus.RUNNING < WorkerStatus.IDLE < WorkerStatus.EXITED
    assert WorkerStatus.parse("retrying") is WorkerStatus.RETRYING
    assert WorkerStatus.parse("FAILED") is WorkerStatus.FAILED
    assert WorkerStatus.parse(b.host.WorkerStatus.SUSPENDED) is WorkerStatus.SUSPENDED
    assert WorkerStatus.parse(6) is WorkerStatus.EXITED
    with pytest.raises(ValueError, match="not a worker status; use one of running, idle"):
        WorkerStatus.parse("asleep")


def test_component_ids_are_stable_v4_uuids_per_seed_and_name() -> None:
    a = component_uuid(0, "shop")
    assert a == component_uuid(0, "shop")
    assert a.version == 4
    assert len({a, component_uuid(1, "shop"), component_uuid(0, "shop2")}) == 3
    assert WorkerRegistry(seed=3).add_component("x").component_id == component_uuid(3, "x")


def test_uuid_value_splits_big_endian_halves() -> None:
    u = uuid.UUID("00112233-4455-6677-8899-aabbccddeeff")
    assert uuid_value(u) == {"high_bits": 0x0011223344556677, "low_bits": 0x8899AABBCCDDEEFF}
    assert as_uuid({"uuid": uuid_value(u)}) == u
    assert as_uuid(str(u)) == u
    with pytest.raises(TypeError, match="not a component id"):
        as_uuid(3.5)


def test_add_component(reg: WorkerRegistry) -> None:
    c = reg.add_component("shop", version=3, env={"A": "1"})
    assert (c.name, c.version, c.env) == ("shop", 3, {"A": "1"})
    assert reg.component("shop") is c
    assert reg.component_by_id(c.component_id) is c
    assert reg.component_by_id(c.component_id_value()) is c
    assert reg.component_by_id(uuid.uuid4()) is None
    with pytest.raises(ValueError, match="component 'shop' already exists"):
        reg.add_component("shop")
    with pytest.raises(KeyError, match="unknown component 'nope' \\(known components: 'shop'\\)"):
        reg.component("nope")


# --- workers --------------------------------------------------------------------------


def test_add_worker_defaults_and_auto_component(reg: WorkerRegistry) -> None:
    w = reg.add_worker("shop", "w1")
    assert isinstance(w, Worker)
    assert w.component is reg.component("shop") and w.component.version == 0
    assert (w.args, w.env, w.config) == ([], [], {})
    assert w.status is WorkerStatus.IDLE
    assert w.component_version == 0 and w.created_at == 1_700_000_000_123 and w.retry_count == 0
    assert w.key == ("shop", "w1")
    assert str(w) == f"{w.component.component_id}/w1"


def test_add_worker_keeps_creation_data(reg: WorkerRegistry) -> None:
    reg.add_component("shop", version=5)
    w = reg.add_worker("shop", "w", args=["b", "a"], env={"Z": "1", "A": "2"},
                       config=[("z", "1"), ("a", "2")], status="suspended", created_at=42)
    assert w.args == ["b", "a"] and w.env == [("Z", "1"), ("A", "2")]
    assert w.config == {"z": "1", "a": "2"}
    assert w.status is WorkerStatus.SUSPENDED and w.created_at == 42
    assert w.component_version == 5  # the component's current version
    assert reg.add_worker("shop", "old", component_version=1).component_version == 1


def test_worker_lookup_and_errors(reg: WorkerRegistry, b: ModuleType) -> None:
    w = reg.add_worker("shop", "cart-1")
    assert reg.get("shop", "cart-1") is w
    assert reg.find(w.component, "cart-1") is w
    assert reg.find(w.component.component_id, "cart-1") is w
    assert reg.find(str(w.component.component_id), "cart-1") is w
    assert reg.find("shop", "nope") is None and reg.find("nope", "cart-1") is None
    wid = b.rpc.WorkerId(component_id=rpc_component_id(b, w.component), worker_name="cart-1")
    assert reg.find_by_id(wid) is w
    assert reg.find_by_id(w.worker_id_value()) is w
    assert reg.find_by_id({"component_id": uuid.uuid4(), "worker_name": "cart-1"}) is None
    with pytest.raises(ValueError, match="Worker already exists: shop/cart-1"):
        reg.add_worker("shop", "cart-1")
    with pytest.raises(KeyError, match="no worker 'cart-2' in component 'shop' .*did you mean 'cart-1'"):
        reg.get("shop", "cart-2")
    with pytest.raises(KeyError, match="unknown component 'shoe'"):
        reg.get("shoe", "cart-1")
    with pytest.raises(TypeError, match="pairs of strings"):
        reg.add_worker("shop", "bad", env=[("A", 1)])
    with pytest.raises(TypeError, match="args must be an iterable of str"):
        reg.add_worker("shop", "bad", args="abc")


def test_remove_iterate_len_contains(reg: WorkerRegistry) -> None:
    reg.add_worker("b", "y")
    reg.add_worker("a", "z")
    x = reg.add_worker("b", "x")
    assert [w.key for w in reg] == [("b", "x"), ("b", "y"), ("a", "z")]  # components in order added
    assert len(reg) == 3 and ("b", "x") in reg and x in reg and ("b", "q") not in reg
    assert reg.remove("b", "x") is x
    assert x not in reg and len(reg) == 2
    assert [w.name for w in reg.workers_of("b")] == ["y"]
    with pytest.raises(KeyError):
        reg.remove("b", "x")


# --- metadata ------------------------------------------------------------------------------


def test_metadata_env_order_and_golem_variables(reg: WorkerRegistry) -> None:
    comp = reg.add_component("shop", version=2, env={"C1": "c", "B": "component", "GOLEM_AGENT_ID": "x"})
    w = reg.add_worker("shop", "w", env=[("Z", "1"), ("B", "mine"), ("GOLEM_WORKER_NAME", "spoof")])
    golem = [("GOLEM_AGENT_ID", "w"), ("GOLEM_WORKER_NAME", "w"),
             ("GOLEM_COMPONENT_ID", str(comp.component_id)), ("GOLEM_COMPONENT_VERSION", "2")]
    assert w.metadata_env() == [("Z", "1"), ("B", "mine"), ("C1", "c"), *golem]
    assert w.metadata_env(golem_env=False) == [
        ("Z", "1"), ("B", "mine"), ("GOLEM_WORKER_NAME", "spoof"), ("C1", "c"), ("GOLEM_AGENT_ID", "x")]
    # an update changes the current version but not the metadata copy of the env
    w.component_version = 3
    assert w.metadata()["component_version"] == 3
    assert ("GOLEM_COMPONENT_VERSION", "2") in w.metadata_env()


def test_metadata_through_the_real_binding(b: ModuleType, reg: WorkerRegistry, env: Environment) -> None:
    reg.add_component("shop", version=1, env={"TIER": "free"})
    w = reg.add_worker("shop", "cart-1", args=["--x", "y"], env=[("REGION", "eu")],
                       config={"b": "2", "a": "1", "B": "0"}, status="suspended")
    w.retry_count = 2  # Golem's WIT metadata still reports 0 (§6.4)
    wid = b.rpc.WorkerId(component_id=rpc_component_id(b, w.component), worker_name="cart-1")
    md = b.host.get_worker_metadata(wid)
    assert type(md) is b.host.WorkerMetadata
    assert type(md.worker_id) is b.rpc.WorkerId and md.worker_id == wid
    assert md.args == ["--x", "y"]
    assert md.env[:2] == [("REGION", "eu"), ("TIER", "free")]
    assert [k for k, _ in md.env[2:]] == ["GOLEM_AGENT_ID", "GOLEM_WORKER_NAME",
                                          "GOLEM_COMPONENT_ID", "GOLEM_COMPONENT_VERSION"]
    assert md.wasi_config_vars == [("B", "0"), ("a", "1"), ("b", "2")]  # byte order of keys
    assert md.status is b.host.WorkerStatus.SUSPENDED
    assert md.component_version == 1 and md.retry_count == 0
    unknown = b.rpc.WorkerId(component_id=wid.component_id, worker_name="nope")
    assert b.host.get_worker_metadata(unknown) is None


# --- get-workers -----------------------------------------------------------------------------


def test_pages_of_fifty_then_none(b: ModuleType, reg: WorkerRegistry, env: Environment) -> None:
    for i in range(120):
        reg.add_worker("shop", f"w{i:03d}")
    pages = all_pages(b, reg.component("shop"))
    assert [None if p is None else len(p) for p in pages] == [50, 50, 20, None]
    names = [m.worker_name for p in pages[:-1] for m in (x.worker_id for x in p)]
    assert names == [f"w{i:03d}" for i in range(120)]
    assert all(type(m) is b.host.WorkerMetadata for p in pages[:-1] for m in p)
    assert env.call_count(HOST, "[method]get-workers.get-next") == 4


@pytest.mark.parametrize("n,expected", [
    (0, [0, None]),            # first call always a list, maybe empty
    (1, [1, None]),
    (49, [49, None]),
    (50, [50, 0, None]),       # SQLite: a full scan chunk does not know it was the last
    (100, [50, 50, 0, None]),
    (101, [50, 50, 1, None]),
])
def test_page_boundaries(b: ModuleType, reg: WorkerRegistry, env: Environment, n: int,
                         expected: list[int | None]) -> None:
    comp = reg.add_component("shop")
    for i in range(n):
        reg.add_worker("shop", f"w{i:04d}")
    assert [None if p is None else len(p) for p in all_pages(b, comp)] == expected


def test_unknown_component_is_not_an_error(b: ModuleType, reg: WorkerRegistry, env: Environment) -> None:
    ghost = Component("ghost", uuid.uuid4())
    assert all_pages(b, ghost) == [[], None]


def test_order_is_byte_order_of_names(b: ModuleType, reg: WorkerRegistry, env: Environment) -> None:
    names = ["b", "a", "B", "é", "z", "_", "10", "9", "a-1", "A"]
    for n in names:
        reg.add_worker("shop", n)
    pages = all_pages(b, reg.component("shop"))
    got = [m.worker_id.worker_name for m in pages[0]]
    assert got == sorted(names, key=lambda s: s.encode("utf-8"))
    assert got == ["10", "9", "A", "B", "_", "a", "a-1", "b", "z", "é"]


def test_only_the_requested_component(b: ModuleType, reg: WorkerRegistry, env: Environment) -> None:
    reg.add_worker("shop", "s1")
    reg.add_worker("other", "o1")
    reg.add_worker("shop", "s0")
    pages = all_pages(b, reg.component("shop"))
    assert [m.worker_id.worker_name for m in pages[0]] == ["s0", "s1"]
    assert pages[0][0].worker_id.component_id == rpc_component_id(b, reg.component("shop"))


def test_filtered_pages_hold_fifty_matches(b: ModuleType, reg: WorkerRegistry, env: Environment) -> None:
    h = b.host
    for i in range(300):
        reg.add_worker("shop", f"w{i:03d}", status="idle" if i % 3 else "failed",
                       env={"ODD": "yes" if i % 2 else "no"}, created_at=i)
    flt = h.WorkerAnyFilter(filters=[h.WorkerAllFilter(filters=[
        h.WorkerPropertyFilter_Status(h.WorkerStatusFilter(h.FilterComparator.EQUAL, h.WorkerStatus.IDLE)),
        h.WorkerPropertyFilter_Env(h.WorkerEnvFilter("odd", h.StringFilterComparator.EQUAL, "yes")),
    ])])
    pages = all_pages(b, reg.component("shop"), flt, True)  # precise accepted
    expected = [f"w{i:03d}" for i in range(300) if i % 3 and i % 2]
    assert len(expected) == 100
    assert [None if p is None else len(p) for p in pages] == [50, 50, 0, None]
    assert [m.worker_id.worker_name for p in pages[:-1] for m in p] == expected
    assert all(m.status is h.WorkerStatus.IDLE for p in pages[:-1] for m in p)


def test_filter_argument_is_validated_like_the_component_runtime(
        b: ModuleType, reg: WorkerRegistry, env: Environment) -> None:
    comp = reg.add_component("shop")
    bad = b.host.WorkerAnyFilter(filters=[b.host.WorkerAllFilter(filters=["name"])])
    with pytest.raises(Trap):
        b.host.GetWorkers(rpc_component_id(b, comp), bad, False)


def test_cursor_is_an_offset_like_sqlite(reg: WorkerRegistry) -> None:
    comp = reg.add_component("shop")
    for i in range(60):
        reg.add_worker("shop", f"w{i:03d}")
    gw = reg.get_workers(comp.component_id)
    first = gw.next_workers()
    assert first is not None and first[-1].name == "w049"
    reg.add_worker("shop", "a-new")  # sorts first: shifts every later row by one
    second = gw.next_workers()
    assert second is not None and [w.name for w in second][:2] == ["w049", "w050"]
    assert len(second) == 11 and gw.next_workers() is None


def test_pages_helper_and_page_size(reg: WorkerRegistry) -> None:
    comp = reg.add_component("shop")
    for i in range(7):
        reg.add_worker("shop", f"w{i}")
    pages = list(reg.pages(comp.component_id_value()))
    assert [len(p) for p in pages] == [7]
    assert pages[0][0]["worker_id"]["worker_name"] == "w0"
    small = reg.get_workers(comp, page_size=3)
    assert [len(p) for p in small] == [3, 3, 1]
    assert PAGE_SIZE == 50
    with pytest.raises(ValueError, match="page_size must be at least 1"):
        reg.get_workers(comp, page_size=0)


def test_caller_is_included(b: ModuleType, reg: WorkerRegistry, env: Environment) -> None:
    # the registry has no notion of "the caller": every worker of the component is listed,
    # including the one whose code runs get-workers (§10.2)
    me = reg.add_worker("shop", "me", status="running")
    reg.add_worker("shop", "peer")
    names = [m.worker_id.worker_name for m in all_pages(b, me.component)[0]]
    assert names == ["me", "peer"]


def test_forked_worker_keeps_the_sources_golem_name(reg: WorkerRegistry) -> None:
    src = reg.add_worker("shop", "src")
    fork = reg.add_worker("shop", "copy", created_at=src.created_at)
    fork.created_name = src.name  # what fork-worker does: the Create data is the source's
    assert dict(fork.metadata_env())["GOLEM_WORKER_NAME"] == "src"
    assert dict(fork.metadata_env())["GOLEM_AGENT_ID"] == "src"
    assert fork.metadata()["worker_id"]["worker_name"] == "copy"
    assert fork.env_value("golem_worker_name") == "src"
