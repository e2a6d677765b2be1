"""The seam end to end: WIT text → golem_fakes.wit.load → codegen (with this seam's
bodies) → import → call, for the probe world of componentize-py.md
(``tests/data/kitchen``) and, when the vendored golem WIT is present, all-imports."""

from __future__ import annotations

import gc
import importlib
import sys
from pathlib import Path
from typing import Any, Iterator

import pytest

from golem_fakes.bindings import codegen, registry
from golem_fakes.bindings.naming import resolve_flavor
from golem_fakes.bindings.result import Err, Ok
from golem_fakes.bindings.runtime import FakeBug, NoEnvironment, NotFaked, Trap
from golem_fakes.state.environment import Environment
from golem_fakes.wit import load

DATA = Path(__file__).resolve().parent.parent / "data" / "kitchen"
KITCHEN = "golem-fakes:probe/kitchen"
ECHO = "golem-fakes:probe/echo"
WORLD_ID = "golem-fakes:probe/kitchen-world"


def _materialise(world: Any, package: str, tmp: Path) -> list[str]:
    flavor = resolve_flavor(world.name, version="0.19.3", package=package)
    gen = codegen.generate(world, flavor)
    assert not gen.stub_bodies
    for rel, text in gen.files.items():
        path = tmp / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return gen.modules


@pytest.fixture(scope="module")
def probe(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    world = load(DATA).world("kitchen-world")
    tmp = tmp_path_factory.mktemp("probe")
    modules = _materialise(world, "golem_seam_probe", tmp)
    sys.path.insert(0, str(tmp))
    try:
        kitchen = importlib.import_module("golem_seam_probe.imports.kitchen")
        echo = importlib.import_module("golem_seam_probe.imports.echo")
        top = importlib.import_module("golem_seam_probe")
        yield type("Probe", (), {"k": kitchen, "e": echo, "top": top, "world": world})
    finally:
        sys.path.remove(str(tmp))
        for name in [m for m in sys.modules if m.split(".")[0] in ("golem_seam_probe",)]:
            del sys.modules[name]
        for name in modules:
            sys.modules.pop(name, None)


class Rep:
    def __init__(self, n: int) -> None:
        self.n = n


@pytest.fixture
def env() -> Iterator[Environment]:
    env = Environment()
    env.dropped = []  # type: ignore[attr-defined]
    env.implement(KITCHEN, "[constructor]counter", lambda e, start: Rep(start))
    env.implement(KITCHEN, "[method]counter.get", lambda e, rep: rep.n)
    env.implement(KITCHEN, "[static]counter.merge", lambda e, a, b: Rep(a.n + b.n))
    env.implement(KITCHEN, "take-counter", lambda e, rep: rep.n)
    env.implement(KITCHEN, "[resource-drop]counter", lambda e, rep: e.dropped.append(rep.n))
    with env:
        yield env


def test_scalars_and_traps(probe: Any, env: Environment) -> None:
    env.implement(ECHO, "echo-u32", lambda e, v: v)
    assert probe.e.echo_u32(True) == 1
    with pytest.raises(Trap, match="can't convert negative int to unsigned"):
        probe.e.echo_u32(-1)
    env.implement(ECHO, "echo-f32", lambda e, v: v)
    assert probe.e.echo_f32(0.1) == 0.10000000149011612
    env.implement(ECHO, "echo-string", lambda e, v: v)
    with pytest.raises(Trap, match="'bytes' object cannot be converted to 'PyString'"):
        probe.e.echo_string(b"x")


def test_used_types_come_from_the_defining_module(probe: Any, env: Environment) -> None:
    k, e = probe.k, probe.e
    env.implement(ECHO, "echo-point", lambda en, v: v)
    env.implement(ECHO, "echo-shape", lambda en, v: v)
    env.implement(ECHO, "echo-color", lambda en, v: "blue")
    env.implement(ECHO, "echo-perms", lambda en, v: v)
    assert e.echo_point(k.Point(1, 2, "a")) == k.Point(1, 2, "a")
    assert e.echo_shape(k.Shape_Square(k.Point(1, 2, "s"))) == k.Shape_Square(k.Point(1, 2, "s"))
    assert e.echo_color(k.Color.RED) is k.Color.BLUE
    assert e.echo_perms(k.Perms.WRITE) == k.Perms.WRITE
    with pytest.raises(Trap):
        e.echo_shape(type("S", (k.Shape_Empty,), {})())


def test_results(probe: Any, env: Environment) -> None:
    k = probe.k
    env.implement(KITCHEN, "res-t-e", lambda e, ok: Ok("yes") if ok else Err(k.Color.GREEN_ISH))
    assert k.res_t_e(True) == "yes"
    with pytest.raises(Err) as info:
        k.res_t_e(False)
    assert type(info.value) is Err and info.value.value is k.Color.GREEN_ISH
    env.implement(KITCHEN, "shapes", lambda e, s, p, c: Ok(s) if p.value else Err(("circle", 2)))
    shapes = [k.Shape_Empty(), k.Shape_Circle(1.0)]
    assert k.shapes(shapes, k.Perms.READ, k.Color.RED) == shapes
    with pytest.raises(Err) as info:
        k.shapes([], k.Perms(0), k.Color.RED)
    assert info.value.value == k.Shape_Circle(2.0)


def test_resources(probe: Any, env: Environment) -> None:
    k, e = probe.k, probe.e
    a, b = k.Counter(1), k.Counter(2)
    m = k.Counter.merge(a, b)
    assert isinstance(m, k.Counter) and m.get() == 3 and a.get() == 1
    with pytest.raises(Trap, match="'Counter' object has no attribute 'handle'"):
        b.get()
    with a:
        pass
    assert env.dropped == [1]  # type: ignore[attr-defined]
    with pytest.raises(Trap, match="'NoneType' object cannot be interpreted as an integer"):
        a.get()
    del m
    gc.collect()
    assert env.dropped == [1, 3]  # type: ignore[attr-defined]
    # list<borrow<counter>> in, list<counter> out (own handles from another module)
    env.implement(ECHO, "echo-counters", lambda en, v: [Rep(r.n * 10) for r in v])
    c = k.Counter(4)
    out = e.echo_counters([c, c])
    assert [type(x) for x in out] == [k.Counter, k.Counter] and [x.get() for x in out] == [40, 40]


def test_world_level_function(probe: Any, env: Environment) -> None:
    env.implement(WORLD_ID, "top-level-fn", lambda e, x: x * 2)
    assert probe.top.top_level_fn(21) == 42


def test_not_faked_and_no_environment(probe: Any) -> None:
    with Environment():
        with pytest.raises(NotFaked, match="res-bare"):
            probe.k.res_bare(True)
    with pytest.raises(NoEnvironment):
        probe.k.res_bare(True)


def test_fake_bug(probe: Any, env: Environment) -> None:
    env.implement(ECHO, "echo-u64", lambda e, v: -1)
    with pytest.raises(FakeBug, match="u64"):
        probe.e.echo_u64(1)


def test_unfaked_world(probe: Any) -> None:
    missing = registry.unfaked(probe.world)
    assert f"{KITCHEN}#res-t-e" in missing and f"{WORLD_ID}#top-level-fn" in missing


def _vendored() -> Path | None:
    try:
        from golem_fakes.bindings.install import vendored_wit

        return vendored_wit()
    except Exception:  # noqa: BLE001 - not vendored yet
        return None


@pytest.mark.skipif(_vendored() is None, reason="vendored golem WIT not present")
def test_all_imports_generates_imports_and_calls(tmp_path: Path) -> None:
    wit = _vendored()
    world = load(wit).world("all-imports")
    modules = _materialise(world, "golem_seam_all", tmp_path)
    sys.path.insert(0, str(tmp_path))
    try:
        for m in modules:
            importlib.import_module(m)
        host = importlib.import_module("golem_seam_all.imports.host")
        random = importlib.import_module("golem_seam_all.imports.random")
        iface = {i.name: i.qualified_name for i in world.imported_interfaces()}
        with Environment() as env:
            env.implement(iface["host"], "get-oplog-index", lambda e: 7)
            assert host.get_oplog_index() == 7
            env.implement(iface["random"], "get-random-bytes", lambda e, n: b"\x00" * n)
            assert random.get_random_bytes(3) == b"\x00\x00\x00"
            with pytest.raises(Trap, match="OverflowError"):
                random.get_random_bytes(-1)
            with pytest.raises(Trap, match="TypeError"):
                random.get_random_bytes(2.0)
        assert registry.unfaked(world) == []  # every callable of the vendored WIT is faked
    finally:
        sys.path.remove(str(tmp_path))
        for name in [m for m in sys.modules if m.split(".")[0] == "golem_seam_all"]:
            del sys.modules[name]
