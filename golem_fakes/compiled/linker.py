"""The data-driven linker: every import of a compiled component served by the fakes.

For each import of the component (``Component.type.imports``), the linker finds the
interface in the WIT model of the installed bindings (:class:`Model`) and defines, on a
``wasmtime.component.Linker``:

* every resource of the interface as a **host resource** (``ResourceType.host(id)``,
  one id per ``interface#resource``, shared by interfaces that ``use`` it), whose
  destructor is the ``[resource-drop]`` behaviour;
* every function as one host function made by :func:`_host_function` from the WIT
  function alone: arguments converted with :func:`golem_fakes.compiled.convert.to_host`,
  then **the seam every generated binding calls through**
  (``env = current_environment.get(); b = env.bindings[site]; b.count += 1;
  b.impl(b.env, *args)``, :mod:`golem_fakes.bindings.lowering`), so the environment's
  overrides, the oplog recording and replay, crash plans, divergence checks and call
  counts apply as for a Python worker; the result checked and converted with
  :func:`~golem_fakes.compiled.convert.to_wasm`.

There is no per-function glue. An import whose interface is not in the model links as
a trap naming it (wasmtime-py's ``define_unknown_imports_as_traps`` gives only
``wasm trap: ...unknown import``), and a function of a known interface without a
behaviour raises the seam's own :class:`~golem_fakes.bindings.runtime.NotFaked` when
called (``env.implement`` may still provide it in the test).

Interfaces are looked up in the installed world, then in golem-fakes' vendored world
(:class:`Model`: a component imports what its toolchain's runtime needs, whatever its
world says), by name or by a semver-compatible version (:meth:`Model.interface`, as
wasmtime's linker matches: ``wasi:cli/stdin@0.2.0`` links to ``@0.2.3``, under the
model's name). The
guest's handles live in wasmtime's table of the worker's store; the host side of each
is a row of :class:`WasmInstance` (handle rep → the behaviour's rep), not the
environment's ``handles`` table the Python bindings use.

A behaviour's ``Trap`` / crash (any ``BaseException``) cannot pass through
wasmtime-py's callback, which catches only ``Exception``: the host function wraps it in
:class:`HostCallFailed`, wasmtime turns that into a wasm trap that unwinds the guest,
and :meth:`WasmInstance.call` raises the original exception again in the invocation
(the guest cannot catch a trap; neither could the real component).
"""

from __future__ import annotations

import itertools
import threading
from contextvars import ContextVar
from typing import Any, Callable

import wasmtime
from wasmtime import component as wc

from golem_fakes.bindings import runtime as rt
from golem_fakes.bindings.lowering import wit_type_str
from golem_fakes.bindings.result import Err
from golem_fakes.compiled import convert, signals
from golem_fakes.wit.model import Function, HandleType, Interface, ResultType, TypeDef

__all__ = ["Model", "HostCallFailed", "LinkReport", "build_linker", "WasmInstance",
           "current_instance", "resource_type_id"]


class HostCallFailed(Exception):
    """Carries what a host function raised (``error``) through wasmtime-py's callback."""

    def __init__(self, error: BaseException) -> None:
        super().__init__(f"{type(error).__name__}: {error}")
        self.error = error


#: The wasm instance whose code runs in this context (set by :class:`WasmInstance` around
#: instantiation and every export call); host functions find their resource table here.
current_instance: ContextVar["WasmInstance | None"] = ContextVar(
    "golem_fakes_current_wasm_instance", default=None)

_TYPE_IDS: dict[str, int] = {}
_TYPE_KEYS: dict[int, str] = {}
_TYPE_LOCK = threading.Lock()


def resource_type_id(key: str) -> int:
    """The host ``ResourceType`` id of resource ``interface#name`` (one per process)."""
    tid = _TYPE_IDS.get(key)
    if tid is None:
        with _TYPE_LOCK:
            tid = _TYPE_IDS.get(key)
            if tid is None:
                tid = len(_TYPE_IDS) + 1
                _TYPE_IDS[key] = tid
                _TYPE_KEYS[tid] = key
    return tid


class Model:
    """The WIT model and generated classes the linker converts values with.

    First the world of the installed bindings (:func:`golem_fakes.strategies.current`,
    the same classes a Python worker's bindings give behaviours); then, for an import
    that world lacks, golem-fakes' vendored world (``fallback``:
    :func:`golem_fakes.strategies.vendored`, private classes of their own, made on the
    first such import). A component imports more than its world says: componentize-py's
    runtime imports ``wasi:cli/*``, ``wasi:filesystem/*``, ``wasi:random/*`` and
    ``wasi:sockets/*`` into every component it builds, and Golem's executor links every
    interface it implements whatever the component's world, so the fakes link every
    interface they implement too. ``fallback=False`` links only the installed world
    (the rest trap as not linked)."""

    def __init__(self, strategies: Any, fallback: Any = True) -> None:
        self.strategies = strategies
        self.world = strategies.world
        self._fallback_spec = fallback
        self._layers: list[tuple[Any, dict[str, Interface]]] = [
            (strategies, self._interfaces_of(strategies.world))]
        #: id of every interface, type owner included, → the strategies owning its classes
        self._owner: dict[int, Any] = {id(i): strategies for i in self._layers[0][1].values()}
        self._owner[id(self.world)] = strategies
        self._fallback_loaded = fallback is False

    @staticmethod
    def _interfaces_of(world: Any) -> dict[str, Interface]:
        out: dict[str, Interface] = {}
        for it in (*world.imports, *world.exports):
            if isinstance(it.item, Interface):
                out.setdefault(it.item.qualified_name, it.item)
        return out

    @classmethod
    def installed(cls, fallback: bool = True) -> "Model":
        from golem_fakes.strategies import UnsupportedType, current

        try:
            return cls(current(), fallback=fallback)
        except UnsupportedType as e:
            raise LookupError(
                f"a compiled component is linked against the WIT of the installed "
                f"golem-fakes bindings, and none are installed ({e}). Use the golem pytest "
                f"plugin (it installs golem-fakes' vendored WIT, or golem_wit) or call "
                f"golem_fakes.install() first.") from None

    def _load_fallback(self) -> bool:
        """Add the vendored layer (once); whether one is there."""
        if not self._fallback_loaded:
            self._fallback_loaded = True
            spec = self._fallback_spec
            if spec is True:
                from golem_fakes.strategies import vendored

                spec = vendored()
            if spec is not None and spec is not self.strategies:
                ifaces = self._interfaces_of(spec.world)
                self._layers.append((spec, ifaces))
                for i in ifaces.values():
                    self._owner.setdefault(id(i), spec)
        return len(self._layers) > 1

    def interface(self, name: str) -> Interface | None:
        """The interface ``name`` (``ns:pkg/iface@ver``) of the installed world, else of
        the vendored one: the same name, or a semver-compatible version, older or newer
        (``wasi:cli/stdin@0.2.0`` and ``@0.2.12`` → ``@0.2.3``). This is wasmtime's
        ``NameMap`` (``crates/environ/src/component/names.rs``, wasmtime 33.0.0, the
        linker Golem uses): an exact definition first, else the newest definition on
        the import's semver track (``@0.2`` for ``0.2.x``, ``@1`` for ``1.x.y``), with no
        check that it is as new as the import. componentize-py's runtime imports some
        ``@0.2.0`` interfaces next to a world's ``@0.2.3``; jco 1.33 and later import
        ``@0.2.12``. A function of a newer import that the model lacks traps as not
        linked, as every import the fakes do not implement."""
        hit = _lookup(self._layers[0][1], name)
        if hit is None and self._load_fallback():
            hit = _lookup(self._layers[1][1], name)
        return hit

    def in_installed_world(self, iface: Interface) -> bool:
        """Whether ``iface`` comes from the installed world (not the vendored layer)."""
        return self._owner.get(id(iface)) is self.strategies

    def class_of(self, td: TypeDef, case: Any = None) -> type:
        d = td.dealias()
        owner = self._owner.get(id(getattr(d, "owner", None)), self.strategies)
        return owner.class_of(td, case)  # type: ignore[no-any-return]

    def describe(self) -> str:
        more = " and golem-fakes' vendored WIT" if self._fallback_spec is not False else ""
        return f"the installed world {self.world.qualified_name}{more}"


def _lookup(by_name: dict[str, Interface], name: str) -> Interface | None:
    """``name`` in ``by_name``, or the newest semver-compatible version there."""
    hit = by_name.get(name)
    if hit is not None:
        return hit
    base, _, version = name.partition("@")
    want = _semver_key(version)
    if want is None:
        return None
    best: tuple[tuple[int, int, int], Interface] | None = None
    for qn, iface in by_name.items():
        b, _, v = qn.partition("@")
        have = _semver_key(v) if b == base else None
        if have is None or _compat(have) != _compat(want):
            continue
        if best is None or have > best[0]:
            best = (have, iface)
    return best[1] if best is not None else None


def _semver_key(version: str) -> tuple[int, int, int] | None:
    """``(major, minor, patch)``; ``None`` for a missing or pre-release version (those
    match exactly only)."""
    parts = version.split(".")
    if len(parts) != 3 or not all(p.isdigit() for p in parts):
        return None
    return (int(parts[0]), int(parts[1]), int(parts[2]))


def _compat(v: tuple[int, int, int]) -> tuple[int, ...]:
    """What must be equal for semver compatibility: the major, or ``0.minor``."""
    return (v[0],) if v[0] else (0, v[1])


class LinkReport:
    """What the linker did for each import: ``linked`` (``interface#function``),
    ``trapping`` (``interface#function`` → why), ``resources`` (``interface#resource``)."""

    def __init__(self) -> None:
        self.linked: list[str] = []
        self.trapping: dict[str, str] = {}
        self.resources: list[str] = []


# --- sites (one per WIT function, shared by every compiled component) ------------------

_SITES: dict[tuple[str, str], rt.Site] = {}


def _site(interface: str, fn: Function) -> rt.Site:
    key = (interface, fn.name)
    site = _SITES.get(key)
    if site is None:
        names, types = _params(fn)
        site = rt.Site(interface, fn.name, f"compiled component import {interface}#{fn.name}",
                       tuple(n for n, _ in names), tuple(wit_type_str(t) for t in types),
                       wit_type_str(fn.result) if fn.result is not None else None)
        site = _SITES.setdefault(key, site)
    return site


def _params(fn: Function) -> tuple[list[tuple[str, Any]], list[Any]]:
    """``(name, type)`` of what the canonical ABI passes (a method's ``self`` first)."""
    ps = [(p.name, p.type) for p in fn.params]
    if fn.kind == "method" and not (ps and ps[0][0] == "self"):
        assert fn.resource is not None
        ps.insert(0, ("self", HandleType(fn.resource, "borrow")))
    return ps, [t for _, t in ps]


# --- host functions -------------------------------------------------------------------


def _no_instance(where: str) -> BaseException:
    return rt.Trap(f"{where} was called by a wasm instance golem-fakes is not running (no "
                   f"current golem_fakes.compiled WasmInstance in this context)")


def _host_function(interface: str, fn: Function, model: Model) -> Callable[..., Any]:
    """The host function of ``interface#fn``: converts, calls the seam, converts back."""
    site = _site(interface, fn)
    names, types = _params(fn)
    convs = [convert.to_host(t, model) for t in types]
    result = fn.result
    if fn.kind == "constructor" and result is None:
        assert fn.resource is not None
        result = HandleType(fn.resource, "own")
    rres = convert.resolve(result) if result is not None else None
    outer_result = isinstance(rres, ResultType)
    rconv = convert.to_wasm(result, model) if result is not None else None
    errs = (Err,)
    ident = convert.identity
    all_ident = all(c is ident for c in convs)

    def host(store: Any, *args: Any) -> Any:
        inst = current_instance.get()
        try:
            if inst is None:
                raise _no_instance(site.describe())
            inst.ctx = store
            lowered = args if all_ident else [c(a, inst) for c, a in zip(convs, args)]
            env = rt.current_environment.get()
            b = env.bindings[site]
            b.count += 1
            if outer_result:
                try:
                    r = b.impl(b.env, *lowered)
                except errs as x:
                    r = x
            else:
                r = b.impl(b.env, *lowered)
            if rconv is None:
                if r is not None:
                    raise rt.return_bug(site, b.impl, r, rt.no_result(r))
                return None
            try:
                return rconv(r, inst)
            except convert.UnsupportedWitType:
                raise
            except Exception as x:
                raise rt.return_bug(site, b.impl, r, x) from None
        except BaseException as e:
            raise HostCallFailed(e) from None

    host.__qualname__ = f"host<{interface}#{fn.name}>"
    return host


def _trapping_function(interface: str, name: str, why: str) -> Callable[..., Any]:
    message = (f"{interface}#{name} is imported by the compiled component but golem-fakes "
               f"does not link it: {why}")

    def trap(store: Any, *args: Any) -> Any:
        inst = current_instance.get()
        e = rt.NotFaked(message, interface=interface, function=name)
        if inst is not None:
            inst.unlinked_calls.append(f"{interface}#{name}")
        raise HostCallFailed(e)

    trap.__qualname__ = f"trap<{interface}#{name}>"
    return trap


def _dtor(key: str) -> Callable[[Any, int], None]:
    interface, _, name = key.rpartition("#")
    rsite = rt.resource_site(interface, name, f"compiled component import {key}")

    def dtor(store: Any, rep: int) -> None:
        inst = current_instance.get()
        if inst is None or inst.dropped:
            # not during a call of the guest (the store is being freed): the instance's
            # drop already dropped what it held (WasmInstance.drop); raising here would
            # leave the exception in wasmtime-py's global LAST_EXCEPTION for an
            # unrelated later call
            return
        try:
            value = inst.forget(rep)
            if value is _GONE:
                return
            env = rt.current_environment.get()
            b = env.bindings[rsite]
            b.count += 1
            if b.impl is not rt.no_drop:
                b.impl(b.env, value)
        except BaseException as e:
            raise HostCallFailed(e) from None

    return dtor


_GONE: Any = object()


def build_linker(engine: wasmtime.Engine, component: wc.Component,
                 model: Model) -> tuple[wc.Linker, LinkReport]:
    """A linker that serves every import of ``component`` (see the module docstring)."""
    linker = wc.Linker(engine)
    report = LinkReport()
    imports = component.type.imports(engine)
    seen: list[tuple[wc.ResourceType, str]] = []  # the component's resource types so far
    with linker.root() as root:
        for name, ext in imports.items():
            ty = ext.ty
            if isinstance(ty, wc.ComponentInstanceType):
                iface = model.interface(name)
                with root.add_instance(name) as inst:
                    items = ty.exports(engine)
                    for item_name, item in items.items():
                        ity = item.ty
                        if isinstance(ity, wc.ResourceType):
                            key = _resource_key(iface, name, item_name, ity, seen)
                            inst.add_resource(item_name, wc.ResourceType.host(resource_type_id(key)),
                                              _dtor(key))
                            report.resources.append(key)
                    for item_name, item in items.items():
                        ity = item.ty
                        if not isinstance(ity, wc.FuncType):
                            continue
                        fn = iface.functions.get(item_name) if iface is not None else None
                        if fn is None:
                            why = (f"{name} is not an interface of {model.describe()}"
                                   if iface is None else
                                   f"{model.describe()} has no function {item_name!r} in {name}")
                            why += (". Install bindings of a world that imports it (golem_wit / "
                                    "golem_fakes.install(wit=..., world=...)) and register a "
                                    "behaviour for it (@implements) or override it in the test "
                                    "(golem.implement).")
                            inst.add_func(item_name, _trapping_function(name, item_name, why))
                            report.trapping[f"{name}#{item_name}"] = why
                        else:
                            try:
                                host = _host_function(iface.qualified_name, fn, model)
                            except convert.UnsupportedWitType as e:
                                why = f"its types cannot cross wasmtime-py's API: {e}"
                                inst.add_func(item_name, _trapping_function(name, item_name, why))
                                report.trapping[f"{name}#{item_name}"] = why
                                continue
                            inst.add_func(item_name, host)
                            report.linked.append(f"{name}#{item_name}" if iface.qualified_name == name else
                                                  f"{name}#{item_name} (as {iface.qualified_name})")
            elif isinstance(ty, wc.FuncType):
                world = model.world
                fn = world.functions.get(name)
                if fn is None:
                    why = (f"{model.describe()} imports no world-level function {name!r}; "
                           f"install the component's own world to link it")
                    root.add_func(name, _trapping_function(world.qualified_name, name, why))
                    report.trapping[f"{world.qualified_name}#{name}"] = why
                else:
                    root.add_func(name, _host_function(world.qualified_name, fn, model))
                    report.linked.append(f"{world.qualified_name}#{name}")
            else:
                raise convert.UnsupportedWitType(
                    f"the component imports {name!r} as a {type(ty).__name__}; golem-fakes "
                    f"links imported interfaces and functions only")
    return linker, report


def _resource_key(iface: Interface | None, iname: str, rname: str, ty: wc.ResourceType,
                  seen: list[tuple[wc.ResourceType, str]]) -> str:
    """``interface#resource`` of a resource the import ``iname`` exports: the defining
    interface's (a ``use``d resource is the same type in both). Without a WIT model,
    the key of an equal resource type of an earlier import (the component's own type
    identity, ``ResourceType.__eq__``), else ``iname#rname``."""
    key = None
    if iface is not None:
        td = iface.types.get(rname)
        if td is not None:
            d = td.dealias()
            if isinstance(d, TypeDef):
                key = convert.resource_key(d)
    if key is None:
        key = next((k for t, k in seen if t == ty), f"{iname}#{rname}")
    seen.append((ty, key))
    return key


def _raise_last_exception() -> None:
    """wasmtime-py's ``maybe_raise_last_exn``: raise (and clear) the exception a host
    function raised during the last call into wasm, if any. That slot is one global of
    wasmtime-py 50 (``wasmtime/component/_enter.py``), not per thread: two threads
    running wasm that fails in host functions at the same moment may swap exceptions
    (the fakes run one invocation of a worker at a time)."""
    from wasmtime.component._enter import maybe_raise_last_exn

    maybe_raise_last_exn()


# --- one instance per worker ----------------------------------------------------------


class WasmInstance:
    """One instantiation of a compiled component: its own wasmtime ``Store`` (linear
    memory, guest handle table) and the table of host resources the guest holds
    (handle rep → the behaviour's rep). Made per worker instance
    (:class:`golem_fakes.worker.instance.WorkerInstance`); dropped with it."""

    def __init__(self, compiled: Any) -> None:
        self.compiled = compiled
        self.store = wasmtime.Store(compiled.engine)
        #: the store context of the host call running now (wasmtime-py's argument)
        self.ctx: Any = self.store
        self._reps: dict[int, tuple[str, Any]] = {}
        self._ids = itertools.count(1)
        self._funcs: dict[str, Any] = {}
        #: ``interface#function`` of every call of an unlinked import (it trapped)
        self.unlinked_calls: list[str] = []
        #: the exception that ended the guest's last call, if it trapped
        self.trapped: BaseException | None = None
        self.dropped = False
        self._exported: Any = None
        signals.ensure()
        token = current_instance.set(self)
        try:
            self.instance = compiled.linker.instantiate(self.store, compiled.component)
        except HostCallFailed as e:
            raise e.error from None
        except wasmtime.WasmtimeError:
            # Linker.instantiate does not re-raise what a host function raised (its
            # Func.__call__ does): take it from wasmtime-py's global, or it would be
            # raised by the next unrelated failing call
            try:
                _raise_last_exception()
            except HostCallFailed as e:
                raise e.error from None
            raise
        finally:
            current_instance.reset(token)

    # --- the host-resource table (convert.Handles) ------------------------------------

    def give(self, rep: Any, key: str) -> wc.ResourceHost:
        n = next(self._ids)
        self._reps[n] = (key, rep)
        return wc.ResourceHost.own(n, resource_type_id(key))

    def lend(self, rep: Any, key: str) -> wc.ResourceHost:
        # a host function never returns a borrow (WIT has no borrow results)
        raise convert.UnsupportedWitType(f"a borrow<{key}> going from the host into wasm")

    def _entry(self, value: Any, key: str, pop: bool) -> Any:
        host = value.to_host(self.ctx) if isinstance(value, wc.ResourceAny) else value
        n = host.rep
        entry = self._reps.get(n)
        if entry is None or entry[0] != key:
            raise rt.Panic(f"unknown handle index {n} for a `{key}` resource")
        if pop:
            del self._reps[n]
        if isinstance(value, wc.ResourceAny):
            value.close()
        return entry[1]

    def take(self, value: Any, key: str) -> Any:
        return self._entry(value, key, True)

    def peek(self, value: Any, key: str) -> Any:
        return self._entry(value, key, False)

    def forget(self, n: int) -> Any:
        entry = self._reps.pop(n, None)
        return _GONE if entry is None else entry[1]

    def live_resources(self) -> dict[int, tuple[str, Any]]:
        """Rep → ``(interface#resource, behaviour rep)`` of every host resource the
        guest still holds."""
        return dict(self._reps)

    # --- exports ------------------------------------------------------------------------

    def func(self, export: Any) -> Any:
        f = self._funcs.get(export.name)
        if f is None:
            parent = None
            if export.instance is not None:
                parent = self.instance.get_export_index(self.store, export.instance)
                if parent is None:
                    raise LookupError(f"the component has no exported instance {export.instance!r}")
            idx = self.instance.get_export_index(self.store, export.export, parent)
            f = self.instance.get_func(self.store, idx) if idx is not None else None
            if f is None:
                raise LookupError(f"the component has no export {export.name!r}")
            self._funcs[export.name] = f
        return f

    def exported_handles(self, export: Any) -> Any:
        """The invoker's handles of this instance's exported resources
        (:class:`golem_fakes.compiled.exports.ExportedHandles`, made on first use)."""
        h = self._exported
        if h is None:
            from golem_fakes.compiled.exports import ExportedHandles

            h = self._exported = ExportedHandles(self, frozenset(self.compiled.exports.resources))
        return h

    def call(self, export: Any, args: tuple[Any, ...] | list[Any]) -> Any:
        """Call ``export`` with already checked wasmtime values; the guest's result in
        wasmtime's form. A trap raises :class:`~golem_fakes.bindings.runtime.Trap` (or
        what the host function raised: a crash, an exit, ``NotFaked``...)."""
        f = self.func(export)

        def run() -> Any:
            value = f(self.store, *args)
            f.post_return(self.store)
            return value
        return self._enter(export, run)

    def drop_guest_resource(self, export: Any, value: wc.ResourceAny) -> None:
        """``{res.drop}``: drop an exported resource's handle; wasmtime runs the guest's
        destructor (``[dtor]res``) in this instance, which may call host functions."""
        self._enter(export, lambda: value.drop(self.store))

    def _enter(self, export: Any, run: Callable[[], Any]) -> Any:
        if self.trapped is not None:
            raise rt.Trap(f"the wasm instance of this worker trapped before ({self.trapped}); "
                          f"a trapped component instance cannot be entered again")
        signals.ensure()
        token = current_instance.set(self)
        try:
            try:
                value = run()
            except HostCallFailed as e:
                self.trapped = e.error
                raise e.error from None
            except wasmtime.ExitTrap as e:  # pragma: no cover - wasi:cli/exit is faked
                self.trapped = e
                raise rt.Trap(f"{export.name}: the component exited with code {e.code}",
                              interface=export.interface, function=export.function) from None
            except (wasmtime.Trap, wasmtime.WasmtimeError) as e:
                trap = rt.Trap(f"{export.name}: the component trapped: {e}",
                               interface=export.interface, function=export.function)
                self.trapped = trap
                raise trap from None
        finally:
            current_instance.reset(token)
        return value

    def drop(self, drop_resource: Callable[[str, Any], None]) -> None:
        """Drop the instance: every host resource the guest held is dropped
        (``drop_resource(key, rep)``), then the store is released."""
        if self.dropped:
            return
        self.dropped = True
        reps, self._reps = self._reps, {}
        for key, rep in reps.values():
            drop_resource(key, rep)
        self._funcs.clear()
        self.instance = None  # type: ignore[assignment]
        self.store = None  # type: ignore[assignment]



