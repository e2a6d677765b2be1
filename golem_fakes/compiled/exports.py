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

Exported resources (with the WIT model): ``{res.new}`` returns an
:class:`~golem_fakes.bindings.exports.ExportedResource` handle, the same kind the
Python path gives, which the test passes to ``{res.method}``, ``{[static]res.fn}``,
``own``/``borrow`` parameters, and ``{res.drop}`` (wasmtime then runs the guest's
destructor: for componentize-py an empty one, for componentize-js its finaliser).
The handles live per worker instance (:class:`ExportedHandles`).
"""

from __future__ import annotations

import re
import types
from typing import Any, Callable

from wasmtime import component as wc

from golem_fakes.bindings import runtime as rt
from golem_fakes.bindings.exports import (
    ExportedResource,
    ExportTable,
    InvalidArgument,
    UnknownExport,
    handle_object,
)
from golem_fakes.bindings.result import Err, Ok, Some
from golem_fakes.compiled import convert
from golem_fakes.wit.model import Function, HandleType, Param, ResultType

__all__ = ["WasmExport", "WasmExports", "UnknownWasmExport", "ExportedHandles"]


class UnknownWasmExport(UnknownExport):
    """No export of the compiled component has that name (or more than one does)."""


#: Golem's names of an exported resource's functions, by WIT kind (as for Python code,
#: :func:`golem_fakes.bindings.exports`): ``(canonical name, aliases)`` from the
#: interface name ``site``, the resource and the item name.
def _golem_names(site: str, kind: str, res: str | None, item: str,
                 abi: str) -> tuple[str, tuple[str, ...]]:
    if kind == "constructor":
        return f"{site}.{{{res}.new}}", (f"{site}.{{[constructor]{res}}}",)
    if kind == "method":
        return f"{site}.{{{res}.{item}}}", (f"{site}.{{[method]{res}.{item}}}",)
    if kind == "static":
        return f"{site}.{{[static]{res}.{item}}}", (f"{site}.{{{res}.{item}}}",)
    if kind == "drop":
        return f"{site}.{{{res}.drop}}", (f"{site}.{{[drop]{res}}}",)
    return f"{site}.{{{abi}}}", ()


def _kind_of(abi: str) -> tuple[str, str | None, str]:
    """``(kind, resource, item)`` of a canonical-ABI export name."""
    for prefix, kind in (("[constructor]", "constructor"), ("[method]", "method"),
                         ("[static]", "static"), ("[drop]", "drop")):
        if abi.startswith(prefix):
            rest = abi[len(prefix):]
            res, _, item = rest.partition(".")
            return kind, res, item or res
    return "freestanding", None, abi


class WasmExport:
    """One exported function of a compiled component (the executor's ``export``), or the
    drop of one of its exported resources (``{res.drop}``, :attr:`wit_kind` ``"drop"``:
    wasmtime runs the guest's destructor)."""

    kind = "wasm"

    def __init__(self, name: str, instance: str | None, export: str,
                 params: list[tuple[str, Any]], result: Any, wit: Function | None,
                 model: Any, *, aliases: tuple[str, ...] = (),
                 resource_key: str | None = None) -> None:
        self.name = name
        self.aliases = aliases
        #: the exported instance (interface) name, ``None`` for a world-level export
        self.instance = instance
        self.export = export
        self.interface = instance
        #: the canonical-ABI name (``[method]counter.add``; ``[drop]counter``)
        self.function = export
        self.wit_kind, self.resource, item = _kind_of(export)
        #: the Python method name (``add_item``), for plain-name lookups
        self.method_name = item.replace("-", "_")
        #: ``interface#resource`` of the resource this function belongs to
        self.resource_key = resource_key
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
            from golem_fakes.compiled.linker import _params

            names, types_ = _params(wit)
            if self.wit_kind == "constructor" and wit.result is None:
                assert wit.resource is not None
                result_t: Any = HandleType(wit.resource, "own")
            else:
                result_t = wit.result
            self.param_types = [convert.wit_str(t) for t in types_]
            self._in = [convert.to_wasm(t, model) for t in types_]
            self._out = convert.to_host(result_t, model) if result_t is not None else None
            self.returns_result = isinstance(convert.resolve(result_t), ResultType) \
                if result_t is not None else False
        else:
            self.param_types = [type(vt).__name__ for _, vt in params]
            self._in = [_generic_in(vt, f"{name} parameter {n!r}") for n, vt in params]
            self._out = _generic_out(result) if result is not None else None
            self.returns_result = isinstance(result, wc.ResultType)

    def __repr__(self) -> str:
        return f"<WasmExport {self.name}>"

    def lower_args(self, args: tuple[Any, ...], handles: Any = None) -> list[Any]:
        """The wasmtime values of ``args``; ``TypeError`` naming the export, the
        parameter, its WIT type and the value when one does not fit (Golem rejects such
        an invocation before it reaches the worker). ``handles``: the worker's
        :class:`ExportedHandles` (``None``: no handle is known)."""
        if self.unsupported is not None:
            raise convert.UnsupportedWitType(f"{self.name} cannot be invoked through "
                                             f"golem_fakes.compiled: {self.unsupported}")
        if len(args) != len(self._in):
            raise TypeError(f"{self.name} takes {len(self._in)} argument(s) "
                            f"({', '.join(self.params) or 'none'}), got {len(args)}")
        h = handles if handles is not None else _NO_HANDLES
        out = []
        for i, (f, a) in enumerate(zip(self._in, args)):
            try:
                out.append(f(a, h))
            except Exception as e:
                inner = e.error if isinstance(e, rt.PathError) else e
                where = "".join(e.path) if isinstance(e, rt.PathError) else ""
                raise TypeError(f"{self.name}: argument {self.params[i]!r}{where} of type "
                                f"{self.param_types[i]} does not fit: given "
                                f"{convert.short_repr(a)} -> {inner}") from None
        return out

    def lift_result(self, value: Any, handles: Any = None) -> Any:
        if self._out is None:
            return None
        return self._out(value, handles if handles is not None else _NO_HANDLES)

    def invoke(self, wasm: Any, args: tuple[Any, ...]) -> Any:
        """Run the export in the worker's wasm instance ``wasm``
        (:class:`~golem_fakes.compiled.linker.WasmInstance`): the result as the invoker
        sees it (generated classes, :class:`ExportedResource` handles, ``Ok``/``Err``
        for a ``result``)."""
        handles = wasm.exported_handles(self)
        lowered = self.lower_args(args, handles)
        if self.wit_kind == "drop":
            wasm.drop_guest_resource(self, lowered[0])
            return None
        return self.lift_result(wasm.call(self, lowered), handles)


class ExportedHandles:
    """The invoker's handles of a worker's *exported* resources: what the test holds
    (:class:`~golem_fakes.bindings.exports.ExportedResource`, the same handles the
    Python path gives, numbered from 1 per worker instance) → wasmtime's ``ResourceAny``
    of the guest's resource in the worker's store (Golem's executor keeps the same kind
    of table: ``Value::Handle`` ids → the instance's resources).

    ``take`` lifts a returned ``own`` handle (a new :class:`ExportedResource`); as an
    argument, ``give`` moves an owned one into the call (it is gone from the table) and
    ``lend`` passes a borrowed one (it stays). An unknown handle — never issued, dropped,
    given away, of another resource, another worker's — is Golem's ``InvalidArgument``
    (as :class:`~golem_fakes.bindings.exports.InstanceResources` says for Python code).
    A new instance (recovery replays the invocations in order) numbers its handles the
    same way, so the handles the test holds stay valid across a crash."""

    def __init__(self, wasm: Any, exported: frozenset[str]) -> None:
        self._wasm = wasm
        self._exported = exported
        self._objects: dict[ExportedResource, Any] = {}
        self._next = 1

    @property
    def store(self) -> Any:
        return self._wasm.store

    def take(self, value: Any, key: str) -> ExportedResource:
        if key not in self._exported:
            raise convert.UnsupportedWitType(
                f"the export returned a handle of the imported resource {key}: golem_fakes."
                f"compiled gives the invoker handles of the component's exported resources "
                f"only ({', '.join(sorted(self._exported)) or 'none'})")
        handle = ExportedResource(key, self._next)
        self._next += 1
        self._objects[handle] = value
        return handle

    peek = take  # a borrow is never returned (WIT forbids it); kept for the protocol

    def _get(self, handle: Any, key: str) -> Any:
        return handle_object(self._objects, key, handle)

    def give(self, handle: Any, key: str) -> Any:
        obj = self._get(handle, key)
        del self._objects[handle]
        return obj

    def lend(self, handle: Any, key: str) -> Any:
        return self._get(handle, key)

    def check(self) -> "_CheckingHandles":
        """A view that checks handles without moving any (Golem's check of the
        arguments before the invocation reaches the worker)."""
        return _CheckingHandles(self)

    def live(self) -> dict[ExportedResource, Any]:
        """Every handle the invoker holds → wasmtime's ``ResourceAny``."""
        return dict(self._objects)

    def __len__(self) -> int:
        return len(self._objects)


class _CheckingHandles:
    """:meth:`ExportedHandles.check`'s view: a handle is looked up, never moved."""

    __slots__ = ("table",)

    def __init__(self, table: ExportedHandles) -> None:
        self.table = table

    def give(self, handle: Any, key: str) -> Any:
        self.table._get(handle, key)
        return None

    lend = give


class _ExportHandles:
    """The handle table of a worker without an instance yet: no handle is known."""

    store = None

    def _unknown(self, handle: Any, key: str) -> Any:
        raise InvalidArgument(f"unknown resource handle {convert.short_repr(handle)} for {key} "
                              f"(the worker has no live instance, so no handles)")

    give = lend = _unknown

    def take(self, value: Any, key: str) -> Any:
        raise convert.UnsupportedWitType(
            "a resource handle in an export's result needs the worker's instance")

    peek = take


_NO_HANDLES = _ExportHandles()


def _norm(name: str) -> str:
    return name.replace("_", "-")


class _Table(ExportTable):
    """Golem's name forms over the wasm exports (:class:`ExportTable`'s lookup; a
    :class:`WasmExport`'s ``kind`` is ``"wasm"`` for the executor, its WIT kind is
    ``wit_kind``)."""

    @staticmethod
    def _kind(f: Any) -> str:
        return f.wit_kind  # type: ignore[no-any-return]


class WasmExports:
    """Every exported function of a compiled component, by name (Golem's forms:
    ``ns:pkg/iface@ver.{fn}`` with the version optional or semver-compatible,
    ``{res.new}``, ``{res.method}``, ``{[static]res.fn}``, ``{res.drop}``, a world-level
    name, a plain unambiguous name)."""

    def __init__(self, engine: Any, component: wc.Component, model: Any) -> None:
        self._all: dict[str, WasmExport] = {}
        #: ``interface#resource`` of every resource the component exports
        self.resources: set[str] = set()
        interfaces: list[tuple[str, str | None]] = []
        for name, ext in component.type.exports(engine).items():
            ty = ext.ty
            if isinstance(ty, wc.FuncType):
                wit = model.world.functions.get(name) if model is not None else None
                wit = wit if wit is not None and _fits(wit, ty) else None
                self._all[name] = WasmExport(name, None, name, ty.params, ty.result, wit, model)
            elif isinstance(ty, wc.ComponentInstanceType):
                iface = model.interface(name) if model is not None else None
                base, _, version = name.partition("@")
                interfaces.append((name, version or None))
                items = ty.exports(engine)
                keys: dict[str, str] = {}
                for rname, item in items.items():
                    if isinstance(item.ty, wc.ResourceType):
                        td = iface.types.get(rname) if iface is not None else None
                        key = convert.resource_key(td.dealias()) if td is not None else f"{name}#{rname}"
                        keys[rname] = key
                        self.resources.add(key)
                for fname, item in items.items():
                    fty = item.ty
                    if not isinstance(fty, wc.FuncType):
                        continue
                    wit = iface.functions.get(fname) if iface is not None else None
                    wit = wit if wit is not None and _fits(wit, fty) else None
                    kind, res, it = _kind_of(fname)
                    full, aliases = _golem_names(name, kind, res, it, fname)
                    self._all[full] = WasmExport(full, name, fname, fty.params, fty.result,
                                                 wit, model, aliases=aliases,
                                                 resource_key=keys.get(res or ""))
                for rname, key in keys.items():
                    full, aliases = _golem_names(name, "drop", rname, rname, f"[drop]{rname}")
                    td = iface.types.get(rname) if iface is not None else None
                    self._all[full] = WasmExport(
                        full, name, f"[drop]{rname}", [("self", None)], None,
                        _drop_function(td), model, aliases=aliases, resource_key=key)
        self._table = _Table(self._all.values(), (), interfaces)

    def names(self) -> list[str]:
        return list(self._all)

    def owns(self, export: Any) -> bool:
        """Whether ``export`` is one of these (not another component's or version's)."""
        return self._all.get(getattr(export, "name", None)) is export  # type: ignore[arg-type]

    def lookup(self, name: str) -> WasmExport:
        try:
            return self._table.lookup(name)  # type: ignore[return-value]
        except UnknownExport as e:
            raise UnknownWasmExport(str(e).replace("The component exports", "The compiled "
                                                   "component exports"), e.candidates) from None


def _drop_function(td: Any) -> Function | None:
    """A WIT-model stand-in for ``[drop]res``: one ``own<res>`` parameter, no result."""
    if td is None:
        return None
    return Function(name=f"[drop]{td.name}", item_name=td.name, kind="freestanding",
                    params=[Param("self", HandleType(td.dealias(), "own"))], result=None)


def _fits(fn: Function, fty: wc.FuncType) -> bool:
    """Whether the WIT function has the export's parameters (a world that merely shares
    an interface name with the component is not used)."""
    from golem_fakes.compiled.linker import _params

    return [n for n, _ in _params(fn)[0]] == [n for n, _ in fty.params]


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
