"""Hypothesis strategies for every WIT type (``golem_fakes.strategies``) and the
``hypothesis`` entry point (``golem_fakes._hypothesis_plugin``).

The central property: no value any strategy draws makes the seam trap. It is checked
twice — through a generated probe interface with one identity function per named
type of ``all-imports`` (every type, the argument check *and* the return check), and
through the installed ``wit_world`` functions themselves (the installed classes)."""

from __future__ import annotations

import importlib
import math
import re
import struct
import sys
from pathlib import Path
from typing import Any, Iterator

import pytest
from hypothesis import HealthCheck, Phase, find, given, settings
from hypothesis.control import BuildContext
from hypothesis.errors import StopTest
from hypothesis.internal.conjecture.data import ConjectureData
from hypothesis import strategies as st

import golem_fakes
from golem_fakes import strategies as gs
from golem_fakes._hypothesis_plugin import (
    _hypothesis_setup_hook,
    register_module,
    registered_classes,
)
from golem_fakes.bindings import codegen
from golem_fakes.bindings import install as install_mod
from golem_fakes.bindings.errors import BindingsAlreadyInstalled
from golem_fakes.bindings.naming import resolve_flavor
from golem_fakes.bindings.result import Err, Ok, Some
from golem_fakes.bindings.runtime import FakeBug, Trap
from golem_fakes.state.environment import Environment
from golem_fakes.wit.model import (
    Function,
    Interface,
    ListType,
    OptionType,
    Package,
    PackageName,
    Param,
    Primitive,
    Resource,
    ResultType,
    TupleType,
    TypeDef,
    World,
    WorldItem,
)

HOST = "golem:api/host@1.1.7"
PROBE = "golem-fakes:strategy-probe/probe"
FAST = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
# ``find`` for a test that needs *some* value with a property, not the smallest: no
# shrinking (which costs 10-50x the search). Deterministic like every search of the
# suite (the derandomized profile of tests/conftest.py); find's own 2000-example budget.
REACH = settings(max_examples=2000, phases=[Phase.generate])


@pytest.fixture(scope="module")
def ws() -> Iterator[gs.WitStrategies]:
    """The default bindings (all-imports) installed, the hypothesis hook active."""
    try:
        golem_fakes.install()
    except BindingsAlreadyInstalled:  # another module left a different world installed
        install_mod._uninstall()
        golem_fakes.install()
    _hypothesis_setup_hook()
    yield gs.current()


@pytest.fixture
def env(ws: gs.WitStrategies) -> Iterator[Environment]:
    with Environment() as e:
        yield e


def _same(a: Any, b: Any) -> bool:
    """Equality that treats NaN as equal to NaN (repr is exact for everything drawn)."""
    return a == b or repr(a) == repr(b)


# --- every named type through a generated identity function ---------------------------


@pytest.fixture(scope="module")
def probe(ws: gs.WitStrategies, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A world = all-imports + an interface with ``id<N>: func(v: T) -> tuple<T>`` for
    every drawable named type T, generated (with the real seam bodies) as package
    ``golem_strategy_probe``; strategies built for *its* classes."""
    base = ws.world
    pkg = Package(PackageName("golem-fakes", "strategy-probe"))
    iface = Interface("probe", pkg)
    pkg.interfaces["probe"] = iface
    covered: dict[str, TypeDef] = {}
    skipped: list[TypeDef] = []
    for td in ws.named_types():
        try:
            ws.for_type(td)
        except gs.UnsupportedType:
            skipped.append(td)
            continue
        name = f"id{len(covered)}"
        iface.functions[name] = Function(name, name, "freestanding", [Param("v", td)],
                                         TupleType((td,)), owner=iface)
        covered[name] = td
    world = World("probe-world", pkg, imports=[*base.imports, WorldItem(PROBE, iface)])
    pkg.worlds["probe-world"] = world
    flavor = resolve_flavor(world.name, version="0.19.3", package="golem_strategy_probe")
    gen = codegen.generate(world, flavor)
    tmp = tmp_path_factory.mktemp("strategy_probe")
    for rel, text in gen.files.items():
        if rel.startswith("golem_strategy_probe/"):
            path = tmp / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
    sys.path.insert(0, str(tmp))
    try:
        mod = importlib.import_module("golem_strategy_probe.imports.probe")
        strategies = gs.WitStrategies(world, flavor)
        yield type("Probe", (), {"mod": mod, "covered": covered, "skipped": skipped,
                                 "ws": strategies})
    finally:
        sys.path.remove(str(tmp))
        for name in [m for m in sys.modules if m.split(".")[0] == "golem_strategy_probe"]:
            del sys.modules[name]


def test_probe_covers_every_named_type_but_resources(probe: Any) -> None:
    """Only resources and the few types that cannot exist without one are skipped."""
    assert len(probe.covered) > 200
    needs_resource = sorted(td.name for td in probe.skipped
                            if not (isinstance(td.dealias(), TypeDef)
                                    and isinstance(td.dealias().kind, Resource)))
    assert needs_resource == ["domain", "domain-type", "get-or-set-entry", "range-type"], (
        f"types without a strategy that are not resources: {needs_resource}")


CHUNKS = 16  # the named types are split so that one example's draws fit hypothesis' buffer


@pytest.mark.parametrize("chunk", range(CHUNKS))
@settings(max_examples=6, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data())
def test_every_named_type_passes_the_seam(probe: Any, chunk: int, data: st.DataObject) -> None:
    """Each example draws one value of every named type of its chunk (all chunks: every
    drawable type of all-imports) and passes it through the seam's lowering (argument
    check) and lifting (return check)."""
    names = list(probe.covered)[chunk::CHUNKS]
    assert names
    with Environment() as env:
        for name in names:
            env.implement(PROBE, name, lambda e, v: (v,))
        for name in names:
            td = probe.covered[name]
            value = data.draw(probe.ws.for_type(td), label=f"{td.owner.qualified_name}.{td.name}")
            try:
                (back,) = getattr(probe.mod, name)(value)
            except (Trap, FakeBug) as e:  # pragma: no cover - the failure being tested
                pytest.fail(f"{td!r}: drawn value {value!r} was rejected: {e}")
            assert _same(back, value), f"{td!r}: {value!r} came back as {back!r}"
            assert env.call_count(PROBE, name) == 1


# --- the installed functions, with the installed classes -----------------------------


def _drawable_functions(ws: gs.WitStrategies) -> list[tuple[str, Function]]:
    out = []
    for iface in ws.world.imported_interfaces():
        for fn in iface.functions.values():
            if fn.kind != "freestanding":
                continue
            try:
                ws.for_function_params(iface.qualified_name, fn.name)
                ws.for_function_result(iface.qualified_name, fn.name)
            except gs.UnsupportedType:
                continue
            out.append((iface.qualified_name, fn))
    return out


@settings(max_examples=8, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data())
def test_installed_functions_accept_drawn_arguments_and_results(
        ws: gs.WitStrategies, data: st.DataObject) -> None:
    """Every freestanding function of wit_world whose types need no resource: drawn
    arguments pass the argument check, drawn behaviour results pass the return check
    and come back as the binding returns them (ok value, or ``Err`` raised)."""
    from golem_fakes.bindings.naming import escape, snake

    fns = _drawable_functions(ws)
    assert len(fns) > 40
    with Environment() as env:
        for iid, fn in fns:
            args = data.draw(ws.for_function_params(iid, fn.name), label=f"{iid}#{fn.name} args")
            result = data.draw(ws.for_function_result(iid, fn.name), label=f"{iid}#{fn.name} result")
            seen: list[tuple[Any, ...]] = []

            def behaviour(e: Any, *a: Any, _r: Any = result, _s: Any = seen) -> Any:
                _s.append(a)
                return _r

            env.implement(iid, fn.name, behaviour)
            module = ws.module_name(ws.interface(iid))
            binding = getattr(importlib.import_module(module), escape(snake(fn.name)))
            try:
                got: Any = binding(*args)
            except Err as e:
                got = Err(e.value)
            except (Trap, FakeBug) as e:  # pragma: no cover - the failure being tested
                pytest.fail(f"{iid}#{fn.name}{args!r} -> {result!r}: {e}")
            assert len(seen) == 1 and len(seen[0]) == len(args)
            if isinstance(fn.result, ResultType) or (
                    isinstance(fn.result, TypeDef) and isinstance(fn.result.dealias(), ResultType)):
                if type(result) is Ok:
                    assert _same(got, result.value)
                else:
                    assert type(got) is Err and _same(got.value, result.value)
            else:
                assert _same(got, result)


# --- widths and shapes -----------------------------------------------------------------


@FAST
@given(data=st.data())
def test_widths_are_respected(ws: gs.WitStrategies, data: st.DataObject) -> None:
    u8 = data.draw(ws.for_type(Primitive("u8")))
    assert type(u8) is int and 0 <= u8 <= 255
    for name, (lo, hi) in {"s8": (-128, 127), "u16": (0, 65535), "s32": (-2**31, 2**31 - 1),
                           "u64": (0, 2**64 - 1), "s64": (-2**63, 2**63 - 1)}.items():
        v = data.draw(ws.for_type(Primitive(name)))
        assert type(v) is int and lo <= v <= hi, (name, v)
    f = data.draw(ws.for_type(Primitive("f32")))
    rt = struct.unpack("f", struct.pack("f", f))[0]
    assert rt == f or (math.isnan(f) and math.isnan(rt)), f"{f!r} is not an f32"
    c = data.draw(ws.for_type(Primitive("char")))
    assert len(c) == 1 and not "\ud800" <= c <= "\udfff"
    s = data.draw(ws.for_type(Primitive("string")))
    s.encode("utf-8")  # no surrogates
    assert type(data.draw(ws.for_type(ListType(Primitive("u8"))))) is bytes
    assert type(data.draw(ws.for_type(Primitive("bool")))) is bool


# Each WIT primitive's extreme values, written out here (not derived from the model's
# INT_RANGES, which the strategies themselves use), and values just outside each type.
F32_MAX = struct.unpack("<f", struct.pack("<I", 0x7F7FFFFF))[0]
F32_TRUE_MIN = struct.unpack("<f", struct.pack("<I", 0x00000001))[0]
F32_MIN_NORMAL = struct.unpack("<f", struct.pack("<I", 0x00800000))[0]
F64_TRUE_MIN = struct.unpack("<d", struct.pack("<Q", 1))[0]
_IEEE = [0.0, -0.0, math.inf, -math.inf, math.nan]
EXTREMES: dict[str, list[Any]] = {
    "bool": [False, True],
    "u8": [0, 255], "u16": [0, 65535], "u32": [0, 4294967295], "u64": [0, 18446744073709551615],
    "s8": [-128, 127], "s16": [-32768, 32767], "s32": [-2147483648, 2147483647],
    "s64": [-9223372036854775808, 9223372036854775807],
    "f32": [*_IEEE, F32_MAX, -F32_MAX, F32_TRUE_MIN, -F32_TRUE_MIN, F32_MIN_NORMAL],
    "f64": [*_IEEE, sys.float_info.max, -sys.float_info.max, F64_TRUE_MIN, -F64_TRUE_MIN,
            sys.float_info.min],
    "char": ["\x00", "\ud7ff", "\ue000", "\U0010ffff"],  # around the surrogate block too
    "string": ["", "\x00", "\U0010ffff", "\ud7ff\ue000", "\x00" * 1000],
}
SURROGATES = [chr(c) for c in range(0xD800, 0xE000)]
OUTSIDE: dict[str, list[Any]] = {
    "u8": [-1, 256], "u16": [-1, 65536], "u32": [-1, 2**32], "u64": [-1, 2**64],
    "s8": [-129, 128], "s16": [-(2**15) - 1, 2**15], "s32": [-(2**31) - 1, 2**31],
    "s64": [-(2**63) - 1, 2**63],
    # not single precision: beyond F32_MAX, below the smallest subnormal, between two
    # f32 values (floats(width=32) refuses the first, rounds the others to an f32)
    "f32": [1e39, -1e39, math.nextafter(F32_MAX, math.inf), 1e-46, 0.1],
    "char": SURROGATES,
    "string": ["\ud800", "\udfff", "a\udc00b", "\ud83d\ude00"],
}
_REFUSED = object()


def _drawn(strategy: st.SearchStrategy[Any], choice: Any) -> Any:
    """What ``strategy`` draws when hypothesis' engine makes the one primitive choice
    ``choice`` (an ``int``, ``float``, ``str``, ``bytes`` or ``bool``, as hypothesis'
    choice sequence holds them), or ``_REFUSED`` when the strategy cannot draw it.

    Every value hypothesis generates, mutates, shrinks or replays is some choice
    sequence, so "some sequence draws v" is exactly "v is reachable", without a
    random search (which needs luck to hit one value among 2**64, and proves nothing
    when it finds no surrogate). A choice outside the strategy's constraints (an
    integer beyond its bounds, a character outside its alphabet) is *misaligned*:
    hypothesis substitutes its simplest permitted choice. A value the strategy
    rejects after drawing (``floats(width=32)`` filters what single precision cannot
    represent) makes it ask for a second choice, which the one-choice sequence does
    not have (``StopTest``).

    Uses hypothesis' ``ConjectureData.for_choices`` and ``BuildContext`` (internals of
    its choice-sequence engine; checked against hypothesis 6.170): a change there makes
    this fail loudly, never flakily."""
    data = ConjectureData.for_choices([choice])
    try:
        with BuildContext(data, wrapped_test=_drawn):
            value = data.draw(strategy)
    except StopTest:
        return _REFUSED
    if data.misaligned_at is not None or len(data.choices) != 1:
        return _REFUSED
    return value


def _identical(a: Any, b: Any) -> bool:
    """Same type and value; floats bit for bit (so -0.0 is not 0.0, NaN is NaN)."""
    if type(a) is not type(b):
        return False
    if type(a) is float:
        return math.isnan(a) and math.isnan(b) or struct.pack("<d", a) == struct.pack("<d", b)
    return bool(a == b)


def test_the_reachability_check_sees_what_a_strategy_draws() -> None:
    """The check itself: it accepts what a strategy can draw and refuses what it cannot
    (so the refusals below are the strategies', not the check's)."""
    assert _drawn(st.integers(0, 300), 256) == 256
    assert _drawn(st.integers(0, 255), 256) is _REFUSED
    assert _drawn(st.characters(), "\ud800") == "\ud800"  # hypothesis' default allows them
    assert _drawn(st.characters(codec="utf-8"), "\ud800") is _REFUSED
    assert _drawn(st.text(st.characters()), "a\udc00b") == "a\udc00b"
    assert _drawn(st.text(st.characters(codec="utf-8")), "a\udc00b") is _REFUSED
    assert _drawn(st.floats(), 1e39) == 1e39
    assert _drawn(st.floats(width=32), 1e39) is _REFUSED
    assert _identical(_drawn(st.floats(), -0.0), -0.0) and not _identical(-0.0, 0.0)


@pytest.mark.parametrize("wit", list(EXTREMES))
def test_extreme_values_are_reachable(ws: gs.WitStrategies, wit: str) -> None:
    """Every extreme value of the WIT primitive can be drawn (both ends of each integer
    width, ±0, ±inf, NaN, the largest and smallest finite and subnormal floats of the
    width, the first and last code points and those around the surrogate block, the
    empty string), and nothing outside the type can: no integer beyond the width, no
    float single precision cannot hold for ``f32``, no surrogate in a ``char`` or
    ``string`` (all 2048 surrogate code points tried)."""
    strategy = ws.for_type(Primitive(wit))
    for value in EXTREMES[wit]:
        got = _drawn(strategy, value)
        assert got is not _REFUSED and _identical(got, value), (
            f"{wit}: the strategy cannot draw {value!r} (gave {got!r})")
    for value in OUTSIDE.get(wit, []):
        got = _drawn(strategy, value)
        assert got is _REFUSED or _is_a(wit, got), (
            f"{wit}: the choice {value!r} drew {got!r}, which is not a {wit}")


def _is_a(wit: str, v: Any) -> bool:
    """Whether ``v`` is a value of the WIT primitive (as the seam's lowering accepts it)."""
    if wit == "f32":
        return type(v) is float and (
            math.isnan(v) or struct.unpack("<f", struct.pack("<f", v))[0] == v)
    if wit == "char":
        return type(v) is str and len(v) == 1 and not "\ud800" <= v <= "\udfff"
    if wit == "string":
        return type(v) is str and not re.search("[\ud800-\udfff]", v)
    lo, hi = {"u8": (0, 255), "u16": (0, 65535), "u32": (0, 2**32 - 1), "u64": (0, 2**64 - 1),
              "s8": (-128, 127), "s16": (-(2**15), 2**15 - 1), "s32": (-(2**31), 2**31 - 1),
              "s64": (-(2**63), 2**63 - 1)}[wit]
    return type(v) is int and lo <= v <= hi


def test_list_u8_reaches_every_byte_and_the_empty_list(ws: gs.WitStrategies) -> None:
    strategy = ws.for_type(ListType(Primitive("u8")))
    for value in (b"", bytes(range(256)), b"\xff" * 4096):
        assert _drawn(strategy, value) == value


def test_nested_options_results_and_tuples(ws: gs.WitStrategies) -> None:
    nested = ws.for_type(OptionType(OptionType(Primitive("u8"))))
    assert find(nested, lambda v: v is None) is None
    assert find(nested, lambda v: v == Some(None)) == Some(None)
    assert find(nested, lambda v: type(v) is Some and v.value == 7) == Some(7)
    res = ws.for_type(ResultType(Primitive("u8"), None))
    assert find(res, lambda v: type(v) is Err) == Err(None)
    assert type(find(res, lambda v: type(v) is Ok)) is Ok
    tup = find(ws.for_type(TupleType((Primitive("bool"), Primitive("string")))),
               lambda v: v[0] and v[1])
    assert type(tup) is tuple and len(tup) == 2


def test_every_variant_case_and_flags_combination(ws: gs.WitStrategies) -> None:
    from wit_world.imports import host, wasi_filesystem_types as fs

    s = gs.from_wit(HOST, "worker-property-filter")
    td = ws.typedef(HOST, "worker-property-filter")
    for case in td.kind.cases:  # type: ignore[union-attr]
        cls = ws.class_of(td, case)
        assert type(find(s, lambda v, c=cls: type(v) is c, settings=REACH)) is cls
    assert host.WorkerPropertyFilter_Env in {ws.class_of(td, c) for c in td.kind.cases}  # type: ignore[union-attr]
    flags = gs.from_wit("wasi:filesystem/types@0.2.3", "descriptor-flags")
    every = fs.DescriptorFlags(2 ** len(fs.DescriptorFlags) - 1)
    assert find(flags, lambda v: v == every, settings=REACH) == every
    mutate = fs.DescriptorFlags.MUTATE_DIRECTORY
    assert find(flags, lambda v: v == mutate, settings=REACH) == mutate
    enum = gs.from_wit(HOST, "worker-status")
    exited = host.WorkerStatus.EXITED
    assert find(enum, lambda v: v == exited, settings=REACH) is exited


# --- hypothesis registration --------------------------------------------------------------


@FAST
@given(data=st.data())
def test_st_from_type_draws_generated_classes(ws: gs.WitStrategies, data: st.DataObject) -> None:
    from wit_world.imports import golem_rpc_types, host

    meta = data.draw(st.from_type(host.WorkerMetadata))
    assert type(meta) is host.WorkerMetadata
    assert type(meta.worker_id) is golem_rpc_types.WorkerId
    assert type(meta.status) is host.WorkerStatus
    assert 0 <= meta.retry_count < 2**64
    f = data.draw(st.from_type(host.WorkerPropertyFilter))
    assert type(f).__name__.startswith("WorkerPropertyFilter_")
    assert type(data.draw(st.from_type(host.WorkerPropertyFilter_Status))) is \
        host.WorkerPropertyFilter_Status


def test_registration_is_lazy_and_skips_protocols(ws: gs.WitStrategies) -> None:
    from wit_world.imports import host

    import wit_world
    import wit_world.exports as exports

    regs = registered_classes()
    assert host.WorkerMetadata in regs and host.WorkerPropertyFilter_Name in regs
    assert host.GetWorkers in regs  # a resource: registered with an explaining resolver
    assert wit_world.WitWorld not in regs
    # (classes of another world installed earlier in this process, e.g. by the export
    # tests, stay registered; only this world's modules count)
    current = [c for c in regs if getattr(sys.modules.get(c.__module__), c.__name__, None) is c]
    assert not any(c.__module__.startswith("wit_world.exports") for c in current)
    assert exports.SaveSnapshot not in regs
    assert Ok not in regs and Some not in regs
    register_module(host)  # idempotent
    assert registered_classes().count(host.WorkerMetadata) == 1
    with pytest.raises(gs.UnsupportedType, match="resource.*get-workers"):
        find(st.from_type(host.GetWorkers), lambda v: True)


def test_entry_point_declaration_points_at_the_hook() -> None:
    text = (Path(__file__).parents[1] / "pyproject.toml").read_text()
    m = re.search(r'^\[project\.entry-points\.hypothesis\]\s*\n\s*golem_fakes\s*=\s*"([^"]+)"',
                  text, re.M)
    if m is None:
        pytest.skip('pyproject.toml lacks [project.entry-points.hypothesis] golem_fakes = '
                    '"golem_fakes._hypothesis_plugin:_hypothesis_setup_hook" (the lead adds it)')
    module, _, attr = m.group(1).partition(":")
    assert getattr(importlib.import_module(module), attr) is _hypothesis_setup_hook


# --- API, caching, errors ---------------------------------------------------------------


def test_strategies_are_cached_and_params_skip_self(ws: gs.WitStrategies) -> None:
    from wit_world.imports import host

    assert gs.from_wit(HOST, "worker-metadata") is gs.from_wit(HOST, "worker-metadata")
    assert gs.from_type(host.WorkerMetadata) is gs.from_wit(HOST, "worker-metadata")
    assert gs.from_wit("golem:api/host", "oplog-index") is gs.from_wit(HOST, "oplog-index")
    assert find(gs.for_function_params(HOST, "[method]get-workers.get-next"),
                lambda v: True) == ()
    args = find(gs.for_function_params(HOST, "get_worker_metadata"), lambda v: True)
    assert len(args) == 1 and type(args[0]).__name__ == "WorkerId"
    assert find(gs.for_function_result(HOST, "get-oplog-index"), lambda v: v > 5) == 6


def test_errors_say_what_exists(ws: gs.WitStrategies) -> None:
    with pytest.raises(gs.UnsupportedType, match=r"golem:api/host@1.1.7 has no type 'nope'; "
                                                 r"its types: .*worker-metadata"):
        gs.from_wit(HOST, "nope")
    with pytest.raises(gs.UnsupportedType, match="interface 'x:y/z' is not in the world"):
        gs.from_wit("x:y/z", "t")
    with pytest.raises(gs.UnsupportedType, match=r"get-workers cannot be drawn.*resource"):
        gs.from_wit(HOST, "get-workers")
    with pytest.raises(gs.UnsupportedType,
                       match=r"domain\.value: resource lazy-db-value.*inside the test"):
        gs.from_wit("golem:rdbms/postgres@0.0.1", "domain")
    with pytest.raises(gs.UnsupportedType, match="not a class generated"):
        gs.from_type(int)


def test_resources_are_skipped_where_optional(ws: gs.WitStrategies) -> None:
    td = ws.typedef(HOST, "get-workers")
    assert find(ws.for_type(OptionType(td)), lambda v: True) is None
    assert find(ws.for_type(ListType(td)), lambda v: True) == []
    only_err = ws.for_type(ResultType(td, Primitive("u8")))
    assert type(find(only_err, lambda v: True)) is Err


# --- domain strategies -------------------------------------------------------------------


_NAME_RE = re.compile(r"^[^\s/-][^\s/]*$")


@FAST
@given(data=st.data())
def test_domain_values_are_realistic(ws: gs.WitStrategies, data: st.DataObject) -> None:
    import uuid

    name = data.draw(gs.worker_names())
    assert 1 <= len(name) <= 512 and _NAME_RE.match(name), name
    wid = data.draw(gs.worker_ids())
    u = uuid.UUID(int=(wid.component_id.uuid.high_bits << 64) | wid.component_id.uuid.low_bits)
    assert u.version == 4
    assert _NAME_RE.match(wid.worker_name)
    meta = data.draw(gs.worker_metadata())
    assert meta.retry_count == 0
    keys = [k for k, _ in meta.wasi_config_vars]
    assert keys == sorted(set(keys), key=lambda k: k.encode())
    assert all(k and "=" not in k for k, _ in meta.env)


@FAST
@given(data=st.data())
def test_worker_filters_and_metadata_pass_the_seam(ws: gs.WitStrategies, data: st.DataObject) -> None:
    """Domain values are valid arguments: a filter goes through the get-workers
    constructor, metadata through the probe-free ``get-worker-metadata`` return check."""
    from wit_world.imports import host

    f = data.draw(gs.worker_any_filters(names=st.sampled_from(["a", "b"])))
    assert type(f) is host.WorkerAnyFilter
    assert all(type(a) is host.WorkerAllFilter for a in f.filters)
    meta = data.draw(gs.worker_metadata())
    cid = data.draw(gs.component_ids())
    got: list[Any] = []
    with Environment() as env:
        env.implement(HOST, "[constructor]get-workers", lambda e, c, flt, p: got.append(flt) or "rep")
        env.implement(HOST, "get-worker-metadata", lambda e, wid: meta)
        host.GetWorkers(cid, f, True)
        assert got == [f]
        assert host.get_worker_metadata(meta.worker_id) == meta


def test_filters_reach_every_property_and_nesting(ws: gs.WitStrategies) -> None:
    s = gs.worker_any_filters()
    two = find(s, lambda f: len(f.filters) >= 2 and any(len(a.filters) >= 2 for a in f.filters),
               settings=REACH)
    assert type(two).__name__ == "WorkerAnyFilter"
    for case in ("Name", "Status", "Version", "CreatedAt", "Env", "WasiConfigVars"):
        find(s, lambda f, c=case: any(type(p).__name__ == f"WorkerPropertyFilter_{c}"
                                      for a in f.filters for p in a.filters), settings=REACH)
    assert find(s, lambda f: not f.filters, settings=REACH).filters == []


def test_worker_names_reject_bad_bounds() -> None:
    with pytest.raises(ValueError, match="min_size"):
        gs.worker_names(min_size=0)


def test_the_suite_runs_hypothesis_deterministically(request: pytest.FixtureRequest) -> None:
    """tests/conftest.py loads the derandomized, database-free, timing-free profile
    (unless a run chose another with ``--hypothesis-profile`` or HYPOTHESIS_PROFILE)."""
    import os

    chosen = request.config.getoption("hypothesis_profile", None) or os.environ.get(
        "HYPOTHESIS_PROFILE")
    if chosen is None:
        assert settings.get_current_profile_name() == "golem-fakes"
    s = settings.get_profile("golem-fakes")
    assert s.derandomize and s.database is None and s.deadline is None
    assert HealthCheck.too_slow in s.suppress_health_check


def test_strategies_follow_generated_modules_imported_again(ws: gs.WitStrategies) -> None:
    """pytester's in-process runs drop the modules they imported first; the next import
    makes new classes, and the strategies must draw those (not the dropped ones)."""
    from wit_world.imports import host as old_host

    before = gs.current()
    assert type(find(gs.worker_any_filters(), lambda f: True)) is old_host.WorkerAnyFilter
    name = old_host.__name__
    parent = sys.modules[name.rsplit(".", 1)[0]]
    try:
        del sys.modules[name]
        new_host = importlib.import_module(name)
        assert new_host is not old_host and new_host.WorkerAnyFilter is not old_host.WorkerAnyFilter
        assert gs.current() is not before and not gs.current().stale()
        assert type(find(gs.worker_any_filters(), lambda f: True)) is new_host.WorkerAnyFilter
    finally:
        sys.modules[name] = old_host          # leave the suite's modules as they were
        setattr(parent, name.rsplit(".", 1)[1], old_host)
    assert type(find(gs.worker_any_filters(), lambda f: True)) is old_host.WorkerAnyFilter
