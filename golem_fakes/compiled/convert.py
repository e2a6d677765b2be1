"""Value converters between wasmtime-py's component values and the bindings' values.

wasmtime-py 50 (``wasmtime/component/_types.py``) hands a host function its arguments,
and takes its result, in these Python forms:

* ``bool``, ``int`` (every integer type), ``float`` (``f32`` already rounded), ``str``
  (``char`` and ``string``), ``bytes`` for ``list<u8>``, ``list``, ``tuple``;
* records: a ``wasmtime.component.Record`` whose attributes are the **WIT** field names
  (``getattr(r, "created-at")``);
* enums: the WIT case name (``str``); flags: a ``set`` of WIT flag names;
* variants, options and results: *untagged* (just the payload; ``None`` for a case
  without payload) when the Python classes of the cases' payloads are disjoint, else
  *tagged* as ``Variant(tag, payload)`` (``VariantLikeType._tagged``): ``option<string>``
  is ``None`` / ``"x"``, ``option<option<u8>>`` is ``Variant("none")`` /
  ``Variant("some", ...)``, ``result<u32, string>`` is ``5`` / ``"e"``, ``result`` (no
  payloads) is ``Variant("ok")`` / ``Variant("err")``;
* handles: ``ResourceAny`` in, ``ResourceHost.own(rep, type)`` (or a ``ResourceAny``)
  out.

The bindings side is what the generated componentize-py bindings pass to a behaviour
(:mod:`golem_fakes.bindings.lowering`): the generated record / variant-case / enum /
flags classes, ``Some``/``Ok``/``Err`` of :mod:`golem_fakes.bindings.result`, reps for
resources. A behaviour's return value is checked with the very lifting helpers of
:mod:`golem_fakes.bindings.runtime` the generated bindings use (a wrong value is a
:class:`~golem_fakes.bindings.runtime.FakeBug`), so a compiled component and a Python
worker see the same values.

Converters are built once per WIT type at link time (closures, no type walk per
call). A WIT type that wasmtime-py cannot carry fails loudly at link time
(:class:`UnsupportedWitType`); see :data:`WASMTIME_PY_LIMITS`.
"""

from __future__ import annotations

from typing import Any, Callable, Protocol

from wasmtime.component import Record as WRecord
from wasmtime.component import ResourceAny, ResourceHost
from wasmtime.component import Variant as WVariant

from golem_fakes.bindings import runtime as rt
from golem_fakes.bindings.lowering import _resolve, wit_type_str
from golem_fakes.bindings.naming import escape, snake
from golem_fakes.bindings.result import Err, Ok, Some
from golem_fakes.wit.model import (
    INT_RANGES,
    Enum,
    Flags,
    HandleType,
    ListType,
    OptionType,
    Primitive,
    Record,
    ResultType,
    TupleType,
    Type,
    TypeDef,
    Variant,
)

__all__ = ["Classes", "Handles", "UnsupportedWitType", "to_host", "to_wasm", "resolve",
           "wit_str", "short_repr", "identity", "WASMTIME_PY_LIMITS"]

#: What wasmtime-py 50's component value API cannot express, and what the linker does:
#:
#: * an *untagged* variant-like value (see the module docstring) whose cases' Python
#:   classes overlap only through ``bool`` ⊂ ``int``: ``result<u32, bool>``. wasmtime-py
#:   checks ``isinstance(val, case classes)`` in case order when lowering
#:   (``VariantLikeType._lower``), so the host cannot return ``err(true)`` — ``True`` is an
#:   ``int`` and is sent as ``ok(1)``. Reproducer: a host function of type
#:   ``func() -> result<u32, bool>`` returning ``True`` from Python gives the guest
#:   ``ok(1)``. The linker raises :class:`UnsupportedWitType` for such a value instead of
#:   sending the wrong case; from the guest it tells the cases apart by exact type.
#: * large ``list<u8>`` values: wasmtime-py converts every list element by element
#:   through ctypes (``ListType.convert_to_c`` / ``convert_from_c``), bytes included, so
#:   a value of megabytes takes seconds and a 64 MiB ``get-random-bytes`` result minutes
#:   and gigabytes. Nothing to do from Python without a faster path in wasmtime-py.
#: * ``error-context``, ``stream<T>`` and ``future<T>`` (component-model async): wasmtime-py
#:   raises ``NotImplementedError`` converting them; the WIT model of golem-fakes has no
#:   such types either (WASI 0.2 / Golem 1.3 use none).
WASMTIME_PY_LIMITS = ("bool-int untagged cases", "large list<u8> values",
                      "error-context/stream/future")


class UnsupportedWitType(TypeError):
    """A WIT type (or a value of it) that the linker cannot carry across wasmtime-py's
    component API; the message names the type and what to do."""


class Classes(Protocol):
    """Where the generated classes of named types come from."""

    def class_of(self, td: TypeDef, case: Any = None) -> type: ...


class Handles(Protocol):
    """A worker's resource table: for imports the host resources the guest holds
    (:class:`golem_fakes.compiled.linker.WasmInstance`), for exports the invoker's
    handles of exported resources (:class:`golem_fakes.compiled.exports.ExportedHandles`).
    ``take``/``peek`` lift an own/borrow handle coming from wasm; ``give``/``lend``
    lower an own/borrow handle going into wasm."""

    store: Any

    def take(self, value: Any, key: str) -> Any: ...

    def peek(self, value: Any, key: str) -> Any: ...

    def give(self, rep: Any, key: str) -> Any: ...

    def lend(self, rep: Any, key: str) -> Any: ...


Conv = Callable[[Any, Any], Any]


#: ``repr(value)`` cut to a length, for messages (the seam's own helper)
short_repr = rt._short_repr
#: follow aliases; a bare resource ``TypeDef`` is an owned handle (as the bindings do)
resolve = _resolve
#: the WIT spelling of a type, for messages
wit_str = wit_type_str


def resource_key(td: TypeDef) -> str:
    """``interface#resource``: the :func:`golem_fakes.bindings.runtime.resource_site` key."""
    owner = getattr(td.owner, "qualified_name", None) or "<anonymous>"
    return f"{owner}#{td.name}"


# --- wasmtime-py's tagging rule (VariantLikeType._tagged / add_classes) -------------------


def _classes(t: Type | None) -> frozenset[type]:
    """The Python classes wasmtime-py uses for values of ``t`` (``add_classes``)."""
    if t is None:
        return frozenset({object})
    t = resolve(t)
    if isinstance(t, Primitive):
        if t.name == "bool":
            return frozenset({bool})
        if t.name in INT_RANGES:
            return frozenset({int})
        if t.name in ("f32", "f64"):
            return frozenset({float})
        return frozenset({str})
    if isinstance(t, ListType):
        el = resolve(t.element)
        return frozenset({bytes}) if isinstance(el, Primitive) and el.name == "u8" else frozenset({list})
    if isinstance(t, TupleType):
        return frozenset({tuple})
    if isinstance(t, HandleType):
        return frozenset({ResourceAny, ResourceHost})
    if isinstance(t, (OptionType, ResultType)):
        cases = _cases(t)
    elif isinstance(t, TypeDef):
        k = t.kind
        if isinstance(k, Record):
            return frozenset({WRecord})
        if isinstance(k, Enum):
            return frozenset({str})
        if isinstance(k, Flags):
            return frozenset({set})
        if not isinstance(k, Variant):  # pragma: no cover - the model is closed
            raise UnsupportedWitType(f"no wasmtime value form for {t!r}")
        cases = [(c.name, c.type) for c in k.cases]
    else:  # pragma: no cover
        raise UnsupportedWitType(f"no wasmtime value form for {t!r}")
    if _tagged(cases):
        return frozenset({WVariant})
    out: set[type] = set()
    for _, ct in cases:
        out |= _classes(ct)
    return frozenset(out)


def _cases(t: OptionType | ResultType) -> list[tuple[str, Type | None]]:
    if isinstance(t, OptionType):
        return [("none", None), ("some", t.inner)]
    return [("ok", t.ok), ("err", t.err)]


def _tagged(cases: list[tuple[str, Type | None]]) -> bool:
    seen: set[type] = set()
    for _, ct in cases:
        cs = _classes(ct)
        if cs & seen:
            return True
        seen |= cs
    return False


def _case_picker(cases: list[tuple[str, Type | None]], what: str) -> Callable[[Any], int]:
    """For an untagged value from wasmtime: the index of its case. Exact type first (so
    ``True`` is the ``bool`` case, not an ``int`` one), then ``isinstance`` in case order,
    as wasmtime-py lifted it."""
    sets = [_classes(ct) for _, ct in cases]

    def pick(v: Any) -> int:
        if v is None:
            for i, (_, ct) in enumerate(cases):
                if ct is None:
                    return i
        tv = type(v)
        for i, cs in enumerate(sets):
            if tv in cs and cases[i][1] is not None:
                return i
        for i, cs in enumerate(sets):
            if cases[i][1] is not None and isinstance(v, tuple(cs)):
                return i
        raise UnsupportedWitType(f"wasmtime gave {short_repr(v)} for {what}, which fits "
                                 f"none of its cases")

    return pick


def _check_bool_int(cases: list[tuple[str, Type | None]], index: int, v: Any, what: str) -> None:
    """Refuse an untagged value wasmtime-py would send as an earlier ``int`` case."""
    if type(v) is not bool:
        return
    for _, ct in cases[:index]:
        if ct is not None and int in _classes(ct):
            raise UnsupportedWitType(
                f"{what}: wasmtime-py 50 cannot send case {cases[index][0]!r} with the bool "
                f"payload {v!r}: it matches values to the cases of an untagged variant with "
                f"isinstance in case order, and bool is an int, so the guest would receive "
                f"an earlier int case (see golem_fakes.compiled.convert.WASMTIME_PY_LIMITS)")


# --- wasm → bindings (arguments of host functions, results of exports) -------------------


def to_host(t: Type, classes: Classes, own_taken: bool = True) -> Conv:
    """A converter ``f(wasmtime_value, handles) -> bindings value`` for WIT type ``t``:
    what a generated binding would pass to the behaviour. ``own`` handles are taken out
    of the instance's table (the host owns them now), ``borrow`` handles looked up."""
    t = resolve(t)
    if isinstance(t, Primitive):
        return identity
    if isinstance(t, ListType):
        el = resolve(t.element)
        if isinstance(el, Primitive) and el.name == "u8":
            return identity
        f = to_host(el, classes)
        if f is identity:
            return lambda v, h: list(v)
        return lambda v, h: [f(x, h) for x in v]
    if isinstance(t, TupleType):
        fs = [to_host(x, classes) for x in t.types]
        return lambda v, h: tuple(f(x, h) for f, x in zip(fs, v))
    if isinstance(t, HandleType):
        key = resource_key(t.resource)
        if t.kind == "borrow":
            return lambda v, h: h.peek(v, key)
        return lambda v, h: h.take(v, key)
    if isinstance(t, OptionType):
        inner = to_host(t.inner, classes)
        nested = isinstance(resolve(t.inner), OptionType)
        cases = _cases(t)
        if _tagged(cases):
            def opt_tagged(v: Any, h: Any) -> Any:
                if v.tag == "none":
                    return None
                p = inner(v.payload, h)
                return Some(p) if nested else p
            return opt_tagged
        return lambda v, h: None if v is None else inner(v, h)
    if isinstance(t, ResultType):
        ok = to_host(t.ok, classes) if t.ok is not None else None
        err = to_host(t.err, classes) if t.err is not None else None
        cases = _cases(t)
        if _tagged(cases):
            def res_tagged(v: Any, h: Any) -> Any:
                if v.tag == "ok":
                    return Ok(None if ok is None else ok(v.payload, h))
                return Err(None if err is None else err(v.payload, h))
            return res_tagged
        pick = _case_picker(cases, wit_str(t))

        def res_untagged(v: Any, h: Any) -> Any:
            if pick(v) == 0:
                return Ok(None if ok is None else ok(v, h))
            return Err(None if err is None else err(v, h))
        return res_untagged
    if isinstance(t, TypeDef):
        k = t.kind
        if isinstance(k, Record):
            cls = classes.class_of(t)
            fields = [(f.name, to_host(f.type, classes)) for f in k.fields]
            return lambda v, h: cls(*[f(getattr(v, n), h) for n, f in fields])
        if isinstance(k, Enum):
            members = list(classes.class_of(t))
            by_name = {c.name: m for c, m in zip(k.cases, members)}
            return lambda v, h: by_name[v]
        if isinstance(k, Flags):
            cls = classes.class_of(t)
            bits = {f.name: 1 << i for i, f in enumerate(k.flags)}
            return lambda v, h: cls(sum(bits[n] for n in v))
        if isinstance(k, Variant):
            cases = [(c.name, c.type) for c in k.cases]
            table = [(classes.class_of(t, c), None if c.type is None else to_host(c.type, classes))
                     for c in k.cases]
            index = {c.name: i for i, c in enumerate(k.cases)}
            if _tagged(cases):
                def var_tagged(v: Any, h: Any) -> Any:
                    cls, f = table[index[v.tag]]
                    return cls() if f is None else cls(f(v.payload, h))
                return var_tagged
            pick = _case_picker(cases, t.name)

            def var_untagged(v: Any, h: Any) -> Any:
                cls, f = table[pick(v)]
                return cls() if f is None else cls(f(v, h))
            return var_untagged
    raise UnsupportedWitType(f"the linker cannot convert values of {wit_str(t)} ({t!r}) "
                             f"from wasmtime")


def identity(v: Any, h: Any) -> Any:
    """The converter of values wasmtime and the bindings spell alike."""
    return v


# --- bindings → wasm (results of host functions, arguments of exports) -------------------


def to_wasm(t: Type, classes: Classes | None) -> Conv:
    """A converter ``f(value, handles) -> wasmtime value`` for WIT type ``t``, accepting
    and checking what a behaviour may return (the forms of
    :mod:`golem_fakes.bindings.lowering`'s lifting, with the same helpers); a value
    that does not fit raises ``runtime.Mismatch`` (the caller turns it into
    :class:`~golem_fakes.bindings.runtime.FakeBug`). A returned resource is a rep: it
    gets a new handle in the instance's table. ``classes`` may be ``None`` for types
    that need no generated class."""
    t = resolve(t)
    if isinstance(t, Primitive):
        name = t.name
        if name in INT_RANGES:
            lo, hi = INT_RANGES[name]

            def int_(v: Any, h: Any) -> Any:
                if type(v) is int and lo <= v <= hi:
                    return v
                return rt.lift_int(v, lo, hi, name)
            return int_
        if name == "bool":
            return lambda v, h: v if type(v) is bool else rt.lift_bool(v)
        if name == "f64":
            return lambda v, h: v if type(v) is float else rt.lift_f64(v)
        if name == "f32":
            return lambda v, h: rt.lift_f32(v)
        if name == "char":
            return lambda v, h: rt.lift_char(v)
        return lambda v, h: v if type(v) is str and v.isascii() else rt.lift_string(v)
    if isinstance(t, ListType):
        el = resolve(t.element)
        if isinstance(el, Primitive) and el.name == "u8":
            return lambda v, h: v if type(v) is bytes else rt.lift_bytes(v)
        f = to_wasm(el, classes)

        def list_(v: Any, h: Any) -> Any:
            out = []
            for i, x in enumerate(rt.lift_list(v)):
                try:
                    out.append(f(x, h))
                except Exception as e:
                    raise rt.at(e, i, wit_str(el), x) from None
            return out
        return list_
    if isinstance(t, TupleType):
        fs = [to_wasm(x, classes) for x in t.types]
        n = len(fs)
        ts = [wit_str(x) for x in t.types]

        def tuple_(v: Any, h: Any) -> Any:
            v = rt.lift_tuple(v, n)
            out = []
            for i, (f, x) in enumerate(zip(fs, v)):
                try:
                    out.append(f(x, h))
                except Exception as e:
                    raise rt.at(e, i, ts[i], x) from None
            return tuple(out)
        return tuple_
    if isinstance(t, HandleType):
        key = resource_key(t.resource)
        if t.kind == "borrow":  # an export's borrow parameter (no host result is one)
            return lambda v, h: h.lend(v, key)
        return lambda v, h: h.give(v, key)
    if isinstance(t, OptionType):
        inner = to_wasm(t.inner, classes)
        nested = isinstance(resolve(t.inner), OptionType)
        tagged = _tagged(_cases(t))
        iw = wit_str(t.inner)

        def opt(v: Any, h: Any) -> Any:
            if v is None:
                return WVariant("none") if tagged else None
            p = rt.some_value(v) if nested else v
            try:
                p = inner(p, h)
            except Exception as e:
                raise rt.at(e, ".value", iw, p) from None
            return WVariant("some", p) if tagged else p
        return opt
    if isinstance(t, ResultType):
        cases = _cases(t)
        sides = [None if ct is None else to_wasm(ct, classes) for _, ct in cases]
        tagged = _tagged(cases)
        what = wit_str(t)

        def res(v: Any, h: Any) -> Any:
            ok, p = rt.split_result(v)
            i = 0 if ok else 1
            f = sides[i]
            if f is None:
                if p is not None:
                    raise rt.Mismatch(f"the payload of this result side must be None, got {p!r}")
            else:
                try:
                    p = f(p, h)
                except Exception as e:
                    raise rt.at(e, ".value", wit_str(cases[i][1]), p) from None
            if tagged:
                return WVariant(cases[i][0], p)
            _check_bool_int(cases, i, p, what)
            return p
        return res
    if isinstance(t, TypeDef):
        k = t.kind
        if isinstance(k, Record):
            pys = tuple(escape(snake(f.name)) for f in k.fields)
            fs = [(f.name, py, to_wasm(f.type, classes), wit_str(f.type))
                  for f, py in zip(k.fields, pys)]

            def record(v: Any, h: Any) -> Any:
                vals = rt.fields(v, pys)
                r = WRecord()
                for (wn, py, f, tw), x in zip(fs, vals):
                    try:
                        setattr(r, wn, f(x, h))
                    except Exception as e:
                        raise rt.at(e, "." + py, tw, x) from None
                return r
            return record
        if classes is None:
            raise UnsupportedWitType(f"{t.name}: no generated classes to read it with")
        if isinstance(k, Enum):
            cls = classes.class_of(t)
            names = [c.name for c in k.cases]
            table = rt.EnumTable(cls, names)
            wit_of = {m: n for m, n in zip(list(cls), names)}
            return lambda v, h: wit_of[rt.lift_enum(v, table)]
        if isinstance(k, Flags):
            cls = classes.class_of(t)
            names = [f.name for f in k.flags]
            table = rt.EnumTable(cls, names)
            nbits = len(names)

            def flags(v: Any, h: Any) -> Any:
                bits = rt.lift_flags(v, table, nbits).value
                return {n for i, n in enumerate(names) if bits >> i & 1}
            return flags
        if isinstance(k, Variant):
            cases = [(c.name, c.type) for c in k.cases]
            vt = rt.VariantTable((c.name, classes.class_of(t, c), c.type is not None)
                                 for c in k.cases)
            fs = [None if c.type is None else to_wasm(c.type, classes) for c in k.cases]
            tagged = _tagged(cases)

            def variant(v: Any, h: Any) -> Any:
                i, p = rt.variant_case(v, vt)
                f = fs[i]
                if f is not None:
                    try:
                        p = f(p, h)
                    except Exception as e:
                        raise rt.at(e, ".value", wit_str(cases[i][1]), p) from None
                if tagged:
                    return WVariant(cases[i][0], p)
                _check_bool_int(cases, i, p, t.name)
                return p
            return variant
    raise UnsupportedWitType(f"the linker cannot convert values of {wit_str(t)} ({t!r}) "
                             f"to wasmtime")
