"""The behaviour registry: WIT function identity → Python callable.

Behaviour modules register against WIT identities — never against generated module
names, which depend on the world and the componentize-py version::

    from golem_fakes.bindings.registry import implements

    @implements("golem:api/host@1.1.7", "get-oplog-index")
    def get_oplog_index(env) -> int: ...

    @implements("golem:api/host@1.1.7", "[constructor]get-workers")   # returns a rep
    @implements("golem:api/host@1.1.7", "[method]get-workers.get-next")  # (env, rep, *args)
    @implements("x:y/z", "[static]counter.merge")                      # (env, *args)
    @implements("x:y/z", "[resource-drop]counter")                     # optional (env, rep)

Function names are wit-parser's canonical names (:attr:`golem_fakes.wit.model.Function.name`).
An interface given without ``@version`` matches every version of it (an exact
registration wins).

Behaviour modules are found lazily: the first lookup for ``ns:pkg/iface@ver`` imports
``golem_fakes.interfaces.<ns>_<pkg>.<iface>`` (snake case) if it exists, so importing
golem_fakes does not import every behaviour.

Calling convention (what the seam passes and expects; see
:mod:`golem_fakes.bindings.lowering` for the exact value forms):

* arguments arrive lowered: plain ``int``/``float``/``bool``/``str``/``bytes``,
  lists, tuples, instances of the generated record/case classes, enum/flag members,
  ``golem_fakes.bindings.result.Some``/``Ok``/``Err`` for nested options/results, and
  *reps* for resources (``borrow``: the handle stays; owned: it was given away);
* return the WIT type's value; ``Ok(v)``/``Err(e)`` (or ``raise Err(e)``) for an
  outermost ``result``; a rep for a constructor or a returned resource.
"""

from __future__ import annotations

import importlib
import re
import threading
from typing import Any, Callable, TypeVar

__all__ = ["implements", "register", "unregister", "lookup", "unfaked", "behaviour_module",
           "registered"]

F = TypeVar("F", bound=Callable[..., Any])

# Static table filled by decorators at import time (code, not test state).
_BEHAVIOURS: dict[tuple[str, str], Callable[..., Any]] = {}
_TRIED_MODULES: set[str] = set()
_LOAD_LOCK = threading.RLock()


def _unversioned(interface: str) -> str:
    return interface.split("@", 1)[0]


def behaviour_module(interface: str) -> str:
    """The module expected to implement ``interface``: ``golem:api/host@1.1.7`` →
    ``golem_fakes.interfaces.golem_api.host``."""
    base = _unversioned(interface)
    if ":" in base and "/" in base:
        ns, rest = base.split(":", 1)
        pkg, iface = rest.split("/", 1)
        parts = [f"{ns}_{pkg}", iface]
    else:
        parts = [base]
    return "golem_fakes.interfaces." + ".".join(re.sub(r"[^0-9a-zA-Z]+", "_", p).lower() for p in parts)


def _identity(fn: Any) -> tuple[Any, ...]:
    code = getattr(fn, "__code__", None)
    return (getattr(fn, "__module__", None), getattr(fn, "__qualname__", None),
            getattr(code, "co_filename", None), getattr(code, "co_firstlineno", None))


def register(interface: str, function: str, impl: Callable[..., Any], *,
             replace: bool = False) -> None:
    """Register ``impl`` for ``interface`` (``ns:pkg/iface@ver`` or without version)
    and ``function`` (canonical name). Registering a different callable twice raises
    ``ValueError`` unless ``replace``."""
    key = (interface, function)
    old = _BEHAVIOURS.get(key)
    if old is not None and old is not impl and not replace:
        same = _identity(old) == _identity(impl)
        if not same:  # a re-imported module registers again: allowed
            raise ValueError(f"{interface}#{function} already has a behaviour: {old!r}")
    _BEHAVIOURS[key] = impl


def unregister(interface: str, function: str) -> None:
    """Remove a registration (for tests of the registry itself)."""
    _BEHAVIOURS.pop((interface, function), None)


def implements(interface: str, function: str) -> Callable[[F], F]:
    """Decorator: register the function as the behaviour of ``interface#function``.
    It may be stacked to implement several functions or versions."""

    def deco(fn: F) -> F:
        register(interface, function, fn)
        return fn

    return deco


def _load_module_for(interface: str) -> None:
    """Import the behaviour module of ``interface`` once. Thread-safe: a second thread
    asking while the first imports waits for it (the name is marked tried only once
    the import finished), so it never sees a half-registered module."""
    name = behaviour_module(interface)
    if name in _TRIED_MODULES:
        return
    with _LOAD_LOCK:
        if name in _TRIED_MODULES:
            return
        try:
            importlib.import_module(name)
        except ModuleNotFoundError as e:
            # Only a missing behaviour module (or package) is fine; a broken import
            # inside one is re-raised (and tried again next time).
            if e.name is None or not name.startswith(e.name):
                raise
        _TRIED_MODULES.add(name)


def lookup(interface: str, function: str) -> Callable[..., Any] | None:
    """The registered behaviour, or ``None``: exact interface first, then the
    version-less registration."""
    impl = _BEHAVIOURS.get((interface, function))
    if impl is None:
        _load_module_for(interface)
        impl = _BEHAVIOURS.get((interface, function))
        if impl is None:
            impl = _BEHAVIOURS.get((_unversioned(interface), function))
    return impl


def registered() -> dict[tuple[str, str], Callable[..., Any]]:
    """A copy of the registration table."""
    return dict(_BEHAVIOURS)


def unfaked(world: Any) -> list[str]:
    """Every imported function/method/constructor/static of ``world`` (a
    :class:`golem_fakes.wit.model.World`) with no registered behaviour, as
    ``interface#canonical-name`` in world order. ``[resource-drop]`` behaviours are
    optional and never listed."""
    from golem_fakes.wit.model import Function, Interface

    out: list[str] = []
    for item in world.imports:
        obj = item.item
        if isinstance(obj, Interface):
            iid = obj.qualified_name
            for fn in obj.functions.values():
                if lookup(iid, fn.name) is None:
                    out.append(f"{iid}#{fn.name}")
        elif isinstance(obj, Function):
            iid = world.qualified_name
            if lookup(iid, obj.name) is None:
                out.append(f"{iid}#{obj.name}")
    return out
