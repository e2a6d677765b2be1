"""componentize-py's naming rules, reproduced exactly.

Everything here mirrors ``src/summary.rs`` of componentize-py (identical in the rules
that matter from v0.16.0 to v0.25.1) and the ``heck`` crate it uses for case
conversion:

* :func:`snake`, :func:`upper_camel`, :func:`shouty` — ``heck``'s ``to_snake_case``,
  ``to_upper_camel_case`` and ``to_shouty_snake_case`` (word splitting on
  non-alphanumerics and on lower→upper / ``ABc`` case boundaries; digits never start
  a word of their own).
* :func:`escape` — a trailing ``_`` for Python keywords (componentize-py's own list;
  soft keywords such as ``match``/``type`` and builtins such as ``bytes`` are not
  escaped).
* :func:`interface_names` — the module-name rule over the whole elaborated world,
  imports and exports separately (``host`` / ``golem-rpc-types`` /
  ``wasi-random-random-0-2-3``, overrides keyed ``ns:pkg/iface@ver``, ``full_names``).
* :class:`Flavor` — the layout family (``"0.16"``, ``"0.17"``, ``"0.19"``) plus the
  finer per-release differences in generated text (``version``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable, Mapping

__all__ = [
    "KEYWORDS",
    "LAYOUTS",
    "KNOWN_VERSIONS",
    "snake",
    "upper_camel",
    "shouty",
    "escape",
    "heck_words",
    "interface_names",
    "InterfaceKey",
    "Flavor",
    "default_version",
    "resolve_flavor",
]

#: componentize-py's keyword list (``impl Escape for String``), unchanged v0.13–v0.25.
KEYWORDS: frozenset[str] = frozenset(
    """False None True and as assert async await break class continue def del elif
    else except finally for from global if import in is lambda nonlocal not or pass
    raise return try while with yield""".split()
)

#: The three layout families (see the module docstring).
LAYOUTS: tuple[str, ...] = ("0.16", "0.17", "0.19")

#: componentize-py releases whose output golem-fakes knows how to reproduce.
KNOWN_VERSIONS: tuple[str, ...] = (
    "0.16.0", "0.17.0", "0.17.1", "0.17.2", "0.18.0", "0.19.0", "0.19.1", "0.19.2",
    "0.19.3", "0.20.0", "0.21.0", "0.22.0", "0.22.1", "0.23.0", "0.24.0", "0.25.0",
    "0.25.1",
)

_LATEST_OF_LAYOUT = {"0.16": "0.16.0", "0.17": "0.18.0", "0.19": "0.25.1"}


# --- heck --------------------------------------------------------------------


def heck_words(s: str) -> list[str]:
    """Split ``s`` into words exactly like ``heck``'s ``transform``."""
    words: list[str] = []
    for word in re.split(r"[^0-9A-Za-z\u00aa-\U0010ffff]", s):
        # heck splits on ``!c.is_alphanumeric()``; non-ASCII alphanumerics are rare in
        # WIT (identifiers are ASCII), the range above keeps them inside words.
        if not word:
            continue
        init = 0
        mode = "boundary"
        n = len(word)
        for i, c in enumerate(word):
            if i + 1 < n:
                nxt = word[i + 1]
                if c.islower():
                    next_mode = "lower"
                elif c.isupper():
                    next_mode = "upper"
                else:
                    next_mode = mode
                if next_mode == "lower" and nxt.isupper():
                    words.append(word[init:i + 1])
                    init = i + 1
                    mode = "boundary"
                elif mode == "upper" and c.isupper() and nxt.islower():
                    words.append(word[init:i])
                    init = i
                    mode = "boundary"
                else:
                    mode = next_mode
            else:
                words.append(word[init:])
    return [w for w in words if w]


def snake(s: str) -> str:
    """``heck::ToSnakeCase``: ``get-oplog-index`` → ``get_oplog_index``."""
    return "_".join(w.lower() for w in heck_words(s))


def shouty(s: str) -> str:
    """``heck::ToShoutySnakeCase``: ``green-ish`` → ``GREEN_ISH``."""
    return "_".join(w.upper() for w in heck_words(s))


def upper_camel(s: str) -> str:
    """``heck::ToUpperCamelCase``: ``get-workers`` → ``GetWorkers``."""
    return "".join(w[:1].upper() + w[1:].lower() for w in heck_words(s))


def escape(name: str) -> str:
    """Append ``_`` to Python keywords (componentize-py's ``Escape``)."""
    return name + "_" if name in KEYWORDS else name


# --- interface (module) names ------------------------------------------------


@dataclass(frozen=True)
class InterfaceKey:
    """What componentize-py's naming tree needs to know about one interface:
    its WIT name and its package (``None`` for an inline world interface)."""

    name: str
    namespace: str | None = None
    package: str | None = None
    version: str | None = None


def interface_names(
    keys: Iterable[InterfaceKey],
    overrides: Mapping[str, str] | None = None,
    full_names: bool = False,
) -> dict[InterfaceKey, str]:
    """componentize-py's ``Summary::interface_names`` (before snake-casing).

    ``keys`` are the imported (or the exported) interfaces of a world — one call per
    direction. ``overrides`` maps ``ns:pkg/iface@ver`` (or ``ns:pkg/iface`` for an
    unversioned package, or the bare name of an inline interface) to a module name.
    ``full_names`` (componentize-py ≥ 0.22 ``--full-names``) always qualifies.
    """
    overrides = dict(overrides or {})
    keys = list(keys)
    tree: dict[str, dict[tuple[str, str] | None, dict[str | None, InterfaceKey]]] = {}
    for k in keys:
        pkg = (k.namespace, k.package) if k.namespace is not None else None
        versions = tree.setdefault(k.name, {}).setdefault(pkg, {})
        if k.version in versions:
            raise ValueError(f"interface {k} appears twice")
        versions[k.version] = k

    names: dict[InterfaceKey, str] = {}
    for name, packages in tree.items():
        for pkg, versions in packages.items():
            for version, k in versions.items():
                if pkg is None:
                    names[k] = overrides.get(name, name)
                    continue
                ns, pn = pkg
                if version is not None:
                    qualified = f"{ns}:{pn}/{name}@{version}"
                    if qualified in overrides:
                        names[k] = overrides[qualified]
                    elif len(versions) == 1 and not full_names:
                        names[k] = name if len(packages) == 1 else f"{ns}-{pn}-{name}"
                    else:
                        names[k] = f"{ns}-{pn}-{name}-{version.replace('.', '-')}"
                else:
                    qualified = f"{ns}:{pn}/{name}"
                    if qualified in overrides:
                        names[k] = overrides[qualified]
                    elif len(packages) == 1 and not full_names:
                        names[k] = name
                    else:
                        names[k] = f"{ns}-{pn}-{name}"
    return names


# --- layout families and versions -------------------------------------------


def _vtuple(v: str) -> tuple[int, ...]:
    return tuple(int(p) for p in re.findall(r"\d+", v)[:3])


def layout_of_version(version: str) -> str:
    """The layout family of a componentize-py release."""
    t = _vtuple(version)
    if t < (0, 17):
        return "0.16"
    if t < (0, 19):
        return "0.17"
    return "0.19"


def default_version() -> str | None:
    """The version of componentize-py installed in this environment, if any.

    Scans ``sys.path`` for ``componentize_py-X.Y.Z.dist-info`` (a few stat calls)
    instead of importing :mod:`importlib.metadata`, which alone costs ~20 ms and would
    dominate a warm :func:`golem_fakes.install`.
    """
    import os
    import sys

    for entry in sys.path:
        try:
            with os.scandir(entry or ".") as it:
                for e in it:
                    n = e.name
                    if n.startswith(("componentize_py-", "componentize-py-")) and \
                            n.endswith(".dist-info"):
                        return n[len("componentize_py-"):-len(".dist-info")]
        except OSError:
            continue
    return None


@dataclass(frozen=True)
class Flavor:
    """Everything that varies between componentize-py releases in the text of
    ``componentize-py bindings`` output.

    ``version`` is the release reproduced (``"0.19.3"``); ``layout`` its family.
    """

    version: str
    layout: str
    #: top-level package, e.g. ``wit_world`` or ``all_imports``
    package: str

    @property
    def vt(self) -> tuple[int, ...]:
        return _vtuple(self.version)

    @property
    def world_class(self) -> str:
        """The world protocol class (``WitWorld``, ``AllImports``, ``Mybind``)."""
        return escape(upper_camel(self.package))

    @property
    def header(self) -> str:
        """The "automatically generated" comment (0.18.0 and later)."""
        if self.vt >= (0, 18):
            return ("# This file is automatically generated by componentize-py\n"
                    "# It is not intended for manual editing.\n")
        return ""

    @property
    def python_imports(self) -> str:
        callable_ = ", Callable" if self.vt >= (0, 19) else ""
        return (
            "from typing import TypeVar, Generic, Union, Optional, Protocol, Tuple, List, "
            f"Any, Self{callable_}\n"
            "from types import TracebackType\n"
            "from enum import Flag, Enum, auto\n"
            "from dataclasses import dataclass\n"
            "from abc import abstractmethod\n"
            "import weakref\n"
        )

    @property
    def result_module(self) -> str:
        """Absolute name of the module defining Result/Ok/Err/Some."""
        if self.layout == "0.19":
            return "componentize_py_types"
        return f"{self.package}.types"

    def result_import(self, depth: int) -> str:
        """The ``from ... import Result, Ok, Err, Some`` line of a module ``depth``
        packages below the top-level package (0 for ``<pkg>/__init__.py``)."""
        if self.layout == "0.19":
            return "from componentize_py_types import Result, Ok, Err, Some"
        dots = "." * (depth + 1)
        return f"from {dots}types import Result, Ok, Err, Some"

    @property
    def raises_prefix(self) -> str:
        """Module named in the ``Raises:`` docstring line (``wit_world.types`` before
        0.22 — even in 0.19–0.21 where no such module exists)."""
        if self.vt >= (0, 22):
            return "componentize_py_types"
        return f"{self.package}.types"

    @property
    def freestanding_trailing_newline(self) -> bool:
        """Up to 0.18 a module-level import function ends with a newline."""
        return self.vt < (0, 19)

    @property
    def docs_lines_trimmed(self) -> bool:
        """The wit-parser of 0.16 trimmed every doc-comment line (indentation inside
        doc comments is lost); later ones keep it."""
        return self.vt < (0, 17)

    @property
    def world_functions_before_types(self) -> bool:
        """0.16 writes the world's imported functions before its types in
        ``<pkg>/__init__.py`` (0.17 swapped them)."""
        return self.vt < (0, 17)

    @property
    def result_docstrings(self) -> bool:
        """0.24.0 and later give Some/Ok/Err/Result docstrings."""
        return self.vt >= (0, 24)

    @property
    def full_names_supported(self) -> bool:
        return self.vt >= (0, 22)

    @property
    def overrides_supported(self) -> bool:
        return self.vt >= (0, 16)

    @property
    def world_module_supported(self) -> bool:
        return self.vt >= (0, 17)


def resolve_flavor(world_name: str, layout: str | None = None, version: str | None = None,
                   package: str | None = None) -> Flavor:
    """Pick the release to reproduce and the top-level package name.

    Precedence: an explicit ``version``; else the installed componentize-py if it is
    of the requested ``layout`` (or no layout was asked for); else the newest release
    of the layout; default layout ``"0.19"``.
    """
    if layout is not None and layout not in LAYOUTS:
        raise ValueError(f"layout must be one of {', '.join(LAYOUTS)}, not {layout!r}")
    if version is None:
        installed = default_version()
        if installed and _vtuple(installed) >= (0, 16) and (
                layout is None or layout_of_version(installed) == layout):
            version = installed
        else:
            version = _LATEST_OF_LAYOUT[layout or "0.19"]
    family = layout_of_version(version)
    if layout is not None and family != layout:
        raise ValueError(f"componentize-py {version} uses layout {family!r}, not {layout!r}")
    if package is None:
        package = snake(world_name) if family == "0.16" else "wit_world"
    elif family == "0.16":
        raise ValueError("package= (--world-module) needs layout 0.17 or later; "
                         "layout 0.16 names the package after the world")
    return Flavor(version=version, layout=family, package=package)
