"""``Golem.copy()``: a new installation with the same data state, sharing nothing mutable.

What a copy is for: crash-point exploration (:mod:`golem_fakes.worker.explore`) runs one
invocation many times, each time from the environment *as it was before* the
invocation, without running the test's set-up again. Golem itself has no such
operation; the closest is an executor restart, which is what a copy looks like from the
inside: every worker's durable state (oplog, metadata, the project's key-value buckets
and blob containers, its file system, promises) is there, and its instance is not.

What is copied (each structurally: new containers, new state objects, the leaves that
never change in place — ``str``, ``bytes``, numbers, enums, recorded oplog entries —
shared):

* the registry (components, workers, their metadata and status), ``updates``,
  ``forks``, ``reverts``;
* every worker's :class:`~golem_fakes.state.invocation.WorkerRuntime`: its oplog (the
  list of entries and raw records; entries are never changed once appended, so they are
  shared), retry-policy override, persistence level, idempotence mode, atomic regions,
  ``Invocation`` objects (with the ``call`` each was made with, shared: the export
  descriptor, the callable and its arguments are what was invoked), idempotency keys and
  completed results, spans;
* ``keyvalue`` buckets, ``blobstore`` containers, file systems, consoles (output so
  far), the virtual clock, ``random`` (each worker's generators continue from the same
  state), the promise store (pending, completed, scheduled completions), the seed-derived
  invocation-key generator, test overrides (``implement``) and fault plans;
* locks are new locks.

What is not copied: worker **instances** (Python module state cannot be copied in
general) and the handle tables that belong to them (a test's own ``with golem:`` block
handles included). A worker of the copy that has run invocations gets its instance
rebuilt by replay (:func:`golem_fakes.worker.replay.recover`) the first time it is used
(``invoke``, ``instance()``, a host call of its code), exactly as Golem rebuilds a
worker's instance after a restart. A worker whose oplog holds a test's own block cannot
be rebuilt that way (:class:`~golem_fakes.worker.replay.NotReplayable` on first use).
The default worker of a Golem with default code adopts the modules the test imported
(:meth:`Golem.instance`): its copy adopts the same modules, so replaying it in the copy
re-initialises the test's modules in place — explore a named worker instead.

``Golem.copy()`` can only be made between invocations (no invocation running, none
queued, no replay in progress): it is the environment "as it was before". Crash
exploration also copies *during* an invocation: ``copy_golem(g, running=worker)``, from
a host call of that worker's running invocation, is the environment at that moment, with
the invocation record copied and a stand-in for the instance that holds its handles
(see :func:`copy_golem`), so that the copy can lose the instance there as a crash does.

Cost: one pass over the state objects (a few microseconds per object; an oplog of ``n``
entries costs one list copy of ``n`` references). See ``benchmarks/bench_explore.py``.
"""

from __future__ import annotations

import codecs
import copy as _copy
import enum
import functools
import itertools
import random
import re
import threading
import types
import uuid
from typing import TYPE_CHECKING, Any, Callable

if TYPE_CHECKING:  # pragma: no cover
    from golem_fakes.state.golem import Golem

__all__ = ["copy_golem", "SnapshotError"]


class SnapshotError(RuntimeError):
    """The Golem cannot be copied now (an invocation is running or queued, a worker is
    replaying)."""


_ATOMIC: frozenset[type] = frozenset({
    type(None), bool, int, float, complex, str, bytes, range, type, frozenset,
    types.BuiltinFunctionType, types.ModuleType, types.CodeType, uuid.UUID,
    type(Ellipsis), type(NotImplemented), types.WrapperDescriptorType,
    types.MethodDescriptorType, types.GetSetDescriptorType, types.MemberDescriptorType,
})
_LOCK_TYPES: tuple[type, ...] = (type(threading.Lock()), type(threading.RLock()))

#: Golem attributes (``__dict__`` keys) that are not copied: the instances and what
#: belongs to them, and caches rebuilt on first use.
_GOLEM_SKIP = frozenset({"bindings", "_instances", "handles"})


def _shared_module(mod: str) -> bool:
    """Objects of these modules are shared, not copied: binding machinery (export
    descriptors, resource finalizers), worker instances and code, anything outside
    golem-fakes (the test's own objects, loggers, ...)."""
    return not (mod.startswith("golem_fakes.state") or mod.startswith("golem_fakes.interfaces"))


class _Cloner:
    """One copy: ``memo`` maps ``id(original)`` to its copy (the original Golem to the
    new one), so shared references stay shared and cycles are kept."""

    __slots__ = ("memo", "keep")

    def __init__(self, memo: dict[int, Any]) -> None:
        self.memo = memo
        #: originals kept alive while the copy is made (so ``id``s are not reused)
        self.keep: list[Any] = []

    def clone(self, x: Any) -> Any:
        t = type(x)
        if t in _ATOMIC:
            return x
        memo = self.memo
        got = memo.get(id(x), _MISSING)
        if got is not _MISSING:
            return got
        handler = _DISPATCH.get(t)
        if handler is not None:
            y = handler(self, x)
        elif isinstance(x, (enum.Enum, BaseException)):
            return x  # enum members are constants; a recorded trap / error is a value
        elif isinstance(x, _LOCK_TYPES):
            y = threading.RLock() if t is _LOCK_TYPES[1] else threading.Lock()
        elif isinstance(x, codecs.IncrementalDecoder):
            y = _copy.copy(x)  # a console's decoder holds the bytes of a partial character
        elif isinstance(x, random.Random):
            y = t.__new__(t)
            random.Random.__init__(y)
            y.setstate(x.getstate())
        elif _shared_module(getattr(t, "__module__", "") or ""):
            return x
        else:
            y = self._object(x, t)
            return y
        memo[id(x)] = y
        self.keep.append(x)
        return y

    def _object(self, x: Any, t: type) -> Any:
        """A golem-fakes state object: same class, every attribute copied."""
        special = _SPECIAL.get(t)
        if special is not None:
            return special(self, x)
        y = object.__new__(t)
        self.memo[id(x)] = y
        self.keep.append(x)
        self.fill(x, y)
        return y

    def fill(self, x: Any, y: Any, skip: frozenset[str] = frozenset(),
             shared: frozenset[str] = frozenset()) -> None:
        """Copy the attributes of ``x`` (``__dict__`` and ``__slots__``) onto ``y``:
        those in ``shared`` by reference, those in ``skip`` not at all."""
        d = getattr(x, "__dict__", None)
        if d is not None:
            yd = y.__dict__
            for k, v in d.items():
                if k in skip:
                    continue
                yd[k] = v if k in shared else self.clone(v)
        for cls in type(x).__mro__:
            for name in cls.__dict__.get("__slots__", ()):
                if name in ("__dict__", "__weakref__") or name in skip:
                    continue
                try:
                    v = object.__getattribute__(x, name)
                except AttributeError:
                    continue
                object.__setattr__(y, name, v if name in shared else self.clone(v))


_MISSING = object()


def _list(c: _Cloner, x: list[Any]) -> list[Any]:
    y: list[Any] = []
    c.memo[id(x)] = y
    c.keep.append(x)
    clone = c.clone
    y.extend(clone(v) for v in x)
    return y


def _dict(c: _Cloner, x: dict[Any, Any]) -> dict[Any, Any]:
    y = type(x)() if type(x) is not dict else {}
    c.memo[id(x)] = y
    c.keep.append(x)
    clone = c.clone
    for k, v in x.items():
        y[clone(k)] = clone(v)
    return y


def _tuple(c: _Cloner, x: tuple[Any, ...]) -> tuple[Any, ...]:
    items = [c.clone(v) for v in x]
    if all(a is b for a, b in zip(items, x)):
        return x
    return type(x)(items) if type(x) is tuple else type(x)(*items)


def _set(c: _Cloner, x: set[Any]) -> set[Any]:
    return {c.clone(v) for v in x}


def _bytearray(c: _Cloner, x: bytearray) -> bytearray:
    return bytearray(x)


def _count(c: _Cloner, x: Any) -> Any:
    # itertools.count's copy support is deprecated (3.12): its repr holds the state
    m = re.fullmatch(r"count\((-?\d+)(?:, (-?\d+))?\)", repr(x))
    if m is None:  # pragma: no cover - a float count, never made by golem-fakes
        raise SnapshotError(f"cannot copy {x!r}")
    return itertools.count(int(m.group(1)), int(m.group(2) or 1))


def _method(c: _Cloner, x: types.MethodType) -> Any:
    return types.MethodType(c.clone(x.__func__), c.clone(x.__self__))


def _function(c: _Cloner, x: types.FunctionType) -> Any:
    """A golem-fakes closure (``lambda: self.clock.wall_ms()``) gets its cells copied,
    so that it refers to the copy; every other function is shared."""
    cells = x.__closure__
    if not cells or not (x.__module__ or "").startswith("golem_fakes."):
        return x
    values = []
    changed = False
    for cell in cells:
        try:
            v = cell.cell_contents
        except ValueError:  # an empty cell
            values.append(types.CellType())
            continue
        nv = c.clone(v)
        changed = changed or nv is not v
        values.append(types.CellType(nv))
    if not changed:
        return x
    f = types.FunctionType(x.__code__, x.__globals__, x.__name__, x.__defaults__, tuple(values))
    f.__kwdefaults__ = x.__kwdefaults__
    f.__dict__.update(x.__dict__)
    f.__qualname__ = x.__qualname__
    return f


def _partial(c: _Cloner, x: functools.partial) -> Any:  # type: ignore[type-arg]
    return functools.partial(c.clone(x.func), *[c.clone(a) for a in x.args],
                             **{k: c.clone(v) for k, v in x.keywords.items()})


_DISPATCH: dict[type, Callable[[_Cloner, Any], Any]] = {
    list: _list, dict: _dict, tuple: _tuple, set: _set, bytearray: _bytearray,
    itertools.count: _count, types.MethodType: _method, types.FunctionType: _function,
    functools.partial: _partial,
}


def _special_classes() -> dict[type, Callable[[_Cloner, Any], Any]]:
    """Classes copied in their own way (bound on first use: no import cycles)."""
    from golem_fakes.state.invocation import Invocation, WorkerRuntime
    from golem_fakes.state.oplog import Oplog
    from golem_fakes.state.randomness import Randomness

    def oplog(c: _Cloner, x: Oplog) -> Oplog:
        y = object.__new__(Oplog)
        c.memo[id(x)] = y
        c.keep.append(x)
        # entries (and raw records) are never changed once appended: shared
        y._log = list(x._log)
        y.append_raw = y._log.append
        y._raw_from = x._raw_from
        y._commits = list(x._commits)
        y.deleted_regions = list(x.deleted_regions)
        y.now = c.clone(x.now)
        y._lock = threading.Lock()
        return y

    def invocation(c: _Cloner, x: Invocation) -> Invocation:
        y = object.__new__(Invocation)
        c.memo[id(x)] = y
        c.keep.append(x)
        # what was invoked, and the trap that ended it, are values: shared
        c.fill(x, y, shared=frozenset({"call", "trap"}))
        return y

    def runtime(c: _Cloner, x: WorkerRuntime) -> WorkerRuntime:
        if x.replay is not None:
            raise SnapshotError("cannot copy a Golem while one of its workers replays its "
                                "oplog (copy it between invocations)")
        if x.queue is not None and x.queue.items:
            raise SnapshotError(f"cannot copy a Golem while invocations are queued "
                                f"({list(x.queue.items)!r}): copy it between invocations")
        y = object.__new__(WorkerRuntime)
        c.memo[id(x)] = y
        c.keep.append(x)
        c.fill(x, y, skip=frozenset({"queue", "crash_hook"}))
        y.queue = None  # made on the first enqueue of the copy
        y.crash_hook = None  # the original's explorer's, never the copy's
        return y

    def randomness(c: _Cloner, x: Randomness) -> Randomness:
        y = object.__new__(Randomness)
        c.memo[id(x)] = y
        c.keep.append(x)
        c.fill(x, y)
        y._registered = False
        y._register()  # under hypothesis' control as the original is
        return y

    return {Oplog: oplog, Invocation: invocation, WorkerRuntime: runtime,
            Randomness: randomness}


_SPECIAL: dict[type, Callable[[_Cloner, Any], Any]] = {}


def copy_golem(g: "Golem", *, running: Any = None) -> "Golem":
    """A copy of ``g``: see the module docstring. :class:`SnapshotError` while an
    invocation of ``g`` is running or queued.

    ``running`` (a :class:`~golem_fakes.state.registry.Worker` of ``g``): the copy is
    taken *inside* that worker's running invocation, by code running in it (crash
    exploration's reference run, :mod:`golem_fakes.worker.explore`, from a host call of
    the invocation), or from such a copy — the environment as it is when an executor
    crash loses the worker's instance at that moment. Then that one invocation may be
    running (if the calling context runs an invocation of ``g``, it must be that one;
    not replaying, nothing queued):
    its :class:`~golem_fakes.state.invocation.Invocation` record is copied with the
    rest (outcome still ``None``); the copy's current invocation and environment are
    not touched (context variables are the caller's, not state). The worker's instance
    is not copied (its Python module state cannot be); what the crash does to it is
    kept so that it can happen in the copy: a stand-in instance without code holds the
    handles the instance holds now (their reps copied), which the recovery drops as it
    drops a lost instance's handles (their ``[resource-drop]`` behaviours run, e.g. a
    span's ``finish-span``). The worker is not rebuilt on first use: the caller ends
    the running invocation in the copy (:func:`golem_fakes.worker.executor.conclude_lost`).
    Call counts (``call_count``) go on from the original's: the calls made so far are
    the copy's retired counts. The copy's armed crash and crash trace are cleared."""
    from golem_fakes.state.invocation import Invocation

    if not _SPECIAL:
        _SPECIAL.update(_special_classes())
    running_rt = g.runtime(running) if running is not None else None
    cur = g.current_invocation if g.__dict__.get("_registry") is not None else None
    for rt in list(g.__dict__.get("_runtimes", {}).values()):
        busy = [i for i in rt.invocations if i.outcome is None]
        if rt is running_rt and len(busy) == 1 and cur in (None, busy[0]):
            continue
        if busy:
            raise SnapshotError(
                f"cannot copy {g!r} while worker {busy[-1].worker} runs "
                f"{busy[-1].function_name}: golem.copy() takes the environment between "
                f"invocations")
    if running is not None:
        if cur is not None and (type(cur) is not Invocation or cur.worker is not running):
            raise SnapshotError(f"copy_golem(running={running}): the copy is taken inside "
                                f"that worker's running invocation, and the current "
                                f"invocation is {cur!r}")
        _check_lost_handles(g, running)
    elif type(cur) is Invocation:
        raise SnapshotError(f"cannot copy {g!r} from inside its invocation "
                            f"{cur.function_name}: copy it from the test, between invocations")
    t = type(g)
    new = t.__new__(t)
    new.__dict__ = nd = {}  # a combined dict, as Environment.__init__ makes
    c = _Cloner({id(g): new})
    c.keep.append(g)
    for k, v in g.__dict__.items():
        if k in _GOLEM_SKIP:
            continue
        nd[k] = c.clone(v)
    nd["_instances"] = {}
    # Instances to rebuild by replay on first use: every worker that ran invocations.
    pending: set[tuple[str, str]] = set()
    for w, rt in nd.get("_runtimes", {}).items():
        if rt.invocations:
            pending.add((w.component.name, w.name))
    nd["_recover_on_use"] = pending
    if running is not None:
        key = (running.component.name, running.name)
        pending.discard(key)
        rt = c.clone(running_rt)
        rt.crash_in = rt.crash_trace = None
        counts = dict(g.__dict__.get("_retired_counts", {}))
        for site, b in list(g.__dict__.get("bindings", {}).items()):
            k2 = (site.interface, site.function)
            counts[k2] = counts.get(k2, 0) + b.count
        nd["_retired_counts"] = counts
        inst = g.__dict__.get("_instances", {}).get(key)
        if inst is not None and not inst.dropped:
            nd["_instances"][key] = _lost_instance(c, g, new, inst)
    return new


def _check_lost_handles(g: "Golem", running: Any) -> None:
    """:class:`SnapshotError` if the running worker's instance holds a handle whose
    ``[resource-drop]`` behaviour does something (a span's drop writes ``finish-span``,
    a stream's checks its pollables): where the crashed instance's code would drop it
    — while unwinding from the crash, a ``with`` block's exit running the behaviour
    before the recovery truncates the oplog, or with the instance afterwards — depends
    on code a copy does not run, so a copy cannot stand for the crash there."""
    from golem_fakes.bindings.runtime import no_drop

    inst = g.__dict__.get("_instances", {}).get((running.component.name, running.name))
    if inst is None or inst.dropped:
        return
    for handle, entry in list(inst.env.handles.items()):
        if entry.env is None:
            continue
        b = g.bindings[entry.rsite]
        if b.behaviour is not no_drop:
            raise SnapshotError(
                f"copy_golem(running={running}): the instance holds handle {handle} of "
                f"{entry.rsite.interface} {entry.rsite.function}, whose drop behaviour "
                f"runs where the crashed code drops it; a copy cannot reproduce that")


class _LostHandle:
    """A row of a stand-in instance's handle table (:func:`_lost_instance`): what
    :func:`golem_fakes.bindings.runtime._drop_handle` reads of a
    :class:`~golem_fakes.bindings.runtime.ResourceFinalizer`, without the resource
    object (that belongs to the lost instance's Python state)."""

    __slots__ = ("rep", "rsite", "env", "handle")

    def __init__(self, rep: Any, rsite: Any, env: Any, handle: int) -> None:
        self.rep, self.rsite, self.env, self.handle = rep, rsite, env, handle


def _lost_instance(c: _Cloner, g: "Golem", new: "Golem", inst: Any) -> Any:
    """A stand-in for ``inst`` (of ``g``) in the copy ``new``: no code, the handles
    ``inst`` holds now (reps copied by ``c``), so that dropping it drops them in the
    copy. The default worker's handles are the Golem's own table (``inst.env is g``),
    as they are the copy's."""
    from golem_fakes.worker.instance import WorkerInstance

    own = inst.env is not g
    y = WorkerInstance(new, inst.component, inst.name, own_table=own)
    table = y.env.handles
    for handle, entry in list(inst.env.handles.items()):
        if entry.env is None:
            continue  # detached: being dropped
        table[handle] = _LostHandle(c.clone(entry.rep), entry.rsite, y.env, handle)
    return y


def recover_copied(g: "Golem", key: tuple[str, str]) -> Any:
    """The instance of worker ``key`` of a copy, rebuilt by replaying its oplog
    (:meth:`Golem._instance_for` calls this for a worker of :attr:`_recover_on_use`):
    ``None`` if the replay made none (nothing to replay)."""
    from golem_fakes.worker.replay import recover

    g.__dict__["_recover_on_use"].discard(key)
    w = g.registry.get(*key)
    outcome = recover(g, w, None)
    if outcome is not None and outcome[0] in ("error", "raise"):
        raise outcome[1]
    return g.__dict__.get("_instances", {}).get(key)
