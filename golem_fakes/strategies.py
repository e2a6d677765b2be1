"""Hypothesis strategies for every WIT type of the installed world.

Every strategy is derived from the resolved WIT model (:mod:`golem_fakes.wit.model`)
and draws values of the *installed generated classes* — the very classes worker code
gets from ``from wit_world.imports import host`` after :func:`golem_fakes.install` —
in the forms the component runtime accepts as arguments, so no drawn value makes the
seam trap:

==========================  ============================================================
WIT                         drawn Python value
==========================  ============================================================
``bool``                    ``bool``
``u8`` … ``u64``,           ``int`` within the type's range (``u8``: 0..255, ``s64``:
``s8`` … ``s64``            -2**63..2**63-1)
``f32``                     ``float`` representable in single precision
                            (``st.floats(width=32)``; NaN and ±inf included)
``f64``                     ``float`` (NaN and ±inf included)
``char``                    a one-code-point ``str``, never a surrogate
``string``                  ``str`` without surrogates (valid UTF-8)
``list<u8>``                ``bytes``
``list<T>``                 ``list``
``option<T>``               ``None`` or the value; ``None`` / ``Some(v)`` when ``T`` is
                            itself an option (componentize-py's nested-option form)
``result<T, E>``            ``Ok(v)`` / ``Err(e)`` (``Ok(None)`` for a missing side)
``tuple<…>``                ``tuple``
record                      an instance of the generated ``@dataclass``
variant                     an instance of one case class (``WorkerPropertyFilter_Name``),
                            every case reachable
enum                        a member of the generated ``Enum``
flags                       any combination of the generated ``Flag`` (all ``2**n``)
resource handles            not generated, see below
==========================  ============================================================

Resources
    A resource value is a *handle* owned by one environment; creating one means calling
    the host (its constructor or a function returning it) inside an active
    environment, with side effects on that environment's state. A strategy cannot do
    that at draw time without tying examples to an environment, so **resources are
    skipped**: an ``option`` of a resource draws ``None``, a ``list`` of them ``[]``,
    variant cases and ``result`` sides that carry one are left out. A type that
    *needs* a resource (a record field or tuple element that is a handle, the resource
    itself) raises :class:`UnsupportedType` when its strategy is built; build such
    values inside the test instead (``with g: stream = ...`` then
    ``st.builds(Cls, st.just(stream), ...)``).

Entry points::

    from golem_fakes import strategies as gs

    gs.from_wit("golem:api/host@1.1.7", "worker-metadata")   # a named WIT type
    gs.from_type(host.WorkerMetadata)                         # a generated class
    gs.for_function_params("golem:api/host@1.1.7", "get-worker-metadata")  # arg tuples
    gs.for_function_result("golem:api/host@1.1.7", "get-worker-metadata")  # what a
                                                              # behaviour may return
    st.from_type(host.WorkerMetadata)  # through hypothesis' registry (plugin below)

and domain strategies that draw *realistic* Golem values rather than arbitrary ones:
:func:`worker_names`, :func:`uuids`, :func:`component_ids`, :func:`worker_ids`,
:func:`worker_metadata`, :func:`worker_any_filters`.

Built strategies are cached per installed bindings (a second :func:`from_wit` for the
same type returns the same object). Building the first one parses the WIT of the
installed world once (~0.1 s for ``all-imports``).

``st.from_type``
    golem-fakes registers a ``hypothesis`` entry point
    (:mod:`golem_fakes._hypothesis_plugin`): every generated record, case, enum and
    flags class is registered with :func:`hypothesis.strategies.register_type_strategy`
    when its module is imported, so ``st.from_type(WorkerMetadata)`` and
    ``@given(m=...)``-by-annotation work.

Using strategies with the ``golem`` fixture
    Hypothesis refuses function-scoped fixtures in ``@given`` tests
    (``HealthCheck.function_scoped_fixture``): the fixture would be shared by every
    example. Do not suppress the check; give every example its own environment with
    ``Golem.fresh()`` (same constructor configuration, empty state). Either nest the
    property inside a plain test that takes the fixture::

        def test_filters_never_trap(golem):
            @given(f=gs.worker_any_filters())
            def check(f):
                with golem.fresh():
                    list(host.GetWorkers(component_id, f, True).get_next() or [])
            check()

    or keep a module-level template and take no fixture at all::

        TEMPLATE = Golem(seed=1, component="shop")

        @given(meta=gs.worker_metadata())
        def test_meta(meta):
            with TEMPLATE.fresh() as g:
                ...

    (``@g`` as a decorator does not give fresh state per call either; use
    ``fresh()``.)
"""

from __future__ import annotations

import importlib
import sys
import threading
import typing
from dataclasses import dataclass, field
from typing import Any, Callable

from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

from golem_fakes.bindings.naming import escape, resolve_flavor, upper_camel
from golem_fakes.bindings.result import Err, Ok, Some
from golem_fakes.wit.model import (
    INT_RANGES,
    Case,
    Enum,
    Flags,
    Function,
    HandleType,
    Interface,
    ListType,
    OptionType,
    Primitive,
    Record,
    Resource,
    ResultType,
    TupleType,
    Type,
    TypeDef,
    Variant,
    World,
)

__all__ = [
    "UnsupportedType",
    "WitStrategies",
    "current",
    "from_wit",
    "from_type",
    "for_type",
    "for_function_params",
    "for_function_result",
    "worker_names",
    "uuids",
    "component_ids",
    "worker_ids",
    "worker_metadata",
    "worker_any_filters",
    "crash_plans",
    "GOLEM_HOST",
    "GOLEM_RPC_TYPES",
]

#: The interfaces the domain strategies draw from.
GOLEM_HOST = "golem:api/host@1.1.7"
GOLEM_RPC_TYPES = "golem:rpc/types@0.2.2"


class UnsupportedType(TypeError):
    """No strategy can be built for this WIT type: it needs a resource handle (see
    the module docstring), or the class/type is not part of the installed world."""


# --- resolving types ---------------------------------------------------------------


def _resolve(t: Type) -> Type:
    """Follow aliases; a bare resource TypeDef is an owned handle."""
    if isinstance(t, TypeDef):
        t = t.dealias()
        if isinstance(t, TypeDef) and isinstance(t.kind, Resource):
            return HandleType(t, "own")
    return t


def _wit(t: Type | None) -> str:
    from golem_fakes.bindings.lowering import wit_type_str

    return wit_type_str(t)


_NAMED = (Record, Variant, Enum, Flags, Resource)


@dataclass(eq=False)
class WitStrategies:
    """Strategies for the types of one generated world, drawing instances of the
    classes generated for it.

    ``world`` is the model world the bindings were generated from; ``flavor`` the
    :class:`~golem_fakes.bindings.naming.Flavor` (package, layout); the naming options
    are those given to :func:`golem_fakes.install`. Classes are found through
    componentize-py's own naming (:class:`golem_fakes.bindings.codegen.Summary`), so
    the classes are exactly those ``import`` gives. Most users want the module-level
    functions, which use the installed bindings (:func:`current`)."""

    world: World
    flavor: Any
    import_names: dict[str, str] = field(default_factory=dict)
    export_names: dict[str, str] = field(default_factory=dict)
    full_names: bool = False

    def __post_init__(self) -> None:
        from golem_fakes.bindings.codegen import Summary

        self._summary = Summary(self.world, self.flavor, self.import_names,
                                self.export_names, self.full_names)
        self._lock = threading.RLock()
        self._cache: dict[int, tuple[Type, SearchStrategy[Any] | None]] = {}
        self._named: dict[str, Any] = {}
        self._by_class_name: dict[tuple[str, str], tuple[TypeDef, Case | None]] | None = None
        #: the generated modules classes were taken from (name -> module object)
        self._modules: dict[str, Any] = {}

    def stale(self) -> bool:
        """Whether a generated module this object took classes from is no longer the
        one in ``sys.modules`` (imported again: e.g. pytester's in-process runs drop the
        modules they imported first, and the next import makes new classes). A stale
        object would draw instances of the old classes; :func:`current` rebuilds it."""
        mods = sys.modules
        return any(mods.get(n) is not m for n, m in list(self._modules.items()))

    # --- model lookups ------------------------------------------------------------

    def interfaces(self) -> list[Interface]:
        """Imported, then exported interfaces of the world."""
        seen: dict[int, Interface] = {}
        for it in (*self.world.imports, *self.world.exports):
            if isinstance(it.item, Interface):
                seen.setdefault(id(it.item), it.item)
        return list(seen.values())

    def interface(self, name: str) -> Interface | World:
        """An interface of the world by ``ns:pkg/iface@ver`` (the version may be left
        out when only one is present), or the world itself by its qualified name."""
        if name in (self.world.qualified_name, self.world.name):
            return self.world
        ifaces = self.interfaces()
        exact = [i for i in ifaces if i.qualified_name == name]
        if exact:
            return exact[0]
        loose = [i for i in ifaces if i.qualified_name.split("@", 1)[0] == name]
        if len(loose) == 1:
            return loose[0]
        known = ", ".join(sorted(i.qualified_name for i in ifaces))
        how = "is ambiguous (give the version)" if loose else "is not in the world"
        raise UnsupportedType(f"interface {name!r} {how} {self.world.qualified_name}; "
                              f"its interfaces: {known}")

    def typedef(self, interface: str, name: str) -> TypeDef:
        """The named type ``name`` (WIT spelling) of ``interface``."""
        owner = self.interface(interface)
        td = owner.types.get(name)
        if td is None:
            known = ", ".join(sorted(owner.types))
            raise UnsupportedType(f"{owner.qualified_name} has no type {name!r}; its types: "
                                  f"{known or '(none)'}")
        return td

    def function(self, interface: str, function: str) -> Function:
        """A function of ``interface`` by canonical name (``get-worker-metadata``,
        ``[method]get-workers.get-next``) or Python name (``get_worker_metadata``)."""
        owner = self.interface(interface)
        fn = owner.functions.get(function)
        if fn is None:
            from golem_fakes.bindings.naming import snake

            hits = [f for f in owner.functions.values()
                    if f.kind == "freestanding" and escape(snake(f.name)) == function]
            if len(hits) == 1:
                return hits[0]
            known = ", ".join(owner.functions)
            raise UnsupportedType(f"{owner.qualified_name} has no function {function!r}; its "
                                  f"functions: {known or '(none)'}")
        return fn

    def module_name(self, item: TypeDef | Interface | World) -> str:
        """Dotted name of the generated module defining a type's class, or of an
        interface's (the world's: the top-level package)."""
        owner = item.owner if isinstance(item, TypeDef) else item
        if isinstance(owner, Interface):
            return self._summary.module_of(owner)
        return self.flavor.package

    def class_of(self, td: TypeDef, case: Case | None = None) -> type:
        """The generated class of a record / enum / flags / resource, or of one case of
        a variant (``case``); imports its module."""
        d = td.dealias()
        if not isinstance(d, TypeDef) or not isinstance(d.kind, _NAMED):
            raise UnsupportedType(f"{td!r} is {_wit(d)}: no class is generated for it")
        name = escape(upper_camel(d.name))
        if case is not None:
            name = f"{name}_{escape(upper_camel(case.name))}"
        module = importlib.import_module(self.module_name(d))
        self._modules.setdefault(module.__name__, module)
        try:
            return getattr(module, name)
        except AttributeError:
            raise UnsupportedType(f"{module.__name__} has no class {name} for {d!r}; were the "
                                  f"bindings generated from this WIT?") from None

    def _index(self) -> dict[tuple[str, str], tuple[TypeDef, Case | None]]:
        if self._by_class_name is None:
            out: dict[tuple[str, str], tuple[TypeDef, Case | None]] = {}
            owners: list[Interface | World] = [*self.interfaces(), self.world]
            for owner in owners:
                for td in owner.types.values():
                    if not isinstance(td.kind, _NAMED):
                        continue
                    module = self.module_name(td)
                    camel = escape(upper_camel(td.name))
                    out[(module, camel)] = (td, None)
                    if isinstance(td.kind, Variant):
                        for c in td.kind.cases:
                            out[(module, f"{camel}_{escape(upper_camel(c.name))}")] = (td, c)
            self._by_class_name = out
        return self._by_class_name

    def typedef_of_class(self, cls: type) -> tuple[TypeDef, Case | None]:
        """The WIT type (and variant case) a generated class was made for."""
        key = (getattr(cls, "__module__", None), getattr(cls, "__qualname__", None))
        hit = self._index().get(key)  # type: ignore[arg-type]
        if hit is None:
            raise UnsupportedType(
                f"{cls!r} is not a class generated for the installed world "
                f"{self.world.qualified_name} (package {self.flavor.package!r}); strategies "
                f"exist for the generated record, variant-case, enum and flags classes")
        td, case = hit
        if self.class_of(td, case) is not cls:
            raise UnsupportedType(f"{cls!r} has the name of a generated class but is another "
                                  f"object (bindings re-installed since it was imported?)")
        return hit

    # --- strategies ---------------------------------------------------------------

    def for_type(self, t: Type) -> SearchStrategy[Any]:
        """The strategy for a model type (cached). Raises :class:`UnsupportedType` if
        every value of ``t`` needs a resource handle."""
        s = self._build(t)
        if s is None:
            raise UnsupportedType(
                f"WIT type {_wit(t)} cannot be drawn: every value of it holds a resource "
                f"handle{self._where_resource(t)}, and golem-fakes' strategies skip resources "
                f"(handles belong to one environment and are made by calling the host). Create "
                f"the resource inside the test's environment and build the value with "
                f"st.builds(...) / st.just(handle) instead.")
        return s

    def _where_resource(self, t: Type) -> str:
        path = self._resource_path(_resolve(t), depth=0)
        return f" ({path})" if path else ""

    def _resource_path(self, t: Type, depth: int) -> str | None:
        if depth > 20:
            return None
        if isinstance(t, HandleType):
            return f"resource {t.resource.name}"
        if isinstance(t, TupleType):
            for i, x in enumerate(t.types):
                if self._build(x) is None:
                    inner = self._resource_path(_resolve(x), depth + 1)
                    return f"element {i}: {inner}"
        if isinstance(t, TypeDef) and isinstance(t.kind, Record):
            for f in t.kind.fields:
                if self._build(f.type) is None:
                    inner = self._resource_path(_resolve(f.type), depth + 1)
                    return f"{t.name}.{f.name}: {inner}"
        if isinstance(t, TypeDef) and isinstance(t.kind, Variant):
            return f"every case of {t.name} carries one"
        if isinstance(t, ResultType):
            return "both sides carry one"
        return None

    def _build(self, t: Type) -> SearchStrategy[Any] | None:
        key = id(t)
        hit = self._cache.get(key)
        if hit is not None and hit[0] is t:
            return hit[1]
        with self._lock:
            s = self._make(t)
            self._cache[key] = (t, s)  # the type is kept alive, so the id stays unique
        return s

    def _make(self, t0: Type) -> SearchStrategy[Any] | None:
        t = _resolve(t0)
        if t is not t0:
            return self._build(t)
        if isinstance(t, Primitive):
            return _primitive(t.name)
        if isinstance(t, ListType):
            el = _resolve(t.element)
            if isinstance(el, Primitive) and el.name == "u8":
                return st.binary()
            s = self._build(el)
            return st.lists(s) if s is not None else st.builds(list)
        if isinstance(t, OptionType):
            s = self._build(t.inner)
            if s is None:
                return st.none()
            if isinstance(_resolve(t.inner), OptionType):
                s = st.builds(Some, s)
            return st.none() | s
        if isinstance(t, ResultType):
            sides = []
            for cls, side in ((Ok, t.ok), (Err, t.err)):
                if side is None:
                    sides.append(st.builds(cls, st.none()))
                else:
                    s = self._build(side)
                    if s is not None:
                        sides.append(st.builds(cls, s))
            return st.one_of(*sides) if sides else None
        if isinstance(t, TupleType):
            parts = [self._build(x) for x in t.types]
            if any(p is None for p in parts):
                return None
            return st.tuples(*parts)  # type: ignore[arg-type]
        if isinstance(t, HandleType):
            return None
        if isinstance(t, TypeDef):
            k = t.kind
            if isinstance(k, Record):
                fields = [self._build(f.type) for f in k.fields]
                if any(s is None for s in fields):
                    return None
                return st.builds(self.class_of(t), *fields)  # type: ignore[arg-type]
            if isinstance(k, Variant):
                cases = [s for s in (self._case(t, c) for c in k.cases) if s is not None]
                return st.one_of(*cases) if cases else None
            if isinstance(k, Enum):
                return st.sampled_from(list(self.class_of(t)))
            if isinstance(k, Flags):
                cls = self.class_of(t)
                return st.integers(0, 2 ** len(k.flags) - 1).map(cls)
        raise UnsupportedType(f"no strategy for {t!r}")  # pragma: no cover - model is closed

    def _case(self, td: TypeDef, case: Case) -> SearchStrategy[Any] | None:
        cls = self.class_of(td, case)
        if case.type is None:
            return st.builds(cls)
        s = self._build(case.type)
        return st.builds(cls, s) if s is not None else None

    def from_wit(self, interface: str, name: str) -> SearchStrategy[Any]:
        """The strategy of the named type ``name`` of ``interface``."""
        return self.for_type(self.typedef(interface, name))

    def from_type(self, cls: Any) -> SearchStrategy[Any]:
        """The strategy of a generated class: a record, enum or flags class gives its
        type's values, a variant case class only that case, the ``Union`` alias of a
        variant (``host.WorkerPropertyFilter``) every case."""
        args = typing.get_args(cls) if typing.get_origin(cls) is typing.Union else ()
        if args:
            hits = [self.typedef_of_class(a) for a in args]
            tds = {id(td) for td, _ in hits}
            if len(tds) == 1 and len(hits) == len(hits[0][0].kind.cases):  # type: ignore[union-attr]
                return self.for_type(hits[0][0])
            return st.one_of(*(self.from_type(a) for a in args))
        td, case = self.typedef_of_class(cls)
        if case is not None:
            with self._lock:
                key = f"case:{id(td)}:{case.name}"
                if key not in self._named:
                    s = self._case(td, case)
                    if s is None:
                        raise UnsupportedType(f"case {case.name} of {td.name} holds a resource "
                                              f"handle; strategies skip resources")
                    self._named[key] = s
                return self._named[key]
        if isinstance(td.kind, Resource):
            raise UnsupportedType(
                f"{cls.__qualname__} is a resource ({td.name}); golem-fakes' strategies skip "
                f"resources because a handle must be created by calling the host inside an "
                f"environment. Create it in the test and use st.just(handle).")
        return self.for_type(td)

    def for_function_params(self, interface: str, function: str) -> SearchStrategy[tuple[Any, ...]]:
        """Tuples of arguments for ``function`` in Python parameter order (without the
        ``self`` of a method), valid for the seam."""
        fn = self.function(interface, function)
        params = fn.params
        if fn.kind == "method" and params and params[0].name == "self":
            params = params[1:]
        with self._lock:
            key = f"params:{id(fn)}"
            if key not in self._named:
                self._named[key] = st.tuples(*(self.for_type(p.type) for p in params))
            return self._named[key]

    def for_function_result(self, interface: str, function: str) -> SearchStrategy[Any]:
        """Values a *behaviour* may return for ``function`` (for ``env.implement``
        overrides that answer with random data): the result type's values, ``Ok``/``Err``
        for an outermost ``result``, ``None`` for a function without result."""
        fn = self.function(interface, function)
        if fn.kind == "constructor":
            raise UnsupportedType(f"{fn.name} is a constructor: its behaviour returns a rep "
                                  f"(any Python object), st.builds(object) will do")
        if fn.result is None:
            return st.none()
        return self.for_type(fn.result)

    def named_types(self) -> list[TypeDef]:
        """Every type defined in (or ``use``d into) the world's interfaces and the
        world, in declaration order (aliases included)."""
        out: list[TypeDef] = []
        for owner in [*self.interfaces(), self.world]:
            out.extend(owner.types.values())
        return out

    def domain(self, name: str, build: Callable[[], SearchStrategy[Any]]) -> SearchStrategy[Any]:
        """Cache a domain strategy by name (used by the module-level functions)."""
        with self._lock:
            s = self._named.get(name)
            if s is None:
                s = self._named[name] = build()
            return s


def _primitive(name: str) -> SearchStrategy[Any]:
    if name in INT_RANGES:
        lo, hi = INT_RANGES[name]
        return st.integers(lo, hi)
    if name == "bool":
        return st.booleans()
    if name == "f32":
        return st.floats(width=32)
    if name == "f64":
        return st.floats()
    if name == "char":
        return _CHARS
    if name == "string":
        return st.text(_CHARS)
    raise UnsupportedType(f"unknown primitive {name}")  # pragma: no cover


#: Code points Rust's ``char`` (and UTF-8) allows: everything but surrogates.
_CHARS: SearchStrategy[str] = st.characters(codec="utf-8")


# --- the installed bindings ----------------------------------------------------------

_CURRENT_LOCK = threading.Lock()
_CURRENT: tuple[Any, WitStrategies] | None = None


def current() -> WitStrategies:
    """The :class:`WitStrategies` of the bindings :func:`golem_fakes.install` set up
    (built once per installation; parses the installed WIT on first use)."""
    global _CURRENT
    from golem_fakes.bindings.install import installed

    inst = installed()
    if inst is None:
        raise UnsupportedType(
            "no golem-fakes bindings are installed, so there are no generated classes to "
            "draw: call golem_fakes.install() first (e.g. in conftest.py), or set golem_wit "
            "in the pytest ini options")
    cur = _CURRENT
    if cur is not None and cur[0] is inst and not cur[1].stale():
        return cur[1]
    with _CURRENT_LOCK:
        if _CURRENT is not None and _CURRENT[0] is inst and not _CURRENT[1].stale():
            return _CURRENT[1]
        from golem_fakes.wit import load, select_world

        opts = dict(inst.options)
        resolve = load(inst.wit, features=opts.get("features") or ())
        world = select_world(resolve, opts.get("world"))
        flavor = resolve_flavor(world.name, version=inst.version,
                                package=None if inst.layout == "0.16" else inst.package)
        ws = WitStrategies(world, flavor, dict(opts.get("interface_names") or ()),
                           dict(opts.get("export_interface_names") or ()),
                           bool(opts.get("full_names")))
        _CURRENT = (inst, ws)
        return ws


_VENDORED: WitStrategies | None = None


def vendored() -> WitStrategies:
    """The :class:`WitStrategies` of golem-fakes' private bindings of its vendored world
    (:func:`golem_fakes.bindings.install.vendored_bindings`): every interface the fakes
    implement, with classes of their own, whatever world is installed."""
    global _VENDORED
    if _VENDORED is not None and not _VENDORED.stale():
        return _VENDORED
    with _CURRENT_LOCK:
        if _VENDORED is None or _VENDORED.stale():
            from golem_fakes.bindings.install import vendored_bindings

            world, flavor = vendored_bindings()
            _VENDORED = WitStrategies(world, flavor)
        return _VENDORED


def from_wit(interface: str, name: str) -> SearchStrategy[Any]:
    """Values of the WIT type ``name`` of ``interface``:
    ``from_wit("golem:api/host@1.1.7", "worker-metadata")``."""
    return current().from_wit(interface, name)


def from_type(cls: Any) -> SearchStrategy[Any]:
    """Values of a generated class (record, variant case, variant ``Union``, enum,
    flags): ``from_type(host.WorkerMetadata)``."""
    return current().from_type(cls)


def for_type(t: Type) -> SearchStrategy[Any]:
    """Values of a model type (:mod:`golem_fakes.wit.model`) of the installed world."""
    return current().for_type(t)


def for_function_params(interface: str, function: str) -> SearchStrategy[tuple[Any, ...]]:
    """Argument tuples for a function of ``interface`` (canonical or Python name):
    ``for_function_params("golem:api/host@1.1.7", "get-worker-metadata")``."""
    return current().for_function_params(interface, function)


def for_function_result(interface: str, function: str) -> SearchStrategy[Any]:
    """Values a behaviour (or an ``env.implement`` override) may return for a
    function."""
    return current().for_function_result(interface, function)


# --- domain strategies ---------------------------------------------------------------

#: Unicode White_Space (Rust's ``char::is_whitespace``) plus what Python's
#: ``str.isspace`` adds (``\\x1c``-``\\x1f``): never in a worker name.
_WHITESPACE = ("\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003"
               "\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000")


def worker_names(*, min_size: int = 1, max_size: int = 40,
                 alphabet: SearchStrategy[str] | None = None) -> SearchStrategy[str]:
    """Worker names the public worker API accepts (Golem dev.25
    ``WorkerId::validate_worker_name``, ``golem-common/src/base_model.rs``;
    golem-host-semantics.md §1): 1..512 characters, no whitespace, no ``/``, not
    starting with ``-``. ``max_size`` is capped at 512. Host functions themselves
    (``fork``, ``resolve-worker-id``) accept any string; use ``st.text()`` for
    those."""
    if not 1 <= min_size <= max_size:
        raise ValueError(f"worker names need 1 <= min_size <= max_size, got {min_size}, {max_size}")
    chars = alphabet if alphabet is not None else st.characters(
        codec="utf-8", exclude_characters="/" + _WHITESPACE)
    return st.text(chars, min_size=min_size, max_size=min(max_size, 512)).filter(
        lambda s: not s.startswith("-") and "/" not in s and not any(c.isspace() for c in s))


def uuids() -> SearchStrategy[Any]:
    """``golem:rpc/types.uuid`` records of random v4 UUIDs: ``high-bits`` the first 8
    bytes big-endian, ``low-bits`` the last 8 (``as_u64_pair``, golem-host-semantics.md
    §1)."""
    ws = current()

    def build() -> SearchStrategy[Any]:
        cls = ws.class_of(ws.typedef(GOLEM_RPC_TYPES, "uuid"))
        return st.uuids(version=4).map(lambda u: cls(u.int >> 64, u.int & (2**64 - 1)))

    return ws.domain("uuids", build)


def component_ids() -> SearchStrategy[Any]:
    """``component-id`` records: Golem assigns every component a random v4 UUID
    (``ComponentId::new_v4``)."""
    ws = current()
    return ws.domain("component_ids", lambda: st.builds(
        ws.class_of(ws.typedef(GOLEM_RPC_TYPES, "component-id")), uuids()))


def worker_ids(component_ids_: SearchStrategy[Any] | None = None,
               names: SearchStrategy[str] | None = None) -> SearchStrategy[Any]:
    """``worker-id`` records with a v4 component id and a valid worker name
    (:func:`worker_names`); pass strategies to draw from known ids/names instead."""
    ws = current()
    cls = ws.class_of(ws.typedef(GOLEM_RPC_TYPES, "worker-id"))
    if component_ids_ is None and names is None:
        return ws.domain("worker_ids", lambda: st.builds(cls, component_ids(), worker_names()))
    return st.builds(cls, component_ids_ if component_ids_ is not None else component_ids(),
                     names if names is not None else worker_names())


def _env_names() -> SearchStrategy[str]:
    return st.text(st.characters(codec="utf-8", exclude_characters="=\x00"), min_size=1,
                   max_size=20)


def worker_metadata(worker_ids_: SearchStrategy[Any] | None = None) -> SearchStrategy[Any]:
    """``worker-metadata`` records as Golem reports them (golem-host-semantics.md
    §9.1): a valid worker id, creation args and env in order, ``wasi-config-vars`` as
    an ordered map (unique keys sorted by byte order), any status, any component
    version and ``retry-count`` 0 (Golem's metadata always reports 0, §6.4)."""
    ws = current()
    cls = ws.class_of(ws.typedef(GOLEM_HOST, "worker-metadata"))
    status = ws.from_wit(GOLEM_HOST, "worker-status")
    text = st.text(_CHARS, max_size=20)
    env = st.lists(st.tuples(_env_names(), text), max_size=6)
    config = st.dictionaries(st.text(_CHARS, min_size=1, max_size=12), text, max_size=5).map(
        lambda d: sorted(d.items(), key=lambda kv: kv[0].encode()))

    def build(ids: SearchStrategy[Any]) -> SearchStrategy[Any]:
        return st.builds(cls, ids, st.lists(text, max_size=5), env, config, status,
                         st.integers(0, 2**64 - 1), st.just(0))

    if worker_ids_ is None:
        return ws.domain("worker_metadata", lambda: build(worker_ids()))
    return build(worker_ids_)


def worker_any_filters(*, names: SearchStrategy[str] | None = None, max_any: int = 3,
                       max_all: int = 3) -> SearchStrategy[Any]:
    """``worker-any-filter`` records (an OR of ANDs of property filters, the DNF of
    golem-host-semantics.md §10.4), every property and comparator reachable, empty
    lists included (an empty OR/AND matches every worker). Names are worker names
    (pass ``names`` to draw from the workers of a test, so filters actually match);
    ``created-at`` values are epoch milliseconds, versions small so that ``equal``
    comparisons hit."""
    ws = current()

    def cls(name: str) -> type:
        return ws.class_of(ws.typedef(GOLEM_HOST, name))

    def case(name: str) -> type:
        td = ws.typedef(GOLEM_HOST, "worker-property-filter")
        c = next(c for c in td.kind.cases if c.name == name)  # type: ignore[union-attr]
        return ws.class_of(td, c)

    def build() -> SearchStrategy[Any]:
        cmp = ws.from_wit(GOLEM_HOST, "filter-comparator")
        scmp = ws.from_wit(GOLEM_HOST, "string-filter-comparator")
        status = ws.from_wit(GOLEM_HOST, "worker-status")
        name_values = names if names is not None else (worker_names() | st.text(_CHARS, max_size=5))
        small = st.integers(0, 10) | st.integers(0, 2**64 - 1)
        millis = st.integers(0, 2**44) | st.integers(0, 2**64 - 1)
        text = st.text(_CHARS, max_size=10)
        prop = st.one_of(
            st.builds(case("name"), st.builds(cls("worker-name-filter"), scmp, name_values)),
            st.builds(case("status"), st.builds(cls("worker-status-filter"), cmp, status)),
            st.builds(case("version"), st.builds(cls("worker-version-filter"), cmp, small)),
            st.builds(case("created-at"), st.builds(cls("worker-created-at-filter"), cmp, millis)),
            st.builds(case("env"), st.builds(cls("worker-env-filter"), _env_names(), scmp, text)),
            st.builds(case("wasi-config-vars"),
                      st.builds(cls("worker-wasi-config-vars-filter"), text, scmp, text)),
        )
        all_ = st.builds(cls("worker-all-filter"), st.lists(prop, max_size=max_all))
        return st.builds(cls("worker-any-filter"), st.lists(all_, max_size=max_any))

    if names is None and (max_any, max_all) == (3, 3):
        return ws.domain("worker_any_filters", build)
    return build()


# --- crash plans (crash-point exploration, golem_fakes.worker.explore) -------------------


def crash_plans(max_after: int = 50, *, recovery_crashes: int = 0, max_replayed: int | None = None,
                traps: bool = False) -> SearchStrategy[Any]:
    """:class:`~golem_fakes.worker.explore.CrashPlan` objects for a ``@given`` test that
    arms one on a worker (``plan.arm(golem, component, worker)``) before invoking it:
    a crash after ``0..max_after`` recorded host calls (a plan past the invocation's
    last call never fires: the run is uncrashed), then up to ``recovery_crashes`` more
    crashes while the recoveries replay, each after ``0..max_replayed`` replayed calls
    (default ``max_after``), and with ``traps=True`` sometimes a trap instead of the
    first crash. Shrinks towards the earliest single crash (``after=0``, no crash
    during recovery, a crash rather than a trap), so a failing test reports the
    smallest failing plan."""
    from golem_fakes.worker.explore import CrashPlan

    if type(max_after) is not int or max_after < 0:
        raise ValueError(f"crash_plans(max_after=...) takes a number >= 0, got {max_after!r}")
    if type(recovery_crashes) is not int or recovery_crashes < 0:
        raise ValueError(f"crash_plans(recovery_crashes=...) takes a number >= 0, "
                         f"got {recovery_crashes!r}")
    top = max_after if max_replayed is None else max_replayed
    modes = st.sampled_from(["crash", "trap"]) if traps else st.just("crash")

    def build(after: int, again: list[int], mode: str) -> Any:
        return CrashPlan(after, tuple(again) if mode == "crash" else (), mode)

    return st.builds(build, st.integers(0, max_after),
                     st.lists(st.integers(0, top), max_size=recovery_crashes), modes)


# --- registration with hypothesis (see golem_fakes._hypothesis_plugin) ---------------


def _resolver(cls: Any) -> SearchStrategy[Any]:
    """``st.register_type_strategy`` callback: resolves lazily, so registering a class
    costs nothing until a test asks for it."""
    return current().from_type(cls)

