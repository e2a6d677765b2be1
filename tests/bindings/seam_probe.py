"""Hand-built model of componentize-py.md's probe interfaces (``kitchen`` and ``echo``)
and a minimal module writer, so the seam can be tested without the WIT parser and the
real codegen. The module text follows componentize-py 0.19's layout for these
declarations; bodies come from :mod:`golem_fakes.bindings.lowering`."""

from __future__ import annotations

import sys
import types
from typing import Any

from golem_fakes.bindings import lowering, naming
from golem_fakes.wit.model import (
    Alias,
    Case,
    Enum,
    EnumCase,
    Field,
    FlagMember,
    Flags,
    Function,
    HandleType,
    Interface,
    ListType,
    OptionType,
    Package,
    PackageName,
    Param,
    Primitive,
    Record,
    Resource,
    ResultType,
    TupleType,
    TypeDef,
    Variant,
    World,
    WorldItem,
)

P = Primitive
IFACE = "golem-fakes:probe/kitchen"
ECHO = "golem-fakes:probe/echo"


def build() -> tuple[Package, Interface, Interface, World]:
    pkg = Package(PackageName("golem-fakes", "probe"))
    k = Interface("kitchen", pkg)
    pkg.interfaces["kitchen"] = k

    def td(name: str, kind: Any, owner: Interface = k) -> TypeDef:
        t = TypeDef(name, kind, owner)
        owner.types[name] = t
        return t

    point = td("point", Record([Field("x", P("s32")), Field("y", P("s32")), Field("label", P("string"))]))
    shape = td("shape", Variant([Case("circle", P("f64")), Case("square", point), Case("empty", None)]))
    color = td("color", Enum([EnumCase("red"), EnumCase("green-ish"), EnumCase("blue")]))
    perms = td("perms", Flags([FlagMember("read"), FlagMember("write"), FlagMember("exec-all")]))
    counter = td("counter", Resource())
    own = HandleType(counter, "own")
    borrow = HandleType(counter, "borrow")

    def fn(name: str, params: list[tuple[str, Any]], result: Any, kind: str = "freestanding",
           item: str | None = None, owner: Interface = k) -> Function:
        f = Function(name, item or name, kind, [Param(n, t) for n, t in params], result,
                     counter if kind != "freestanding" else None, owner)
        owner.functions[name] = f
        return f

    fn("[constructor]counter", [("start", P("u64"))], own, "constructor", "counter")
    fn("[method]counter.get", [("self", borrow)], P("u64"), "method", "get")
    fn("[method]counter.add", [("self", borrow), ("n", P("u32"))], None, "method", "add")
    fn("[static]counter.merge", [("a", borrow), ("b", own)], own, "static", "merge")
    fn("[static]counter.make", [("start", P("u64"))], own, "static", "make")
    fn("res-t-e", [("ok", P("bool"))], ResultType(P("string"), color))
    fn("res-unit-e", [("ok", P("bool"))], ResultType(None, P("string")))
    fn("res-t-unit", [("ok", P("bool"))], ResultType(P("u32"), None))
    fn("res-bare", [("ok", P("bool"))], ResultType(None, None))
    fn("opt-opt", [("v", OptionType(OptionType(P("u32"))))], OptionType(OptionType(P("u32"))))
    fn("opt-res", [("v", OptionType(ResultType(P("u32"), P("string"))))],
       OptionType(ResultType(P("u32"), P("string"))))
    fn("tup", [("t", TupleType((P("u8"), P("string"), P("f32"))))], TupleType((P("u64"), P("s64"))))
    fn("bytes", [("b", ListType(P("u8")))], ListType(P("u8")))
    fn("use-counter", [("c", borrow)], P("u64"))
    fn("take-counter", [("c", own)], P("u64"))
    fn("in", [("in", P("u32"))], P("u32"))  # keyword names: in_(in_)

    e = Interface("echo", pkg)
    pkg.interfaces["echo"] = e
    alias_point = TypeDef("point", Alias(point, True), e)
    e.types["point"] = alias_point
    echo_types: dict[str, Any] = {
        **{n: P(n) for n in ("bool", "u8", "u16", "u32", "u64", "s8", "s16", "s32", "s64",
                             "f32", "f64", "char", "string")},
        "bytes": ListType(P("u8")),
        "list-u32": ListType(P("u32")),
        "list-string": ListType(P("string")),
        "list-point": ListType(alias_point),
        "opt-u32": OptionType(P("u32")),
        "opt-opt-u32": OptionType(OptionType(P("u32"))),
        "tuple": TupleType((P("u8"), P("string"))),
        "point": alias_point,
        "shape": shape,
        "color": color,
        "perms": perms,
        "res": ResultType(P("u32"), P("string")),
        "list-counter": ListType(borrow),
    }
    for n, t in echo_types.items():
        fn(f"echo-{n}", [("v", t)], None if n == "list-counter" else t, owner=e)
    world = World("kitchen-world", pkg)
    world.imports = [WorldItem(k.qualified_name, k), WorldItem(e.qualified_name, e)]
    pkg.worlds["kitchen-world"] = world
    return pkg, k, e, world


class Namer:
    def __init__(self, local: Interface, prefix: dict[int, str] | None = None) -> None:
        self.local = local
        self.prefix = prefix or {}

    def class_expr(self, typedef: TypeDef) -> str:
        base = naming.upper_camel(typedef.name)
        p = self.prefix.get(id(typedef.owner))
        return f"{p}.{base}" if p else base

    def case_class_expr(self, typedef: TypeDef, case: Case) -> str:
        return f"{self.class_expr(typedef)}_{naming.upper_camel(case.name)}"


PREAMBLE = """\
from typing import TypeVar, Generic, Union, Optional, Protocol, Tuple, List, Any, Self, Callable
from types import TracebackType
from enum import Flag, Enum, auto
from dataclasses import dataclass
from abc import abstractmethod
import weakref

from golem_fakes.bindings.result import Result, Ok, Err, Some
"""


def _py(name: str) -> str:
    return naming.escape(naming.snake(name))


def module_source(iface: Interface, namer: Namer, imports: str = "") -> str:
    lines = [PREAMBLE + imports, lowering.RUNTIME_IMPORT, ""]
    for t in iface.types.values():
        kind = t.kind
        cls = naming.upper_camel(t.name)
        if isinstance(kind, Record):
            lines += ["@dataclass", f"class {cls}:"] + [f"    {_py(f.name)}: Any" for f in kind.fields] + [""]
        elif isinstance(kind, Variant):
            for c in kind.cases:
                lines += ["@dataclass", f"class {cls}_{naming.upper_camel(c.name)}:",
                          "    value: Any" if c.type is not None else "    pass", ""]
            lines += [f"{cls} = Union[{', '.join(f'{cls}_{naming.upper_camel(c.name)}' for c in kind.cases)}]", ""]
        elif isinstance(kind, Enum):
            lines += [f"class {cls}(Enum):"] + [f"    {naming.shouty(c.name)} = {i}" for i, c in enumerate(kind.cases)] + [""]
        elif isinstance(kind, Flags):
            lines += [f"class {cls}(Flag):"] + [f"    {naming.shouty(c.name)} = auto()" for c in kind.flags] + [""]
        elif isinstance(kind, Resource):
            lines += [f"class {cls}:", ""]
            for f in t.resource_functions():
                params = f.params[1:] if f.kind == "method" else f.params
                names = [_py(p.name) for p in params]
                if f.kind == "constructor":
                    lines.append(f"    def __init__(self, {', '.join(names)}) -> None:")
                elif f.kind == "method":
                    lines.append(f"    def {_py(f.item_name)}(self{''.join(', ' + n for n in names)}):")
                else:
                    lines += ["    @classmethod", f"    def {_py(f.item_name)}(cls{''.join(', ' + n for n in names)}):"]
                body = lowering.emit_function_body(f, iface.qualified_name, names, namer)
                lines += ["        " + b for b in body] + [""]
            lines += ["    def __enter__(self) -> Self:", "        return self", "",
                      "    def __exit__(self, exc_type, exc_value, traceback) -> bool | None:"]
            lines += ["        " + b for b in lowering.emit_resource_exit(t, iface.qualified_name)] + [""]
    fns = []
    for f in iface.functions.values():
        fns.append((f, iface.qualified_name))
        if f.kind != "freestanding":
            continue
        names = [_py(p.name) for p in f.params]
        lines.append(f"def {_py(f.name)}({', '.join(names)}):")
        lines += ["    " + b for b in lowering.emit_function_body(f, iface.qualified_name, names, namer)] + [""]
    lines += lowering.emit_module_footer(fns, namer)
    return "\n".join(lines) + "\n"


def load_modules(tag: str) -> tuple[types.ModuleType, types.ModuleType, World]:
    """Build the ``kitchen`` and ``echo`` modules (registered in sys.modules under
    ``_golem_test_<tag>.kitchen`` / ``.echo``)."""
    pkg, k, e, world = build()
    parent = types.ModuleType(f"_golem_test_{tag}")
    parent.__path__ = []  # type: ignore[attr-defined]
    sys.modules[parent.__name__] = parent
    mods = []
    for iface, namer, imports in (
        (k, Namer(k), ""),
        (e, Namer(e, {id(k): "kitchen"}), f"import _golem_test_{tag}.kitchen as kitchen\n"),
    ):
        name = f"_golem_test_{tag}.{iface.name}"
        src = module_source(iface, namer, imports)
        mod = types.ModuleType(name)
        mod.__file__ = f"<{name}>"
        sys.modules[name] = mod
        try:
            exec(compile(src, f"<{name}>", "exec"), mod.__dict__)
        except Exception:
            print(src)
            raise
        mod.__source__ = src  # type: ignore[attr-defined]
        setattr(parent, iface.name, mod)
        mods.append(mod)
    return mods[0], mods[1], world
