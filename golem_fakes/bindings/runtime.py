"""The runtime seam: what every generated binding calls.

Inside a real component, a componentize-py binding body is
``componentize_py_runtime.call_import(INDEX, [ARGS])``: the Rust runtime *lowers* the
Python arguments (checking and converting them; a wrong value is a panic, i.e. a wasm
trap that no ``except`` can catch), calls the host, *lifts* the host's answer back to
Python objects and, for an outermost ``result``, returns the ok value or raises the
``Err``. golem-fakes generates the same functions under plain CPython; their bodies
(written by :mod:`golem_fakes.bindings.lowering`, one straight-line piece of code per
WIT function) call the helpers in this module:

1. **lower + validate** each argument exactly like componentize-py 0.19–0.25.1
   (``lower_int``, ``lower_string``, ``borrow``, ``own`` …, see componentize-py.md §6).
   A wrong value raises :class:`Trap` (a ``BaseException``).
2. **find the environment**: ``current_environment.get()`` — the only global state.
   Its default is a sentinel that raises :class:`NoEnvironment` when used.
3. **dispatch**: ``env.bindings[site]`` is a dict hit after the first call in an
   environment; a miss resolves the behaviour once (``env.implement`` override, then
   the :mod:`~golem_fakes.bindings.registry`), wraps it with the environment's
   interceptors and caches a :class:`Binding`. ``binding.count`` counts calls.
4. **lift + check** the behaviour's return value against the WIT type; a wrong value
   is a bug in the fake (:class:`FakeBug`). For an outermost ``result`` the binding
   returns the ok value or raises the module's ``Err`` class.

Hook point (for oplog recording / replay / fault injection, a later issue):
:meth:`golem_fakes.state.environment.Environment.intercept` registers a factory
``factory(site, impl) -> impl`` applied when a (site, environment) pair is first
bound. The wrapper sees every call with *lowered* arguments (reps for resources,
plain Python values) and returns what a behaviour returns (``Ok``/``Err`` for a
``result``, reps for resources); it may record, replay, raise :class:`Trap` to inject
a fault, or call ``impl``. No interceptor means zero cost on the call path.
"""

from __future__ import annotations

import math
import operator
import struct
import sys
import threading
import weakref
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any, Callable, Iterable

from golem_fakes.bindings.result import Err, Ok, Some

if TYPE_CHECKING:  # pragma: no cover
    from golem_fakes.state.environment import Environment

__all__ = [
    "Trap",
    "NotFaked",
    "NoEnvironment",
    "FakeBug",
    "Panic",
    "WrongEnvironment",
    "Site",
    "ResourceSite",
    "Binding",
    "HandleEntry",
    "ResourceFinalizer",
    "resource_site",
    "no_drop",
    "current_environment",
    "active_environment",
    "Ok",
    "Err",
    "Some",
    "case_name",
]


# --- errors ------------------------------------------------------------------


class Trap(BaseException):
    """The component would have trapped here (``wasm unreachable instruction executed``).

    componentize-py's runtime panics when it cannot lower an argument; the component
    traps and the whole export call fails. Worker code cannot catch that, so this is a
    ``BaseException``: ``except Exception`` does not swallow it (``except
    BaseException`` does, which the real trap would not allow either — don't).

    Attributes: ``interface``, ``function`` (WIT identity), ``parameter`` (Python
    name), ``wit_type``, ``value`` (the offending value), ``error`` (the Python error
    componentize-py's runtime would have printed before trapping).
    """

    def __init__(self, message: str, *, interface: str | None = None,
                 function: str | None = None, parameter: str | None = None,
                 wit_type: str | None = None, value: Any = None,
                 error: BaseException | None = None) -> None:
        super().__init__(message)
        self.interface = interface
        self.function = function
        self.parameter = parameter
        self.wit_type = wit_type
        self.value = value
        self.error = error
        hook = _on_trap
        if hook is not None:
            hook(self)


#: Called with every :class:`Trap` as it is made (set by :mod:`golem_fakes.state.golem`:
#: a trap inside an invocation of component code ends that invocation, issue 13 §3).
_on_trap: "Callable[[Trap], None] | None" = None


def set_trap_hook(hook: "Callable[[Trap], None] | None") -> None:
    """Install the function called with each :class:`Trap` when it is made."""
    global _on_trap
    _on_trap = hook


class NotFaked(BaseException):
    """The called WIT function has no behaviour in golem-fakes (nor an override in the
    environment). A ``BaseException`` so that worker code's ``except Exception`` does
    not hide a gap in the fake."""

    def __init__(self, message: str, *, interface: str | None = None,
                 function: str | None = None) -> None:
        super().__init__(message)
        self.interface = interface
        self.function = function


class NoEnvironment(RuntimeError):
    """A binding was called while no golem-fakes environment is active."""


class FakeBug(AssertionError):
    """A behaviour returned a value that does not fit the WIT type: a bug in the fake
    (or in a test's ``env.implement`` override), never in worker code."""


class Panic(Exception):
    """Stands for a Rust panic inside componentize-py's runtime (``entered unreachable
    code``, a failed assertion): the component traps with this message on stderr."""


class WrongEnvironment(Exception):
    """A resource created in one environment was used in another."""


class Mismatch(Exception):
    """A returned value does not fit its WIT type (becomes :class:`FakeBug`)."""


class PathError(Exception):
    """A conversion error inside a compound value, with the path that leads to it."""

    def __init__(self, path: list[str], wit: str, value: Any, error: BaseException) -> None:
        super().__init__(str(error))
        self.path = path
        self.wit = wit
        self.value = value
        self.error = error


def _short_repr(value: Any, limit: int = 120) -> str:
    try:
        text = repr(value)
    except Exception as e:  # noqa: BLE001 - any repr failure
        text = f"<{type(value).__name__} object (repr failed: {e!r})>"
    if len(text) > limit:
        text = text[: limit - 3] + "..."
    return text


def _describe_error(error: BaseException) -> str:
    msg = str(error)
    return f"{type(error).__name__}: {msg}" if msg else type(error).__name__


# --- sites -------------------------------------------------------------------


class Site:
    """One generated binding function: its WIT identity plus what error messages need.

    Generated modules create one per function in their footer
    (``_golem_S_… = _golem_rt.Site(...)``); it is the key of
    :attr:`Environment.bindings`. ``params`` include ``self`` for methods.
    """

    __slots__ = ("interface", "function", "where", "params", "param_types", "result_type",
                 "__weakref__")

    def __init__(self, interface: str, function: str, where: str, params: tuple[str, ...],
                 param_types: tuple[str, ...], result_type: str | None) -> None:
        self.interface = interface
        self.function = function
        self.where = where
        self.params = params
        self.param_types = param_types
        self.result_type = result_type

    @property
    def is_drop(self) -> bool:
        return False

    def describe(self) -> str:
        return f"{self.interface}#{self.function} ({self.where})"

    def __repr__(self) -> str:
        return f"<Site {self.describe()}>"


class ResourceSite:
    """A resource type as seen from one generated module: the identity that handles
    are checked against (``key``: ``interface#resource``, shared by every module that
    uses the resource) and the site of its ``[resource-drop]`` behaviour."""

    __slots__ = ("interface", "name", "key", "function", "where", "__weakref__")

    def __init__(self, interface: str, name: str, where: str) -> None:
        self.interface = interface
        self.name = name
        self.key = f"{interface}#{name}"
        self.function = f"[resource-drop]{name}"
        self.where = where

    @property
    def is_drop(self) -> bool:
        return True

    def describe(self) -> str:
        return f"{self.interface}#{self.function} ({self.where})"

    def __repr__(self) -> str:
        return f"<ResourceSite {self.key}>"


#: The shared :class:`ResourceSite` of each resource type (``interface#resource``).
_RESOURCE_SITES: dict[str, ResourceSite] = {}


def resource_site(interface: str, name: str, where: str) -> ResourceSite:
    """The :class:`ResourceSite` of a resource type, one object per ``interface#name``
    in the process (generated modules call this in their footer): every module that
    uses the resource then checks a handle's type by identity (``entry.rsite is
    site``, the generated fast path of :func:`borrow`). ``where`` (for messages) is
    that of the first module that asked."""
    key = f"{interface}#{name}"
    site = _RESOURCE_SITES.get(key)
    if site is None:
        site = _RESOURCE_SITES.setdefault(key, ResourceSite(interface, name, where))
    return site


class Binding:
    """A behaviour bound to one site in one environment (cached in
    ``env.bindings``). ``impl(env, *args)``; ``count`` counts calls."""

    __slots__ = ("env", "site", "impl", "behaviour", "count")

    def __init__(self, env: Any, site: Site | ResourceSite, impl: Callable[..., Any],
                 behaviour: Callable[..., Any], count: int = 0) -> None:
        self.env = env
        self.site = site
        self.impl = impl
        self.behaviour = behaviour
        self.count = count

    def __repr__(self) -> str:
        return f"<Binding {self.site.describe()} -> {_callable_name(self.behaviour)} calls={self.count}>"


def _callable_name(fn: Any) -> str:
    mod = getattr(fn, "__module__", None)
    qual = getattr(fn, "__qualname__", None) or repr(fn)
    return f"{mod}.{qual}" if mod else qual


# --- the environment variable ---------------------------------------------------


_NO_ENV_HELP = (
    "no golem-fakes environment is active. Use the `golem` pytest fixture, or wrap the "
    "code in `with golem_fakes.Golem():` (or `with golem_fakes.Environment():`)."
)


def no_environment(site: Site | ResourceSite | None = None) -> NoEnvironment:
    """The :class:`NoEnvironment` error for a call of ``site``."""
    if site is None:
        return NoEnvironment(f"A golem-fakes binding was called but {_NO_ENV_HELP}")
    return NoEnvironment(f"{site.describe()} was called but {_NO_ENV_HELP}")


class _AbsentBindings:
    __slots__ = ()

    def __getitem__(self, site: Site) -> Binding:
        raise no_environment(site)


class _Absent:
    """The value of :data:`current_environment` when no environment is active: any use
    raises :class:`NoEnvironment` (so the generated fast path needs no ``None`` check)."""

    __slots__ = ()
    bindings = _AbsentBindings()

    @property
    def handles(self) -> Any:
        raise no_environment()

    def __bool__(self) -> bool:
        return False

    def __repr__(self) -> str:
        return "<no golem-fakes environment>"


NO_ENVIRONMENT: Any = _Absent()

#: The current environment. Its default is the :data:`NO_ENVIRONMENT` sentinel, not
#: ``None``; use :func:`active_environment` to get ``Environment | None``. Set it only
#: through ``with environment:``.
current_environment: ContextVar[Any] = ContextVar("golem_fakes_current_environment",
                                                  default=NO_ENVIRONMENT)


def environment_of(env: Any) -> Any:
    """The environment behind ``env``: itself, or the environment a worker instance's
    view (``env.environment``, see :mod:`golem_fakes.worker.instance`) belongs to."""
    return env.environment if getattr(type(env), "is_instance_view", False) else env


def active_environment() -> "Environment | None":
    """The environment active in this context, or ``None``."""
    env = current_environment.get()
    return None if env is NO_ENVIRONMENT else environment_of(env)


# --- lowering: arguments, checked like componentize-py 0.19–0.25.1 -----------------
#
# These raise the Python error componentize-py's runtime would have hit; the generated
# code turns it into a Trap that names the function, parameter and WIT type.


def lower_int(v: Any, lo: int, hi: int) -> int:
    """Integer argument. ``True``/``IntEnum`` and anything with ``__index__`` are
    accepted (as their value); ``None``/``1.5``/``'1'`` raise TypeError; out of range
    raises OverflowError with CPython's / PyO3's message."""
    if type(v) is not int:
        v = operator.index(v)  # "'NoneType' object cannot be interpreted as an integer"
    if v < lo or v > hi:
        if lo == 0:
            if v < 0:
                raise OverflowError("can't convert negative int to unsigned")
            if v > 18446744073709551615:
                raise OverflowError("int too big to convert")
            raise OverflowError("out of range integral type conversion attempted")
        if v < -9223372036854775808 or v > 9223372036854775807:
            raise OverflowError("Python int too large to convert to C long")
        raise OverflowError("out of range integral type conversion attempted")
    return v


def lower_bool(v: Any) -> bool:
    """``bool`` argument: componentize-py ≥0.14 takes the truthiness of any object."""
    return True if v else False


def lower_f64(v: Any) -> float:
    """Float argument (``PyFloat_AsDouble``): floats, ints, bools and objects with
    ``__float__``/``__index__``; ``'1.0'``/``None`` raise ``TypeError: must be real
    number, not str``."""
    if isinstance(v, float):
        return float(v)
    tp = type(v)
    if hasattr(tp, "__float__"):
        r = tp.__float__(v)
        if not isinstance(r, float):
            raise TypeError(f"{tp.__name__}.__float__ returned non-float (type {type(r).__name__})")
        return float(r)
    if hasattr(tp, "__index__"):
        return float(operator.index(v))
    raise TypeError(f"must be real number, not {tp.__name__}")


_F32 = struct.Struct("<f")


def f32(x: float) -> float:
    """Round a float to single precision like Rust's ``as f32`` (too large → ±inf)."""
    try:
        return _F32.unpack(_F32.pack(x))[0]
    except OverflowError:
        return math.copysign(math.inf, x)


def lower_f32(v: Any) -> float:
    """``f32`` argument: like :func:`lower_f64`, then rounded to single precision (the
    host receives an f32: ``0.1`` arrives as ``0.10000000149011612``, ``2**200`` as
    ``inf``)."""
    return f32(v if type(v) is float else lower_f64(v))


def _not_string(v: Any) -> TypeError:
    return TypeError(f"'{type(v).__name__}' object cannot be converted to 'PyString'")


def lower_char(v: Any) -> str:
    """``char``: a ``str`` (subclass ok) of exactly one code point (astral fine)."""
    if not isinstance(v, str):
        raise _not_string(v)
    if len(v) != 1:
        raise Panic("assertion failed: `chars().count() == 1`")
    v.encode("utf-8")  # a lone surrogate cannot be a Rust char
    return str.__str__(v)


def lower_string(v: Any) -> str:
    """``string``: a ``str`` (subclass ok, passed on as a plain ``str``); ``b'x'``,
    ``None``, ``5`` raise ``TypeError: 'bytes' object cannot be converted to
    'PyString'``; lone surrogates cannot be encoded as UTF-8."""
    if not isinstance(v, str):
        raise _not_string(v)
    if not v.isascii():
        v.encode("utf-8")
    return str.__str__(v)


def lower_bytes(v: Any) -> bytes:
    """``list<u8>``: must be ``bytes`` (subclass ok); ``bytearray``, ``str``, lists
    and ``None`` fail the downcast."""
    if not isinstance(v, bytes):
        raise TypeError(f"'{type(v).__name__}' object cannot be converted to 'PyBytes'")
    return bytes(v)


def as_list(v: Any) -> list[Any]:
    """``list<T>``: must be a ``list`` (subclass ok); tuples fail the downcast."""
    if not isinstance(v, list):
        raise TypeError(f"'{type(v).__name__}' object cannot be converted to 'PyList'")
    return v


def as_tuple(v: Any, n: int) -> tuple[Any, ...]:
    """``tuple<…>``: must be a ``tuple`` (subclass ok); a shorter one raises
    ``IndexError`` when the runtime reads the missing element."""
    if not isinstance(v, tuple):
        raise TypeError(f"'{type(v).__name__}' object cannot be converted to 'PyTuple'")
    if len(v) < n:
        raise IndexError("tuple index out of range")
    return v


def lower_enum(v: Any, members: tuple[Any, ...]) -> Any:
    """``enum``: any object whose ``.value`` is an int (another Enum too), taken by
    number; ``0``, ``'red'`` and ``None`` raise AttributeError."""
    n = v.value
    if type(n) is not int:
        n = operator.index(n)
    if not 0 <= n < len(members):
        raise Panic(f"invalid enum discriminant {n} (the type has {len(members)} cases)")
    return members[n]


def lower_flags(v: Any, cls: type, nbits: int) -> Any:
    """``flags``: any object whose ``.value`` is an int, taken as the bit set."""
    n = v.value
    if type(n) is not int:
        n = operator.index(n)
    if n < 0 or n >> nbits:
        raise Panic(f"flags value {n:#b} has bits outside the {nbits} flags of {cls.__name__}")
    return cls(n)


def unreachable() -> Panic:
    """A ``result`` argument that is not exactly the module's ``Ok``/``Err``."""
    return Panic("internal error: entered unreachable code")


def at(error: BaseException, segment: str | int, wit: str, value: Any) -> PathError:
    """Add one path segment (``.field``, ``[3]``, ``.value``) to a conversion error."""
    seg = f"[{segment}]" if isinstance(segment, int) else segment
    if isinstance(error, PathError):
        error.path.insert(0, seg)
        return error
    return PathError([seg], wit, value, error)


# --- resources ------------------------------------------------------------------


_ref_referent = weakref.ref.__call__


class ResourceFinalizer(weakref.ref):
    """``obj.finalizer`` of a resource object *and* its row in the environment's
    resource table (``env.handles[handle]``): the behaviour's ``rep``, the resource
    type ``rsite``, the ``env`` and the ``handle``.

    It keeps componentize-py's ``weakref.finalize`` protocol (what componentize-py's
    runtime puts in ``obj.finalizer``): ``detach()`` (``(obj, func, args, kwargs)`` once,
    then ``None``; the generated ``__exit__`` unpacks it and calls ``func(args[0],
    args[1])``), ``peek()``, ``alive``, ``atexit``, and calling it drops the handle.
    It is one ``weakref.ref`` subclass object, so a returned resource costs one
    allocation here instead of a ``weakref.finalize`` (or a finalizer object, a
    ``weakref.ref`` and a table row): a resource is made on many host calls (every
    ``incoming-value``, stream and pollable).

    When ``obj`` is collected, the weakref callback :func:`_collected` drops the handle
    (``dropped_by_collector()`` is true during the ``[resource-drop]`` behaviour).
    The finalizer is kept alive by ``obj.finalizer`` and by the resource table, as
    ``weakref.finalize`` keeps itself alive in its registry. ``env`` is ``None`` once it
    was detached or has run."""

    __slots__ = ("rep", "rsite", "env", "handle")

    #: ``weakref.finalize.atexit``: componentize-py's finalizers do not run at exit.
    atexit = False

    rep: Any
    rsite: "ResourceSite"
    env: Any
    handle: int

    @property
    def finalizer(self) -> "ResourceFinalizer":
        """The row's finalizer: itself (the table row and the finalizer are one)."""
        return self

    def detach(self) -> tuple[Any, Callable[..., Any], tuple[Any, ...], dict[str, Any]] | None:
        """``(obj, func, args, kwargs)`` and forget them, or ``None`` if dead/detached."""
        env = self.env
        obj = _ref_referent(self)
        if env is None or obj is None:
            return None
        self.env = None
        return (obj, _drop_handle, (env, self.handle), {})

    def peek(self) -> tuple[Any, Callable[..., Any], tuple[Any, ...], dict[str, Any]] | None:
        """Like :meth:`detach` without forgetting."""
        env = self.env
        obj = _ref_referent(self)
        if env is None or obj is None:
            return None
        return (obj, _drop_handle, (env, self.handle), {})

    @property
    def alive(self) -> bool:
        return self.env is not None and _ref_referent(self) is not None

    def __call__(self) -> Any:  # type: ignore[override]
        info = self.detach()
        if info is not None:
            return info[1](*info[2])
        return None

    def __repr__(self) -> str:
        state = "alive" if self.alive else "dead"
        return f"<golem-fakes resource finalizer {state} for handle {self.handle!r}>"


#: The rows of :attr:`Environment.handles` (kept as a name for older imports): a
#: resource object's :class:`ResourceFinalizer` is its table row.
HandleEntry = ResourceFinalizer


#: True while a ``[resource-drop]`` behaviour runs because the garbage collector
#: collected the resource object (not an explicit ``with`` / ``__exit__``).
#: A thread-local, not a ``ContextVar``: the flag is set inside a weakref callback that
#: the cyclic garbage collector may run in the middle of a ``ContextVar.set`` of the same
#: thread (an allocation there triggers a collection), and setting a context variable
#: re-entrantly there corrupts the context on CPython 3.11 (a segmentation fault).
_COLLECTING = threading.local()


def dropped_by_collector() -> bool:
    """Whether the ``[resource-drop]`` behaviour running now was started by the garbage
    collector. A drop there runs in a finalizer, where an exception cannot reach the
    worker's code (componentize-py's component would trap at that point)."""
    return getattr(_COLLECTING, "on", False)


def no_drop(env: Any, rep: Any) -> None:
    """The default ``[resource-drop]`` behaviour: nothing to release. A drop bound to it
    (no override, no interceptor) is counted but not called."""
    return None


def _collected(fin: ResourceFinalizer) -> None:
    """The weakref callback of a collected resource object: drop its handle as
    :func:`_drop_handle` does, flagged as a drop by the collector."""
    env = fin.env
    if env is None:
        return
    fin.env = None
    if env.handles.pop(fin.handle, None) is None:
        return
    binding = env.bindings[fin.rsite]
    binding.count += 1
    impl = binding.impl
    if impl is no_drop:
        return
    previous = getattr(_COLLECTING, "on", False)
    _COLLECTING.on = True
    try:
        impl(binding.env, fin.rep)
    finally:
        _COLLECTING.on = previous


def _drop_handle(env: Any, handle: int, collected: bool = False) -> None:
    """The drop of a resource object's handle (called by the generated ``__exit__``,
    which is componentize-py's ``(_, func, args, _) = self.finalizer.detach();
    self.handle = None; func(args[0], args[1])``): drop the handle in ``env`` and call
    the ``[resource-drop]`` behaviour with the rep, if there is one (``collected``: the
    garbage collector dropped it, :func:`dropped_by_collector` tells the behaviour).
    The default no-op drop (:func:`no_drop`) is counted, not called."""
    entry = env.handles.pop(handle, None)
    if entry is None:
        return
    entry.env = None
    binding = env.bindings[entry.rsite]
    binding.count += 1
    impl = binding.impl
    if impl is no_drop:
        return
    if not collected:
        impl(binding.env, entry.rep)
        return
    previous = getattr(_COLLECTING, "on", False)
    _COLLECTING.on = True
    try:
        impl(binding.env, entry.rep)
    finally:
        _COLLECTING.on = previous


def adopt(env: Any, obj: Any, rsite: ResourceSite, rep: Any) -> Any:
    """Give ``obj`` a new handle for ``rep`` in ``env``: sets ``obj.handle`` (an int)
    and ``obj.finalizer`` (a :class:`ResourceFinalizer`, componentize-py's
    ``weakref.finalize`` protocol, that drops the handle when ``obj`` is collected; it
    is also the handle's row in ``env.handles``), as componentize-py's constructor and
    lifting do."""
    table = env.handles  # raises NoEnvironment on the sentinel
    fin = ResourceFinalizer(obj, _collected)
    fin.rep = rep
    fin.rsite = rsite
    fin.env = env
    fin.handle = obj.handle = handle = next(env.handle_ids)
    table[handle] = obj.finalizer = fin
    return obj


def wrap(env: Any, cls: type, rsite: ResourceSite, rep: Any) -> Any:
    """A returned resource: a new instance of the generated class (built without
    ``__init__``) holding a new handle for ``rep`` (:func:`adopt`, inlined: every
    returned resource takes this path)."""
    table = env.handles  # raises NoEnvironment on the sentinel
    obj = cls.__new__(cls)
    fin = ResourceFinalizer(obj, _collected)
    fin.rep = rep
    fin.rsite = rsite
    fin.env = env
    fin.handle = obj.handle = handle = next(env.handle_ids)
    table[handle] = obj.finalizer = fin
    return obj


def borrow(env: Any, obj: Any, rsite: ResourceSite) -> Any:
    """A ``borrow<r>`` argument (and ``self``): the rep behind ``obj.handle``.

    ``None``/``5``/a consumed or ``__new__``-built object raise AttributeError (no
    ``handle``); after ``with`` (``handle is None``) TypeError ``'NoneType' object
    cannot be interpreted as an integer``."""
    table = env.handles  # NoEnvironment first, when there is none
    h = obj.handle
    entry = table.get(h)
    if entry is None or entry is not obj.finalizer or entry.rsite.key != rsite.key:
        raise _bad_handle(env, obj, h, entry, rsite)
    return entry.rep


def own(env: Any, obj: Any, rsite: ResourceSite) -> Any:
    """An owned argument: like :func:`borrow`, then the object gives the handle away
    (componentize-py ≥0.19 deletes its ``handle`` attribute and detaches the
    finalizer; any later use raises AttributeError). No drop happens: the host now
    owns the resource."""
    table = env.handles  # NoEnvironment first, when there is none
    h = obj.handle
    entry = table.get(h)
    if entry is None or entry is not obj.finalizer or entry.rsite.key != rsite.key:
        raise _bad_handle(env, obj, h, entry, rsite)
    del obj.handle
    entry.detach()
    del table[h]
    return entry.rep


def _bad_handle(env: Any, obj: Any, h: Any, entry: HandleEntry | None,
                rsite: ResourceSite) -> BaseException:
    if h is None or type(h) is not int:
        return TypeError(f"'{type(h).__name__}' object cannot be interpreted as an integer")
    fin = getattr(obj, "finalizer", None)
    info = fin.peek() if isinstance(fin, (ResourceFinalizer, weakref.finalize)) else None
    if info is not None and info[2] and info[2][0] is not env:
        made, used = environment_of(info[2][0]), environment_of(env)
        if made is used:
            # another worker instance's handle: each instance has its own handle table
            # (handle numbers are unique per environment, so it is unknown here), as a
            # wasm handle table has no entry for a handle of another instance
            return Panic(f"unknown handle index {h}")
        return WrongEnvironment(
            f"this {type(obj).__name__} (handle {h}) was created in {info[2][0]!r} but is "
            f"used in {env!r}; resources cannot move between environments")
    if entry is None or (entry is not fin):
        return Panic(f"unknown handle index {h}")
    return Panic(f"handle index {h} is a `{entry.rsite.key}` resource, expected `{rsite.key}`")


# --- traps -------------------------------------------------------------------------


def arg_trap(site: Site, index: int, args: tuple[Any, ...], error: BaseException) -> BaseException:
    """Turn a lowering error of argument ``index`` into the :class:`Trap` to raise
    (or pass :class:`NoEnvironment` through)."""
    inner = error.error if isinstance(error, PathError) else error
    if isinstance(inner, NoEnvironment):
        return no_environment(site)
    pname = site.params[index] if 0 <= index < len(site.params) else f"#{index}"
    wit = site.param_types[index] if 0 <= index < len(site.param_types) else "?"
    value = args[index] if 0 <= index < len(args) else None
    where = ""
    shown = value
    if isinstance(error, PathError):
        where = f" at {pname}{''.join(error.path)} ({error.wit})"
        shown = error.value
    kind = "cross-environment resource use" if isinstance(inner, WrongEnvironment) else None
    msg = (f"{site.describe()}: parameter {pname!r} of WIT type {wit}{where}: given "
           f"{_short_repr(shown)} -> {_describe_error(inner)}. componentize-py's runtime "
           f"traps here (wasm unreachable); the real component cannot catch it.")
    if kind:
        msg = f"{kind}: {msg}"
    else:  # the component's runtime prints its panic to the worker's stderr first
        from golem_fakes.bindings.panic import write_panic

        write_panic(active_environment(), sys._getframe(1).f_globals,  # the binding's module
                    error.wit if isinstance(error, PathError) else wit, inner)
    return Trap(msg, interface=site.interface, function=site.function, parameter=pname,
                wit_type=wit, value=shown, error=inner)


def return_bug(site: Site | ResourceSite, impl: Any, value: Any, error: BaseException) -> BaseException:
    """Turn a lifting error of a behaviour's return value into :class:`FakeBug`."""
    inner = error.error if isinstance(error, PathError) else error
    if isinstance(inner, NoEnvironment):
        return inner
    wit = getattr(site, "result_type", None) or "nothing"
    where = ""
    if isinstance(error, PathError):
        where = f" at result{''.join(error.path)} ({error.wit}), value {_short_repr(error.value)}"
    return FakeBug(
        f"the behaviour {_callable_name(impl)} for {site.describe()} returned "
        f"{_short_repr(value)}, which is not a {wit}{where}: {inner}. Behaviours must "
        f"return values of the WIT type (see golem_fakes.bindings.lowering for the "
        f"accepted forms).")


def no_result(value: Any) -> Mismatch:
    return Mismatch(f"a function without result must return None, got {_short_repr(value)}")


# --- lifting: behaviour return values, checked strictly -----------------------------


def _mismatch(expected: str, v: Any) -> Mismatch:
    return Mismatch(f"expected {expected}, got {_short_repr(v)} ({type(v).__name__})")


def lift_int(v: Any, lo: int, hi: int, wit: str) -> int:
    """Any ``int`` (not ``bool``) within range, as a plain ``int``."""
    if isinstance(v, int) and not isinstance(v, bool) and lo <= v <= hi:
        return int(v)
    raise _mismatch(f"{wit} (an int in [{lo}, {hi}])", v)


def lift_bool(v: Any) -> bool:
    raise _mismatch("bool", v)


def lift_f64(v: Any) -> float:
    """``float`` or ``int`` (not ``bool``), as a plain ``float``."""
    if isinstance(v, (float, int)) and not isinstance(v, bool):
        return float(v)
    raise _mismatch("f64 (a float)", v)


def lift_f32(v: Any) -> float:
    """Like :func:`lift_f64`, rounded to single precision (componentize-py returns
    ``0.10000000149011612`` for an f32 0.1, ``inf`` for 1e40)."""
    if type(v) is float:
        return f32(v)
    if isinstance(v, (float, int)) and not isinstance(v, bool):
        return f32(float(v))
    raise _mismatch("f32 (a float)", v)


def lift_char(v: Any) -> str:
    if isinstance(v, str) and len(v) == 1 and not "\ud800" <= v <= "\udfff":
        return str.__str__(v)
    raise _mismatch("char (a str of one code point)", v)


def lift_string(v: Any) -> str:
    if isinstance(v, str):
        try:
            v.encode("utf-8")
        except UnicodeEncodeError as e:
            raise Mismatch(f"string is not valid Unicode: {e}") from None
        return str.__str__(v)
    raise _mismatch("string (a str)", v)


def lift_bytes(v: Any) -> bytes:
    """``list<u8>``: ``bytes``, ``bytearray`` or ``memoryview``, returned as ``bytes``."""
    if isinstance(v, (bytes, bytearray, memoryview)):
        return bytes(v)
    raise _mismatch("list<u8> (bytes)", v)


def lift_list(v: Any) -> list[Any] | tuple[Any, ...]:
    """``list<T>``: a ``list`` or ``tuple`` (copied into a new list by the caller)."""
    if isinstance(v, (list, tuple)):
        return v
    raise _mismatch("a list", v)


def lift_tuple(v: Any, n: int) -> tuple[Any, ...]:
    if isinstance(v, tuple) and len(v) == n:
        return v
    raise _mismatch(f"a tuple of {n}", v)


def some_value(v: Any) -> Any:
    """The payload of a nested option's ``Some`` (any ``Some`` class)."""
    if type(v).__name__ == "Some" and hasattr(v, "value"):
        return v.value
    raise _mismatch("None or Some(...) (a nested option)", v)


def split_result(v: Any) -> tuple[bool, Any]:
    """``(is_ok, payload)`` of an ``Ok``/``Err`` (golem_fakes' or a generated
    package's own copy, matched by class name)."""
    name = type(v).__name__
    if name == "Ok" and hasattr(v, "value"):
        return True, v.value
    if name == "Err" and hasattr(v, "value"):
        return False, v.value
    raise _mismatch("Ok(...) or Err(...)", v)


def err_types(module_err: Any) -> tuple[type, ...]:
    """The ``Err`` classes a behaviour may raise: golem_fakes' and the module's."""
    if isinstance(module_err, type) and issubclass(module_err, BaseException) and module_err is not Err:
        return (Err, module_err)
    return (Err,)


def fields(v: Any, names: tuple[str, ...]) -> tuple[Any, ...]:
    """The field values of a record returned by a behaviour: any object with the
    attributes (the generated class, another dataclass…) or a ``dict`` keyed by the
    Python field names."""
    if isinstance(v, dict):
        missing = [n for n in names if n not in v]
        if missing:
            raise _mismatch(f"a record with fields {', '.join(names)} (missing {', '.join(missing)})", v)
        return tuple(v[n] for n in names)
    try:
        return tuple(getattr(v, n) for n in names)
    except AttributeError:
        missing = [n for n in names if not hasattr(v, n)]
        raise _mismatch(f"a record with fields {', '.join(names)} (missing {', '.join(missing)})", v) from None


class VariantTable:
    """How a behaviour may spell a variant value: an instance of the generated case
    class, a same-named case class from another generated module, ``(case, payload)``
    or, for a case without payload, ``case`` alone (case as in WIT, ``green-ish``, or
    as the Python case-class name)."""

    __slots__ = ("by_class", "by_name", "cases")

    def __init__(self, cases: Iterable[tuple[str, type, bool]]) -> None:
        self.cases = tuple(cases)
        self.by_class: dict[type, tuple[int, bool]] = {}
        self.by_name: dict[str, tuple[int, bool]] = {}
        for i, (wit, cls, has_payload) in enumerate(self.cases):
            self.by_class[cls] = (i, has_payload)
            self.by_name[wit] = (i, has_payload)
            self.by_name[cls.__name__] = (i, has_payload)


def variant_case(v: Any, table: VariantTable) -> tuple[int, Any]:
    hit = table.by_class.get(type(v))
    if hit is not None:
        return hit[0], (v.value if hit[1] else None)
    if isinstance(v, tuple) and len(v) == 2 and isinstance(v[0], str):
        hit = table.by_name.get(v[0])
        if hit is not None:
            if not hit[1] and v[1] is not None:
                raise _mismatch(f"no payload for case {v[0]!r}", v[1])
            return hit[0], v[1]
    elif isinstance(v, str):
        hit = table.by_name.get(v)
        if hit is not None and not hit[1]:
            return hit[0], None
    else:
        hit = table.by_name.get(type(v).__name__)
        if hit is not None:
            return hit[0], (v.value if hit[1] else None)
    names = ", ".join(w for w, _, _ in table.cases)
    raise _mismatch(f"a case of the variant ({names})", v)


class EnumTable:
    """Accepted spellings of an enum/flags member returned by a behaviour: the member,
    a same-named member of another class, the WIT name (``green-ish``) or the Python
    name (``GREEN_ISH``)."""

    __slots__ = ("cls", "by_name")

    def __init__(self, cls: Any, wit_names: Iterable[str]) -> None:
        self.cls = cls
        members = list(cls)
        self.by_name: dict[str, Any] = {}
        for m, w in zip(members, wit_names):
            self.by_name[w] = m
            self.by_name[m.name] = m


def lift_enum(v: Any, table: EnumTable) -> Any:
    if type(v) is table.cls:
        return v
    name = v if isinstance(v, str) else getattr(v, "name", None)
    m = table.by_name.get(name) if isinstance(name, str) else None
    if m is None:
        raise _mismatch(f"a member of {table.cls.__name__} ({', '.join(table.by_name)})", v)
    return m


def lift_flags(v: Any, table: EnumTable, nbits: int) -> Any:
    """A flags value: the generated Flag, another object whose ``.value`` is an int of
    the right bits, or an iterable of member names."""
    cls = table.cls
    if type(v) is cls:
        return v
    if isinstance(v, str):
        v = (v,)
    n = getattr(v, "value", None)
    if isinstance(n, int) and not isinstance(n, bool):
        if 0 <= n and not n >> nbits:
            return cls(n)
        raise _mismatch(f"{cls.__name__} bits within {nbits} flags", v)
    try:
        names = list(v)
    except TypeError:
        raise _mismatch(f"a {cls.__name__} flags value", v) from None
    out = cls(0)
    for name in names:
        key = name if isinstance(name, str) else getattr(name, "name", None)
        m = table.by_name.get(key) if isinstance(key, str) else None
        if m is None:
            raise _mismatch(f"a flag of {cls.__name__} ({', '.join(table.by_name)})", name)
        out |= m
    return out


# --- variant introspection (for behaviours) ------------------------------------------

_CASE_NAMES: dict[type, str] = {}


def case_name(value: Any) -> str:
    """The kebab-case WIT case name of a variant case instance, e.g. ``"created-at"``
    for a ``WorkerPropertyFilter_CreatedAt(...)`` argument.

    componentize-py names a case class ``<VariantPascal>_<CasePascal>`` (both
    ``heck::ToUpperCamelCase``, which never produces ``_``), so the case is the part
    after the last ``_``, split back into heck words and joined with ``-``. Computed
    once per class and cached. Round-trips every WIT identifier whose words are
    lower case (the WIT convention); an all-caps word (``HTTP-ok``) comes back lower
    case (``http-ok``). Raises ``TypeError`` for a value whose class is not a case
    class."""
    cls = type(value)
    hit = _CASE_NAMES.get(cls)
    if hit is not None:
        return hit
    prefix, sep, case = cls.__name__.rpartition("_")
    if not sep or not prefix or not case or not case[:1].isupper():
        raise TypeError(
            f"{_short_repr(value)} is not an instance of a generated variant case class "
            f"(expected a class named <Variant>_<Case>, got {cls.__name__!r})")
    from golem_fakes.bindings.naming import heck_words

    name = "-".join(w.lower() for w in heck_words(case))
    _CASE_NAMES[cls] = name
    return name
