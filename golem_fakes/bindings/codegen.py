"""Model → Python source of every module componentize-py's ``bindings`` command writes.

The text follows componentize-py's generator (``Summary::generate_code`` in
``src/summary.rs``) format string by format string, so our stubs are textually
identical to ``componentize-py bindings`` output except for

* the bodies: imported functions, constructors and ``__exit__`` call the runtime seam
  (:mod:`golem_fakes.bindings.lowering`) instead of ``raise NotImplementedError``
  (``stub=True`` keeps componentize-py's bodies, used by the tests);
* the ``from golem_fakes.bindings import runtime as _golem_rt`` line and the
  private ``_golem_*`` footer of modules with imported functions;
* the order of the relative ``from ..imports import x`` lines and of the Protocol
  classes in ``exports/__init__.py`` (componentize-py iterates Rust ``HashMap`` /
  ``HashSet``s there, so its own order changes from run to run; ours is stable);
* ``componentize_py_types.py`` / ``<pkg>/types.py``, which re-export the one set of
  ``Some``/``Ok``/``Err``/``Result`` classes of :mod:`golem_fakes.bindings.result`.

What decides names and annotations is reproduced exactly, including componentize-py's
oddities: type order (``types_sorted``) and the ``seen`` set that turns a reference to a
not-yet-emitted class into ``Any`` (or ``Self`` inside the resource itself); the
``Raises:`` docstring line (``wit_world.imports.str``, ``List[Any]``); a module only for
interfaces that declare a record/variant/enum/flags/resource or a function.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

from golem_fakes.bindings.naming import (
    Flavor, InterfaceKey, escape, interface_names, shouty, snake, upper_camel,
)
from golem_fakes.wit.model import (
    Alias, Case, Enum, Flags, Function, HandleType, Interface, ListType, OptionType,
    Primitive, Record, Resource, ResultType, TupleType, TypeDef, Variant, World,
)

__all__ = ["generate", "GeneratedBindings", "Summary"]

NOT_IMPLEMENTED = "raise NotImplementedError"
IMPORT, EXPORT = "import", "export"

_INT = {"u8", "u16", "u32", "u64", "s8", "s16", "s32", "s64"}

EXIT_SIGNATURE = (
    "def __exit__(self, exc_type: type[BaseException] | None, exc_value: BaseException "
    "| None, traceback: TracebackType | None) -> bool | None:"
)
ENTER = (
    '\n    def __enter__(self) -> Self:\n        """Returns self"""\n        return self\n'
    + " " * 32
)
RUNTIME_IMPORT = "from golem_fakes.bindings import runtime as _golem_rt"


def rust_lines(text: str) -> list[str]:
    """``str::lines`` of Rust: split on ``\\n``, drop one trailing empty line, strip a
    trailing ``\\r``."""
    parts = text.split("\n")
    if parts and parts[-1] == "":
        parts.pop()
    return [p[:-1] if p.endswith("\r") else p for p in parts]


def docstring(flavor: Flavor, docs: str | None, indent_level: int,
              error: str | None) -> str:
    """componentize-py's ``docstring()`` helper (including its trailing indent)."""
    error_docs = None if error is None else f"Raises: `{flavor.raises_prefix}.Err({error})`"
    if docs is not None and error_docs is not None:
        text: str | None = f"{docs}\n\n{error_docs}"
    elif docs is not None:
        text = docs
    else:
        text = error_docs
    if text is None:
        return ""
    if flavor.docs_lines_trimmed:
        text = "\n".join(line.strip() for line in rust_lines(text))
    indent = "    " * indent_level
    body = "".join(f"{indent}{line}\n" for line in rust_lines(text))
    return f'"""\n{body}{indent}"""\n{indent}'


def _is_option(ty: Any) -> bool:
    while isinstance(ty, TypeDef) and isinstance(ty.kind, Alias):
        ty = ty.kind.target
    return isinstance(ty, OptionType)


def _dealias(ty: Any) -> Any:
    while isinstance(ty, TypeDef) and isinstance(ty.kind, Alias):
        ty = ty.kind.target
    return ty


_NAMED = (Record, Variant, Enum, Flags, Resource)


@dataclass
class _Defs:
    """componentize-py's ``Definitions``: what goes into one module."""

    types: list[str] = field(default_factory=list)
    functions: list[str] = field(default_factory=list)
    type_imports: dict[Interface, None] = field(default_factory=dict)
    function_imports: dict[Interface, None] = field(default_factory=dict)
    docs: str | None = None
    has_docs: bool = False
    #: functions whose bodies come from the runtime seam, with their interface id
    seam_functions: list[tuple[Function, str]] = field(default_factory=list)
    #: imported resources defined in the module, with their interface id
    seam_resources: list[tuple[TypeDef, str]] = field(default_factory=list)


@dataclass
class _Fn:
    fn: Function
    direction: str
    interface: Interface | None


class _Names:
    """componentize-py's ``TypeNames``: spells annotations, records cross-module uses."""

    def __init__(self, summary: "Summary", owner: Any) -> None:
        self.summary = summary
        self.owner = owner
        self.imports: dict[Interface, None] = {}

    def type_name(self, ty: Any, seen: set[int], resource: TypeDef | None) -> str:
        if ty is None:
            return "None"
        if isinstance(ty, Primitive):
            n = ty.name
            if n == "bool":
                return "bool"
            if n in _INT:
                return "int"
            if n in ("f32", "f64"):
                return "float"
            if n in ("char", "string"):
                return "str"
            raise ValueError(f"unknown primitive {n}")
        if isinstance(ty, OptionType):
            inner = self.type_name(ty.inner, seen, resource)
            return f"Optional[Some[{inner}]]" if _is_option(ty.inner) else f"Optional[{inner}]"
        if isinstance(ty, ResultType):
            ok = self.type_name(ty.ok, seen, resource)
            err = self.type_name(ty.err, seen, resource)
            return f"Result[{ok}, {err}]"
        if isinstance(ty, ListType):
            if isinstance(ty.element, Primitive) and ty.element.name in ("u8", "s8"):
                return "bytes"
            return f"List[{self.type_name(ty.element, seen, resource)}]"
        if isinstance(ty, TupleType):
            return "Tuple[" + ", ".join(self.type_name(t, seen, resource) for t in ty.types) + "]"
        if isinstance(ty, HandleType):
            return self.type_name(ty.resource, seen, resource)
        if isinstance(ty, TypeDef):
            if isinstance(ty.kind, Alias):
                return self.type_name(ty.kind.target, seen, resource)
            if id(ty) in seen:
                prefix = ""
                if ty.owner is not self.owner and isinstance(ty.owner, Interface):
                    self.imports[ty.owner] = None
                    prefix = self.summary.interface_package(ty.owner)[1] + "."
                return prefix + escape(upper_camel(ty.name))
            return "Self" if ty is resource else "Any"
        raise TypeError(f"not a WIT type: {ty!r}")


class _NoOwner:
    """``TypeOwner::None`` (never the owner of a type)."""


class Summary:
    """componentize-py's ``Summary`` for one world: visits the world like it does,
    names interfaces, sorts types and generates every module's text."""

    def __init__(self, world: World, flavor: Flavor,
                 import_names: Mapping[str, str] | None = None,
                 export_names: Mapping[str, str] | None = None,
                 full_names: bool = False, stub: bool = False,
                 lowering: Any = None) -> None:
        self.world = world
        self.flavor = flavor
        self.stub = stub
        self.lowering = lowering
        self.functions: list[_Fn] = []
        self._types: dict[int, Any] = {}  # IndexSet<TypeId>, by identity
        self.imported: dict[Interface, InterfaceKey] = {}
        self.exported: dict[Interface, InterfaceKey] = {}
        self.inline: set[Interface] = set()
        self.resource_info: dict[int, set[str]] = {}
        self._state: str | None = None

        for direction, items in ((IMPORT, world.imports), (EXPORT, world.exports)):
            seen_keys: set[str] = set()
            for wi in items:
                if wi.key in seen_keys:
                    continue
                seen_keys.add(wi.key)
                item = wi.item
                if isinstance(item, Interface):
                    self._visit_interface(wi.key, item, direction)
                elif isinstance(item, Function):
                    self._visit_function(item, direction, None)
                elif isinstance(item, TypeDef):
                    self._visit_type(item)
        self.types: list[Any] = self._types_sorted()

        self.imported_names = self._names(self.imported, import_names, full_names)
        self.exported_names = self._names(self.exported, export_names, full_names)

    # --- visiting ------------------------------------------------------------

    def _visit_interface(self, key: str, iface: Interface, direction: str) -> None:
        if iface.name is None or iface.package is None:
            info = InterfaceKey(name=key if iface.name is None else iface.name)
            if iface.name is None:
                self.inline.add(iface)
        else:
            pn = iface.package.name
            info = InterfaceKey(iface.name, pn.namespace, pn.name, pn.version)
        self._state = direction
        for td in iface.types.values():
            self._visit_type(td)
        self._state = None
        (self.imported if direction == IMPORT else self.exported)[iface] = info
        for fn in iface.functions.values():
            self._visit_function(fn, direction, iface)

    def _visit_function(self, fn: Function, direction: str, iface: Interface | None) -> None:
        for p in fn.params:
            self._visit_type(p.type)
        if fn.result is not None:
            self._visit_type(fn.result)
        self.functions.append(_Fn(fn, direction, iface))

    def _insert(self, ty: Any) -> None:
        self._types.setdefault(id(ty), ty)

    def _visit_type(self, ty: Any) -> None:
        if ty is None or isinstance(ty, Primitive):
            return
        if isinstance(ty, OptionType):
            self._visit_type(ty.inner)
            self._insert(ty)
        elif isinstance(ty, ResultType):
            self._visit_type(ty.ok)
            self._visit_type(ty.err)
            self._insert(ty)
        elif isinstance(ty, TupleType):
            for t in ty.types:
                self._visit_type(t)
            self._insert(ty)
        elif isinstance(ty, ListType):
            self._visit_type(ty.element)
        elif isinstance(ty, HandleType):
            self._insert(ty)
        elif isinstance(ty, TypeDef):
            k = ty.kind
            if isinstance(k, Record):
                for f in k.fields:
                    self._visit_type(f.type)
                self._insert(ty)
            elif isinstance(k, Variant):
                for c in k.cases:
                    self._visit_type(c.type)
                self._insert(ty)
            elif isinstance(k, (Enum, Flags)):
                self._insert(ty)
            elif isinstance(k, Alias):
                state, self._state = self._state, None
                self._visit_type(k.target)
                self._state = state
            elif isinstance(k, Resource):
                if self._state is not None:
                    self.resource_info.setdefault(id(ty), set()).add(self._state)
                self._insert(ty)

    def _resource_functions(self, res: TypeDef, direction: str) -> Iterable[_Fn]:
        for f in self.functions:
            if f.direction == direction and f.fn.kind != "freestanding" and f.fn.resource is res:
                yield f

    def _sort(self, ty: Any, out: dict[int, Any], visited: set[int]) -> None:
        if ty is None or isinstance(ty, Primitive):
            return
        if isinstance(ty, OptionType):
            self._sort(ty.inner, out, visited)
            out.setdefault(id(ty), ty)
        elif isinstance(ty, ResultType):
            self._sort(ty.ok, out, visited)
            self._sort(ty.err, out, visited)
            out.setdefault(id(ty), ty)
        elif isinstance(ty, TupleType):
            for t in ty.types:
                self._sort(t, out, visited)
            out.setdefault(id(ty), ty)
        elif isinstance(ty, ListType):
            self._sort(ty.element, out, visited)
        elif isinstance(ty, HandleType):
            self._sort(ty.resource, out, visited)
            out.setdefault(id(ty), ty)
        elif isinstance(ty, TypeDef):
            k = ty.kind
            if isinstance(k, Record):
                for f in k.fields:
                    self._sort(f.type, out, visited)
                out.setdefault(id(ty), ty)
            elif isinstance(k, Variant):
                for c in k.cases:
                    self._sort(c.type, out, visited)
                out.setdefault(id(ty), ty)
            elif isinstance(k, (Enum, Flags)):
                out.setdefault(id(ty), ty)
            elif isinstance(k, Alias):
                self._sort(k.target, out, visited)
            elif isinstance(k, Resource):
                if id(ty) not in visited:
                    visited.add(id(ty))
                    info = self.resource_info.get(id(ty), set())
                    for direction in (IMPORT, EXPORT):
                        if direction in info:
                            for f in self._resource_functions(ty, direction):
                                for p in f.fn.params:
                                    self._sort(p.type, out, visited)
                                self._sort(f.fn.result, out, visited)
                    out.setdefault(id(ty), ty)

    def _types_sorted(self) -> list[Any]:
        out: dict[int, Any] = {}
        visited: set[int] = set()
        for ty in list(self._types.values()):
            self._sort(ty, out, visited)
        return list(out.values())

    # --- names ---------------------------------------------------------------

    @staticmethod
    def _names(interfaces: dict[Interface, InterfaceKey], overrides: Mapping[str, str] | None,
               full_names: bool) -> dict[Interface, str]:
        by_key = interface_names(interfaces.values(), overrides, full_names)
        return {iface: by_key[key] for iface, key in interfaces.items()}

    def interface_package(self, iface: Interface) -> tuple[str, str]:
        """``("imports"|"exports", module name)`` of an interface."""
        if iface in self.imported_names:
            return "imports", escape(snake(self.imported_names[iface]))
        return "exports", escape(snake(self.exported_names[iface]))

    def module_of(self, iface: Interface) -> str:
        """Dotted module name (``wit_world.imports.host``)."""
        sub, name = self.interface_package(iface)
        return f"{self.flavor.package}.{sub}.{name}"

    # --- functions -------------------------------------------------------------

    def function_name(self, fn: Function) -> str:
        if fn.kind == "constructor":
            return "__init__"
        return escape(snake(fn.item_name))

    def _wit_params(self, fn: Function) -> list[Any]:
        params = list(fn.params)
        if fn.kind == "method" and params and params[0].name == "self":
            params = params[1:]
        return params

    def function_code(self, direction: str, fn: Function, names: _Names, seen: set[int],
                      resource: TypeDef | None) -> dict[str, Any]:
        """componentize-py's ``function_code``: name, params, return type, error."""
        self_ = {"freestanding": None, "constructor": "self", "method": "self",
                 "static": "cls"}[fn.kind]
        params = self._wit_params(fn)
        py_names = [escape(snake(p.name)) for p in params]
        parts = ([self_] if self_ else []) + [
            f"{n}: {names.type_name(p.type, seen, resource)}" for n, p in zip(py_names, params)]

        error = None
        if fn.kind == "constructor" or fn.result is None:
            return_type = "None"
        elif isinstance(fn.result, ResultType):
            r = fn.result
            error = self._absolute_type_name(direction, r.err) if r.err is not None else "None"
            return_type = names.type_name(r.ok, seen, resource) if r.ok is not None else "None"
        else:
            return_type = names.type_name(fn.result, seen, resource)
        return {
            "snake": self.function_name(fn),
            "params": ", ".join(parts),
            "py_names": py_names,
            "return_type": f" -> {return_type}",
            "class_method": "\n    @classmethod" if fn.kind == "static" else "",
            "error": error,
        }

    def _absolute_type_name(self, direction: str, ty: Any) -> str:
        d = _dealias(ty)
        seen = {id(d)} if isinstance(d, TypeDef) else set()
        sub = "imports" if direction == IMPORT else "exports"
        return f"{self.flavor.package}.{sub}." + _Names(self, _NoOwner).type_name(ty, seen, None)

    # --- code generation -----------------------------------------------------

    def _body(self, fn: Function, iface_id: str, py_names: list[str], ctx: "_ModuleCtx",
              indent: str) -> str:
        if self.stub or self.lowering is None:
            return NOT_IMPLEMENTED
        lines = self.lowering.emit_function_body(fn, iface_id, py_names, ctx.namer)
        return ("\n" + indent).join(lines)

    def _exit_body(self, res: TypeDef, iface_id: str) -> str:
        if self.stub or self.lowering is None:
            return NOT_IMPLEMENTED
        return "\n        ".join(self.lowering.emit_resource_exit(res, iface_id))

    def generate(self) -> dict[str, str]:
        """Every module's source, keyed by path relative to the output directory."""
        fl = self.flavor
        iface_imports: dict[Interface, _Defs] = {}
        iface_exports: dict[Interface, _Defs] = {}
        world_imports = _Defs()
        world_exports = _Defs()
        ctxs: dict[int, _ModuleCtx] = {}

        def ctx_for(defs: _Defs, owner: Any) -> "_ModuleCtx":
            c = ctxs.get(id(defs))
            if c is None:
                c = ctxs[id(defs)] = _ModuleCtx(self, defs, owner)
            return c

        def iface_defs(iface: Interface, direction: str) -> _Defs:
            table = iface_imports if direction == IMPORT else iface_exports
            d = table.get(iface)
            if d is None:
                d = table[iface] = _Defs()
            d.docs, d.has_docs = iface.docs, True
            return d

        def world_id() -> str:
            return self.world.qualified_name

        seen: set[int] = set()
        for ty in self.types:
            if not isinstance(ty, TypeDef) or not isinstance(ty.kind, _NAMED):
                seen.add(id(ty))
                continue
            names = _Names(self, ty.owner)
            camel = escape(upper_camel(ty.name))
            k = ty.kind

            def make_class(name: str, docs: str | None, fields: list[tuple[str, Any]]) -> str:
                body = "\n    ".join(
                    f"{fname}: {names.type_name(ftype, seen, None)}" for fname, ftype in fields)
                return f"\n@dataclass\nclass {name}:\n    {docstring(fl, docs, 1, None)}{body or 'pass'}\n"

            codes: list[tuple[str, str]] = []  # (direction, code)
            if isinstance(k, Record):
                codes.append(("shared", make_class(
                    camel, ty.docs, [(escape(snake(f.name)), f.type) for f in k.fields])))
            elif isinstance(k, Variant):
                case_names = [f"{camel}_{escape(upper_camel(c.name))}" for c in k.cases]
                classes = "\n".join(
                    make_class(n, None, [("value", c.type)] if c.type is not None else [])
                    for n, c in zip(case_names, k.cases))
                codes.append(("shared", f"\n{classes}\n\n{camel} = Union[{', '.join(case_names)}]\n"
                                        f"{docstring(fl, ty.docs, 0, None)}\n"))
            elif isinstance(k, Enum):
                cases = "\n    ".join(f"{shouty(c.name)} = {i}" for i, c in enumerate(k.cases))
                codes.append(("shared", f"\nclass {camel}(Enum):\n    {docstring(fl, ty.docs, 1, None)}{cases}\n"))
            elif isinstance(k, Flags):
                flags = "\n    ".join(f"{shouty(f.name)} = auto()" for f in k.flags) or "pass"
                codes.append(("shared", f"\nclass {camel}(Flag):\n    {docstring(fl, ty.docs, 1, None)}{flags}\n"))
            elif isinstance(k, Resource):
                info = self.resource_info.get(id(ty), set())
                docs = docstring(fl, ty.docs, 1, None)
                owner = ty.owner
                if IMPORT in info:
                    ctx = ctx_for(iface_defs(owner, IMPORT), owner) if isinstance(owner, Interface) \
                        else ctx_for(world_imports, owner)
                    iface_id = owner.qualified_name if isinstance(owner, Interface) else world_id()
                    ctx.defs.seam_resources.append((ty, iface_id))
                    methods = []
                    for f in self._resource_functions(ty, IMPORT):
                        fc = self.function_code(IMPORT, f.fn, names, seen, ty)
                        fdocs = docstring(fl, f.fn.docs, 2, fc["error"])
                        body = self._body(f.fn, iface_id, fc["py_names"], ctx, "        ")
                        ctx.defs.seam_functions.append((f.fn, iface_id))
                        if f.fn.kind == "constructor":
                            methods.append(f"\n    def {fc['snake']}({fc['params']}){fc['return_type']}:\n"
                                           f"        {fdocs}{body}\n")
                        else:
                            methods.append(f"{fc['class_method']}\n    def {fc['snake']}({fc['params']})"
                                           f"{fc['return_type']}:\n        {fdocs}{body}")
                    exit_docs = '"""\n        Release this resource.\n        """\n        '
                    methods.append(f"{ENTER}\n    {EXIT_SIGNATURE}\n        {exit_docs}"
                                   f"{self._exit_body(ty, iface_id)}\n")
                    codes.append((IMPORT, f"\nclass {camel}:\n    {docs}{''.join(methods)}\n"))
                if EXPORT in info:
                    methods = []
                    for f in self._resource_functions(ty, EXPORT):
                        fc = self.function_code(EXPORT, f.fn, names, seen, ty)
                        fdocs = docstring(fl, f.fn.docs, 2, fc["error"])
                        methods.append(self._export_code(fc, fdocs))
                    codes.append((EXPORT, f"\nclass {camel}(Protocol):\n    {docs}{''.join(methods)}\n"))

            if codes and self._has_imported_and_exported_resource(ty):
                codes = [(d, c) for (_, c) in codes[:1] for d in (IMPORT, EXPORT)]

            owner = ty.owner
            for direction, code in codes:
                if isinstance(owner, Interface):
                    if direction == "shared":
                        direction = IMPORT if owner in self.imported else EXPORT
                    defs = iface_defs(owner, direction)
                else:
                    defs = world_imports if direction == IMPORT else world_exports
                    defs.docs, defs.has_docs = self.world.docs, True
                defs.types.append(code)
                defs.type_imports.update(names.imports)
            seen.add(id(ty))

        for f in self.functions:
            fn = f.fn
            if fn.kind != "freestanding":
                continue
            if f.direction == EXPORT:
                owner: Any = _NoOwner
            elif f.interface is not None:
                owner = f.interface
            else:
                owner = self.world
            names = _Names(self, owner)
            fc = self.function_code(IMPORT, fn, names, seen, None)
            if f.direction == IMPORT:
                if f.interface is not None:
                    defs = iface_defs(f.interface, IMPORT)
                    iface_id = f.interface.qualified_name
                else:
                    defs = world_imports
                    defs.docs, defs.has_docs = self.world.docs, True
                    iface_id = world_id()
                ctx = ctx_for(defs, owner)
                fdocs = docstring(fl, fn.docs, 1, fc["error"])
                body = self._body(fn, iface_id, fc["py_names"], ctx, "    ")
                defs.seam_functions.append((fn, iface_id))
                tail = "\n" if fl.freestanding_trailing_newline else ""
                defs.functions.append(f"\ndef {fc['snake']}({fc['params']}){fc['return_type']}:\n"
                                      f"    {fdocs}{body}{tail}")
                defs.function_imports.update(names.imports)
            else:
                if f.interface is not None:
                    defs = iface_defs(f.interface, EXPORT)
                else:
                    defs = world_exports
                    defs.docs, defs.has_docs = self.world.docs, True
                params = f"self, {fc['params']}" if fc["params"] else "self"
                fdocs = docstring(fl, fn.docs, 2, fc["error"])
                defs.functions.append(self._export_code(dict(fc, params=params), fdocs))
                defs.function_imports.update(names.imports)

        return self._assemble(iface_imports, iface_exports, world_imports, world_exports, ctxs)

    @staticmethod
    def _export_code(fc: dict[str, Any], docs: str) -> str:
        return (f"{fc['class_method']}\n    @abstractmethod\n    def {fc['snake']}({fc['params']})"
                f"{fc['return_type']}:\n        {docs}{NOT_IMPLEMENTED}\n")

    def _has_imported_and_exported_resource(self, ty: Any, _depth: int = 0) -> bool:
        if ty is None or isinstance(ty, Primitive) or _depth > 50:
            return False
        h = lambda t: self._has_imported_and_exported_resource(t, _depth + 1)  # noqa: E731
        if isinstance(ty, (OptionType,)):
            return h(ty.inner)
        if isinstance(ty, ListType):
            return h(ty.element)
        if isinstance(ty, ResultType):
            return h(ty.ok) or h(ty.err)
        if isinstance(ty, TupleType):
            return any(h(t) for t in ty.types)
        if isinstance(ty, HandleType):
            return h(ty.resource)
        if isinstance(ty, TypeDef):
            k = ty.kind
            if isinstance(k, Record):
                return any(h(f.type) for f in k.fields)
            if isinstance(k, Variant):
                return any(h(c.type) for c in k.cases)
            if isinstance(k, Alias):
                return h(k.target)
            if isinstance(k, Resource):
                return self.resource_info.get(id(ty), set()) >= {IMPORT, EXPORT}
        return False

    def _import_line(self, prefix: str, iface: Interface) -> str:
        module, package = self.interface_package(iface)
        return f"from {prefix}{module} import {package}"

    def _assemble(self, iface_imports: dict[Interface, _Defs], iface_exports: dict[Interface, _Defs],
                  world_imports: _Defs, world_exports: _Defs,
                  ctxs: dict[int, "_ModuleCtx"]) -> dict[str, str]:
        fl = self.flavor
        pkg = fl.package
        files: dict[str, str] = {}
        pre = fl.header

        def imports_of(defs: _Defs, sets: list[dict[Interface, None]], prefix: str,
                       seam: bool) -> str:
            ifaces: dict[Interface, None] = {}
            for s in sets:
                ifaces.update(s)
            lines = [self._import_line(prefix, i) for i in ifaces]
            ctx = ctxs.get(id(defs))
            if seam and not self.stub and self.lowering is not None and (
                    defs.seam_functions or defs.seam_resources):
                lines.append(RUNTIME_IMPORT)
                if ctx is not None:
                    for iface, alias in ctx.private_imports.items():
                        module, package = self.interface_package(iface)
                        lines.append(f"from {prefix}{module} import {package} as {alias}")
            return "\n".join(lines)

        def footer(defs: _Defs) -> str:
            if self.stub or self.lowering is None or not (defs.seam_functions or
                                                          defs.seam_resources):
                return ""
            ctx = ctxs.get(id(defs))
            namer = ctx.namer if ctx is not None else _ModuleCtx(self, defs, None).namer
            emit = self.lowering.emit_module_footer
            if "resources" in inspect.signature(emit).parameters:
                lines = emit(defs.seam_functions, namer, resources=defs.seam_resources)
            else:
                lines = emit(defs.seam_functions, namer)
            return "\n\n" + "".join(line + "\n" for line in lines) if lines else ""

        # Bodies may add private imports while the footer is emitted: footers first.
        footers = {id(d): footer(d) for d in [*iface_imports.values(), world_imports]}

        if iface_imports:
            files[f"{pkg}/imports/__init__.py"] = ""
            for iface, d in iface_imports.items():
                if iface in self.inline:
                    continue  # componentize-py writes no module for inline interfaces
                name = self.interface_package(iface)[1]
                imports = imports_of(d, [d.type_imports, d.function_imports], "..", True)
                files[f"{pkg}/imports/{name}.py"] = (
                    f"{pre}{docstring(fl, d.docs, 0, None)}{fl.python_imports}\n"
                    f"{fl.result_import(1)}\n{imports}\n{''.join(d.types)}\n"
                    f"{''.join(d.functions)}\n{footers[id(d)]}")

        if iface_exports:
            protocol_imports: dict[Interface, None] = {}
            protocols = []
            for iface, d in iface_exports.items():
                if iface in self.inline:
                    continue
                name = self.interface_package(iface)[1]
                imports = imports_of(d, [d.type_imports], "..", False)
                files[f"{pkg}/exports/{name}.py"] = (
                    f"{pre}{docstring(fl, d.docs, 0, None)}{fl.python_imports}\n"
                    f"{fl.result_import(1)}\n{imports}\n{''.join(d.types)}\n")
                camel = escape(upper_camel(self.exported_names[iface]))
                methods = "".join(d.functions) or "    pass"
                protocol_imports.update(d.function_imports)
                protocols.append(f"\nclass {camel}(Protocol):\n{methods}\n")
            imports = "\n".join(self._import_line("..", i) for i in protocol_imports)
            files[f"{pkg}/exports/__init__.py"] = (
                f"{pre}{fl.python_imports}\n{fl.result_import(1)}\n{imports}\n{''.join(protocols)}\n")

        camel = fl.world_class
        methods = "".join(world_exports.functions) or "    pass"
        protocol = f"class {camel}(Protocol):\n{methods}"
        imports = imports_of(world_imports, [world_imports.function_imports,
                                             world_exports.type_imports,
                                             world_exports.function_imports], ".", True)
        docs = docstring(fl, world_exports.docs if world_exports.has_docs else None, 0, None)
        parts = [''.join(world_exports.types), ''.join(world_imports.functions)]
        if fl.world_functions_before_types:
            parts.reverse()
        files[f"{pkg}/__init__.py"] = (
            f"{pre}{docs}{fl.python_imports}\n{fl.result_import(0)}\n{imports}\n"
            f"{parts[0]}\n{parts[1]}\n{protocol}\n{footers[id(world_imports)]}")

        files.update(result_module_files(fl))
        return files


class _ModuleCtx:
    """Per generated module: the :class:`TypeNamer` handed to the lowering."""

    def __init__(self, summary: Summary, defs: _Defs, owner: Any) -> None:
        self.summary = summary
        self.defs = defs
        self.owner = owner
        self.private_imports: dict[Interface, str] = {}
        self.namer = _Namer(self)

    def prefix(self, typedef: TypeDef) -> str:
        owner = typedef.owner
        if owner is self.owner or not isinstance(owner, Interface):
            return ""
        if owner in self.defs.type_imports or owner in self.defs.function_imports:
            return self.summary.interface_package(owner)[1] + "."
        alias = self.private_imports.get(owner)
        if alias is None:
            alias = "_golem_m_" + self.summary.interface_package(owner)[1]
            self.private_imports[owner] = alias
        return alias + "."


class _Namer:
    """:class:`golem_fakes.bindings.lowering.TypeNamer` for one module."""

    def __init__(self, ctx: _ModuleCtx) -> None:
        self._ctx = ctx

    def class_expr(self, typedef: TypeDef) -> str:
        typedef = _dealias(typedef)
        return self._ctx.prefix(typedef) + escape(upper_camel(typedef.name))

    def case_class_expr(self, typedef: TypeDef, case: Case) -> str:
        typedef = _dealias(typedef)
        return (self._ctx.prefix(typedef) + escape(upper_camel(typedef.name)) + "_"
                + escape(upper_camel(case.name)))


# --- Result / Ok / Err / Some -------------------------------------------------


def result_module_files(flavor: Flavor) -> dict[str, str]:
    """``componentize_py_types.py`` (0.19+) or ``<pkg>/types.py``: re-exports of
    :mod:`golem_fakes.bindings.result` (one set of classes per process)."""
    documented = flavor.result_docstrings
    # componentize-py's file starts with these imports (the full preamble up to 0.18).
    preamble = ("from typing import TypeVar, Generic, Union\nfrom dataclasses import dataclass\n"
                if flavor.layout == "0.19" else flavor.python_imports)
    text = (
        "# Result, Ok, Err and Some, generated by golem-fakes: the classes are shared by\n"
        "# every generated package (see golem_fakes.bindings.result).\n"
        f"{preamble}\n"
        "from golem_fakes.bindings import result as _golem_result\n"
        "from golem_fakes.bindings.result import S, T, E, Some, Ok, Err, Result\n\n"
        f"_golem_result.configure({flavor.result_module!r}, {documented!r})\n"
    )
    if flavor.layout == "0.19":
        return {"componentize_py_types.py": text}
    return {f"{flavor.package}/types.py": text}


@dataclass
class GeneratedBindings:
    """Output of :func:`generate`."""

    files: dict[str, str]
    flavor: Flavor
    #: dotted names of every generated module
    modules: list[str]
    #: True when bodies are componentize-py's ``raise NotImplementedError``
    stub_bodies: bool = False


def generate(world: World, flavor: Flavor, *, import_names: Mapping[str, str] | None = None,
             export_names: Mapping[str, str] | None = None, full_names: bool = False,
             stub: bool = False, lowering: Any = None) -> GeneratedBindings:
    """Generate the whole binding package tree for ``world``.

    ``stub=True`` gives componentize-py's own ``raise NotImplementedError`` bodies;
    ``stub=False`` takes bodies from ``lowering`` (default
    :mod:`golem_fakes.bindings.lowering`). ``full_names`` requires a flavor
    of componentize-py 0.22 or later, like the CLI flag.
    """
    if full_names and not flavor.full_names_supported:
        raise ValueError(f"full_names needs componentize-py 0.22 or later (flavor {flavor.version})")
    if not stub and lowering is None:
        from golem_fakes.bindings import lowering as lowering_mod
        lowering = lowering_mod
    summary = Summary(world, flavor, import_names, export_names, full_names, stub, lowering)
    files = summary.generate()
    modules = sorted(_module_name(p) for p in files)
    return GeneratedBindings(files=files, flavor=flavor, modules=modules, stub_bodies=stub)


def _module_name(path: str) -> str:
    p = path[:-3]
    if p.endswith("/__init__"):
        p = p[: -len("/__init__")]
    return p.replace("/", ".")

