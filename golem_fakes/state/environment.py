"""``Environment``: the state every host call acts on (base of ``golem_fakes.Golem``).

The generated bindings find it through :data:`golem_fakes.bindings.runtime.current_environment`
(the only global state); ``with env:`` makes it current for the block (re-entrant,
nestable, per thread / asyncio task by ``ContextVar`` semantics).

It holds

* the resource handle table (``handles``: int handle → rep), with componentize-py's
  semantics: a binding object keeps ``handle`` and ``finalizer``; ``__exit__`` drops at
  once, garbage collection drops too, an owned argument gives the handle away;
* the bound behaviours (``bindings``: one :class:`~golem_fakes.bindings.runtime.Binding`
  per generated function, resolved on first call) and per-instance overrides
  (:meth:`implement`);
* call counts per WIT function (:meth:`call_count`);
* interceptors (:meth:`intercept`): the hook where oplog recording, replay and fault
  injection wrap every call.
"""

from __future__ import annotations

import itertools
import threading
import weakref
from contextvars import ContextVar, Token
from typing import Any, Callable, Iterator

from golem_fakes.bindings import registry
from golem_fakes.bindings.runtime import (
    Binding,
    HandleEntry,
    NotFaked,
    ResourceSite,
    Site,
    current_environment,
    no_drop,
)

__all__ = ["Environment"]

Impl = Callable[..., Any]
Interceptor = Callable[["Site | ResourceSite", Impl], Impl]

#: Per context (thread / asyncio task): the environments entered, innermost last, with
#: the token that restores the previous ``current_environment`` and the ``with golem:``
#: activation that entered it (``None`` for a plain ``with env:``).
_ENTERED: ContextVar[tuple[tuple["Environment", Token[Any], Any], ...]] = ContextVar(
    "golem_fakes_entered_environments", default=())


#: Default ``[resource-drop]``: nothing to release (counted, not called: see
#: :func:`golem_fakes.bindings.runtime.no_drop`).
_no_drop = no_drop


class _Bindings(dict):
    """``site → Binding``; a miss binds the behaviour once (``__missing__``). It refers
    to its environment weakly, so an environment is freed by reference counting when
    the test drops it (no reference cycle for the garbage collector to find)."""

    __slots__ = ("env_ref",)

    def __missing__(self, site: Site | ResourceSite) -> Binding:
        env = self.env_ref()
        if env is None:  # pragma: no cover - the environment is gone
            raise KeyError(site)
        binding = env._bind(site)
        self[site] = binding
        return binding


def _new_bindings(env: "Environment") -> _Bindings:
    b = _Bindings()
    b.env_ref = weakref.ref(env)
    return b


#: The state an :class:`Environment` makes on first use (see ``Environment.__getattr__``):
#: attribute name -> factory. A test that never calls a binding pays for none of it.
_LAZY_STATE: dict[str, Callable[["Environment"], Any]] = {
    "bindings": _new_bindings,
    "handles": lambda env: {},
    "handle_ids": lambda env: itertools.count(1),
    "_overrides": lambda env: {},
    "_interceptors": lambda env: [],
    "_retired_counts": lambda env: {},
    "_lock": lambda env: threading.Lock(),
}


class Environment:
    """An in-memory Golem host environment; use it as a context manager.

    ``with Environment() as env:`` makes ``env`` the target of every binding call in
    the block. Behaviours come from the registry unless overridden here with
    :meth:`implement`.
    """

    #: Factories of the state made on first use (subclasses extend it).
    _lazy_state: dict[str, Callable[[Any], Any]] = _LAZY_STATE

    # Made on first use (``__getattr__``), then plain instance attributes:
    #: ``site → Binding`` of the sites called so far.
    bindings: dict[Site | ResourceSite, Binding]
    #: Resource table: handle → its :class:`~golem_fakes.bindings.runtime.HandleEntry`
    #: (rep, resource type; the owner object's finalizer).
    handles: dict[int, HandleEntry]
    #: Handle numbers (ints from 1, never reused within an environment).
    handle_ids: Iterator[int]

    def __init__(self) -> None:
        """Nothing is made here: the binding table, the handle table and the rest are
        made when first used (:meth:`__getattr__`), so entering a fresh environment
        that no host call touches costs almost nothing (the ``golem`` fixture).

        Except the instance's ``__dict__`` itself, given as a plain (combined) dict:
        CPython 3.11–3.12 keep an instance's attributes as "inline values" sharing the
        class's keys until ``obj.__dict__`` is first read, and from then on in a *split*
        dict, for which the interpreter never specialises an attribute load
        (``specialize.c``: ``SPEC_FAIL_NO_DICT`` when ``dict->ma_values``). golem-fakes
        reads ``golem.__dict__`` in many places (lazy state, ``clock_of``), so every
        ``env.handles`` / ``env.bindings`` of the generated bindings cost a generic
        lookup (≈ 450 instructions instead of ≈ 110, measured with callgrind). A dict
        assigned here is combined, whose loads specialise (``LOAD_ATTR_WITH_HINT``)."""
        self.__dict__ = {}

    def __getattr__(self, name: str) -> Any:
        """Make a piece of lazy state (:attr:`_lazy_state`) on first use; it is then an
        ordinary instance attribute (``setdefault``: two threads get the same one)."""
        make = type(self)._lazy_state.get(name)
        if make is None:
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}",
                                 name=name, obj=self)
        return self.__dict__.setdefault(name, make(self))

    # --- context manager --------------------------------------------------------

    def __enter__(self) -> "Environment":
        tok = current_environment.set(self)
        _ENTERED.set(_ENTERED.get() + ((self, tok, None),))
        return self

    def _enter_for(self, activation: Any, value: Any = None) -> None:
        """``__enter__`` on behalf of ``activation`` (a ``with golem:`` block, see
        :mod:`golem_fakes.state.golem`), which is kept in this context's frame so the
        block's exit finds it (no second per-context stack to update). ``value`` is
        what the bindings see as the current environment (a worker instance's view of
        this one, :mod:`golem_fakes.worker.instance`), default ``self``."""
        tok = current_environment.set(self if value is None else value)
        _ENTERED.set(_ENTERED.get() + ((self, tok, activation),))

    @staticmethod
    def _innermost() -> "tuple[Environment, Any, Any] | None":
        """This context's innermost ``(environment, token, activation)`` frame."""
        stack = _ENTERED.get()
        return stack[-1] if stack else None

    def __exit__(self, *exc: object) -> None:
        # Each context (thread, asyncio task) keeps its own stack of (environment,
        # token) frames in a ContextVar, so two threads entering one environment each
        # restore their own token, and exits must match entries in their context.
        stack = _ENTERED.get()
        if not stack or stack[-1][0] is not self:
            top = stack[-1][0] if stack else None
            raise RuntimeError(
                f"{self!r} is not the innermost active environment in this context "
                f"(innermost: {top!r}); exit environments in the reverse order of "
                f"entering them, in the thread/task that entered them")
        _ENTERED.set(stack[:-1])
        current_environment.reset(stack[-1][1])

    # --- behaviours -------------------------------------------------------------

    def implement(self, interface: str, function: str,
                  impl: Impl | None = None) -> Any:
        """Override the behaviour of ``interface#function`` in this environment only
        (for tests): ``env.implement("golem:api/host@1.1.7", "get-oplog-index",
        lambda env: 7)``. Without ``impl`` it is a decorator. Same calling convention
        as registered behaviours."""
        if impl is None:
            def deco(fn: Impl) -> Impl:
                self.implement(interface, function, fn)
                return fn
            return deco
        key = (interface, function)
        with self._lock:
            self._overrides[key] = impl
            self._unbind(lambda s: (s.interface, s.function) == key)
        return impl

    def intercept(self, factory: Interceptor) -> Interceptor:
        """Register the hook for every call: ``factory(site, impl) -> impl`` is applied
        (in registration order, the last outermost) when a site is first bound in this
        environment. The returned callable is called as ``impl(env, *lowered_args)``
        and returns what a behaviour returns. Oplog recording/replay and fault
        injection attach here. Existing bindings are rebound."""
        with self._lock:
            self._interceptors.append(factory)
            self._unbind(lambda s: True)
        return factory

    def _unbind(self, pred: Callable[[Any], bool]) -> None:
        for site in [s for s in self.bindings if pred(s)]:
            b = self.bindings.pop(site)
            key = (site.interface, site.function)
            self._retired_counts[key] = self._retired_counts.get(key, 0) + b.count

    def _bind(self, site: Site | ResourceSite) -> Binding:
        key = (site.interface, site.function)
        behaviour = self._overrides.get(key)
        if behaviour is None:
            behaviour = registry.lookup(site.interface, site.function)
        if behaviour is None:
            if site.is_drop:
                behaviour = _no_drop
            else:
                raise self._not_faked(site)
        impl = behaviour
        for factory in self._interceptors:
            impl = factory(site, impl)
        return Binding(self, site, impl, behaviour)

    @staticmethod
    def _not_faked(site: Site | ResourceSite) -> NotFaked:
        module = registry.behaviour_module(site.interface)
        return NotFaked(
            f"{site.describe()} is not faked: golem-fakes has no behaviour for "
            f"{site.function!r} of {site.interface}. In a test, provide one with "
            f"env.implement({site.interface!r}, {site.function!r}, lambda env, *args: ...); "
            f"to add it to golem-fakes, decorate a function in {module} with "
            f"@implements({site.interface!r}, {site.function!r}).",
            interface=site.interface, function=site.function)

    # --- introspection ----------------------------------------------------------

    def call_count(self, interface: str, function: str) -> int:
        """How many times ``interface#function`` was called in this environment
        (through any generated module; drops count under ``[resource-drop]r``)."""
        key = (interface, function)
        n = self._retired_counts.get(key, 0)
        for site, b in list(self.bindings.items()):
            if (site.interface, site.function) == key:
                n += b.count
        return n

    def call_counts(self) -> dict[str, int]:
        """All non-zero call counts, keyed ``interface#function``."""
        out: dict[str, int] = {}
        for (i, f), n in self._retired_counts.items():
            out[f"{i}#{f}"] = out.get(f"{i}#{f}", 0) + n
        for site, b in list(self.bindings.items()):
            k = f"{site.interface}#{site.function}"
            out[k] = out.get(k, 0) + b.count
        return {k: v for k, v in out.items() if v}

    def live_handles(self) -> dict[int, Any]:
        """Handle → rep of every resource not dropped yet (of every worker instance,
        for a Golem)."""
        out = {h: e.rep for h, e in self.handles.copy().items()}
        for table in self._instance_tables():
            out.update((h, e.rep) for h, e in table.copy().items())
        return out

    def _instance_tables(self) -> list[dict[int, Any]]:
        """The handle tables of worker instances other than this environment's own."""
        return []

    def __repr__(self) -> str:
        return f"<{type(self).__name__} at {id(self):#x}>"

