"""``golem:rpc/types@0.2.2`` ``wit-value`` / ``wit-type`` / ``value-and-type``: Python
values of the generated bindings ↔ Golem's node lists, for any WIT type.

Golem's encoding (semantics ``golem-rpc-rdbms-semantics.md`` §2; ``wasm-rpc/src/lib.rs``
``build_wit_value`` / ``From<WitValue> for Value`` §build_tree, ``wasm-rpc/src/builder.rs``
``WitValueBuilder``, ``wasm-rpc/src/value_and_type.rs`` ``WitTypeBuilder``):

* **pre-order**: a compound node is appended before its children (its slot is
  reserved first, the child indices filled in afterwards), children left to right,
  each child's whole subtree before the next sibling; so the root is index 0 and every
  child index is greater than its parent's; one node per value (no sharing);
* records: field values in declaration order; variants: ``(case index, payload index
  or none)``; enums: the case index; flags: one bool per declared flag; ``list<u8>``:
  one ``prim-u8`` node per byte; options ``some(i)``/``none``; results ``ok(some(i))``,
  ``ok(none)`` (no ok type), ``err(...)`` likewise; primitives carry their value with
  the node kind of the declared type (no widening); handles ``handle(uri, id)``;
* ``wit-type``: the same pre-order with one node per *occurrence* of a type (Golem's
  builder has a de-duplication table it never fills: two ``string`` fields give two
  ``prim-string-type`` nodes); ``name``/``owner`` on named types (record, variant,
  enum, flags, and resource handles: the WIT name and the defining interface),
  none on anonymous and primitive nodes.

Decoding (:func:`from_wit_value`) follows indices from node 0 and accepts any acyclic
layout (Golem's decoder does too), and it is driven by the WIT type as the *target* of
an RPC decodes its parameters (``wasm-rpc/src/wasmtime.rs`` §decode_param): every node
must be exactly the kind the type wants (``prim-s32`` for a ``u32`` is an error),
variant and enum indices must exist; record / tuple node counts are not checked
(extra items are ignored, as Golem's decoder does; a missing item is an error here,
which Golem did not determine, §5); missing trailing flags mean "not set". A mismatch
raises :class:`ValueMismatch` with Golem's ``in <path> expected <type>, got <kind>``
shape; an empty list, an index out of range and a cycle raise
:class:`~golem_fakes.state.durability.Abort` (Golem panics there).

Nodes and records are accepted in the forms the generated bindings give (the
``WitNode_PrimU32(value=7)`` case classes, ``WitValue(nodes=[...])``) and in the plain
forms the bindings accept from a behaviour (``("prim-u32", 7)``, ``{"nodes": [...]}``),
and :func:`to_wit_value` / :func:`to_wit_type` produce the plain forms.

Python values on the bindings side are componentize-py's: generated dataclasses for
records (or any object with the field attributes, or a ``dict`` of Python field
names), case-class instances for variants (or ``(case, payload)`` / ``case``), enum
members (or their WIT/Python names), flags instances (``.value`` is the bit set, or an
iterable of flag names), ``None`` / the value for options (``Some(v)`` for the inner
some of a nested option), ``Ok``/``Err``, tuples, ``bytes`` for ``list<u8>``, lists,
``str`` of one character for ``char``. Resource handles are converted by a
:class:`Handles` object the caller gives (RPC targets use the worker's exported
resources, :mod:`golem_fakes.rpc.wasm_rpc`); without one a handle is an error.
"""

from __future__ import annotations

import enum
import math
import operator
from typing import Any, Callable, Protocol

from golem_fakes.bindings.result import Err, Ok, Some
from golem_fakes.state.durability import Abort
from golem_fakes.wit.model import (
    INT_RANGES,
    Enum,
    Flags,
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

__all__ = ["ValueMismatch", "Handles", "to_wit_value", "from_wit_value", "to_wit_type",
           "node_case", "wit_type_str", "resolve_type", "MAX_NODES"]

#: Nodes one decoding may visit (indices may share subtrees, which expand); past this
#: the fake stops instead of exhausting memory (Golem would expand without bound).
MAX_NODES = 1_000_000

_PRIM_NODE = {"bool": "prim-bool", "u8": "prim-u8", "u16": "prim-u16", "u32": "prim-u32",
              "u64": "prim-u64", "s8": "prim-s8", "s16": "prim-s16", "s32": "prim-s32",
              "s64": "prim-s64", "f32": "prim-float32", "f64": "prim-float64",
              "char": "prim-char", "string": "prim-string"}
_NODE_KIND = {v: k for k, v in _PRIM_NODE.items()}
_PRIM_TYPE_NODE = {"bool": "prim-bool-type", "u8": "prim-u8-type", "u16": "prim-u16-type",
                   "u32": "prim-u32-type", "u64": "prim-u64-type", "s8": "prim-s8-type",
                   "s16": "prim-s16-type", "s32": "prim-s32-type", "s64": "prim-s64-type",
                   "f32": "prim-f32-type", "f64": "prim-f64-type", "char": "prim-char-type",
                   "string": "prim-string-type"}

#: What a node kind is called in Golem's mismatch messages (``AnalysedType`` names).
_KIND_WORD = {"record-value": "record", "variant-value": "variant", "enum-value": "enum",
              "flags-value": "flags", "tuple-value": "tuple", "list-value": "list",
              "option-value": "option", "result-value": "result", "handle": "handle",
              **_NODE_KIND}


class ValueMismatch(ValueError):
    """A ``wit-value`` does not have the shape of the WIT type it is decoded as (or a
    Python value does not fit the type it is encoded as). ``path`` is Golem's
    ``$``-path (``$.items[2]``)."""

    def __init__(self, path: str, expected: str, got: str, detail: str = "") -> None:
        self.path = path
        self.expected = expected
        self.got = got
        msg = f"in {path} expected {expected}, got {got}"
        super().__init__(msg + (f" ({detail})" if detail else ""))


class Handles(Protocol):
    """Converts resource handles for :func:`to_wit_value` / :func:`from_wit_value`."""

    def encode(self, value: Any, typ: HandleType, path: str) -> tuple[str, int]:
        """``(uri, resource id)`` of the handle ``value``."""

    def decode(self, uri: str, resource_id: int, typ: HandleType, path: str) -> Any:
        """The Python value of ``handle(uri, resource_id)`` for ``typ``."""


def resolve_type(t: Type) -> Type:
    """Follow aliases; a bare resource ``TypeDef`` is an owned handle."""
    if isinstance(t, TypeDef):
        t = t.dealias()
        if isinstance(t, TypeDef) and isinstance(t.kind, Resource):
            return HandleType(t, "own")
    return t


def wit_type_str(t: Type | None) -> str:
    """The WIT spelling of a type (``list<string>``, ``order``)."""
    from golem_fakes.bindings.lowering import wit_type_str as s

    return s(t)


def node_case(node: Any) -> tuple[str, Any]:
    """``(case, payload)`` of a ``wit-node`` / ``wit-type-node`` in either form: a
    generated case-class instance or a ``(case, payload)`` tuple (or a bare case
    name for payload-less type nodes)."""
    if type(node) is tuple and len(node) == 2 and isinstance(node[0], str):
        return node
    if isinstance(node, str):
        return node, None
    from golem_fakes.bindings.runtime import case_name

    return case_name(node), getattr(node, "value", None)


def _field(obj: Any, name: str) -> Any:
    """A record field of a generated record or a plain ``dict`` (Python or WIT name)."""
    if isinstance(obj, dict):
        if name in obj:
            return obj[name]
        return obj[name.replace("_", "-")]
    return getattr(obj, name)


def _py(name: str) -> str:
    from golem_fakes.bindings.naming import escape, snake

    return escape(snake(name))


# --- encoding -------------------------------------------------------------------------


def _classes() -> Any:
    from golem_fakes.strategies import current

    return current()


def to_wit_value(value: Any, typ: Type, handles: Handles | None = None) -> dict[str, Any]:
    """The ``wit-value`` (``{"nodes": [(case, payload), ...]}``) of the Python value
    ``value`` of WIT type ``typ`` (a :mod:`golem_fakes.wit.model` type), in Golem's
    pre-order (§2.1). Raises :class:`ValueMismatch` for a value that does not fit."""
    nodes: list[Any] = []

    def enc(v: Any, t0: Type, path: str) -> int:
        t = resolve_type(t0)
        i = len(nodes)
        nodes.append(None)  # the slot first: pre-order
        if isinstance(t, Primitive):
            nodes[i] = (_PRIM_NODE[t.name], _prim(v, t.name, path))
        elif isinstance(t, ListType):
            el = resolve_type(t.element)
            if isinstance(v, (bytes, bytearray, memoryview)) and isinstance(el, Primitive) \
                    and el.name == "u8":
                items: list[Any] = list(bytes(v))
            elif isinstance(v, (list, tuple)):
                items = list(v)
            else:
                raise ValueMismatch(path, wit_type_str(t), type(v).__name__)
            nodes[i] = ("list-value", [enc(x, t.element, f"{path}[{n}]")
                                       for n, x in enumerate(items)])
        elif isinstance(t, TupleType):
            if not isinstance(v, (tuple, list)) or len(v) != len(t.types):
                raise ValueMismatch(path, wit_type_str(t), _describe(v),
                                    f"a tuple of {len(t.types)} items")
            nodes[i] = ("tuple-value", [enc(x, xt, f"{path}.{n}")
                                        for n, (x, xt) in enumerate(zip(v, t.types))])
        elif isinstance(t, OptionType):
            if v is None:
                nodes[i] = ("option-value", None)
            else:
                if isinstance(resolve_type(t.inner), OptionType):
                    if type(v) is not Some:
                        raise ValueMismatch(path, wit_type_str(t), _describe(v),
                                            "the inner some of a nested option is Some(v)")
                    v = v.value
                nodes[i] = ("option-value", enc(v, t.inner, f"{path}.some"))
        elif isinstance(t, ResultType):
            if isinstance(v, Ok):
                side, ok = t.ok, True
            elif isinstance(v, Err):
                side, ok = t.err, False
            else:
                raise ValueMismatch(path, wit_type_str(t), _describe(v), "Ok(v) or Err(e)")
            child = None
            if side is not None:
                child = enc(v.value, side, f"{path}.{'ok' if ok else 'err'}")
            nodes[i] = ("result-value", Ok(child) if ok else Err(child))
        elif isinstance(t, HandleType):
            if handles is None:
                raise ValueMismatch(path, wit_type_str(t), _describe(v),
                                    "no handle converter was given for resource handles")
            uri, rid = handles.encode(v, t, path)
            nodes[i] = ("handle", ({"value": uri}, rid))
        elif isinstance(t, TypeDef):
            k = t.kind
            if isinstance(k, Record):
                try:
                    vals = [_field(v, _py(f.name)) for f in k.fields]
                except (AttributeError, KeyError, TypeError) as e:
                    raise ValueMismatch(path, t.name, _describe(v), f"missing field {e}") from None
                nodes[i] = ("record-value", [enc(x, f.type, f"{path}.{f.name}")
                                             for x, f in zip(vals, k.fields)])
            elif isinstance(k, Variant):
                idx, payload = _variant_case(v, t, path)
                case = k.cases[idx]
                nodes[i] = ("variant-value", (idx, None if case.type is None else
                                              enc(payload, case.type, f"{path}.{case.name}")))
            elif isinstance(k, Enum):
                nodes[i] = ("enum-value", _enum_index(v, t, path))
            elif isinstance(k, Flags):
                nodes[i] = ("flags-value", _flag_bits(v, t, path))
            else:  # pragma: no cover - aliases and resources are resolved above
                raise AssertionError(t)
        else:  # pragma: no cover - the model is closed
            raise AssertionError(t)
        return i

    enc(value, typ, "$")
    return {"nodes": nodes}


def _describe(v: Any) -> str:
    from golem_fakes.bindings.runtime import _short_repr

    return _short_repr(v)


def _prim(v: Any, kind: str, path: str) -> Any:
    if kind in INT_RANGES:
        if isinstance(v, bool) or not isinstance(v, int):
            raise ValueMismatch(path, kind, _describe(v))
        lo, hi = INT_RANGES[kind]
        if not lo <= v <= hi:
            raise ValueMismatch(path, kind, str(v), f"out of range {lo}..={hi}")
        return int(v)
    if kind in ("f32", "f64"):
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise ValueMismatch(path, kind, _describe(v))
        return float(v)
    if kind == "bool":
        if type(v) is not bool:
            raise ValueMismatch(path, kind, _describe(v))
        return v
    if kind == "char":
        if not isinstance(v, str) or len(v) != 1 or 0xD800 <= ord(v) <= 0xDFFF:
            raise ValueMismatch(path, kind, _describe(v), "one Unicode scalar value")
        return v
    if not isinstance(v, str):
        raise ValueMismatch(path, kind, _describe(v))
    return v


def _variant_case(v: Any, td: TypeDef, path: str) -> tuple[int, Any]:
    cases = td.kind.cases  # type: ignore[union-attr]
    names = [c.name for c in cases]
    if isinstance(v, tuple) and len(v) == 2 and isinstance(v[0], str):
        name, payload = v
    elif isinstance(v, str):
        name, payload = v, None
    else:
        from golem_fakes.bindings.runtime import case_name

        try:
            name = case_name(v)
        except TypeError:
            raise ValueMismatch(path, td.name, _describe(v), "a case of the variant") from None
        payload = getattr(v, "value", None)
    name = name.replace("_", "-")
    if name not in names:
        i = _case_insensitive(name, names)
        if i is None:
            raise ValueMismatch(path, td.name, _describe(v),
                                f"no case {name!r}; cases: {', '.join(names)}")
        return i, payload
    return names.index(name), payload


def _case_insensitive(name: str, names: list[str]) -> int | None:
    """The index of the case ``name`` spells in another letter case: the generated
    classes and enum members lose a WIT name's upper-case words (``HTTP`` is
    ``Scheme_Http``, ``destination-IP-unroutable`` is ``DESTINATION_IP_UNROUTABLE``);
    WIT names are unique regardless of case, so the match is unambiguous."""
    low = name.lower()
    for i, n in enumerate(names):
        if n.lower() == low:
            return i
    return None


def _enum_index(v: Any, td: TypeDef, path: str) -> int:
    names = [c.name for c in td.kind.cases]  # type: ignore[union-attr]
    if isinstance(v, enum.Enum):
        name = v.name.lower().replace("_", "-")
    elif isinstance(v, str):
        name = v.lower().replace("_", "-")
    else:
        raise ValueMismatch(path, td.name, _describe(v), "an enum member or case name")
    if name not in names:
        i = _case_insensitive(name, names)
        if i is None:
            raise ValueMismatch(path, td.name, _describe(v),
                                f"no case {name!r}; cases: {', '.join(names)}")
        return i
    return names.index(name)


def _flag_bits(v: Any, td: TypeDef, path: str) -> list[bool]:
    names = [f.name for f in td.kind.flags]  # type: ignore[union-attr]
    n = getattr(v, "value", None)
    if isinstance(n, int) and not isinstance(v, (list, tuple, set, frozenset)):
        bits = operator.index(n)
        if bits < 0 or bits >> len(names):
            raise ValueMismatch(path, td.name, f"{bits:#b}", "bits outside the flags")
        return [bool(bits >> j & 1) for j in range(len(names))]
    if isinstance(v, (list, tuple, set, frozenset)):
        given = {str(x).lower().replace("_", "-") for x in v}
        unknown = given - {n.lower() for n in names}  # WIT names are unique in any case
        if unknown:
            raise ValueMismatch(path, td.name, _describe(v), f"unknown flags {sorted(unknown)}")
        return [name.lower() in given for name in names]
    raise ValueMismatch(path, td.name, _describe(v), "a flags value or names")


# --- decoding -------------------------------------------------------------------------


def from_wit_value(wit_value: Any, typ: Type, handles: Handles | None = None,
                   classes: Any = None) -> Any:
    """The Python value (generated classes of the installed bindings, found through
    ``classes``: a :class:`golem_fakes.strategies.WitStrategies`, default the installed
    world's) of the ``wit-value`` ``wit_value`` read as WIT type ``typ``, as the target
    of an RPC decodes a parameter (see the module docstring for the checks)."""
    nodes = list(_field(wit_value, "nodes"))
    if not nodes:
        raise Abort("assertion failed: !value.nodes.is_empty() (an empty wit-value)")
    cls_src = classes
    visiting: set[int] = set()
    count = [0]

    def cls_of(td: TypeDef, case: Any = None) -> Any:
        nonlocal cls_src
        if cls_src is None:
            cls_src = _classes()
        return cls_src.class_of(td, case)

    def dec(i: Any, t0: Type, path: str) -> Any:
        if not isinstance(i, int) or not 0 <= i < len(nodes):
            raise Abort(f"index out of bounds: the len is {len(nodes)} but the index is "
                        f"{i} (node index at {path} of the wit-value)")
        if i in visiting:
            raise Abort(f"stack overflow: node {i} of the wit-value contains itself "
                        f"(a cycle of node indices recurses without end)")
        count[0] += 1
        if count[0] > MAX_NODES:
            raise Abort(f"the wit-value expands to more than {MAX_NODES} nodes")
        visiting.add(i)
        try:
            return _dec(i, resolve_type(t0), path)
        finally:
            visiting.discard(i)

    def want(case: str, kind: str, t: Type, path: str) -> None:
        if case != kind:
            raise ValueMismatch(path, wit_type_str(t), _KIND_WORD.get(case, case))

    def _dec(i: int, t: Type, path: str) -> Any:
        case, v = node_case(nodes[i])
        if isinstance(t, Primitive):
            want(case, _PRIM_NODE[t.name], t, path)
            if t.name == "f32":
                return float(v)
            return v
        if isinstance(t, ListType):
            want(case, "list-value", t, path)
            el = resolve_type(t.element)
            items = [dec(j, t.element, f"{path}[{n}]") for n, j in enumerate(v)]
            if isinstance(el, Primitive) and el.name == "u8":
                return bytes(items)
            return items
        if isinstance(t, TupleType):
            want(case, "tuple-value", t, path)
            if len(v) < len(t.types):
                raise ValueMismatch(path, wit_type_str(t), f"tuple of {len(v)} items")
            return tuple(dec(j, xt, f"{path}.{n}") for n, (j, xt) in enumerate(zip(v, t.types)))
        if isinstance(t, OptionType):
            want(case, "option-value", t, path)
            if v is None:
                return None
            inner = dec(v, t.inner, f"{path}.some")
            return Some(inner) if isinstance(resolve_type(t.inner), OptionType) else inner
        if isinstance(t, ResultType):
            want(case, "result-value", t, path)
            ok = isinstance(v, Ok)
            if not ok and not isinstance(v, Err):
                raise ValueMismatch(path, wit_type_str(t), _describe(v))
            side = t.ok if ok else t.err
            j = v.value
            if side is None:
                inner = None  # Golem ignores a payload the type does not have
            elif j is None:
                raise ValueMismatch(f"{path}.{'ok' if ok else 'err'}", wit_type_str(side),
                                    "no value")
            else:
                inner = dec(j, side, f"{path}.{'ok' if ok else 'err'}")
            return Ok(inner) if ok else Err(inner)
        if isinstance(t, HandleType):
            want(case, "handle", t, path)
            if handles is None:
                raise ValueMismatch(path, wit_type_str(t), "handle",
                                    "no handle converter was given for resource handles")
            uri, rid = v
            return handles.decode(_field(uri, "value"), rid, t, path)
        if isinstance(t, TypeDef):
            k = t.kind
            if isinstance(k, Record):
                want(case, "record-value", t, path)
                if len(v) < len(k.fields):
                    raise ValueMismatch(path, t.name, f"record of {len(v)} fields",
                                        f"{t.name} has {len(k.fields)}")
                vals = [dec(j, f.type, f"{path}.{f.name}") for j, f in zip(v, k.fields)]
                return cls_of(t)(*vals)
            if isinstance(k, Variant):
                want(case, "variant-value", t, path)
                idx, j = v
                if not 0 <= idx < len(k.cases):
                    raise ValueMismatch(path, t.name, f"case {idx}",
                                        f"could not get case for discriminant {idx}")
                c = k.cases[idx]
                cls = cls_of(t, c)
                if c.type is None:
                    return cls()
                if j is None:
                    raise ValueMismatch(f"{path}.{c.name}", wit_type_str(c.type), "no value")
                return cls(dec(j, c.type, f"{path}.{c.name}"))
            if isinstance(k, Enum):
                want(case, "enum-value", t, path)
                members = list(cls_of(t))
                if not 0 <= v < len(members):
                    raise ValueMismatch(path, t.name, f"case {v}",
                                        f"could not get case for discriminant {v}")
                return members[v]
            if isinstance(k, Flags):
                want(case, "flags-value", t, path)
                bits = 0
                for j, b in enumerate(list(v)[:len(k.flags)]):
                    if b:
                        bits |= 1 << j
                return cls_of(t)(bits)
        raise AssertionError(t)  # pragma: no cover - the model is closed

    return dec(0, typ, "$")


# --- types ----------------------------------------------------------------------------


def to_wit_type(typ: Type, resource_ids: Callable[[TypeDef], int] | None = None
                ) -> dict[str, Any]:
    """The ``wit-type`` (``{"nodes": [{"name", "owner", "type"}, ...]}``) of ``typ`` as
    Golem's ``From<AnalysedType> for WitType`` builds it from component metadata
    (§2.4): pre-order, one node per occurrence; ``name``/``owner`` = the WIT name and
    the defining interface (``ns:pkg/iface@ver``) for records, variants, enums, flags
    and handles, none otherwise. ``handle-type``'s ``resource-id`` is an
    analysis-assigned number, not a handle: by default the resources of ``typ``
    numbered from 0 in order of first appearance."""
    nodes: list[Any] = []
    ids: dict[int, int] = {}

    def rid(td: TypeDef) -> int:
        if resource_ids is not None:
            return resource_ids(td)
        return ids.setdefault(id(td), len(ids))

    def owner_of(td: TypeDef) -> str | None:
        return getattr(td.owner, "qualified_name", None)

    def add(t0: Type) -> int:
        t = resolve_type(t0)
        i = len(nodes)
        nodes.append(None)
        name = owner = None
        if isinstance(t, Primitive):
            node: Any = _PRIM_TYPE_NODE[t.name]
        elif isinstance(t, ListType):
            node = ("list-type", add(t.element))
        elif isinstance(t, OptionType):
            node = ("option-type", add(t.inner))
        elif isinstance(t, TupleType):
            node = ("tuple-type", [add(x) for x in t.types])
        elif isinstance(t, ResultType):
            ok = None if t.ok is None else add(t.ok)
            node = ("result-type", (ok, None if t.err is None else add(t.err)))
        elif isinstance(t, HandleType):
            node = ("handle-type", (rid(t.resource), "owned" if t.kind == "own" else "borrowed"))
            name, owner = t.resource.name, owner_of(t.resource)
        elif isinstance(t, TypeDef):
            k = t.kind
            name, owner = t.name, owner_of(t)
            if isinstance(k, Record):
                node = ("record-type", [(f.name, add(f.type)) for f in k.fields])
            elif isinstance(k, Variant):
                node = ("variant-type", [(c.name, None if c.type is None else add(c.type))
                                         for c in k.cases])
            elif isinstance(k, Enum):
                node = ("enum-type", [c.name for c in k.cases])
            elif isinstance(k, Flags):
                node = ("flags-type", [f.name for f in k.flags])
            else:  # pragma: no cover
                raise AssertionError(t)
        else:  # pragma: no cover
            raise AssertionError(t)
        nodes[i] = {"name": name, "owner": owner, "type": node}
        return i

    add(typ)
    return {"nodes": nodes}


def is_nan_equal(a: Any, b: Any) -> bool:
    """Equality that treats two NaNs as equal (for round-trip checks of floats)."""
    if isinstance(a, float) and isinstance(b, float):
        return a == b or (math.isnan(a) and math.isnan(b))
    return bool(a == b)
