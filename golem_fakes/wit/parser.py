"""WIT text → syntax tree.

The tree is deliberately thin: names stay strings with their source offset, types
stay as small tuples (see :data:`TypeAst`), and :mod:`golem_fakes.wit.resolve` turns
it into the :mod:`golem_fakes.wit.model`. Every syntax error is a
:class:`~golem_fakes.wit.model.WitError` with ``file:line:column`` and what was
expected.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Union

from .lexer import Source, Token, tokenize
from .model import PRIMITIVES, PackageName, Stability, WitError

__all__ = [
    "TypeAst", "UsePath", "UseAst", "TopUseAst", "FuncAst", "TypeDefAst", "InterfaceAst",
    "ExternAst", "IncludeAst", "WorldAst", "PackageAst", "FileAst", "parse", "parse_file",
]

#: ``("prim", name)``, ``("name", name, pos)``, ``("list", T)``, ``("option", T)``,
#: ``("result", T | None, T | None)``, ``("tuple", (T, ...))``,
#: ``("handle", "own" | "borrow", name, pos)``.
TypeAst = tuple[Any, ...]

_PRIMS = frozenset(PRIMITIVES)


@dataclass(slots=True)
class UsePath:
    """``name`` (same package) or ``ns:pkg/name@version``."""

    name: str
    pos: int
    package: PackageName | None = None

    def __str__(self) -> str:
        if self.package is None:
            return self.name
        p = self.package
        base = f"{p.namespace}:{p.name}/{self.name}"
        return f"{base}@{p.version}" if p.version else base


@dataclass(slots=True)
class UseAst:
    """``use path.{a, b as c};`` inside an interface or world."""

    path: UsePath
    names: list[tuple[str, int, str | None]]
    pos: int
    stability: Stability


@dataclass(slots=True)
class TopUseAst:
    """Package-level ``use ns:pkg/iface@ver as name;``."""

    path: UsePath
    as_name: str | None
    pos: int
    stability: Stability


@dataclass(slots=True)
class FuncAst:
    """A function; ``kind`` as in :class:`~golem_fakes.wit.model.Function`."""

    name: str
    pos: int
    kind: str
    params: list[tuple[str, int, TypeAst]]
    result: TypeAst | None
    docs: tuple[str, ...] = ()
    stability: Stability = field(default_factory=Stability)


@dataclass(slots=True)
class TypeDefAst:
    """``kind`` is record/variant/enum/flags/resource/alias; ``body`` depends on it:
    fields/cases ``[(name, pos, type|None, docs)]``, a TypeAst for ``alias``, the
    list of :class:`FuncAst` for ``resource``."""

    name: str
    pos: int
    kind: str
    body: Any
    docs: tuple[str, ...] = ()
    stability: Stability = field(default_factory=Stability)


@dataclass(slots=True)
class InterfaceAst:
    name: str | None
    pos: int
    items: list[Union[UseAst, TypeDefAst, FuncAst]]
    docs: tuple[str, ...] = ()
    stability: Stability = field(default_factory=Stability)
    source: Source | None = None


@dataclass(slots=True)
class ExternAst:
    """``import``/``export`` of a path, a named inline interface or a function."""

    direction: str
    kind: str  # "path" | "interface" | "func"
    pos: int
    name: str | None = None
    path: UsePath | None = None
    iface: InterfaceAst | None = None
    func: FuncAst | None = None
    docs: tuple[str, ...] = ()
    stability: Stability = field(default_factory=Stability)


@dataclass(slots=True)
class IncludeAst:
    path: UsePath
    names: list[tuple[str, int, str]]
    pos: int
    stability: Stability


@dataclass(slots=True)
class WorldAst:
    name: str
    pos: int
    items: list[Union[ExternAst, UseAst, TypeDefAst, IncludeAst]]
    docs: tuple[str, ...] = ()
    stability: Stability = field(default_factory=Stability)
    source: Source | None = None


@dataclass(slots=True)
class PackageAst:
    """Items of one package declared in one file (the top-level part of a file or a
    nested ``package x:y { ... }`` block)."""

    name: PackageName | None
    pos: int
    source: Source
    interfaces: list[InterfaceAst] = field(default_factory=list)
    worlds: list[WorldAst] = field(default_factory=list)
    uses: list[TopUseAst] = field(default_factory=list)
    docs: tuple[str, ...] = ()


@dataclass(slots=True)
class FileAst:
    """One parsed file: its top-level package part and its nested packages."""

    source: Source
    top: PackageAst
    nested: list[PackageAst]


class _Parser:
    __slots__ = ("src", "toks", "i")

    def __init__(self, src: Source) -> None:
        self.src = src
        self.toks = tokenize(src)
        self.i = 0

    # --- token helpers ---------------------------------------------------------

    @property
    def tok(self) -> Token:
        return self.toks[self.i]

    def peek(self, n: int = 1) -> Token:
        j = min(self.i + n, len(self.toks) - 1)
        return self.toks[j]

    def fail(self, expected: str, tok: Token | None = None) -> WitError:
        tok = tok or self.tok
        found = "end of file" if tok.kind == "eof" else repr(tok.text)
        return self.src.error(tok.pos, f"expected {expected}, found {found}")

    def eat(self, kind: str) -> bool:
        if self.toks[self.i].kind == kind:
            self.i += 1
            return True
        return False

    def expect(self, kind: str, expected: str | None = None) -> Token:
        t = self.toks[self.i]
        if t.kind != kind:
            raise self.fail(expected or repr(kind))
        self.i += 1
        return t

    def ident(self, what: str = "an identifier") -> Token:
        t = self.toks[self.i]
        if t.kind != "id":
            if t.kind not in ("eof", "num") and t.kind == t.text and t.text[:1].isalpha():
                raise self.src.error(
                    t.pos, f"expected {what}, found keyword {t.text!r} "
                           f"(write %{t.text} to use it as a name)")
            raise self.fail(what)
        self.i += 1
        return t

    # --- top level -------------------------------------------------------------

    def file(self) -> FileAst:
        top = PackageAst(None, 0, self.src)
        nested: list[PackageAst] = []
        # `package a:b@v;` header (its docs are the package's docs)
        if self.tok.kind == "package":
            start = self.tok
            name, pos = self.package_name()
            if self.tok.kind == "{":
                nested.append(self.nested_package(name, pos, start.docs))
            else:
                self.expect(";", "';' or '{'")
                top.name, top.pos, top.docs = name, pos, start.docs
        while self.tok.kind != "eof":
            if self.tok.kind == "package":
                start = self.tok
                name, pos = self.package_name()
                if self.tok.kind != "{":
                    raise self.fail("'{' (only the first item of a file can be "
                                    "a `package x:y;` header)")
                nested.append(self.nested_package(name, pos, start.docs))
                continue
            self.package_item(top)
        return FileAst(self.src, top, nested)

    def nested_package(self, name: PackageName, pos: int,
                       docs: tuple[str, ...]) -> PackageAst:
        self.expect("{")
        pkg = PackageAst(name, pos, self.src, docs=docs)
        while not self.eat("}"):
            if self.tok.kind == "eof":
                raise self.fail("'}' closing the package block")
            self.package_item(pkg)
        return pkg

    def package_name(self) -> tuple[PackageName, int]:
        self.expect("package")
        ns = self.ident("a package namespace")
        self.expect(":", "':' after the package namespace")
        name = self.ident("a package name")
        version = None
        if self.eat("@"):
            version = self.version()
        return PackageName(ns.text, name.text, version), ns.pos

    def version(self) -> str:
        t = self.tok
        if t.kind != "num" or t.text.count(".") < 2:
            raise self.fail("a semver version like 1.2.3")
        self.i += 1
        return t.text

    def attributes(self) -> Stability:
        since = unstable = deprecated = None
        while self.tok.kind == "@":
            at = self.tok
            self.i += 1
            name = self.ident("an attribute name (since, unstable, deprecated)")
            self.expect("(", "'('")
            args: dict[str, str] = {}
            while True:
                key = self.ident("an attribute argument (version, feature)")
                self.expect("=", "'='")
                if key.text == "version":
                    args["version"] = self.version()
                elif key.text == "feature":
                    args["feature"] = self.ident("a feature name").text
                else:
                    raise self.src.error(key.pos, f"unknown attribute argument {key.text!r}"
                                                  " (expected version or feature)")
                if not self.eat(","):
                    break
                if self.tok.kind == ")":
                    break
            self.expect(")", "')'")
            if name.text == "since":
                if "version" not in args:
                    raise self.src.error(at.pos, "@since needs `version = x.y.z`")
                since = args["version"]
                if "feature" in args:  # legacy `@since(version = x, feature = f)`
                    unstable = args["feature"]
            elif name.text == "unstable":
                if "feature" not in args:
                    raise self.src.error(at.pos, "@unstable needs `feature = name`")
                unstable = args["feature"]
            elif name.text == "deprecated":
                if "version" not in args:
                    raise self.src.error(at.pos, "@deprecated needs `version = x.y.z`")
                deprecated = args["version"]
            else:
                raise self.src.error(name.pos, f"unknown attribute @{name.text} "
                                               "(expected since, unstable or deprecated)")
        if deprecated is not None and since is None and unstable is None:
            raise self.src.error(self.tok.pos, "@deprecated must be paired with @since or "
                                               "@unstable")
        if since is None and unstable is None and deprecated is None:
            return _NO_GATE
        return Stability(since, unstable, deprecated)

    def package_item(self, pkg: PackageAst) -> None:
        docs = self.tok.docs
        stab = self.attributes()
        t = self.tok
        if t.kind == "interface":
            pkg.interfaces.append(self.interface(docs, stab))
        elif t.kind == "world":
            pkg.worlds.append(self.world(docs, stab))
        elif t.kind == "use":
            self.i += 1
            path = self.use_path()
            as_name = None
            if self.eat("as"):
                as_name = self.ident().text
            self.expect(";", "';'" if as_name else "'as' or ';'")
            pkg.uses.append(TopUseAst(path, as_name, t.pos, stab))
        else:
            raise self.fail("'interface', 'world', 'use' or 'package'")

    def use_path(self) -> UsePath:
        first = self.ident("an interface name or `namespace:package/interface`")
        if not self.eat(":"):
            return UsePath(first.text, first.pos)
        pkg = self.ident("a package name")
        self.expect("/", "'/'")
        name = self.ident("an interface or world name")
        version = None
        if self.eat("@"):
            version = self.version()
        return UsePath(name.text, first.pos, PackageName(first.text, pkg.text, version))

    # --- interfaces --------------------------------------------------------------

    def interface(self, docs: tuple[str, ...], stab: Stability) -> InterfaceAst:
        self.expect("interface")
        name = self.ident("an interface name")
        items = self.interface_body()
        return InterfaceAst(name.text, name.pos, items, docs, stab, self.src)

    def interface_body(self) -> list[Union[UseAst, TypeDefAst, FuncAst]]:
        self.expect("{", "'{'")
        items: list[Union[UseAst, TypeDefAst, FuncAst]] = []
        while not self.eat("}"):
            docs = self.tok.docs
            stab = self.attributes()
            t = self.tok
            if t.kind == "use":
                items.append(self.use_item(stab))
            elif t.kind in _TYPEDEF_KW:
                items.append(self.typedef(docs, stab))
            elif t.kind == "id":
                items.append(self.named_func(docs, stab))
            else:
                raise self.fail("'}', 'use', a type definition or a function")
        return items

    def use_item(self, stab: Stability) -> UseAst:
        t = self.expect("use")
        path = self.use_path()
        self.expect(".", "'.' followed by '{'")
        self.expect("{", "'{'")
        names: list[tuple[str, int, str | None]] = []
        while True:
            if self.tok.kind == "}" and names:
                break
            n = self.ident("a type name")
            alias = self.ident().text if self.eat("as") else None
            names.append((n.text, n.pos, alias))
            if not self.eat(","):
                break
        self.expect("}", "',' or '}'")
        self.expect(";", "';'")
        return UseAst(path, names, t.pos, stab)

    def named_func(self, docs: tuple[str, ...], stab: Stability) -> FuncAst:
        name = self.ident("a function name")
        self.expect(":", "':'")
        return self.func_type(name.text, name.pos, "freestanding", docs, stab)

    def func_type(self, name: str, pos: int, kind: str, docs: tuple[str, ...],
                  stab: Stability, semi: bool = True) -> FuncAst:
        if self.tok.kind == "async":
            raise self.src.error(self.tok.pos, "async functions are not supported")
        self.expect("func", "'func'")
        params = self.param_list()
        result = None
        if self.eat("->"):
            if self.tok.kind == "(":
                raise self.src.error(self.tok.pos, "named results are not supported by "
                                                   "this WIT version; use a single type")
            result = self.type()
        if semi:
            self.expect(";", "';'")
        return FuncAst(name, pos, kind, params, result, docs, stab)

    def param_list(self) -> list[tuple[str, int, TypeAst]]:
        self.expect("(", "'('")
        params: list[tuple[str, int, TypeAst]] = []
        while not self.eat(")"):
            n = self.ident("a parameter name or ')'")
            self.expect(":", "':'")
            params.append((n.text, n.pos, self.type()))
            if not self.eat(","):
                self.expect(")", "',' or ')'")
                break
        return params

    def typedef(self, docs: tuple[str, ...], stab: Stability) -> TypeDefAst:
        kw = self.tok.kind
        self.i += 1
        name = self.ident("a type name")
        if kw == "type":
            self.expect("=", "'='")
            ty = self.type()
            self.expect(";", "';'")
            return TypeDefAst(name.text, name.pos, "alias", ty, docs, stab)
        if kw == "resource":
            funcs: list[FuncAst] = []
            if self.eat(";"):
                return TypeDefAst(name.text, name.pos, "resource", funcs, docs, stab)
            self.expect("{", "'{' or ';'")
            while not self.eat("}"):
                fdocs = self.tok.docs
                fstab = self.attributes()
                t = self.tok
                if t.kind == "constructor":
                    self.i += 1
                    params = self.param_list()
                    self.expect(";", "';'")
                    funcs.append(FuncAst(name.text, t.pos, "constructor", params, None,
                                         fdocs, fstab))
                    continue
                fname = self.ident("'constructor', a method name or '}'")
                self.expect(":", "':'")
                kind = "static" if self.eat("static") else "method"
                funcs.append(self.func_type(fname.text, fname.pos, kind, fdocs, fstab))
            return TypeDefAst(name.text, name.pos, "resource", funcs, docs, stab)
        self.expect("{", "'{'")
        members: list[tuple[str, int, TypeAst | None, tuple[str, ...]]] = []
        while not self.eat("}"):
            mdocs = self.tok.docs
            what = {"record": "a field name", "variant": "a case name",
                    "enum": "a case name", "flags": "a flag name"}[kw]
            m = self.ident(what + " or '}'")
            ty: TypeAst | None = None
            if kw == "record":
                self.expect(":", "':'")
                ty = self.type()
            elif kw == "variant" and self.eat("("):
                ty = self.type()
                self.expect(")", "')'")
            members.append((m.text, m.pos, ty, mdocs))
            if not self.eat(","):
                self.expect("}", "',' or '}'")
                break
        if not members and kw in ("variant", "enum"):
            raise self.src.error(name.pos, f"empty {kw} {name.text!r}")
        return TypeDefAst(name.text, name.pos, kw, members, docs, stab)

    def type(self) -> TypeAst:
        t = self.tok
        k = t.kind
        self.i += 1
        if k in _PRIMS:
            return ("prim", k)
        if k == "id":
            return ("name", t.text, t.pos)
        if k == "list":
            self.expect("<", "'<'")
            inner = self.type()
            if self.tok.kind == ",":
                raise self.src.error(self.tok.pos, "fixed-length lists are not supported")
            self.expect(">", "'>'")
            return ("list", inner)
        if k == "option":
            self.expect("<", "'<'")
            inner = self.type()
            self.expect(">", "'>'")
            return ("option", inner)
        if k == "result":
            if not self.eat("<"):
                return ("result", None, None)
            if self.eat("_"):
                self.expect(",", "','")
                err = self.type()
                self.expect(">", "'>'")
                return ("result", None, err)
            ok = self.type()
            err = None
            if self.eat(","):
                err = self.type()
            self.expect(">", "',' or '>'")
            return ("result", ok, err)
        if k == "tuple":
            self.expect("<", "'<'")
            types: list[TypeAst] = []
            while True:
                if self.tok.kind == ">" and types:
                    break
                types.append(self.type())
                if not self.eat(","):
                    break
            self.expect(">", "',' or '>'")
            return ("tuple", tuple(types))
        if k == "borrow" or k == "own":
            self.expect("<", "'<'")
            r = self.ident("a resource name")
            self.expect(">", "'>'")
            return ("handle", k, r.text, r.pos)
        if k in ("future", "stream", "error-context", "map"):
            raise self.src.error(t.pos, f"`{k}` types are not supported by golem-fakes")
        self.i -= 1
        raise self.fail("a type")

    # --- worlds ------------------------------------------------------------------

    def world(self, docs: tuple[str, ...], stab: Stability) -> WorldAst:
        self.expect("world")
        name = self.ident("a world name")
        self.expect("{", "'{'")
        items: list[Union[ExternAst, UseAst, TypeDefAst, IncludeAst]] = []
        while not self.eat("}"):
            idocs = self.tok.docs
            istab = self.attributes()
            t = self.tok
            if t.kind in ("import", "export"):
                items.append(self.extern(idocs, istab))
            elif t.kind == "use":
                items.append(self.use_item(istab))
            elif t.kind in _TYPEDEF_KW:
                items.append(self.typedef(idocs, istab))
            elif t.kind == "include":
                self.i += 1
                path = self.use_path()
                names: list[tuple[str, int, str]] = []
                if self.eat("with"):
                    self.expect("{", "'{'")
                    while not self.eat("}"):
                        n = self.ident("a name to rename")
                        self.expect("as", "'as'")
                        names.append((n.text, n.pos, self.ident().text))
                        if not self.eat(","):
                            self.expect("}", "',' or '}'")
                            break
                else:
                    self.expect(";", "';' or 'with'")
                items.append(IncludeAst(path, names, t.pos, istab))
            else:
                raise self.fail("'}', 'import', 'export', 'use', 'include' or a type "
                                "definition")
        return WorldAst(name.text, name.pos, items, docs, stab, self.src)

    def extern(self, docs: tuple[str, ...], stab: Stability) -> ExternAst:
        direction = self.tok.kind
        self.i += 1
        t = self.tok
        if t.kind == "id" and self.peek().kind == ":" and self.peek(2).kind in (
                "func", "interface", "async"):
            self.i += 2
            if self.tok.kind == "interface":
                self.i += 1
                body = self.interface_body()
                iface = InterfaceAst(None, t.pos, body, docs, stab, self.src)
                return ExternAst(direction, "interface", t.pos, name=t.text, iface=iface,
                                 docs=docs, stability=stab)
            func = self.func_type(t.text, t.pos, "freestanding", docs, stab)
            return ExternAst(direction, "func", t.pos, name=t.text, func=func, docs=docs,
                             stability=stab)
        path = self.use_path()
        self.expect(";", "';'")
        return ExternAst(direction, "path", path.pos, path=path, docs=docs, stability=stab)


_NO_GATE = Stability()
_TYPEDEF_KW = frozenset({"type", "record", "variant", "enum", "flags", "resource"})


def parse(text: str, path: str = "<string>") -> FileAst:
    """Parse one WIT document."""
    return _Parser(Source(path, text)).file()


def parse_file(path: str) -> FileAst:
    """Read and parse one ``.wit`` file."""
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except OSError as e:
        raise WitError(f"cannot read: {e.strerror}", path) from None
    except UnicodeDecodeError:
        raise WitError("not valid UTF-8", path) from None
    return parse(text, path)
