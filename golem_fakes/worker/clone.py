"""A fresh worker instance made by cloning a pristine template instead of re-executing.

What a real component does: componentize-py runs the app's module-level code **once,
at build time** (pre-initialisation, ``runtime/src/lib.rs`` ``do_init``), including the
export objects it makes (one per exported function), and snapshots the interpreter's
memory; every instance of the component, i.e. every Golem worker, starts from a copy of
that snapshot. Nothing is re-executed per worker: a module-level value drawn from
``random`` at build time is the same in every worker.

What this module does: per :class:`~golem_fakes.worker.code.ComponentCode` (and per
source version, see :func:`fresh_instance`), one **template** load is made with the
ordinary fresh-load path (``ComponentCode._exec_load``, build-time rules included: no
host, componentize-py's errors) and then never handed to a worker and never run again.
A new instance is a **clone** of it: new module objects whose namespaces are copies of
the template's, everything the template owns re-created for the clone:

* functions whose ``__globals__`` is a template module's dict are rebuilt with the
  clone's dict (code, name, qualname, defaults, kwdefaults, closure cells, annotations,
  doc, ``__dict__`` with ``__wrapped__``, ``__module__``, ``__type_params__``); other
  Python functions with a closure (``functools.wraps``/``contextmanager`` helpers,
  ``dataclasses``' ``__repr__`` wrapper) are rebuilt too, so their cells are the
  clone's; ``functools.lru_cache`` wrappers are made anew around the cloned function
  (caches are per instance);
* classes whose ``__module__`` is a component module are rebuilt: ``type.__new__`` of
  the (mapped) metaclass with the mapped bases and the slots, then the namespace copied
  into it (so ``__set_name__`` is not called again and metaclass ``__new__``/``__init__``
  do not run again: their results are in the namespace); ``__init_subclass__`` entries
  are put in last, so creating a subclass's clone never calls a component
  ``__init_subclass__``; ``__class__`` cells (``super()``) are the clone's cells holding
  the clone's class; ABCs get a new ``_abc_impl`` with the template's registrations;
  ``Enum`` members are new members of the cloned class (``Status.NEW is Status(0)``);
* module-level containers and instances (dict, list, set, ``defaultdict``,
  ``OrderedDict``, ``deque``, instances of component classes or of other classes,
  through the pickle protocol ``__reduce_ex__(4)``) are deep-copied with one memo per
  clone (template object → clone object), so shared references stay shared within the
  clone and never between clones;
* immutable and process-wide things are shared: modules that are not the component's
  (standard library, installed packages, generated bindings), their classes and
  functions, ints, strings, code objects, compiled patterns, objects that are globals
  of their type's module (``dataclasses.MISSING``) or of ``sys``.

What cannot be cloned faithfully makes the component fall back to the exec path, with
the reason in :attr:`ComponentCode.clone_fallback_reason`: a generator or coroutine, a
thread (stored, or started by module-level code and still running), a held lock, a
weak reference, an open file or other object whose copy fails, an ``lru_cache`` used at
build time, a component class whose ``__reduce__``/``__getstate__``/``__setstate__``/
``__deepcopy__``/``__new__`` is component code (cloning would run it on the template),
a metaclass or base ``__init_subclass__`` from outside the component (other than
``type``/``ABCMeta``/``EnumType``/``typing``'s), an Enum with an unusual member type.
The check is the first clone itself (made right after the template and handed to the
first worker); the template is frozen (never run), so a later clone meets the same
objects.

Limitations: process-wide registrations made by module-level code (``atexit``,
``logging`` handlers, ``copyreg``) are the template's only (with exec, one per
instance); the standard library's own state stays per process.
"""

from __future__ import annotations

import abc
import collections
import copy as _copy
import copyreg
import datetime
import decimal
import enum
import fractions
import functools
import gc
import io
import os
import pathlib
import re
import sys
import threading
import types
import typing
import uuid
import weakref
from typing import Any, Callable

from golem_fakes.worker import code as _code

__all__ = ["CloneTemplate", "Uncloneable", "fresh_instance"]

_MISSING: Any = object()


class Uncloneable(Exception):
    """Something in the template that a clone could not reproduce faithfully; the
    message is the reason recorded in ``ComponentCode.clone_fallback_reason``."""


_ATOMIC: frozenset[type] = frozenset({
    type(None), bool, int, float, complex, str, bytes, type(...), type(NotImplemented),
    range, types.CodeType, re.Pattern, object, types.WrapperDescriptorType,
    types.MethodDescriptorType, types.ClassMethodDescriptorType,
    datetime.date, datetime.datetime, datetime.time, datetime.timedelta,
    datetime.timezone, decimal.Decimal, fractions.Fraction, uuid.UUID,
    pathlib.PurePosixPath, pathlib.PureWindowsPath, pathlib.PosixPath,
    pathlib.WindowsPath, type(str.join), types.NoneType,
})

#: metaclasses a component class may have besides its own ones (their ``__new__`` /
#: ``__init__`` results are in the class namespace, which is copied)
_METACLASSES: set[type] = {type, abc.ABCMeta, enum.EnumType}
for _name in ("_ProtocolMeta", "_TypedDictMeta"):
    _meta = getattr(typing, _name, None)
    if isinstance(_meta, type):
        _METACLASSES.add(_meta)

#: classes outside the component whose ``__init_subclass__`` may run again when a
#: component class is rebuilt (what it sets is overwritten by the copied namespace)
_INIT_SUBCLASS_OK: set[Any] = {object, typing.Generic}
if hasattr(typing, "Protocol"):
    _INIT_SUBCLASS_OK.add(typing.Protocol)

#: class-dict entries a rebuilt class gets by construction (or must not copy)
_CLASS_SKIP = frozenset({"__dict__", "__weakref__", "__module__", "__qualname__",
                         "__slots__", "_abc_impl", "__abstractmethods__", "__orig_bases__"})

#: class-dict entries type.__new__ would treat specially if given in its namespace
_NS_SPECIAL = frozenset({"__new__", "__init_subclass__", "__class_getitem__", "__classcell__",
                         "__set_name__"})

#: special methods that the pickle protocol would call on a template instance
_REDUCE_HOOKS = ("__reduce_ex__", "__reduce__", "__getstate__", "__setstate__",
                 "__getnewargs__", "__getnewargs_ex__", "__deepcopy__", "__copy__",
                 "__new__")

_FunctionType = types.FunctionType
_CellType = types.CellType
_HEAPTYPE = 1 << 9  # Py_TPFLAGS_HEAPTYPE: a class made by a class statement (not C)
import _thread

#: lock types and how a new, unheld one is made
_LOCK_TYPES: dict[type, Callable[[], Any]] = {
    type(threading.Lock()): _thread.allocate_lock,
    type(threading.RLock()): type(threading.RLock()),
}
_UNCLONEABLE_TYPES: dict[type, str] = {
    types.GeneratorType: "a generator (its running frame cannot be copied)",
    types.CoroutineType: "a coroutine (its frame cannot be copied)",
    types.AsyncGeneratorType: "an async generator (its frame cannot be copied)",
    types.FrameType: "a frame object",
    types.TracebackType: "a traceback (it holds frames)",
    weakref.ref: "a weak reference",
    weakref.ProxyType: "a weak proxy",
    weakref.CallableProxyType: "a weak proxy",
}
_WEAK_CONTAINERS = (weakref.WeakKeyDictionary, weakref.WeakValueDictionary, weakref.WeakSet)
_LRU = getattr(functools, "_lru_cache_wrapper", None)
_CACHE_INFO = getattr(functools, "_CacheInfo", None)
_ABC_INIT = getattr(abc, "_abc_init", None)
_ABC_REGISTER = getattr(abc, "_abc_register", None)
_ABC_DUMP = getattr(abc, "_get_dump", None)


def _describe(x: Any) -> str:
    t = type(x)
    try:
        text = repr(x)
    except Exception:  # noqa: BLE001
        text = "?"
    if len(text) > 80:
        text = text[:77] + "..."
    return f"{t.__module__}.{t.__qualname__} {text}"


class _Cloner:
    """One clone of a template (``probing``: the first one, which also checks what can
    be cloned and records which template objects a clone shares)."""

    __slots__ = ("t", "memo", "dicts", "keep", "probing", "deferred", "path", "shared",
                 "handlers", "flat", "function_extras")

    def __init__(self, template: "CloneTemplate", probing: bool) -> None:
        self.t = template
        self.memo: dict[int, Any] = {}
        self.dicts: dict[int, dict[str, Any]] = {}
        self.keep: list[Any] = []
        self.memo[id(self.memo)] = self.keep  # copy.deepcopy's keep-alive slot
        self.probing = probing
        self.deferred: list[tuple[type, str, Any]] = []
        self.path: list[str] = []
        self.shared = template.shared
        self.handlers = template.handlers
        self.flat = template.flat
        self.function_extras = template.function_extras

    # --- the entry ----------------------------------------------------------------

    def clone_modules(self) -> dict[str, types.ModuleType]:
        t = self.t
        memo, dicts = self.memo, self.dicts
        out: dict[str, types.ModuleType] = {}
        for name, tmod in t.modules:
            cmod = types.ModuleType(name)
            cd = cmod.__dict__
            cd.clear()
            memo[id(tmod)] = cmod
            td = tmod.__dict__
            memo[id(td)] = cd
            dicts[id(td)] = cd
            out[name] = cmod
        for obj in t.pinned:
            memo[id(obj)] = obj
        copy = self.copy
        for name, tmod in t.modules:
            cd = out[name].__dict__
            if self.probing:
                for k, v in tmod.__dict__.items():
                    self.path.append(f"{name}.{k}")
                    cd[k] = copy(v)
                    self.path.pop()
            else:
                for k, v in tmod.__dict__.items():
                    cd[k] = copy(v)
        return out

    def finish(self) -> None:
        """Put in the ``__init_subclass__`` entries held back (see the module
        docstring)."""
        setattr_ = type.__setattr__
        for cls, key, value in self.deferred:
            setattr_(cls, key, value)

    def where(self) -> str:
        return f" (at {self.path[-1]})" if self.path else ""

    def refuse(self, what: str) -> Uncloneable:
        return Uncloneable(f"{what}{self.where()}")

    # --- dispatch ------------------------------------------------------------------

    def copy(self, x: Any) -> Any:
        cls = type(x)
        if cls in _ATOMIC:
            return x
        i = id(x)
        if i in self.shared:
            return x
        y = self.memo.get(i, _MISSING)
        if y is not _MISSING:
            return y
        handler = _DISPATCH.get(cls)
        if handler is None:
            handler = self.handlers.get(cls)
            if handler is None:
                handler = self.handlers[cls] = self._handler(cls)
                self.t._shared_keep.append(cls)
        y = handler(self, x)
        if y is x and self.probing:
            self.t.share(x)
        # No keep-alive here: what is copied is the template's (alive as long as it is),
        # but for what __reduce_ex__ returns, which _reduce keeps.
        return y

    def _handler(self, cls: type) -> Callable[["_Cloner", Any], Any]:
        if issubclass(cls, type):
            return _Cloner._type
        if cls in _UNCLONEABLE_TYPES:
            return _Cloner._uncloneable
        if issubclass(cls, enum.Enum):
            return _Cloner._enum_member
        if cls.__module__ in ("typing", "typing_extensions") or cls in (types.GenericAlias, types.UnionType):
            return _Cloner._typing
        if cls in _LOCK_TYPES:
            return _Cloner._lock
        if cls in _WEAK_CONTAINERS:
            return _Cloner._weak_container
        return _Cloner._object

    # --- immutable containers -------------------------------------------------------

    def _tuple(self, x: tuple[Any, ...]) -> Any:
        copy = self.copy
        items = [copy(v) for v in x]
        y = self.memo.get(id(x), _MISSING)  # a cycle through a mutable member
        if y is not _MISSING:
            return y
        for a, b in zip(items, x):
            if a is not b:
                y = tuple(items)
                self.memo[id(x)] = y
                return y
        return x

    def _frozenset(self, x: frozenset[Any]) -> Any:
        copy = self.copy
        items = [copy(v) for v in x]
        if all(a is b for a, b in zip(items, x)):
            return x
        y = frozenset(items)
        self.memo[id(x)] = y
        return y

    # --- mutable containers ---------------------------------------------------------

    def _dict(self, x: dict[Any, Any]) -> dict[Any, Any]:
        if id(x) in self.flat:  # its keys and values are all shared: a C-level copy
            y = x.copy()
            self.memo[id(x)] = y
            return y
        y = {}
        self.memo[id(x)] = y
        copy = self.copy
        shared = self.shared
        atomic = _ATOMIC
        same = True
        for k, v in x.items():
            if type(k) not in atomic and id(k) not in shared:
                k2 = copy(k)
                same = same and k2 is k
                k = k2
            if type(v) in atomic or id(v) in shared:
                y[k] = v
            else:
                v2 = y[k] = copy(v)
                same = same and v2 is v
        if same and self.probing and type(x) is dict:
            self.t.flatten(x)
        return y

    def _list(self, x: list[Any]) -> list[Any]:
        if id(x) in self.flat:
            y = x.copy()
            self.memo[id(x)] = y
            return y
        y = []
        self.memo[id(x)] = y
        copy = self.copy
        shared = self.shared
        atomic = _ATOMIC
        append = y.append
        same = True
        for v in x:
            if type(v) in atomic or id(v) in shared:
                append(v)
            else:
                v2 = copy(v)
                append(v2)
                same = same and v2 is v
        if same and self.probing and type(x) is list:
            self.t.flatten(x)
        return y

    def _set(self, x: set[Any]) -> set[Any]:
        y: set[Any] = set()
        self.memo[id(x)] = y
        copy = self.copy
        for v in x:
            y.add(copy(v))
        return y

    def _bytearray(self, x: bytearray) -> bytearray:
        y = bytearray(x)
        self.memo[id(x)] = y
        return y

    # --- functions --------------------------------------------------------------------

    def _cell(self, x: types.CellType) -> types.CellType:
        y = types.CellType()
        self.memo[id(x)] = y
        try:
            contents = x.cell_contents
        except ValueError:  # an empty cell
            return y
        y.cell_contents = self.copy(contents)
        return y

    def _function(self, f: types.FunctionType) -> Any:
        g = f.__globals__
        ng = self.dicts.get(id(g))
        closure = f.__closure__
        if ng is None:
            # not the component's: its globals are another module's; shared unless its
            # closure holds something a clone copies (a component function it wraps)
            if not closure:
                return f
            shared = self.shared
            if all(type(v) in _ATOMIC or id(v) in shared
                   for v in map(_cell_value, closure)):
                return f
            ng = g
        memo = self.memo
        i = id(f)
        defaults = f.__defaults__
        if defaults is not None and id(defaults) not in self.shared:
            defaults = self.copy(defaults)
        if closure:
            cells = []
            pending = []
            for c in closure:
                cell = memo.get(id(c))
                if cell is None:
                    cell = memo[id(c)] = _CellType()
                    pending.append((c, cell))
                cells.append(cell)
            y = _FunctionType(f.__code__, ng, f.__name__, defaults, tuple(cells))
            memo[i] = y
            copy = self.copy
            for c, cell in pending:
                try:
                    contents = c.cell_contents
                except ValueError:
                    continue
                cell.cell_contents = copy(contents)
        else:
            y = memo[i] = _FunctionType(f.__code__, ng, f.__name__, defaults)
        extras = self.function_extras.get(i)
        if extras is None:
            extras = self.function_extras[i] = _function_extras(f, y)
            self.t._shared_keep.append(f)
        if extras:  # what FunctionType() did not give the copy by itself
            kw, qualname, module, doc, ann, d, tp = extras
            if ann is not None:
                a2 = memo.get(id(ann))
                if a2 is None:
                    if id(ann) in self.flat:
                        a2 = memo[id(ann)] = ann.copy()
                    else:
                        a2 = self._dict(ann)
                y.__annotations__ = a2
            if qualname is not None:
                y.__qualname__ = qualname
            if doc is not _MISSING:
                y.__doc__ = doc
            if kw is not None:
                y.__kwdefaults__ = self.copy(kw)
            if module is not None:
                y.__module__ = module
            if d is not None:
                y.__dict__.update(self._dict(d))
            if tp is not None:
                y.__type_params__ = tp
        return y

    def _method(self, x: types.MethodType) -> Any:
        func, obj = self.copy(x.__func__), self.copy(x.__self__)
        if func is x.__func__ and obj is x.__self__:
            return x
        return types.MethodType(func, obj)

    def _builtin_method(self, x: Any) -> Any:
        obj = getattr(x, "__self__", None)
        if obj is None or isinstance(obj, types.ModuleType):
            return x
        new = self.copy(obj)
        if new is obj:
            return x
        return getattr(new, x.__name__)

    def _wrapper(self, x: Any) -> Any:  # staticmethod, classmethod
        func = self.copy(x.__func__)
        if id(x) in self.t.auto_wrappers:  # its __dict__ is what type(x)(func) makes
            y = type(x)(func)
            self.memo[id(x)] = y
            return y
        d = getattr(x, "__dict__", None)
        if self.probing and d is not None and func is not x.__func__:
            ref = type(x)(x.__func__)
            rd = ref.__dict__
            if len(rd) == len(d) and all(rd.get(k, _MISSING) is v for k, v in d.items()):
                self.t.auto_wrappers.add(id(x))
                self.t._shared_keep.append(x)
        if d:
            d2 = self._dict(d)
            if func is x.__func__ and id(d) in self.flat:
                return x
        elif func is x.__func__:
            return x
        y = type(x)(func)
        self.memo[id(x)] = y
        if d:
            y.__dict__.update(d2)
        return y

    def _property(self, x: property) -> Any:
        copy = self.copy
        parts = (x.fget, x.fset, x.fdel)
        new = tuple(copy(p) for p in parts)
        if all(a is b for a, b in zip(new, parts)):
            return x
        y = type(x)(*new, x.__doc__)
        self.memo[id(x)] = y
        return y

    def _lru(self, x: Any) -> Any:
        info = x.cache_info() if self.probing else None
        if info is not None and (info.hits or info.misses or info.currsize):
            raise self.refuse(
                f"the functools.lru_cache of {getattr(x, '__qualname__', x)!r} was used by "
                f"module-level code ({info}); its cache cannot be copied into a clone")
        func = self.copy(x.__wrapped__)
        if func is x.__wrapped__:
            return x
        params = x.cache_parameters()
        y = _LRU(func, params["maxsize"], params["typed"], _CACHE_INFO)  # type: ignore[misc]
        self.memo[id(x)] = y
        y.__dict__.update(self.copy(x.__dict__))
        return y

    def _partial(self, x: functools.partial) -> Any:  # type: ignore[type-arg]
        func, args, kw = self.copy(x.func), self.copy(x.args), self.copy(x.keywords)
        d = x.__dict__
        if func is x.func and args is x.args and all(a is b for a, b in zip(
                kw.values(), x.keywords.values())) and not d:
            return x
        y = type(x)(func, *args, **kw)
        self.memo[id(x)] = y
        if d:
            y.__dict__.update(self.copy(d))
        return y

    def _mappingproxy(self, x: types.MappingProxyType) -> Any:  # type: ignore[type-arg]
        refs = gc.get_referents(x)
        if len(refs) != 1:
            raise self.refuse("a mappingproxy whose mapping cannot be found")
        inner = self.copy(refs[0])
        return x if inner is refs[0] else types.MappingProxyType(inner)

    def _descriptor(self, x: Any) -> Any:  # member / getset descriptors
        owner = x.__objclass__
        new = self.copy(owner)
        if new is owner:
            return x
        return new.__dict__[x.__name__]

    def _module(self, x: types.ModuleType) -> Any:
        return x  # component modules are in the memo already; others are shared

    # --- classes ----------------------------------------------------------------------

    def _type(self, c: type) -> Any:
        if not self.t.owned(c):
            if self.probing:
                self._check_foreign_class(c)
            return c
        return self._class(c)

    def _check_foreign_class(self, c: type) -> None:
        dict_ids = self.t.dict_ids
        for k, v in vars(c).items():
            f = getattr(v, "__func__", v)
            g = getattr(f, "__globals__", None)
            if g is not None and id(g) in dict_ids:
                raise self.refuse(
                    f"class {c.__module__}.{c.__qualname__} is not marked as a component "
                    f"class (its __module__ is not a component module) but its {k!r} is "
                    f"component code; a clone would share it with the template")

    def _class(self, c: type) -> type:
        copy = self.copy
        meta = type(c)
        if self.probing:
            self._check_class(c)
        new_meta = copy(meta)
        bases = tuple([copy(b) for b in c.__bases__])
        memo = self.memo
        y = memo.get(id(c), _MISSING)
        if y is not _MISSING:  # made while its bases were
            return y
        d = c.__dict__
        plan = self.t.class_plans.get(id(c))
        ns: dict[str, Any] = {"__module__": d.get("__module__", c.__module__),
                              "__qualname__": c.__qualname__}
        if "__slots__" in d:
            ns["__slots__"] = d["__slots__"]
        if "__orig_bases__" in d:
            ns["__orig_bases__"] = copy(d["__orig_bases__"])
        if plan is not None:
            # entries every clone shares (a str, None, a shared function) go into the
            # namespace type.__new__ gets; the rest is copied once the class exists
            ns.update(plan[0])
        new = type.__new__(new_meta, c.__name__, bases, ns)
        memo[id(c)] = new
        new_dict = new.__dict__
        setattr_ = type.__setattr__
        if plan is not None:
            function = self._function
            ftype = types.FunctionType
            for k, kind in plan[1]:
                if kind == 0:
                    v = d[k]
                    if type(v) is ftype:
                        v2 = memo.get(id(v))
                        setattr_(new, k, v2 if v2 is not None else function(v))
                    else:
                        setattr_(new, k, copy(v))
                elif kind == 1:
                    memo[id(d[k])] = new_dict[k]
                else:
                    self.deferred.append((new, k, copy(d[k])))
        else:
            static: dict[str, Any] = {}
            rest: list[tuple[str, int]] = []
            for k, v in d.items():
                if k in _CLASS_SKIP:
                    continue
                tv = type(v)
                if tv is types.MemberDescriptorType or tv is types.GetSetDescriptorType:
                    if v.__objclass__ is c and k in new_dict:
                        memo[id(v)] = new_dict[k]
                        rest.append((k, 1))
                        continue
                if k == "__init_subclass__":
                    self.deferred.append((new, k, copy(v)))
                    rest.append((k, 2))
                    continue
                v2 = copy(v)
                setattr_(new, k, v2)
                if v2 is v and k not in _NS_SPECIAL and not hasattr(tv, "__set_name__"):
                    static[k] = v
                else:
                    rest.append((k, 0))
            if self.probing:
                self.t.class_plans[id(c)] = (static, tuple(rest))
        if isinstance(new, abc.ABCMeta):
            if _ABC_INIT is None or _ABC_REGISTER is None or _ABC_DUMP is None:
                raise self.refuse(f"ABC {c.__qualname__}: this Python's abc has no C helpers")
            _ABC_INIT(new)
            for ref in _ABC_DUMP(c)[0]:
                sub = ref()
                if sub is not None:
                    _ABC_REGISTER(new, copy(sub))
        return new

    def _check_class(self, c: type) -> None:
        """What makes a component class uncloneable (probe only)."""
        meta = type(c)
        name = f"{c.__module__}.{c.__qualname__}"
        if meta not in _METACLASSES and not self.t.owned(meta):
            raise self.refuse(
                f"component class {name} has metaclass {meta.__module__}.{meta.__qualname__} "
                f"from outside the component: rebuilding the class without running it "
                f"again is not known to be faithful")
        for b in c.__mro__[1:]:
            if self.t.owned(b):
                continue
            if "__init_subclass__" in vars(b):
                if b not in _INIT_SUBCLASS_OK:
                    raise self.refuse(
                        f"component class {name} has base {b.__module__}.{b.__qualname__} "
                        f"with its own __init_subclass__, which rebuilding the class would "
                        f"run again")
                break

    # --- instances --------------------------------------------------------------------

    def _enum_member(self, x: enum.Enum) -> Any:
        e = type(x)
        if not self.t.owned(e):
            return x
        new_cls = self.copy(e)
        y = self.memo.get(id(x), _MISSING)
        if y is not _MISSING:
            return y
        mt = e.__dict__.get("_member_type_", object)
        if mt is object:
            y = object.__new__(new_cls)
        elif mt is int:
            y = int.__new__(new_cls, int.__int__(x))  # type: ignore[arg-type]
        elif mt is str:
            y = str.__new__(new_cls, str.__str__(x))  # type: ignore[arg-type]
        elif mt is float:
            y = float.__new__(new_cls, float.__float__(x))  # type: ignore[arg-type]
        else:
            raise self.refuse(
                f"member {x!r} of Enum {e.__qualname__} has member type "
                f"{getattr(mt, '__qualname__', mt)!r} (only object, int, str and float "
                f"members are cloned)")
        self.memo[id(x)] = y
        yd = y.__dict__
        copy = self.copy
        for k, v in x.__dict__.items():
            yd[k] = copy(v)
        return y

    def _typing(self, x: Any) -> Any:
        """Typing objects (``Optional[str]``, ``list[Line]``) are immutable: shared unless
        they refer to a component class, then rebuilt through ``__reduce__``."""
        if self.probing and not self._refers_to_component(x):
            return x
        return self._object(x)

    def _refers_to_component(self, x: Any) -> bool:
        t = self.t
        seen: set[int] = set()
        todo = [x]
        while todo:
            o = todo.pop()
            if id(o) in seen or type(o) in _ATOMIC or isinstance(o, types.ModuleType):
                continue
            seen.add(id(o))
            if len(seen) > 20_000:
                return True
            if isinstance(o, type):
                if t.owned(o):
                    return True
                continue
            if id(o) in t.dict_ids:
                return True
            if isinstance(o, types.FunctionType):  # not its globals: another module's
                if id(o.__globals__) in t.dict_ids:
                    return True
                todo.extend(_cell_value(c) for c in o.__closure__ or ())
                todo.extend((o.__defaults__, o.__kwdefaults__, o.__dict__))
                continue
            todo.extend(gc.get_referents(o))
        return False

    def _lock(self, x: Any) -> Any:
        if repr(x).startswith("<locked"):
            raise self.refuse(f"a lock held at build time ({_describe(x)})")
        y = _LOCK_TYPES[type(x)]()
        self.memo[id(x)] = y
        return y

    def _uncloneable(self, x: Any) -> Any:
        raise self.refuse(f"{_UNCLONEABLE_TYPES[type(x)]}: {_describe(x)}")

    def _weak_container(self, x: Any) -> Any:
        y = type(x)()
        self.memo[id(x)] = y
        copy = self.copy
        if isinstance(x, weakref.WeakSet):
            for v in list(x):
                y.add(copy(v))
        else:
            for k, v in list(x.items()):
                y[copy(k)] = copy(v)
        return y

    def _object(self, x: Any) -> Any:
        cls = type(x)
        t = self.t
        owned = t.owned(cls)
        if self.probing:
            self._check_object(x, cls, owned)
        if not owned and id(x) in t.foreign:
            return x
        info = t.class_info(cls)
        if type(info) is tuple:
            new_cls = self.copy(cls) if owned else cls
            memo = self.memo
            y = memo.get(id(x), _MISSING)  # made while its class was
            if y is not _MISSING:
                return y
            y = object.__new__(new_cls)
            memo[id(x)] = y
            copy = self.copy
            d = getattr(x, "__dict__", None)
            if d:
                yd = y.__dict__
                shared = self.shared
                for k, v in d.items():
                    yd[k] = v if type(v) in _ATOMIC or id(v) in shared else copy(v)
            if info:
                shared = self.shared
                get, put = object.__getattribute__, object.__setattr__
                for name in info:
                    try:
                        v = get(x, name)
                    except AttributeError:
                        continue
                    put(y, name, v if type(v) in _ATOMIC or id(v) in shared else copy(v))
            return y
        if not owned and getattr(cls, "__deepcopy__", None) is not None:
            return _copy.deepcopy(x, self.memo)
        return self._reduce(x, cls)

    def _check_object(self, x: Any, cls: type, owned: bool) -> None:
        t = self.t
        if owned:
            info = t.class_info(cls)
            if type(info) is str and info != "reduce":
                raise self.refuse(info)
            return
        mod = sys.modules.get(cls.__module__)
        for ns in (getattr(mod, "__dict__", None), vars(sys)):
            if ns and any(v is x for v in ns.values()):
                t.foreign.add(id(x))
                t.share(x)
                return
        if isinstance(x, threading.Thread):
            raise self.refuse(f"a thread ({_describe(x)})")
        if isinstance(x, io.IOBase):
            if getattr(x, "closed", False) is True:  # `with open(...) as f:` leaves one
                t.foreign.add(id(x))
                t.share(x)
                return
            raise self.refuse(f"an open file or stream ({_describe(x)})")
        if getattr(cls, "__deepcopy__", None) is not None and self._refers_to_component(x):
            raise self.refuse(
                f"{_describe(x)} defines __deepcopy__ and refers to component objects, "
                f"which copy.deepcopy would share with the template")

    def _reduce(self, x: Any, cls: type) -> Any:
        try:
            rv = x.__reduce_ex__(4)
        except Exception as e:  # noqa: BLE001
            raise self.refuse(f"{_describe(x)} cannot be copied: {type(e).__name__}: {e}")
        if isinstance(rv, str):
            return x  # a global, by name: shared
        self.keep.append(rv)  # its temporaries' ids must stay theirs while memo has them
        copy = self.copy
        n = len(rv)
        func, args = rv[0], rv[1]
        state = rv[2] if n > 2 else None
        listitems = rv[3] if n > 3 else None
        dictitems = rv[4] if n > 4 else None
        if func is copyreg.__newobj__:
            c = copy(args[0])
            y = c.__new__(c, *[copy(a) for a in args[1:]])
        elif func is copyreg.__newobj_ex__:
            c, a, kw = args
            c = copy(c)
            y = c.__new__(c, *copy(a), **copy(kw))
        else:
            if self.probing and self._runs_component_code(func):
                raise self.refuse(f"copying {_describe(x)} would call component code {func!r}")
            y = copy(func)(*copy(args))
        self.memo[id(x)] = y
        if state is not None:
            setstate = getattr(cls, "__setstate__", None)
            if setstate is not None:  # never component code: class_info refused that
                setstate(y, copy(state))
            else:
                slotstate = None
                if isinstance(state, tuple) and len(state) == 2:
                    state, slotstate = state
                if state:
                    yd = y.__dict__
                    for k, v in state.items():
                        yd[k] = copy(v)
                if slotstate:
                    for k, v in slotstate.items():
                        object.__setattr__(y, k, copy(v))
        if listitems is not None:
            for item in listitems:
                y.append(copy(item))
        if dictitems is not None:
            for k, v in dictitems:
                y[copy(k)] = copy(v)
        return y

    def _runs_component_code(self, f: Any) -> bool:
        dict_ids = self.t.dict_ids
        if isinstance(f, type):
            return any(self.t.owned(b) and any(
                _is_code_of(b.__dict__.get(m), dict_ids) for m in ("__init__", "__new__"))
                for b in f.__mro__)
        return _is_code_of(f, dict_ids)


def _function_extras(f: types.FunctionType, y: types.FunctionType) -> tuple[Any, ...]:
    """The attributes of template function ``f`` that its copy ``y``, fresh from
    ``FunctionType(code, globals, name, defaults, closure)``, lacks (``None``: the same
    already); an empty tuple if none. The template is never run, so this holds for
    every clone."""
    kw = f.__kwdefaults__ or None
    qualname = f.__qualname__ if f.__qualname__ != y.__qualname__ else None
    module = f.__module__ if f.__module__ != y.__module__ else None
    doc = f.__doc__ if f.__doc__ is not y.__doc__ else _MISSING
    ann = f.__annotations__ or None
    d = f.__dict__ or None
    tp = getattr(f, "__type_params__", None) or None
    extras = (kw, qualname, module, doc, ann, d, tp)
    if all(v is None for v in extras[:3]) and doc is _MISSING and all(
            v is None for v in extras[4:]):
        return ()
    return extras


def _cell_value(c: types.CellType) -> Any:
    try:
        return c.cell_contents
    except ValueError:  # empty
        return None


def _is_code_of(f: Any, dict_ids: set[int]) -> bool:
    f = getattr(f, "__func__", f)
    f = getattr(f, "__wrapped__", f)
    g = getattr(f, "__globals__", None)
    return g is not None and id(g) in dict_ids


_DISPATCH: dict[type, Callable[[_Cloner, Any], Any]] = {
    dict: _Cloner._dict,
    list: _Cloner._list,
    set: _Cloner._set,
    tuple: _Cloner._tuple,
    frozenset: _Cloner._frozenset,
    bytearray: _Cloner._bytearray,
    types.FunctionType: _Cloner._function,
    types.CellType: _Cloner._cell,
    types.MethodType: _Cloner._method,
    types.BuiltinMethodType: _Cloner._builtin_method,
    types.MethodWrapperType: _Cloner._builtin_method,
    staticmethod: _Cloner._wrapper,
    classmethod: _Cloner._wrapper,
    property: _Cloner._property,
    functools.partial: _Cloner._partial,
    types.MappingProxyType: _Cloner._mappingproxy,
    types.MemberDescriptorType: _Cloner._descriptor,
    types.GetSetDescriptorType: _Cloner._descriptor,
    types.ModuleType: _Cloner._module,
    type: _Cloner._type,
}
if _LRU is not None and _CACHE_INFO is not None:
    _DISPATCH[_LRU] = _Cloner._lru


class CloneTemplate:
    """The pristine template load of a component and what its clones share."""

    def __init__(self, code: "_code.ComponentCode", loaded: "_code.LoadedCode",
                 stamp: tuple[Any, ...], refs: list[tuple[str, types.ModuleType]]) -> None:
        self.code = code
        self.loaded = loaded
        self.stamp = stamp
        #: shared modules the template's namespaces refer to: a clone is valid only
        #: while ``sys.modules`` still has them (a re-installed binding is a rebuild)
        self.refs = refs
        self.modules: list[tuple[str, types.ModuleType]] = list(loaded.modules.items())
        self.names = frozenset(loaded.modules)
        self.order = tuple(loaded.modules)
        self.dict_ids = {id(m.__dict__) for _, m in self.modules}
        self.shared: set[int] = set()
        self._shared_keep: list[Any] = []
        self.handlers: dict[type, Callable[[_Cloner, Any], Any]] = {}
        self.flat: set[int] = set()
        self.function_extras: dict[int, tuple[Any, ...]] = {}
        self.auto_wrappers: set[int] = set()
        #: per template class: (entries shared by every clone, (key, how) of the rest)
        self.class_plans: dict[int, tuple[dict[str, Any], tuple[tuple[str, int], ...]]] = {}
        self.foreign: set[int] = set()
        self._class_info: dict[int, str] = {}
        self._owned: dict[int, bool] = {}
        import builtins
        import dataclasses

        #: objects every clone maps to themselves
        self.pinned: list[Any] = [builtins.__dict__, code._finder]
        empty = getattr(dataclasses, "_EMPTY_METADATA", None)  # every Field's metadata
        if empty is not None:
            self.pinned.append(empty)
        self.clones = 0

    def flatten(self, x: Any) -> None:
        """Record that container ``x`` holds only shared objects (a clone copies it in
        one C call)."""
        self.flat.add(id(x))
        self._shared_keep.append(x)

    def share(self, x: Any) -> None:
        self.shared.add(id(x))
        self._shared_keep.append(x)  # its id stays its own while the template lives

    def owned(self, c: type) -> bool:
        """Whether class ``c`` is the component's (defined in one of its modules)."""
        key = id(c)
        r = self._owned.get(key)
        if r is None:
            r = self._owned[key] = getattr(c, "__module__", None) in self.names
            self._shared_keep.append(c)
        return r

    def class_info(self, c: type) -> Any:
        """How instances of class ``c`` are copied: a tuple of slot names (``"plain"``:
        ``object.__new__`` of the mapped class, then ``__dict__`` and slots copied, which
        is what ``__reduce_ex__(4)`` would do for such a class, without its detours),
        ``"reduce"`` (through ``__reduce_ex__``), or a string: why they cannot be."""
        key = id(c)
        info = self._class_info.get(key)
        if info is not None:
            return info
        dict_ids = self.dict_ids
        owned = self.owned(c)
        hooked = False
        for hook in _REDUCE_HOOKS:
            for b in c.__mro__:
                if hook in b.__dict__:
                    if b is not object:
                        hooked = True
                        if self.owned(b) and _is_code_of(b.__dict__[hook], dict_ids):
                            info = (f"instances of component class {c.__module__}."
                                    f"{c.__qualname__}: {b.__qualname__} defines {hook}, "
                                    f"which cloning would have to run on the template")
                    break
            if info:
                break
        if not info:
            heap = all(b is object or b.__flags__ & _HEAPTYPE for b in c.__mro__)
            if heap and not hooked and (owned or not issubclass(c, BaseException)):
                info = tuple(k for b in c.__mro__ for k, v in b.__dict__.items()
                             if type(v) is types.MemberDescriptorType)
            else:
                info = "reduce"
        self._class_info[key] = info
        self._shared_keep.append(c)
        return info

    def clone(self, probing: bool = False) -> "_code.LoadedCode":
        cloner = _Cloner(self, probing)
        modules = cloner.clone_modules()
        objects = cloner.copy(self.loaded._objects)
        cloner.finish()
        loaded = _code.LoadedCode(self.code, modules, False)
        loaded._objects = objects
        loaded.cloned = True
        self.clones += 1
        return loaded


# --- when a template is valid -------------------------------------------------------


def _stamp(code: "_code.ComponentCode", names: Any, required: tuple[Any, ...],
           eager: tuple[Any, ...]) -> tuple[Any, ...]:
    """What a template depends on: the installed bindings, the export table's classes
    and objects, and every source file (and package directory) of its modules, by
    mtime and size as :class:`~golem_fakes.worker.code.CodeCache` keys them."""
    from golem_fakes.bindings import install

    parts: list[Any] = [id(install.installed()), required, eager]
    stat = os.stat
    try:
        parts.append(stat(code._root).st_mtime_ns)
        for name in names:
            entry = code._entry(name)
            if entry is None:
                parts.append((name, None))
                continue
            if entry.file is not None:
                st = stat(entry.file)
                parts.append((entry.file, st.st_mtime_ns, st.st_size))
            for loc in entry.locations or ():
                parts.append((loc, stat(loc).st_mtime_ns))
    except OSError:
        return ()  # a file went away: never equal, the next load rebuilds (and fails)
    return tuple(parts)


def _refs_of(loaded: "_code.LoadedCode") -> list[tuple[str, types.ModuleType]]:
    own = set(loaded.modules)
    refs: dict[int, tuple[str, types.ModuleType]] = {}
    for mod in loaded.modules.values():
        for v in mod.__dict__.values():
            if isinstance(v, types.ModuleType) and v.__name__ not in own:
                refs[id(v)] = (v.__name__, v)
    return list(refs.values())


def _new_threads(before: set[int], template: CloneTemplate) -> str | None:
    for th in threading.enumerate():
        if th.ident in before or not th.is_alive():
            continue
        target = getattr(th, "_target", None) or getattr(th, "function", None)
        if template.owned(type(th)) or _is_code_of(target, template.dict_ids):
            return (f"module-level code started thread {th.name!r}, which is still running "
                    f"the template's code")
    return None


def fresh_instance(code: "_code.ComponentCode", required: list[Any],
                   eager: list[Any]) -> "_code.LoadedCode":
    """A fresh instance of ``code``: a clone of its template, made first if there is
    none or if the source changed (an edited file, a re-installed world); the exec path
    when the component cannot be cloned (``code.clone_fallback_reason``)."""
    with _code._LOCK:
        key_required, key_eager = tuple(required), tuple(eager)
        t = code._template
        if t is not None:
            if t.stamp == _stamp(code, t.order, key_required, key_eager) and all(
                    sys.modules.get(n) is m for n, m in t.refs):
                try:
                    return t.clone()
                except Exception as e:  # noqa: BLE001  the probe clone succeeded: unforeseen
                    code.clone_fallback_reason = (
                        f"cloning failed after the first clone: {type(e).__name__}: {e}")
                    code._fallback = (t.stamp, t.order)
                    code._template = None
                    return code._exec_load(False, required, eager)
            code._template = None
        fallback = code._fallback
        if fallback is not None and fallback[0] == _stamp(code, fallback[1], key_required,
                                                          key_eager):
            return code._exec_load(False, required, eager)
        before = {th.ident for th in threading.enumerate()}
        loaded = code._exec_load(False, required, eager)
        code.template_builds += 1
        stamp = _stamp(code, tuple(loaded.modules), key_required, key_eager)
        template = CloneTemplate(code, loaded, stamp, _refs_of(loaded))
        reason = _new_threads(before, template)
        first: Any = None
        if reason is None:
            try:
                first = template.clone(probing=True)
            except Uncloneable as e:
                reason = str(e)
            except Exception as e:  # noqa: BLE001  a copy that failed in an unforeseen way
                reason = f"cloning failed: {type(e).__name__}: {e}"
        if reason is not None:
            code.clone_fallback_reason = reason
            code._fallback = (stamp, tuple(loaded.modules))
            return loaded  # never cloned: this load is the worker's own instance
        code.clone_fallback_reason = None
        code._fallback = None
        code._template = template
        return first
