"""Syntax trees → the resolved, elaborated :mod:`golem_fakes.wit.model`.

Follows wit-parser (the crate componentize-py uses) where it matters for generated
bindings:

* a directory is one package (its ``*.wit`` files) plus ``deps/``, where each entry
  is a folder of files or a single ``.wit`` file, each possibly holding nested
  ``package x:y { ... }`` blocks; packages are found by name, not by folder name;
* packages are processed in topological order (dependencies first, otherwise by
  name); cycles between packages, interfaces (``use``), worlds (``include``) and
  types are errors;
* an interface's ``types`` hold its ``use``\\ d names first, then its own type
  definitions in declaration order, except that a definition is moved after the
  definitions it refers to (wit-parser's stable topological sort);
* worlds are elaborated like ``Resolve::elaborate_world``.

Version matching for references to another package: an exact name first; a
reference without a version binds the only version loaded; a reference with a
version binds the highest semver-compatible version loaded (``0.2.0`` → ``0.2.3``).
Two versions of one package stay distinct packages.
"""

from __future__ import annotations

import heapq
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Union

from .lexer import Source, docs_text
from .model import (
    Alias, Case, Enum, EnumCase, Field, FlagMember, Flags, Function, HandleType,
    Interface, ListType, OptionType, Package, PackageName, Param, Primitive, PRIMITIVES,
    Record, Resolve, Resource, ResultType, Stability, TupleType, Type, TypeDef, Variant,
    WitError, World, WorldItem,
)
from .parser import (
    ExternAst, FileAst, FuncAst, IncludeAst, InterfaceAst, PackageAst, TopUseAst,
    TypeAst, TypeDefAst, UseAst, UsePath, WorldAst, parse_file,
)

__all__ = ["load", "load_files", "select_world", "match_package", "semver_key"]

_PRIM: dict[str, Primitive] = {p: Primitive(p) for p in PRIMITIVES}
_SEMVER = re.compile(r"(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$")


# --- versions -------------------------------------------------------------------


def semver_key(version: str | None) -> tuple[Any, ...]:
    """Sort key for a semver string (``None`` sorts first; pre-releases before the
    release, numeric identifiers numerically)."""
    if version is None:
        return (-1,)
    m = _SEMVER.match(version)
    if not m:
        return (-1, version)
    major, minor, patch, pre = m.groups()
    if pre is None:
        pre_key: tuple[Any, ...] = (1,)
    else:
        pre_key = (0, tuple((0, int(p), "") if p.isdigit() else (1, 0, p)
                            for p in pre.split(".")))
    return (int(major), int(minor), int(patch), pre_key)


def _compatible(want: str, have: str) -> bool:
    """True if ``have`` can stand in for ``want`` under semver rules (same major;
    same minor for ``0.x``; exact for ``0.0.x`` and pre-releases)."""
    a, b = _SEMVER.match(want), _SEMVER.match(have)
    if not a or not b:
        return want == have
    if a.group(4) or b.group(4):
        return a.group(1, 2, 3, 4) == b.group(1, 2, 3, 4)
    ma, mi, pa = (int(x) for x in a.group(1, 2, 3))
    mb, mj, pb = (int(x) for x in b.group(1, 2, 3))
    if ma != mb:
        return False
    if ma > 0:
        return (mj, pb) >= (mi, pa)
    if mi != mj:
        return False
    if mi > 0:
        return pb >= pa
    return pa == pb


def match_package(ref: PackageName, names: Iterable[PackageName]) -> PackageName | None:
    """Pick the loaded package a reference means: exact name; else, without a
    version, the only version loaded; else the highest semver-compatible version.
    Raises :class:`WitError` (without location) if a versionless reference is
    ambiguous."""
    names = list(names)
    if ref in names:
        return ref
    same = [n for n in names if n.namespace == ref.namespace and n.name == ref.name]
    if not same:
        return None
    if ref.version is None:
        if len(same) == 1:
            return same[0]
        versions = ", ".join(str(n.version) for n in sorted(
            same, key=lambda n: semver_key(n.version)))
        raise WitError(f"package `{ref}` is loaded at several versions ({versions}); "
                       "say which one")
    ok = [n for n in same if n.version is not None and _compatible(ref.version, n.version)]
    if not ok:
        return None
    return max(ok, key=lambda n: semver_key(n.version))


# --- loading ----------------------------------------------------------------------


@dataclass(eq=False)
class _Unresolved:
    """One package before resolution: its parts (one per file / nested block)."""

    name: PackageName
    parts: list[PackageAst]
    model: Package | None = None
    deps: list[tuple[PackageName, Source, int]] = field(default_factory=list)


def _wit_files(directory: str) -> list[str]:
    try:
        names = sorted(os.listdir(directory))
    except OSError as e:
        raise WitError(f"cannot list directory: {e.strerror}", directory) from None
    return [os.path.join(directory, n) for n in names
            if n.endswith(".wit") and os.path.isfile(os.path.join(directory, n))]


def _group(files: list[FileAst], where: str) -> tuple[_Unresolved, list[_Unresolved]]:
    """Merge the top-level parts of the files of one package; collect nested ones."""
    name: PackageName | None = None
    first: PackageAst | None = None
    tops: list[PackageAst] = []
    nested: list[_Unresolved] = []
    for f in files:
        top = f.top
        if top.name is not None:
            if name is not None and top.name != name:
                raise top.source.error(
                    top.pos, f"package `{top.name}` conflicts with `{name}` declared in "
                             f"{first.source.path if first else '?'} (all files of a "
                             "folder form one package)")
            if name is None:
                name, first = top.name, top
        tops.append(top)
        nested.extend(_Unresolved(p.name, [p]) for p in f.nested if p.name is not None)
    if name is None:
        # wit-parser requires a header even when a file only holds nested packages
        raise WitError("no `package namespace:name;` header in any file of this "
                       "package", files[0].source.path if files else where)
    return _Unresolved(name, tops), nested


def load(path: str | os.PathLike[str], features: Iterable[str] = (),
         all_features: bool = False) -> Resolve:
    """Parse and resolve WIT at ``path``: a directory (its ``*.wit`` files are the
    main package; ``deps/`` holds dependencies, one folder or ``.wit`` file per
    package) or a single ``.wit`` file. ``@unstable(feature = f)`` items are kept only
    if ``f`` is in ``features`` or ``all_features`` is set."""
    path = os.fspath(path)
    if os.path.isdir(path):
        main_files = _wit_files(path)
        if not main_files:
            raise WitError("no .wit files in directory", path)
        groups = [[parse_file(f) for f in main_files]]
        deps_dir = os.path.join(path, "deps")
        if os.path.isdir(deps_dir):
            for entry in sorted(os.listdir(deps_dir)):
                full = os.path.join(deps_dir, entry)
                if os.path.isdir(full):
                    files = _wit_files(full)
                    if files:
                        groups.append([parse_file(f) for f in files])
                elif entry.endswith(".wit"):
                    groups.append([parse_file(full)])
        return _resolve_groups(groups, [path] + [deps_dir] * (len(groups) - 1),
                               features, all_features)
    if os.path.isfile(path):
        return _resolve_groups([[parse_file(path)]], [path], features, all_features)
    raise WitError("no such file or directory", path)


def load_files(main: Iterable[str], deps: Iterable[Iterable[str]] = (),
               features: Iterable[str] = (), all_features: bool = False) -> Resolve:
    """Like :func:`load` from explicit file lists: ``main`` are the files of the main
    package, each entry of ``deps`` the files of one dependency package."""
    groups = [[parse_file(f) for f in main]]
    groups += [[parse_file(f) for f in d] for d in deps]
    return _resolve_groups(groups, ["<main>"] + ["<deps>"] * (len(groups) - 1),
                           features, all_features)


def _foreign_paths(part: PackageAst) -> Iterable[UsePath]:
    for u in part.uses:
        yield u.path
    for iface in part.interfaces:
        yield from _iface_paths(iface.items)
    for w in part.worlds:
        for item in w.items:
            if isinstance(item, (UseAst, IncludeAst)):
                yield item.path
            elif isinstance(item, ExternAst):
                if item.path is not None:
                    yield item.path
                elif item.iface is not None:
                    yield from _iface_paths(item.iface.items)


def _iface_paths(items: list[Any]) -> Iterable[UsePath]:
    for it in items:
        if isinstance(it, UseAst):
            yield it.path


def _resolve_groups(groups: list[list[FileAst]], wheres: list[str],
                    features: Iterable[str], all_features: bool) -> Resolve:
    unresolved: dict[PackageName, _Unresolved] = {}
    main_name: PackageName | None = None
    for gi, (files, where) in enumerate(zip(groups, wheres)):
        main, nested = _group(files, where)
        pkgs = nested + [main]
        if gi == 0:
            main_name = main.name
        for p in pkgs:
            if p.name in unresolved:
                prev = unresolved[p.name].parts[0]
                here = p.parts[0]
                raise here.source.error(
                    here.pos, f"package `{p.name}` is defined twice (also in "
                              f"{prev.source.path})")
            unresolved[p.name] = p

    names = list(unresolved)
    for up in unresolved.values():
        seen: set[PackageName] = set()
        for part in up.parts:
            for path in _foreign_paths(part):
                if path.package is None:
                    continue
                try:
                    target = match_package(path.package, names)
                except WitError as e:
                    raise part.source.error(path.pos, e.bare_message) from None
                if target is None:
                    known = ", ".join(sorted(str(n) for n in names))
                    raise part.source.error(
                        path.pos, f"package `{path.package}` not found (known packages: "
                                  f"{known})")
                if target != up.name and target not in seen:
                    seen.add(target)
                    up.deps.append((target, part.source, path.pos))

    # Topological order (dependencies first), visiting packages sorted by name.
    order: list[_Unresolved] = []
    state: dict[PackageName, int] = {}

    def visit(up: _Unresolved) -> None:
        st = state.get(up.name)
        if st == 2:
            return
        state[up.name] = 1
        for dep, src, pos in up.deps:
            if state.get(dep) == 1:
                raise src.error(pos, f"package `{up.name}` depends on itself through "
                                     f"`{dep}` (cycle between packages)")
            visit(unresolved[dep])
        state[up.name] = 2
        order.append(up)

    for name in sorted(names, key=lambda n: (n.namespace, n.name, semver_key(n.version))):
        visit(unresolved[name])

    resolve = Resolve()
    ctx = _Context(resolve, unresolved, frozenset(features), all_features)
    for up in order:
        pkg = _PackageResolver(ctx, up).run()
        resolve.packages[up.name] = pkg
    assert main_name is not None
    resolve.main = resolve.packages[main_name]
    return resolve


@dataclass(eq=False)
class _Context:
    resolve: Resolve
    unresolved: dict[PackageName, _Unresolved]
    features: frozenset[str]
    all_features: bool
    resolvers: dict[PackageName, "_PackageResolver"] = field(default_factory=dict)

    def enabled(self, stab: Stability) -> bool:
        f = stab.unstable_feature
        return f is None or self.all_features or f in self.features


_Scope = dict[str, TypeDef]
_Owner = Union[Interface, World]


class _PackageResolver:
    """Resolves one package: interfaces on demand (so ``use`` order inside the package
    does not matter), then worlds."""

    def __init__(self, ctx: _Context, up: _Unresolved) -> None:
        self.ctx = ctx
        self.up = up
        ctx.resolvers[up.name] = self
        docs = next((p.docs for p in up.parts if p.docs), ())
        self.pkg = Package(up.name, docs=docs_text(docs))
        up.model = self.pkg
        self.iface_ast: dict[str, InterfaceAst] = {}
        self.world_ast: dict[str, WorldAst] = {}
        self.gated: dict[str, str] = {}  # name -> feature, for interfaces/worlds left out
        self.aliases: dict[str, tuple[TopUseAst, Source]] = {}
        self.iface_state: dict[str, int] = {}
        self.world_state: dict[str, int] = {}
        self.gated_types: dict[int, dict[str, str]] = {}  # id(owner) -> name -> feature
        self._declared: dict[str, str] = {}  # package-level names -> what they are
        for part in up.parts:
            for ia in part.interfaces:
                self._declare(ia.name or "", ia.pos, part.source, "interface")
                if not self.enabled(ia.stability, part.source, ia.pos):
                    self.gated[ia.name or ""] = ia.stability.unstable_feature or ""
                    continue
                self.iface_ast[ia.name or ""] = ia
                self.pkg.interfaces[ia.name or ""] = Interface(
                    ia.name, self.pkg, docs=docs_text(ia.docs), stability=ia.stability)
            for wa in part.worlds:
                self._declare(wa.name, wa.pos, part.source, "world")
                if not self.enabled(wa.stability, part.source, wa.pos):
                    self.gated[wa.name] = wa.stability.unstable_feature or ""
                    continue
                self.world_ast[wa.name] = wa
                self.pkg.worlds[wa.name] = World(wa.name, self.pkg, docs=docs_text(wa.docs))
            for u in part.uses:
                if not self.enabled(u.stability, part.source, u.pos):
                    continue
                alias = u.as_name or u.path.name
                self._declare(alias, u.pos, part.source, "use")
                self.aliases[alias] = (u, part.source)

    def enabled(self, stab: Stability, src: Source, pos: int) -> bool:
        """Whether a gated item is kept; checks ``@since`` like wit-parser (the
        package must be versioned and not older than the gate)."""
        if stab.since is not None:
            version = self.pkg.name.version
            if version is None:
                raise src.error(pos, f"package `{self.pkg.name}` has a feature gate with a "
                                     "version (@since), so the package needs a version")
            if semver_key(stab.since) > semver_key(version):
                raise src.error(pos, f"@since(version = {stab.since}) refers to an "
                                     f"unreleased version of `{self.pkg.name}`")
        return self.ctx.enabled(stab)

    def _declare(self, name: str, pos: int, src: Source, what: str) -> None:
        declared = self._declared
        if name in declared:
            raise src.error(pos, f"name `{name}` is defined more than once in package "
                                 f"`{self.pkg.name}` (already a {declared[name]})")
        declared[name] = what

    def run(self) -> Package:
        for name in list(self.pkg.interfaces):
            self.ensure_interface(name, None, 0)
        for name in list(self.pkg.worlds):
            self.ensure_world(name, None, 0)
        return self.pkg

    # --- lookups ----------------------------------------------------------------

    def ensure_interface(self, name: str, src: Source | None, pos: int) -> Interface:
        iface = self.pkg.interfaces[name]
        st = self.iface_state.get(name, 0)
        if st == 2:
            return iface
        if st == 1:
            assert src is not None
            raise src.error(pos, f"interface `{name}` depends on itself (cycle of `use`)")
        self.iface_state[name] = 1
        ia = self.iface_ast[name]
        assert ia.source is not None
        self.resolve_items(iface, ia.items, ia.source)
        self.iface_state[name] = 2
        return iface

    def ensure_world(self, name: str, src: Source | None, pos: int) -> World:
        world = self.pkg.worlds[name]
        st = self.world_state.get(name, 0)
        if st == 2:
            return world
        if st == 1:
            assert src is not None
            raise src.error(pos, f"world `{name}` includes itself (cycle of `include`)")
        self.world_state[name] = 1
        self.resolve_world(world, self.world_ast[name])
        self.world_state[name] = 2
        return world

    def _target(self, path: UsePath, src: Source) -> tuple["_PackageResolver", str]:
        """The package resolver and item name a path points at (following top-level
        ``use ... as`` aliases for local names)."""
        if path.package is None:
            if path.name in self.aliases:
                u, usrc = self.aliases[path.name]
                return self._target(u.path, usrc)
            return self, path.name
        target = match_package(path.package, self.ctx.unresolved)
        assert target is not None  # checked while ordering packages
        return self.ctx.resolvers[target], path.name

    def lookup_interface(self, path: UsePath, src: Source) -> Interface:
        """The (resolved) interface a ``use``/``import`` path names."""
        res, name = self._target(path, src)
        if name in res.pkg.interfaces:
            return res.ensure_interface(name, src, path.pos)
        if name in res.gated:
            raise src.error(path.pos, f"interface `{path}` is gated by unstable feature "
                                      f"`{res.gated[name]}` which is not enabled")
        kind = "world" if name in res.pkg.worlds else None
        known = ", ".join(res.pkg.interfaces) or "none"
        what = f"`{name}` is a world, not an interface" if kind else (
            f"interface `{name}` not found in package `{res.pkg.name}` "
            f"(interfaces: {known})")
        raise src.error(path.pos, what)

    def lookup_world(self, path: UsePath, src: Source) -> World:
        res, name = self._target(path, src)
        if name in res.pkg.worlds:
            return res.ensure_world(name, src, path.pos)
        if name in res.gated:
            raise src.error(path.pos, f"world `{path}` is gated by unstable feature "
                                      f"`{res.gated[name]}` which is not enabled")
        known = ", ".join(res.pkg.worlds) or "none"
        raise src.error(path.pos, f"world `{name}` not found in package `{res.pkg.name}` "
                                  f"(worlds: {known})")

    # --- interface and world bodies ------------------------------------------------

    def resolve_items(self, owner: _Owner, items: list[Any], src: Source) -> list[Function]:
        """Resolve ``use``, type definitions and functions of an interface (or the
        use/type part of a world). Returns the functions in declaration order (they
        are also stored in ``owner.functions`` for interfaces)."""
        ctx = self.ctx
        scope: _Scope = owner.types
        gated: dict[str, str] = {}
        self.gated_types[id(owner)] = gated
        names: set[str] = set()

        def define(name: str, pos: int) -> None:
            if name in names:
                raise src.error(pos, f"name `{name}` is defined more than once")
            names.add(name)

        # 1. `use` statements, in order
        for it in items:
            if not isinstance(it, UseAst):
                continue
            if not self.enabled(it.stability, src, it.pos):
                for n, _, a in it.names:
                    gated[a or n] = it.stability.unstable_feature or ""
                continue
            target = self.lookup_interface(it.path, src)
            for n, pos, as_name in it.names:
                orig = target.types.get(n)
                if orig is None:
                    if n in target.functions:
                        raise src.error(pos, f"cannot use function `{n}`: only types can "
                                             "be imported with `use`")
                    tg = self.ctx.resolvers[target.package.name].gated_types.get(
                        id(target), {}) if target.package else {}
                    if n in tg:
                        raise src.error(pos, f"type `{n}` of `{target.qualified_name}` is "
                                             f"gated by unstable feature `{tg[n]}` which "
                                             "is not enabled")
                    raise src.error(pos, f"type `{n}` not found in interface "
                                         f"`{target.qualified_name}`")
                local = as_name or n
                define(local, pos)
                scope[local] = TypeDef(local, Alias(orig, from_use=True), owner,
                                       stability=it.stability)

        # 2. type definitions, topologically sorted (stable by declaration order)
        defs: list[TypeDefAst] = []
        for it in items:
            if isinstance(it, TypeDefAst):
                if not self.enabled(it.stability, src, it.pos):
                    gated[it.name] = it.stability.unstable_feature or ""
                    continue
                define(it.name, it.pos)
                defs.append(it)
        index = {d.name: i for i, d in enumerate(defs)}
        remaining = [0] * len(defs)
        rdeps: list[list[int]] = [[] for _ in defs]
        for i, d in enumerate(defs):
            for n, pos in _type_deps(d):
                j = index.get(n)
                if j is None:
                    if n not in scope:
                        raise self._unknown_type(n, pos, src, gated)
                    continue
                remaining[i] += 1
                rdeps[j].append(i)
        heap = [i for i, r in enumerate(remaining) if r == 0]
        heapq.heapify(heap)
        while heap:
            i = heapq.heappop(heap)
            d = defs[i]
            scope[d.name] = self.typedef(d, owner, scope, src, gated)
            for k in rdeps[i]:
                remaining[k] -= 1
                if remaining[k] == 0:
                    heapq.heappush(heap, k)
        if len(scope) < len(names):
            for i, d in enumerate(defs):
                if remaining[i]:
                    for n, pos in _type_deps(d):
                        j = index.get(n)
                        if j is not None and remaining[j]:
                            raise src.error(pos, f"type `{n}` depends on itself "
                                                 "(recursive types are not allowed)")

        # 3. functions, in declaration order (resource functions at the resource)
        funcs: list[Function] = []
        for it in items:
            if isinstance(it, FuncAst):
                if not self.enabled(it.stability, src, it.pos):
                    continue
                define(it.name, it.pos)
                funcs.append(self.function(it, owner, scope, src, gated, None))
            elif isinstance(it, TypeDefAst) and it.kind == "resource" \
                    and self.enabled(it.stability, src, it.pos):
                res = scope[it.name]
                seen: set[str] = set()
                for fa in it.body:
                    if not self.enabled(fa.stability, src, fa.pos):
                        continue
                    key = "[constructor]" if fa.kind == "constructor" else fa.name
                    if key in seen:
                        what = "constructor" if fa.kind == "constructor" else \
                            f"function `{fa.name}`"
                        raise src.error(fa.pos, f"resource `{it.name}` has more than one "
                                                f"{what}")
                    seen.add(key)
                    funcs.append(self.function(fa, owner, scope, src, gated, res))
        if isinstance(owner, Interface):
            for f in funcs:
                owner.functions[f.name] = f
        return funcs

    def _unknown_type(self, name: str, pos: int, src: Source,
                      gated: dict[str, str]) -> WitError:
        if name in gated:
            return src.error(pos, f"type `{name}` is gated by unstable feature "
                                  f"`{gated[name]}` which is not enabled")
        hint = {"float32": " (did you mean f32?)", "float64": " (did you mean f64?)"}
        return src.error(pos, f"no type named `{name}`{hint.get(name, '')}")

    def typedef(self, d: TypeDefAst, owner: _Owner, scope: _Scope, src: Source,
                gated: dict[str, str]) -> TypeDef:
        kind: Any
        k = d.kind
        if k == "alias":
            body = d.body
            if body[0] == "name":
                target = scope.get(body[1])
                if target is None:
                    raise self._unknown_type(body[1], body[2], src, gated)
                kind = Alias(target)
            else:
                kind = Alias(self.type(body, scope, src, gated))
        elif k == "resource":
            kind = Resource()
        elif k == "record":
            kind = Record(self._members(d, "field", src, [
                Field(n, self.type(t, scope, src, gated), docs_text(md))
                for n, _, t, md in d.body]))
        elif k == "variant":
            kind = Variant(self._members(d, "case", src, [
                Case(n, None if t is None else self.type(t, scope, src, gated),
                     docs_text(md)) for n, _, t, md in d.body]))
        elif k == "enum":
            kind = Enum(self._members(d, "case", src, [EnumCase(n, docs_text(md))
                                                  for n, _, _, md in d.body]))
        else:
            kind = Flags(self._members(d, "flag", src, [FlagMember(n, docs_text(md))
                                                   for n, _, _, md in d.body]))
        return TypeDef(d.name, kind, owner, docs_text(d.docs), d.stability)

    def _members(self, d: TypeDefAst, what: str, src: Source,
                 items: list[Any]) -> list[Any]:
        seen: set[str] = set()
        for (n, pos, _, _) in d.body:
            if n in seen:
                raise src.error(pos, f"{what} `{n}` of `{d.name}` is defined "
                                              "more than once")
            seen.add(n)
        return items

    def type(self, t: TypeAst, scope: _Scope, src: Source, gated: dict[str, str]) -> Type:
        tag = t[0]
        if tag == "prim":
            return _PRIM[t[1]]
        if tag == "name":
            td = scope.get(t[1])
            if td is None:
                raise self._unknown_type(t[1], t[2], src, gated)
            d = td.dealias()
            if isinstance(d, TypeDef) and isinstance(d.kind, Resource):
                return HandleType(d, "own")
            return td
        if tag == "list":
            return ListType(self.type(t[1], scope, src, gated))
        if tag == "option":
            return OptionType(self.type(t[1], scope, src, gated))
        if tag == "result":
            return ResultType(None if t[1] is None else self.type(t[1], scope, src, gated),
                              None if t[2] is None else self.type(t[2], scope, src, gated))
        if tag == "tuple":
            return TupleType(tuple(self.type(x, scope, src, gated) for x in t[1]))
        # handle
        td = scope.get(t[2])
        if td is None:
            raise self._unknown_type(t[2], t[3], src, gated)
        d = td.dealias()
        if not (isinstance(d, TypeDef) and isinstance(d.kind, Resource)):
            raise src.error(t[3], f"`{t[2]}` is not a resource type, so it cannot be "
                                  f"used in {t[1]}<...>")
        return HandleType(d, t[1])

    def function(self, fa: FuncAst, owner: _Owner, scope: _Scope, src: Source,
                 gated: dict[str, str], res: TypeDef | None) -> Function:
        params: list[Param] = []
        seen: set[str] = set()
        if fa.kind == "method":
            assert res is not None
            params.append(Param("self", HandleType(res, "borrow")))
            seen.add("self")
        for n, pos, t in fa.params:
            if n in seen:
                raise src.error(pos, f"parameter `{n}` of `{fa.name}` is defined more "
                                     "than once")
            seen.add(n)
            params.append(Param(n, self.type(t, scope, src, gated)))
        result = None if fa.result is None else self.type(fa.result, scope, src, gated)
        if fa.kind == "constructor":
            assert res is not None
            name = f"[constructor]{res.name}"
            result = HandleType(res, "own")
        elif fa.kind == "method":
            name = f"[method]{res.name}.{fa.name}"  # type: ignore[union-attr]
        elif fa.kind == "static":
            name = f"[static]{res.name}.{fa.name}"  # type: ignore[union-attr]
        else:
            name = fa.name
        return Function(name, fa.name, fa.kind, params, result, res, owner,  # type: ignore[arg-type]
                        docs_text(fa.docs), fa.stability)

    # --- worlds -------------------------------------------------------------------

    def resolve_world(self, world: World, wa: WorldAst) -> None:
        src = wa.source
        assert src is not None
        ctx = self.ctx
        type_items = [it for it in wa.items if isinstance(it, (UseAst, TypeDefAst))]
        funcs = self.resolve_items(world, type_items, src)
        imports: dict[str, WorldItem] = {}
        exports: dict[str, WorldItem] = {}
        for name, td in world.types.items():
            imports[name] = WorldItem(name, td, td.stability)
        res_funcs = iter(funcs)
        for it in wa.items:
            if isinstance(it, TypeDefAst):
                if it.kind == "resource" and self.enabled(it.stability, src, it.pos):
                    for _ in [fa for fa in it.body if self.enabled(fa.stability, src, fa.pos)]:
                        f = next(res_funcs)
                        imports[f.name] = WorldItem(f.name, f, f.stability)
                        world.functions[f.name] = f
                continue
            if not isinstance(it, ExternAst) or not self.enabled(it.stability, src, it.pos):
                continue
            dst = imports if it.direction == "import" else exports
            if it.kind == "path":
                assert it.path is not None
                iface = self.lookup_interface(it.path, src)
                key = iface.qualified_name
                if key in dst:
                    raise src.error(it.pos, f"interface `{key}` cannot be {it.direction}ed "
                                            "more than once")
                dst[key] = WorldItem(key, iface, it.stability)
                continue
            assert it.name is not None
            if it.name in dst:
                raise src.error(it.pos, f"{it.direction} `{it.name}` conflicts with a prior "
                                        f"{it.direction} of the same name")
            if it.kind == "interface":
                assert it.iface is not None
                iface = Interface(None, self.pkg, docs=docs_text(it.docs),
                                  stability=it.stability)
                self.resolve_items(iface, it.iface.items, src)
                dst[it.name] = WorldItem(it.name, iface, it.stability)
            else:
                assert it.func is not None
                f = self.function(it.func, world, world.types, src,
                                  self.gated_types[id(world)], None)
                if it.direction == "import":
                    world.functions[f.name] = f
                dst[it.name] = WorldItem(it.name, f, it.stability)
        for it in wa.items:
            if isinstance(it, IncludeAst) and self.enabled(it.stability, src, it.pos):
                self.include(world, it, imports, exports, src)
        world.imports, world.exports = _elaborate(imports, exports, world, src, wa.pos)

    def include(self, world: World, inc: IncludeAst, imports: dict[str, WorldItem],
                exports: dict[str, WorldItem], src: Source) -> None:
        other = self.lookup_world(inc.path, src)
        renames = {n: a for n, _, a in inc.names}
        named = {wi.key for wi in other.imports + other.exports if not _iface_key(wi)}
        for n, pos, _ in inc.names:
            if n not in named:
                raise src.error(pos, f"no import or export named `{n}` in world "
                                     f"`{other.qualified_name}` (interfaces cannot be "
                                     "renamed)")
        for items, dst, what in ((other.imports, imports, "import"),
                                 (other.exports, exports, "export")):
            for wi in items:
                if _iface_key(wi):
                    dst.setdefault(wi.key, wi)
                    continue
                new = renames.get(wi.key, wi.key)
                if new in dst:
                    raise src.error(inc.pos, f"{what} `{new}` from included world "
                                             f"`{other.qualified_name}` conflicts with an "
                                             "existing item (rename it with `with`)")
                item: Any = wi.item
                if isinstance(item, Function):
                    item = Function(new if item.resource is None else item.name,
                                    item.item_name if item.resource else new, item.kind,
                                    item.params, item.result, item.resource, world,
                                    item.docs, item.stability)
                    if what == "import":
                        world.functions[item.name] = item
                elif isinstance(item, TypeDef):
                    item = TypeDef(new, item.kind, world, item.docs, item.stability)
                    world.types[new] = item
                dst[new] = WorldItem(new, item, wi.stability)


def _iface_key(wi: WorldItem) -> bool:
    it = wi.item
    return isinstance(it, Interface) and it.name is not None and wi.key == it.qualified_name


def _type_deps(d: TypeDefAst) -> list[tuple[str, int]]:
    out: list[tuple[str, int]] = []
    k = d.kind
    if k == "alias":
        _collect(d.body, out)
    elif k in ("record", "variant"):
        for _, _, t, _ in d.body:
            if t is not None:
                _collect(t, out)
    return out


def _collect(t: TypeAst, out: list[tuple[str, int]]) -> None:
    tag = t[0]
    if tag == "name":
        out.append((t[1], t[2]))
    elif tag == "handle":
        out.append((t[2], t[3]))
    elif tag in ("list", "option"):
        _collect(t[1], out)
    elif tag == "result":
        if t[1] is not None:
            _collect(t[1], out)
        if t[2] is not None:
            _collect(t[2], out)
    elif tag == "tuple":
        for x in t[1]:
            _collect(x, out)


# --- elaboration (wit-parser Resolve::elaborate_world) ------------------------------


def interface_deps(iface: Interface) -> list[Interface]:
    """Interfaces ``iface`` uses types from, in ``use`` order, without duplicates."""
    out: list[Interface] = []
    for td in iface.types.values():
        dep = _type_interface_dep(td)
        if dep is not None and dep not in out:
            out.append(dep)
    return out


def _type_interface_dep(td: TypeDef) -> Interface | None:
    k = td.kind
    if isinstance(k, Alias) and isinstance(k.target, TypeDef) \
            and k.target.owner is not td.owner and isinstance(k.target.owner, Interface):
        return k.target.owner
    return None


def _sort_key(wi: WorldItem) -> int:
    it = wi.item
    if isinstance(it, Interface):
        return 0
    if isinstance(it, TypeDef):
        return 1 if _type_interface_dep(it) is not None else 2
    return 3 if it.resource is None else 4


def _elaborate(imports: dict[str, WorldItem], exports: dict[str, WorldItem], world: World,
               src: Source, pos: int) -> tuple[list[WorldItem], list[WorldItem]]:
    new_imports: dict[str, WorldItem] = {}

    def add_import(iface: Interface, key: str, stab: Stability) -> None:
        if key in new_imports:
            return
        for dep in interface_deps(iface):
            add_import(dep, dep.qualified_name, stab)
        new_imports[key] = WorldItem(key, iface, stab)

    for wi in sorted(imports.values(), key=_sort_key):
        it = wi.item
        if isinstance(it, Interface):
            add_import(it, wi.key, wi.stability)
        elif isinstance(it, TypeDef):
            dep = _type_interface_dep(it)
            if dep is not None:
                add_import(dep, dep.qualified_name, it.stability)
            new_imports[wi.key] = wi
        else:
            new_imports[wi.key] = wi

    new_exports: dict[str, WorldItem] = {}
    export_ifaces: dict[str, WorldItem] = {}
    for wi in exports.values():
        if isinstance(wi.item, Interface):
            export_ifaces[wi.key] = wi
        else:
            new_exports[wi.key] = wi
    required: set[int] = set()

    def add_export(wi: WorldItem, is_export: bool) -> bool:
        key = wi.key
        if key in new_exports:
            return is_export
        iface = wi.item
        assert isinstance(iface, Interface)
        if not is_export and id(iface) in required:
            return True
        for dep in interface_deps(iface):
            dkey = dep.qualified_name
            ok = add_export(WorldItem(dkey, dep, wi.stability),
                            is_export and dkey in export_ifaces)
            if not ok:
                return False
        if is_export:
            if id(iface) in required:
                return False
            new_exports[key] = wi
        else:
            required.add(id(iface))
            if key not in new_imports:
                new_imports[key] = wi
        return True

    for key, wi in export_ifaces.items():
        if not add_export(wi, True):
            raise src.error(pos, f"world `{world.name}`: export `{key}` depends on an "
                                 "interface that is both imported and exported; export "
                                 "that dependency too, or stop exporting it")
    out_imports = sorted(new_imports.values(), key=_sort_key)
    return out_imports, list(new_exports.values())


# --- world selection ------------------------------------------------------------------


def select_world(resolve: Resolve, name: str | None = None) -> World:
    """Implementation of :meth:`Resolve.world` (``componentize-py -w`` semantics)."""
    main = resolve.main
    if name is None:
        if main is None:
            raise WitError("no main package loaded")
        if len(main.worlds) != 1:
            listed = ", ".join(main.worlds) or "none"
            raise WitError(f"package `{main.name}` has {len(main.worlds)} worlds "
                           f"({listed}); pass a world name")
        return next(iter(main.worlds.values()))
    m = re.fullmatch(r"([^:/@]+):([^:/@]+)/([^:/@]+)(?:@(.+))?", name)
    if m is None:
        if main is None:
            raise WitError("no main package loaded")
        if name not in main.worlds:
            raise WitError(f"world `{name}` not found in package `{main.name}` (worlds: "
                           f"{', '.join(main.worlds) or 'none'})")
        return main.worlds[name]
    ns, pkg_name, world_name, version = m.groups()
    target = match_package(PackageName(ns, pkg_name, version), resolve.packages)
    if target is None:
        raise WitError(f"unknown package `{PackageName(ns, pkg_name, version)}`")
    pkg = resolve.packages[target]
    if world_name not in pkg.worlds:
        raise WitError(f"world `{world_name}` not found in package `{pkg.name}` (worlds: "
                       f"{', '.join(pkg.worlds) or 'none'})")
    return pkg.worlds[world_name]
