"""A worker's instance: its own copy of the component's code and its own handle table.

In Golem every worker is its own component instance, with its own linear memory (the
module-level state of the Python code) and its own resource handle table. A
:class:`WorkerInstance` is that for one fake worker:

* ``loaded`` — the worker's copies of the component's own modules
  (:class:`golem_fakes.worker.code.LoadedCode`), when the component has code;
* ``env`` — what :data:`golem_fakes.bindings.runtime.current_environment` is while the
  worker runs: an :class:`InstanceView` of the Golem with the instance's own handle
  table (the default worker of a Golem uses the Golem itself, so a test's own
  ``with golem:`` block and that worker share one table, as they are one instance);
* ``resources`` — the exported resources the worker's callers hold handles to.

Handle numbers are unique per Golem across all its instances, so a handle made by one
worker is simply unknown in another's table: using it there traps with ``unknown handle
index N``, the message wasmtime's handle table gives (issue 13 §4). Dropping the instance
(:meth:`WorkerInstance.drop`) drops every handle it holds.
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, Any, Iterator

from golem_fakes.bindings.runtime import ResourceFinalizer, _drop_handle

if TYPE_CHECKING:  # pragma: no cover
    from golem_fakes.state.golem import Golem
    from golem_fakes.worker.code import LoadedCode

__all__ = ["InstanceView", "TrappedEnvironment", "WorkerInstance"]


class InstanceView:
    """One worker instance's view of a Golem: the Golem's bound behaviours (shared, so
    call counts and overrides are the Golem's) with the instance's own resource table.

    Generated bindings read ``bindings``, ``handles`` and ``handle_ids`` from the
    current environment and call behaviours with the binding's own environment (the
    Golem), so behaviours never see a view."""

    __slots__ = ("environment", "bindings", "handles", "handle_ids", "instance", "__weakref__")

    #: Marks views for :func:`golem_fakes.bindings.runtime.environment_of`.
    is_instance_view = True

    def __init__(self, environment: "Golem", instance: "WorkerInstance") -> None:
        self.environment = environment
        self.bindings = environment.bindings
        self.handles: dict[int, ResourceFinalizer] = {}
        # one counter per Golem: a handle of another instance is never a valid index here
        self.handle_ids = environment.handle_ids
        self.instance = instance

    def __repr__(self) -> str:
        return f"<instance of worker {self.instance.describe()} in {self.environment!r}>"


class _TrappedBindings:
    __slots__ = ("trap",)

    def __init__(self, trap: BaseException) -> None:
        self.trap = trap

    def __getitem__(self, site: Any) -> Any:
        raise self.trap


class TrappedEnvironment:
    """The current environment of an invocation after it trapped (issue 13 §3): every
    host call — and every use of a resource handle — raises the same trap again, so
    code that swallowed the trap (``except BaseException``, a ``finally`` that carries
    on) can neither record nor store anything more. In Golem the instance is gone at
    that point; nothing the code does afterwards reaches the host."""

    __slots__ = ("environment", "trap", "bindings")

    is_instance_view = True

    def __init__(self, environment: Any, trap: BaseException) -> None:
        self.environment = environment
        self.trap = trap
        self.bindings = _TrappedBindings(trap)

    @property
    def handles(self) -> Any:
        raise self.trap

    @property
    def handle_ids(self) -> Any:
        raise self.trap

    def __repr__(self) -> str:
        return f"<trapped invocation in {self.environment!r}: {self.trap}>"


class WorkerInstance:
    """The instance of worker ``component/name`` of a Golem (see the module docstring)."""

    __slots__ = ("golem", "component", "name", "env", "loaded", "resources", "dropped",
                 "environ", "argv", "compiled", "wasm")

    def __init__(self, golem: "Golem", component: str, name: str, *, own_table: bool) -> None:
        self.golem = golem
        self.component = component
        self.name = name
        self.env: Any = InstanceView(golem, self) if own_table else golem
        self.loaded: "LoadedCode | None" = None
        self.resources: Any = None
        self.dropped = False
        #: ``os.environ`` / ``sys.argv`` of the component's code, filled at the
        #: instance's first invocation (:meth:`enter_process`)
        self.environ: dict[str, str] | None = None
        self.argv: list[str] = []
        #: the compiled component the worker runs (``add_component(wasm=...)``), and its
        #: wasm instance (:class:`golem_fakes.compiled.WasmInstance`), made at the first
        #: export call
        self.compiled: Any = None
        self.wasm: Any = None

    def wasm_instance(self) -> Any:
        """The worker's wasm instance of its compiled component (made on first use)."""
        if self.wasm is None:
            self.wasm = self.compiled.instantiate()
        return self.wasm

    def describe(self) -> str:
        return f"{self.component}/{self.name}"

    # --- the code ------------------------------------------------------------------

    def module(self, name: str) -> Any:
        """The instance's copy of the component's module ``name`` (for assertions:
        ``golem.instance("shop:cart", "alice").module("component").cart``)."""
        if self.loaded is None:
            raise LookupError(
                f"worker {self.describe()} runs no component code: component "
                f"{self.component!r} has none. Give it with "
                f"golem.add_component({self.component!r}, code='module', path='src'), the ini "
                f"option golem_component_module, or the componentize build step of golem.yaml.")
        return self.loaded.module(name)

    @property
    def modules(self) -> dict[str, Any]:
        """The instance's modules by name (empty without code)."""
        return dict(self.loaded.modules) if self.loaded is not None else {}

    # --- os.environ and sys.argv ----------------------------------------------------

    def enter_process(self) -> tuple[Any, Any]:
        """Make ``os.environ`` and ``sys.argv`` the instance's while its code runs;
        returns what :meth:`exit_process` puts back.

        componentize-py's runtime empties ``os.environ`` and ``sys.argv`` when it
        pre-initialises the component and fills them at the first export call of the
        instance from ``wasi:cli/environment`` ``get-environment`` and ``get-arguments``
        (``MyInterpreter::export_call_``, ``runtime/src/lib.rs`` v0.19.3: "libc's
        version will only contain the build-time pre-init snapshot"). So does this: at
        the first invocation those two host calls are made (and recorded, as in Golem's
        oplog of a Python worker); later invocations reuse the values, and changes the
        code makes to them stay with the instance. ``os.environ`` is a plain ``dict``
        here; ``os.getenv`` reads it. They are process-wide, so the test's values are
        restored after the invocation."""
        if self.environ is None:
            from golem_fakes.bindings.registry import lookup

            iface = "wasi:cli/environment@0.2.3"
            get_env, get_args = lookup(iface, "get-environment"), lookup(iface, "get-arguments")
            assert get_env is not None and get_args is not None
            self.environ = dict(get_env(self.golem))
            self.argv.extend(get_args(self.golem))
        saved = (os.environ, sys.argv)
        os.environ = self.environ  # type: ignore[assignment]
        sys.argv = self.argv
        return saved

    @staticmethod
    def exit_process(saved: tuple[Any, Any]) -> None:
        """Put back the ``os.environ`` and ``sys.argv`` :meth:`enter_process` found."""
        os.environ, sys.argv = saved

    # --- handles -------------------------------------------------------------------

    def live_handles(self) -> dict[int, Any]:
        """Handle → rep of every resource of this instance not dropped yet."""
        return {h: e.rep for h, e in self._table().copy().items()}

    def _table(self) -> dict[int, ResourceFinalizer]:
        return self.env.handles

    def _entries(self) -> Iterator[tuple[int, ResourceFinalizer]]:
        return iter(list(self._table().items()))

    def drop(self) -> None:
        """Drop the instance, as Golem drops a worker's instance: every handle it holds
        is dropped (each resource's ``[resource-drop]`` behaviour runs), its exported
        resources are released, and the worker's next invocation gets a new instance
        (fresh module state)."""
        if self.dropped:
            return
        self.dropped = True
        env = self.env
        for handle, entry in self._entries():
            entry.env = None  # the object's own finalizer no longer drops it
            # no trap of a drop behaviour can reach the lost instance's code (e.g.
            # ``resource has children``, whose order here is the table's)
            _drop_handle(env, handle, collected=True)
        if self.wasm is not None:  # the host resources its guest held are dropped too
            wasm, self.wasm = self.wasm, None
            oplog = self._real_oplog()
            at = len(oplog) if oplog is not None else 0
            wasm.drop(self._drop_wasm_resource)
            # wasmtime drops a discarded store's resource table without calling the
            # guest-facing drop host functions, so in Golem a dropped instance writes
            # nothing (no finish-span of a client the guest held when it trapped):
            # entries its drops wrote are cut back (as replay.forget_lost_instance does)
            if oplog is not None and len(oplog) > at:
                oplog.truncate(at)
        self.golem._forget_instance(self)

    def _real_oplog(self) -> Any:
        """The worker's oplog (not the replaying view), or ``None`` if the worker or its
        runtime no longer exists (nothing is created here)."""
        from golem_fakes.worker.replay import ReplayingOplog

        w = self.golem.registry.find(self.component, self.name)
        rt = self.golem.__dict__.get("_runtimes", {}).get(w) if w is not None else None
        if rt is None:
            return None
        return rt.oplog.real if isinstance(rt.oplog, ReplayingOplog) else rt.oplog

    def _drop_wasm_resource(self, key: str, rep: Any) -> None:
        """The ``[resource-drop]`` behaviour of a host resource a dropped wasm instance
        held (``key``: ``interface#resource``), through the seam, flagged as a drop by
        the collector (``dropped_by_collector()``), as the handles of a Python
        instance are dropped above: no trap of it can reach the lost instance (e.g.
        ``resource has children``, whose order here is the table's)."""
        from golem_fakes.bindings import runtime as rt

        interface, _, name = key.rpartition("#")
        binding = self.golem.bindings[rt.resource_site(interface, name, key)]
        binding.count += 1
        if binding.impl is rt.no_drop:
            return
        flag = rt._COLLECTING
        previous = getattr(flag, "on", False)
        flag.on = True
        try:
            binding.impl(binding.env, rep)
        finally:
            flag.on = previous

    def __repr__(self) -> str:
        state = "dropped" if self.dropped else ("with code" if self.loaded else "no code")
        return f"<WorkerInstance {self.describe()} ({state})>"
