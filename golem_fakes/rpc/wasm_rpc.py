"""The worker-to-worker RPC runtime behind ``golem:rpc/types@0.2.2`` (semantics
``golem-rpc-rdbms-semantics.md`` §1; behaviour module
:mod:`golem_fakes.interfaces.golem_rpc.types`).

A call runs the target worker's real code: the target is a worker of a component of the
same :class:`~golem_fakes.Golem` (``golem.add_component(name, code=..., path=...)``),
found by its component id and worker name, created with the caller's args, env and
config on first use (§1.3), and invoked by export name through the executor
(:mod:`golem_fakes.worker.executor`): its own queue (one invocation at a time), its own
idempotency-key cache (a call re-executed after a crash of the caller is answered from
it, §1.10), its own oplog, crash and retry behaviour. Parameters are decoded on the
target side against the export's WIT parameter types with exact node kinds
(:func:`golem_fakes.rpc.values.from_wit_value`); results come back as
``tuple-value([result])`` or ``record-value([])`` (§1.5).

Two behaviours are offered where Golem's versions differ (§1.17); the default is
``"dev.25"``, the implementation that shipped with the shared WIT
(``golem-worker-executor/src/durable_host/wasm_rpc/mod.rs`` at v1.3.0-dev.25):

===================  ===========================================  =========================================
topic                ``"dev.25"`` (default)                        ``"v1.3.1"``
===================  ===========================================  =========================================
constructor          lazy: the target is made at the first call    eager: made in the constructor, failure traps
self call            :class:`~golem_fakes.state.promises.Deadlock`  trap ``RPC calls to the same agent are not supported``
name enrichment      only unparseable names                        also ``iface.{f}`` (root package prefixed)
===================  ===========================================  =========================================

Set it with ``rpc_settings(golem).version = "v1.3.1"``. v1.3.1's retry-before-error
(a caller trap-and-retry on an ``rpc-error``) is not modelled: errors are returned at
once, as in dev.25.

Fake-only limits: every component of one process shares the one installed WIT world
(golem-fakes installs one world per process), so a target's exports are the installed
world's exports, with the target component's own code — or, when the world unites an
application's components (generated clients, :mod:`golem_fakes.rpc.stubgen`), the
component's own part of them (:func:`golem_fakes.worker.executor.set_component_exports`); the scheduler fires on virtual
clock movements (``golem.clock.advance`` / ``set`` / time skipped by a blocked poll),
at Golem's 2-second ticks.
"""

from __future__ import annotations

import re
import threading
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable

from golem_fakes.bindings.result import Err, Ok
from golem_fakes.bindings.runtime import Trap
from golem_fakes.rpc.values import ValueMismatch, from_wit_value, node_case, to_wit_value
from golem_fakes.state.durability import Abort
from golem_fakes.wit.model import Function, HandleType, Interface, Resource, TupleType

if TYPE_CHECKING:  # pragma: no cover
    from golem_fakes.state.golem import Golem
    from golem_fakes.state.registry import Worker

__all__ = ["RPC", "RpcSettings", "rpc_settings", "RpcFailure", "worker_urn", "plain_wit_value",
           "resolve_function", "call_target", "TargetCall", "ScheduledAction", "Scheduler",
           "check_tree", "clock_moved", "scheduler", "VERSIONS", "SELF_CALL", "CONSUMED", "REFRESH_INTERVAL_MS"]

RPC = "golem:rpc/types@0.2.2"
VERSIONS = ("dev.25", "v1.3.1")
#: v1.3.1's self-call trap (commit "Fail early on self-rpc (#2177)", §1.12).
SELF_CALL = "RPC calls to the same agent are not supported"
#: ``future-invoke-result.get`` after the result was handed out (§1.7).
CONSUMED = "future-invoke-result already consumed"
#: the scheduler's ``refresh_interval`` default (``SchedulerConfig``, §1.15).
REFRESH_INTERVAL_MS = 2000
_HOUR_MS = 3_600_000


@dataclass
class RpcSettings:
    """Per-Golem RPC settings and state (:func:`rpc_settings`)."""

    #: ``"dev.25"`` (default) or ``"v1.3.1"``: see the module docstring.
    version: str = "dev.25"
    scheduler: "Scheduler | None" = None

    def __post_init__(self) -> None:
        if self.version not in VERSIONS:
            raise ValueError(f"rpc version must be one of {VERSIONS}, got {self.version!r}")


_SETTINGS_LOCK = threading.Lock()


def rpc_settings(golem: "Golem") -> RpcSettings:
    """The :class:`RpcSettings` of ``golem`` (made on first use)."""
    s = golem.__dict__.get("_rpc_settings")
    if s is None:
        with _SETTINGS_LOCK:
            s = golem.__dict__.get("_rpc_settings")
            if s is None:
                s = golem.__dict__["_rpc_settings"] = RpcSettings()
    if s.version not in VERSIONS:
        raise ValueError(f"rpc_settings(golem).version must be one of {VERSIONS}, got "
                         f"{s.version!r}")
    return s


class RpcFailure(Exception):
    """An ``rpc-error`` (``case`` one of ``protocol-error``, ``denied``, ``not-found``,
    ``remote-internal-error``) with its message."""

    def __init__(self, case: str, message: str) -> None:
        super().__init__(f"{case}: {message}")
        self.case = case
        self.message = message

    def value(self) -> tuple[str, str]:
        """The ``rpc-error`` as the bindings accept it."""
        return (self.case, self.message)


def worker_urn(worker: "Worker") -> str:
    """``urn:worker:<component uuid>/<worker name>`` (``WorkerId::to_worker_urn``, §1.1)."""
    return f"urn:worker:{worker.component.component_id}/{worker.name}"


def plain_wit_value(v: Any) -> dict[str, Any]:
    """A ``wit-value`` (generated classes or plain form) as plain data that compares by
    value: ``{"nodes": [(case, payload), ...]}``, results as ``Ok(i)``/``Err(i)``, lists as tuples, handles as ``({"value": uri}, id)``. Used for oplog requests and for
    sending (Golem re-encodes every parameter, §1.4)."""
    nodes = v["nodes"] if isinstance(v, dict) else getattr(v, "nodes")
    out: list[Any] = []
    for n in nodes:
        case, payload = node_case(n)
        if case == "handle":
            uri, rid = payload
            payload = ({"value": uri["value"] if isinstance(uri, dict) else uri.value}, rid)
        elif case in ("record-value", "tuple-value", "list-value", "flags-value"):
            payload = tuple(payload)
        elif case == "variant-value":
            payload = tuple(payload)
        elif case == "result-value":
            payload = Ok(payload.value) if isinstance(payload, Ok) else Err(payload.value)
        out.append((case, payload))
    return {"nodes": out}


def check_tree(v: dict[str, Any]) -> str | None:
    """Why the plain ``wit-value`` ``v`` cannot be converted to Golem's value tree
    (``From<WitValue> for Value``, §2.1: an empty list fails an assertion, an index out
    of range panics, a cycle recurses without end), or ``None``. Any acyclic layout is
    accepted."""
    nodes = v["nodes"]
    if not nodes:
        return "assertion failed: !value.nodes.is_empty() (an empty wit-value)"
    state = [0] * len(nodes)  # 0 new, 1 on the path, 2 done
    stack: list[tuple[int, int]] = [(0, 0)]
    while stack:
        i, pos = stack.pop()
        if pos == 0:
            if state[i] == 1:
                return f"node {i} of the wit-value contains itself (a cycle of node indices)"
            if state[i] == 2:
                continue
            state[i] = 1
        kids = _children(nodes[i])
        if pos < len(kids):
            stack.append((i, pos + 1))
            k = kids[pos]
            if not isinstance(k, int) or not 0 <= k < len(nodes):
                return (f"index out of bounds: the len is {len(nodes)} but the index is {k} "
                        f"(child of node {i} of the wit-value)")
            if state[k] == 1:
                return f"node {k} of the wit-value contains itself (a cycle of node indices)"
            if state[k] == 0:
                stack.append((k, 0))
        else:
            state[i] = 2
    return None


def _children(node: tuple[str, Any]) -> list[Any]:
    case, v = node
    if case in ("record-value", "tuple-value", "list-value"):
        return list(v)
    if case == "variant-value":
        return [] if v[1] is None else [v[1]]
    if case == "option-value":
        return [] if v is None else [v]
    if case == "result-value":
        return [] if v.value is None else [v.value]
    return []


# --- export lookup (§1.2) -------------------------------------------------------------

_IDENT = r"[A-Za-z0-9-]+"
_NAME = re.compile(rf"^(?:({_IDENT}):({_IDENT})/)?({_IDENT})(?:@([0-9A-Za-z.+-]+))?\.\{{(.+)\}}$")
_BARE = re.compile(rf"^{_IDENT}$")
_FUNCTION_FORMS = (
    re.compile(rf"^{_IDENT}\.new$"), re.compile(rf"^\[constructor\]{_IDENT}$"),
    re.compile(rf"^{_IDENT}\.drop$"), re.compile(rf"^\[drop\]{_IDENT}$"),
    re.compile(rf"^(?:\[method\]|\[static\])?{_IDENT}\.{_IDENT}$"), re.compile(rf"^{_IDENT}$"),
)


def parses(name: str) -> bool:
    """Whether Golem's Rib function-name parser accepts ``name`` (grammar of §1.2)."""
    if _BARE.match(name):
        return True
    m = _NAME.match(name)
    return m is not None and any(f.match(m.group(5)) for f in _FUNCTION_FORMS)


def _root_package() -> tuple[str, str | None] | None:
    from golem_fakes.strategies import current

    pkg = current().world.package
    if pkg is None:
        return None
    n = pkg.name
    return f"{n.namespace}:{n.name}", n.version


def enrich(name: str, version: str) -> str:
    """``enrich_function_name`` (RPC-SVC, §1.2): dev.25 prefixes the target's root
    package only to names that do not parse; v1.3.1 also to ``iface.{f}`` names. The
    version is inserted after the first ``.``-separated segment. The original name if
    that does not give a parseable one."""
    m = _NAME.match(name)
    needs = not parses(name) or (version == "v1.3.1" and m is not None and m.group(1) is None)
    if not needs:
        return name
    root = _root_package()
    if root is None:
        return name
    pkg, ver = root
    head, dot, rest = name.partition(".")
    candidate = f"{pkg}/{head}@{ver}{dot}{rest}" if ver and dot else f"{pkg}/{name}"
    return candidate if parses(candidate) else name


def resolve_function(name: str, component: str | None = None) -> Any:
    """The :class:`~golem_fakes.bindings.exports.ExportFunction` Golem's target finds for
    ``name`` (INVOKE §find_function): the full ``ns:pkg/iface@ver.{fn}`` forms (the
    version required for a versioned package; method names fall back to a static
    function), or a bare identifier for a world-level export. :class:`RpcFailure`
    (``remote-internal-error``, an invalid request) otherwise. ``component``: the
    target component (its own exports, :func:`~golem_fakes.worker.executor.export_table_for`)."""
    from golem_fakes.worker.executor import export_table_or_error

    table = export_table_or_error(component)
    if _BARE.match(name):
        for f in table.functions:
            if f.interface is None and f.function == name:
                return f
        raise RpcFailure("remote-internal-error",
                         f"Invalid request: could not load function {name}")
    m = _NAME.match(name)
    if m is None or not parses(name):
        raise RpcFailure("remote-internal-error", f"Invalid request: Invalid function name {name}")
    hit = table._parse_lookup(name)
    if hit is None:
        ns, pkg, iface, ver, _ = m.groups()
        site = (f"{ns}:{pkg}/{iface}" if ns else iface) + (f"@{ver}" if ver else "")
        known = {f.interface for f in table.functions if f.interface is not None}
        if site in known:
            raise RpcFailure("remote-internal-error",
                             f"Invalid request: could not load function {m.group(5)} of "
                             f"interface {site}")
        raise RpcFailure("remote-internal-error",
                         f"Invalid request: could not load exports for interface {site}")
    return hit


_TYPES: dict[int, dict[tuple[str | None, str], tuple[list[Any], Any]]] = {}
_TYPES_LOCK = threading.Lock()


def export_types(export: Any) -> tuple[list[Any], Any]:
    """``(parameter types, result type or None)`` of an export (a method's first
    parameter is its ``borrow`` handle, a constructor returns ``own``; a drop takes the
    ``own`` handle)."""
    from golem_fakes.strategies import current

    ws = current()
    world = ws.world
    with _TYPES_LOCK:
        table = _TYPES.get(id(world))
        if table is None or table.get(("#world", "")) != (world, None):  # type: ignore[comparison-overlap]
            table = {("#world", ""): (world, None)}  # type: ignore[dict-item]
            for wi in world.exports:
                item = wi.item
                if isinstance(item, Function):
                    table[(None, item.name)] = ([p.type for p in item.params], item.result)
                    continue
                if not isinstance(item, Interface):
                    continue
                site = item.qualified_name if item.package is not None and item.name is not None \
                    else wi.key
                for fn in item.functions.values():
                    table[(site, fn.name)] = ([p.type for p in fn.params], fn.result)
                for td in item.types.values():
                    if not isinstance(td.kind, Resource) or td.owner is not item:
                        continue
                    for fn in td.resource_functions():
                        params = [p.type for p in fn.params
                                  if not (fn.kind == "method" and p.name == "self")]
                        if fn.kind == "method":
                            params = [HandleType(td, "borrow"), *params]
                        result = HandleType(td, "own") if fn.kind == "constructor" else fn.result
                        table[(site, fn.name)] = (params, result)
                    table[(site, f"[drop]{td.name}")] = ([HandleType(td, "own")], None)
            _TYPES.clear()
            _TYPES[id(world)] = table
    return table[(export.interface, export.function)]


class _TargetHandles:
    """Resource handles of the target worker (§2.3): ``handle(uri = the target's urn,
    id)``; a handle of another worker cannot be resolved."""

    def __init__(self, urn: str) -> None:
        self.urn = urn

    def encode(self, value: Any, typ: HandleType, path: str) -> tuple[str, int]:
        from golem_fakes.bindings.exports import ExportedResource

        if not isinstance(value, ExportedResource):
            raise ValueMismatch(path, "handle", type(value).__name__)
        return self.urn, value.id

    def decode(self, uri: str, resource_id: int, typ: HandleType, path: str) -> Any:
        from golem_fakes.bindings.exports import ExportedResource

        if uri != self.urn:
            raise ValueMismatch(path, typ.resource.name, "handle",
                                f"cannot resolve handle belonging to a different worker "
                                f"({uri}; this is {self.urn})")
        owner = getattr(typ.resource.owner, "qualified_name", None)
        return ExportedResource(f"{owner}#{typ.resource.name}", resource_id)


# --- targets --------------------------------------------------------------------------


def find_target(golem: "Golem", component_id: uuid.UUID, name: str, caller: "Worker | None",
                *, scheduled: bool = False) -> "Worker":
    """The target worker, created if missing as ``get_or_create_worker_metadata`` does
    (§1.3): the latest component version; the caller's args, env (its creation env and
    its component's env; the target's own component env and ``GOLEM_*`` values come on
    top) and config. A scheduled invocation creates it with nothing from the caller
    (§1.15). :class:`RpcFailure` (``remote-internal-error``) for an unknown component."""
    from golem_fakes.state.registry import RESERVED_ENV

    comp = golem.registry.component_by_id(component_id)
    if comp is None:
        raise RpcFailure("remote-internal-error",
                         f"Failed to get component metadata: component {component_id} not found "
                         f"(golem-fakes knows {sorted(c.name for c in _components(golem))}; add "
                         f"the target with golem.add_component(name, code=..., path=...))")
    w = golem.registry.find(comp, name)
    if w is not None:
        return w
    if caller is None or scheduled:
        return golem.registry.find_or_add(comp, name)
    env = [(k, v) for k, v in caller.metadata_env(golem_env=False) if k not in RESERVED_ENV]
    try:
        return golem.add_worker(comp, name, args=list(caller.args), env=env,
                                config=dict(caller.config))
    except ValueError:  # created meanwhile by another thread
        return golem.registry.get(comp, name)


def _components(golem: "Golem") -> list[Any]:
    return list(golem.registry._by_id.values())


@dataclass
class TargetCall:
    """One call sent to a target: what to invoke, its idempotency key and, once run, its
    outcome (``Ok(wrapped wit-value)`` or :class:`RpcFailure`)."""

    golem: "Golem"
    target: "Worker"
    function_name: str
    params: list[dict[str, Any]]
    key: str
    handle: Any = None
    outcome: Any = None
    export: Any = None
    done: bool = False

    def start(self) -> None:
        """Decode the parameters for the export and queue the invocation on the target
        (nothing runs yet). A failure to find or decode makes the call done with that
        ``rpc-error`` (an invalid request: the target is not touched)."""
        try:
            export = resolve_function(self.function_name, self.target.component.name)
            types, _ = export_types(export)
            if len(types) != len(self.params):
                raise RpcFailure("remote-internal-error",
                                 f"Invalid request: Parameter type mismatch: expected "
                                 f"{len(types)}, got {len(self.params)} parameters")
            handles = _TargetHandles(worker_urn(self.target))
            args = []
            for i, (p, t) in enumerate(zip(self.params, types)):
                try:
                    args.append(from_wit_value(p, t, handles))
                except ValueMismatch as e:
                    raise RpcFailure("remote-internal-error",
                                     f"Invalid request: Parameter type mismatch: parameter "
                                     f"{i}: {e}") from None
                except Abort as e:
                    raise RpcFailure("remote-internal-error",
                                     f"Invalid request: malformed wit-value of parameter {i}: "
                                     f"{e}") from None
            self.export = export
            self.handle = self.golem.enqueue(self.target.component, self.target.name,
                                             export.name, *args, idempotency_key=self.key)
        except RpcFailure as f:
            self._finish(f)
        except Exception as e:  # no code, unknown handle (InvalidArgument), ...
            self._finish(RpcFailure("remote-internal-error", f"Invalid request: {e}"))

    def blocked(self) -> bool:
        """Whether awaiting the call now would wait for ever: the target is running an
        invocation this one waits on (the caller itself, or a cycle), or its queue is
        held by another running invocation (§1.12)."""
        from golem_fakes.state.promises import Deadlock
        from golem_fakes.worker.executor import check_not_running

        if self.done or self.handle is None or self.handle.done:
            return False
        try:
            check_not_running(self.golem, self.target.component, self.target.name)
        except Deadlock:
            return True
        return self.golem.runtime(self.target).queue.lock.locked()

    def run(self) -> None:
        """Await the target's invocation (it runs now, behind whatever was queued
        before it) and convert its outcome. A :class:`Deadlock` (a self call or a
        cycle, dev.25) propagates: Golem would wait for ever."""
        if self.done:
            return
        from golem_fakes.state.promises import Deadlock

        export = self.export
        try:
            value = self.handle.result()
        except Err as e:
            if type(e) is not Err or not export.returns_result:
                self._finish(RpcFailure("remote-internal-error", f"Component trapped: {e}"))
                return
            value = e
        except Deadlock:
            raise
        except Trap as t:
            self._finish(RpcFailure("remote-internal-error", f"Component trapped: {t}"))
            return
        except Exception as e:  # rejected (failed worker), divergence of the target, ...
            self._finish(RpcFailure("remote-internal-error", f"{type(e).__name__}: {e}"))
            return
        self._finish(self.wrap(value))

    def wrap(self, value: Any) -> Any:
        """``tuple-value([result])`` or, without a result type, ``record-value([])``
        (§1.5 "Temporary wrapping of the WitValue in a tuple")."""
        _, result = export_types(self.export)
        if result is None:
            return Ok({"nodes": [("record-value", [])]})
        if self.export.returns_result and not isinstance(value, (Ok, Err)):
            value = Ok(value)
        try:
            return Ok(to_wit_value((value,), TupleType((result,)),
                                   _TargetHandles(worker_urn(self.target))))
        except ValueMismatch as e:  # pragma: no cover - the export glue lowered it already
            return RpcFailure("remote-internal-error", f"Runtime error: {e}")

    def _finish(self, outcome: Any) -> None:
        self.outcome, self.done = outcome, True


def call_target(golem: "Golem", target: "Worker", function_name: str,
                params: list[dict[str, Any]], key: str) -> Any:
    """``invoke-and-await`` on the target: ``Ok(wrapped wit-value)`` or
    :class:`RpcFailure`."""
    call = TargetCall(golem, target, function_name, params, key)
    call.start()
    call.run()
    return call.outcome


# --- scheduling (§1.8, §1.15) ---------------------------------------------------------


@dataclass
class ScheduledAction:
    """``ScheduledAction::Invoke``: the target, the key derived at scheduling time, the
    function name as given (no enrichment), the parameters, the time (epoch ms)."""

    id: str
    target: tuple[uuid.UUID, str]
    key: str
    function_name: str
    params: list[dict[str, Any]]
    at_ms: int
    scheduled_ms: int
    #: ``"pending"``, ``"fired"``, ``"cancelled"`` or ``"lost"`` (older than the previous
    #: hour at the first tick: never executed, stays in storage, §1.15)
    state: str = "pending"
    #: the outcome once run: ``Ok(...)`` or :class:`RpcFailure` (Golem only logs it)
    outcome: Any = None
    call: TargetCall | None = field(default=None, repr=False)


class Scheduler:
    """``SchedulerServiceDefault`` of one Golem (§1.15): actions in millisecond
    wall-clock time, executed at ticks every :data:`REFRESH_INTERVAL_MS` of the virtual
    wall clock (each tick runs the previous hour bucket and the current one up to now;
    an action older than the previous hour at its first tick is never executed). The
    fake ticks when its clock moves (:meth:`on_clock`)."""

    def __init__(self, golem: "Golem") -> None:
        self.golem = golem
        self.actions: list[ScheduledAction] = []
        #: fired actions whose target was busy: run when it is free
        self.waiting: list[ScheduledAction] = []
        #: fire-and-forget calls (``invoke``) whose target was busy
        self.calls: list[TargetCall] = []
        self._busy = False
        self._draining = False
        self._last_tick = (golem.clock.wall_ms() // REFRESH_INTERVAL_MS) * REFRESH_INTERVAL_MS
        self._lock = threading.RLock()
        hooks = golem.clock.on_move
        if clock_moved not in hooks:
            hooks.append(clock_moved)

    def schedule(self, action: ScheduledAction) -> None:
        with self._lock:
            self.actions.append(action)

    def cancel(self, action_id: str) -> None:
        """Remove a pending action; a silent no-op otherwise (§1.8)."""
        with self._lock:
            for a in self.actions:
                if a.id == action_id and a.state == "pending":
                    a.state = "cancelled"

    def pending(self) -> list[ScheduledAction]:
        return [a for a in self.actions if a.state == "pending"]

    def on_clock(self) -> None:
        """Process the ticks between the last one and the clock's wall time now."""
        with self._lock:
            if self._busy:
                return
            self._busy = True
            try:
                now = self.golem.clock.wall_ms()
                tick = (now // REFRESH_INTERVAL_MS) * REFRESH_INTERVAL_MS
                if tick > self._last_tick:
                    self._fire_until(tick)
                    self._last_tick = tick
            finally:
                self._busy = False
        self.drain()

    def _fire_until(self, tick: int) -> None:
        due: list[tuple[int, int, ScheduledAction]] = []
        for n, a in enumerate(self.actions):
            if a.state != "pending":
                continue
            first = max(a.at_ms, a.scheduled_ms + 1)
            first_tick = -(-first // REFRESH_INTERVAL_MS) * REFRESH_INTERVAL_MS
            first_tick = max(first_tick, self._last_tick + REFRESH_INTERVAL_MS)
            if first_tick > tick:
                continue
            if a.at_ms // _HOUR_MS < first_tick // _HOUR_MS - 1:
                a.state = "lost"
                continue
            due.append((first_tick, n, a))
        for _, _, a in sorted(due, key=lambda x: (x[0], x[1])):
            a.state = "fired"
            self._start(a)

    def _start(self, a: ScheduledAction) -> None:
        g = self.golem

        def go() -> None:
            try:
                target = find_target(g, a.target[0], a.target[1], None, scheduled=True)
            except RpcFailure as f:
                a.outcome = f
                return
            call = a.call = TargetCall(g, target, a.function_name, a.params, a.key)
            call.start()
            if call.done:
                a.outcome = call.outcome
                return
            self.waiting.append(a)

        go()

    def background(self, call: TargetCall) -> None:
        """A fire-and-forget call (``invoke``, §1.6) queued on its target: run now if the
        target is free, else when it is (:meth:`drain`)."""
        with self._lock:
            self.calls.append(call)
        self.drain()

    def drain(self) -> None:
        """Run the queued background calls whose target is free now (in the current
        context, so that a cycle back to a running worker is seen as one and waits)."""
        with self._lock:
            if self._draining:
                return
            self._draining = True
            try:
                self._drain()
            finally:
                self._draining = False

    def _drain(self) -> None:
        from golem_fakes.state.promises import Deadlock

        for a in list(self.waiting):
            call = a.call
            assert call is not None
            if not call.blocked():
                self.waiting.remove(a)
                try:
                    call.run()
                except Deadlock as e:  # only logged, as Golem's scheduler does
                    call._finish(RpcFailure("remote-internal-error", str(e)))
                a.outcome = call.outcome
        for call in list(self.calls):
            if not call.blocked():
                self.calls.remove(call)
                try:
                    call.run()
                except Deadlock as e:  # never reported to the caller of invoke (§1.6)
                    call._finish(RpcFailure("remote-internal-error", str(e)))


def clock_moved(clock: Any) -> None:
    """The clock hook (``VirtualClock.on_move``): tick the scheduler of the clock's Golem."""
    g = clock.golem
    s = g.__dict__.get("_rpc_settings") if g is not None else None
    if s is not None and s.scheduler is not None:
        s.scheduler.on_clock()


def scheduler(golem: "Golem") -> Scheduler:
    """The Golem's :class:`Scheduler` (made on first use)."""
    s = rpc_settings(golem)
    if s.scheduler is None:
        with _SETTINGS_LOCK:
            if s.scheduler is None:
                s.scheduler = Scheduler(golem)
    return s.scheduler
