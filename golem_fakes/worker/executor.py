"""The executor side of an invocation: queue, idempotency, export by name, final traps.

Golem's executor runs a worker's pending invocations one at a time in arrival order
(``golem-worker-executor/src/worker/invocation_loop.rs``), answers an invocation whose
idempotency key already completed with the recorded result instead of running it again
(``lookup_invocation_result``, ``golem-host-semantics.md`` §7.2), and invokes an export
of the worker's own instance. :func:`enqueue` is ``Golem.enqueue``; ``Golem.invoke`` is
``enqueue(...).result()``.

Threads: the first caller to await a handle runs every invocation queued before its own
(in arrival order, under the worker's lock), so an invocation may run in another
caller's thread; its result or exception is kept on its handle either way.
"""

from __future__ import annotations

import asyncio.events as _asyncio_events
import collections
import datetime as _dt
import threading
from typing import TYPE_CHECKING, Any, Callable, Iterable

from golem_fakes.state.invocation import current_invocation

if TYPE_CHECKING:  # pragma: no cover
    from golem_fakes.state.golem import Golem
    from golem_fakes.state.invocation import Invocation, WorkerRuntime
    from golem_fakes.state.registry import Worker
    from golem_fakes.worker.instance import WorkerInstance

__all__ = ["InvocationHandle", "enqueue", "execute", "settle", "conclude_lost", "required_classes",
           "export_table_or_error", "export_table_for", "set_component_exports",
           "component_exports"]


#: component name → the export sites of the component's own world (an interface's
#: qualified name, ``""`` for the world-level functions), set when the installed world
#: unites the worlds of several components of one application
#: (:func:`set_component_exports`; the golem pytest plugin does, from golem.yaml). A
#: component not in it has every export of the installed world.
_COMPONENT_EXPORTS: dict[str, frozenset[str]] = {}
_FILTERED: dict[tuple[int, str], Any] = {}
_FILTERED_LOCK = threading.Lock()


def set_component_exports(mapping: dict[str, Iterable[str]]) -> None:
    """Which exports of the installed world each component has (``{"shop:cart":
    {"shop:cart/shop-cart-api"}}``; ``""`` for world-level functions). golem-fakes
    installs one world per process; for an application whose components export
    different interfaces it installs the union of their worlds, and each component
    then has only its own exports: its code must define only their classes, and an
    invocation (or an RPC call) of another component's export is unknown to it, as in
    Golem where each component is built from its own world. Replaces the mapping."""
    with _FILTERED_LOCK:
        _COMPONENT_EXPORTS.clear()
        _COMPONENT_EXPORTS.update({k: frozenset(v) for k, v in mapping.items()})
        _FILTERED.clear()


def component_exports() -> dict[str, frozenset[str]]:
    """A copy of the mapping :func:`set_component_exports` set."""
    return dict(_COMPONENT_EXPORTS)


def export_table_for(component: str | None) -> Any:
    """The installed world's export table as component ``component`` has it: only its
    own exports when :func:`set_component_exports` names it, else all of them."""
    from golem_fakes.bindings.exports import ExportTable, export_table

    table = export_table()
    sites = _COMPONENT_EXPORTS.get(component) if component is not None else None
    if sites is None:
        return table
    key = (id(table), component)
    hit = _FILTERED.get(key)
    if hit is not None and hit[0] is table:
        return hit[1]
    fns = [f for f in table.functions if (f.interface or "") in sites]
    used = {(f.class_module, f.class_name) for f in fns}
    classes = [c for c in table.classes() if (c.module, c.name) in used]
    ifaces = [(k, v) for k, v in table._interfaces.items() if k in sites]
    sub = ExportTable(fns, classes, ifaces)
    with _FILTERED_LOCK:
        _FILTERED[key] = (table, sub)
    return sub


def required_classes(component: str | None = None) -> list[tuple[str | None, str, str]]:
    """The export classes the installed world needs the component's code to define
    (none when no bindings are installed; only the component's own exports' classes
    under :func:`set_component_exports`)."""
    from golem_fakes.bindings.install import installed

    if installed() is None:
        return []
    return [(c.module, c.name, c.purpose) for c in export_table_for(component).classes()]


def export_objects(component: str | None = None) -> list[tuple[str | None, str, str | None]]:
    """``(class module, class, WIT function)`` of every object componentize-py makes at
    build time: one per exported function (``worker/code.py``, ``LoadedCode.export_object``)."""
    from golem_fakes.bindings.install import installed

    if installed() is None:
        return []
    return [(f.class_module, f.class_name, f.function) for f in export_table_for(component)
            if f.kind == "freestanding"]


def export_table_or_error(component: str | None = None) -> Any:
    """The installed world's export table (as ``component`` has it, see
    :func:`export_table_for`); a clear error if nothing is installed."""
    from golem_fakes.bindings.install import installed

    if installed() is None:
        raise LookupError(
            "invoking an export by name needs the component's WIT world, and no bindings "
            "are installed: use the golem pytest plugin (it installs the world found "
            "through golem.yaml or the golem_wit option) or call golem_fakes.install(...).")
    return export_table_for(component)


class _Queue:
    __slots__ = ("items", "lock")

    def __init__(self) -> None:
        self.items: collections.deque[InvocationHandle] = collections.deque()
        #: held while one of the worker's invocations runs
        self.lock = threading.Lock()


class InvocationHandle:
    """An invocation queued with ``Golem.enqueue``: :meth:`result` awaits it."""

    __slots__ = ("golem", "worker", "runtime", "fn", "export", "args", "kwargs",
                 "idempotency_key", "done", "_value", "_error", "invocation")

    def __init__(self, golem: "Golem", worker: "Worker", runtime: "WorkerRuntime",
                 fn: Any, export: Any, args: tuple[Any, ...], kwargs: dict[str, Any],
                 key: str | None) -> None:
        self.golem = golem
        self.worker = worker
        self.runtime = runtime
        self.fn = fn
        self.export = export
        self.args = args
        self.kwargs = kwargs
        self.idempotency_key = key
        self.done = False
        self._value: Any = None
        self._error: BaseException | None = None
        #: the :class:`~golem_fakes.state.invocation.Invocation` once it began
        self.invocation: "Invocation | None" = None

    @property
    def function_name(self) -> str:
        if self.export is not None:
            return str(self.export.name)
        fn = self.fn
        return getattr(fn, "__qualname__", None) or getattr(fn, "__name__", None) or repr(fn)

    def result(self) -> Any:
        """Run the worker's pending invocations up to this one (unless done) and return
        its result, or raise what it raised (its trap, its ``Err``, its rejection)."""
        if not self.done:
            _run_until(self)
        if self._error is not None:
            raise self._error
        return self._value

    def __repr__(self) -> str:
        state = "done" if self.done else "pending"
        return f"<InvocationHandle {self.worker} {self.function_name} {state}>"

    # --- running -------------------------------------------------------------------

    def _finish(self, value: Any = None, error: BaseException | None = None) -> None:
        self._value, self._error, self.done = value, error, True

    def _run(self) -> None:
        from golem_fakes.state.golem import _Activation

        g, rt = self.golem, self.runtime
        key = self.idempotency_key
        if rt.reload:  # an interrupt dropped the worker: load it first (worker/lifecycle.py)
            from golem_fakes.worker.lifecycle import activate as load

            try:
                load(g, self.worker)
            except Exception as e:  # Divergence / NotReplayable: it cannot be rebuilt
                self._finish(error=e)
                return
        if key is not None and key in rt.results:
            ok, value = rt.results[key]  # §7.2: the completed invocation's result
            self._finish(value if ok else None, None if ok else value)
            return
        if rt.stale or rt.pending_updates:  # reverted / updates waiting (worker/admin.py)
            from golem_fakes.worker.admin import activate

            try:
                activate(g, self.worker)
            except Exception as e:  # NotReplayable: the worker cannot be rebuilt
                self._finish(error=e)
                return
        act = _Activation(g, self.worker, key, self.function_name, final=True)
        try:
            inv = act.__enter__()
        except BaseException as e:  # rejected (failed / exited worker), build error, ...
            self._finish(error=e)
            return
        self.invocation = inv  # type: ignore[assignment]
        inv.call = (self.export, self.fn, self.args, self.kwargs)  # type: ignore[union-attr]
        self._conclude(inv, execute(g, act, inv))  # type: ignore[arg-type]

    def _conclude(self, inv: "Invocation", outcome: Any) -> None:
        """Drive the outcome of the invocation's attempt to its end (:func:`settle`:
        recovery after a lost instance, retries) and keep the result as the caller
        sees it (the ok value unwrapped, an ``Err`` raised, the idempotency key's
        result stored)."""
        g, rt = self.golem, self.runtime
        outcome = settle(g, self.worker, inv, outcome)
        if outcome is None:  # a jump back deleted this invocation's start
            from golem_fakes.bindings.runtime import Trap

            outcome = ("error", Trap(f"invocation {self.function_name} of worker "
                                     f"{self.worker} was lost: {inv.error}"))
        kind, value = outcome
        if kind == "raise":
            self._finish(error=value)
            raise value  # KeyboardInterrupt, NotFaked, ...: not the invocation's outcome
        if kind == "error":
            self._finish(error=value)
            return
        from golem_fakes.bindings.result import Err

        if self.export is not None and self.export.returns_result:
            from golem_fakes.bindings.result import Ok

            if type(value) is Ok:
                value = value.value  # the ok value, as an import binding returns it
        if type(value) is Err and self.export is not None:
            rt.results[inv.idempotency_key] = (False, value)  # type: ignore[union-attr]
            self._finish(error=value)
            return
        rt.results[inv.idempotency_key] = (True, value)  # type: ignore[union-attr]
        self._finish(value)


def execute(g: "Golem", act: Any, inv: "Invocation") -> tuple[str, Any]:
    """:func:`_execute`, with the thread's asyncio loops (the running loop and the one
    ``asyncio.set_event_loop`` set) as they were before: worker code that runs its own
    loop — componentize-py's ``poll_loop.PollLoop.run_until_complete`` sets itself as
    the running loop and never unsets it, which inside a component only the worker's
    own instance sees — must not leave it to the test or to the next test
    (``asyncio.run() cannot be called from a running event loop``)."""
    running = _asyncio_events._get_running_loop()
    local = getattr(_asyncio_events.get_event_loop_policy(), "_local", None)
    loop = getattr(local, "_loop", None)
    try:
        return _execute(g, act, inv)
    finally:
        if _asyncio_events._get_running_loop() is not running:
            _asyncio_events._set_running_loop(running)
        if local is not None and getattr(local, "_loop", None) is not loop:
            local._loop = loop  # what set_event_loop(loop) would restore, without its checks


def _execute(g: "Golem", act: Any, inv: "Invocation") -> tuple[str, Any]:
    """Run the invocation ``inv`` (entered with the activation ``act``) in the worker's
    instance and leave it: ``("ok", value)``, ``("error", exc)`` (its trap, exception or
    rejection), ``("crash", exc)`` (the instance was lost: a crash or a jump, recovered
    by :func:`golem_fakes.worker.replay.recover`) or ``("raise", exc)`` (an exception
    that is not the invocation's outcome: ``KeyboardInterrupt``, ``NotFaked``, ...)."""
    export, fn, args, kwargs = inv.call
    w = inv.worker
    process = None
    try:
        inst = g._instance_for(w.component.name, w.name)
        rt = inv.runtime
        if rt.crash_in == 0:  # armed at the invocation's start (arm_crash)
            from golem_fakes.worker.replay import crash_at_start

            crash_at_start(rt)
        elif rt.crash_hook is not None and rt.replay is None:
            rt.crash_hook(0)  # crash exploration's reference run: crash point 0
        if inst.loaded is not None:  # component code runs: its os.environ, sys.argv
            process = (inst, inst.enter_process())
        if export is not None:
            value = _call_export(g, w, export, args, kwargs)
        else:
            value = fn(*args, **kwargs)
    except BaseException as e:
        if process is not None:
            process[0].exit_process(process[1])
        try:
            act.__exit__(type(e), e, e.__traceback__)
        except BaseException as e2:  # the exit failed (a divergence at the invocation's end)
            return ("error", e2)
        if inv.crashed:
            from golem_fakes.worker.replay import forget_lost_instance

            forget_lost_instance(g, w, inv.runtime)
            return ("crash", e)
        trap = inv.trap
        if not isinstance(e, Exception) and trap is None and not _ends_invocation(e):
            return ("raise", e)
        return ("error", trap if trap is not None else e)
    if process is not None:
        process[0].exit_process(process[1])
    try:
        act.__exit__(None, None, None)
    except BaseException as e2:
        return ("error", e2)
    if inv.crashed:  # the code swallowed the crash and returned: the instance is gone
        from golem_fakes.worker.replay import WorkerCrashed, forget_lost_instance

        forget_lost_instance(g, w, inv.runtime)
        return ("crash", WorkerCrashed("the instance was lost (the code swallowed it)"))
    trap = inv.trap
    if trap is not None:
        return ("error", trap)
    return ("ok", value)


def settle(g: "Golem", worker: "Worker", inv: "Invocation | None",
           outcome: "tuple[str, Any] | None") -> "tuple[str, Any] | None":
    """Drive an outcome to its end as Golem's executor does: a lost instance
    (``"crash"``) is recovered (a new instance replays the oplog, then goes on live);
    a failed attempt that Golem retries (``Invocation.outcome == "retrying"``, decided
    by the retry policy in ``Golem._end_invocation``, §6.2) waits the policy's delay on
    the virtual clock (status ``retrying``), then recovers the worker the same way
    without losing entries. ``inv``: the invocation the caller waits for (``None`` for
    a recovery between invocations, :meth:`Golem.crash`). Returns the final outcome."""
    from golem_fakes.worker.replay import OplogJump, recover

    rt = g.runtime(worker)
    while outcome is not None:
        if outcome[0] == "crash":
            if rt.interrupting is not None:  # golem.interrupt / restart (worker/lifecycle.py)
                from golem_fakes.worker.lifecycle import after_interrupt

                outcome = after_interrupt(g, worker, inv)
                continue
            outcome = recover(g, worker, inv, truncate=not isinstance(outcome[1], OplogJump))
            continue
        retrying = next((i for i in reversed(rt.invocations) if i.outcome == "retrying"),
                        None) if outcome[0] == "error" else None
        if retrying is None:
            break
        if rt.pending_updates:
            # Golem applies a pending update when it restarts the worker for the retry;
            # golem-fakes hands the failed worker to the update (worker/admin.py
            # ``after_invocation``: an automatic update retries it on the new version)
            from golem_fakes.state.registry import WorkerStatus

            retrying.outcome = "failed"
            worker.status = WorkerStatus.FAILED
            rt.failed_error = retrying.error
            break
        g.clock.advance(_dt.timedelta(milliseconds=retrying.retry_delay_ms))
        rt.retries += 1
        outcome = recover(g, worker, inv, truncate=False)
    return outcome


def conclude_lost(g: "Golem", worker: "Worker", inv: "Invocation",
                  outcome: tuple[str, Any]) -> InvocationHandle:
    """The caller's side of invocation ``inv`` of ``worker`` whose attempt ended with
    ``outcome`` without this Golem having run it: ``g`` is a copy taken while ``inv``
    was running (:func:`golem_fakes.state.snapshot.copy_golem` ``running=``), and crash
    exploration ends the attempt there (``("crash", exc)``: the instance was lost;
    ``("error", trap)``: it trapped). The outcome is driven to its end as
    :meth:`InvocationHandle._run` drives it (:func:`settle`: recovery, retries; then a
    waiting update), under the worker's lock; the returned handle's :meth:`~InvocationHandle.result`
    is what ``invoke`` returns or raises. An outcome ``"raise"`` propagates."""
    from golem_fakes.state.golem import _LAZY

    rt = g.runtime(worker)
    if rt.queue is None:
        with _LAZY:
            if rt.queue is None:
                rt.queue = _Queue()
    export, fn, args, kwargs = inv.call
    h = InvocationHandle(g, worker, rt, fn, export, tuple(args), dict(kwargs),
                         inv.idempotency_key)
    h.invocation = inv
    with rt.queue.lock:
        h._conclude(inv, outcome)
        if rt.pending_updates:  # an update waited for this invocation to end
            from golem_fakes.worker.admin import after_invocation

            after_invocation(g, worker)
    return h


def _ends_invocation(e: BaseException) -> bool:
    from golem_fakes.bindings.runtime import Trap
    from golem_fakes.state.promises import Deadlock

    return isinstance(e, (Trap, Deadlock))


def _check_running(g: "Golem", w: "Worker") -> None:
    cur = current_invocation.get()
    if cur is not None:
        from golem_fakes.state.invocation import Invocation

        parent = cur if type(cur) is Invocation else cur.resolve()  # type: ignore[union-attr]
        g._check_not_running(w, parent)


def check_not_running(g: "Golem", component: Any, name: str) -> None:
    """:class:`~golem_fakes.state.promises.Deadlock` if the calling code runs inside an
    invocation of worker ``component/name`` already (awaiting another invocation of it
    would wait for ever)."""
    if current_invocation.get() is None:
        return
    w = g.registry.find(component, name)
    if w is not None:
        _check_running(g, w)


def _run_until(handle: InvocationHandle) -> None:
    g, w, rt = handle.golem, handle.worker, handle.runtime
    _check_running(g, w)  # Deadlock, before waiting for the worker's lock
    q: _Queue = rt.queue
    while not handle.done:
        with q.lock:
            if handle.done:
                break
            head = q.items.popleft()
            head._run()
            if rt.pending_updates:  # an update waited for this invocation to end
                from golem_fakes.worker.admin import after_invocation

                after_invocation(g, w)


def enqueue(golem: "Golem", component: Any, name: str, fn: "Callable[..., Any] | str",
            args: tuple[Any, ...], kwargs: dict[str, Any],
            idempotency_key: str | None) -> InvocationHandle:
    """``Golem.enqueue``: see its docstring."""
    from golem_fakes.state.golem import _LAZY

    export = None
    if isinstance(fn, str):
        export = _resolve_export(golem, component, fn, name)
        if kwargs:
            raise TypeError(f"{export.name}: an export is invoked with positional arguments "
                            f"in WIT order, got keyword arguments {sorted(kwargs)}")
        check_args(golem, component, name, export, tuple(args))
    elif not callable(fn):
        raise TypeError(f"invoke/enqueue takes an export name or a callable, got {fn!r}")
    w = golem.registry.find_or_add(component, name)
    rt = golem.runtime(w)
    if rt.queue is None:
        with _LAZY:
            if rt.queue is None:
                rt.queue = _Queue()
    h = InvocationHandle(golem, w, rt, fn, export, tuple(args), dict(kwargs), idempotency_key)
    rt.queue.items.append(h)
    return h


def _resolve_export(golem: "Golem", component: Any, fn: str, name: str | None = None) -> Any:
    cname = getattr(component, "name", component)
    compiled = None
    d = golem.__dict__
    if d.get("_wasms") or d.get("_version_wasms"):  # some component is a .wasm
        # the .wasm of the version worker `name` runs (its exports may differ between
        # versions); a worker not made yet will be made at the component's latest
        version = golem._code_version(cname, name) if name else None
        if version is None and name:
            comp = golem.registry.components.get(cname)
            version = comp.version if comp is not None else None
        compiled = golem._wasm_of(cname, version)
    if compiled is not None:  # a built component: its own exports (golem_fakes.compiled)
        return compiled.exports.lookup(fn)
    table = export_table_or_error(cname)
    export = table.lookup(fn)
    if golem._code_of(cname) is None:
        raise LookupError(
            f"cannot invoke {export.name} on a worker of component {cname!r}: the component "
            f"has no code. Give it with golem.add_component({cname!r}, code='module', "
            f"path='src'), the ini options golem_component_module / golem_component_path, or "
            f"the `componentize -p PATH MODULE` build step of its golem.yaml.")
    return export


class _ArgsChecked(BaseException):
    """Raised instead of calling the component in :func:`check_args`' dry run (a
    ``BaseException``: the glue lets it through as it is not the code's exception)."""


def _checked(*args: Any, **kwargs: Any) -> Any:
    raise _ArgsChecked


class _DryTarget:
    """Stands for the component's objects in a dry run: calling it, or any method of
    it, ends the dry run."""

    __slots__ = ()

    def __call__(self, *args: Any) -> Any:
        raise _ArgsChecked

    def __getattr__(self, name: str) -> Any:
        return _checked


_DRY = _DryTarget()


class _CheckingResources:
    """The worker instance's exported-resource handles, looked at but never changed
    (a dry run must not take an owned handle away)."""

    __slots__ = ("table",)

    def __init__(self, table: Any) -> None:
        self.table = table

    def lift_borrow(self, resource: str, handle: Any) -> Any:
        self.table._get(resource, handle)
        return _DRY

    lift_own = lift_borrow

    def drop(self, resource: str, handle: Any) -> None:
        self.table._get(resource, handle)

    def lower_new(self, resource: str, obj: Any) -> Any:  # pragma: no cover - never lowered
        raise _ArgsChecked


def check_args(golem: "Golem", component: Any, name: str, export: Any,
               args: tuple[Any, ...]) -> None:
    """Check ``args`` against the export's parameter types before anything happens:
    Golem rejects an invocation whose arguments do not fit the function's type before it
    reaches the worker (``InvalidArgument``: no worker made, nothing recorded, the code
    never runs). The export glue itself is the check (the same code lifts them again
    for the real call), with the component's objects replaced by a stand-in."""
    from golem_fakes.bindings.exports import InstanceResources, InvalidArgument

    if getattr(export, "kind", None) == "wasm":
        cname = getattr(component, "name", component)
        inst = golem.__dict__.get("_instances", {}).get((cname, name))
        wasm = getattr(inst, "wasm", None) if inst is not None else None
        handles = wasm._exported if wasm is not None and not wasm.dropped else None
        try:
            # TypeError naming the export, parameter and type; handles checked, not moved
            export.lower_args(args, handles.check() if handles is not None else None)
        except TypeError as e:  # as for Python code: Golem rejects it before the worker
            raise InvalidArgument(str(e), function=export.name) from None
        return
    cname = getattr(component, "name", component)
    inst = golem.__dict__.get("_instances", {}).get((cname, name))
    table = inst.resources if inst is not None and inst.resources is not None \
        else InstanceResources()
    try:
        export.call(_DRY, args, _CheckingResources(table))
    except _ArgsChecked:
        pass


def _call_export(golem: "Golem", worker: "Worker", export: Any, args: tuple[Any, ...],
                 kwargs: dict[str, Any]) -> Any:
    """Run ``export`` in the worker's own instance: the kept export object (made once per
    instance), or the exported resource's class, found as componentize-py's runtime
    finds them (componentize-py.md §4)."""
    from golem_fakes.bindings.exports import InstanceResources
    from golem_fakes.bindings.runtime import Trap

    inst: WorkerInstance = golem._instance_for(worker.component.name, worker.name)
    if inst.compiled is not None:  # the worker's instance of its compiled component
        if not inst.compiled.exports.owns(export):
            # resolved against another version's code (an update replays the oplog on
            # the new version, or a .wasm version follows Python code): Golem's oplog
            # names the function, and the new code's export of that name runs
            export = inst.compiled.exports.lookup(export.name)
        return export.invoke(inst.wasm_instance(), args)
    if export.kind == "wasm":  # a Python-code version after a .wasm one: the same by name
        export = export_table_or_error(worker.component.name).lookup(export.name)
    loaded = inst.loaded
    assert loaded is not None  # _resolve_export checked the component has code
    if inst.resources is None:
        inst.resources = InstanceResources()
    kind = export.kind
    target: Any = None
    if kind == "freestanding":
        obj = loaded.export_object(export.class_module, export.class_name, export.function)
        target = getattr(obj, export.method_name, None)
        if target is None:
            raise Trap(
                f"{export.name}: the export object {export.class_name} of the component has "
                f"no method {export.method_name!r}; componentize-py's runtime looks the method "
                f"up when the export is called (AttributeError) and the component traps",
                interface=export.interface, function=export.function)
    elif kind in ("constructor", "static"):
        target = loaded.export_class(export.class_module, export.class_name)
    return export.call(target, args, inst.resources)
