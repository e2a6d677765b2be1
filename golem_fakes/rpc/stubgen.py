"""Generated RPC clients: the client WIT golem-cli derives for a call target, and the
behaviour Golem's executor links in for it (semantics ``golem-rpc-rdbms-semantics.md``
§1.16).

**The client WIT** (:func:`client_def`, :func:`client_wit`) is what golem-cli's stub
generator writes for a component that another one depends on with ``type: wasm-rpc``
(golem-cli at Golem v1.3.0-dev.25 — the golemcloud/golem-cli repository, moved into
golem's ``cli/golem-cli`` later: ``golem-cli/src/wasm_rpc_stubgen/stub.rs``
§StubDefinition::stubbed_entities, §stub_used_type_defs, ``wit_generate.rs``
§generate_client_package_from_stub_def, ``naming.rs``):

* package ``<ns>:<name>-client`` (the target's package, version kept), one interface
  ``<target-world>-client``, one world ``wasm-rpc-client-<target-world>`` exporting it;
* the interface ``use``s ``wasi:io/poll@0.2.3.{pollable}``,
  ``wasi:clocks/wall-clock@0.2.3.{datetime}`` and ``golem:rpc/types@0.2.2``'s
  ``component-id``, ``worker-id`` and ``cancellation-token`` (renamed
  ``wasi-io-pollable``, ``wasi-clocks-datetime``, ``golem-rpc-…``), and every
  non-resource type declared in an exported interface of the target (a name declared by
  two interfaces gets the alias ``<ns>-<pkg>-<iface>-<name>``);
* one *stub resource* per exported interface (named like the interface), per resource
  exported inside one (named like the resource), and one named after the target world
  for world-level functions; each has ``constructor(worker-name: string, <the
  resource's constructor parameters>)``, ``custom: static func(worker-id:
  golem-rpc-worker-id, ...) -> R``, and per function ``f(P) -> T`` (statics of a
  resource first, then methods): ``blocking-f(P) -> T``, ``f(P) ->
  future-f-result`` (``future-R-f-result`` for a resource; no result when ``T`` is
  unit) and ``schedule-f(P, scheduled-for: wasi-clocks-datetime) ->
  golem-rpc-cancellation-token``;
* ``future-…-result`` resources with ``subscribe() -> wasi-io-pollable`` and ``get() ->
  option<T>``.

The caller's world then imports ``<ns>:<name>-client/<world>-client``
(``wit_generate.rs`` §add_client_as_dependency_to_wit_dir), so componentize-py names the
module after the interface: ``from wit_world.imports import shop_inventory_client``.

**The linking metadata** (:attr:`ClientDef.targets`): stub resource name → the target
interface (``WasmRpcTarget.interface_name``), as golem-cli writes it
(``golem-cli/src/app/context.rs`` §component_stub_interfaces: only entities with an
owner interface, so the world-functions resource gets none and Golem does not link it).

**The behaviour** (:func:`link`) is registered in the behaviour registry for the client
interface, one entry per function, mapping each onto the ``golem:rpc`` runtime of
:mod:`golem_fakes.interfaces.golem_rpc.types` as Golem v1.3.0-dev.25's dynamic linker
does (``golem-worker-executor/src/durable_host/dynamic_linking/wasm_rpc.rs``
§dynamic_function_call, §DynamicRpcCall::analyse, §DynamicRpcResource::analyse,
§drop_linked_resource). A stub resource whose target interface ends with
``/<resource name>`` is an *interface stub*, otherwise a *resource stub*:

===============================  ==========================================================
stub function                    what runs
===============================  ==========================================================
interface ``constructor(name)``  the target component resolved by name (unknown: trap
                                 ``Failed to resolve component <name>``), then the
                                 ``wasm-rpc`` constructor (``start-span rpc-connection``)
``custom(worker-id)``            the ``wasm-rpc`` constructor with that id
``blocking-f(args)``             ``invoke-and-await("<iface>.{f}", args)``, the tuple
                                 unwrapped; an ``rpc-error`` traps (``RpcError::…(…)``)
``f(args)`` with a result        ``async-invoke-and-await``; the future's ``get`` answers
                                 ``some(v)`` / ``none``; an ``rpc-error`` traps ``RPC
                                 invocation of <stub fn> failed with: <error>``
``f(args)`` without result       ``invoke`` (fire and forget); an ``rpc-error`` traps
``schedule-f(args, when)``       ``schedule-cancelable-invocation(when, "<iface>.{f}", args)``
resource ``constructor(name,…)`` a connection, ``invoke-and-await("<iface>.{R.new}", …)``
                                 which must answer ``tuple-value([handle(uri, id)])``, then
                                 a second connection that keeps ``(uri, id)`` (the first
                                 one's span is never finished, as in dev.25); the last
                                 constructor argument is not sent (see below)
resource ``custom(id, …)``       the same with every constructor argument
resource stub methods            ``<iface>.{R.m}`` with ``handle(uri, id)`` prepended
drop of a resource stub          ``invoke-and-await("<iface>.{R.drop}", [handle])`` (an
                                 ``rpc-error`` is ignored), then ``finish-span``
===============================  ==========================================================

Before each call the target function is looked up in the target component's exports
(``find_parsed_function``: unknown traps ``Target function <name> not found in component
metadata``). Parameters are encoded with the stub's WIT types
(:func:`golem_fakes.rpc.values.to_wit_value`); a resource passed as a parameter is
encoded as a handle of the *caller* and the target refuses it, and a handle in a result
cannot be decoded (``cannot resolve handle belonging to a different worker``): dev.25
cannot pass resources through generated clients. Static functions of a resource stub
trap (their first parameter is not a handle). A resource stub's plain constructor
loses its last argument (``ResourceStubConstructor`` passes the target constructor's
types without the worker name's, and ``encode_parameters`` skips parameter 0), so a
target resource whose constructor takes parameters refuses it (``Parameter type
mismatch: expected N, got N-1 parameters``): Golem's own tests use ``custom``, which
works.

Ephemeral targets (golem.yaml ``componentType: ephemeral``): the constructors take no
worker name and ``custom`` a ``component-id``; each connection goes to a fresh worker
name (``wasm-rpc.ephemeral``, recorded). As dev.25 does, a resource stub's constructor
opens a second connection (a second fresh worker) after the remote constructor, so its
methods reach a worker that does not hold the resource, and its first constructor
argument is not sent (``encode_parameters`` skips parameter 0 for every constructor).
"""

from __future__ import annotations

import itertools
import re
import threading
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

from golem_fakes.bindings.registry import register
from golem_fakes.bindings.result import Err, Ok
from golem_fakes.bindings.runtime import Trap
from golem_fakes.rpc.values import ValueMismatch, from_wit_value, resolve_type, to_wit_value
from golem_fakes.wit.lexer import KEYWORDS
from golem_fakes.wit.model import (
    Function,
    HandleType,
    Interface,
    ListType,
    OptionType,
    PackageName,
    Param,
    Primitive,
    Resource,
    ResultType,
    TupleType,
    TypeDef,
    World,
)

__all__ = ["StubFunction", "StubEntity", "ClientDef", "client_def", "client_wit", "link",
           "exports_package_wit",
           "linked", "WASI_WIT_VERSION", "GOLEM_RPC_WIT_VERSION"]

#: ``golem-cli/src/wasm_rpc_stubgen/mod.rs`` (golem-cli at dev.25)
WASI_WIT_VERSION = "0.2.3"
GOLEM_RPC_WIT_VERSION = "0.2.2"
_RPC = f"golem:rpc/types@{GOLEM_RPC_WIT_VERSION}"


@dataclass(frozen=True, eq=False)
class StubFunction:
    """A function of the target a stub resource forwards to: ``name`` as written
    (``reserve``; a method's name without ``[method]r.``), the target's
    :class:`~golem_fakes.wit.model.Function`, its parameters without ``self``."""

    name: str
    function: Function
    params: tuple[Param, ...]
    is_static: bool

    @property
    def result(self) -> Any:
        return self.function.result


@dataclass(frozen=True, eq=False)
class StubEntity:
    """``StubbedEntity``: an exported interface, a resource exported inside one, or the
    world's own functions."""

    kind: str  # "interface" | "resource" | "world"
    name: str
    #: the target interface (``ns:pkg/iface@ver``), ``None`` for world functions
    owner_interface: str | None
    functions: tuple[StubFunction, ...]
    constructor_params: tuple[Param, ...] = ()
    #: the target resource's TypeDef (resource stubs)
    resource: TypeDef | None = None

    def async_result_type(self, fn: StubFunction) -> str:
        """``FunctionStub::async_result_type``."""
        if self.kind == "resource":
            return f"future-{self.name}-{fn.name}-result"
        return f"future-{fn.name}-result"

    @property
    def is_interface_stub(self) -> bool:
        """``DynamicRpcResource::analyse``: the target interface ends with
        ``/<resource name>`` (an interface stub), else a resource stub."""
        return self.owner_interface is not None and \
            self.owner_interface.split("@")[0].endswith(f"/{self.name}")


@dataclass(frozen=True, eq=False)
class ClientDef:
    """The client of one target component (see the module docstring)."""

    #: the Golem component name of the target (``shop:inventory``)
    component: str
    #: the target's world name
    target_world: str
    #: the target's package
    target_package: PackageName
    entities: tuple[StubEntity, ...]
    #: ``(interface id, type name, alias or None, TypeDef)`` of every ``use``d type
    used_types: tuple[tuple[str, str, str | None, TypeDef], ...]
    #: the target is an ephemeral component (golem.yaml ``componentType: ephemeral``)
    ephemeral: bool = False
    text: str = field(default="", repr=False)

    @property
    def package(self) -> PackageName:
        p = self.target_package
        return PackageName(p.namespace, f"{p.name}-client", p.version)

    @property
    def interface(self) -> str:
        return f"{self.target_world}-client"

    @property
    def world(self) -> str:
        return f"wasm-rpc-client-{self.target_world}"

    @property
    def interface_id(self) -> str:
        """``ns:name-client/world-client@ver`` (``naming::wit::client_import_name``)."""
        p = self.package
        base = f"{p.namespace}:{p.name}/{self.interface}"
        return f"{base}@{p.version}" if p.version else base

    @property
    def targets(self) -> dict[str, str]:
        """``DynamicLinkedWasmRpc.targets``: stub resource → target interface."""
        return {e.name: e.owner_interface for e in self.entities
                if e.owner_interface is not None}

    @property
    def dep_dir(self) -> str:
        """golem-cli's folder for the package under ``deps/``
        (``package_dep_dir_name_from_parser``: ``<ns>_<name>``)."""
        p = self.package
        return f"{p.namespace}_{p.name}"


def _site(iface: Interface, key: str) -> str:
    return iface.qualified_name if iface.package is not None and iface.name is not None \
        else (iface.name or key)


def client_def(world: World, component: str, *, ephemeral: bool = False) -> ClientDef:
    """The client golem-cli generates for a target component whose world is ``world``
    (``StubDefinition``; ``ephemeral``: ``is_ephemeral``, the constructors take no
    worker name and ``custom`` a ``component-id``)."""
    if world.package is None:
        raise ValueError(f"world {world.name!r} has no package: golem-cli names the client "
                         f"package after the target's package")
    entities: list[StubEntity] = []
    used: list[TypeDef] = []
    world_functions: list[Function] = []
    for wi in world.exports:
        item = wi.item
        if isinstance(item, Function):
            world_functions.append(item)
            continue
        if not isinstance(item, Interface):
            continue
        site = _site(item, wi.key)
        fns = tuple(StubFunction(f.name, f, tuple(f.params), False)
                    for f in item.functions.values() if f.kind == "freestanding")
        resources: list[StubEntity] = []
        for td in item.types.values():
            if isinstance(td.kind, Resource):
                resources.append(_resource_entity(item, site, td))
            else:
                used.append(td)
        entities.append(StubEntity("interface", item.name or wi.key, site, fns))
        entities.extend(resources)
    if world_functions:
        fns = tuple(StubFunction(f.name, f, tuple(f.params), False) for f in world_functions
                    if f.kind == "freestanding")
        entities.append(StubEntity("world", world.name, None, fns))
    used_types = _exports_package(_used_types(used), world.package.name)
    d = ClientDef(component, world.name, world.package.name, tuple(entities), used_types,
                  ephemeral)
    object.__setattr__(d, "text", client_wit(d))
    return d


def _resource_entity(iface: Interface, site: str, td: TypeDef) -> StubEntity:
    fns = [f for f in iface.functions.values() if f.resource is td]
    ctor = next((f for f in fns if f.kind == "constructor"), None)
    statics = [StubFunction(f.item_name, f, tuple(f.params), True)
               for f in fns if f.kind == "static"]
    methods = [StubFunction(f.item_name, f, tuple(p for p in f.params if p.name != "self"),
                            False) for f in fns if f.kind == "method"]
    return StubEntity("resource", td.name, site, tuple(statics + methods),
                      tuple(ctor.params) if ctor is not None else (), td)


def _used_types(types: list[TypeDef]) -> tuple[tuple[str, str, str | None, TypeDef], ...]:
    """``stub_used_type_defs``: unique names are used as they are, others get
    ``<ns>-<pkg>-<iface>-<name>``; sorted by (interface, name, alias)."""
    by_name: dict[str, list[TypeDef]] = {}
    for td in types:
        lst = by_name.setdefault(td.name, [])
        if td not in lst:
            lst.append(td)
    out = []
    for name, tds in by_name.items():
        for td in tds:
            owner = td.owner
            assert isinstance(owner, Interface)
            alias = None
            if len(tds) > 1:
                if owner.package is not None:
                    pn = owner.package.name
                    alias = f"{pn.namespace}-{pn.name}-{owner.name}-{name}"
                else:
                    alias = f"{owner.name}-{name}"
            out.append((owner.qualified_name, name, alias, td))
    out.sort(key=lambda t: (t[0], t[1], t[2] or ""))
    return tuple(out)


def _exports_package(used: tuple[tuple[str, str, str | None, TypeDef], ...],
                     pn: PackageName) -> tuple[tuple[str, str, str | None, TypeDef], ...]:
    """golem-cli builds a target from WIT whose exported interfaces were moved to the
    package ``<ns>:<name>-exports`` (``wit_generate.rs`` §extract_exports_as_wit_dep,
    run by ``app build`` for every component), and the client ``use``s its types from
    there: so the caller imports ``<ns>:<name>-exports/<iface>``, never the interface the
    target exports. golem-fakes does the same for the types (:func:`exports_package_wit`
    writes that package); the target's own exports keep their names."""
    own = f"{pn.namespace}:{pn.name}/"
    out = []
    for iface, name, alias, td in used:
        if iface.startswith(own):
            iface = f"{pn.namespace}:{pn.name}-exports/" + iface[len(own):]
        out.append((iface, name, alias, td))
    return tuple(out)


def exports_package_wit(text: str, package: PackageName) -> str:
    """A source file of the target's package as the ``<ns>:<name>-exports`` package
    (its ``package`` header renamed)."""
    base = re.escape(f"{package.namespace}:{package.name}")
    return re.sub(rf"(^|\n)(\s*package\s+){base}(?=[@;\s])", rf"\1\2{package.namespace}:"
                  rf"{package.name}-exports", text, count=1)


# --- WIT text --------------------------------------------------------------------------


def _id(name: str) -> str:
    return f"%{name}" if name in KEYWORDS else name


def _type(t: Any, aliases: dict[int, str]) -> str:
    if isinstance(t, _Named):
        return t.name
    if isinstance(t, Primitive):
        return t.name
    if isinstance(t, ListType):
        return f"list<{_type(t.element, aliases)}>"
    if isinstance(t, OptionType):
        return f"option<{_type(t.inner, aliases)}>"
    if isinstance(t, TupleType):
        return "tuple<" + ", ".join(_type(x, aliases) for x in t.types) + ">"
    if isinstance(t, ResultType):
        ok = "_" if t.ok is None else _type(t.ok, aliases)
        if t.err is None:
            return "result" if t.ok is None else f"result<{ok}>"
        return f"result<{ok}, {_type(t.err, aliases)}>"
    if isinstance(t, HandleType):
        # own<R> / borrow<R> of the target's resource R: the stub resource R
        return _id(t.resource.name) if t.kind == "own" else f"borrow<{_id(t.resource.name)}>"
    if isinstance(t, TypeDef):
        return _id(aliases.get(id(t), t.name))
    raise TypeError(f"not a WIT type: {t!r}")


def _params(params: Iterable[Param], aliases: dict[int, str]) -> str:
    return ", ".join(f"{_id(p.name)}: {_type(p.type, aliases)}" for p in params)


def client_wit(d: ClientDef) -> str:
    """The client package as WIT text, items in golem-cli's order (uses, the future
    resources, then the stub resources, then the world)."""
    aliases = {id(td): alias for _, _, alias, td in d.used_types if alias is not None}
    p = d.package
    lines = [f"package {p.namespace}:{p.name}{'@' + p.version if p.version else ''};", "",
             f"interface {_id(d.interface)} {{"]
    uses: dict[str, list[str]] = {
        f"wasi:io/poll@{WASI_WIT_VERSION}": ["pollable as wasi-io-pollable"],
        f"wasi:clocks/wall-clock@{WASI_WIT_VERSION}": ["datetime as wasi-clocks-datetime"],
        _RPC: ["component-id as golem-rpc-component-id", "worker-id as golem-rpc-worker-id",
               "cancellation-token as golem-rpc-cancellation-token"],
    }
    for iface, name, alias, _ in d.used_types:
        uses.setdefault(iface, []).append(_id(name) + (f" as {_id(alias)}" if alias else ""))
    for iface, names in uses.items():
        lines.append(f"  use {iface}.{{{', '.join(names)}}};")
    for e in d.entities:
        for fn in e.functions:
            if fn.result is None:
                continue
            lines += [f"  resource {_id(e.async_result_type(fn))} {{",
                      "    subscribe: func() -> wasi-io-pollable;",
                      f"    get: func() -> option<{_type(fn.result, aliases)}>;", "  }"]
    for e in d.entities:
        first = [] if d.ephemeral else [Param("worker-name", Primitive("string"))]
        ctor = _params([*first, *e.constructor_params], aliases)
        custom = _params([Param("component-id", _Named("golem-rpc-component-id"))
                          if d.ephemeral else Param("worker-id", _Named("golem-rpc-worker-id")),
                          *e.constructor_params], aliases)
        lines += [f"  resource {_id(e.name)} {{", f"    constructor({ctor});",
                  f"    custom: static func({custom}) -> {_id(e.name)};"]
        for fn in e.functions:
            static = "static " if fn.is_static else ""
            ps = _params(fn.params, aliases)
            res = "" if fn.result is None else f" -> {_type(fn.result, aliases)}"
            lines.append(f"    {_id('blocking-' + fn.name)}: {static}func({ps}){res};")
            fut = "" if fn.result is None else f" -> {_id(e.async_result_type(fn))}"
            lines.append(f"    {_id(fn.name)}: {static}func({ps}){fut};")
            sp = _params([*fn.params, Param("scheduled-for", _Named("wasi-clocks-datetime"))],
                         aliases)
            lines.append(f"    {_id('schedule-' + fn.name)}: {static}func({sp}) -> "
                         f"golem-rpc-cancellation-token;")
        lines.append("  }")
    lines += ["}", "", f"world {_id(d.world)} {{", f"  export {_id(d.interface)};", "}", ""]
    return "\n".join(lines)


class _Named:
    """A type written by name (one of the ``use``d renames)."""

    def __init__(self, name: str) -> None:
        self.name = name


# --- linking: the behaviour of every stub function ------------------------------------


@dataclass(eq=False)
class StubRep:
    """Rep of a stub resource (``WasmRpcEntry`` with payload ``Interface`` or
    ``Resource``): the ``wasm-rpc`` connection, and for a resource stub the remote
    resource's ``(uri, id)``."""

    client: ClientDef
    entity: StubEntity
    connection: Any
    resource: tuple[str, int] | None = None


@dataclass(eq=False)
class StubFutureRep:
    """Rep of a ``future-…-result``: a ``golem:rpc`` ``future-invoke-result``
    underneath (``ResourceType::host::<FutureInvokeResult>``)."""

    future: Any
    stub_function: str
    result: Any


_LINKED: dict[str, ClientDef] = {}
_LINK_LOCK = threading.Lock()
_HANDLE_IDS = itertools.count(1)


def linked() -> dict[str, ClientDef]:
    """The clients :func:`link` registered in this process, by interface id."""
    return dict(_LINKED)


def _rust_str(s: str) -> str:
    """Rust's ``{:?}`` of a string (the escapes the messages contain)."""
    out = s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") \
        .replace("\r", "\\r").replace("\t", "\\t")
    return f'"{out}"'


_CASE_DEBUG = {"protocol-error": "ProtocolError", "denied": "Denied", "not-found": "NotFound",
               "remote-internal-error": "RemoteInternalError"}
_CASE_DISPLAY = {"protocol-error": "Protocol error", "denied": "Denied",
                 "not-found": "Not found", "remote-internal-error": "Remote internal error"}


def _rpc_error_parts(err: Any) -> tuple[str, str]:
    value = err.value if isinstance(err, Err) else err
    if isinstance(value, tuple):
        return value[0], value[1]
    case = getattr(value, "case", None) or type(value).__name__
    return str(case), str(getattr(value, "value", value))


def bindgen_debug(err: Any) -> str:
    """An ``rpc-error`` as wasmtime's bindgen ``Display`` (= ``Debug``) prints it:
    ``RpcError::RemoteInternalError("...")`` — the message of the trap when an
    ``invoke-and-await`` / ``invoke`` of a stub fails (``.await??``)."""
    case, msg = _rpc_error_parts(err)
    return f"RpcError::{_CASE_DEBUG.get(case, case)}({_rust_str(msg)})"


def executor_display(err: Any) -> str:
    """``services::rpc::RpcError``'s ``Display`` (``Remote internal error: ...``)."""
    case, msg = _rpc_error_parts(err)
    return f"{_CASE_DISPLAY.get(case, case)}: {msg}"


class _CallerHandles:
    """Handles seen from the caller: a resource parameter is encoded as a handle of the
    caller (``encode_output`` adds it to the caller's resource store), which the target
    cannot resolve; a handle in a result belongs to the target and cannot be decoded
    (``decode_param``)."""

    def __init__(self, urn: str) -> None:
        self.urn = urn

    def encode(self, value: Any, typ: HandleType, path: str) -> tuple[str, int]:
        return self.urn, next(_HANDLE_IDS)

    def decode(self, uri: str, resource_id: int, typ: HandleType, path: str) -> Any:
        why = ("resource not found" if uri == self.urn
               else "cannot resolve handle belonging to a different worker")
        raise _HandleError(f"in {path} {why}")


class _HandleError(Exception):
    pass


def _world_functions(world: World, interface_id: str) -> dict[str, Function]:
    for wi in world.imports:
        item = wi.item
        if isinstance(item, Interface) and item.qualified_name == interface_id:
            return item.functions
    raise LookupError(interface_id)


#: ``(installed bindings, interface id)`` → ``{stub function: (params, result)}``
_SIGNATURES: dict[tuple[int, str], tuple[Any, dict[str, tuple[list[Param], Any]]]] = {}


def _signatures(d: ClientDef) -> dict[str, tuple[list[Param], Any]]:
    """``(parameters without self, result)`` of every function of the client interface
    in the installed world (their types are the installed world's, so the bindings'
    values convert), cached per installation."""
    from golem_fakes.bindings.install import installed

    inst = installed()
    key = (id(inst), d.interface_id)
    hit = _SIGNATURES.get(key)
    if hit is not None and hit[0] is inst:
        return hit[1]
    from golem_fakes.strategies import current

    try:
        functions = _world_functions(current().world, d.interface_id)
    except LookupError:
        raise Trap(f"{d.interface_id} is linked but the installed world does not import "
                   f"it: add `import {d.interface_id};` to the caller's world (golem-cli "
                   f"does for a `type: wasm-rpc` dependency)", interface=d.interface_id,
                   function="?") from None
    table = {name: ([p for p in fn.params if not (fn.kind == "method" and p.name == "self")],
                    fn.result) for name, fn in functions.items()}
    _SIGNATURES[key] = (inst, table)
    return table


def _signature(d: ClientDef, function: str) -> tuple[list[Param], Any]:
    """``(parameters without self, result)`` of stub function ``function`` (canonical
    name) in the installed world."""
    return _signatures(d)[function]


def link(d: ClientDef) -> None:
    """Register the behaviour of every function of the client interface ``d`` in the
    behaviour registry (replacing an earlier link of the same interface)."""
    with _LINK_LOCK:
        _LINKED[d.interface_id] = d
    iid = d.interface_id
    for e in d.entities:
        for name, impl in _entity_behaviours(d, e).items():
            register(iid, name, impl, replace=True)
        for fn in e.functions:
            if fn.result is None:
                continue
            fut = e.async_result_type(fn)
            for name, impl in _future_behaviours(d, fut).items():
                register(iid, name, impl, replace=True)


def _stub_name(d: ClientDef, resource: str, method: str) -> str:
    """The stub function as Golem's ``ParsedFunctionName`` prints it (in messages)."""
    return f"{d.interface_id}.{{{resource}.{method}}}"


def _entity_behaviours(d: ClientDef, e: StubEntity) -> dict[str, Callable[..., Any]]:
    from golem_fakes.interfaces.golem_rpc import types as rpc

    iid = d.interface_id
    R = e.name
    out: dict[str, Callable[..., Any]] = {}

    def trap(message: str, function: str) -> Trap:
        return Trap(message, interface=iid, function=function)

    if e.owner_interface is None:
        # golem-cli writes no WasmRpcTarget for the world-functions resource: Golem's
        # linker leaves these imports undefined and the caller cannot be instantiated
        def unlinked(function: str) -> Callable[..., Any]:
            def behaviour(env: Any, *args: Any) -> Any:
                raise trap(f"{iid}.{{{R}}}: golem-cli writes no dynamic-linking target for "
                           f"the stub of world-level functions of {d.component} "
                           f"(app_component_dynamic_linking), so Golem's executor does not "
                           f"link it and a component importing it fails to instantiate",
                           function)
            return behaviour

        names = [f"[constructor]{R}", f"[static]{R}.custom"]
        names += [f"[method]{R}.{m}" for fn in e.functions
                  for m in (f"blocking-{fn.name}", fn.name, f"schedule-{fn.name}")]
        return {n: unlinked(n) for n in names}

    site = e.owner_interface

    def resolve_component(env: Any, function: str) -> Any:
        try:
            return env.registry.component(d.component)
        except KeyError:
            raise trap(f"Failed to resolve component {d.component}", function) from None

    def check_target(env: Any, conn: Any, target: str, function: str, what: str) -> None:
        """``find_parsed_function`` in the target component's metadata (its export
        table; the answer is kept per table)."""
        from golem_fakes.rpc.wasm_rpc import RpcFailure, resolve_function
        from golem_fakes.worker.executor import export_table_for

        comp = env.registry.component_by_id(conn.component_id)
        if comp is None:
            raise trap(f"Failed to get component metadata: component {conn.component_id} "
                       f"not found", function)
        table = export_table_for(comp.name)
        key = (comp.name, target)
        if found.get(key) is table:
            return
        try:
            resolve_function(target, comp.name)
        except RpcFailure:
            raise trap(f"{what} {target} not found in component metadata", function) from None
        found[key] = table

    found: dict[tuple[str, str], Any] = {}

    def encode(env: Any, inv: Any, params: tuple[Param, ...], args: tuple[Any, ...],
               rep: StubRep | None, function: str, target: str) -> list[Any]:
        from golem_fakes.rpc.wasm_rpc import worker_urn

        handles = _CallerHandles(worker_urn(inv.worker))
        out = []
        if rep is not None and rep.resource is not None:
            out.append({"nodes": [("handle", ({"value": rep.resource[0]}, rep.resource[1]))]})
        for i, (p, a) in enumerate(zip(params, args), start=1):
            try:
                out.append(to_wit_value(a, p.type, handles))
            except ValueMismatch as err:
                raise trap(f"Encoding parameters of {target}: Failed to encode parameter "
                           f"{i}: {err}", function) from None
        return out

    def decode(value: Any, result: Any, stub: str, target: str, function: str) -> Any:
        if result is None:
            return None
        try:
            return from_wit_value(value, TupleType((result,)),
                                  _CallerHandles(""))[0]
        except (ValueMismatch, _HandleError) as err:
            raise trap(f"In {stub}, decoding result value of remote {target} call: Failed to "
                       f"decode result value 0: {err}", function) from None

    def new_connection(env: Any, inv: Any, component_id: Any, name: str, function: str) -> Any:
        return rpc._open(env, inv, component_id, name, function)

    def worker_id_parts(worker_id: Any) -> tuple[Any, str]:
        from golem_fakes.state.registry import as_uuid

        if isinstance(worker_id, dict):
            return as_uuid(worker_id["component_id"]), worker_id["worker_name"]
        return as_uuid(worker_id.component_id), worker_id.worker_name

    ctor_fn = f"[constructor]{R}"
    custom_fn = f"[static]{R}.custom"

    def connect(env: Any, inv: Any, cid: Any, name: str | None, function: str) -> Any:
        """A ``wasm-rpc`` connection: to worker ``name``, or (ephemeral targets) to a
        fresh, recorded worker name (``generate_unique_local_worker_id``)."""
        if name is None:
            return rpc.wasm_rpc_ephemeral(env, cid)
        return new_connection(env, inv, cid, name, function)

    def construct(env: Any, inv: Any, cid: Any, name: str | None, args: tuple[Any, ...],
                  function: str) -> StubRep:
        conn = connect(env, inv, cid, name, function)
        if e.is_interface_stub:
            return StubRep(d, e, conn)
        target = f"{site}.{{{R}.new}}"
        check_target(env, conn, target, function, "Target constructor")
        sig = _signature(d, function)[0][0 if d.ephemeral and function == ctor_fn else 1:]
        if function == ctor_fn and args:
            # dev.25 (and v1.3.1) ``ResourceStubConstructor`` zips the stub's parameters
            # with the *target constructor's* types (no entry for the worker name) and
            # ``encode_parameters`` skips parameter 0: a durable target gets every
            # argument but the last (each checked against the next one's type), an
            # ephemeral one every argument but the first; the target then rejects the
            # count. ``custom`` inserts its id type and sends them all.
            sig, args = (sig[1:], args[1:]) if d.ephemeral else (sig[1:], args[:-1])
        params = encode(env, inv, sig, args, None, function, target)
        out = rpc.invoke_and_await(env, conn, target, params)
        if isinstance(out, Err):
            raise trap(bindgen_debug(out), function)
        nodes = out.value["nodes"] if isinstance(out.value, dict) else out.value.nodes
        from golem_fakes.rpc.values import node_case

        root = node_case(nodes[0])
        if root[0] != "tuple-value" or len(root[1]) != 1 or \
                node_case(nodes[root[1][0]])[0] != "handle":
            raise trap(f"Unwrapping constructor result of {iid}.{{{R}.new}}: Invalid "
                       f"constructor result: a tuple with a single handle expected, got "
                       f"{root[0]}", function)
        uri, rid = node_case(nodes[root[1][0]])[1]
        uri = uri["value"] if isinstance(uri, dict) else uri.value
        # dev.25: a second connection keeps the resource (for an ephemeral target: to a
        # second fresh worker name); the first one is removed from the table without
        # finishing its span
        conn2 = connect(env, inv, cid, name, function)
        return StubRep(d, e, conn2, (uri, rid))

    def constructor(env: Any, *args: Any) -> StubRep:
        inv = rpc._ctx(env, ctor_fn)
        comp = resolve_component(env, ctor_fn)
        if d.ephemeral:
            return construct(env, inv, comp.component_id, None, args, ctor_fn)
        return construct(env, inv, comp.component_id, args[0], args[1:], ctor_fn)

    def custom(env: Any, target_id: Any, *args: Any) -> StubRep:
        inv = rpc._ctx(env, custom_fn)
        if d.ephemeral:
            from golem_fakes.state.registry import as_uuid

            return construct(env, inv, as_uuid(target_id), None, args, custom_fn)
        cid, name = worker_id_parts(target_id)
        return construct(env, inv, cid, name, args, custom_fn)

    out[ctor_fn] = constructor
    out[custom_fn] = custom

    for fn in e.functions:
        out.update(_function_behaviours(d, e, fn, trap, check_target, encode, decode))

    def drop(env: Any, rep: StubRep) -> None:
        """``drop_linked_resource``: a resource stub invokes the remote ``{R.drop}``
        (its rpc-error ignored), then the connection's span is finished."""
        from golem_fakes.state.invocation import current_invocation

        inv = current_invocation.get()
        if rep.resource is not None and inv is not None and inv.golem is env:
            handle = {"nodes": [("handle", ({"value": rep.resource[0]}, rep.resource[1]))]}
            rpc.invoke_and_await(env, rep.connection, f"{site}.{{{R}.drop}}", [handle])
        rpc.wasm_rpc_drop(env, rep.connection)

    out[f"[resource-drop]{R}"] = drop
    return out


def _function_behaviours(d: ClientDef, e: StubEntity, fn: StubFunction, trap: Any,
                         check_target: Any, encode: Any, decode: Any
                         ) -> dict[str, Callable[..., Any]]:
    from golem_fakes.interfaces.golem_rpc import types as rpc

    R = e.name
    site = e.owner_interface
    target = f"{site}.{{{fn.name}}}" if e.is_interface_stub else f"{site}.{{{R}.{fn.name}}}"
    prefix = f"[static]{R}." if fn.is_static else f"[method]{R}."
    blocking, asynchronous, schedule = (prefix + f"blocking-{fn.name}", prefix + fn.name,
                                        prefix + f"schedule-{fn.name}")
    out: dict[str, Callable[..., Any]] = {}

    if fn.is_static:
        # ``dynamic_function_call`` takes params[0] as the stub's handle
        def static(env: Any, *args: Any) -> Any:
            raise trap(f"Invalid parameter for {d.interface_id}.{{[static]{R}.{fn.name}}} - it "
                       f"must be a resource handle but it is "
                       f"{args[0] if args else None!r}", prefix + fn.name)

        return {blocking: static, asynchronous: static, schedule: static}

    def begin(env: Any, rep: StubRep, args: tuple[Any, ...], function: str) -> tuple[Any, list[Any]]:
        inv = rpc._ctx(env, function)
        check_target(env, rep.connection, target, function, "Target function")
        params = _signature(d, function)[0][:len(fn.params)]   # schedule-: without when
        return inv, encode(env, inv, params, args, rep, function, target)

    def blocking_call(env: Any, rep: StubRep, *args: Any) -> Any:
        inv, params = begin(env, rep, args, blocking)
        out = rpc.invoke_and_await(env, rep.connection, target, params)
        if isinstance(out, Err):
            raise trap(bindgen_debug(out), blocking)
        return decode(out.value, _signature(d, blocking)[1],
                      _stub_name(d, R, f"blocking-{fn.name}"), target, blocking)

    blocking_call.__doc__ = f"``invoke-and-await({target!r}, ...)``; an rpc-error traps."
    out[blocking] = blocking_call

    if fn.result is None:
        def fire(env: Any, rep: StubRep, *args: Any) -> None:
            inv, params = begin(env, rep, args, asynchronous)
            res = rpc.invoke(env, rep.connection, target, params)
            if isinstance(res, Err):
                raise trap(bindgen_debug(res), asynchronous)

        fire.__doc__ = f"``invoke({target!r}, ...)`` (fire and forget); an rpc-error traps."
        out[asynchronous] = fire
    else:
        fut_name = e.async_result_type(fn)

        def async_call(env: Any, rep: StubRep, *args: Any) -> StubFutureRep:
            inv, params = begin(env, rep, args, asynchronous)
            fut = rpc.async_invoke_and_await(env, rep.connection, target, params)
            option = _signature(d, f"[method]{fut_name}.get")[1]
            return StubFutureRep(fut, _stub_name(d, fut_name, "get"), resolve_type(option).inner)

        async_call.__doc__ = f"``async-invoke-and-await({target!r}, ...)``."
        out[asynchronous] = async_call

    def schedule_call(env: Any, rep: StubRep, *args: Any) -> Any:
        *rest, when = args
        inv, params = begin(env, rep, tuple(rest), schedule)
        return rpc.schedule_cancelable_invocation(env, rep.connection, when, target, params)

    schedule_call.__doc__ = f"``schedule-cancelable-invocation(when, {target!r}, ...)``."
    out[schedule] = schedule_call
    return out


def _future_behaviours(d: ClientDef, name: str) -> dict[str, Callable[..., Any]]:
    from golem_fakes.interfaces.golem_rpc import types as rpc

    iid = d.interface_id
    get_fn = f"[method]{name}.get"

    def subscribe(env: Any, rep: StubFutureRep) -> Any:
        """The ``future-invoke-result``'s pollable."""
        return rpc.future_subscribe(env, rep.future)

    def get(env: Any, rep: StubFutureRep) -> Any:
        """``none`` while pending, ``some(v)`` once; an rpc-error traps ``RPC invocation
        of <stub fn> failed with: <error>``."""
        value = rpc.future_get(env, rep.future)
        if value is None:
            return None
        if isinstance(value, Err):
            raise Trap(f"RPC invocation of {rep.stub_function} failed with: "
                       f"{executor_display(value)}", interface=iid, function=get_fn)
        wit = value.value if isinstance(value, Ok) else value
        nodes = wit["nodes"] if isinstance(wit, dict) else wit.nodes
        from golem_fakes.rpc.values import node_case

        root = node_case(nodes[0])
        if root[0] != "tuple-value" or len(root[1]) != 1:
            raise Trap(f"Invalid future invoke result value in {rep.stub_function} - expected "
                       f"a tuple with a single item, got {root[0]}", interface=iid,
                       function=get_fn)
        try:
            return from_wit_value(wit, TupleType((rep.result,)), _CallerHandles(""))[0]
        except (ValueMismatch, _HandleError) as err:
            raise Trap(f"In {rep.stub_function}, decoding the result value: {err}",
                       interface=iid, function=get_fn) from None

    def drop(env: Any, rep: StubFutureRep) -> None:
        """The linker's drop of a ``future-…-result`` does nothing."""
        del rep

    return {f"[method]{name}.subscribe": subscribe, get_fn: get,
            f"[resource-drop]{name}": drop}
