"""Serve generated binding packages from a cache directory of real ``.py`` files.

The cache (``$GOLEM_FAKES_CACHE`` or ``~/.cache/golem-fakes``) holds one directory per
key; the key hashes the WIT files' contents, the options, the golem-fakes version and
the generator's own sources. A warm start finds the directory and skips parsing and
code generation entirely. Directories are written to a temporary name and renamed
into place atomically, so concurrent pytest-xdist workers never see half a tree.

:class:`BindingsFinder` is put at the front of ``sys.meta_path`` once per process and
answers only for the top-level names it was told to serve (``wit_world``,
``componentize_py_types``, …); modules are loaded by the standard
``SourceFileLoader``, so ``inspect.getsource``, tracebacks, coverage and IDEs see
real files.
"""

from __future__ import annotations

import hashlib
import importlib.machinery
import importlib.util
import json
import os
import sys
import threading
from pathlib import Path
from types import ModuleType
from typing import Any, Callable, Iterable, Mapping, Sequence

__all__ = [
    "BindingsFinder",
    "cache_root",
    "cache_key",
    "write_tree",
    "read_manifest",
    "finder",
    "GENERATOR_FILES",
    "add_module_hook",
    "remove_module_hook",
]

#: Sources whose text shapes the generated code (part of the cache key), relative to
#: the ``golem_fakes`` package: a change to the generator or the WIT front end
#: invalidates cached trees even without a version bump (development checkouts).
GENERATOR_FILES: tuple[str, ...] = (
    "bindings/naming.py", "bindings/codegen.py", "bindings/lowering.py", "bindings/result.py",
    "bindings/exports.py",
    "wit/lexer.py", "wit/parser.py", "wit/resolve.py", "wit/model.py",
)

MANIFEST = "golem-fakes-manifest.json"


def cache_root() -> Path:
    """``$GOLEM_FAKES_CACHE`` or ``~/.cache/golem-fakes``."""
    env = os.environ.get("GOLEM_FAKES_CACHE")
    if env:
        return Path(env).expanduser()
    return Path.home() / ".cache" / "golem-fakes"


def _wit_files(wit: Path) -> list[Path]:
    if wit.is_file():
        return [wit]
    return sorted(p for p in wit.rglob("*.wit") if p.is_file())


def cache_key(wit: Path, options: Mapping[str, Any], version: str) -> str:
    """Hash of WIT contents + options + golem-fakes version + generator sources."""
    h = hashlib.sha256()
    h.update(f"golem-fakes {version}\n".encode())
    h.update(json.dumps(options, sort_keys=True, default=str).encode())
    here = Path(__file__).parent.parent
    for name in GENERATOR_FILES:
        p = here / name
        h.update(name.encode())
        if p.exists():
            h.update(p.read_bytes())
    base = wit if wit.is_dir() else wit.parent
    for p in _wit_files(wit):
        h.update(b"\0" + str(p.relative_to(base)).encode() + b"\0")
        h.update(p.read_bytes())
    return h.hexdigest()[:32]


def read_manifest(directory: Path) -> dict[str, Any] | None:
    """The manifest of a complete cache entry, or ``None``."""
    try:
        return json.loads((directory / MANIFEST).read_text())
    except (OSError, ValueError):
        return None


def write_tree(directory: Path, files: Mapping[str, str], manifest: Mapping[str, Any]) -> Path:
    """Write ``files`` (relative path → text) and the manifest into ``directory``
    atomically: a temporary sibling is filled, then renamed. If another process won
    the race, its (identical) tree is used."""
    import shutil

    directory.parent.mkdir(parents=True, exist_ok=True)
    tmp = directory.parent / f".tmp-{directory.name}-{os.getpid()}-{os.urandom(6).hex()}"
    tmp.mkdir()
    try:
        for rel, text in files.items():
            p = tmp / rel
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_text(text, encoding="utf-8")
        (tmp / MANIFEST).write_text(json.dumps(manifest, indent=1, sort_keys=True))
        try:
            os.rename(tmp, directory)
        except OSError:
            if read_manifest(directory) is None:
                # A broken leftover: replace it.
                shutil.rmtree(directory, ignore_errors=True)
                os.rename(tmp, directory)
            else:
                shutil.rmtree(tmp, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return directory


class BindingsFinder:
    """Finds the modules of the served top-level names in their cache directory (a
    ``sys.meta_path`` finder; not derived from ``importlib.abc.MetaPathFinder`` only
    because importing ``importlib.abc`` costs more than the whole warm install)."""

    def __init__(self) -> None:
        self._roots: dict[str, Path] = {}
        self._lock = threading.Lock()

    def serve(self, top_level: Iterable[str], root: Path) -> None:
        """Serve ``top_level`` names (packages or modules) from ``root``."""
        with self._lock:
            for name in top_level:
                self._roots[name] = root

    def stop(self, top_level: Iterable[str]) -> None:
        with self._lock:
            for name in top_level:
                self._roots.pop(name, None)

    def served(self) -> dict[str, Path]:
        return dict(self._roots)

    def serves_module(self, module: ModuleType) -> bool:
        """Whether ``module`` was loaded from one of our cache directories."""
        f = getattr(module, "__file__", None)
        if not f:
            return False
        p = Path(f).resolve()
        return any(root.resolve() in p.parents for root in self._roots.values())

    def find_spec(self, fullname: str, path: Sequence[str] | None = None,
                  target: ModuleType | None = None) -> importlib.machinery.ModuleSpec | None:
        top = fullname.partition(".")[0]
        root = self._roots.get(top)
        if root is None:
            return None
        rel = Path(*fullname.split("."))
        pkg_init = root / rel / "__init__.py"
        if pkg_init.is_file():
            return importlib.util.spec_from_file_location(
                fullname, pkg_init, loader=_Loader(fullname, str(pkg_init)),
                submodule_search_locations=[str(root / rel)])
        mod = root / rel.with_suffix(".py")
        if mod.is_file():
            return importlib.util.spec_from_file_location(
                fullname, mod, loader=_Loader(fullname, str(mod)))
        return None

    def invalidate_caches(self) -> None:  # pragma: no cover - nothing cached
        pass


#: Callbacks run after a served module was executed (see :func:`add_module_hook`).
_MODULE_HOOKS: list[Callable[[ModuleType], None]] = []


class _Loader(importlib.machinery.SourceFileLoader):
    """The standard source loader, plus the module hooks after execution."""

    def exec_module(self, module: ModuleType) -> None:
        super().exec_module(module)
        for hook in tuple(_MODULE_HOOKS):
            hook(module)


def add_module_hook(hook: Callable[[ModuleType], None]) -> None:
    """Call ``hook(module)`` after every generated module is executed, and right now
    for each generated module already imported (idempotent: a hook is added once).

    Used by golem-fakes' hypothesis plugin to register strategies for the generated
    classes lazily, without importing every module of a world. A hook must not
    raise (an exception would fail the import)."""
    if hook in _MODULE_HOOKS:
        return
    _MODULE_HOOKS.append(hook)
    if _FINDER is None:
        return
    tops = set(_FINDER.served())
    for name, module in list(sys.modules.items()):
        if module is not None and name.partition(".")[0] in tops and \
                isinstance(getattr(module, "__loader__", None), _Loader):
            hook(module)


def remove_module_hook(hook: Callable[[ModuleType], None]) -> None:
    """Undo :func:`add_module_hook`."""
    if hook in _MODULE_HOOKS:
        _MODULE_HOOKS.remove(hook)


_FINDER: BindingsFinder | None = None


def finder() -> BindingsFinder:
    """The process-wide finder, put at the front of ``sys.meta_path`` on first use."""
    global _FINDER
    if _FINDER is None:
        _FINDER = BindingsFinder()
    if _FINDER not in sys.meta_path:
        sys.meta_path.insert(0, _FINDER)
    return _FINDER
