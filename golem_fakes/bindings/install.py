"""``golem_fakes.install()``: make ``wit_world`` (and friends) importable under CPython."""

from __future__ import annotations

import importlib.machinery
import os
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping

from golem_fakes.bindings.errors import BindingsAlreadyInstalled, BindingsConflict
from golem_fakes.bindings.naming import resolve_flavor, snake

__all__ = ["install", "installed", "InstalledBindings", "vendored_wit", "DEFAULT_WORLD",
           "vendored_bindings", "VENDORED_PACKAGE"]

DEFAULT_WORLD = "all-imports"

#: Top-level package of golem-fakes' private bindings of its vendored world
#: (:func:`vendored_bindings`); a leading underscore so that it never meets a user's.
VENDORED_PACKAGE = "_golem_fakes_vendored"

@dataclass(frozen=True)
class InstalledBindings:
    """What :func:`install` set up."""

    #: WIT directory (or file) the bindings were generated from
    wit: Path
    #: world name as given to ``componentize-py -w``
    world: str
    #: top-level package (``wit_world``; ``--world-module``)
    package: str
    #: layout family: ``"0.16"``, ``"0.17"`` or ``"0.19"``
    layout: str
    #: componentize-py release whose output is reproduced
    version: str
    #: directory the modules are served from
    cache_path: Path
    #: every generated module (dotted names)
    modules: tuple[str, ...]
    #: top-level names served (``wit_world``, ``componentize_py_types``)
    top_level: tuple[str, ...]
    #: whether this install generated the code (False: found in the cache)
    generated: bool = False
    #: seconds spent in :func:`install`
    seconds: float = 0.0
    #: the normalised arguments (used to detect a different second call)
    options: tuple[tuple[str, Any], ...] = field(default=(), repr=False)


def vendored_wit() -> Path:
    """golem-fakes' vendored golem-wit (``golem_fakes/data/wit``)."""
    here = Path(__file__).resolve().parent.parent / "data" / "wit"
    if (here / "all-imports.wit").exists():
        return here
    raise FileNotFoundError(f"vendored WIT not found at {here}")


_LOCK = threading.RLock()
_INSTALLED: InstalledBindings | None = None


def _freeze(mapping: Mapping[str, str] | Iterable[str] | None) -> tuple[tuple[str, str], ...]:
    if mapping is None:
        return ()
    if isinstance(mapping, Mapping):
        items = mapping.items()
    else:  # "ns:pkg/iface@ver=name" strings, like the CLI
        items = []
        for s in mapping:
            k, sep, v = str(s).partition("=")
            if not sep:
                raise ValueError(f"interface name override {s!r} is not KEY=NAME")
            items.append((k, v))
    return tuple(sorted((str(k), str(v)) for k, v in items))


def install(wit: str | os.PathLike[str] | None = None, world: str | None = None,
            package: str | None = None, layout: str | None = None,
            interface_names: Mapping[str, str] | Iterable[str] | None = None,
            export_interface_names: Mapping[str, str] | Iterable[str] | None = None,
            features: Iterable[str] = (), full_names: bool = False,
            version: str | None = None, all_features: bool = False) -> InstalledBindings:
    """Generate (or find in the cache) componentize-py's bindings for a WIT world and
    make them importable: ``from wit_world.imports import host`` then works.

    :param wit: WIT directory (with ``deps/``) or file; default golem-fakes' vendored
        golem-wit.
    :param world: world name (``-w``); default ``all-imports`` for the vendored WIT,
        else the only world of the main package.
    :param package: top-level package name (``--world-module``, layout ≥ 0.17).
    :param layout: ``"0.16"``, ``"0.17"`` or ``"0.19"``; default that of the installed
        componentize-py, else ``"0.19"``.
    :param interface_names: ``--import-interface-name`` overrides,
        ``{"wasi:http/types@0.2.3": "types"}`` (or ``["KEY=NAME", ...]``).
    :param export_interface_names: ``--export-interface-name`` overrides.
    :param features: WIT ``@unstable`` features to enable.
    :param all_features: enable every ``@unstable`` feature (``--all-features``).
    :param full_names: ``--full-names`` (componentize-py ≥ 0.22).
    :param version: the componentize-py release to reproduce exactly (finer than
        ``layout``; default: the installed one if it matches, else the newest of the
        layout).

    Idempotent: the same arguments again return the same object. Different arguments
    in the same process raise :class:`BindingsAlreadyInstalled`.
    """
    global _INSTALLED
    t0 = time.perf_counter()
    wit_path = Path(wit).expanduser().resolve() if wit is not None else vendored_wit()
    if world is None and wit is None:
        world = DEFAULT_WORLD
    # Validates layout/version/package early; the 0.16 package name needs the world
    # name, which is only known after loading when ``world`` is None.
    flavor = resolve_flavor(world or "world", layout=layout, version=version, package=package)
    options: tuple[tuple[str, Any], ...] = (
        ("wit", str(wit_path)),
        ("world", world),
        ("package", package),
        ("layout", flavor.layout),
        ("version", flavor.version),
        ("interface_names", _freeze(interface_names)),
        ("export_interface_names", _freeze(export_interface_names)),
        ("features", tuple(sorted(set(features)))),
        ("all_features", bool(all_features)),
        ("full_names", bool(full_names)),
    )
    with _LOCK:
        if _INSTALLED is not None:
            if _INSTALLED.options == options:
                return _INSTALLED
            raise BindingsAlreadyInstalled(_already_message(_INSTALLED, dict(options)))

        from golem_fakes import __version__
        from golem_fakes.bindings import importer

        key = importer.cache_key(wit_path, dict(options), __version__)
        directory = importer.cache_root() / key
        manifest = importer.read_manifest(directory)
        generated = manifest is None
        if manifest is None:
            _check_conflicts(_top_level(flavor.layout, _package_guess(flavor, world, package)))
            manifest = _generate(wit_path, world, layout, flavor.version, package,
                                 dict(options), directory)
        top_level = list(manifest["top_level"])
        _check_conflicts(top_level)

        finder = importer.finder()
        finder.serve(top_level, directory)
        _INSTALLED = InstalledBindings(
            wit=wit_path, world=manifest["world"], package=manifest["package"],
            layout=manifest["layout"], version=manifest["version"], cache_path=directory,
            modules=tuple(manifest["modules"]), top_level=tuple(top_level),
            generated=generated, seconds=time.perf_counter() - t0, options=options)
        return _INSTALLED


_VENDORED: tuple[Any, Any] | None = None


def vendored_bindings() -> tuple[Any, Any]:
    """``(world, flavor)`` of golem-fakes' vendored world ``all-imports``, generated (or
    found in the cache, like :func:`install`) under the private top-level package
    :data:`VENDORED_PACKAGE` (layout 0.17, so that no ``componentize_py_types`` is
    served beside a user's) and made importable — *not* installed: ``wit_world`` and
    :func:`installed` stay the user's.

    The compiled-component linker (:mod:`golem_fakes.compiled.linker`) converts values
    of the interfaces a component imports but the installed world lacks with these
    classes: componentize-py's own runtime imports ``wasi:cli``, ``wasi:filesystem``,
    ``wasi:random`` and ``wasi:sockets`` interfaces into every component it builds,
    whatever the world says, and a component of another language imports what its
    toolchain's adapter needs. Behaviours are written against WIT identities and read
    values by field, case and flag name, so the same behaviour serves either class."""
    global _VENDORED
    with _LOCK:
        if _VENDORED is not None:
            return _VENDORED
        from golem_fakes import __version__
        from golem_fakes.bindings import importer

        wit_path = vendored_wit()
        flavor = resolve_flavor(DEFAULT_WORLD, layout="0.17", package=VENDORED_PACKAGE)
        options: dict[str, Any] = {
            "wit": str(wit_path), "world": DEFAULT_WORLD, "package": VENDORED_PACKAGE,
            "layout": flavor.layout, "version": flavor.version, "interface_names": (),
            "export_interface_names": (), "features": (), "all_features": False,
            "full_names": False}
        directory = importer.cache_root() / importer.cache_key(wit_path, options, __version__)
        if importer.read_manifest(directory) is None:
            _generate(wit_path, DEFAULT_WORLD, flavor.layout, flavor.version,
                      VENDORED_PACKAGE, options, directory)
        importer.finder().serve([VENDORED_PACKAGE], directory)
        world = select_world(_load(wit_path, ()), DEFAULT_WORLD)
        _VENDORED = (world, flavor)
        return _VENDORED


def installed() -> InstalledBindings | None:
    """What :func:`install` set up in this process, or ``None`` if nothing is
    installed (used by :mod:`golem_fakes.strategies` to find the generated classes)."""
    return _INSTALLED


def _top_level(layout: str, package: str | None) -> list[str]:
    names = [package] if package else []
    if layout == "0.19":
        names.append("componentize_py_types")
    return names


def _package_guess(flavor: Any, world: str | None, package: str | None) -> str | None:
    if package is not None:
        return package
    if flavor.layout == "0.16":
        return snake(world) if world else None
    return "wit_world"


def _load(wit_path: Path, features: Iterable[str], all_features: bool = False) -> Any:
    from golem_fakes.wit import load

    return load(wit_path, features=tuple(features), all_features=all_features)


def _generate(wit_path: Path, world_name: str | None, layout: str | None, version: str,
              package: str | None, options: dict[str, Any], directory: Path) -> dict[str, Any]:
    from golem_fakes.bindings import codegen, importer

    resolve = _load(wit_path, options["features"], options.get("all_features", False))
    world = select_world(resolve, world_name)
    flavor = resolve_flavor(world.name, layout=layout, version=version, package=package)
    out = codegen.generate(
        world, flavor,
        import_names=dict(options["interface_names"]),
        export_names=dict(options["export_interface_names"]),
        full_names=options["full_names"], stub=False)
    from golem_fakes.bindings import exports

    # The export glue (golem_fakes.bindings.exports) sits beside the served packages,
    # under a name no finder serves: it is loaded from its path, never imported.
    files = dict(out.files)
    files[exports.GLUE_FILE] = exports.generate_glue(
        world, flavor, import_names=dict(options["interface_names"]),
        export_names=dict(options["export_interface_names"]),
        full_names=options["full_names"])
    manifest = {
        "modules": out.modules,
        "world": world_name or world.name,
        "package": flavor.package,
        "layout": flavor.layout,
        "version": flavor.version,
        "top_level": _top_level(flavor.layout, flavor.package),
        "stub_bodies": out.stub_bodies,
        "options": {k: v for k, v in options.items()},
        "export_glue": exports.GLUE_FILE,
    }
    importer.write_tree(directory, files, manifest)
    return manifest


def select_world(resolve: Any, name: str | None) -> Any:
    """``resolve.world(name)`` (``componentize-py -w`` semantics)."""
    return resolve.world(name)


def _check_conflicts(top_level: list[str]) -> None:
    from golem_fakes.bindings import importer

    ours = importer.finder()
    for name in top_level:
        mod = sys.modules.get(name)
        if mod is not None and not ours.serves_module(mod):
            where = getattr(mod, "__file__", None) or repr(mod)
            raise BindingsConflict(_conflict_message(name, str(where), "is already imported"))
        spec = importlib.machinery.PathFinder.find_spec(name)
        if spec is not None:
            where = spec.origin if spec.origin not in (None, "namespace") else (
                list(spec.submodule_search_locations or []) or ["?"])[0]
            raise BindingsConflict(_conflict_message(name, str(where), "is on sys.path"))


def _conflict_message(name: str, where: str, how: str) -> str:
    return (
        f"golem-fakes cannot serve its bindings as {name!r}: another module of that name "
        f"{how} ({where}). This is most likely the output of `componentize-py bindings`. "
        "Mixing the two is wrong: the real stubs' functions only `raise "
        "NotImplementedError`, and their Ok/Err/Some are different classes from the "
        "fakes' (so `except Err` and isinstance checks silently stop matching); which "
        "one a given import gets would depend on sys.path order. "
        "Fix: delete or move the generated stubs (componentize-py regenerates them "
        "inside `componentize`, they need not be checked in) or keep them out of "
        "sys.path during tests"
        + (", or install the fakes under another name with "
           "golem_fakes.install(package='...') and import that"
           if name != "componentize_py_types" else "")
        + "."
    )


def _already_message(current: InstalledBindings, wanted: dict[str, Any]) -> str:
    diffs = [f"{k}={dict(current.options).get(k)!r} (asked: {v!r})"
             for k, v in wanted.items() if dict(current.options).get(k) != v]
    return (
        f"golem-fakes bindings are already installed in this process: world "
        f"{current.world!r} from {current.wit} as package {current.package!r} "
        f"(componentize-py {current.version} layout {current.layout}). A second install "
        f"with different arguments is refused because modules already imported would "
        f"keep the old definitions; differing: {', '.join(diffs)}. Call install() once "
        f"per process with the arguments you need (e.g. in conftest.py), or run tests "
        f"that need another world in a separate pytest process."
    )


def _uninstall() -> None:
    """Forget the installation and drop its modules from ``sys.modules`` (tests only)."""
    global _INSTALLED
    from golem_fakes.bindings import importer

    with _LOCK:
        if _INSTALLED is None:
            return
        f = importer.finder()
        for name in list(sys.modules):
            if name.partition(".")[0] in _INSTALLED.top_level:
                del sys.modules[name]
        f.stop(_INSTALLED.top_level)
        _INSTALLED = None

