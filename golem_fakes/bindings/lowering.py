"""Generates the bodies of binding functions: the call into the seam, per WIT function.

The CONTRACT between codegen (naming/codegen/importer) and the runtime seam:

* ``emit_function_body(fn, interface_id, py_param_names, namer) -> list[str]``
* ``emit_module_footer(functions, namer, resources=None) -> list[str]``
* ``emit_resource_exit(resource, interface_id) -> list[str]``
* ``RUNTIME_IMPORT`` — the import line below.

Every generated module that has imported functions or resources gets, right after the
componentize-py preamble and its relative imports, the line

    from golem_fakes.bindings import runtime as _golem_rt

and, at its very end, the lines of :func:`emit_module_footer` (which begin with a
``from builtins import … as _golem_…`` line: bodies never rely on builtin names, which
generated functions such as ``def bytes(...)`` or parameters such as ``len`` shadow).
Generated private names all start with ``_golem_`` (the parity test ignores them;
``from m import *`` does not export them). Bodies use the module's own
``Ok``/``Err``/``Some`` (imported by the preamble, exactly like componentize-py's real
bodies do); the footer evaluates ``TypeNamer`` expressions once (classes of resources
and named types), so codegen may add private imports while emitting it.

What a generated body does — straight-line code specialised for the function, no walk
over type trees at call time (componentize-py 0.19–0.25.1 semantics, see
``componentize-py.md`` §3 and §6):

1. ``_golem_e = _golem_cur()`` — the current environment (``ContextVar.get``).
2. Lower every argument in place, in order, inside one ``try``: scalars inline with a
   ``type(x) is int``-style fast path (a slow-path helper in
   :mod:`~golem_fakes.bindings.runtime` accepts ``True``/``IntEnum``, raises the
   exact Python error otherwise); compound values through ``_golem_lower_*`` helpers
   emitted in the footer, one per named type. Any error becomes a ``Trap`` naming the
   interface, function, parameter, WIT type, path and value.
3. ``_golem_b = _golem_e.bindings[_golem_S_…]`` (dict hit; ``NotFaked`` /
   ``NoEnvironment`` on a miss), ``_golem_b.count += 1``, ``_golem_b.impl(_golem_b.env,
   *args)`` (``_golem_e`` may be a worker instance's view of the environment, with its
   own handle table; the behaviour always gets the environment itself).
4. Lift the return value (strict checks: a wrong value raises ``FakeBug``); an
   outermost ``result`` returns the ok value or raises ``Err(e)`` of the module's class.
   Named types go through ``_golem_lift_*`` footer helpers, except a small record of
   primitives (``wall-clock``'s ``datetime``), whose helper body is written out in
   place (``_Gen._lift_record_inline``: the same checks and messages, one call frame
   fewer on the clocks' hot path).

Values behaviours may return (lifting):
  ints (not bool) in range; ``bool``; float/int for f32/f64 (f32 rounded); ``str``;
  ``bytes``/``bytearray``/``memoryview`` for ``list<u8>``; list or tuple for
  ``list<T>``; a tuple of the right length; ``None`` or the value for ``option``,
  ``None``/``Some(v)`` for nested options; ``Ok``/``Err`` for ``result``; a record as
  any object with the field attributes or a ``dict`` of Python field names; a
  variant as a case-class instance, ``(case, payload)`` or ``case``; an enum as a
  member or its name (WIT or Python spelling); flags as a Flag, an object with an
  int ``.value`` or an iterable of names; a resource as its *rep*.
"""

from __future__ import annotations

import hashlib
from typing import Protocol

from golem_fakes.bindings import naming
from golem_fakes.wit.model import (
    INT_RANGES,
    Case,
    Enum,
    Flags,
    Function,
    HandleType,
    ListType,
    OptionType,
    Primitive,
    Record,
    Resource,
    ResultType,
    TupleType,
    Type,
    TypeDef,
    Variant,
)

__all__ = [
    "TypeNamer",
    "emit_function_body",
    "emit_module_footer",
    "emit_resource_exit",
    "wit_type_str",
    "site_name",
    "RUNTIME_IMPORT",
]

#: The import line every module with functions or resources needs (after the preamble).
RUNTIME_IMPORT = "from golem_fakes.bindings import runtime as _golem_rt"


class TypeNamer(Protocol):
    def class_expr(self, typedef: TypeDef) -> str:
        """Expression naming the class generated for a record / enum / flags / resource
        (``typedef`` is never an alias)."""

    def case_class_expr(self, typedef: TypeDef, case: Case) -> str:
        """Expression naming the dataclass generated for one case of a variant."""


# --- names -------------------------------------------------------------------------


def _py(name: str) -> str:
    """componentize-py's Python identifier for a WIT field/function/param name."""
    return naming.escape(naming.snake(name))


def _hash(text: str) -> str:
    return hashlib.sha1(text.encode()).hexdigest()[:8]


def _owner_id(td: TypeDef) -> str:
    owner = td.owner
    return getattr(owner, "qualified_name", None) or "<anonymous>"


def site_name(fn: Function) -> str:
    """The module-level name of ``fn``'s :class:`~golem_fakes.bindings.runtime.Site`."""
    name = fn.name
    for prefix, tag in (("[constructor]", "c_"), ("[method]", "m_"), ("[static]", "s_")):
        if name.startswith(prefix):
            name = tag + name[len(prefix):]
            break
    else:
        name = "f_" + name
    return "_golem_S_" + name.replace("%", "").replace("-", "_").replace(".", "__")


def _resource_name(td: TypeDef) -> str:
    return f"_golem_R_{naming.snake(td.name)}_{_hash(_owner_id(td) + '#' + td.name)}"


#: Records of at most this many primitive fields are lifted inline (no helper call).
_INLINE_RECORD_FIELDS = 4


def _inline_record(td: TypeDef) -> bool:
    """Whether :meth:`_Gen.lift` writes ``td``'s lifting out inline: a record of 1 to
    :data:`_INLINE_RECORD_FIELDS` fields, each a primitive (no nested helpers)."""
    k = td.kind
    return (isinstance(k, Record) and 0 < len(k.fields) <= _INLINE_RECORD_FIELDS
            and all(isinstance(_resolve(f.type), Primitive) for f in k.fields))


def _class_name(resource_site_name: str) -> str:
    return "_golem_C_" + resource_site_name[len("_golem_R_"):]


def _type_key(td: TypeDef) -> str:
    return f"{naming.snake(td.name)}_{_hash(_owner_id(td) + '#' + td.name)}"


def _resolve(t: Type) -> Type:
    """Follow aliases; a bare resource TypeDef means an owned handle."""
    if isinstance(t, TypeDef):
        t = t.dealias()
        if isinstance(t, TypeDef) and isinstance(t.kind, Resource):
            return HandleType(t, "own")
    return t


def wit_type_str(t: Type | None) -> str:
    """WIT spelling of a type, for messages."""
    if t is None:
        return "nothing"
    if isinstance(t, Primitive):
        return t.name
    if isinstance(t, ListType):
        return f"list<{wit_type_str(t.element)}>"
    if isinstance(t, OptionType):
        return f"option<{wit_type_str(t.inner)}>"
    if isinstance(t, ResultType):
        if t.ok is None and t.err is None:
            return "result"
        if t.err is None:
            return f"result<{wit_type_str(t.ok)}>"
        ok = "_" if t.ok is None else wit_type_str(t.ok)
        return f"result<{ok}, {wit_type_str(t.err)}>"
    if isinstance(t, TupleType):
        return f"tuple<{', '.join(wit_type_str(x) for x in t.types)}>"
    if isinstance(t, HandleType):
        return f"borrow<{t.resource.name}>" if t.kind == "borrow" else t.resource.name
    if isinstance(t, TypeDef):
        return t.name
    return repr(t)


def _is_nested_option(t: OptionType) -> bool:
    return isinstance(_resolve(t.inner), OptionType)


# --- the code generator ---------------------------------------------------------------


class _Gen:
    """Emits lowering/lifting code. Collects the named types and resources the code
    refers to, so the footer can define their helpers."""

    #: lift small records inline (:meth:`_lift_record_inline`); a generator whose
    #: module does not emit :func:`emit_module_footer`'s ``_golem_RC_*`` bindings keeps
    #: the helpers
    inline_records = True

    def __init__(self, namer: TypeNamer) -> None:
        self.namer = namer
        self.n = 0
        self.lower_types: dict[str, TypeDef] = {}
        self.lift_types: dict[str, TypeDef] = {}
        self.resources: dict[str, TypeDef] = {}
        #: the record classes lifted inline (``_golem_RC_<key>``, bound in the footer)
        self.record_classes: dict[str, TypeDef] = {}

    def fresh(self, stem: str) -> str:
        self.n += 1
        return f"_golem_{stem}{self.n}"

    # lowering: validate + convert the value in variable ``v`` in place ----------------

    def lower(self, t: Type, v: str, out: list[str], ind: str) -> None:
        t = _resolve(t)
        if isinstance(t, Primitive):
            self._lower_prim(t.name, v, out, ind)
        elif isinstance(t, ListType):
            el = _resolve(t.element)
            if isinstance(el, Primitive) and el.name == "u8":
                out.append(f"{ind}if _golem_type({v}) is not _golem_bytes: {v} = _golem_rt.lower_bytes({v})")
                return
            acc, k, x, err = self.fresh("l"), self.fresh("k"), self.fresh("x"), self.fresh("x")
            out.append(f"{ind}if _golem_type({v}) is not _golem_list: {v} = _golem_rt.as_list({v})")
            out.append(f"{ind}{acc} = []")
            out.append(f"{ind}for {k}, {x} in _golem_enumerate({v}):")
            out.append(f"{ind}    try:")
            self.lower(el, x, out, ind + "        ")
            out.append(f"{ind}    except _golem_Exception as {err}:")
            out.append(f"{ind}        raise _golem_rt.at({err}, {k}, {wit_type_str(el)!r}, {x}) from None")
            out.append(f"{ind}    {acc}.append({x})")
            out.append(f"{ind}{v} = {acc}")
        elif isinstance(t, OptionType):
            if _is_nested_option(t):
                p, err = self.fresh("o"), self.fresh("x")
                out.append(f"{ind}if {v} is not None:")
                out.append(f"{ind}    {p} = {v}.value")
                out.append(f"{ind}    try:")
                self.lower(t.inner, p, out, ind + "        ")
                out.append(f"{ind}    except _golem_Exception as {err}:")
                out.append(f"{ind}        raise _golem_rt.at({err}, '.value', {wit_type_str(t.inner)!r}, {p}) from None")
                out.append(f"{ind}    {v} = _golem_rt.Some({p})")
            else:
                body: list[str] = []
                self.lower(t.inner, v, body, ind + "    ")
                if body:
                    out.append(f"{ind}if {v} is not None:")
                    out.extend(body)
        elif isinstance(t, ResultType):
            out.append(f"{ind}if _golem_type({v}) is Ok:")
            self._lower_result_side(t.ok, v, "Ok", out, ind + "    ")
            out.append(f"{ind}elif _golem_type({v}) is Err:")
            self._lower_result_side(t.err, v, "Err", out, ind + "    ")
            out.append(f"{ind}else:")
            out.append(f"{ind}    raise _golem_rt.unreachable()")
        elif isinstance(t, TupleType):
            n = len(t.types)
            out.append(f"{ind}if _golem_type({v}) is not _golem_tuple or _golem_len({v}) != {n}: {v} = _golem_rt.as_tuple({v}, {n})")
            parts = []
            for i, et in enumerate(t.types):
                x, err = self.fresh("t"), self.fresh("x")
                out.append(f"{ind}{x} = {v}[{i}]")
                out.append(f"{ind}try:")
                body = []
                self.lower(et, x, body, ind + "    ")
                out.extend(body or [f"{ind}    pass"])
                out.append(f"{ind}except _golem_Exception as {err}:")
                out.append(f"{ind}    raise _golem_rt.at({err}, {i}, {wit_type_str(et)!r}, {x}) from None")
                parts.append(x)
            # a plain tuple whose elements lifted to themselves is kept (immutable: the
            # same value without a second tuple); a subclass or a changed element is
            # rebuilt as a plain tuple
            same = " or ".join(f"{x} is not {v}[{i}]" for i, x in enumerate(parts))
            out.append(f"{ind}if _golem_type({v}) is not _golem_tuple or {same}: "
                       f"{v} = ({', '.join(parts)}{',' if n == 1 else ''})")
        elif isinstance(t, HandleType):
            r = self._resource(t.resource)
            if t.kind == "borrow":
                # inline fast path of runtime.borrow (which re-checks and explains)
                h = self.fresh("h")
                out.append(f"{ind}{h} = _golem_e.handles.get({v}.handle)")
                # (the table row is the object's finalizer; a missing row is None,
                # never an object's finalizer; rsite is shared per resource type)
                out.append(f"{ind}if {h} is not {v}.finalizer or {h}.rsite is not {r}: "
                           f"{v} = _golem_rt.borrow(_golem_e, {v}, {r})")
                out.append(f"{ind}else: {v} = {h}.rep")
            else:
                out.append(f"{ind}{v} = _golem_rt.own(_golem_e, {v}, {r})")
        elif isinstance(t, TypeDef):
            key = _type_key(t)
            self.lower_types[key] = t
            out.append(f"{ind}{v} = _golem_lower_{key}({v}, _golem_e)")
        else:  # pragma: no cover
            raise TypeError(f"cannot lower {t!r}")

    def _lower_result_side(self, side: Type | None, v: str, cls: str, out: list[str], ind: str) -> None:
        if side is None:
            out.append(f"{ind}{v} = _golem_rt.{cls}(None)")
            return
        p, err = self.fresh("o"), self.fresh("x")
        out.append(f"{ind}{p} = {v}.value")
        out.append(f"{ind}try:")
        body: list[str] = []
        self.lower(side, p, body, ind + "    ")
        out.extend(body or [f"{ind}    pass"])
        out.append(f"{ind}except _golem_Exception as {err}:")
        out.append(f"{ind}    raise _golem_rt.at({err}, '.value', {wit_type_str(side)!r}, {p}) from None")
        out.append(f"{ind}{v} = _golem_rt.{cls}({p})")

    def _lower_prim(self, name: str, v: str, out: list[str], ind: str) -> None:
        if name in INT_RANGES:
            lo, hi = INT_RANGES[name]
            out.append(f"{ind}if _golem_type({v}) is not _golem_int or not {lo} <= {v} <= {hi}: "
                       f"{v} = _golem_rt.lower_int({v}, {lo}, {hi})")
        elif name == "bool":
            out.append(f"{ind}if _golem_type({v}) is not _golem_bool: {v} = _golem_rt.lower_bool({v})")
        elif name == "f64":
            out.append(f"{ind}if _golem_type({v}) is not _golem_float: {v} = _golem_rt.lower_f64({v})")
        elif name == "f32":
            out.append(f"{ind}{v} = _golem_rt.lower_f32({v})")
        elif name == "char":
            out.append(f"{ind}if _golem_type({v}) is not _golem_str or _golem_len({v}) != 1 or '\\ud800' <= {v} <= '\\udfff': "
                       f"{v} = _golem_rt.lower_char({v})")
        elif name == "string":
            out.append(f"{ind}if _golem_type({v}) is not _golem_str or not {v}.isascii(): {v} = _golem_rt.lower_string({v})")
        else:  # pragma: no cover
            raise ValueError(f"unknown primitive {name}")

    # lifting: check + convert a behaviour's value in ``v`` in place -------------------

    def lift(self, t: Type, v: str, out: list[str], ind: str) -> None:
        t = _resolve(t)
        if isinstance(t, Primitive):
            name = t.name
            if name in INT_RANGES:
                lo, hi = INT_RANGES[name]
                out.append(f"{ind}if _golem_type({v}) is not _golem_int or not {lo} <= {v} <= {hi}: "
                           f"{v} = _golem_rt.lift_int({v}, {lo}, {hi}, {name!r})")
            elif name == "bool":
                out.append(f"{ind}if _golem_type({v}) is not _golem_bool: {v} = _golem_rt.lift_bool({v})")
            elif name == "f64":
                out.append(f"{ind}if _golem_type({v}) is not _golem_float: {v} = _golem_rt.lift_f64({v})")
            elif name == "f32":
                out.append(f"{ind}{v} = _golem_rt.lift_f32({v})")
            elif name == "char":
                out.append(f"{ind}if _golem_type({v}) is not _golem_str or _golem_len({v}) != 1 or '\\ud800' <= {v} <= '\\udfff': "
                           f"{v} = _golem_rt.lift_char({v})")
            elif name == "string":
                out.append(f"{ind}if _golem_type({v}) is not _golem_str or not {v}.isascii(): {v} = _golem_rt.lift_string({v})")
            else:  # pragma: no cover
                raise ValueError(name)
        elif isinstance(t, ListType):
            el = _resolve(t.element)
            if isinstance(el, Primitive) and el.name == "u8":
                out.append(f"{ind}if _golem_type({v}) is not _golem_bytes: {v} = _golem_rt.lift_bytes({v})")
                return
            acc, k, x, err = self.fresh("l"), self.fresh("k"), self.fresh("x"), self.fresh("x")
            out.append(f"{ind}if _golem_type({v}) is not _golem_list: {v} = _golem_rt.lift_list({v})")
            out.append(f"{ind}{acc} = []")
            out.append(f"{ind}for {k}, {x} in _golem_enumerate({v}):")
            out.append(f"{ind}    try:")
            self.lift(el, x, out, ind + "        ")
            out.append(f"{ind}    except _golem_Exception as {err}:")
            out.append(f"{ind}        raise _golem_rt.at({err}, {k}, {wit_type_str(el)!r}, {x}) from None")
            out.append(f"{ind}    {acc}.append({x})")
            out.append(f"{ind}{v} = {acc}")
        elif isinstance(t, OptionType):
            if _is_nested_option(t):
                p, err = self.fresh("o"), self.fresh("x")
                out.append(f"{ind}if {v} is not None:")
                out.append(f"{ind}    {p} = _golem_rt.some_value({v})")
                out.append(f"{ind}    try:")
                self.lift(t.inner, p, out, ind + "        ")
                out.append(f"{ind}    except _golem_Exception as {err}:")
                out.append(f"{ind}        raise _golem_rt.at({err}, '.value', {wit_type_str(t.inner)!r}, {p}) from None")
                out.append(f"{ind}    {v} = Some({p})")
            else:
                body: list[str] = []
                self.lift(t.inner, v, body, ind + "    ")
                out.append(f"{ind}if {v} is not None:")
                out.extend(body)
        elif isinstance(t, ResultType):
            ok, p = self.fresh("ok"), self.fresh("o")
            out.append(f"{ind}{ok}, {p} = _golem_rt.split_result({v})")
            out.append(f"{ind}if {ok}:")
            self._lift_result_side(t.ok, p, out, ind + "    ")
            out.append(f"{ind}    {v} = Ok({p})")
            out.append(f"{ind}else:")
            self._lift_result_side(t.err, p, out, ind + "    ")
            out.append(f"{ind}    {v} = Err({p})")
        elif isinstance(t, TupleType):
            n = len(t.types)
            out.append(f"{ind}if _golem_type({v}) is not _golem_tuple or _golem_len({v}) != {n}: {v} = _golem_rt.lift_tuple({v}, {n})")
            parts = []
            for i, et in enumerate(t.types):
                x, err = self.fresh("t"), self.fresh("x")
                out.append(f"{ind}{x} = {v}[{i}]")
                out.append(f"{ind}try:")
                self.lift(et, x, out, ind + "    ")
                out.append(f"{ind}except _golem_Exception as {err}:")
                out.append(f"{ind}    raise _golem_rt.at({err}, {i}, {wit_type_str(et)!r}, {x}) from None")
                parts.append(x)
            # a plain tuple whose elements lifted to themselves is kept (immutable: the
            # same value without a second tuple); a subclass or a changed element is
            # rebuilt as a plain tuple
            same = " or ".join(f"{x} is not {v}[{i}]" for i, x in enumerate(parts))
            out.append(f"{ind}if _golem_type({v}) is not _golem_tuple or {same}: "
                       f"{v} = ({', '.join(parts)}{',' if n == 1 else ''})")
        elif isinstance(t, HandleType):
            r = self._resource(t.resource)
            # runtime.wrap written out (every returned resource takes this path; one
            # call frame and the class's ``__new__`` lookup fewer): a new instance of
            # the class (bound in the footer: a parameter could shadow a module name)
            # built without ``__init__``, its ResourceFinalizer (also its row in the
            # handle table), ``handle`` then ``finalizer`` set in wrap's order
            w, n, h = self.fresh("w"), self.fresh("n"), self.fresh("h")
            out.append(f"{ind}{w} = _golem_new({_class_name(r)})")
            out.append(f"{ind}{n} = _golem_RF({w}, _golem_collected)")
            out.append(f"{ind}{n}.rep = {v}")
            out.append(f"{ind}{n}.rsite = {r}")
            out.append(f"{ind}{n}.env = _golem_e")
            out.append(f"{ind}{n}.handle = {w}.handle = {h} = _golem_next(_golem_e.handle_ids)")
            out.append(f"{ind}_golem_e.handles[{h}] = {w}.finalizer = {n}")
            out.append(f"{ind}{v} = {w}")
        elif isinstance(t, TypeDef):
            key = _type_key(t)
            if self.inline_records and _inline_record(t):
                self._lift_record_inline(key, t, v, out, ind)
                return
            self.lift_types[key] = t
            out.append(f"{ind}{v} = _golem_lift_{key}({v}, _golem_e)")
        else:  # pragma: no cover
            raise TypeError(f"cannot lift {t!r}")

    def _lift_record_inline(self, key: str, td: TypeDef, v: str, out: list[str],
                            ind: str) -> None:
        """:meth:`lift_helper`'s record body written out where the record is lifted
        (a small record of primitives, e.g. ``wall-clock.now``'s ``datetime``): the same
        checks, conversions and error paths without a helper's call frame. The class
        is bound in the footer (``_golem_RC_<key>``: a parameter cannot shadow it)."""
        k = td.kind
        assert isinstance(k, Record)
        self.record_classes[key] = td
        o = self.fresh("r")
        self._record_lift(v, k, [self.fresh("f") for _ in k.fields], f"_golem_RC_{key}", o,
                          out, ind)
        out.append(f"{ind}{v} = {o}")

    def _record_lift(self, v: str, k: Record, names: list[str], cls: str, target: str,
                     out: list[str], ind: str) -> None:
        """The lifting of a record value ``v`` with at least one field into a new
        ``cls`` object in ``target``, its fields read into ``names``: a dict (what
        behaviours return) read inline; anything else, or a missing key, through
        ``runtime.fields`` (which explains a mismatch); each field lifted with its path
        in the error; then the dataclass's ``__init__`` written out (it only sets the
        fields, in order: no Python frame for it). Shared by :meth:`lift_helper` and
        :meth:`_lift_record_inline`."""
        pys = tuple(_py(f.name) for f in k.fields)
        slow = f"{', '.join(names)}, = _golem_rt.fields({v}, {pys!r})"
        out.append(f"{ind}if _golem_type({v}) is _golem_dict:")
        out.append(f"{ind}    try:")
        for nm, py in zip(names, pys):
            out.append(f"{ind}        {nm} = {v}[{py!r}]")
        out.append(f"{ind}    except _golem_KeyError:")
        out.append(f"{ind}        {slow}")
        out.append(f"{ind}else:")
        out.append(f"{ind}    {slow}")
        for i, f in enumerate(k.fields):
            err = self.fresh("x")
            out.append(f"{ind}try:")
            self.lift(f.type, names[i], out, ind + "    ")
            out.append(f"{ind}except _golem_Exception as {err}:")
            out.append(f"{ind}    raise _golem_rt.at({err}, '.{pys[i]}', {wit_type_str(f.type)!r}, "
                       f"{names[i]}) from None")
        out.append(f"{ind}{target} = _golem_new({cls})")
        for nm, py in zip(names, pys):
            out.append(f"{ind}{target}.{py} = {nm}")

    def _lift_result_side(self, side: Type | None, p: str, out: list[str], ind: str) -> None:
        if side is None:
            out.append(f"{ind}if {p} is not None: raise _golem_rt.Mismatch('the payload of this result side must be None, got %r' % ({p},))")
            return
        err = self.fresh("x")
        out.append(f"{ind}try:")
        self.lift(side, p, out, ind + "    ")
        out.append(f"{ind}except _golem_Exception as {err}:")
        out.append(f"{ind}    raise _golem_rt.at({err}, '.value', {wit_type_str(side)!r}, {p}) from None")

    def _resource(self, td: TypeDef) -> str:
        name = _resource_name(td)
        self.resources[name] = td
        return name

    # helpers for named types (footer) -------------------------------------------------

    def lower_helper(self, key: str, td: TypeDef) -> list[str]:
        k = td.kind
        out = [f"def _golem_lower_{key}(_golem_v, _golem_e):"]
        if isinstance(k, Record):
            names = []
            for i, f in enumerate(k.fields):
                var = f"_golem_f{i}"
                names.append(var)
                py = _py(f.name)
                out.append(f"    {var} = _golem_v.{py}")
                body: list[str] = []
                self.lower(f.type, var, body, "        ")
                if body:
                    err = self.fresh("x")
                    out.append("    try:")
                    out.extend(body)
                    out.append(f"    except _golem_Exception as {err}:")
                    out.append(f"        raise _golem_rt.at({err}, '.{py}', {wit_type_str(f.type)!r}, {var}) from None")
            out.append(f"    return {self.namer.class_expr(td)}({', '.join(names)})")
        elif isinstance(k, Variant):
            out.append(f"    _golem_c = _golem_VL_{key}[_golem_type(_golem_v)]")
            for i, case in enumerate(k.cases):
                cls = self.namer.case_class_expr(td, case)
                out.append(f"    if _golem_c == {i}:")
                if case.type is None:
                    out.append(f"        return {cls}()")
                else:
                    err = self.fresh("x")
                    out.append("        _golem_p = _golem_v.value")
                    out.append("        try:")
                    body: list[str] = []
                    self.lower(case.type, "_golem_p", body, "            ")
                    out.extend(body or ["            pass"])
                    out.append(f"        except _golem_Exception as {err}:")
                    out.append(f"            raise _golem_rt.at({err}, '.value', {wit_type_str(case.type)!r}, _golem_p) from None")
                    out.append(f"        return {cls}(_golem_p)")
            out.append("    raise _golem_rt.unreachable()")
        elif isinstance(k, Enum):
            out.append(f"    return _golem_rt.lower_enum(_golem_v, _golem_EM_{key})")
        elif isinstance(k, Flags):
            out.append(f"    return _golem_rt.lower_flags(_golem_v, {self.namer.class_expr(td)}, {len(k.flags)})")
        else:  # pragma: no cover
            raise TypeError(f"no lowering helper for {td!r}")
        return out

    def lift_helper(self, key: str, td: TypeDef) -> list[str]:
        k = td.kind
        out = [f"def _golem_lift_{key}(_golem_v, _golem_e):"]
        if isinstance(k, Record):
            if k.fields:
                names = [f"_golem_f{i}" for i in range(len(k.fields))]
                self._record_lift("_golem_v", k, names, self.namer.class_expr(td), "_golem_o",
                                  out, "    ")
                out.append("    return _golem_o")
            else:
                out.append(f"    return {self.namer.class_expr(td)}()")
        elif isinstance(k, Variant):
            out.append(f"    _golem_c, _golem_p = _golem_rt.variant_case(_golem_v, _golem_VT_{key})")
            for i, case in enumerate(k.cases):
                cls = self.namer.case_class_expr(td, case)
                out.append(f"    if _golem_c == {i}:")
                if case.type is None:
                    out.append(f"        return {cls}()")
                else:
                    err = self.fresh("x")
                    out.append("        try:")
                    self.lift(case.type, "_golem_p", out, "            ")
                    out.append(f"        except _golem_Exception as {err}:")
                    out.append(f"            raise _golem_rt.at({err}, '.value', {wit_type_str(case.type)!r}, _golem_p) from None")
                    out.append(f"        return {cls}(_golem_p)")
            out.append("    raise _golem_rt.unreachable()")
        elif isinstance(k, Enum):
            out.append(f"    return _golem_rt.lift_enum(_golem_v, _golem_ET_{key})")
        elif isinstance(k, Flags):
            out.append(f"    return _golem_rt.lift_flags(_golem_v, _golem_ET_{key}, {len(k.flags)})")
        else:  # pragma: no cover
            raise TypeError(f"no lifting helper for {td!r}")
        return out

    def tables(self, key: str, td: TypeDef, lower: bool) -> list[str]:
        k = td.kind
        out: list[str] = []
        if isinstance(k, Variant):
            if lower:
                items = ", ".join(f"{self.namer.case_class_expr(td, c)}: {i}" for i, c in enumerate(k.cases))
                out.append(f"_golem_VL_{key} = {{{items}}}")
            else:
                items = "".join(f"({c.name!r}, {self.namer.case_class_expr(td, c)}, {c.type is not None}), "
                                for c in k.cases)
                out.append(f"_golem_VT_{key} = _golem_rt.VariantTable(({items}))")
        elif isinstance(k, Enum):
            if lower:
                out.append(f"_golem_EM_{key} = _golem_tuple({self.namer.class_expr(td)})")
            else:
                names = tuple(c.name for c in k.cases)
                out.append(f"_golem_ET_{key} = _golem_rt.EnumTable({self.namer.class_expr(td)}, {names!r})")
        elif isinstance(k, Flags) and not lower:
            names = tuple(f.name for f in k.flags)
            out.append(f"_golem_ET_{key} = _golem_rt.EnumTable({self.namer.class_expr(td)}, {names!r})")
        return out


# --- the contract ----------------------------------------------------------------------


def _explicit_self(fn: Function) -> bool:
    """wit-parser lists a method's implicit ``self: borrow<r>`` as its first param."""
    return fn.kind == "method" and bool(fn.params) and fn.params[0].name == "self"


def _params(fn: Function, py_param_names: list[str]) -> tuple[list[str], list[Type]]:
    """Python names and WIT types of everything lowered (``self`` first for methods).
    ``py_param_names`` never include ``self``."""
    names = list(py_param_names)
    types: list[Type] = [p.type for p in fn.params]
    if fn.kind == "method":
        if not _explicit_self(fn):
            assert fn.resource is not None
            types = [HandleType(fn.resource, "borrow"), *types]
        names = ["self", *names]
    return names, types


def _body(fn: Function, interface_id: str, py_param_names: list[str], gen: _Gen) -> list[str]:
    names, types = _params(fn, py_param_names)
    if len(names) != len(types):
        raise ValueError(f"{fn!r}: {len(py_param_names)} Python names for {len(fn.params)} params")
    site = site_name(fn)
    out = ["_golem_e = _golem_cur()"]
    # the behaviour gets the binding's environment (the Golem), not ``_golem_e``, which
    # is a worker instance's view of it while an invocation runs (its own handle table)
    call_args = ["_golem_b.env"]
    lowering: list[str] = []
    for i, (name, t) in enumerate(zip(names, types)):
        var = "_golem_self" if name == "self" else name
        part: list[str] = []
        gen.lower(t, var, part, "    ")
        if var == "_golem_self":
            lowering.append("    _golem_self = self")
        if part:
            lowering.append(f"    _golem_i = {i}")
            lowering.extend(part)
        call_args.append(var)
    if lowering:
        out.append("try:")
        out.extend(lowering)
        out.append("except _golem_Exception as _golem_x:")
        arg_tuple = "(" + ", ".join(names) + ("," if len(names) == 1 else "") + ")"
        out.append(f"    raise _golem_rt.arg_trap({site}, _golem_i, {arg_tuple}, _golem_x) from None")
    out.append(f"_golem_b = _golem_e.bindings[{site}]")
    out.append("_golem_b.count += 1")
    call = f"_golem_b.impl({', '.join(call_args)})"
    res = fn.result
    rres = _resolve(res) if res is not None else None

    if fn.kind == "constructor":
        r = gen._resource(fn.resource) if fn.resource is not None else None
        if isinstance(rres, ResultType):
            out += _result_call(call, site)
            out.append("try:")
            out.append("    _golem_ok, _golem_o = _golem_rt.split_result(_golem_r)")
            out.append("    if not _golem_ok:")
            side: list[str] = []
            if rres.err is not None:
                gen.lift(rres.err, "_golem_o", side, "        ")
            else:
                side.append("        if _golem_o is not None: raise _golem_rt.Mismatch('expected Err(None)')")
            out.extend(side or ["        pass"])
            out.append("except _golem_Exception as _golem_x:")
            out.append(f"    raise _golem_rt.return_bug({site}, _golem_b.impl, _golem_r, _golem_x) from None")
            out.append("if not _golem_ok:")
            out.append("    raise Err(_golem_o)")
            out.append(f"_golem_rt.adopt(_golem_e, self, {r}, _golem_o)")
        else:
            out.append(f"_golem_rt.adopt(_golem_e, self, {r}, {call})")
        return out

    if rres is None:
        out.append(f"_golem_r = {call}")
        out.append("if _golem_r is not None:")
        out.append(f"    raise _golem_rt.return_bug({site}, _golem_b.impl, _golem_r, _golem_rt.no_result(_golem_r))")
        return out

    if isinstance(rres, ResultType):
        # Outermost result: ok value returned, error raised as the module's Err.
        out += _result_call(call, site)
        out.append("try:")
        out.append("    if _golem_type(_golem_r) is Ok:")
        out.append("        _golem_ok = True")
        out.append("        _golem_o = _golem_r.value")
        out.append("    else:")
        out.append("        _golem_ok, _golem_o = _golem_rt.split_result(_golem_r)")
        out.append("    if _golem_ok:")
        ok_lines: list[str] = []
        gen._lift_result_side(rres.ok, "_golem_o", ok_lines, "        ")
        out.extend(ok_lines)
        out.append("    else:")
        err_lines: list[str] = []
        gen._lift_result_side(rres.err, "_golem_o", err_lines, "        ")
        out.extend(err_lines)
        out.append("except _golem_Exception as _golem_x:")
        out.append(f"    raise _golem_rt.return_bug({site}, _golem_b.impl, _golem_r, _golem_x) from None")
        out.append("if _golem_ok:")
        out.append("    return _golem_o")
        out.append("raise Err(_golem_o)")
        return out

    out.append(f"_golem_r = {call}")
    lift_lines: list[str] = []
    gen.lift(rres, "_golem_r", lift_lines, "    ")
    out.append("try:")
    out.extend(lift_lines)
    out.append("except _golem_Exception as _golem_x:")
    out.append(f"    raise _golem_rt.return_bug({site}, _golem_b.impl, _golem_r, _golem_x) from None")
    out.append("return _golem_r")
    return out


def _result_call(call: str, site: str) -> list[str]:
    return [
        "try:",
        f"    _golem_r = {call}",
        "except _golem_Errs as _golem_x:",
        "    _golem_r = _golem_x",
    ]


def emit_function_body(fn: Function, interface_id: str, py_param_names: list[str],
                       namer: TypeNamer) -> list[str]:
    """Body lines (unindented, no docstring) of the generated ``def`` for ``fn``.

    ``interface_id`` is the WIT identity the behaviour registry uses:
    ``Interface.qualified_name`` (``golem:api/host@1.1.7``) or, for world-level
    functions, ``World.qualified_name``. ``py_param_names`` are the Python parameter
    names codegen chose (keyword-escaped), in WIT order, *without* the implicit
    ``self`` of a method (if the model lists ``self: borrow<r>`` as the first WIT
    param, it is skipped). For methods the instance is ``self``, for statics the class
    is ``cls`` (unused); a constructor's body sets ``self.handle`` and
    ``self.finalizer``. The body refers to module-level names defined by
    :func:`emit_module_footer` (``_golem_S_*``, ``_golem_R_*``, helpers).
    """
    names = list(py_param_names)
    if fn.kind == "method" and names and names[0] == "self":
        names = names[1:]
    return _body(fn, interface_id, names, _Gen(namer))


def _fn_where(fn: Function, namer: TypeNamer) -> str:
    if fn.resource is not None:
        cls = namer.class_expr(fn.resource)
        if fn.kind == "constructor":
            return f"{cls}.__init__"
        return f"{cls}.{_py(fn.item_name)}"
    return _py(fn.item_name)


def emit_module_footer(functions: list[tuple[Function, str]], namer: TypeNamer,
                       resources: list[tuple["TypeDef", str]] | None = None) -> list[str]:
    """Lines appended at the end of the module: ``_golem_cur``, one ``Site`` per
    function, one ``ResourceSite`` per resource the functions touch, and the
    lowering/lifting helpers of every named type they reach. ``functions`` pairs each
    function with its interface_id (the same as given to :func:`emit_function_body`).
    ``resources`` (optional) lists extra resources of the module (for modules whose
    resources have no functions)."""
    gen = _Gen(namer)
    out = [
        "",
        "# --- golem-fakes seam (generated) ---",
        "from builtins import (type as _golem_type, int as _golem_int, bool as _golem_bool,",
        "    float as _golem_float, str as _golem_str, bytes as _golem_bytes, list as _golem_list,",
        "    tuple as _golem_tuple, len as _golem_len, enumerate as _golem_enumerate,",
        "    Exception as _golem_Exception, dict as _golem_dict, KeyError as _golem_KeyError)",
        "_golem_cur = _golem_rt.current_environment.get",
        "_golem_new = object.__new__",
        "_golem_next = next",
        "_golem_RF = _golem_rt.ResourceFinalizer",
        "_golem_collected = _golem_rt._collected",
        "_golem_Errs = _golem_rt.err_types(Err)",
    ]
    sites: list[str] = []
    for fn, iface in functions:
        names = [_py(p.name) for p in fn.params[1 if _explicit_self(fn) else 0:]]
        all_names, types = _params(fn, names)
        _body(fn, iface, names, gen)  # collects the named types and resources used
        if fn.resource is not None:
            gen._resource(fn.resource)
        where = _fn_where(fn, namer)
        sites.append(
            f"{site_name(fn)} = _golem_rt.Site({iface!r}, {fn.name!r}, __name__ + {('.' + where)!r}, "
            f"{tuple(all_names)!r}, {tuple(wit_type_str(t) for t in types)!r}, "
            f"{(wit_type_str(fn.result) if fn.result is not None else None)!r})")
    for td, _iface in resources or []:
        gen._resource(td)
    out.extend(sites)
    # Helpers may reach more named types; iterate to a fixed point.
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
    for name, td in sorted(gen.resources.items()):
        cls = namer.class_expr(td)
        out.append(f"{name} = _golem_rt.resource_site({_owner_id(td)!r}, {td.name!r}, "
                   f"__name__ + {('.' + cls)!r})")
        out.append(f"{_class_name(name)} = {cls}")
    for key, td in sorted(gen.record_classes.items()):
        out.append(f"_golem_RC_{key} = {namer.class_expr(td)}")
    out.extend(tables)
    out.extend(helpers)
    return out


def emit_resource_exit(resource: TypeDef, interface_id: str) -> list[str]:
    """Body lines of the generated ``__exit__`` of an imported resource class:
    componentize-py's own (``finalizer.detach()`` then ``handle = None`` then the drop,
    returning ``None``, so exceptions propagate). After the handle was given away the
    unpacking raises ``TypeError: cannot unpack non-iterable NoneType object`` as in
    componentize-py."""
    return [
        "(_, func, args, _) = self.finalizer.detach()",
        "self.handle = None",
        "func(args[0], args[1])",
    ]
