"""A component's Python code, and one copy of it per worker instance.

What componentize-py does (measured with componentize-py 0.19.3, the version in the
test extra; the runtime source quoted is ``runtime/src/lib.rs`` ``do_init``, identical
in 0.13.5–0.25.0 and main):

* ``componentize -p PATH MODULE`` starts the embedded CPython at **build time** with
  ``PYTHONPATH=/python:/world:/0:...:/bundled`` (``src/lib.rs``): the standard library
  first, then the generated bindings (``wit_world``, ``componentize_py_types``), then
  the ``-p`` directories, then componentize-py's bundled modules. It imports ``MODULE``
  (``py.import(app_name)``) and everything that imports, then, for every exported
  function, looks up what the export needs: ``app.<Protocol>()`` for a function of an
  exported interface or of the world (one **new object per exported function**:
  ``instance: app.getattr(protocol)?.call0()?`` is evaluated in the loop over
  ``symbols.exports``; a component whose ``Api.__init__`` numbers its objects answers
  ``a`` from object 1 and ``b`` from object 2, measured under wasmtime-py), and
  ``import <module>; getattr(<Class>)`` for an exported resource's constructor and
  static functions. The interpreter's memory after that (pre-initialisation) is the
  snapshot **every instance starts from**; nothing is imported again at run time
  (componentize-py.md §7: only modules imported at build time exist).
* A failure there fails the build (``componentize-py`` exits 1 with
  ``AssertionError: ...`` and ``Caused by: <Type>: <message>``). Measured texts:

  - a missing interface class: ``AttributeError: module 'app' has no attribute 'Api'``
    (world class: ``... no attribute 'WitWorld'``);
  - a missing resource module: ``ModuleNotFoundError: No module named 'api'``; the
    module without the class: ``AttributeError: module 'api' has no attribute 'Session'``;
  - ``Api = 5``: ``TypeError: 'int' object is not callable``; ``def __init__(self, x)``:
    ``TypeError: Api.__init__() missing 1 required positional argument: 'x'``; an
    ``__init__`` that raises: that exception (``RuntimeError: init failed``);
  - module-level ``raise ValueError("boom at import")``: the traceback and
    ``ValueError: boom at import``; a missing sibling:
    ``ModuleNotFoundError: No module named 'helper_missing'``;
  - a module-level call of an import: the build host links real WASI (wasmtime-wasi)
    for ``wasi:cli``, ``wasi:clocks``, ``wasi:random``, ``wasi:io``,
    ``wasi:filesystem`` and ``wasi:sockets`` at ``@0.2.x`` (``is_wasip2_cli``), so
    ``random.get_random_u64()`` at module level **builds** (the build machine's value
    is baked into every instance); every other import (``golem:*``, ``wasi:keyvalue``,
    ``wasi:logging``, the component's own WIT) is a trapping stub and the build fails
    with ``called trapping stub: golem-fakes:probe/kitchen#top`` (a world-level
    function: ``called trapping stub: top-level-fn``), a wasm trap the Python code
    cannot catch.

What golem-fakes does:

* :class:`ComponentCode` is that code, once per ``(module, path)`` per process: each
  source file is compiled once (keyed by path, mtime and size; :data:`CODE_CACHE`).
* :meth:`ComponentCode.load` gives a worker its instance, :class:`LoadedCode`: new
  module objects for the component's own modules (those whose source lies under
  ``path`` and that the app imports at load); the standard library, installed packages
  and the generated bindings are shared. Like componentize-py, golem-fakes runs the
  module-level code **once**: the first fresh load executes the cached code into a
  pristine *template* instance (never handed to a worker, never run afterwards), and
  every fresh instance is a **clone** of it (``golem_fakes/worker/clone.py``): every
  worker starts from the template's state, as every Golem worker starts from the
  build-time snapshot (a module-level ``random.random()`` is the same in all of them).
  The template is made again when a source file changes (mtime or size, as
  :class:`CodeCache` keys it), when the installed bindings or a shared module it
  imported changed in ``sys.modules``, or when the export table's classes and objects
  differ. A component that cannot be cloned faithfully executes its code once per
  fresh instance instead, the reason in :attr:`ComponentCode.clone_fallback_reason`.
  On the template load, export classes are checked (and the export objects made, so
  they are part of the snapshot and cloned) with componentize-py's build-time errors,
  as :class:`ComponentBuildError`. Module-level code runs with no host: a binding call
  fails the load (:class:`ComponentBuildError`, even if the code swallowed the
  exception, since the real call traps). golem-fakes has no build machine, so a
  module-level WASI call fails too, where componentize-py would bake the build
  machine's answer into the snapshot (the message says so).
* :meth:`LoadedCode.activate` makes ``sys.modules`` show the instance's modules while
  the worker runs, so ``import component`` inside a function sees them.

Limitations (process-wide Python, not wasm): a module of the component first imported
at run time (inside a function) is not refused as in a real component, it is imported
by the ordinary import system, shared; the standard library is shared, so its module
state (``random``'s generator, ``logging``'s handlers) is per process, not per worker;
only ``.py`` sources under ``path`` are per instance (an extension module or a
``.pyc``-only module there is loaded by the ordinary import system, shared).
"""

from __future__ import annotations

import importlib
import importlib.machinery
import io
import os
import sys
import threading
import types
from pathlib import Path
from typing import Any, Iterable

from golem_fakes.bindings import runtime as _rt

__all__ = [
    "ComponentCode",
    "LoadedCode",
    "ComponentBuildError",
    "CodeCache",
    "CODE_CACHE",
    "BUILD_TIME_WASI_PREFIXES",
]

#: Process-wide lock of every load: imports are process-wide (``sys.modules``,
#: ``sys.meta_path``), so two loads never interleave. Re-entrant, so that a module's
#: code could load another component.
_LOCK = threading.RLock()

#: Interfaces componentize-py's build host implements with real WASI
#: (``is_wasip2_cli`` in componentize-py's ``src/lib.rs``, for versions ``@0.2.*``);
#: every other import is a trapping stub at build time.
BUILD_TIME_WASI_PREFIXES: tuple[str, ...] = (
    "wasi:cli/", "wasi:clocks/", "wasi:random/", "wasi:io/", "wasi:filesystem/",
    "wasi:sockets/",
)

_MISSING: Any = object()


class ComponentBuildError(Exception):
    """What ``componentize-py componentize`` would fail the build with: a missing or
    wrong export class, a missing resource module, an exception raised by module-level
    code or by an export class's ``__init__``, a host call made at build time.

    ``cause_text`` is componentize-py's ``Caused by:`` line (``AttributeError: module
    'app' has no attribute 'Api'``, ``called trapping stub: golem:api/host@1.1.7#...``);
    ``module`` the module being imported (or ``None``); ``site`` the binding site of a
    build-time host call (or ``None``)."""

    def __init__(self, message: str, *, cause_text: str = "", module: str | None = None,
                 site: Any = None) -> None:
        super().__init__(message)
        self.cause_text = cause_text
        self.module = module
        self.site = site


# --- compiled code -------------------------------------------------------------------


class CodeCache:
    """Compiled code objects of component source files, one per (file, mtime, size).

    A file is read and compiled the first time a load needs it; later loads (every
    other worker, every Golem of the process) only ``stat`` it and reuse the code
    object. Editing a file so that its mtime or size changes gives new instances the
    new code (as a rebuild would); instances already loaded keep what they ran.
    ``compiles`` counts reads+compiles (for tests and benchmarks)."""

    def __init__(self) -> None:
        self._codes: dict[tuple[str, int, int], types.CodeType] = {}
        self._lock = threading.Lock()
        self.compiles = 0

    def get(self, file: str) -> types.CodeType:
        """The code of ``file`` (an absolute path) as it is now on disk."""
        st = os.stat(file)
        key = (file, st.st_mtime_ns, st.st_size)
        code = self._codes.get(key)
        if code is not None:
            return code
        with self._lock:
            code = self._codes.get(key)
            if code is None:
                with io.open_code(file) as f:
                    data = f.read()
                code = compile(data, file, "exec", dont_inherit=True)
                self.compiles += 1
                # One live version per file: an edited file's old code is dropped.
                for old in [k for k in self._codes if k[0] == file]:
                    del self._codes[old]
                self._codes[key] = code
            return code

    def clear(self) -> None:
        """Forget every compiled file (tests)."""
        with self._lock:
            self._codes.clear()


#: The process-wide cache every :class:`ComponentCode` compiles through.
CODE_CACHE = CodeCache()


# --- where a module of the component lives ------------------------------------------


class _Entry:
    """A module of the component on disk: its source file (``None`` for a namespace
    package) and, for packages, the directories its submodules are searched in."""

    __slots__ = ("name", "file", "locations")

    def __init__(self, name: str, file: str | None, locations: list[str] | None) -> None:
        self.name = name
        self.file = file
        self.locations = locations


_SHARED: list[Any] = [_MISSING, frozenset()]


def _shared_top_level() -> frozenset[str]:
    """Top-level names always served from outside ``path``: the standard library
    (first on componentize-py's ``PYTHONPATH``) and golem-fakes' generated bindings
    (second). Cached per installation of the bindings."""
    from golem_fakes.bindings import install

    inst = install.installed()
    if _SHARED[0] is inst:
        return _SHARED[1]
    names = set(sys.stdlib_module_names) | set(sys.builtin_module_names)
    if inst is not None:
        names.update(inst.top_level)
    shared = frozenset(names)
    _SHARED[0], _SHARED[1] = inst, shared
    return shared


def _find_in(directory: str, leaf: str, name: str) -> _Entry | None:
    pkg = os.path.join(directory, leaf)
    init = os.path.join(pkg, "__init__.py")
    if os.path.isfile(init):
        return _Entry(name, init, [pkg])
    mod = pkg + ".py"
    if os.path.isfile(mod):
        return _Entry(name, mod, None)
    return None


def _under(file: str | None, root: str) -> bool:
    if not file:
        return False
    try:
        real = os.path.realpath(file)
    except (OSError, ValueError):
        return False
    return real == root or real.startswith(root + os.sep)


# --- the build-time environment -----------------------------------------------------


def _stub_name(site: Any) -> str:
    """The name componentize-py's trapping stub reports: ``iface#function``, or the
    bare function name for a world-level import."""
    iface = getattr(site, "interface", "") or ""
    fn = getattr(site, "function", None) or getattr(site, "name", "?")
    from golem_fakes.bindings import install

    inst = install.installed()
    if inst is not None and iface.rpartition("/")[2].partition("@")[0] == inst.world:
        return str(fn)
    return f"{iface}#{fn}"


def _is_build_time_wasi(site: Any) -> bool:
    iface = getattr(site, "interface", "") or ""
    return iface.startswith(BUILD_TIME_WASI_PREFIXES) and "@0.2." in iface


def build_time_host_call(site: Any) -> ComponentBuildError:
    """The error of a binding called while a component's module-level code (or an
    export class's ``__init__``) runs, i.e. at componentize-py's build time."""
    described = site.describe() if hasattr(site, "describe") else repr(site)
    if _is_build_time_wasi(site):
        return ComponentBuildError(
            f"{described} was called at build time: module-level code (and export "
            f"classes' __init__) runs while componentize-py pre-initialises the "
            f"component, with no Golem host. componentize-py links the build machine's "
            f"own WASI for this interface, so the real build succeeds and bakes the "
            f"build machine's answer into the snapshot every worker starts from; "
            f"golem-fakes has no build machine and refuses the call. Make the call "
            f"inside a function (at invocation time) instead.",
            site=site, cause_text="")
    stub = _stub_name(site)
    return ComponentBuildError(
        f"componentize-py would fail to build the component: called trapping stub: "
        f"{stub} ({described} was called at build time: module-level code, and export "
        f"classes' __init__, runs while componentize-py pre-initialises the component, "
        f"where no host exists and every non-WASI import is a stub that traps; the "
        f"trap cannot be caught. Make the call inside a function instead.)",
        site=site, cause_text=f"called trapping stub: {stub}")


class _BuildTimeBindings:
    __slots__ = ("_calls",)

    def __init__(self, calls: list[ComponentBuildError]) -> None:
        self._calls = calls

    def __getitem__(self, site: Any) -> Any:
        error = build_time_host_call(site)
        self._calls.append(error)
        raise error


class _BuildTime:
    """The value of ``current_environment`` while a component's module-level code
    runs: every binding call raises :class:`ComponentBuildError` (and is remembered,
    so that the load fails even if the code swallowed it: the real call traps)."""

    __slots__ = ("bindings", "calls")

    def __init__(self) -> None:
        self.calls: list[ComponentBuildError] = []
        self.bindings = _BuildTimeBindings(self.calls)

    @property
    def handles(self) -> Any:
        error = ComponentBuildError(
            "a resource handle was used at build time: module-level code runs while "
            "componentize-py pre-initialises the component, where no host exists")
        self.calls.append(error)
        raise error

    def __bool__(self) -> bool:
        return False

    def __repr__(self) -> str:
        return "<componentize-py build time: no host>"


# --- loading --------------------------------------------------------------------------


def _describe_exception(error: BaseException) -> str:
    text = str(error)
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


class _LoadState:
    __slots__ = ("adopt", "modules", "hidden", "saved", "failed_module", "env")

    def __init__(self, adopt: bool, hidden: dict[str, Any], env: _BuildTime) -> None:
        self.adopt = adopt
        self.modules: dict[str, types.ModuleType] = {}
        self.hidden = hidden
        self.saved: dict[str, dict[str, Any]] = {}
        self.failed_module: str | None = None
        self.env = env


class _Finder:
    """The ``sys.meta_path`` finder and the loader of one component's modules. It is
    on ``sys.meta_path`` only while a load of its component runs (and answers only
    then); it stays the ``__loader__`` of the modules it loaded (``get_source`` and
    ``get_filename`` serve tracebacks, ``linecache`` and ``inspect``)."""

    def __init__(self, code: "ComponentCode") -> None:
        self.code = code
        self.entries: dict[str, _Entry] = {}

    # finder
    def find_spec(self, fullname: str, path: Any = None,
                  target: Any = None) -> importlib.machinery.ModuleSpec | None:
        code = self.code
        state = code._loading
        if state is None or code._loading_thread != threading.get_ident():
            return None  # another thread's import while a load runs: not ours to serve
        entry = code._resolve(fullname, state)
        if entry is None:
            return None
        spec = importlib.machinery.ModuleSpec(fullname, self, origin=entry.file,
                                              is_package=entry.locations is not None)
        if entry.locations is not None:
            spec.submodule_search_locations = list(entry.locations)
        if entry.file is not None:
            spec.has_location = True
        return spec

    def invalidate_caches(self) -> None:
        pass

    # loader
    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType | None:
        state = self.code._loading
        if state is None or not state.adopt:
            return None
        old = state.hidden.get(spec.name)
        if not isinstance(old, types.ModuleType) or not self.code.owns(old):
            return None
        # Re-initialise in place: the same object (and the same __dict__, which is the
        # __globals__ of every function defined in it earlier), emptied; the import
        # system then sets __name__, __spec__, __file__ ... afresh.
        state.saved[spec.name] = dict(old.__dict__)
        old.__dict__.clear()
        return old

    def exec_module(self, module: types.ModuleType) -> None:
        name = module.__name__
        state = self.code._loading
        if state is None:  # importlib.reload() outside a load
            raise ImportError(f"{name!r} is a module of component code {self.code!r}; it "
                              "cannot be reloaded outside ComponentCode.load()", name=name)
        state.modules[name] = module
        entry = self.code._entry(name)
        if entry is None or entry.file is None:
            return  # namespace package: no code
        code = CODE_CACHE.get(entry.file)
        try:
            exec(code, module.__dict__)
        except BaseException:
            if state.failed_module is None:
                state.failed_module = name
            raise

    def is_package(self, fullname: str) -> bool:
        entry = self.code._entry(fullname)
        return entry is not None and entry.locations is not None

    def get_filename(self, fullname: str) -> str:
        entry = self.code._entry(fullname)
        if entry is None or entry.file is None:
            raise ImportError(f"no source file for {fullname!r}", name=fullname)
        return entry.file

    def get_source(self, fullname: str) -> str | None:
        entry = self.code._entry(fullname)
        if entry is None or entry.file is None:
            return None
        import importlib.util

        with io.open_code(entry.file) as f:
            return importlib.util.decode_source(f.read())

    def get_code(self, fullname: str) -> types.CodeType | None:
        entry = self.code._entry(fullname)
        return None if entry is None or entry.file is None else CODE_CACHE.get(entry.file)


class ComponentCode:
    """The Python code componentize-py would componentize: ``componentize -p PATH
    MODULE``.

    One object per ``(module, resolved path)`` per process (:meth:`get`): its compiled
    code is shared by every Golem and every worker. :meth:`load` makes one worker's
    instance.

    **Which modules are per instance**: those whose ``.py`` source lies under
    :attr:`path` and that the app imports (directly or transitively) while it is
    loaded, the way componentize-py imports the app at build time; plus the modules of
    exported resources named in ``required_classes``. Names of the standard library and
    of golem-fakes' generated bindings are never the component's even if a file of that
    name lies under ``path`` (componentize-py's ``PYTHONPATH`` puts both before the
    ``-p`` directories). Installed packages (found elsewhere on ``sys.path``) are
    shared. A directory under ``path`` without ``__init__.py`` is a per-instance
    namespace package only when no regular module of that name exists elsewhere.
    """

    _registry: dict[tuple[str, Path], "ComponentCode"] = {}

    module: str
    path: Path

    def __init__(self, module: str, path: Path) -> None:
        self.module = module
        self.path = path
        self._root = str(path)
        self._top = module.partition(".")[0]
        self._finder = _Finder(self)
        self._loading: _LoadState | None = None
        self._loading_thread: int | None = None
        self._listing: tuple[Any, frozenset[str], frozenset[str]] | None = None
        #: every module name an instance of this code has had (union over loads)
        self.names: set[str] = set()
        #: why fresh instances of this code are made by executing it rather than by
        #: cloning the template (``golem_fakes/worker/clone.py``), or ``None`` when
        #: they are clones (or no fresh instance was made yet); re-decided whenever the
        #: template is rebuilt (an edited source file)
        self.clone_fallback_reason: str | None = None
        #: how many times the template was made, i.e. module-level code ran for fresh
        #: instances (once per source version, or per instance on the fallback)
        self.template_builds = 0
        self._template: Any = None
        self._fallback: tuple[Any, tuple[str, ...]] | None = None

    def __repr__(self) -> str:
        return f"<ComponentCode {self.module!r} from {self._root}>"

    @classmethod
    def get(cls, module: str, path: str | os.PathLike[str] | None = None) -> "ComponentCode":
        """The code of app module ``module`` under ``path`` (``componentize -p PATH
        MODULE``). ``path`` ``None``: the ``sys.path`` directory the module would be
        imported from (a :class:`ComponentBuildError` naming ``sys.path`` if none has
        it). Relative paths are resolved against the current directory."""
        if not module or not all(part.isidentifier() for part in module.split(".")):
            raise ValueError(f"component module {module!r} is not a dotted Python name")
        top = module.partition(".")[0]
        if path is None:
            found = _find_on_sys_path(top)
            if found is None:
                raise ComponentBuildError(
                    f"componentize-py would fail to build the component: "
                    f"ModuleNotFoundError: No module named {top!r} (component module "
                    f"{module!r} was given without a path, and no directory on sys.path "
                    f"has {top}.py or {top}/__init__.py; sys.path = {sys.path!r}). Give "
                    f"the source directory (componentize -p PATH).",
                    cause_text=f"ModuleNotFoundError: No module named {top!r}")
            resolved = Path(found)
        else:
            resolved = Path(os.path.realpath(os.fspath(path)))
            if not resolved.is_dir():
                raise ComponentBuildError(
                    f"component source directory {os.fspath(path)!r} (for module "
                    f"{module!r}) is not a directory")
        key = (module, resolved)
        with _LOCK:
            code = cls._registry.get(key)
            if code is None:
                code = cls._registry[key] = cls(module, resolved)
            return code

    # -- what belongs to the component ------------------------------------------------

    def _top_level_names(self) -> tuple[frozenset[str], frozenset[str]]:
        """(names of ``X.py`` / ``X/__init__.py`` under path, names of other
        directories), minus the shared names; cached by the directory's mtime."""
        try:
            mtime = os.stat(self._root).st_mtime_ns
        except OSError:
            return frozenset(), frozenset()
        shared = _shared_top_level()
        listing = self._listing
        if listing is not None and listing[0] == (mtime, shared):
            return listing[1], listing[2]
        regular: set[str] = set()
        dirs: set[str] = set()
        try:
            with os.scandir(self._root) as it:
                for e in it:
                    n = e.name
                    if n.endswith(".py") and n[:-3].isidentifier():
                        if e.is_file():
                            regular.add(n[:-3])
                    elif n.isidentifier() and e.is_dir():
                        if os.path.isfile(os.path.join(e.path, "__init__.py")):
                            regular.add(n)
                        else:
                            dirs.add(n)
        except OSError:
            pass
        result = (frozenset(regular - shared), frozenset(dirs - shared - regular))
        self._listing = ((mtime, shared), *result)
        return result

    def _entry(self, name: str) -> _Entry | None:
        return self._finder.entries.get(name)

    def _resolve(self, fullname: str, state: _LoadState) -> _Entry | None:
        """Where ``fullname`` is under path, or ``None`` if it is not the component's
        (called by the finder, during a load only)."""
        parent, _, leaf = fullname.rpartition(".")
        cached = self._finder.entries.get(fullname)
        if cached is not None and (cached.file is None or os.path.isfile(cached.file)):
            if not parent or parent in state.modules:
                return cached
        if parent:
            pmod = state.modules.get(parent)
            if pmod is None:
                return None
            locations = list(getattr(pmod, "__path__", None) or ())
        else:
            if fullname in _shared_top_level():
                return None
            locations = [self._root]
        entry: _Entry | None = None
        for directory in locations:
            entry = _find_in(directory, leaf, fullname)
            if entry is not None:
                break
        if entry is None:
            ns = [os.path.join(d, leaf) for d in locations if os.path.isdir(os.path.join(d, leaf))]
            if not ns:
                return None
            if not parent:
                # A regular module of that name elsewhere wins over a namespace portion.
                other = importlib.machinery.PathFinder.find_spec(fullname)
                if other is not None and other.loader is not None:
                    return None
            entry = _Entry(fullname, None, ns)
        self._finder.entries[fullname] = entry
        return entry

    def owns(self, module: types.ModuleType) -> bool:
        """Whether ``module`` is one of this component's modules: loaded by one of its
        instances, or (imported by other means, e.g. by a test module through
        ``sys.path``) a module whose source lies under :attr:`path` and whose name the
        component would claim."""
        spec = getattr(module, "__spec__", None)
        if spec is not None and getattr(spec, "loader", None) is self._finder:
            return True
        name = getattr(module, "__name__", None)
        if not isinstance(name, str) or name.partition(".")[0] in _shared_top_level():
            return False
        if _under(getattr(module, "__file__", None), self._root):
            return True
        paths = getattr(module, "__path__", None)
        if paths is not None and getattr(module, "__file__", None) is None:
            try:
                return any(_under(p, self._root) for p in paths)
            except TypeError:
                return False
        return False

    def _claimed_in_sys_modules(self) -> list[str]:
        """Names in ``sys.modules`` that a load must hide: those the component's finder
        would serve (a file of the name under path), or whose module lies under path,
        and every submodule of those."""
        regular, dirs = self._top_level_names()
        modules = sys.modules
        tops = [n for n in regular if n in modules]
        for n in dirs:
            m = modules.get(n)
            if m is not None and isinstance(m, types.ModuleType) and self.owns(m):
                tops.append(n)
        for n in self.names:
            if "." not in n and n not in tops and n in modules:
                tops.append(n)
        # Only packages have submodules: scan sys.modules for those alone.
        packages = tuple(t + "." for t in tops if hasattr(modules.get(t), "__path__"))
        if not packages:
            return tops
        return tops + [k for k in list(modules) if k.startswith(packages)]

    # -- loading -----------------------------------------------------------------------

    def load(self, *, adopt: bool = False,
             required_classes: Iterable[tuple[str | None, str, str]] = (),
             export_objects: Iterable[tuple[str | None, str, str | None]] = ()) -> "LoadedCode":
        """A new instance of the component: its own copies of the component's modules.

        ``adopt=False`` (a **fresh** instance): new module objects, with ``__name__``,
        ``__file__``, ``__spec__``, ``__package__`` and ``__path__`` as the import
        system sets them; the component's modules they import resolve to this
        instance's copies. They are a clone of the component's template (see the module
        docstring): the template is a load executed from the cached code, made by the
        first fresh load (and again after a source change); its module-level code is
        the only run, so every fresh instance starts from the same state (the first
        clone, which also checks that cloning is faithful, is this load's result). If
        the component cannot be cloned (:attr:`clone_fallback_reason`), every fresh
        load executes the cached code itself. While a load executes, the component's
        names already in ``sys.modules`` (e.g. imported by a test module) are hidden;
        afterwards ``sys.modules`` holds exactly what it held before for every
        component name (shared modules imported for the first time by the load stay,
        as any import leaves them); a clone does not touch ``sys.modules``.

        ``adopt=True`` (the default worker of a Golem): the component's module objects
        already in ``sys.modules`` are **re-initialised in place**: the same object, its
        ``__dict__`` (the same dict) emptied and the cached code executed into it again;
        modules not imported yet are imported into ``sys.modules`` for good, and stay
        there (they are the test-side view). So a test module that did ``from
        component import ShopCartApi`` before holds the *old class object*, created by
        the previous execution; its methods' globals are the module's dict, so they see
        the new module state (``cart`` of the adopted instance). But the module's
        ``ShopCartApi`` is a *new* class object: ``isinstance(obj, old_class)`` is
        False for objects of the new class and vice versa, and class attributes changed
        on one are not seen by the other. Every name imported from the module before
        (``from component import cart, add``) keeps the object of the previous
        execution: the old function ``add`` reads the module's globals, so it sees the
        instance's new ``cart``, but the test's ``cart`` is the old dict, not the
        instance's. An adopted load always executes (it is not a clone of the
        template): it must re-initialise the test's own module objects, whose dicts are
        the globals of every function the test imported, and import the modules not
        imported yet for good; cloning into those objects would be possible but adds a
        second way to restore them after a failed load, for a load made once per Golem,
        not per worker. So its module-level values (a ``random`` draw) are drawn anew,
        unlike the clones'. An adopted instance shares its module objects
        with ``sys.modules``: adopting again (the next Golem's default worker)
        re-initialises the same objects, so the previous adopted instance's state is
        gone (:attr:`LoadedCode.superseded` becomes True).

        ``required_classes``: ``(class_module or None for the app module, class_name,
        description)`` as the export table gives them (``(None, "ShopCartApi",
        "exported interface shop:cart/shop-cart-api")``, ``("api", "Session",
        "exported resource api/session")``). Each module is imported as part of the
        instance (as componentize-py's init does) and must have the class, else
        :class:`ComponentBuildError` with componentize-py's build-time text.

        ``export_objects``: ``(class_module, class_name, function)`` whose object is
        made **at load**, as componentize-py does at build time (``app.Api()`` once per
        exported function); see :meth:`LoadedCode.export_object`. For a fresh instance
        they are made on the template, so they are part of the snapshot and every clone
        gets copies (componentize-py makes them during pre-initialisation, before the
        memory is snapshotted: an ``__init__`` runs once, not per worker).

        Module-level code runs with ``current_environment`` set to a build-time
        sentinel: any binding call raises :class:`ComponentBuildError` naming the WIT
        function, and the load fails even if the code caught it. An exception raised
        by module-level code (or an ``__init__``) fails the load with a
        :class:`ComponentBuildError` naming the module and chaining the exception.

        A failed load leaves no instance: a fresh one leaves ``sys.modules`` as it was;
        an adopted one puts every re-initialised module's previous namespace back (the
        same objects, with the contents they had before the load) and removes the
        modules it imported for the first time, so ``sys.modules`` and the old module
        state are as before the load.
        """
        required = list(required_classes)
        eager = list(export_objects)
        if adopt:
            return self._exec_load(True, required, eager)
        return _clone.fresh_instance(self, required, eager)

    def _exec_load(self, adopt: bool, required: list[tuple[str | None, str, str]],
                   eager: list[tuple[str | None, str, str | None]]) -> "LoadedCode":
        """The exec path: import the component's modules, executing their cached code
        (into new module objects, or, ``adopt``, into the existing ones)."""
        if _find_in(self._root, self._top, self._top) is None and \
                not os.path.isdir(os.path.join(self._root, self._top)):
            text = f"ModuleNotFoundError: No module named {self._top!r}"
            raise ComponentBuildError(
                f"componentize-py would fail to build the component: {text} (no "
                f"{self._top}.py or {self._top}/__init__.py in {self._root})",
                cause_text=text, module=self._top)
        with _LOCK:
            if self._loading is not None:
                raise RuntimeError(f"{self!r} is already being loaded (a module of the "
                                   "component loads its own component)")
            modules = sys.modules
            hidden = {n: modules.pop(n) for n in self._claimed_in_sys_modules() if n in modules}
            env = _BuildTime()
            state = _LoadState(adopt, hidden, env)
            self._loading = state
            self._loading_thread = threading.get_ident()
            meta = sys.meta_path
            meta.insert(0, self._finder)
            token = _rt.current_environment.set(env)
            ok = False
            loaded: LoadedCode | None = None
            try:
                before = sys.modules.get(self.module)
                try:
                    importlib.import_module(self.module)
                    for class_module, class_name, description in required:
                        self._require(state, class_module, class_name, description)
                except KeyboardInterrupt:
                    raise
                except BaseException as e:
                    if env.calls and e is not env.calls[0]:
                        raise env.calls[0] from e
                    if isinstance(e, ComponentBuildError):
                        raise
                    raise self._import_error(state, e) from e
                if self.module not in state.modules:
                    stray = sys.modules.get(self.module)
                    if stray is not None and before is None:
                        del sys.modules[self.module]  # imported from elsewhere by this load
                    raise ComponentBuildError(
                        f"componentize-py would fail to build the component: "
                        f"{self.module!r} is not a module under {self._root}: the name "
                        f"resolves elsewhere first ({getattr(stray, '__file__', None)}; "
                        f"the standard library and the generated bindings come before the "
                        f"-p directories on componentize-py's PYTHONPATH)",
                        cause_text="")
                loaded = LoadedCode(self, state.modules, adopt)
                if eager:
                    loaded._make_objects(eager, env)
                if env.calls:
                    raise env.calls[0]
                ok = True
            finally:
                _rt.current_environment.reset(token)
                try:
                    meta.remove(self._finder)
                except ValueError:
                    pass
                self._loading = None
                self._loading_thread = None
                self._restore(state, ok)
            assert loaded is not None
            self.names.update(state.modules)
            if adopt:
                previous = getattr(self, "_adopted", None)
                if previous is not None:
                    previous.superseded = True
                self._adopted = loaded
            return loaded

    def _restore(self, state: _LoadState, ok: bool) -> None:
        modules = sys.modules
        if state.adopt and ok:
            for name, old in state.hidden.items():
                if name not in state.modules:
                    modules[name] = old
            return
        for name, mod in state.modules.items():
            if modules.get(name) is mod:
                del modules[name]
        for name, ns in state.saved.items():
            mod = state.hidden.get(name)
            if isinstance(mod, types.ModuleType):
                mod.__dict__.clear()
                mod.__dict__.update(ns)
        modules.update(state.hidden)

    def _import_error(self, state: _LoadState, error: BaseException) -> ComponentBuildError:
        name = state.failed_module or self.module
        entry = self._entry(name)
        where = entry.file if entry is not None and entry.file else self._root
        line = ""
        tb = error.__traceback__
        while tb is not None:
            if tb.tb_frame.f_code.co_filename == where:
                line = f", line {tb.tb_lineno}"
            tb = tb.tb_next
        text = _describe_exception(error)
        return ComponentBuildError(
            f"componentize-py would fail to build the component: {text} (raised by "
            f"module-level code of {name!r} ({where}{line}), which componentize-py runs "
            f"when it imports the app at build time)",
            cause_text=text, module=name)

    def _require(self, state: _LoadState, class_module: str | None, class_name: str,
                 description: str) -> None:
        mod_name = class_module or self.module
        try:
            mod = importlib.import_module(mod_name)
        except ModuleNotFoundError as e:
            if e.name != mod_name:
                raise
            text = f"ModuleNotFoundError: No module named {mod_name!r}"
            raise ComponentBuildError(
                f"componentize-py would fail to build the component: {text} ({description} "
                f"needs class {class_name!r} in a top-level module {mod_name!r}: "
                f"{mod_name}.py or {mod_name}/__init__.py under {self._root})",
                cause_text=text, module=mod_name) from None
        if not hasattr(mod, class_name):
            text = f"AttributeError: module {mod_name!r} has no attribute {class_name!r}"
            raise ComponentBuildError(
                f"componentize-py would fail to build the component: {text} ({description} "
                f"needs a class named {class_name!r} in module {mod_name!r})",
                cause_text=text, module=mod_name)


def _find_on_sys_path(top: str) -> str | None:
    for entry in sys.path:
        directory = entry or os.getcwd()
        if not isinstance(directory, str) or not os.path.isdir(directory):
            continue
        if _find_in(directory, top, top) is not None:
            return os.path.realpath(directory)
    return None


class LoadedCode:
    """One worker's instance of a component: its own copies of the component's
    modules and its export objects.

    :attr:`modules` maps each module name to the instance's module object; a function
    defined in one of them always reads that instance's module globals (its
    ``__globals__`` is the module's dict), whichever instance is active.

    **Activation**: while an instance is active (between :meth:`activate` and
    :meth:`deactivate`), ``sys.modules[name]`` is the instance's module for each of
    its names, so a run-time ``import component`` (or ``importlib.import_module``) in
    the code returns the instance's module. Activations nest with stack discipline:
    ``deactivate`` puts back exactly what ``activate`` found, so nested activations of
    different instances (a later RPC) each see their own, and leaving the inner one
    shows the outer one's modules again. ``sys.modules`` is process-wide: two threads
    running different instances of one component at the same time see the most
    recently activated one for a run-time ``import`` (module globals of functions
    already defined are always the instance's own).
    """

    __slots__ = ("code", "modules", "adopted", "superseded", "cloned", "_names", "_objects",
                 "__weakref__")

    def __init__(self, code: ComponentCode, modules: dict[str, types.ModuleType],
                 adopted: bool) -> None:
        self.code = code
        self.modules = dict(modules)
        self.adopted = adopted
        #: an adopted instance whose module objects a later adopted load re-initialised
        self.superseded = False
        #: made by cloning the component's template (not by executing its code)
        self.cloned = False
        self._names = tuple(self.modules.items())
        self._objects: dict[tuple[str | None, str, str | None], object] = {}

    def __repr__(self) -> str:
        kind = "adopted" if self.adopted else "fresh"
        return f"<LoadedCode {self.code.module!r} ({kind}) modules={sorted(self.modules)}>"

    def module(self, name: str) -> types.ModuleType:
        """The instance's module ``name`` (KeyError listing the instance's modules)."""
        try:
            return self.modules[name]
        except KeyError:
            raise KeyError(
                f"component code {self.code.module!r} ({self.code.path}) has no module "
                f"{name!r} in this instance; its modules are {sorted(self.modules)} (only "
                f"modules under the source path that the app imports at load are per "
                f"instance)") from None

    def _class_module(self, class_module: str | None) -> types.ModuleType:
        name = class_module or self.code.module
        mod = self.modules.get(name)
        if mod is None:
            mod = sys.modules.get(name) if name not in self.code.names else None
        if mod is None:
            text = f"ModuleNotFoundError: No module named {name!r}"
            raise ComponentBuildError(
                f"componentize-py would fail to build the component: {text} (not imported "
                f"when the instance was loaded; only modules imported at build time exist "
                f"in a component; instance modules: {sorted(self.modules)})",
                cause_text=text, module=name)
        return mod

    def export_class(self, class_module: str | None, class_name: str) -> type:
        """The export class ``class_name`` of module ``class_module`` (``None``: the app
        module) in this instance, e.g. an exported resource's class (componentize-py
        calls it for ``[constructor]``, getattr's it for ``[static]``). Not checked to
        be a class: componentize-py only looks it up by name."""
        mod = self._class_module(class_module)
        try:
            return getattr(mod, class_name)
        except AttributeError:
            text = f"AttributeError: module {mod.__name__!r} has no attribute {class_name!r}"
            raise ComponentBuildError(
                f"componentize-py would fail to build the component: {text}",
                cause_text=text, module=mod.__name__) from None

    def export_object(self, class_module: str | None, class_name: str,
                      function: str | None = None) -> object:
        """The instance's object of export class ``class_name``: made once, with no
        arguments, and kept for the life of the instance.

        componentize-py makes these at build time (pre-initialisation), one **per
        exported function** (``app.Api()`` for each function of the interface; so two
        functions of one interface do not share ``self``): pass ``function`` (the WIT
        function name) to get that behaviour; ``function=None`` is one object per
        class. Objects named in ``load(export_objects=...)`` are made at load, as at
        build time; any other is made on its first request, under the same build-time
        rules (no host: a binding call raises :class:`ComponentBuildError`; an
        exception in ``__init__`` is a :class:`ComponentBuildError` chaining it; the
        instance is active meanwhile, so an ``import`` in ``__init__`` sees it), so
        the outcome of a wrong ``__init__`` is the same, only reported at the first
        invocation instead of at worker creation. Passing the export table's objects
        to ``load`` is the faithful choice.
        """
        key = (class_module, class_name, function)
        obj = self._objects.get(key, _MISSING)
        if obj is not _MISSING:
            return obj
        env = _BuildTime()
        token = _rt.current_environment.set(env)
        active = self.activate()  # as at build time, the app's modules are importable
        try:
            self._make_objects([key], env)
        finally:
            self.deactivate(active)
            _rt.current_environment.reset(token)
        if env.calls:
            self._objects.pop(key, None)
            raise env.calls[0]
        return self._objects[key]

    def _make_objects(self, keys: Iterable[tuple[str | None, str, str | None]],
                      env: _BuildTime) -> None:
        for key in keys:
            if key in self._objects:
                continue
            cls = self.export_class(key[0], key[1])
            try:
                obj = cls()
            except ComponentBuildError:
                raise
            except KeyboardInterrupt:
                raise
            except BaseException as e:
                text = _describe_exception(e)
                where = key[0] or self.code.module
                raise ComponentBuildError(
                    f"componentize-py would fail to build the component: {text} (raised "
                    f"by {where}.{key[1]}() with no arguments, which componentize-py "
                    f"calls at build time for every exported function)",
                    cause_text=text, module=where) from e
            if env.calls:
                raise env.calls[0]
            self._objects[key] = obj

    def activate(self) -> object:
        """Make ``sys.modules`` show this instance's modules; returns the token for
        :meth:`deactivate`. Plain ``sys.modules`` assignments: no lock."""
        modules = sys.modules
        get = modules.get
        saved = [(name, get(name, _MISSING)) for name, _ in self._names]
        modules.update(self._names)
        return (self, saved)

    def deactivate(self, token: object) -> None:
        """Put back exactly what :meth:`activate` found in ``sys.modules`` (innermost
        activation first)."""
        owner, saved = token  # type: ignore[misc]
        if owner is not self:
            raise ValueError(f"activation token of {owner!r} given to {self!r}")
        modules = sys.modules
        for name, old in saved:
            if old is _MISSING:
                modules.pop(name, None)
            else:
                modules[name] = old

    def active(self) -> "_Active":
        """``with instance.active():`` :meth:`activate` on entry, :meth:`deactivate`
        on exit."""
        return _Active(self)


class _Active:
    __slots__ = ("_loaded", "_token")

    def __init__(self, loaded: LoadedCode) -> None:
        self._loaded = loaded
        self._token: object = None

    def __enter__(self) -> LoadedCode:
        self._token = self._loaded.activate()
        return self._loaded

    def __exit__(self, *exc: object) -> None:
        self._loaded.deactivate(self._token)


from golem_fakes.worker import clone as _clone  # noqa: E402  (it uses this module)
