"""The exports of a compiled component, invoked by name like a Python worker's.

Names are Golem's (:mod:`golem_fakes.bindings.exports`): ``ns:pkg/iface@ver.{fn}``
(the version may be left out), a world-level export by its name, or a plain function
name (``add-item`` / ``add_item``) when only one export has it.

Arguments and results are converted with the WIT model of the installed bindings when
the export's interface (or world-level function) is in it — the test then passes and
gets the generated classes, exactly as for the Python source of the component, and a
``result`` export answers ``Ok``/``Err`` (``golem.invoke`` returns the ok value and
raises the ``Err``). Without a WIT model the function's wasmtime type drives the
conversion (:func:`_generic_in` / :func:`_generic_out`): records are given as objects
with the (snake-case) field attributes or dicts and come back as
``types.SimpleNamespace``; variants are ``(case, payload)`` / ``case``; enums and flags
are WIT names; exported resources need the WIT model and are refused there.
"""

from __future__ import annotations

import re
import types
from typing import Any, Callable

from wasmtime import component as wc

from golem_fakes.bindings import runtime as rt
from golem_fakes.bindings.result import Err, Ok, Some
from golem_fakes.compiled import convert
from golem_fakes.wit.model import Function, ResultType

__all__ = ["WasmExport", "WasmExports", "UnknownWasmExport"]


class UnknownWasmExport(LookupError):
    """No export of the compiled component has that name."""


class WasmExport:
    """One exported function of a compiled component (the executor's ``export``)."""

    kind = "wasm"

    def __init__(self, name: str, instance: str | None, export: str,
                 params: list[tuple[str, Any]], result: Any, wit: Function | None,
                 model: Any) -> None:
        self.name = name
        #: the exported instance (interface) name, ``None`` for a world-level export
        self.instance = instance
        self.export = export
        self.interface = instance
        self.function = export
        self.params = [n for n, _ in params]
        self.wit = wit
        #: why this export cannot be called (a type the linker cannot carry), if so
        self.unsupported: str | None = None
        try:
            self._converters(params, result, wit, model)
        except convert.UnsupportedWitType as e:
            self.unsupported = str(e)
            self.param_types = [type(vt).__name__ for _, vt in params]
            self.returns_result = False

    def _converters(self, params: list[tuple[str, Any]], result: Any, wit: Function | None,
                    model: Any) -> None:
        name = self.name
        if wit is not None:
            self.param_types = [convert.wit_str(p.type) for p in wit.params]
            self._in = [convert.to_wasm(p.type, model) for p in wit.params]
            self._out = (convert.to_host(wit.result, model)
                         if wit.result is not None else None)
            self.returns_result = isinstance(convert.resolve(wit.result), ResultType) \
                if wit.result is not None else False
        else:
            self.param_types = [type(vt).__name__ for _, vt in params]
            self._in = [_generic_in(vt, f"{name} parameter {n!r}") for n, vt in params]
            self._out = _generic_out(result) if result is not None else None
            self.returns_result = isinstance(result, wc.ResultType)

    def __repr__(self) -> str:
        return f"<WasmExport {self.name}>"

    def lower_args(self, args: tuple[Any, ...]) -> list[Any]:
        """The wasmtime values of ``args``; ``TypeError`` naming the export, the
        parameter, its WIT type and the value when one does not fit (Golem rejects such
        an invocation before it reaches the worker)."""
        if self.unsupported is not None:
            raise convert.UnsupportedWitType(f"{self.name} cannot be invoked through "
                                             f"golem_fakes.compiled: {self.unsupported}")
        if len(args) != len(self._in):
            raise TypeError(f"{self.name} takes {len(self._in)} argument(s) "
                            f"({', '.join(self.params) or 'none'}), got {len(args)}")
        out = []
        for i, (f, a) in enumerate(zip(self._in, args)):
            try:
                out.append(f(a, _NO_HANDLES))
            except Exception as e:
                inner = e.error if isinstance(e, rt.PathError) else e
                where = "".join(e.path) if isinstance(e, rt.PathError) else ""
                raise TypeError(f"{self.name}: argument {self.params[i]!r}{where} of type "
                                f"{self.param_types[i]} does not fit: given "
                                f"{convert.short_repr(a)} -> {inner}") from None
        return out

    def lift_result(self, value: Any) -> Any:
        if self._out is None:
            return None
        return self._out(value, _NO_HANDLES)


class _ExportHandles:
    """The handle table of export arguments and results: resource handles of the
    component's *exported* resources are not carried yet (the linker serves imports;
    invoking an exported resource's methods needs guest-resource handles,
    ``ResourceAny`` of the worker's store, kept per worker like the Python path's
    ``InstanceResources``)."""

    store = None

    def _refuse(self, *args: Any) -> Any:
        raise convert.UnsupportedWitType(
            "a resource handle in an export's arguments or result: golem_fakes.compiled "
            "invokes exported functions whose parameters and results hold no handles")

    take = peek = give = _refuse


_NO_HANDLES = _ExportHandles()


def _norm(name: str) -> str:
    return name.replace("_", "-")


_QUALIFIED = re.compile(r"^(?P<iface>[^{}]+)\.\{(?P<fn>[^{}]+)\}$")


class WasmExports:
    """Every exported function of a compiled component, by name."""

    def __init__(self, engine: Any, component: wc.Component, model: Any) -> None:
        self._all: dict[str, WasmExport] = {}
        for name, ext in component.type.exports(engine).items():
            ty = ext.ty
            if isinstance(ty, wc.FuncType):
                wit = model.world.functions.get(name) if model is not None else None
                wit = wit if wit is not None and _fits(wit, ty) else None
                self._all[name] = WasmExport(name, None, name, ty.params, ty.result, wit, model)
            elif isinstance(ty, wc.ComponentInstanceType):
                iface = model.interface(name) if model is not None else None
                for fname, item in ty.exports(engine).items():
                    fty = item.ty
                    if not isinstance(fty, wc.FuncType):
                        continue
                    wit = iface.functions.get(fname) if iface is not None else None
                    wit = wit if wit is not None and _fits(wit, fty) else None
                    full = f"{name}.{{{fname}}}"
                    self._all[full] = WasmExport(full, name, fname, fty.params, fty.result,
                                                 wit, model)

    def names(self) -> list[str]:
        return list(self._all)

    def lookup(self, name: str) -> WasmExport:
        hit = self._all.get(name)
        if hit is not None:
            return hit
        m = _QUALIFIED.match(name)
        if m is not None:  # the version may be left out
            iface, fn = m.group("iface"), _norm(m.group("fn"))
            found = [e for e in self._all.values() if e.instance is not None and
                     e.export == fn and (e.instance == iface or
                                         e.instance.split("@", 1)[0] == iface)]
        else:
            found = [e for e in self._all.values() if e.export == _norm(name)]
        if len(found) == 1:
            return found[0]
        if found:
            raise UnknownWasmExport(f"export name {name!r} is ambiguous: it matches "
                                    f"{', '.join(e.name for e in found)}; give the full name")
        raise UnknownWasmExport(f"the compiled component has no export {name!r}; it exports "
                                f"{', '.join(self._all) or '(nothing)'}")


def _fits(fn: Function, fty: wc.FuncType) -> bool:
    """Whether the WIT function has the export's parameters (a world that merely shares
    an interface name with the component is not used)."""
    return [p.name for p in fn.params] == [n for n, _ in fty.params]


# --- conversion without a WIT model -----------------------------------------------------


def _vt_classes(vt: Any) -> tuple[type, ...]:
    s: set[type] = set()
    vt.add_classes(s)
    return tuple(s)


def _generic_in(vt: Any, what: str) -> Callable[[Any, Any], Any]:
    """Python value → wasmtime value for the wasmtime type ``vt``."""
    if isinstance(vt, wc.Bool):
        return lambda v, h: v if type(v) is bool else _bad(v, "bool")
    if isinstance(vt, (wc.S8, wc.S16, wc.S32, wc.S64, wc.U8, wc.U16, wc.U32, wc.U64)):
        lo, hi = convert.INT_RANGES[type(vt).__name__.lower()]
        return lambda v, h: v if type(v) is int and lo <= v <= hi else _bad(v, f"an int in [{lo}, {hi}]")
    if isinstance(vt, (wc.F32, wc.F64)):
        return lambda v, h: float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) \
            else _bad(v, "a float")
    if isinstance(vt, wc.Char):
        return lambda v, h: v if isinstance(v, str) and len(v) == 1 else _bad(v, "a char")
    if isinstance(vt, wc.String):
        return lambda v, h: v if isinstance(v, str) else _bad(v, "a str")
    if isinstance(vt, wc.ListType):
        el = vt.element
        if isinstance(el, wc.U8):
            return lambda v, h: bytes(v) if isinstance(v, (bytes, bytearray)) else _bad(v, "bytes")
        f = _generic_in(el, what)
        return lambda v, h: [f(x, h) for x in v] if isinstance(v, (list, tuple)) else _bad(v, "a list")
    if isinstance(vt, wc.TupleType):
        fs = [_generic_in(x, what) for x in vt.elements]
        return lambda v, h: tuple(f(x, h) for f, x in zip(fs, v)) \
            if isinstance(v, tuple) and len(v) == len(fs) else _bad(v, f"a tuple of {len(fs)}")
    if isinstance(vt, wc.RecordType):
        fs = [(n, n.replace("-", "_"), _generic_in(t, what)) for n, t in vt.fields]

        def record(v: Any, h: Any) -> Any:
            r = wc.Record()
            for n, py, f in fs:
                if isinstance(v, dict):
                    x = v[py] if py in v else v[n]
                else:
                    x = getattr(v, py)
                setattr(r, n, f(x, h))
            return r
        return record
    if isinstance(vt, wc.EnumType):
        names = vt.names
        return lambda v, h: _enum_name(v, names)
    if isinstance(vt, wc.FlagsType):
        names = vt.names
        return lambda v, h: {_enum_name(x, names) for x in v}
    if isinstance(vt, wc.OptionType):
        f = _generic_in(vt.payload, what)
        tagged = vt._tagged()
        nested = isinstance(vt.payload, wc.OptionType)

        def option(v: Any, h: Any) -> Any:
            if v is None:
                return wc.Variant("none") if tagged else None
            if nested:  # the inner some of a nested option is Some(v), as in the bindings
                v = rt.some_value(v)
            p = f(v, h)
            return wc.Variant("some", p) if tagged else p
        return option
    if isinstance(vt, wc.ResultType):
        ok = _generic_in(vt.ok, what) if vt.ok is not None else None
        err = _generic_in(vt.err, what) if vt.err is not None else None
        tagged = vt._tagged()

        def result(v: Any, h: Any) -> Any:
            if type(v) is Ok:
                tag, f = "ok", ok
            elif type(v) is Err:
                tag, f = "err", err
            else:
                return _bad(v, "Ok(...) or Err(...)")
            p = None if f is None else f(v.value, h)
            return wc.Variant(tag, p) if tagged else p
        return result
    if isinstance(vt, wc.VariantType):
        cases = {n: (None if t is None else _generic_in(t, what)) for n, t in vt.cases}
        tagged = vt._tagged()

        def variant(v: Any, h: Any) -> Any:
            tag, p = (v, None) if isinstance(v, str) else v
            f = cases[_norm(tag)]
            p = None if f is None else f(p, h)
            return wc.Variant(_norm(tag), p) if tagged else p
        return variant
    raise convert.UnsupportedWitType(
        f"{what}: values of wasmtime type {type(vt).__name__} can only be passed with the "
        f"component's WIT installed (golem_fakes.install(wit=..., world=...))")


def _bad(v: Any, expected: str) -> Any:
    raise rt.Mismatch(f"expected {expected}, got {convert.short_repr(v)} ({type(v).__name__})")


def _enum_name(v: Any, names: list[str]) -> str:
    name = getattr(v, "name", v)
    if isinstance(name, str):
        n = _norm(name).lower()
        for w in names:
            if w.lower() == n:
                return w
    raise rt.Mismatch(f"expected one of {', '.join(names)}, got {convert.short_repr(v)}")


def _generic_out(vt: Any) -> Callable[[Any, Any], Any]:
    """wasmtime value → Python value for the wasmtime type ``vt``."""
    if isinstance(vt, wc.ListType) and not isinstance(vt.element, wc.U8):
        f = _generic_out(vt.element)
        return lambda v, h: [f(x, h) for x in v]
    if isinstance(vt, wc.TupleType):
        fs = [_generic_out(x) for x in vt.elements]
        return lambda v, h: tuple(f(x, h) for f, x in zip(fs, v))
    if isinstance(vt, wc.RecordType):
        fs = [(n, n.replace("-", "_"), _generic_out(t)) for n, t in vt.fields]
        return lambda v, h: types.SimpleNamespace(**{py: f(getattr(v, n), h) for n, py, f in fs})
    if isinstance(vt, (wc.OptionType, wc.ResultType, wc.VariantType)):
        cases = vt._cases()
        outs = {n: (None if t is None else _generic_out(t)) for n, t in cases}
        tagged = vt._tagged()
        sets = [(n, t, _vt_classes(t) if t is not None else (object,)) for n, t in cases]

        def pick(v: Any) -> str:
            if v is None:
                for n, t, _ in sets:
                    if t is None:
                        return n
            for n, t, cs in sets:
                if t is not None and type(v) in cs:
                    return n
            for n, t, cs in sets:
                if t is not None and isinstance(v, cs):
                    return n
            raise convert.UnsupportedWitType(f"wasmtime gave {convert.short_repr(v)}, which fits "
                                             f"no case of {[n for n, _, _ in sets]}")

        def variant(v: Any, h: Any) -> Any:
            tag, p = (v.tag, v.payload) if tagged else (pick(v), v)
            f = outs[tag]
            p = None if f is None else f(p, h)
            if isinstance(vt, wc.OptionType):
                if tag == "none":
                    return None
                return Some(p) if isinstance(vt.payload, wc.OptionType) else p
            if isinstance(vt, wc.ResultType):
                return Ok(p) if tag == "ok" else Err(p)
            return tag if f is None else (tag, p)
        return variant
    if isinstance(vt, (wc.OwnType, wc.BorrowType)):
        raise convert.UnsupportedWitType(
            "an export returning a resource handle needs the component's WIT installed")
    return lambda v, h: v
