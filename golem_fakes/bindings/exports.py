"""Export glue: invoke a component's exports by name, with componentize-py's checks.

Inside a real component the host (Golem's worker executor) calls an export through
componentize-py's runtime (``runtime/src/lib.rs``, ``call_export`` / ``MyInterpreter``
from 0.19): the runtime *lifts* the canonical-ABI arguments into Python objects (the
generated dataclasses, ``bytes`` for ``list<u8>``, ``Some`` for nested options, …),
calls the method of the export object, and *lowers* the return value exactly like an
import argument (componentize-py.md §4 and §6): a value that does not fit panics and
the component traps. This module gives the fake executor the same path, as generated
code (one straight-line function per export, emitted with
:class:`golem_fakes.bindings.lowering._Gen`, written at install time into the bindings
cache directory as ``_golem_export_glue.py`` — not importable by name, loaded from its
path by :func:`export_table`).

Usage (what ``Golem.invoke`` by name does)::

    from golem_fakes.bindings.exports import export_table, InstanceResources

    table = export_table()                      # for the installed world, cached
    fn = table.lookup("golem-fakes:probe/api.{hello}")   # or "hello"
    resources = InstanceResources()             # one per worker instance
    api = instance_objects[(fn.class_module, fn.class_name)]   # kept export object
    value = fn.call(getattr(api, fn.method_name), ("world",), resources)

``target`` per kind (the executor resolves it from the instance's objects):

* ``freestanding``: the bound method (``Api().hello`` of the kept object, or
  ``WitWorld().run``);
* ``constructor`` and ``static``: the component's resource class (``api.Session``;
  the glue calls ``target(*args)`` / ``getattr(target, method_name)(*args)``, as the
  runtime does with ``class.call1`` / ``class.getattr(name).call1``);
* ``method`` and ``drop``: ignored (pass ``None``): ``self`` is the first argument, an
  :class:`ExportedResource` handle, lifted through ``resources``.

What :meth:`ExportFunction.call` returns: the lowered value as the invoker sees it —
generated classes (records lowered from any object with the attributes come back as
the generated dataclass), ``bytes``, lists, tuples, ``Some`` for nested options,
:class:`ExportedResource` handles for returned resources, ``None`` for no result. For
an outermost ``result`` it returns ``Ok(v)`` or ``Err(e)``
(:mod:`golem_fakes.bindings.result`) so the executor can tell success from the error
case. A wrong argument raises :class:`InvalidArgument` (nothing is called); a return
value that does not fit, an exception that is not exactly ``Err`` (for result
returns) or any exception (otherwise) raises :class:`~golem_fakes.bindings.runtime.Trap`
after writing componentize-py's stderr text (traceback + panic message).
"""

from __future__ import annotations

import importlib.util
import re
import sys
import threading
import traceback
import weakref
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Protocol

from golem_fakes.bindings import lowering
from golem_fakes.bindings.runtime import Panic, PathError, Trap, _describe_error, _short_repr
from golem_fakes.wit.model import (
    Enum,
    Flags,
    Function,
    HandleType,
    Interface,
    Resource,
    ResultType,
    TypeDef,
    World,
)

__all__ = [
    "GLUE_FILE",
    "ExportTable",
    "ExportFunction",
    "ExportClass",
    "ExportedResource",
    "ResourceTable",
    "InstanceResources",
    "InvalidArgument",
    "UnknownExport",
    "UnsupportedExport",
    "export_table",
    "generate_glue",
    "load_table",
]

#: File name of the generated glue inside the bindings cache directory.
GLUE_FILE = "_golem_export_glue.py"


# --- errors --------------------------------------------------------------------


class UnknownExport(LookupError):
    """No export (or more than one) matches the name given to
    :meth:`ExportTable.lookup`. ``candidates`` lists the matching (ambiguous) or all
    (unknown) export names."""

    def __init__(self, message: str, candidates: Iterable[str] = ()) -> None:
        super().__init__(message)
        self.candidates = tuple(candidates)


class InvalidArgument(TypeError):
    """An invocation argument does not fit the export's WIT parameter type (or the
    number of arguments is wrong). Golem's executor rejects such an invocation before
    the component runs (``validate_function_parameters`` in
    ``golem-worker-executor/src/worker/invocation.rs`` of v1.3.0-dev.25, errors
    ``Parameter type mismatch: in $ expected u32, got string`` from
    ``wasm-rpc/src/wasmtime.rs`` ``decode_param``, and ``Parameter type mismatch:
    expected 2, got 3 parameters``).

    Attributes: ``function`` (Golem name of the export), ``parameter`` (WIT name, or
    ``None`` for a wrong count), ``wit_type``, ``value``. A ``TypeError``: the same
    error whether the worker runs Python code or a built .wasm (golem_fakes.compiled)."""

    def __init__(self, message: str, *, function: str | None = None,
                 parameter: str | None = None, wit_type: str | None = None,
                 value: Any = None) -> None:
        super().__init__(message)
        self.function = function
        self.parameter = parameter
        self.wit_type = wit_type
        self.value = value


class UnsupportedExport(Exception):
    """The export uses something golem-fakes cannot invoke by name yet: an *imported*
    resource (``pollable``, …) in an exported function's parameters or result."""


# --- resources -----------------------------------------------------------------


@dataclass(frozen=True)
class ExportedResource:
    """The handle the invoker (the test) holds for a resource the component exported
    (Golem's ``Value::Handle``): ``resource`` is ``interface#name``
    (``golem-fakes:probe/api#session``), ``id`` the per-instance number."""

    resource: str
    id: int


class ResourceTable(Protocol):
    """What the executor supplies to map the invoker's handles to the component's
    Python objects of exported resource classes (per worker instance)."""

    def lower_new(self, resource: str, obj: Any) -> Any:
        """A returned ``own<resource>``: the handle the invoker receives for ``obj``."""

    def lift_borrow(self, resource: str, handle: Any) -> Any:
        """A ``borrow<resource>`` argument (and a method's ``self``): the object."""

    def lift_own(self, resource: str, handle: Any) -> Any:
        """An ``own<resource>`` argument: the object; the handle is gone."""

    def drop(self, resource: str, handle: Any) -> None:
        """``{resource.drop}``: forget the handle."""


_HANDLE_ATTR = "__componentize_py_handle"


def _noop() -> None:
    return None


def handle_object(objects: dict[ExportedResource, Any], resource: str, handle: Any) -> Any:
    """``objects[handle]`` for a live handle of ``resource``; else Golem's
    :class:`InvalidArgument` saying why (another resource's handle, or an unknown one,
    with the live handles of ``resource``). Shared by the Python path's table and the
    compiled one's (:class:`golem_fakes.compiled.exports.ExportedHandles`)."""
    obj = objects.get(handle) if type(handle) is ExportedResource else None
    if obj is None:
        if isinstance(handle, ExportedResource) and handle.resource != resource:
            raise InvalidArgument(f"handle {handle!r} is a {handle.resource} resource, "
                                  f"expected {resource}")
        live = ", ".join(str(h.id) for h in objects if h.resource == resource)
        raise InvalidArgument(f"unknown resource handle {_short_repr(handle)} for {resource} "
                              f"(live handles: {live or 'none'})")
    return obj


class InstanceResources:
    """The default :class:`ResourceTable`: one per worker instance, handles
    ``ExportedResource(resource, n)`` numbered from 1.

    Follows componentize-py's runtime (``exported_resource_to_canon``, ``push_own``,
    ``push_borrow`` and ``resource_dtor`` in ``runtime/src/lib.rs``, v0.19.3 —
    v0.25.0):

    * returning an object as ``own<r>`` sets ``obj.__componentize_py_handle`` and
      ``obj.finalizer`` (a ``weakref.finalize``) on it — so ``None``, an ``int`` or a
      ``__slots__`` object traps (``setattr`` fails) — and the host then holds it.
      Any object is accepted: the runtime does not check the class. Returning an
      object that still carries a handle (returned before and not passed back as an
      owned argument) reuses that stale index, which the canonical ABI no longer has
      in the component's table: a trap (``unknown handle index``);
    * a ``borrow<r>`` argument gives the object itself;
    * an ``own<r>`` argument takes the handle away from the invoker, deletes
      ``__componentize_py_handle`` and detaches the finalizer (the object may be
      returned again, under a new handle);
    * ``{r.drop}`` forgets the handle and does **nothing** to the object: the
      runtime's ``resource_dtor`` is empty ("We don't currently include a `drop`
      function as part of the abstract base class we generate for an exported
      resource"), no ``__exit__``/``__del__`` is called, the object keeps its stale
      ``__componentize_py_handle``.

    An unknown handle (never issued, dropped, passed as owned before, of another
    resource type, or not an :class:`ExportedResource`) raises
    :class:`InvalidArgument`, as Golem rejects a handle it does not know."""

    def __init__(self) -> None:
        self._objects: dict[ExportedResource, Any] = {}
        self._next = 1
        self._lock = threading.Lock()

    def lower_new(self, resource: str, obj: Any) -> ExportedResource:
        if hasattr(obj, _HANDLE_ATTR):
            stale = getattr(obj, _HANDLE_ATTR)
            raise Panic(f"unknown handle index {stale!r} (this {type(obj).__name__} was "
                        f"already given to the host; componentize-py reuses its stale handle)")
        with self._lock:
            n = self._next
            self._next += 1
        setattr(obj, _HANDLE_ATTR, n)
        obj.finalizer = weakref.finalize(obj, _noop)
        handle = ExportedResource(resource, n)
        self._objects[handle] = obj
        return handle

    def _get(self, resource: str, handle: Any) -> Any:
        return handle_object(self._objects, resource, handle)

    def lift_borrow(self, resource: str, handle: Any) -> Any:
        return self._get(resource, handle)

    def lift_own(self, resource: str, handle: Any) -> Any:
        obj = self._get(resource, handle)
        del self._objects[handle]
        try:
            delattr(obj, _HANDLE_ATTR)
        except AttributeError:
            pass
        fin = getattr(obj, "finalizer", None)
        if isinstance(fin, weakref.finalize):
            fin.detach()
        return obj

    def drop(self, resource: str, handle: Any) -> None:
        self._get(resource, handle)
        del self._objects[handle]

    def object(self, handle: ExportedResource) -> Any:
        """The component's object behind ``handle`` (for assertions)."""
        return self._get(handle.resource, handle)

    def __len__(self) -> int:
        return len(self._objects)

    def __repr__(self) -> str:
        return f"<InstanceResources {len(self._objects)} live>"


# --- the table -----------------------------------------------------------------


@dataclass(frozen=True)
class ExportClass:
    """A class the component's code must define: ``module`` ``None`` = the app module
    given to ``componentize``, else a top-level module (exported resources)."""

    module: str | None
    name: str
    purpose: str


@dataclass(frozen=True, eq=False)
class ExportFunction:
    """One export, as the invoker names it.

    ``name`` is Golem's canonical name (``ParsedFunctionName``'s ``Display``):
    ``ns:pkg/iface@ver.{fn}``, ``{res.new}``, ``{res.method}``, ``{[static]res.m}``,
    ``{res.drop}``; a world-level function is its plain name. ``function`` is the WIT
    (canonical ABI) name (``[method]counter.get``; ``[drop]res`` for drops),
    ``params`` ``(wit name, python name, wit type)`` — a method's first is ``self``,
    the handle. ``class_module``/``class_name``/``method_name`` say where the
    component's code defines it (componentize-py.md §4)."""

    name: str
    interface: str | None
    function: str
    kind: str
    resource: str | None
    params: tuple[tuple[str, str, str], ...]
    result: str | None
    class_module: str | None
    class_name: str
    method_name: str | None
    #: the :class:`ExportedResource` ``resource`` key of the function's resource
    resource_key: str | None = None
    #: other full names Golem's parser accepts for it
    aliases: tuple[str, ...] = ()
    glue: Callable[[Any, tuple[Any, ...], Any], Any] = field(default=None, repr=False)  # type: ignore[assignment]

    def call(self, target: Any, args: tuple[Any, ...], resources: ResourceTable) -> Any:
        """Invoke: check/lift ``args``, call ``target``, lower the return value (see
        the module docstring for ``target`` and the return representation)."""
        return self.glue(target, args, resources)

    @property
    def returns_result(self) -> bool:
        """Whether the outermost result type is a ``result`` (``call`` then returns
        ``Ok``/``Err``)."""
        return self.result is not None and self.result.startswith("result")

    def __repr__(self) -> str:
        return f"<ExportFunction {self.name} ({self.kind})>"


_IDENT = r"[A-Za-z0-9-]+"
_FULL = re.compile(rf"^(?:({_IDENT}):({_IDENT})/)?({_IDENT})(?:@(.+?))?\.\{{(.*)\}}$")
_REF_FORMS = (
    (re.compile(rf"^\[constructor\]({_IDENT})$"), "constructor"),
    (re.compile(rf"^({_IDENT})\.new$"), "constructor"),
    (re.compile(rf"^\[drop\]({_IDENT})$"), "drop"),
    (re.compile(rf"^({_IDENT})\.drop$"), "drop"),
    (re.compile(rf"^\[method\]({_IDENT})\.({_IDENT})$"), "method"),
    (re.compile(rf"^\[static\]({_IDENT})\.({_IDENT})$"), "static"),
    (re.compile(rf"^({_IDENT})\.({_IDENT})$"), "method"),
    (re.compile(rf"^({_IDENT})$"), "function"),
)
_INDEXED = re.compile(rf"^(?:\[static\])?{_IDENT}\(.*\)\.")

_FORMS_HELP = (
    "accepted forms (Golem's ParsedFunctionName): 'ns:pkg/iface@version.{fn}' (the "
    "@version as the package declares it, or a semver-compatible one), "
    "'ns:pkg/iface.{res.new}' / '{[constructor]res}', '{res.method}' / "
    "'{[method]res.method}', '{[static]res.fn}' (or '{res.fn}'), '{res.drop}' / "
    "'{[drop]res}', a world-level export by its name, or a plain function name "
    "('add-item' or 'add_item') when only one export has it")


def _semver_alternate(version: str) -> str | None:
    """wasmtime's ``NameMap`` alternate key (``crates/environ/src/component/names.rs``
    v33.0.0): ``1.2.3`` → ``1``, ``0.2.3`` → ``0.2``, ``0.0.3`` → ``0.0.3``; none for
    pre-releases."""
    m = re.fullmatch(r"(\d+)\.(\d+)\.(\d+)(\+.*)?", version)
    if m is None:
        return None
    major, minor, patch = m.group(1), m.group(2), m.group(3)
    if major != "0":
        return major
    if minor != "0":
        return f"0.{minor}"
    return f"0.0.{patch}"


class ExportTable:
    """Every export of the installed world (see :func:`export_table`)."""

    def __init__(self, functions: Iterable[ExportFunction], classes: Iterable[ExportClass],
                 interfaces: Iterable[tuple[str, str | None]] = ()) -> None:
        self.functions: tuple[ExportFunction, ...] = tuple(functions)
        self._classes = tuple(classes)
        self._by_name: dict[str, ExportFunction] = {}
        self._plain: dict[str, list[ExportFunction]] = {}
        #: (interface key as exported, qualified or inline name) per function
        self._by_site: dict[tuple[str, str], ExportFunction] = {}
        self._interfaces: dict[str, str | None] = dict(interfaces)  # name -> version
        for f in self.functions:
            for n in (f.name, *f.aliases):
                self._by_name[n] = f
            for plain in self._plain_names(f):
                lst = self._plain.setdefault(plain, [])
                if f not in lst:
                    lst.append(f)
            if f.interface is not None:
                self._by_site[(f.interface, self._abi_name(f))] = f

    @staticmethod
    def _abi_name(f: ExportFunction) -> str:
        return f.function

    @staticmethod
    def _kind(f: Any) -> str:
        """The WIT kind of ``f`` (``freestanding``, ``constructor``, ``method``,
        ``static``, ``drop``); a table of other export objects overrides it."""
        return f.kind  # type: ignore[no-any-return]

    @classmethod
    def _plain_names(cls, f: ExportFunction) -> list[str]:
        res = f.resource
        kind = cls._kind(f)
        if kind == "freestanding":
            return [f.function, f.method_name or f.function]
        if res is None:  # pragma: no cover - resources always have one
            return []
        item = f.function.rpartition(".")[2]
        if kind == "constructor":
            return [f"{res}.new", f"[constructor]{res}"]
        if kind == "drop":
            return [f"{res}.drop", f"[drop]{res}"]
        if kind == "method":
            return [f"{res}.{item}", f"[method]{res}.{item}"]
        return [f"{res}.{item}", f"[static]{res}.{item}"]

    def names(self) -> list[str]:
        """The canonical name of every export."""
        return [f.name for f in self.functions]

    def classes(self) -> list[ExportClass]:
        """The distinct classes the component must define (componentize-py.md §4)."""
        return list(self._classes)

    def __iter__(self) -> Any:
        return iter(self.functions)

    def __len__(self) -> int:
        return len(self.functions)

    def lookup(self, name: str) -> ExportFunction:
        """The export called ``name`` (any form Golem's parser accepts, or a plain
        unambiguous function name); :class:`UnknownExport` otherwise."""
        hit = self._by_name.get(name)
        if hit is not None:
            return hit
        if not isinstance(name, str):
            raise UnknownExport(f"export names are strings, got {_short_repr(name)}; "
                                f"{_FORMS_HELP}", self.names())
        found = self._parse_lookup(name)
        if found is not None:
            return found
        plain = self._plain.get(name)
        if plain is None and "_" in name:
            plain = self._plain.get(name.replace("_", "-"))
        if plain:
            if len(plain) == 1:
                return plain[0]
            cands = [f.name for f in plain]
            raise UnknownExport(
                f"export name {name!r} is ambiguous: it matches {', '.join(cands)}; give "
                f"the full name ({_FORMS_HELP})", cands)
        hint = ""
        if _FULL.match(name) and _INDEXED.match(_FULL.match(name).group(5) or ""):  # type: ignore[union-attr]
            hint = " (Golem's indexed-resource syntax 'res(args).method' is not supported by golem-fakes)"
        raise UnknownExport(
            f"no export named {name!r}{hint}. The component exports: "
            f"{', '.join(self.names()) or '(nothing)'}; {_FORMS_HELP}", self.names())

    def _parse_lookup(self, name: str) -> ExportFunction | None:
        m = _FULL.match(name)
        if m is None:
            return None
        ns, pkg, iface, version, ref = m.groups()
        if ns is not None:
            base = f"{ns}:{pkg}/{iface}"
            candidates = [q for q in self._interfaces if q == base or q.startswith(base + "@")]
            exact = f"{base}@{version}" if version is not None else base
            if exact in self._interfaces:
                site = exact
            else:
                alt = _semver_alternate(version) if version is not None else None
                site = None
                if alt is not None:
                    best = None
                    for q in candidates:
                        v = self._interfaces[q]
                        if v is not None and _semver_alternate(v) == alt:
                            key = tuple(int(x) for x in re.findall(r"\d+", v)[:3])
                            if best is None or key > best[0]:
                                best = (key, q)
                    site = best[1] if best else None
                if site is None:
                    return None
        else:
            if iface not in self._interfaces or self._interfaces[iface] is not None or \
                    version is not None:
                return None
            site = iface
        for rx, kind in _REF_FORMS:
            mm = rx.match(ref)
            if mm is None:
                continue
            if kind == "constructor":
                abi = [f"[constructor]{mm.group(1)}"]
            elif kind == "drop":
                abi = [f"[drop]{mm.group(1)}"]
            elif kind == "method":
                # Golem falls back to the static function (``method_as_static``)
                abi = [f"[method]{mm.group(1)}.{mm.group(2)}", f"[static]{mm.group(1)}.{mm.group(2)}"]
            elif kind == "static":
                abi = [f"[static]{mm.group(1)}.{mm.group(2)}"]
            else:
                abi = [mm.group(1)]
            for a in abi:
                hit = self._by_site.get((site, a))
                if hit is not None:
                    return hit
            return None
        return None


# --- helpers the generated glue calls ----------------------------------------------


def _context(error: BaseException) -> tuple[str, BaseException, str | None, Any]:
    """``($-path, inner error, wit type at the path, value at the path)``."""
    if isinstance(error, PathError):
        return "$" + "".join(error.path), error.error, error.wit, error.value
    return "$", error, None, None


def arity(fn: ExportFunction, args: Any) -> InvalidArgument:
    n = len(fn.params)
    got = len(args) if hasattr(args, "__len__") else "?"
    return InvalidArgument(
        f"invalid invocation of {fn.name}: Parameter type mismatch: expected {n}, got {got} "
        f"parameters ({', '.join(f'{p[0]}: {p[2]}' for p in fn.params) or 'none'})",
        function=fn.name, parameter=None, wit_type=None, value=args)


def invalid_argument(fn: ExportFunction, index: int, args: tuple[Any, ...],
                     error: BaseException) -> BaseException:
    """The :class:`InvalidArgument` for a lifting error of argument ``index``."""
    path, inner, wit_at, value_at = _context(error)
    if isinstance(inner, UnsupportedExport):
        return inner
    pname, _py, wit = fn.params[index]
    value = args[index]
    shown = value if wit_at is None else value_at
    expected = wit if wit_at is None else wit_at
    return InvalidArgument(
        f"invalid argument for {fn.name}: parameter {pname!r} of WIT type {wit}: Parameter "
        f"type mismatch: in {path} expected {expected}, got {_short_repr(shown)} "
        f"({type(shown).__name__}): {_describe_error(inner)}. The component was not called.",
        function=fn.name, parameter=pname, wit_type=wit, value=shown)


#: componentize-py's ``panic!("Python function threw an unexpected exception")`` in the
#: export path (``runtime/src/lib.rs`` of each tag): (line:column for a normal or no
#: return, for a ``result`` return). 0.25.1 is not in the mirror: 0.25.0's.
_UNEXPECTED_LINES: dict[str, tuple[str, str]] = {
    "0.16.0": ("483:21", "499:25"),
    "0.17.0": ("493:21", "509:25"),
    "0.17.1": ("497:21", "513:25"),
    "0.17.2": ("499:21", "515:25"),
    "0.18.0": ("499:21", "515:25"),
    "0.19.0": ("1276:25", "1289:29"),
    "0.19.1": ("1276:25", "1289:29"),
    "0.19.2": ("1279:25", "1292:29"),
    "0.19.3": ("1290:25", "1303:29"),
    "0.20.0": ("1288:25", "1301:29"),
    "0.21.0": ("1288:25", "1301:29"),
    "0.22.0": ("1288:25", "1301:29"),
    "0.22.1": ("1288:25", "1301:29"),
    "0.23.0": ("1288:25", "1301:29"),
    "0.24.0": ("1280:25", "1293:29"),
    "0.25.0": ("1280:25", "1293:29"),
}
_UNEXPECTED_LINES["0.25.1"] = _UNEXPECTED_LINES["0.25.0"]

_NOTE = "note: run with `RUST_BACKTRACE=1` environment variable to display a backtrace\n"


def _stderr(chunks: list[bytes]) -> None:
    """Write the component's stderr text: to the current worker's stderr (a Golem with
    a current worker, as :func:`golem_fakes.bindings.panic.write_panic` does), else
    to ``sys.stderr``."""
    if not chunks:
        return
    from golem_fakes.bindings.runtime import active_environment

    env = active_environment()
    console = getattr(env, "console", None)
    if console is not None and getattr(env, "current_worker", None) is not None:
        c = console()
        for chunk in chunks:
            c.write("stderr", chunk)
        return
    for chunk in chunks:
        sys.stderr.write(chunk.decode("utf-8", "replace"))
    sys.stderr.flush()


def unexpected(fn: ExportFunction, error: BaseException, version: str, result: bool) -> Trap:
    """An exception escaped the export (for a ``result`` return: anything but an exact
    ``Err``): componentize-py's runtime prints the Python traceback
    (``PyErr::print``) and panics with "Python function threw an unexpected
    exception"; the call traps. (0.18.0 traps with ``uninitialized element`` and prints
    nothing, componentize-py.md §4.)"""
    tb = error.__traceback__
    if tb is not None:
        tb = tb.tb_next  # the glue's own frame: the runtime calls the method directly
    if version == "0.18.0":
        return Trap(f"{fn.name}: the export raised {_describe_error(error)}; componentize-py "
                    f"0.18.0's runtime traps with `uninitialized element` (nothing printed)",
                    interface=fn.interface, function=fn.function, error=error)
    text = "".join(traceback.format_exception(type(error), error, tb))
    thread = "'<unnamed>'" if version < "0.19" else "'<unnamed>' (1)"
    lines = _UNEXPECTED_LINES.get(version)
    chunks = [text.encode("utf-8", "backslashreplace")]
    if lines is not None:
        where = lines[1] if result else lines[0]
        chunks.append(f"\nthread {thread} panicked at runtime/src/lib.rs:{where}:\n"
                      "Python function threw an unexpected exception\n".encode())
        chunks.append(_NOTE.encode())
    _stderr(chunks)
    from golem_fakes.bindings.result import Err

    what = (f"an Err subclass, {type(error).__qualname__}: {error!r}"
            if isinstance(error, Err) else _describe_error(error))
    return Trap(f"{fn.name}: Python function threw an unexpected exception ({what}); "
                f"componentize-py's runtime prints the traceback and traps (wasm unreachable)"
                + ("; only an exact Err(...) is the error case of a result" if result else ""),
                interface=fn.interface, function=fn.function, error=error)


def return_trap(fn: ExportFunction, value: Any, error: BaseException, kinds: dict[str, str],
                version: str) -> BaseException:
    """The :class:`Trap` for a return value that cannot be lowered (componentize-py
    panics in the lowering: stderr text as for an import argument, see
    :mod:`golem_fakes.bindings.panic`)."""
    path, inner, wit_at, value_at = _context(error)
    if isinstance(inner, UnsupportedExport):
        return inner
    wit = fn.result or "nothing"
    where = "" if wit_at is None else f" at result{path[1:]} ({wit_at})"
    shown = value if wit_at is None else value_at
    from golem_fakes.bindings.panic import panic_writes

    at = wit_at or wit
    _stderr(panic_writes(at, inner, version, kind=kinds.get(at) if isinstance(
        inner, (AttributeError, TypeError)) else None))
    from golem_fakes.bindings.result import Ok

    if fn.returns_result:  # ``value`` is Ok(what it returned) or the Err it raised
        told = f"returned {_short_repr(value.value)}" if type(value) is Ok else \
            f"raised {_short_repr(value)}"
    else:
        told = f"returned {_short_repr(value)}"
    return Trap(f"{fn.name}: the export {told}, which does not fit WIT "
                f"type {wit}{where}: given {_short_repr(shown)} -> {_describe_error(inner)}. "
                f"componentize-py's runtime panics while lowering it (wasm unreachable).",
                interface=fn.interface, function=fn.function, parameter=None, wit_type=wit,
                value=shown, error=inner)


def unsupported(what: str) -> UnsupportedExport:
    return UnsupportedExport(
        f"golem-fakes cannot invoke exports whose parameters or results hold an imported "
        f"resource ({what}) by name yet")


# --- generation ----------------------------------------------------------------


class _GlueNamer:
    """:class:`~golem_fakes.bindings.lowering.TypeNamer` with absolute module
    references: exported interfaces' types in ``<pkg>.exports.<mod>``, imported ones
    in ``<pkg>.imports.<mod>``, world-level ones in ``<pkg>`` (componentize-py's
    layout; ``Summary.interface_package``)."""

    def __init__(self, summary: Any) -> None:
        self.summary = summary
        self.modules: dict[str, str] = {}  # dotted module -> alias

    def _module(self, owner: Any) -> str:
        pkg = self.summary.flavor.package
        if isinstance(owner, Interface):
            sub, name = self.summary.interface_package(owner)
            dotted = f"{pkg}.{sub}.{name}"
        else:
            dotted = pkg
        alias = self.modules.get(dotted)
        if alias is None:
            alias = self.modules[dotted] = f"_golem_m{len(self.modules)}"
        return alias

    def class_expr(self, typedef: TypeDef) -> str:
        from golem_fakes.bindings.naming import escape, upper_camel

        td = typedef.dealias()
        assert isinstance(td, TypeDef)
        return f"{self._module(td.owner)}.{escape(upper_camel(td.name))}"

    def case_class_expr(self, typedef: TypeDef, case: Any) -> str:
        from golem_fakes.bindings.naming import escape, upper_camel

        return f"{self.class_expr(typedef)}_{escape(upper_camel(case.name))}"


class _ExportGen(lowering._Gen):
    """The lowering generator with handles of *exported* resources going through the
    invoker's :class:`ResourceTable` (``_golem_e`` in the glue is that table).
    Records are lifted by their helpers (the glue looks classes up at call time)."""

    inline_records = False

    def __init__(self, namer: Any, resource_key: Callable[[TypeDef], str | None]) -> None:
        super().__init__(namer)
        self.resource_key = resource_key

    def _handle(self, t: Any, v: str, out: list[str], ind: str, lift: bool) -> bool:
        r = lowering._resolve(t)
        if not isinstance(r, HandleType):
            return False
        key = self.resource_key(r.resource)
        if key is None:
            out.append(f"{ind}raise _golem_xrt.unsupported({lowering.wit_type_str(r)!r})")
        elif lift:
            method = "lift_borrow" if r.kind == "borrow" else "lift_own"
            out.append(f"{ind}{v} = _golem_e.{method}({key!r}, {v})")
        else:
            out.append(f"{ind}{v} = _golem_e.lower_new({key!r}, {v})")
        return True

    def lower(self, t: Any, v: str, out: list[str], ind: str) -> None:
        if not self._handle(t, v, out, ind, lift=False):
            super().lower(t, v, out, ind)

    def lift(self, t: Any, v: str, out: list[str], ind: str) -> None:
        if not self._handle(t, v, out, ind, lift=True):
            super().lift(t, v, out, ind)


@dataclass
class _Entry:
    fn: Function | None
    name: str
    aliases: list[str]
    interface: str | None
    function: str
    kind: str
    resource: TypeDef | None
    params: list[tuple[str, str, Any]]
    result: Any
    class_module: str | None
    class_name: str
    method_name: str | None
    resource_key: str | None


def _entries(summary: Any) -> tuple[list[_Entry], list[ExportClass], list[tuple[str, str | None]]]:
    from golem_fakes.bindings.naming import escape, upper_camel

    fl = summary.flavor
    world: World = summary.world
    entries: list[_Entry] = []
    classes: dict[tuple[str | None, str], ExportClass] = {}
    interfaces: list[tuple[str, str | None]] = []
    seen: set[str] = set()

    def add_class(module: str | None, name: str, purpose: str) -> None:
        classes.setdefault((module, name), ExportClass(module, name, purpose))

    def params_of(fn: Function) -> list[tuple[str, str, Any]]:
        out = []
        if fn.kind == "method":
            assert fn.resource is not None
            out.append(("self", "self", HandleType(fn.resource, "borrow")))
        for p in summary._wit_params(fn):
            out.append((p.name, escape(lowering.naming.snake(p.name)), p.type))
        return out

    for wi in world.exports:
        if wi.key in seen:
            continue
        seen.add(wi.key)
        item = wi.item
        if isinstance(item, Function):
            fn = item
            add_class(None, fl.world_class, "world-level exports")
            entries.append(_Entry(fn, fn.name, [], None, fn.name, "freestanding", None,
                                  params_of(fn), fn.result, None, fl.world_class,
                                  summary.function_name(fn), None))
            continue
        if not isinstance(item, Interface):
            continue
        iface = item
        site = iface.qualified_name if iface.package is not None and iface.name is not None \
            else wi.key
        version = iface.package.name.version if iface.package is not None and \
            iface.name is not None else None
        interfaces.append((site, version))
        protocol = escape(upper_camel(summary.exported_names[iface]))
        module = summary.interface_package(iface)[1]
        for fn in iface.functions.values():
            if fn.kind == "freestanding":
                add_class(None, protocol, f"exported interface {site}")
                entries.append(_Entry(fn, f"{site}.{{{fn.name}}}", [], site, fn.name,
                                      "freestanding", None, params_of(fn), fn.result, None,
                                      protocol, summary.function_name(fn), None))
        for td in iface.types.values():
            if not isinstance(td.kind, Resource) or td.owner is not iface:
                continue
            res = td.name
            cls = escape(upper_camel(res))
            key = f"{iface.qualified_name}#{res}"
            add_class(module, cls, f"exported resource {site}.{{{res}}}")
            for fn in td.resource_functions():
                item_name = fn.item_name
                if fn.kind == "constructor":
                    name, aliases = f"{site}.{{{res}.new}}", [f"{site}.{{[constructor]{res}}}"]
                elif fn.kind == "method":
                    name = f"{site}.{{{res}.{item_name}}}"
                    aliases = [f"{site}.{{[method]{res}.{item_name}}}"]
                else:
                    name = f"{site}.{{[static]{res}.{item_name}}}"
                    aliases = [f"{site}.{{{res}.{item_name}}}"]
                entries.append(_Entry(fn, name, aliases, site, fn.name, fn.kind, td,
                                      params_of(fn),
                                      HandleType(td, "own") if fn.kind == "constructor" else fn.result,
                                      module, cls, summary.function_name(fn), key))
            entries.append(_Entry(None, f"{site}.{{{res}.drop}}", [f"{site}.{{[drop]{res}}}"],
                                  site, f"[drop]{res}", "drop", td,
                                  [("self", "self", HandleType(td, "own"))], None, module, cls,
                                  None, key))
    # no duplicates of a canonical name (an alias of one may be another's name: the
    # static fallback ``{res.fn}`` never collides with a method of the same name)
    return entries, list(classes.values()), interfaces


def _call_lines(e: _Entry, i: int, gen: _ExportGen) -> list[str]:
    n = len(e.params)
    out = [f"def _golem_call_{i}(_golem_target, _golem_args, _golem_e):"]
    out.append(f"    if _golem_type(_golem_args) is not _golem_tuple: _golem_args = _golem_tuple(_golem_args)")
    out.append(f"    if _golem_len(_golem_args) != {n}: raise _golem_xrt.arity(_golem_F[{i}], _golem_args)")
    names = [f"_golem_a{k}" for k in range(n)]
    if n:
        out.append(f"    {', '.join(names)}, = _golem_args")
    lifting: list[str] = []
    for k, (_w, _p, t) in enumerate(e.params):
        part: list[str] = []
        if e.kind == "drop":
            break
        gen.lift(t, names[k], part, "        ")
        if part:
            lifting.append(f"        _golem_i = {k}")
            lifting.extend(part)
    if lifting:
        out.append("    try:")
        out.extend(lifting)
        out.append("    except _golem_Exception as _golem_x:")
        out.append(f"        raise _golem_xrt.invalid_argument(_golem_F[{i}], _golem_i, _golem_args, _golem_x) from None")
    if e.kind == "drop":
        out.append("    try:")
        out.append(f"        _golem_e.drop({e.resource_key!r}, _golem_a0)")
        out.append("    except _golem_Exception as _golem_x:")
        out.append(f"        raise _golem_xrt.invalid_argument(_golem_F[{i}], 0, _golem_args, _golem_x) from None")
        out.append("    return None")
        return out
    if e.kind == "method":
        call = f"_golem_a0.{e.method_name}({', '.join(names[1:])})"
    elif e.kind == "static":
        call = f"_golem_target.{e.method_name}({', '.join(names)})"
    else:
        call = f"_golem_target({', '.join(names)})"
    res = lowering._resolve(e.result) if e.result is not None else None
    is_result = isinstance(res, ResultType)
    out.append("    try:")
    if is_result:
        out.append(f"        _golem_r = Ok({call})")
        out.append("    except _golem_Err as _golem_x:")
        out.append("        if _golem_type(_golem_x) is not _golem_Err:")
        out.append(f"            raise _golem_xrt.unexpected(_golem_F[{i}], _golem_x, _golem_VERSION, True) from None")
        out.append("        _golem_r = _golem_x")
    else:
        out.append(f"        _golem_r = {call}")
    out.append("    except _golem_Exception as _golem_x:")
    out.append(f"        raise _golem_xrt.unexpected(_golem_F[{i}], _golem_x, _golem_VERSION, {is_result}) from None")
    if res is None:
        # ReturnStyle::None: whatever the method returned is not looked at
        out.append("    return None")
        return out
    lower: list[str] = []
    gen.lower(e.result, "_golem_r", lower, "        ")
    if lower:
        out.append("    _golem_r0 = _golem_r")
        out.append("    try:")
        out.extend(lower)
        out.append("    except _golem_Exception as _golem_x:")
        out.append(f"        raise _golem_xrt.return_trap(_golem_F[{i}], _golem_r0, _golem_x, _golem_KINDS, _golem_VERSION) from None")
    out.append("    return _golem_r")
    return out


def generate_glue(world: World, flavor: Any, import_names: Any = None, export_names: Any = None,
                  full_names: bool = False) -> str:
    """Python source of the export glue of ``world`` for the bindings of ``flavor``
    (the same naming options as :func:`golem_fakes.bindings.codegen.generate`)."""
    from golem_fakes.bindings.codegen import Summary

    summary = Summary(world, flavor, import_names, export_names, full_names, stub=True)
    exported = set(summary.exported) - set(summary.imported)

    def resource_key(td: TypeDef) -> str | None:
        td2 = td.dealias()
        if isinstance(td2, TypeDef) and isinstance(td2.owner, Interface) and td2.owner in exported:
            return f"{td2.owner.qualified_name}#{td2.name}"
        return None

    namer = _GlueNamer(summary)
    gen = _ExportGen(namer, resource_key)
    entries, classes, interfaces = _entries(summary)
    funcs: list[str] = []
    for i, e in enumerate(entries):
        funcs.extend(_call_lines(e, i, gen))
        funcs.append("")
    done_lower: set[str] = set()
    done_lift: set[str] = set()
    helpers: list[str] = []
    tables: list[str] = []
    while True:
        todo_lower = [(k, t) for k, t in gen.lower_types.items() if k not in done_lower]
        todo_lift = [(k, t) for k, t in gen.lift_types.items() if k not in done_lift]
        if not todo_lower and not todo_lift:
            break
        for key, td in todo_lower:
            done_lower.add(key)
            helpers.extend(gen.lower_helper(key, td))
            tables.extend(gen.tables(key, td, lower=True))
        for key, td in todo_lift:
            done_lift.add(key)
            helpers.extend(gen.lift_helper(key, td))
            tables.extend(gen.tables(key, td, lower=False))
    kinds = {td.name: ("flags" if isinstance(td.kind, Flags) else "enum")
             for td in list(gen.lower_types.values()) + list(gen.lift_types.values())
             if isinstance(td.kind, (Enum, Flags))}

    def wit(t: Any) -> str | None:
        return None if t is None else lowering.wit_type_str(t)

    rows = []
    for i, e in enumerate(entries):
        params = tuple((w, p, lowering.wit_type_str(t)) for w, p, t in e.params)
        rows.append(
            f"    dict(name={e.name!r}, aliases={tuple(e.aliases)!r}, interface={e.interface!r}, "
            f"function={e.function!r}, kind={e.kind!r}, "
            f"resource={(e.resource.name if e.resource is not None else None)!r}, "
            f"params={params!r}, result={wit(e.result)!r}, class_module={e.class_module!r}, "
            f"class_name={e.class_name!r}, method_name={e.method_name!r}, "
            f"resource_key={e.resource_key!r}, glue=_golem_call_{i}),")
    head = [
        f'"""Export glue of world {world.qualified_name!r} for componentize-py {flavor.version} '
        f'(package {flavor.package!r}), generated by golem_fakes.bindings.exports."""',
        "from golem_fakes.bindings import runtime as _golem_rt",
        "from golem_fakes.bindings import exports as _golem_xrt",
        "from golem_fakes.bindings.result import Ok, Err, Some",
        "from builtins import (type as _golem_type, int as _golem_int, bool as _golem_bool,",
        "    float as _golem_float, str as _golem_str, bytes as _golem_bytes, list as _golem_list,",
        "    tuple as _golem_tuple, len as _golem_len, enumerate as _golem_enumerate,",
        "    Exception as _golem_Exception, dict as _golem_dict, KeyError as _golem_KeyError)",
        "_golem_Err = Err",
        "_golem_new = object.__new__",
        f"_golem_VERSION = {flavor.version!r}",
        f"_golem_KINDS = {kinds!r}",
    ]
    for dotted, alias in namer.modules.items():
        head.append(f"import {dotted} as {alias}")
    body = [
        *tables, "", *helpers, "",
        f"_golem_F = [None] * {len(entries)}",
        "", *funcs,
        "EXPORTS = (", *rows, ")",
        f"CLASSES = {tuple((c.module, c.name, c.purpose) for c in classes)!r}",
        f"INTERFACES = {tuple(interfaces)!r}",
    ]
    return "\n".join(head + [""] + body) + "\n"


def load_table(path: str | Path, name: str = "_golem_export_glue") -> ExportTable:
    """Load a glue file (from its path; it is never importable by name) and build its
    :class:`ExportTable`."""
    path = Path(path)
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:  # pragma: no cover
        raise ImportError(f"cannot load the export glue {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    functions = []
    for i, row in enumerate(module.EXPORTS):
        f = ExportFunction(**row)
        module._golem_F[i] = f
        functions.append(f)
    table = ExportTable(functions, [ExportClass(*c) for c in module.CLASSES], module.INTERFACES)
    table.module = module  # type: ignore[attr-defined]
    return table


_TABLES: dict[int, tuple[Any, ExportTable]] = {}
_TABLES_LOCK = threading.Lock()


def export_table() -> ExportTable:
    """The :class:`ExportTable` of the world installed with ``golem_fakes.install``
    (cached per installation)."""
    from golem_fakes.bindings.install import installed

    inst = installed()
    if inst is None:
        raise RuntimeError("no golem-fakes bindings are installed: call golem_fakes.install() "
                           "first (the golem pytest plugin does at start-up)")
    with _TABLES_LOCK:
        hit = _TABLES.get(id(inst))
        if hit is not None and hit[0] is inst:
            return hit[1]
        path = inst.cache_path / GLUE_FILE
        if not path.is_file():
            raise RuntimeError(f"the bindings in {inst.cache_path} have no export glue "
                               f"({GLUE_FILE}); they were generated by an older golem-fakes: "
                               f"delete the directory to regenerate them")
        table = load_table(path, f"_golem_export_glue_{inst.cache_path.name}")
        _TABLES.clear()
        _TABLES[id(inst)] = (inst, table)
        return table
