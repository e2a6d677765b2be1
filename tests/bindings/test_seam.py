"""The seam: environment lookup, dispatch, errors, results, resources (componentize-py.md
§3), the registry and the environment."""

from __future__ import annotations

import asyncio
import gc
import threading
from typing import Any

import pytest

import seam_probe
from golem_fakes.bindings import registry, runtime
from golem_fakes.bindings.registry import implements, unfaked
from golem_fakes.bindings.result import Err, Ok, Some
from golem_fakes.bindings.runtime import FakeBug, NoEnvironment, NotFaked, Trap
from golem_fakes.state.environment import Environment

K, E, WORLD = seam_probe.load_modules("seam")
KITCHEN = seam_probe.IFACE
ECHO = seam_probe.ECHO


class Rep:
    """A counter's rep as a behaviour keeps it."""

    def __init__(self, n: int) -> None:
        self.n = n


@pytest.fixture
def env() -> Any:
    env = Environment()
    env.dropped = []  # type: ignore[attr-defined]
    env.implement(KITCHEN, "[constructor]counter", lambda e, start: Rep(start))
    env.implement(KITCHEN, "[method]counter.get", lambda e, rep: rep.n)

    def add(e: Any, rep: Rep, n: int) -> None:
        rep.n += n

    env.implement(KITCHEN, "[method]counter.add", add)

    def merge(e: Any, a: Rep, b: Rep) -> Rep:
        return Rep(a.n + b.n)

    env.implement(KITCHEN, "[static]counter.merge", merge)
    env.implement(KITCHEN, "[static]counter.make", lambda e, start: Rep(start))
    env.implement(KITCHEN, "use-counter", lambda e, rep: rep.n)
    env.implement(KITCHEN, "take-counter", lambda e, rep: rep.n)
    env.implement(KITCHEN, "[resource-drop]counter", lambda e, rep: e.dropped.append(rep.n))
    with env:
        yield env


# --- errors ------------------------------------------------------------------------


def test_trap_is_not_caught_by_except_exception(env: Any) -> None:
    assert issubclass(Trap, BaseException) and not issubclass(Trap, Exception)
    with pytest.raises(Trap):
        try:
            E.echo_u32(-1)
        except Exception:  # what worker code writes
            pytest.fail("a trap must not be catchable with except Exception")


def test_trap_message_names_everything(env: Any) -> None:
    with pytest.raises(Trap) as info:
        K.tup((1, "x", "nope"))
    msg = str(info.value)
    for part in (KITCHEN, "tup", "'t'", "tuple<u8, string, f32>", "t[2]", "'nope'",
                 "TypeError: must be real number, not str"):
        assert part in msg, (part, msg)


def test_trap_truncates_long_values(env: Any) -> None:
    with pytest.raises(Trap) as info:
        E.echo_u32("x" * 10000)
    assert len(str(info.value)) < 600


def test_not_faked(env: Any) -> None:
    assert issubclass(NotFaked, BaseException) and not issubclass(NotFaked, Exception)
    with pytest.raises(NotFaked) as info:
        K.res_t_e(True)
    msg = str(info.value)
    assert "golem-fakes:probe/kitchen" in msg and "res-t-e" in msg and "env.implement(" in msg
    assert "@implements(" in msg
    assert info.value.interface == KITCHEN and info.value.function == "res-t-e"


def test_not_faked_method(env: Any) -> None:
    with pytest.raises(NotFaked, match=r"\[method\]counter\.get"):
        e2 = Environment()
        with e2:
            e2.implement(KITCHEN, "[constructor]counter", lambda e, s: Rep(s))
            K.Counter(1).get()


def test_no_environment() -> None:
    assert issubclass(NoEnvironment, RuntimeError)
    assert runtime.active_environment() is None
    with pytest.raises(NoEnvironment) as info:
        E.echo_u32(1)
    msg = str(info.value)
    assert "echo-u32" in msg and "golem" in msg and "with golem_fakes.Golem():" in msg
    with pytest.raises(NoEnvironment):
        K.use_counter(object())
    import golem_fakes
    assert golem_fakes.NoEnvironment is NoEnvironment


def test_wrong_arity_is_type_error(env: Any) -> None:
    with pytest.raises(TypeError):
        K.res_t_e()  # type: ignore[call-arg]


# --- return values ----------------------------------------------------------------------


@pytest.mark.parametrize("fn,args,ret,expect", [
    ("echo-u32", (1,), "x", "u32"),
    ("echo-u32", (1,), True, "u32"),
    ("echo-u32", (1,), -1, "u32"),
    ("echo-bool", (1,), 1, "bool"),
    ("echo-string", ("a",), b"a", "string"),
    ("echo-point", (seam_probe.__name__,), object(), "point"),
    ("echo-list-u32", ([1],), [1, "x"], "result[1]"),
    ("echo-opt-opt-u32", (None,), 5, "Some"),
    ("echo-shape", (None,), ("triangle", 1), "variant"),
    ("echo-color", (None,), "purple", "Color"),
    ("echo-tuple", ((1, "a"),), (1,), "tuple of 2"),
    ("echo-res", (Ok(1),), 5, "Ok(...) or Err(...)"),
    ("echo-res", (Ok(1),), Ok("x"), "u32"),
])
def test_wrong_return_is_fake_bug(env: Any, fn: str, args: tuple[Any, ...], ret: Any, expect: str) -> None:
    def behaviour(e: Any, *a: Any) -> Any:
        return ret

    env.implement(ECHO, fn, behaviour)
    pyname = fn.replace("-", "_")
    with pytest.raises(FakeBug) as info:
        # arguments may be invalid for some rows: only the return matters, so call
        # the behaviour-facing path with a valid argument where needed
        getattr(E, pyname)(*_valid_args(fn, args))
    msg = str(info.value)
    assert expect in msg and fn in msg and "behaviour" in msg, msg
    assert isinstance(info.value, AssertionError)


def _valid_args(fn: str, args: tuple[Any, ...]) -> tuple[Any, ...]:
    return {
        "echo-point": (K.Point(1, 2, "a"),),
        "echo-shape": (K.Shape_Empty(),),
        "echo-color": (K.Color.RED,),
    }.get(fn, args)


def test_no_result_function_must_return_none(env: Any) -> None:
    env.implement(KITCHEN, "[method]counter.add", lambda e, rep, n: 5)
    with pytest.raises(FakeBug, match="without result"):
        K.Counter(1).add(1)


def test_lifting_conveniences(env: Any) -> None:
    env.implement(ECHO, "echo-point", lambda e, v: {"x": 1, "y": 2, "label": "d"})
    assert E.echo_point(K.Point(0, 0, "")) == K.Point(1, 2, "d")
    env.implement(ECHO, "echo-shape", lambda e, v: ("circle", 1))
    assert E.echo_shape(K.Shape_Empty()) == K.Shape_Circle(1.0)
    env.implement(ECHO, "echo-shape", lambda e, v: "empty")
    assert E.echo_shape(K.Shape_Empty()) == K.Shape_Empty()
    env.implement(ECHO, "echo-color", lambda e, v: "green-ish")
    assert E.echo_color(K.Color.RED) is K.Color.GREEN_ISH
    env.implement(ECHO, "echo-color", lambda e, v: "BLUE")
    assert E.echo_color(K.Color.RED) is K.Color.BLUE
    env.implement(ECHO, "echo-perms", lambda e, v: ["read", "exec-all"])
    assert E.echo_perms(K.Perms(0)) == K.Perms.READ | K.Perms.EXEC_ALL
    env.implement(ECHO, "echo-bytes", lambda e, v: bytearray(b"ab"))
    out = E.echo_bytes(b"")
    assert out == b"ab" and type(out) is bytes
    env.implement(ECHO, "echo-list-u32", lambda e, v: (1, 2))
    assert E.echo_list_u32([]) == [1, 2]
    env.implement(ECHO, "echo-opt-opt-u32", lambda e, v: Some(None))
    assert E.echo_opt_opt_u32(None) == Some(None)


def test_returned_lists_are_copies(env: Any) -> None:
    store = [1, 2]
    env.implement(ECHO, "echo-list-u32", lambda e, v: store)
    out = E.echo_list_u32([])
    out.append(3)
    assert store == [1, 2]


# --- outermost result --------------------------------------------------------------------


def test_result_returns_ok_value_or_raises_err(env: Any) -> None:
    env.implement(KITCHEN, "res-t-e", lambda e, ok: Ok("yes") if ok else Err(K.Color.GREEN_ISH))
    assert K.res_t_e(True) == "yes"
    with pytest.raises(Err) as info:
        K.res_t_e(False)
    assert type(info.value) is Err
    assert info.value.value is K.Color.GREEN_ISH
    assert repr(info.value) == "Err(value=<Color.GREEN_ISH: 1>)"


def test_behaviour_may_raise_err(env: Any) -> None:
    def fail(e: Any, ok: bool) -> Any:
        raise Err("green-ish")  # enum given by name, lifted to the member

    env.implement(KITCHEN, "res-t-e", fail)
    with pytest.raises(Err) as info:
        K.res_t_e(True)
    assert info.value.value is K.Color.GREEN_ISH
    assert info.value.__context__ is None


def test_result_unit_shapes(env: Any) -> None:
    env.implement(KITCHEN, "res-unit-e", lambda e, ok: Ok(None) if ok else Err("bad thing"))
    env.implement(KITCHEN, "res-t-unit", lambda e, ok: Ok(7) if ok else Err(None))
    env.implement(KITCHEN, "res-bare", lambda e, ok: Ok(None) if ok else Err(None))
    assert K.res_unit_e(True) is None
    with pytest.raises(Err, match="bad thing"):
        K.res_unit_e(False)
    assert K.res_t_unit(True) == 7
    with pytest.raises(Err) as info:
        K.res_t_unit(False)
    assert info.value.value is None
    assert K.res_bare(True) is None
    with pytest.raises(Err):
        K.res_bare(False)


def test_result_plain_value_is_fake_bug(env: Any) -> None:
    env.implement(KITCHEN, "res-t-e", lambda e, ok: "yes")
    with pytest.raises(FakeBug, match="Ok"):
        K.res_t_e(True)


def test_opt_opt_roundtrip(env: Any) -> None:
    env.implement(KITCHEN, "opt-opt", lambda e, v: v)
    assert K.opt_opt(None) is None
    assert K.opt_opt(Some(None)) == Some(None)
    assert K.opt_opt(Some(5)) == Some(5)


def test_tup_and_bytes(env: Any) -> None:
    env.implement(KITCHEN, "tup", lambda e, t: (t[0], -len(t[1])))
    assert K.tup((3, "abc", 1.5)) == (3, -3)
    env.implement(KITCHEN, "bytes", lambda e, b: b[::-1])
    assert K.bytes(b"\x00\x01") == b"\x01\x00"


# --- resources (componentize-py.md §3) -----------------------------------------------------


def test_constructor_sets_handle_and_finalizer(env: Any) -> None:
    c = K.Counter(5)
    assert sorted(vars(c)) == ["finalizer", "handle"]
    assert type(c.handle) is int
    assert c.get() == 5
    c.add(2)
    assert c.get() == 7


def test_exit_drops_at_once_and_use_after_traps(env: Any) -> None:
    with K.Counter(3) as c:
        assert c.get() == 3
    assert env.dropped == [3]
    assert c.handle is None
    with pytest.raises(Trap) as info:
        c.get()
    assert isinstance(info.value.error, TypeError)
    assert "'NoneType' object cannot be interpreted as an integer" in str(info.value)


def test_exit_propagates_exceptions(env: Any) -> None:
    with pytest.raises(ValueError):
        with K.Counter(1):
            raise ValueError("boom")
    assert env.dropped == [1]


def test_owned_argument_is_given_away(env: Any) -> None:
    a, b = K.Counter(1), K.Counter(2)
    m = K.Counter.merge(a, b)
    assert type(m) is K.Counter and m.get() == 3
    assert a.get() == 1  # borrowed: stays usable
    assert not hasattr(b, "handle")  # owned: handle deleted (componentize-py >= 0.19)
    assert b.finalizer.alive is False
    with pytest.raises(Trap) as info:
        b.get()
    assert "'Counter' object has no attribute 'handle'" in str(info.value)
    assert env.dropped == []  # the host owns it now: no drop
    with pytest.raises(TypeError, match="cannot unpack non-iterable NoneType object"):
        b.__exit__(None, None, None)  # componentize-py's own __exit__ fails the same way


def test_take_counter_consumes(env: Any) -> None:
    c = K.Counter(9)
    assert K.take_counter(c) == 9
    with pytest.raises(Trap, match="has no attribute 'handle'"):
        K.take_counter(c)
    assert env.live_handles() == {}


def test_borrowed_free_function(env: Any) -> None:
    c = K.Counter(4)
    assert K.use_counter(c) == 4
    assert K.use_counter(c) == 4


def test_new_built_object_traps(env: Any) -> None:
    c = K.Counter.__new__(K.Counter)
    with pytest.raises(Trap, match="'Counter' object has no attribute 'handle'"):
        c.get()
    with pytest.raises(Trap, match="'Counter' object has no attribute 'handle'"):
        K.use_counter(c)


def test_gc_drop_reaches_drop_behaviour(env: Any) -> None:
    c = K.Counter(11)
    h = c.handle
    assert h in env.handles
    del c
    gc.collect()
    assert env.dropped == [11]
    assert h not in env.handles
    assert env.call_count(KITCHEN, "[resource-drop]counter") == 1


def test_drop_behaviour_is_optional() -> None:
    e2 = Environment()
    e2.implement(KITCHEN, "[constructor]counter", lambda e, s: Rep(s))
    with e2:
        with K.Counter(1):
            pass
    assert e2.handles == {}


def test_returned_resource_gets_new_handle(env: Any) -> None:
    a = K.Counter.make(3)
    b = K.Counter.make(4)
    assert type(a) is K.Counter and a.handle != b.handle
    assert sorted(vars(a)) == ["finalizer", "handle"]
    assert (a.get(), b.get()) == (3, 4)


def test_cross_environment_use_traps(env: Any) -> None:
    c = K.Counter(1)
    other = Environment()
    other.implement(KITCHEN, "[method]counter.get", lambda e, rep: rep.n)
    other.implement(KITCHEN, "[constructor]counter", lambda e, s: Rep(s))
    with other:
        K.Counter(2)  # handle 1 exists in the other environment too
        with pytest.raises(Trap) as info:
            c.get()
    assert "environment" in str(info.value)
    assert isinstance(info.value.error, runtime.WrongEnvironment)
    assert c.get() == 1  # fine again at home


def test_wrong_resource_type_is_rejected(env: Any) -> None:
    c = K.Counter(1)
    other = runtime.ResourceSite("x:y/z", "thing", "m.Thing")
    with pytest.raises(runtime.Panic, match="expected `x:y/z#thing`"):
        runtime.borrow(env, c, other)
    assert c.get() == 1


def test_unknown_handle_is_rejected(env: Any) -> None:
    c = K.Counter(1)
    env.handles.pop(c.handle)
    with pytest.raises(Trap, match="unknown handle index"):
        c.get()


# --- environment ----------------------------------------------------------------------------------


def test_call_counts(env: Any) -> None:
    c = K.Counter(1)
    c.get()
    c.get()
    assert env.call_count(KITCHEN, "[method]counter.get") == 2
    env.implement(KITCHEN, "[method]counter.get", lambda e, rep: 0)  # rebinding keeps counts
    c.get()
    assert env.call_count(KITCHEN, "[method]counter.get") == 3
    assert env.call_counts()[f"{KITCHEN}#[constructor]counter"] == 1


def test_traps_do_not_count(env: Any) -> None:
    with pytest.raises(Trap):
        K.use_counter(None)
    assert env.call_count(KITCHEN, "use-counter") == 0


def test_nesting_and_reentrance() -> None:
    a, b = Environment(), Environment()
    assert runtime.active_environment() is None
    with a:
        assert runtime.active_environment() is a
        with b:
            assert runtime.active_environment() is b
            with a:
                assert runtime.active_environment() is a
            assert runtime.active_environment() is b
        assert runtime.active_environment() is a
    assert runtime.active_environment() is None


def test_threads_see_their_own_environment() -> None:
    seen: dict[str, Any] = {}
    a = Environment()

    def worker() -> None:
        seen["thread"] = runtime.active_environment()
        with Environment() as b:
            seen["inner"] = runtime.active_environment() is b

    with a:
        t = threading.Thread(target=worker)
        t.start()
        t.join()
        assert runtime.active_environment() is a
    assert seen == {"thread": None, "inner": True}


def test_same_environment_in_two_tasks() -> None:
    env = Environment()
    env.implement(ECHO, "echo-u32", lambda e, v: v)

    async def task(n: int) -> int:
        with env:
            await asyncio.sleep(0)
            return E.echo_u32(n)

    async def main() -> list[int]:
        return list(await asyncio.gather(task(1), task(2)))

    assert asyncio.run(main()) == [1, 2]
    assert runtime.active_environment() is None


def test_implement_as_decorator(env: Any) -> None:
    @env.implement(ECHO, "echo-u8")
    def echo_u8(e: Any, v: int) -> int:
        return v + 1

    assert E.echo_u8(1) == 2


def test_intercept_hook_sees_every_call(env: Any) -> None:
    log: list[tuple[str, tuple[Any, ...]]] = []

    def factory(site: Any, impl: Any) -> Any:
        def wrapped(e: Any, *args: Any) -> Any:
            log.append((site.function, args))
            if site.function == "use-counter":
                raise Trap("injected fault")
            return impl(e, *args)
        return wrapped

    c = K.Counter(2)
    env.intercept(factory)
    assert c.get() == 2
    with pytest.raises(Trap, match="injected"):
        K.use_counter(c)
    assert [f for f, _ in log] == ["[method]counter.get", "use-counter"]
    assert isinstance(log[0][1][0], Rep)  # lowered: reps, not binding objects


# --- registry ---------------------------------------------------------------------------------------


def test_registry_implements_and_override() -> None:
    @implements(ECHO, "echo-s8")
    def echo_s8(env: Any, v: int) -> int:
        return -v

    try:
        with Environment() as env:
            assert E.echo_s8(3) == -3
            env.implement(ECHO, "echo-s8", lambda e, v: v)
            assert E.echo_s8(3) == 3
        with Environment():
            assert E.echo_s8(3) == -3
    finally:
        registry.unregister(ECHO, "echo-s8")


def test_registry_versionless_matches_every_version() -> None:
    registry.register("golem-fakes:probe/echo", "echo-s16", lambda env, v: v * 2)
    try:
        assert registry.lookup("golem-fakes:probe/echo@9.9.9", "echo-s16") is not None
        with Environment():
            assert E.echo_s16(2) == 4
    finally:
        registry.unregister("golem-fakes:probe/echo", "echo-s16")


def test_registry_conflict() -> None:
    registry.register(ECHO, "echo-s32", lambda env, v: v)
    try:
        with pytest.raises(ValueError, match="already has a behaviour"):
            registry.register(ECHO, "echo-s32", lambda env, v: -v)
    finally:
        registry.unregister(ECHO, "echo-s32")


def test_behaviour_module_names() -> None:
    assert registry.behaviour_module("golem:api/host@1.1.7") == "golem_fakes.interfaces.golem_api.host"
    assert registry.behaviour_module("wasi:keyvalue/eventual@0.1.0") == \
        "golem_fakes.interfaces.wasi_keyvalue.eventual"


def test_unfaked_lists_every_function_without_behaviour() -> None:
    missing = unfaked(WORLD)
    assert f"{KITCHEN}#res-t-e" in missing
    assert f"{KITCHEN}#[method]counter.get" in missing
    assert not any("[resource-drop]" in m for m in missing)
    registry.register(KITCHEN, "res-t-e", lambda env, ok: Ok("x"))
    try:
        assert f"{KITCHEN}#res-t-e" not in unfaked(WORLD)
        assert len(unfaked(WORLD)) == len(missing) - 1
    finally:
        registry.unregister(KITCHEN, "res-t-e")


def test_generated_private_names_are_prefixed() -> None:
    public = [n for n in vars(K) if not n.startswith("__")]
    extra = [n for n in public if n.startswith("_") and not n.startswith("_golem_")]
    assert extra == []


def test_constructor_returning_result() -> None:
    """``constructor(...) -> result<r, e>`` (newer WIT): ok adopts the rep, err raises."""
    from golem_fakes.bindings import lowering
    from golem_fakes.wit.model import Function, HandleType, Param, Primitive, ResultType

    counter = seam_probe.build()[1].types["counter"]
    ctor = Function("[constructor]counter", "counter", "constructor",
                    [Param("start", Primitive("u64"))],
                    ResultType(HandleType(counter, "own"), Primitive("string")), counter,
                    counter.owner)
    namer = seam_probe.Namer(counter.owner)
    src = "\n".join([
        seam_probe.PREAMBLE, lowering.RUNTIME_IMPORT,
        "class Counter:",
        "    def __init__(self, start):",
        *["        " + x for x in lowering.emit_function_body(ctor, KITCHEN, ["start"], namer)],
        *lowering.emit_module_footer([(ctor, KITCHEN)], namer),
    ])
    ns: dict[str, Any] = {}
    exec(compile(src, "<ctor-result>", "exec"), ns)
    with Environment() as env:
        env.implement(KITCHEN, "[constructor]counter",
                      lambda e, start: Ok(Rep(start)) if start else Err("zero"))
        c = ns["Counter"](3)
        assert sorted(vars(c)) == ["finalizer", "handle"] and env.handles[c.handle].rep.n == 3
        with pytest.raises(Err, match="zero"):
            ns["Counter"](0)


def test_benchmark_runs(capsys: pytest.CaptureFixture[str]) -> None:
    """Keeps benchmarks/bench_seam.py working (tiny sizes; no timing assertion)."""
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "benchmarks" / "bench_seam.py"
    spec = importlib.util.spec_from_file_location("_golem_bench_seam", path)
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    results = mod.main(number=50, repeat=3)
    assert len(results) == 3
    assert "worst seam overhead" in capsys.readouterr().out


def test_a_lifted_tuple_is_a_plain_tuple_kept_when_unchanged(env: Any) -> None:
    """``tuple<u64, s64>`` results: a plain tuple whose elements lift to themselves is
    returned as it is (immutable: the same value); a subclass (a namedtuple) comes back
    as a plain tuple, and an element that lifts to another object is rebuilt."""
    from collections import namedtuple

    same = (3, -3)
    env.implement(KITCHEN, "tup", lambda e, t: same)
    r = K.tup((3, "abc", 1.5))
    assert r is same and type(r) is tuple
    Pair = namedtuple("Pair", "a b")
    env.implement(KITCHEN, "tup", lambda e, t: Pair(3, -3))
    r = K.tup((3, "abc", 1.5))
    assert type(r) is tuple and r == (3, -3)

    class Big(int):
        pass

    env.implement(KITCHEN, "tup", lambda e, t: (Big(7), -1))
    r = K.tup((3, "abc", 1.5))
    assert type(r) is tuple and type(r[0]) is int and r == (7, -1)


def test_a_small_record_of_primitives_is_lifted_inline(env: Any) -> None:
    """``echo-point`` returns ``point { x: s32, y: s32, label: string }``: its lifting is
    written out in the function (no ``_golem_lift_point_*`` call frame), with the class
    bound in the footer, and gives the generated dataclass from a dict or an object."""
    names = E.echo_point.__code__.co_names
    assert not any(n.startswith("_golem_lift_point") for n in names), names
    assert any(n.startswith("_golem_RC_point_") for n in names), names
    assert any(n.startswith("_golem_RC_point_") and getattr(E, n) is K.Point for n in dir(E))
    env.implement(ECHO, "echo-point", lambda e, v: {"x": 3, "y": -4, "label": "q"})
    assert E.echo_point(K.Point(1, 2, "a")) == K.Point(3, -4, "q")
    env.implement(ECHO, "echo-point", lambda e, v: v)
    out = E.echo_point(K.Point(1, 2, "a"))
    assert type(out) is K.Point and out == K.Point(1, 2, "a")
