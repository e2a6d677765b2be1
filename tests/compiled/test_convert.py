"""The linker's value converters (golem_fakes.compiled.convert) for every named WIT type
of the installed world: a bindings value converted to wasmtime's form and back is the
same value; the wasmtime form follows wasmtime-py's tagging rule; what a behaviour may
return is checked with the bindings' own lifting rules."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import golem_fakes
from golem_fakes.bindings.result import Err, Ok, Some
from golem_fakes.bindings.runtime import Mismatch
from golem_fakes.compiled import convert
from golem_fakes.compiled.linker import Model
from golem_fakes.strategies import UnsupportedType, current
from golem_fakes.wit.model import (
    HandleType,
    ListType,
    OptionType,
    Primitive,
    ResultType,
    TupleType,
    TypeDef,
)

pytest.importorskip("wasmtime")
from wasmtime.component import Record, Variant  # noqa: E402


def _model() -> Model:
    golem_fakes.install()
    return Model(current())


def _named() -> list[tuple[str, str]]:
    """``(interface, type name)`` of every named type whose values can be drawn and
    hold no handle (names, not model objects: the installed world's model may be
    rebuilt during the session, :func:`golem_fakes.strategies.current`)."""
    golem_fakes.install()
    out = []
    seen: set[int] = set()
    for td in current().named_types():
        d = td.dealias()
        if not isinstance(d, TypeDef) or id(d) in seen or isinstance(convert.resolve(d), HandleType):
            continue
        seen.add(id(d))
        try:
            current().for_type(d)
        except UnsupportedType:
            continue  # every value holds a handle
        out.append((d.owner.qualified_name, d.name))
    return out


NAMED = _named()


def _typedef(interface: str, name: str) -> TypeDef:
    td = current().typedef(interface, name).dealias()
    assert isinstance(td, TypeDef)
    return td


class _NoHandles:
    store = None

    def take(self, v: Any, key: str) -> Any:
        return ("taken", v)

    def peek(self, v: Any, key: str) -> Any:
        return ("borrowed", v)

    def give(self, rep: Any, key: str) -> Any:
        return rep


def test_every_kind_of_named_type_is_covered() -> None:
    kinds = {type(_typedef(*key).kind).__name__ for key in NAMED}
    assert {"Record", "Variant", "Enum", "Flags"} <= kinds
    assert len(NAMED) > 50


@pytest.mark.parametrize("key", NAMED, ids=lambda key: f"{key[0]}.{key[1]}")
@settings(max_examples=8, suppress_health_check=[HealthCheck.too_slow,
                                                  HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_round_trip(key: tuple[str, str], data: st.DataObject) -> None:
    model = _model()
    td = _typedef(*key)
    handles = _NoHandles()
    value = data.draw(current().for_type(td))
    if _holds_handle(td):
        pytest.skip("values with handles are converted through a wasm instance's table")
    wasm = convert.to_wasm(td, model)(value, handles)
    back = convert.to_host(td, model)(wasm, handles)
    assert _same(back, value), (value, wasm, back)


def _holds_handle(t: Any, depth: int = 0) -> bool:
    t = convert.resolve(t)
    if depth > 20:
        return False
    if isinstance(t, HandleType):
        return True
    if isinstance(t, ListType):
        return _holds_handle(t.element, depth + 1)
    if isinstance(t, OptionType):
        return _holds_handle(t.inner, depth + 1)
    if isinstance(t, ResultType):
        return any(_holds_handle(x, depth + 1) for x in (t.ok, t.err) if x is not None)
    if isinstance(t, TupleType):
        return any(_holds_handle(x, depth + 1) for x in t.types)
    if isinstance(t, TypeDef):
        k = t.kind
        for f in getattr(k, "fields", ()) or ():
            if _holds_handle(f.type, depth + 1):
                return True
        for c in getattr(k, "cases", ()) or ():
            if getattr(c, "type", None) is not None and _holds_handle(c.type, depth + 1):
                return True
    return False


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return a == b or (a != a and b != b)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if hasattr(a, "__dataclass_fields__") and type(a) is type(b):
        return all(_same(getattr(a, f), getattr(b, f)) for f in a.__dataclass_fields__)
    return bool(a == b)


def test_wasmtime_forms_follow_its_tagging_rule() -> None:
    model = _model()
    h = _NoHandles()
    assert convert.to_wasm(OptionType(Primitive("string")), model)(None, h) is None
    assert convert.to_wasm(OptionType(Primitive("string")), model)("x", h) == "x"
    nested = OptionType(OptionType(Primitive("u8")))
    assert convert.to_wasm(nested, model)(Some(None), h) == Variant("some", None)
    assert convert.to_wasm(nested, model)(None, h) == Variant("none")
    assert convert.to_host(nested, model)(Variant("some", 3), h) == Some(3)
    res = ResultType(Primitive("u32"), Primitive("string"))
    assert convert.to_wasm(res, model)(Ok(5), h) == 5
    assert convert.to_wasm(res, model)(Err("e"), h) == "e"
    assert convert.to_host(res, model)("e", h) == Err("e")
    assert convert.to_host(res, model)(5, h) == Ok(5)
    bare = ResultType(None, None)
    assert convert.to_wasm(bare, model)(Ok(None), h) == Variant("ok")
    assert convert.to_host(bare, model)(Variant("err"), h) == Err(None)
    opt_ok = ResultType(OptionType(Primitive("string")), Primitive("u32"))
    assert convert.to_host(opt_ok, model)(None, h) == Ok(None)  # untagged: the option's none


def test_records_use_wit_field_names() -> None:
    model = _model()
    td = current().typedef("wasi:clocks/wall-clock@0.2.3", "datetime")
    w = convert.to_wasm(td, model)({"seconds": 1, "nanoseconds": 2}, _NoHandles())
    assert isinstance(w, Record) and (w.seconds, w.nanoseconds) == (1, 2)
    meta = current().typedef("golem:api/host@1.1.7", "worker-metadata")
    fields = [f.name for f in meta.kind.fields]
    assert "worker-id" in fields


def test_a_wrong_behaviour_value_is_a_mismatch() -> None:
    model = _model()
    with pytest.raises(Mismatch):
        convert.to_wasm(Primitive("u8"), model)(256, _NoHandles())
    with pytest.raises(Exception) as e:
        convert.to_wasm(ListType(Primitive("u32")), model)([1, "x"], _NoHandles())
    assert "[1]" in str(getattr(e.value, "path", "")) or "x" in str(e.value)


def test_bool_payload_of_a_later_int_case_is_refused() -> None:
    """wasmtime-py 50 would send ``err(true)`` of ``result<u32, bool>`` as ``ok(1)``."""
    model = _model()
    t = ResultType(Primitive("u32"), Primitive("bool"))
    with pytest.raises(convert.UnsupportedWitType, match="bool"):
        convert.to_wasm(t, model)(Err(True), _NoHandles())
    assert convert.to_wasm(t, model)(Ok(1), _NoHandles()) == 1
    assert convert.to_host(t, model)(True, _NoHandles()) == Err(True)  # exact type first
