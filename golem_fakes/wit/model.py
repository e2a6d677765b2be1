"""The resolved WIT model: packages, interfaces, worlds, types and functions.

This is the one source of truth that every other part of golem-fakes derives from:
the binding generator (:mod:`golem_fakes.bindings.codegen`), the seam's argument
checks, hypothesis strategies and the coverage page. It mirrors the shape of
``wit-parser``'s ``Resolve`` (the Rust crate componentize-py uses) closely enough that
the naming and elaboration rules measured on componentize-py carry over one to one:

* a ``use`` of a type creates an :class:`Alias` :class:`TypeDef` in the using interface
  that points at the original definition (``TypeDef.dealias()`` follows the chain);
* resource constructors, methods and static functions live in
  :attr:`Interface.functions` under their canonical-ABI names
  (``[constructor]r``, ``[method]r.f``, ``[static]r.f``), like wit-parser;
* a :class:`World` is *elaborated*: its ``imports`` hold every interface named in the
  world plus every interface those pull in through ``use``, transitively, each
  dependency placed before its first user (wit-parser's order); interfaces needed
  only by exports are imported too.

Objects compare by identity (``eq=False``): two interfaces with the same name in two
versions of a package are different objects.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Union

__all__ = [
    "PRIMITIVES",
    "INT_RANGES",
    "PackageName",
    "Stability",
    "Primitive",
    "ListType",
    "OptionType",
    "ResultType",
    "TupleType",
    "HandleType",
    "Type",
    "Field",
    "Case",
    "EnumCase",
    "FlagMember",
    "Record",
    "Variant",
    "Enum",
    "Flags",
    "Resource",
    "Alias",
    "TypeDef",
    "Param",
    "Function",
    "Interface",
    "WorldItem",
    "World",
    "Package",
    "Resolve",
    "WitError",
]

PRIMITIVES: tuple[str, ...] = (
    "bool", "u8", "u16", "u32", "u64", "s8", "s16", "s32", "s64",
    "f32", "f64", "char", "string",
)

#: Inclusive value range of every WIT integer type.
INT_RANGES: dict[str, tuple[int, int]] = {
    "u8": (0, 2**8 - 1),
    "u16": (0, 2**16 - 1),
    "u32": (0, 2**32 - 1),
    "u64": (0, 2**64 - 1),
    "s8": (-(2**7), 2**7 - 1),
    "s16": (-(2**15), 2**15 - 1),
    "s32": (-(2**31), 2**31 - 1),
    "s64": (-(2**63), 2**63 - 1),
}


class WitError(Exception):
    """A WIT document could not be parsed or resolved.

    The message starts with ``file:line:column:`` and says what was expected.
    """

    def __init__(self, message: str, path: str | None = None, line: int | None = None,
                 column: int | None = None) -> None:
        self.path = path
        self.line = line
        self.column = column
        self.bare_message = message
        where = ""
        if path is not None:
            where = f"{path}:{line}:{column}: " if line is not None else f"{path}: "
        super().__init__(where + message)


@dataclass(frozen=True)
class PackageName:
    """``namespace:name@version`` (version optional)."""

    namespace: str
    name: str
    version: str | None = None

    def __str__(self) -> str:
        base = f"{self.namespace}:{self.name}"
        return f"{base}@{self.version}" if self.version else base


@dataclass(frozen=True)
class Stability:
    """Feature gates: ``@since(version = ...)``, ``@unstable(feature = ...)``,
    ``@deprecated(version = ...)``. Items gated ``@unstable`` are left out of the
    model unless their feature is enabled."""

    since: str | None = None
    unstable_feature: str | None = None
    deprecated: str | None = None


# --- anonymous types ---------------------------------------------------------


@dataclass(frozen=True)
class Primitive:
    """One of :data:`PRIMITIVES`."""

    name: str


@dataclass(frozen=True, eq=False)
class ListType:
    element: "Type"


@dataclass(frozen=True, eq=False)
class OptionType:
    inner: "Type"


@dataclass(frozen=True, eq=False)
class ResultType:
    """``result``, ``result<T>``, ``result<_, E>`` or ``result<T, E>``: a missing side is
    ``None``."""

    ok: "Type | None"
    err: "Type | None"


@dataclass(frozen=True, eq=False)
class TupleType:
    types: tuple["Type", ...]


@dataclass(frozen=True, eq=False)
class HandleType:
    """``own<r>`` (written plainly as ``r``) or ``borrow<r>``. ``resource`` is the
    resource's own :class:`TypeDef` (never an alias)."""

    resource: "TypeDef"
    kind: Literal["own", "borrow"]


# --- named type definitions --------------------------------------------------


@dataclass(eq=False)
class Field:
    name: str
    type: "Type"
    docs: str | None = None


@dataclass(eq=False)
class Case:
    name: str
    type: "Type | None"
    docs: str | None = None


@dataclass(eq=False)
class EnumCase:
    name: str
    docs: str | None = None


@dataclass(eq=False)
class FlagMember:
    name: str
    docs: str | None = None


@dataclass(eq=False)
class Record:
    fields: list[Field]


@dataclass(eq=False)
class Variant:
    cases: list[Case]


@dataclass(eq=False)
class Enum:
    cases: list[EnumCase]


@dataclass(eq=False)
class Flags:
    flags: list[FlagMember]


@dataclass(eq=False)
class Resource:
    """A resource; its functions are in the owner's ``functions`` (see
    :meth:`TypeDef.resource_functions`)."""


@dataclass(eq=False)
class Alias:
    """``type x = T`` or a ``use``d type (then ``target`` is the other interface's
    :class:`TypeDef`)."""

    target: "Type"
    from_use: bool = False


TypeDefKind = Union[Record, Variant, Enum, Flags, Resource, Alias]


@dataclass(eq=False)
class TypeDef:
    """A named type defined in an interface or world."""

    name: str
    kind: TypeDefKind
    owner: "Interface | World | None" = None
    docs: str | None = None
    stability: Stability = field(default_factory=Stability)

    def dealias(self) -> "Type":
        """Follow :class:`Alias` chains to the first non-alias type."""
        t: Type = self
        while isinstance(t, TypeDef) and isinstance(t.kind, Alias):
            t = t.kind.target
        return t

    def resource_functions(self) -> list["Function"]:
        """Constructor, methods and statics of a resource, in declaration order."""
        if self.owner is None:
            return []
        return [f for f in self.owner.functions.values() if f.resource is self]

    def __repr__(self) -> str:
        owner = getattr(self.owner, "qualified_name", None)
        return f"<TypeDef {owner}.{self.name} {type(self.kind).__name__}>"


Type = Union[Primitive, ListType, OptionType, ResultType, TupleType, HandleType, TypeDef]


# --- functions, interfaces, worlds, packages ----------------------------------


@dataclass(eq=False)
class Param:
    name: str
    type: Type


@dataclass(eq=False)
class Function:
    """A function. ``name`` is the canonical-ABI name (``get-oplog-index``,
    ``[constructor]get-workers``, ``[method]get-workers.get-next``,
    ``[static]counter.merge``); ``item_name`` is the name as written (``get-next``;
    the resource name for a constructor)."""

    name: str
    item_name: str
    kind: Literal["freestanding", "method", "static", "constructor"]
    params: list[Param]
    result: Type | None
    resource: TypeDef | None = None
    owner: "Interface | World | None" = None
    docs: str | None = None
    stability: Stability = field(default_factory=Stability)

    def __repr__(self) -> str:
        owner = getattr(self.owner, "qualified_name", None)
        return f"<Function {owner}#{self.name}>"


@dataclass(eq=False)
class Interface:
    """An interface. ``name`` is ``None`` for an inline (anonymous) world interface."""

    name: str | None
    package: "Package | None"
    types: dict[str, TypeDef] = field(default_factory=dict)
    functions: dict[str, Function] = field(default_factory=dict)
    docs: str | None = None
    stability: Stability = field(default_factory=Stability)

    @property
    def qualified_name(self) -> str:
        """``ns:pkg/iface@ver`` — the WIT identity behaviour modules register against."""
        if self.package is None or self.name is None:
            return self.name or "<anonymous>"
        pn = self.package.name
        base = f"{pn.namespace}:{pn.name}/{self.name}"
        return f"{base}@{pn.version}" if pn.version else base

    def __repr__(self) -> str:
        return f"<Interface {self.qualified_name}>"


@dataclass(eq=False)
class WorldItem:
    """One import or export of an elaborated world.

    ``key`` is the interface's qualified name for a named interface, else the plain
    name given in the world (inline interface, function or type)."""

    key: str
    item: "Interface | Function | TypeDef"
    stability: Stability = field(default_factory=Stability)


@dataclass(eq=False)
class World:
    name: str
    package: "Package | None"
    imports: list[WorldItem] = field(default_factory=list)
    exports: list[WorldItem] = field(default_factory=list)
    types: dict[str, TypeDef] = field(default_factory=dict)
    functions: dict[str, Function] = field(default_factory=dict)
    docs: str | None = None

    @property
    def qualified_name(self) -> str:
        if self.package is None:
            return self.name
        pn = self.package.name
        base = f"{pn.namespace}:{pn.name}/{self.name}"
        return f"{base}@{pn.version}" if pn.version else base

    def imported_interfaces(self) -> list[Interface]:
        return [i.item for i in self.imports if isinstance(i.item, Interface)]

    def exported_interfaces(self) -> list[Interface]:
        return [i.item for i in self.exports if isinstance(i.item, Interface)]

    def __repr__(self) -> str:
        return f"<World {self.qualified_name}>"


@dataclass(eq=False)
class Package:
    name: PackageName
    interfaces: dict[str, Interface] = field(default_factory=dict)
    worlds: dict[str, World] = field(default_factory=dict)
    docs: str | None = None

    def __repr__(self) -> str:
        return f"<Package {self.name}>"


@dataclass(eq=False)
class Resolve:
    """Every package loaded, keyed by name; ``main`` is the package of the directory or
    file that was loaded (the one ``-w WORLD`` is looked up in)."""

    packages: dict[PackageName, Package] = field(default_factory=dict)
    main: Package | None = None

    def interface(self, qualified_name: str) -> Interface:
        """Look up ``ns:pkg/iface@ver`` (KeyError naming what exists if unknown)."""
        for pkg in self.packages.values():
            for iface in pkg.interfaces.values():
                if iface.qualified_name == qualified_name:
                    return iface
        known = sorted(i.qualified_name for p in self.packages.values()
                       for i in p.interfaces.values())
        raise KeyError(f"no interface {qualified_name!r}; known: {', '.join(known)}")

    def world(self, name: str | None = None) -> World:
        """Select a world like ``componentize-py -w``: a plain name is looked up in
        ``main``; ``ns:pkg/world`` in that package; ``None`` means the only world of
        ``main``. Versions may be left out when only one is loaded. Raises
        :class:`WitError` naming the worlds that exist if there is no such world."""
        from .resolve import select_world  # deferred: resolve imports this module

        return select_world(self, name)
